//! The deadline rules of the jurisdiction in one value: policy, calendar
//! and local time, shared by the gRPC service and the consumer.

use crate::calendar::WorkCalendar;
use crate::policy::{Policy, Rule};
use chrono::{DateTime, Datelike, FixedOffset, Utc};
use complaints_proto::v1::{HandlingMode, Kind, Severity};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// A computed deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub at: DateTime<Utc>,
    /// The rule that applied, e.g. `transferred: 10 working days`.
    pub rule: String,
    /// The rule's limit in working days (0 when counted otherwise).
    pub working_days: u32,
}

#[derive(Debug, Clone)]
pub struct Deadlines {
    pub policy: Policy,
    pub calendar: WorkCalendar,
    pub offset: FixedOffset,
}

impl Deadlines {
    /// The conclusion deadline (办结时限) of a work order that started at `start`.
    pub fn conclusion(
        &self,
        kind: Kind,
        mode: HandlingMode,
        severity: Severity,
        start: DateTime<Utc>,
    ) -> Due {
        let rule = self.policy.conclusion_rule(kind, mode, severity);
        let at = self.due(rule, start);
        Due {
            at,
            rule: rule.describe(),
            working_days: Policy::working_days(rule),
        }
    }

    /// The instant `rule`'s time runs out, for a start instant, in this
    /// jurisdiction's calendar and local time.
    pub fn due(&self, rule: &Rule, start: DateTime<Utc>) -> DateTime<Utc> {
        let at = self.policy.due(rule, start, &self.calendar, self.offset);
        self.warn_if_uncovered(at);
        at
    }

    /// Logs, once per year and process, a deadline in a year the calendar
    /// has no holidays for (weekends alone are counted then).
    fn warn_if_uncovered(&self, at: DateTime<Utc>) {
        static WARNED: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());
        let year = mesh_kit::time::local(at, self.offset).year();
        if self.calendar.covers(year) {
            return;
        }
        let first = WARNED.lock().map(|mut w| w.insert(year)).unwrap_or(true);
        if first {
            tracing::warn!(year, calendar = %self.calendar.name, "calendar has no holidays for this year; counting weekends only");
        }
    }

    /// A deadline moved by `working_days` (an approved extension): the end
    /// of the Nth working day after the deadline's local day.
    pub fn shift(&self, due: DateTime<Utc>, working_days: u32) -> DateTime<Utc> {
        let local_day = mesh_kit::time::local(due, self.offset).date();
        crate::policy::end_of_day(
            self.calendar.add_working_days(local_day, working_days),
            self.offset,
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::calendar::tests::cn;

    /// The shipped policy and calendar, in China's time.
    pub(crate) fn shipped() -> Deadlines {
        Deadlines {
            policy: Policy::parse(include_str!("../../../deploy/policy/deadlines.toml"))
                .expect("policy"),
            calendar: cn(),
            offset: FixedOffset::east_opt(8 * 3600).expect("offset"),
        }
    }

    #[test]
    fn an_extension_counts_working_days_after_the_old_deadline() {
        let d = shipped();
        let due = DateTime::parse_from_rfc3339("2025-09-30T23:59:59+08:00")
            .expect("time")
            .with_timezone(&Utc);
        // Five working days after 30 Sep 2025: 9, 10, 11 (make-up), 13, 14 Oct.
        let moved = d.shift(due, 5);
        assert_eq!(
            moved,
            DateTime::parse_from_rfc3339("2025-10-14T23:59:59+08:00")
                .expect("time")
                .with_timezone(&Utc)
        );
        let due = d.conclusion(
            Kind::Complaint,
            HandlingMode::Transferred,
            Severity::General,
            moved,
        );
        assert_eq!(due.working_days, 10);
    }
}
