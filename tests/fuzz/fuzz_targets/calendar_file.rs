//! The working-day calendar loader (`WorkCalendar::parse`), and the
//! counting every deadline does with a calendar it accepted: working days
//! added, the next working day, and a conclusion deadline and extension
//! under the shipped policy.
#![no_main]

use chrono::{NaiveDate, Utc};
use complaints_proto::v1::{HandlingMode, Kind, Severity};
use libfuzzer_sys::fuzz_target;
use mesh_deadline_watcher::calendar::WorkCalendar;
use mesh_deadline_watcher::deadlines::Deadlines;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(calendar) = WorkCalendar::parse(text) else {
        return;
    };
    let days = [
        Utc::now().date_naive(),
        NaiveDate::from_ymd_opt(2025, 9, 30).unwrap_or_default(),
        NaiveDate::MIN,
        NaiveDate::MAX,
    ];
    for day in days {
        let _ = calendar.is_working_day(day);
        let _ = calendar.next_working_day_from(day);
        for n in [0, 1, 10, 30] {
            let _ = calendar.add_working_days(day, n);
        }
    }
    let Some(shipped) = mesh_fuzz::deadlines() else {
        return;
    };
    let d = Deadlines {
        calendar,
        ..shipped.clone()
    };
    for start in mesh_fuzz::instants(1_759_200_000) {
        let due = d.conclusion(
            Kind::Complaint,
            HandlingMode::Assigned,
            Severity::Major,
            start,
        );
        let _ = d.shift(due.at, 30);
    }
});
