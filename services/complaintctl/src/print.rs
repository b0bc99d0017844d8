//! Printing for people: times in the jurisdiction's local time, enum names
//! without prefixes, and output that ends quietly when its reader goes
//! away (`complaintctl show … | head`).

use chrono::{FixedOffset, TimeZone};
use complaints_proto::label_of;
use complaints_proto::v1::{Channel, HandlingMode, Kind, Severity, WorkOrder};
use std::io::Write;

/// Writes `text` to stdout. A closed pipe ends the program quietly.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(err) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write output: {err}");
        std::process::exit(1);
    }
}

/// An instant in local time of the jurisdiction.
pub fn time(ts: Option<&prost_types::Timestamp>, offset: FixedOffset) -> String {
    ts.and_then(|t| {
        offset
            .timestamp_opt(t.seconds, t.nanos.max(0) as u32)
            .single()
    })
    .map(|t| t.format("%Y-%m-%d %H:%M:%S %:z").to_string())
    .unwrap_or_else(|| "-".into())
}

pub fn kind(v: i32) -> String {
    label_of::<Kind>(v)
}
pub fn severity(v: i32) -> String {
    label_of::<Severity>(v)
}
pub fn mode(v: i32) -> String {
    label_of::<HandlingMode>(v)
}
pub fn channel(v: i32) -> String {
    label_of::<Channel>(v)
}

/// One work order, two lines.
pub fn order(o: &WorkOrder, offset: FixedOffset) -> String {
    let case = o
        .header
        .as_ref()
        .map(|h| h.case_number.as_str())
        .unwrap_or("-");
    format!(
        "{case}  order {}  → {}  {} / {} / {} / {}  due {}  ({})\n    {}\n",
        o.order_id,
        o.department,
        kind(o.kind),
        o.category,
        severity(o.severity),
        mode(o.mode),
        time(o.due_at.as_ref(), offset),
        o.deadline_rule,
        o.summary.replace('\n', " "),
    )
}
