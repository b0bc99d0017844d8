//! triage's consumers: `CaseRegistered` (the triage handler: decode,
//! classify, route, accept or not, and the pure duplicate, link and
//! incident checks it then runs against the case's own matter) and
//! `WorkflowStep` (the steps follower). The first byte picks the
//! consumer, the rest is the payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_triage::duplicates::is_duplicate;
use mesh_triage::incidents::{group, Recent};
use mesh_triage::links::{link, Earlier};

#[derive(Clone, Copy)]
enum Consumer {
    Registered,
    Steps,
}

fuzz_target!(|data: &[u8]| {
    let (Some(network), Some(rules)) = (mesh_fuzz::network(), mesh_fuzz::rules()) else {
        return;
    };
    let Some((consumer, payload)) =
        mesh_fuzz::choose(&[Consumer::Registered, Consumer::Steps], data)
    else {
        return;
    };
    match consumer {
        Consumer::Registered => {
            let Ok(a) = mesh_triage::handler::assess(rules, network, payload) else {
                return;
            };
            // What the handler asks next, with the database's answers
            // standing in: the same matter seen before, in every state.
            let _ = is_duplicate(&a.matter, &a.matter, &rules.duplicates);
            for (state, dissatisfied) in [
                ("in_progress", false),
                ("concluded", true),
                ("closed", false),
            ] {
                let earlier = Earlier {
                    case_id: a.case_id,
                    case_number: a.case_number.clone(),
                    matter: a.matter.clone(),
                    state: state.into(),
                    holder: a.decision.department.clone(),
                    concluded_by: a.decision.department.clone(),
                    result: a.case.request.clone(),
                    dissatisfied,
                };
                if let Some(l) = link(
                    network,
                    &rules.duplicates,
                    &a.features,
                    std::slice::from_ref(&earlier),
                ) {
                    let _ = mesh_triage::acceptance::earlier_case(
                        &rules.acceptance.replies,
                        &a.case_number,
                        &earlier,
                        matches!(l, mesh_triage::links::Link::InProgress(_)),
                    );
                }
            }
            let recent = Recent {
                case_id: a.case_id,
                case_number: a.case_number.clone(),
                matter: a.matter.clone(),
                holder: a.decision.department.clone(),
                open: true,
                incident: None,
                leads: false,
            };
            let _ = group(&rules.incidents, &a.features, &[recent.clone(), recent]);
        }
        Consumer::Steps => {
            let _ = mesh_triage::steps::parse(payload);
        }
    }
});
