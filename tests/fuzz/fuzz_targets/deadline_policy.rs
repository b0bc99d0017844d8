//! The deadline policy loader (`Policy::parse`), and every rule of a
//! policy it accepted at work under the shipped calendar: due instants
//! from several starts, the warning instant, contact intervals.
#![no_main]

use complaints_proto::v1::{HandlingMode, Kind, Severity};
use libfuzzer_sys::fuzz_target;
use mesh_deadline_watcher::policy::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::parse(text) else {
        return;
    };
    let Some(calendar) = mesh_fuzz::calendar() else {
        return;
    };
    let offset = mesh_fuzz::offset();
    let rules = policy.conclusion.iter().chain(&policy.report).chain([
        &policy.callback,
        &policy.acceptance,
        &policy.supervision.escalation_interval,
    ]);
    for rule in rules {
        let _ = rule.describe();
        for start in mesh_fuzz::instants(1_759_200_000) {
            let due = policy.due(rule, start, calendar, offset);
            let _ = policy.supervision.warn_at(start, due);
        }
    }
    for severity in [Severity::General, Severity::Major] {
        let _ = policy.contact_interval(severity);
        let _ = policy.conclusion_rule(Kind::Complaint, HandlingMode::Assigned, severity);
        let _ = policy.report_rule(Kind::Complaint, HandlingMode::Assigned, severity);
    }
});
