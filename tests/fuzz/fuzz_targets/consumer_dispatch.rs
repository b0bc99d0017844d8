//! dispatch's consumers: `CaseRouted` (work orders), `DeadlineAlert`
//! (alerts), `CaseNotAccepted` (nudges) and `ReviewRequested` (reviews),
//! each up to where it needs the database. The first byte picks the
//! consumer, the rest is the payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_dispatch::{alerts, links, reviews, routed};

#[derive(Clone, Copy)]
enum Consumer {
    Routed,
    Alerts,
    Nudges,
    Reviews,
}

const CONSUMERS: [Consumer; 4] = [
    Consumer::Routed,
    Consumer::Alerts,
    Consumer::Nudges,
    Consumer::Reviews,
];

fuzz_target!(|data: &[u8]| {
    let Some(network) = mesh_fuzz::network() else {
        return;
    };
    let Some((consumer, payload)) = mesh_fuzz::choose(&CONSUMERS, data) else {
        return;
    };
    match consumer {
        Consumer::Routed => {
            let _ = routed::parse(network, payload);
        }
        Consumer::Alerts => {
            let _ = alerts::parse(network.offset, payload);
        }
        Consumer::Nudges => {
            let _ = links::parse_nudge(payload);
        }
        Consumer::Reviews => {
            let _ = reviews::parse(payload);
        }
    }
});
