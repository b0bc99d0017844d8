//! Deadline policy (时限) as data: which rule applies to a work order, and
//! the instant it gives from a start and the working-day calendar.
//!
//! Day-based deadlines count from the day after the start (自受理之次日起)
//! and end at 23:59:59 local time of the last day. Hour-based deadlines are
//! clock time; `working_hours` count only office hours of working days.

use crate::calendar::WorkCalendar;
use chrono::{DateTime, Days, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use complaints_proto::v1::{DeadlineKind, HandlingMode, Kind, Severity};
use complaints_proto::Label;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("policy {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

/// How a deadline's amount is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// For tests and demonstrations.
    Seconds,
    Minutes,
    Hours,
    WorkingHours,
    CalendarDays,
    WorkingDays,
}

impl Unit {
    fn words(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
            Unit::WorkingHours => "working hours",
            Unit::CalendarDays => "calendar days",
            Unit::WorkingDays => "working days",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct RuleEntry {
    kind: Option<String>,
    mode: Option<String>,
    severity: Option<String>,
    amount: u32,
    unit: Unit,
    // Each entry also says where its value comes from (`source`, the seed
    // and article); that is for the reader of the file, not the program.
}

#[derive(Debug, Deserialize)]
struct OfficeHours {
    start: String,
    end: String,
}

#[derive(Debug, Deserialize)]
struct ContactEntry {
    general_days: u32,
    major_days: u32,
}

#[derive(Debug, Deserialize)]
struct AmountEntry {
    amount: u32,
    unit: Unit,
}

#[derive(Debug, Deserialize)]
struct SupervisionEntry {
    warning_share: f64,
    warning_lead: AmountEntry,
    escalation_interval: AmountEntry,
    warn: Vec<String>,
    escalate: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ExtensionEntry {
    cap_working_days: u32,
}

#[derive(Debug, Deserialize)]
struct PolicyFile {
    office_hours: OfficeHours,
    acceptance: AmountEntry,
    return_window: AmountEntry,
    extension: ExtensionEntry,
    conclusion: Vec<RuleEntry>,
    #[serde(default)]
    report: Vec<RuleEntry>,
    contact: ContactEntry,
    callback: AmountEntry,
    supervision: SupervisionEntry,
}

/// Supervision (督办): when to warn, when to escalate, for which deadlines.
#[derive(Debug, Clone)]
pub struct Supervision {
    /// Warn when this share of the allowed time is left…
    pub warning_share: f64,
    /// …or this long before the deadline, whichever comes first.
    pub warning_lead: Duration,
    /// Time between a supervision notice and each escalation.
    pub escalation_interval: Rule,
    pub warn: Vec<DeadlineKind>,
    pub escalate: Vec<DeadlineKind>,
}

impl Supervision {
    pub fn warns(&self, kind: DeadlineKind) -> bool {
        self.warn.contains(&kind)
    }

    pub fn escalates(&self, kind: DeadlineKind) -> bool {
        self.escalate.contains(&kind)
    }

    /// When to warn for a deadline running from `start` to `due`.
    pub fn warn_at(&self, start: DateTime<Utc>, due: DateTime<Utc>) -> DateTime<Utc> {
        let allowed = (due - start).max(Duration::zero());
        let by_share = due
            - Duration::milliseconds(
                (allowed.num_milliseconds() as f64 * self.warning_share) as i64,
            );
        // A due time at the start of chrono's range has no time before it.
        let by_lead = due
            .checked_sub_signed(self.warning_lead)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        by_share.min(by_lead).max(start)
    }
}

/// The longest time a rule may give, in days: ten years. Longer amounts
/// are mistakes, and counting them day by day took minutes per deadline.
pub const MAX_SPAN_DAYS: u32 = 3660;

/// Refuses an amount longer than [`MAX_SPAN_DAYS`] in its unit (working
/// days and working hours counted like calendar ones).
fn span(amount: u32, unit: Unit, what: &str) -> Result<(), String> {
    let max = match unit {
        Unit::Seconds => MAX_SPAN_DAYS * 86_400,
        Unit::Minutes => MAX_SPAN_DAYS * 1_440,
        Unit::Hours | Unit::WorkingHours => MAX_SPAN_DAYS * 24,
        Unit::CalendarDays | Unit::WorkingDays => MAX_SPAN_DAYS,
    };
    if amount > max {
        return Err(format!(
            "{what}: {amount} {} is more than ten years (at most {max})",
            unit.words()
        ));
    }
    Ok(())
}

fn clock(entry: &AmountEntry, what: &str) -> Result<Duration, String> {
    span(entry.amount, entry.unit, what)?;
    let n = i64::from(entry.amount);
    match entry.unit {
        Unit::Seconds => Ok(Duration::seconds(n)),
        Unit::Minutes => Ok(Duration::minutes(n)),
        Unit::Hours => Ok(Duration::hours(n)),
        Unit::CalendarDays => Ok(Duration::days(n)),
        _ => Err(format!(
            "{what} must be in seconds, minutes, hours or calendar_days"
        )),
    }
}

fn deadline_kinds(names: &[String], what: &str) -> Result<Vec<DeadlineKind>, String> {
    names
        .iter()
        .map(|n| {
            DeadlineKind::from_str_name(&format!("DEADLINE_KIND_{}", n.to_uppercase()))
                .filter(|k| *k != DeadlineKind::Unspecified)
                .ok_or_else(|| {
                    format!(
                        "{what}: {n:?} is not a deadline (conclusion, contact, callback, report)"
                    )
                })
        })
        .collect()
}

/// One rule of the policy; `None` filters match anything.
#[derive(Debug, Clone)]
pub struct Rule {
    pub kind: Option<Kind>,
    pub mode: Option<HandlingMode>,
    pub severity: Option<Severity>,
    pub amount: u32,
    pub unit: Unit,
}

impl Rule {
    /// A rule for every kind, mode and severity.
    pub fn unfiltered(amount: u32, unit: Unit) -> Rule {
        Rule {
            kind: None,
            mode: None,
            severity: None,
            amount,
            unit,
        }
    }

    fn matches(&self, kind: Kind, mode: HandlingMode, severity: Severity) -> bool {
        self.kind.is_none_or(|k| k == kind)
            && self.mode.is_none_or(|m| m == mode)
            && self.severity.is_none_or(|s| s == severity)
    }

    /// e.g. `transferred: 10 working days`.
    pub fn describe(&self) -> String {
        let filters: Vec<String> = [
            self.kind.map(|k| k.label()),
            self.mode.map(|m| m.label()),
            self.severity.map(|s| s.label()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let who = if filters.is_empty() {
            "default".to_owned()
        } else {
            filters.join(", ")
        };
        format!("{who}: {} {}", self.amount, self.unit.words())
    }
}

/// The deadline policy of a jurisdiction.
#[derive(Debug, Clone)]
pub struct Policy {
    pub office_start: NaiveTime,
    pub office_end: NaiveTime,
    pub conclusion: Vec<Rule>,
    /// Days between contacts with the complainant, general cases.
    pub contact_general_days: u32,
    /// Days between contacts with the complainant, major cases.
    pub contact_major_days: u32,
    /// Time allowed for the callback after conclusion (回访).
    pub callback: Rule,
    /// Time to decide whether to accept a complaint (受理).
    pub acceptance: Rule,
    /// How long a department may hand a misrouted case back (退单).
    pub return_window: Duration,
    /// Most working days a case may take, extensions included (延期).
    pub extension_cap_working_days: u32,
    /// Written report of assigned cases; none matching means no report.
    pub report: Vec<Rule>,
    pub supervision: Supervision,
}

fn parse_enum<T>(
    value: &Option<String>,
    prefix: &str,
    from: impl Fn(&str) -> Option<T>,
    what: &str,
) -> Result<Option<T>, String> {
    match value {
        None => Ok(None),
        Some(v) => from(&format!("{prefix}{}", v.to_uppercase()))
            .map(Some)
            .ok_or_else(|| format!("{what} {v:?} is not known")),
    }
}

/// Parses `[[conclusion]]`-style rules.
fn rules(entries: &[RuleEntry], what: &str) -> Result<Vec<Rule>, String> {
    let mut out = Vec::new();
    for (i, r) in entries.iter().enumerate() {
        let at = |e: String| format!("{what} rule #{}: {e}", i + 1);
        if r.amount == 0 {
            return Err(at("amount must be at least 1".into()));
        }
        span(r.amount, r.unit, "amount").map_err(at)?;
        out.push(Rule {
            kind: parse_enum(&r.kind, "KIND_", Kind::from_str_name, "kind").map_err(at)?,
            mode: parse_enum(
                &r.mode,
                "HANDLING_MODE_",
                HandlingMode::from_str_name,
                "mode",
            )
            .map_err(at)?,
            severity: parse_enum(
                &r.severity,
                "SEVERITY_",
                Severity::from_str_name,
                "severity",
            )
            .map_err(at)?,
            amount: r.amount,
            unit: r.unit,
        });
    }
    Ok(out)
}

impl Policy {
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|message| PolicyError::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let time = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M")
                .map_err(|_| format!("office hour {s:?} is not HH:MM"))
        };
        let (office_start, office_end) = (
            time(&file.office_hours.start)?,
            time(&file.office_hours.end)?,
        );
        if office_end <= office_start {
            return Err("office_hours.end must be after office_hours.start".into());
        }
        let conclusion = rules(&file.conclusion, "conclusion")?;
        match conclusion.last() {
            Some(last) if last.kind.is_none() && last.mode.is_none() && last.severity.is_none() => {
            }
            _ => {
                return Err(
                    "the last conclusion rule must have no filters, so every order gets a deadline"
                        .into(),
                )
            }
        }
        if !(0.0..1.0).contains(&file.supervision.warning_share) {
            return Err("supervision.warning_share must be at least 0 and below 1".into());
        }
        if file.supervision.escalation_interval.amount == 0 {
            return Err("supervision.escalation_interval must be at least 1".into());
        }
        if file.contact.general_days == 0 || file.contact.major_days == 0 {
            return Err("contact intervals must be at least one day".into());
        }
        span(
            file.contact.general_days,
            Unit::CalendarDays,
            "contact.general_days",
        )?;
        span(
            file.contact.major_days,
            Unit::CalendarDays,
            "contact.major_days",
        )?;
        span(file.acceptance.amount, file.acceptance.unit, "acceptance")?;
        span(file.callback.amount, file.callback.unit, "callback")?;
        span(
            file.supervision.escalation_interval.amount,
            file.supervision.escalation_interval.unit,
            "supervision.escalation_interval",
        )?;
        Ok(Policy {
            office_start,
            office_end,
            conclusion,
            contact_general_days: file.contact.general_days,
            contact_major_days: file.contact.major_days,
            report: rules(&file.report, "report")?,
            return_window: clock(&file.return_window, "return_window")?,
            acceptance: Rule::unfiltered(file.acceptance.amount, file.acceptance.unit),
            extension_cap_working_days: file.extension.cap_working_days,
            supervision: Supervision {
                warning_share: file.supervision.warning_share,
                warning_lead: clock(&file.supervision.warning_lead, "supervision.warning_lead")?,
                escalation_interval: Rule::unfiltered(
                    file.supervision.escalation_interval.amount,
                    file.supervision.escalation_interval.unit,
                ),
                warn: deadline_kinds(&file.supervision.warn, "supervision.warn")?,
                escalate: deadline_kinds(&file.supervision.escalate, "supervision.escalate")?,
            },
            callback: Rule::unfiltered(file.callback.amount, file.callback.unit),
        })
    }

    /// The conclusion rule for a work order: the first that matches.
    pub fn conclusion_rule(&self, kind: Kind, mode: HandlingMode, severity: Severity) -> &Rule {
        self.conclusion
            .iter()
            .find(|r| r.matches(kind, mode, severity))
            .unwrap_or_else(|| &self.conclusion[self.conclusion.len() - 1])
    }

    /// The report rule for a work order, if it needs a written report.
    pub fn report_rule(&self, kind: Kind, mode: HandlingMode, severity: Severity) -> Option<&Rule> {
        self.report.iter().find(|r| r.matches(kind, mode, severity))
    }

    /// The rule's limit in working days, 0 when counted otherwise.
    pub fn working_days(rule: &Rule) -> u32 {
        if rule.unit == Unit::WorkingDays {
            rule.amount
        } else {
            0
        }
    }

    /// How long may pass between contacts with the complainant.
    pub fn contact_interval(&self, severity: Severity) -> Duration {
        let days = if severity == Severity::Major {
            self.contact_major_days
        } else {
            self.contact_general_days
        };
        Duration::days(days.into())
    }

    /// The instant a rule's time runs out, for a start instant. A deadline
    /// beyond the end of chrono's range (a start an event may carry) is
    /// the end of the range.
    pub fn due(
        &self,
        rule: &Rule,
        start: DateTime<Utc>,
        calendar: &WorkCalendar,
        offset: FixedOffset,
    ) -> DateTime<Utc> {
        let local = mesh_kit::time::local(start, offset);
        let n = rule.amount;
        let after = |d: Duration| {
            start
                .checked_add_signed(d)
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        };
        match rule.unit {
            Unit::Seconds => after(Duration::seconds(n.into())),
            Unit::Minutes => after(Duration::minutes(n.into())),
            Unit::Hours => after(Duration::hours(n.into())),
            Unit::CalendarDays => end_of_day(
                local
                    .date()
                    .checked_add_days(Days::new(n.into()))
                    .unwrap_or(NaiveDate::MAX),
                offset,
            ),
            Unit::WorkingDays => end_of_day(calendar.add_working_days(local.date(), n), offset),
            Unit::WorkingHours => {
                self.add_working_minutes(local, i64::from(n) * 60, calendar, offset)
            }
        }
    }

    fn add_working_minutes(
        &self,
        mut at: chrono::NaiveDateTime,
        mut minutes: i64,
        calendar: &WorkCalendar,
        offset: FixedOffset,
    ) -> DateTime<Utc> {
        loop {
            let day = at.date();
            let open = day.and_time(self.office_start);
            let close = day.and_time(self.office_end);
            if !calendar.is_working_day(day) || at >= close {
                // No working day after the last day chrono knows.
                let Some(next) = day.succ_opt() else {
                    return to_utc(at, offset);
                };
                at = calendar
                    .next_working_day_from(next)
                    .and_time(self.office_start);
                continue;
            }
            if at < open {
                at = open;
            }
            let available = (close - at).num_minutes();
            if minutes <= available {
                return to_utc(at + Duration::minutes(minutes), offset);
            }
            minutes -= available;
            at = close;
        }
    }
}

fn to_utc(local: chrono::NaiveDateTime, offset: FixedOffset) -> DateTime<Utc> {
    mesh_kit::time::from_local(local, offset)
}

/// 23:59:59 local time of `day`.
pub(crate) fn end_of_day(day: NaiveDate, offset: FixedOffset) -> DateTime<Utc> {
    let last_second = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN);
    to_utc(day.and_time(last_second), offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::tests::cn;

    fn shipped() -> Policy {
        Policy::parse(include_str!("../../../deploy/policy/deadlines.toml"))
            .expect("shipped policy parses")
    }

    fn beijing() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).expect("offset")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn rules_are_chosen_by_kind_then_mode() {
        let p = shipped();
        assert_eq!(
            p.conclusion_rule(Kind::Inquiry, HandlingMode::Transferred, Severity::General)
                .describe(),
            "inquiry: 24 hours"
        );
        assert_eq!(
            p.conclusion_rule(
                Kind::Complaint,
                HandlingMode::Transferred,
                Severity::General
            )
            .describe(),
            "transferred: 10 working days"
        );
        assert_eq!(
            p.conclusion_rule(Kind::Complaint, HandlingMode::Assigned, Severity::Major)
                .describe(),
            "assigned: 15 working days"
        );
        assert_eq!(
            p.conclusion_rule(Kind::Complaint, HandlingMode::Direct, Severity::General)
                .describe(),
            "direct: 15 working days"
        );
    }

    #[test]
    fn a_transferred_case_before_the_golden_week_is_due_on_21_october() {
        let p = shipped();
        let rule = p.conclusion_rule(
            Kind::Complaint,
            HandlingMode::Transferred,
            Severity::General,
        );
        let due = p.due(rule, at("2025-09-30T10:00:00+08:00"), &cn(), beijing());
        assert_eq!(due, at("2025-10-21T23:59:59+08:00"));
    }

    #[test]
    fn the_start_day_is_taken_in_local_time() {
        // 2025-09-30 20:00 UTC is already 1 October in Beijing: a holiday,
        // so counting starts after it as well.
        let p = shipped();
        let rule = p.conclusion_rule(
            Kind::Complaint,
            HandlingMode::Transferred,
            Severity::General,
        );
        let due = p.due(rule, at("2025-09-30T20:00:00Z"), &cn(), beijing());
        assert_eq!(due, at("2025-10-21T23:59:59+08:00"));
        let due = p.due(rule, at("2025-09-29T20:00:00Z"), &cn(), beijing());
        assert_eq!(
            due,
            at("2025-10-21T23:59:59+08:00"),
            "30 Sep local, same as above"
        );
        let due = p.due(rule, at("2025-09-28T20:00:00Z"), &cn(), beijing());
        assert_eq!(
            due,
            at("2025-10-20T23:59:59+08:00"),
            "29 Sep local, one working day earlier"
        );
    }

    #[test]
    fn inquiries_are_due_in_24_clock_hours() {
        let p = shipped();
        let rule = p.conclusion_rule(Kind::Inquiry, HandlingMode::Direct, Severity::General);
        assert_eq!(
            p.due(rule, at("2025-10-01T09:00:00+08:00"), &cn(), beijing()),
            at("2025-10-02T09:00:00+08:00")
        );
    }

    #[test]
    fn working_hours_skip_nights_weekends_and_holidays() {
        let p = shipped();
        let rule = Rule::unfiltered(4, Unit::WorkingHours);
        // Tuesday 30 Sep 2025 16:30: one hour left that day, then the
        // Golden Week; the other three hours on Thursday 9 October.
        assert_eq!(
            p.due(&rule, at("2025-09-30T16:30:00+08:00"), &cn(), beijing()),
            at("2025-10-09T11:30:00+08:00")
        );
        // Before opening time counts from opening.
        assert_eq!(
            p.due(&rule, at("2025-09-29T06:00:00+08:00"), &cn(), beijing()),
            at("2025-09-29T12:30:00+08:00")
        );
        // The make-up Saturday 11 October is a working day.
        assert_eq!(
            p.due(&rule, at("2025-10-10T17:00:00+08:00"), &cn(), beijing()),
            at("2025-10-11T12:00:00+08:00")
        );
    }

    #[test]
    fn callbacks_are_due_two_days_after_conclusion() {
        let p = shipped();
        assert_eq!(p.callback.describe(), "default: 2 calendar days");
        let due = p.due(
            &p.callback,
            at("2025-09-30T10:00:00+08:00"),
            &cn(),
            beijing(),
        );
        assert_eq!(
            due,
            at("2025-10-02T23:59:59+08:00"),
            "calendar days, holidays included"
        );
    }

    #[test]
    fn acceptance_is_decided_within_five_working_days() {
        let p = shipped();
        // Received on 30 September 2025: 9, 10, 11 (make-up), 13, 14 October.
        let due = p.due(
            &p.acceptance,
            at("2025-09-30T15:00:00+08:00"),
            &cn(),
            beijing(),
        );
        assert_eq!(due, at("2025-10-14T23:59:59+08:00"));
    }

    #[test]
    fn return_window_and_extension_cap_are_policy() {
        let p = shipped();
        assert_eq!(p.return_window, Duration::minutes(30));
        assert_eq!(p.extension_cap_working_days, 30);
    }

    #[test]
    fn contact_intervals_follow_severity() {
        let p = shipped();
        assert_eq!(p.contact_interval(Severity::General), Duration::days(3));
        assert_eq!(p.contact_interval(Severity::Major), Duration::days(1));
    }

    #[test]
    fn policies_need_a_catch_all_and_known_names() {
        let no_default = "[office_hours]\nstart='08:30'\nend='17:30'\n[acceptance]\namount=5\nunit='working_days'\n[return_window]\namount=30\nunit='minutes'\n[extension]\ncap_working_days=30\n[[conclusion]]\nmode='direct'\namount=1\nunit='hours'\n[contact]\ngeneral_days=3\nmajor_days=1\n[callback]\namount=2\nunit='calendar_days'\n[supervision]\nwarning_share=0.2\nwarning_lead={amount=24,unit='hours'}\nescalation_interval={amount=1,unit='working_days'}\nwarn=['conclusion']\nescalate=['conclusion']\n";
        assert!(Policy::parse(no_default)
            .unwrap_err()
            .contains("last conclusion rule"));
        let bad_mode = "[office_hours]\nstart='08:30'\nend='17:30'\n[acceptance]\namount=5\nunit='working_days'\n[return_window]\namount=30\nunit='minutes'\n[extension]\ncap_working_days=30\n[[conclusion]]\nmode='sideways'\namount=1\nunit='hours'\n[[conclusion]]\namount=1\nunit='hours'\n[contact]\ngeneral_days=3\nmajor_days=1\n[callback]\namount=2\nunit='calendar_days'\n[supervision]\nwarning_share=0.2\nwarning_lead={amount=24,unit='hours'}\nescalation_interval={amount=1,unit='working_days'}\nwarn=['conclusion']\nescalate=['conclusion']\n";
        assert!(Policy::parse(bad_mode)
            .unwrap_err()
            .contains("\"sideways\""));
    }

    #[test]
    fn deadlines_from_the_edges_of_time_stay_in_range() {
        // Found by fuzzing (deadline_policy, calendar_file): a start in the
        // first or last hours of chrono's range, which a work order or step
        // may carry, panicked ("Local time out of range for
        // `NaiveDateTime`", "`DateTime + TimeDelta` overflowed").
        let p = shipped();
        let (first, last) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        for unit in [
            Unit::Seconds,
            Unit::Minutes,
            Unit::Hours,
            Unit::WorkingHours,
            Unit::CalendarDays,
            Unit::WorkingDays,
        ] {
            let rule = Rule::unfiltered(30, unit);
            for offset in [beijing(), FixedOffset::west_opt(5 * 3600).expect("offset")] {
                let due = p.due(&rule, last, &cn(), offset);
                assert!(due > last - Duration::days(1), "{unit:?} {offset}: {due}");
                let due = p.due(&rule, first, &cn(), offset);
                assert!(due > first, "{unit:?} {offset}: {due}");
            }
        }
        // Nothing lies before the first instant: the warning is at the start.
        assert_eq!(p.supervision.warn_at(first, first), first);
    }

    #[test]
    fn amounts_longer_than_ten_years_are_refused() {
        // Found by fuzzing (deadline_policy, a timeout): a conclusion rule
        // of 150005908 working days took seconds per deadline, counting day
        // by day to the end of chrono's range.
        let shipped = include_str!("../../../deploy/policy/deadlines.toml");
        let huge = shipped.replacen(
            "amount = 5\nunit = \"working_days\"",
            "amount = 150005908\nunit = \"working_days\"",
            1,
        );
        assert_ne!(huge, shipped);
        let err = Policy::parse(&huge).unwrap_err();
        assert!(err.contains("more than ten years"), "{err}");
        let longest = shipped.replacen(
            "amount = 5\nunit = \"working_days\"",
            "amount = 3660\nunit = \"working_days\"",
            1,
        );
        assert!(Policy::parse(&longest).is_ok());
        let huge = shipped.replacen("general_days = 3", "general_days = 4000", 1);
        assert!(Policy::parse(&huge)
            .unwrap_err()
            .contains("contact.general_days"));
    }
}
