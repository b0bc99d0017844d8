//! Printing for people: local times, enum names without prefixes.

use chrono::{DateTime, Local, TimeZone};
use complaints_proto::v1::{Channel, HandlingMode, Kind, Severity, WorkOrder};

pub fn time(ts: Option<&prost_types::Timestamp>) -> String {
    ts.and_then(|t| Local.timestamp_opt(t.seconds, t.nanos.max(0) as u32).single())
        .map(|t: DateTime<Local>| t.format("%Y-%m-%d %H:%M:%S %:z").to_string())
        .unwrap_or_else(|| "-".into())
}

fn short<E: TryFrom<i32>>(value: i32, name: impl Fn(E) -> &'static str, prefix: &str) -> String {
    E::try_from(value)
        .map(|e| name(e).trim_start_matches(prefix).to_lowercase())
        .unwrap_or_else(|_| value.to_string())
}

pub fn kind(v: i32) -> String {
    short(v, |k: Kind| k.as_str_name(), "KIND_")
}
pub fn severity(v: i32) -> String {
    short(v, |s: Severity| s.as_str_name(), "SEVERITY_")
}
pub fn mode(v: i32) -> String {
    short(v, |m: HandlingMode| m.as_str_name(), "HANDLING_MODE_")
}
pub fn channel(v: i32) -> String {
    short(v, |c: Channel| c.as_str_name(), "CHANNEL_")
}

pub fn order(o: &WorkOrder) {
    let case = o.header.as_ref().map(|h| h.case_number.as_str()).unwrap_or("-");
    println!(
        "{case}  order {}  → {}  {} / {} / {} / {}  due {}  ({})",
        o.order_id,
        o.department,
        kind(o.kind),
        o.category,
        severity(o.severity),
        mode(o.mode),
        time(o.due_at.as_ref()),
        o.deadline_rule,
    );
    println!("    {}", o.summary.replace('\n', " "));
}
