//! reporting's consumers (one durable consumer each on INTAKE, TRIAGE,
//! DISPATCH and DEADLINE): `fold`, what an event adds to the rollups, and
//! the in-memory rollups that apply it. The first byte picks the subject,
//! the rest is the payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_kit::events;
use mesh_reporting::fold::fold;
use mesh_reporting::memory::Memory;

const SUBJECTS: [&str; 8] = [
    events::intake::CASE_REGISTERED,
    events::triage::CASE_ROUTED,
    events::triage::CASE_NOT_ACCEPTED,
    "dispatch.v1.orders.east-heat",
    "dispatch.v1.steps.concluded",
    "deadline.v1.alerts.overdue.east-heat",
    "deadline.v1.alerts.escalated.centre",
    "triage.v1.something_new",
];

fuzz_target!(|data: &[u8]| {
    let Some((subject, payload)) = mesh_fuzz::choose(&SUBJECTS, data) else {
        return;
    };
    if let Ok(folded) = fold(subject, payload, mesh_fuzz::offset()) {
        Memory::default().apply(&folded);
    }
});
