//! Supervision (督办) of one deadline, as a pure plan: a warning (预警)
//! before it, a supervision notice to the handling department's head at it
//! (超期), and while it stays overdue an escalation one tier up each
//! interval, until the centre has been told (001 五(三); 000 通报).
//!
//! A timer row stores its next step (`stage`, `level`, `fire_at`). When it
//! fires, [`fire`] says what to announce and what comes next.

use crate::deadlines::Deadlines;
use chrono::{DateTime, Utc};
use complaints_proto::v1::{AlertStage, DeadlineKind};
use mesh_kit::network::Network;

/// The next thing a timer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Warning,
    Overdue,
    Escalation,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Warning => "warning",
            Stage::Overdue => "overdue",
            Stage::Escalation => "escalation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Stage::Warning, Stage::Overdue, Stage::Escalation]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

/// A timer's next step and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub stage: Stage,
    /// Escalations done so far (the tier above the holder to tell next).
    pub level: u32,
    pub fire_at: DateTime<Utc>,
}

/// What firing a step announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub stage: AlertStage,
    pub level: u32,
    /// The department told: the holder, or the office `level` tiers above.
    pub notified: String,
}

/// The first step of a deadline running from `start` to `due`, as seen at
/// `now`: a warning if one is still ahead, else the deadline itself.
pub fn first_plan(
    d: &Deadlines,
    kind: DeadlineKind,
    start: DateTime<Utc>,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Plan {
    let sup = &d.policy.supervision;
    if sup.warns(kind) {
        let warn_at = sup.warn_at(start, due);
        if warn_at > now && warn_at < due {
            return Plan {
                stage: Stage::Warning,
                level: 0,
                fire_at: warn_at,
            };
        }
    }
    Plan {
        stage: Stage::Overdue,
        level: 0,
        fire_at: due,
    }
}

/// Fires `plan` for a deadline held by `holder`; returns the alert and the
/// next step, if any.
pub fn fire(
    d: &Deadlines,
    network: &Network,
    kind: DeadlineKind,
    holder: &str,
    plan: Plan,
    due: DateTime<Utc>,
) -> (Alert, Option<Plan>) {
    let sup = &d.policy.supervision;
    // Escalations are counted from when the step was due, not when it
    // happened to fire, so a late watcher does not drift the schedule.
    let later = |from: DateTime<Utc>| d.due(&sup.escalation_interval, from);
    match plan.stage {
        Stage::Warning => (
            Alert {
                stage: AlertStage::Warning,
                level: 0,
                notified: holder.to_owned(),
            },
            Some(Plan {
                stage: Stage::Overdue,
                level: 0,
                fire_at: due,
            }),
        ),
        Stage::Overdue => {
            let next = (sup.escalates(kind) && network.parent(holder).is_some()).then(|| Plan {
                stage: Stage::Escalation,
                level: 1,
                fire_at: later(plan.fire_at),
            });
            (
                Alert {
                    stage: AlertStage::Overdue,
                    level: 0,
                    notified: holder.to_owned(),
                },
                next,
            )
        }
        Stage::Escalation => {
            let centre = network.centre().code.clone();
            let mut notified = holder.to_owned();
            for _ in 0..plan.level {
                notified = network
                    .parent(&notified)
                    .map(|p| p.code.clone())
                    .unwrap_or_else(|| centre.clone());
            }
            let next = (notified != centre).then(|| Plan {
                stage: Stage::Escalation,
                level: plan.level + 1,
                fire_at: later(plan.fire_at),
            });
            (
                Alert {
                    stage: AlertStage::Escalated,
                    level: plan.level,
                    notified,
                },
                next,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadlines::tests::shipped;

    fn net() -> Network {
        Network::load(
            &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../deploy/network/sample-city.toml"),
        )
        .expect("network")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_warning_comes_at_the_earlier_of_share_and_lead() {
        let d = shipped();
        // Ten days allowed: 20% is two days before, earlier than 24 hours.
        let w = d
            .policy
            .supervision
            .warn_at(at("2025-10-01T00:00:00Z"), at("2025-10-11T00:00:00Z"));
        assert_eq!(w, at("2025-10-09T00:00:00Z"));
        // Two days allowed: 20% is 9.6 hours; 24 hours before comes first.
        let w = d
            .policy
            .supervision
            .warn_at(at("2025-10-01T00:00:00Z"), at("2025-10-03T00:00:00Z"));
        assert_eq!(w, at("2025-10-02T00:00:00Z"));
        // Never before the start.
        let w = d
            .policy
            .supervision
            .warn_at(at("2025-10-01T00:00:00Z"), at("2025-10-01T12:00:00Z"));
        assert_eq!(w, at("2025-10-01T00:00:00Z"));
    }

    #[test]
    fn a_passed_warning_goes_straight_to_the_deadline() {
        let d = shipped();
        let (start, due) = (at("2025-10-01T00:00:00Z"), at("2025-10-11T00:00:00Z"));
        let p = first_plan(&d, DeadlineKind::Conclusion, start, due, start);
        assert_eq!(
            (p.stage, p.fire_at),
            (Stage::Warning, at("2025-10-09T00:00:00Z"))
        );
        let p = first_plan(
            &d,
            DeadlineKind::Conclusion,
            start,
            due,
            at("2025-10-10T00:00:00Z"),
        );
        assert_eq!((p.stage, p.fire_at), (Stage::Overdue, due));
        let p = first_plan(&d, DeadlineKind::Contact, start, due, start);
        assert_eq!(p.stage, Stage::Overdue, "contacts do not warn");
    }

    #[test]
    fn overdue_escalates_tier_by_tier_to_the_centre_on_working_days() {
        let (d, n) = (shipped(), net());
        let due = at("2025-09-30T23:59:59+08:00");
        let plan = Plan {
            stage: Stage::Overdue,
            level: 0,
            fire_at: due,
        };
        let (alert, next) = fire(&d, &n, DeadlineKind::Conclusion, "east-heat-s1", plan, due);
        assert_eq!(
            alert,
            Alert {
                stage: AlertStage::Overdue,
                level: 0,
                notified: "east-heat-s1".into()
            }
        );
        let next = next.expect("escalates");
        // One working day after 30 September 2025 is 9 October (Golden Week).
        assert_eq!(
            (next.stage, next.level, next.fire_at),
            (Stage::Escalation, 1, at("2025-10-09T23:59:59+08:00"))
        );
        let (alert, next) = fire(&d, &n, DeadlineKind::Conclusion, "east-heat-s1", next, due);
        assert_eq!((alert.level, alert.notified.as_str()), (1, "east-heat"));
        let (alert, next) = fire(
            &d,
            &n,
            DeadlineKind::Conclusion,
            "east-heat-s1",
            next.expect("more"),
            due,
        );
        assert_eq!(alert.notified, "east-office");
        let (alert, next) = fire(
            &d,
            &n,
            DeadlineKind::Conclusion,
            "east-heat-s1",
            next.expect("more"),
            due,
        );
        assert_eq!((alert.level, alert.notified.as_str()), (3, "centre"));
        assert!(next.is_none(), "the centre is the top");
    }

    #[test]
    fn contacts_and_the_centre_do_not_escalate() {
        let (d, n) = (shipped(), net());
        let due = at("2025-09-30T23:59:59+08:00");
        let plan = Plan {
            stage: Stage::Overdue,
            level: 0,
            fire_at: due,
        };
        assert!(fire(&d, &n, DeadlineKind::Contact, "east-heat", plan, due)
            .1
            .is_none());
        assert!(fire(&d, &n, DeadlineKind::Conclusion, "centre", plan, due)
            .1
            .is_none());
    }

    #[test]
    fn a_warning_is_followed_by_the_deadline() {
        let (d, n) = (shipped(), net());
        let due = at("2025-10-11T00:00:00Z");
        let plan = Plan {
            stage: Stage::Warning,
            level: 0,
            fire_at: at("2025-10-09T00:00:00Z"),
        };
        let (alert, next) = fire(&d, &n, DeadlineKind::Conclusion, "east-heat", plan, due);
        assert_eq!(alert.stage, AlertStage::Warning);
        assert_eq!(
            next,
            Some(Plan {
                stage: Stage::Overdue,
                level: 0,
                fire_at: due
            })
        );
    }
}
