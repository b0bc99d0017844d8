//! triage's acceptance decision and its reply templates: the sample
//! rules with arbitrary templates, keywords and complaint. Fields are
//! separated by 0xFF: the five templates (in progress, concluded,
//! litigation, vague, outside), the case number, the earlier case number,
//! its result, where to refer to, a keyword, the summary and the request.
#![no_main]

use complaints_proto::v1::{CaseRegistered, EventHeader};
use libfuzzer_sys::fuzz_target;
use mesh_triage::acceptance::{decide, earlier_case, OutsideRule, Replies};
use mesh_triage::links::Earlier;

fuzz_target!(|data: &[u8]| {
    let Some(shipped) = mesh_fuzz::rules() else {
        return;
    };
    let [in_progress, concluded, litigation, vague, outside, number, linked, result, refer_to, keyword, summary, request] =
        mesh_fuzz::fields::<12>(data);
    let mut rules = shipped.acceptance.clone();
    rules.replies = Replies {
        in_progress,
        concluded,
        litigation,
        vague,
        outside,
    };
    rules.outside.push(OutsideRule {
        keywords: vec![keyword.clone()],
        refer_to,
    });
    rules.litigation_keywords.push(keyword);
    let case = CaseRegistered {
        header: Some(EventHeader {
            case_number: number.clone(),
            ..Default::default()
        }),
        summary,
        request,
        ..Default::default()
    };
    for names_a_topic in [false, true] {
        let _ = decide(&rules, &case, names_a_topic);
        let _ = decide(&shipped.acceptance, &case, names_a_topic);
    }
    let earlier = Earlier {
        case_id: uuid::Uuid::nil(),
        case_number: linked,
        matter: mesh_triage::duplicates::Matter {
            facts: case.summary.clone(),
            request: case.request.clone(),
            respondent: String::new(),
            region: String::new(),
            category: String::new(),
        },
        state: "concluded".into(),
        holder: String::new(),
        concluded_by: String::new(),
        result,
        dissatisfied: false,
    };
    for in_progress in [false, true] {
        let _ = earlier_case(&rules.replies, &number, &earlier, in_progress);
    }
});
