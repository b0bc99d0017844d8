//! triage's classification of a complaint's text under the sample rules
//! (`decide`: kind, category, severity by keywords and amounts, route,
//! recusal) and its helpers `largest_amount` and `respondent_department`.
//! Fields are separated by 0xFF: summary, request, respondent, region,
//! category hint.
#![no_main]

use complaints_proto::v1::CaseRegistered;
use libfuzzer_sys::fuzz_target;
use mesh_triage::decide::{decide, largest_amount, respondent_department};

fuzz_target!(|data: &[u8]| {
    let (Some(network), Some(rules)) = (mesh_fuzz::network(), mesh_fuzz::rules()) else {
        return;
    };
    let [summary, request, respondent, region, category_hint] = mesh_fuzz::fields::<5>(data);
    let _ = largest_amount(&summary);
    let _ = respondent_department(network, &respondent);
    let case = CaseRegistered {
        summary,
        request,
        respondent,
        region,
        category_hint,
        ..Default::default()
    };
    let _ = decide(rules, network, &case);
});
