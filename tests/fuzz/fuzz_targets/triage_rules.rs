//! The triage rules loader (`mesh_triage::rules::Rules::parse`, checked
//! against the network of the same file, or the sample network when the
//! input is no network), and the rules at work: a registered case decided
//! under them, from its payload to the look-back of the duplicate and
//! incident checks.
#![no_main]

use chrono::Utc;
use complaints_proto::v1::{CaseRegistered, Channel, EventHeader};
use libfuzzer_sys::fuzz_target;
use mesh_kit::network::Network;
use mesh_kit::time::to_proto;
use mesh_triage::duplicates::is_duplicate;
use mesh_triage::rules::Rules;
use prost::Message;

fn case(summary: &str, region: &str, respondent: &str) -> Vec<u8> {
    CaseRegistered {
        header: Some(EventHeader {
            event_id: "0196a4d8-0000-7000-8000-000000000001".into(),
            case_id: "0196a4d8-0000-7000-8000-000000000002".into(),
            case_number: "2026-11-000001".into(),
            at: Some(to_proto(Utc::now())),
        }),
        channel: Channel::Phone as i32,
        received_at: Some(to_proto(Utc::now())),
        region: region.into(),
        summary: summary.into(),
        request: "尽快处理".into(),
        respondent: respondent.into(),
        complainant_key: "k".into(),
        ..Default::default()
    }
    .encode_to_vec()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let own = Network::parse(text).ok();
    let Some(network) = own.as_ref().or(mesh_fuzz::network()) else {
        return;
    };
    let Ok(rules) = Rules::parse(text, network) else {
        return;
    };
    let region = network
        .regions()
        .next()
        .map(|r| r.code.clone())
        .unwrap_or_default();
    let respondent = network
        .departments()
        .last()
        .map(|d| d.name.clone())
        .unwrap_or_default();
    for summary in ["阳光小区3号楼暖气不热，损失5万元", "请问", ""] {
        let payload = case(summary, &region, &respondent);
        if let Ok(a) = mesh_triage::handler::assess(&rules, network, &payload) {
            let _ = is_duplicate(&a.matter, &a.matter, &rules.duplicates);
        }
    }
    for category in rules
        .categories
        .iter()
        .map(|c| c.code.as_str())
        .chain(["*", ""])
    {
        let _ = rules.route(category, &region);
    }
});
