//! The deadline rules of the jurisdiction in one value: policy, calendar
//! and local time, shared by the gRPC service and the consumer.

use crate::calendar::WorkCalendar;
use crate::policy::Policy;
use chrono::{DateTime, Datelike, FixedOffset, Utc};
use complaints_proto::v1::{HandlingMode, Kind, Severity};

/// A computed deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub at: DateTime<Utc>,
    /// The rule that applied, e.g. `transferred: 10 working days`.
    pub rule: String,
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
        let at = self.policy.due(rule, start, &self.calendar, self.offset);
        let year = at.with_timezone(&self.offset).year();
        if !self.calendar.covers(year) {
            tracing::warn!(year, calendar = %self.calendar.name, "calendar has no holidays for this year; counting weekends only");
        }
        Due {
            at,
            rule: rule.describe(),
        }
    }
}
