//! The deadline-watcher's consumer of dispatch's work orders and workflow
//! steps: the timers a payload sets (`orders::plan`), and the supervision
//! plan each new timer gets and fires (`supervision::first_plan`, `fire`).
//! The first byte picks the subject, the rest is the payload.
#![no_main]

use chrono::Utc;
use libfuzzer_sys::fuzz_target;
use mesh_deadline_watcher::orders::plan;
use mesh_deadline_watcher::supervision::{fire, first_plan};

const SUBJECTS: [&str; 3] = [
    "dispatch.v1.orders.east-heat",
    "dispatch.v1.steps.concluded",
    "dispatch.v1.something_new",
];

fuzz_target!(|data: &[u8]| {
    let (Some(d), Some(network)) = (mesh_fuzz::deadlines(), mesh_fuzz::network()) else {
        return;
    };
    let Some((subject, payload)) = mesh_fuzz::choose(&SUBJECTS, data) else {
        return;
    };
    let Ok(Some(planned)) = plan(d, subject, payload) else {
        return;
    };
    let now = Utc::now();
    for timer in &planned.timers {
        let Some(due) = timer.due_at else { continue };
        let mut step = Some(first_plan(d, timer.kind, timer.started_at, due, now));
        // Warning, overdue, then escalations up the tree to the centre.
        for _ in 0..8 {
            let Some(p) = step else { break };
            step = fire(d, network, timer.kind, &timer.department, p, due).1;
        }
    }
});
