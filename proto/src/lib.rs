//! The wire contract of the complaint-routing mesh: protobuf messages of
//! package `complaints.v1` and the gRPC clients and servers generated from
//! them. The `.proto` files beside this crate are the source of truth.

/// Messages and services of `complaints.v1`.
pub mod v1 {
    #![allow(clippy::all)]
    tonic::include_proto!("complaints.v1");
}

/// Encoded `FileDescriptorSet` of every `.proto` file, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/complaints_descriptor.bin"));

/// Short, lowercase names of the enums, for people, logs and reports:
/// `KIND_FAULT_REPORT` → `fault_report`, `HANDLING_MODE_ASSIGNED` →
/// `assigned`. Rules files use the same names.
pub trait Label: Sized {
    fn label(&self) -> String;
    /// The value a label names; `None` for anything else.
    fn from_label(label: &str) -> Option<Self>;
}

macro_rules! label {
    ($($t:ty => $prefix:literal),* $(,)?) => {
        $(impl Label for $t {
            fn label(&self) -> String {
                self.as_str_name().trim_start_matches($prefix).to_lowercase()
            }
            fn from_label(label: &str) -> Option<Self> {
                // ASCII only: `to_uppercase` maps lookalikes (ſ, ı) onto
                // the letters of a name, so "ſatisfied" was "satisfied".
                if label.is_empty()
                    || !label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    return None;
                }
                Self::from_str_name(&format!("{}{}", $prefix, label.to_uppercase()))
            }
        })*
    };
}

label!(
    v1::Channel => "CHANNEL_",
    v1::Kind => "KIND_",
    v1::Severity => "SEVERITY_",
    v1::HandlingMode => "HANDLING_MODE_",
    v1::DeadlineKind => "DEADLINE_KIND_",
    v1::Satisfaction => "SATISFACTION_",
    v1::Handover => "HANDOVER_",
    v1::AlertStage => "ALERT_STAGE_",
    v1::ReportPeriod => "REPORT_PERIOD_",
);

/// The label of an enum field's raw value, `unknown(7)` for a value this
/// build does not know.
pub fn label_of<E: Label + TryFrom<i32>>(value: i32) -> String {
    E::try_from(value)
        .map(|e| e.label())
        .unwrap_or_else(|_| format!("unknown({value})"))
}

impl v1::Report {
    /// A headline figure by name (`registered`, `overdue`…); 0 when absent.
    pub fn figure(&self, name: &str) -> u64 {
        self.figures
            .iter()
            .find(|f| f.name == name)
            .map_or(0, |f| f.value)
    }
}

/// Whether `s` has the shape of a case number, `YYYY-MM-NNNNNN` (the month
/// of receipt and a counter of at least six digits).
pub fn is_case_number(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    matches!(parts.as_slice(), [y, m, n]
        if y.len() == 4 && m.len() == 2 && n.len() >= 6
            && [y, m, n].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())))
}

/// A deadline alert in one line for people, with times in `offset`:
/// `overdue: conclusion deadline 2026-12-04 23:59 +08:00 passed; notice to
/// east-heat (刘主任)`.
pub fn alert_summary(alert: &v1::DeadlineAlert, offset: chrono::FixedOffset) -> String {
    use v1::{AlertStage, DeadlineKind};
    let kind = label_of::<DeadlineKind>(alert.deadline_kind);
    let due = alert
        .due_at
        .as_ref()
        .and_then(|t| {
            use chrono::TimeZone;
            offset
                .timestamp_opt(t.seconds, u32::try_from(t.nanos).unwrap_or(0))
                .single()
        })
        .map(|d| d.format("%Y-%m-%d %H:%M %:z").to_string())
        .unwrap_or_default();
    let who = if alert.notified_head.is_empty() {
        alert.notified.clone()
    } else {
        format!("{} ({})", alert.notified, alert.notified_head)
    };
    match AlertStage::try_from(alert.stage) {
        Ok(AlertStage::Warning) => {
            format!("warning: {kind} deadline {due} is near; {who} reminded")
        }
        Ok(AlertStage::Overdue) => {
            format!("overdue: {kind} deadline {due} passed; supervision notice to {who}")
        }
        Ok(AlertStage::Escalated) => format!(
            "escalated (level {}): {kind} deadline {due} of {} still overdue; reported to {who}",
            alert.level, alert.department
        ),
        Ok(stage) => format!("{}: {kind} deadline {due}", stage.label()),
        Err(_) => format!("alert: {kind} deadline {due}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_drop_the_prefix() {
        assert_eq!(v1::Kind::FaultReport.label(), "fault_report");
        assert_eq!(v1::HandlingMode::Assigned.label(), "assigned");
        assert_eq!(label_of::<v1::Channel>(6), "walk_in");
        assert_eq!(label_of::<v1::Severity>(42), "unknown(42)");
        assert_eq!(
            v1::Satisfaction::from_label("basically_satisfied"),
            Some(v1::Satisfaction::BasicallySatisfied)
        );
        assert_eq!(v1::Satisfaction::from_label("SATISFIED"), None);
        assert_eq!(v1::Satisfaction::from_label(""), None);
    }

    #[test]
    fn labels_are_read_back_only_as_written() {
        // Found with the labels fuzz target's round trip (by running it on
        // these; 65 million fuzzed inputs never hit them): the long s and
        // the dotless i are lowercase, and upper-case to S and I, so
        // "ſatisfied" read as satisfied and came back as "satisfied".
        assert_eq!(v1::Satisfaction::from_label("ſatisfied"), None);
        assert_eq!(v1::Kind::from_label("ınquiry"), None);
        assert_eq!(v1::Kind::from_label("inquiry"), Some(v1::Kind::Inquiry));
    }
}
