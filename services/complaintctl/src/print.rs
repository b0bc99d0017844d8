//! Printing for people: times in the jurisdiction's local time, enum names
//! without prefixes, and output that ends quietly when its reader goes
//! away (`complaintctl show … | head`).

use chrono::{FixedOffset, TimeZone};
use complaints_proto::label_of;
use complaints_proto::v1::{Channel, EventHeader, HandlingMode, Kind, Severity, WorkOrder};
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

/// The case number an event's header names, `-` for none.
pub fn case_of(header: Option<&EventHeader>) -> &str {
    header.map_or("-", |h| h.case_number.as_str())
}

/// One work order, two lines.
pub fn order(o: &WorkOrder, offset: FixedOffset) -> String {
    let case = case_of(o.header.as_ref());
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

/// A work order after a step, or as shown by `order`.
pub fn order_view(o: &complaints_proto::v1::Order, offset: FixedOffset) -> String {
    use std::fmt::Write;
    let w = o.order.clone().unwrap_or_default();
    let case = case_of(w.header.as_ref());
    let mut out = String::new();
    let _ = writeln!(out, "case {case}  order {}  [{}]", w.order_id, o.state);
    let _ = writeln!(out, "  holder      {}  ({})", w.holder, mode(w.mode));
    if !w.co_handlers.is_empty() {
        let _ = writeln!(out, "  co-handlers {}", w.co_handlers.join(", "));
    }
    let _ = writeln!(
        out,
        "  due         {}  ({})",
        time(w.due_at.as_ref(), offset),
        w.deadline_rule
    );
    if !o.alert_stage.is_empty() {
        let level = if o.alert_level > 0 {
            format!(" (level {})", o.alert_level)
        } else {
            String::new()
        };
        let _ = writeln!(out, "  alert       {}{level}", o.alert_stage.to_uppercase());
    }
    if o.pending_extension_days > 0 {
        let _ = writeln!(
            out,
            "  extension   {} working days asked, waiting for the centre",
            o.pending_extension_days
        );
    }
    if o.extended_working_days > 0 {
        let _ = writeln!(
            out,
            "  extended    {} working days",
            o.extended_working_days
        );
    }
    if o.last_contact_at.is_some() {
        let _ = writeln!(
            out,
            "  contacted   {}",
            time(o.last_contact_at.as_ref(), offset)
        );
    }
    if o.return_count > 0 || o.reopen_count > 0 {
        let _ = writeln!(
            out,
            "  returned {} time(s), reopened {} time(s)",
            o.return_count, o.reopen_count
        );
    }
    if let Some(c) = &o.conclusion {
        let _ = writeln!(
            out,
            "  conclusion  {} — {} ({} {})",
            c.facts_found, c.answer, c.handler, c.handler_phone
        );
    }
    if o.satisfaction != 0 {
        let _ = writeln!(
            out,
            "  callback    {}",
            complaints_proto::label_of::<complaints_proto::v1::Satisfaction>(o.satisfaction)
        );
    }
    if !o.history.is_empty() {
        let _ = writeln!(out, "history:");
        for h in &o.history {
            let _ = writeln!(
                out,
                "  {}  {:<20} {:<14} → {:<12} {}",
                time(h.at.as_ref(), offset),
                h.step,
                h.actor,
                h.state,
                h.detail
            );
        }
    }
    out
}
