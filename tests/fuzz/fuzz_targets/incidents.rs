//! triage's batch incidents: `group` of a new matter with recent cases.
//! Fields are separated by 0xFF: the new matter's facts, then the facts of
//! each recent case (the same region and category, as the database gives
//! them); the first recent case leads an open incident, every third
//! belongs to it, the others are loose.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_triage::duplicates::{Features, Matter};
use mesh_triage::incidents::{group, IncidentSettings, Recent};
use uuid::Uuid;

fn matter(facts: &[u8]) -> Matter {
    Matter {
        facts: String::from_utf8_lossy(facts).into_owned(),
        request: String::new(),
        respondent: String::new(),
        region: "east".into(),
        category: "heating".into(),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == mesh_fuzz::SEPARATOR);
    let Some(new) = parts.next().map(|facts| Features::of(&matter(facts))) else {
        return;
    };
    let incident = Uuid::from_u128(1);
    let recent: Vec<Recent> = parts
        .take(64)
        .enumerate()
        .map(|(i, facts)| Recent {
            case_id: Uuid::from_u128(i as u128 + 2),
            case_number: format!("2026-11-{:06}", i + 1),
            matter: matter(facts),
            holder: "east-heat".into(),
            open: i % 5 != 4,
            incident: (i % 3 == 0).then_some(incident),
            leads: i == 0,
        })
        .collect();
    let mut settings = IncidentSettings::default();
    let _ = group(&settings, &new, &recent);
    let loose: Vec<Recent> = recent
        .into_iter()
        .map(|r| Recent {
            incident: None,
            ..r
        })
        .collect();
    let _ = group(&settings, &new, &loose);
    settings.min_complaints = 2;
    settings.similarity = 0.0;
    let _ = group(&settings, &new, &loose);
});
