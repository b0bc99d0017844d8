//! reporting's request dates: a day as `GetReport` and `GetCounts` read
//! it (`YYYY-MM-DD`, any year chrono parses, and the shared check
//! `mesh_kit::input::day`), the period a report covers and the one before
//! it (`period_range`, `previous`, `last_complete`) for every period, and
//! the report for that date built (from empty in-memory rollups) and
//! rendered as CSV and HTML, as `GetReport` and `GetReportDocument` do.
#![no_main]

use chrono::NaiveDate;
use complaints_proto::v1::ReportPeriod;
use libfuzzer_sys::fuzz_target;
use mesh_reporting::memory::Memory;
use mesh_reporting::render;
use mesh_reporting::report::{build, last_complete, period_range, previous};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

const PERIODS: [ReportPeriod; 5] = [
    ReportPeriod::Unspecified,
    ReportPeriod::Weekly,
    ReportPeriod::Monthly,
    ReportPeriod::Quarterly,
    ReportPeriod::Annual,
];

/// Runs a future that never waits (the in-memory rollups answer at once).
fn now<F: Future>(f: F) -> Option<F::Output> {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = mesh_kit::input::day("date", text);
    let Ok(date) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") else {
        return;
    };
    let Some(network) = mesh_fuzz::network() else {
        return;
    };
    let memory = Memory::default();
    for period in PERIODS {
        let (from, _) = period_range(period, date);
        let _ = previous(period, from);
        let _ = last_complete(period, date);
        if let Some(Ok(report)) = now(build(&memory, network, period, date, None)) {
            let _ = render::csv(&report);
            let _ = render::html(&report, &network.jurisdiction.name);
        }
    }
});
