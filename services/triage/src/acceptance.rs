//! The acceptance decision (受理, 002 第十六条): whether a registered
//! complaint is accepted, and if not, why (reasons A–E of DOMAIN.md §2) and
//! what to answer the complainant, from zh-CN templates in the rules.
//!
//! Decided here from the complaint itself: C (in litigation, arbitration
//! or administrative review), D (too vague to check), E (outside the
//! network's remit, with where to go). A (the same matter in progress) and
//! B (concluded) come from the duplicate check ([`crate::links`]), with
//! their replies from [`earlier_case`].

use complaints_proto::v1::CaseRegistered;
use serde::Deserialize;

/// Where to send what the network does not handle.
#[derive(Debug, Clone, Deserialize)]
pub struct OutsideRule {
    pub keywords: Vec<String>,
    pub refer_to: String,
}

/// zh-CN reply templates. `{case_number}` is this complaint's number;
/// `{refer_to}` where to go (E); `{linked_case_number}` the earlier case on
/// the same matter and `{result}` its conclusion (A, B).
#[derive(Debug, Clone, Deserialize)]
pub struct Replies {
    pub in_progress: String,
    pub concluded: String,
    pub litigation: String,
    pub vague: String,
    pub outside: String,
}

impl Default for Replies {
    fn default() -> Self {
        Self {
            in_progress: "您反映的事项已在办理中（案件编号{linked_case_number}），我们已督促承办单位加快办理，请耐心等待。本次来电编号{case_number}。".into(),
            concluded: "您反映的事项已办结（案件编号{linked_case_number}），办理结果：{result}。如对结果不满意，可凭查询码申请复核。本次来电编号{case_number}。".into(),
            litigation: "您反映的事项已进入诉讼、仲裁或行政复议程序，依规定不予受理。案件编号{case_number}。".into(),
            vague: "您反映的内容不够具体，无法核实，请补充后再次反映。案件编号{case_number}。".into(),
            outside: "您反映的事项不属于本热线受理范围，建议您向{refer_to}反映。案件编号{case_number}。".into(),
        }
    }
}

/// The acceptance rules (`[acceptance]` in the rules file).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AcceptanceRules {
    /// Facts shorter than this (letters and digits only) that name no
    /// category of the taxonomy are too vague to check (D).
    #[serde(default)]
    pub min_facts_chars: usize,
    /// Words meaning the matter is in litigation, arbitration or review (C).
    #[serde(default)]
    pub litigation_keywords: Vec<String>,
    /// Matters outside the remit (E), each with where to go.
    #[serde(default)]
    pub outside: Vec<OutsideRule>,
    #[serde(default)]
    pub replies: Replies,
}

/// A complaint that is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAccepted {
    /// "A" to "E".
    pub reason: &'static str,
    /// The reply to the complainant.
    pub reply: String,
    /// The rule that decided.
    pub detail: String,
}

fn fill(template: &str, case_number: &str, refer_to: &str) -> String {
    fill_all(
        template,
        &[("{case_number}", case_number), ("{refer_to}", refer_to)],
    )
}

fn fill_all(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (key, value)| {
            text.replace(key, value)
        })
}

/// Not accepted because of the complainant's earlier case on the same
/// matter: A when it is still being handled (the complainant is told its
/// number; the holder is nudged), B when it was concluded (they are told the
/// result).
pub fn earlier_case(
    replies: &Replies,
    case_number: &str,
    earlier: &crate::links::Earlier,
    in_progress: bool,
) -> NotAccepted {
    let values = [
        ("{case_number}", case_number),
        ("{linked_case_number}", earlier.case_number.as_str()),
        ("{result}", earlier.result.as_str()),
        ("{refer_to}", ""),
    ];
    if in_progress {
        NotAccepted {
            reason: "A",
            reply: fill_all(&replies.in_progress, &values),
            detail: format!(
                "A: the same matter is in progress as {} at {}; linked, and the holder nudged",
                earlier.case_number, earlier.holder
            ),
        }
    } else {
        NotAccepted {
            reason: "B",
            reply: fill_all(&replies.concluded, &values),
            detail: format!(
                "B: the same matter was concluded as {} by {}; linked, and the result given",
                earlier.case_number, earlier.concluded_by
            ),
        }
    }
}

/// Whether the complaint is accepted: `None` if it is, else why not.
/// `names_a_topic`: the text names a category of the taxonomy (暖气, 停水…).
pub fn decide(
    rules: &AcceptanceRules,
    case: &CaseRegistered,
    names_a_topic: bool,
) -> Option<NotAccepted> {
    let number = case
        .header
        .as_ref()
        .map(|h| h.case_number.as_str())
        .unwrap_or_default();
    let text = format!("{}\n{}", case.summary, case.request);
    if let Some(word) = rules
        .litigation_keywords
        .iter()
        .find(|k| text.contains(k.as_str()))
    {
        return Some(NotAccepted {
            reason: "C",
            reply: fill(&rules.replies.litigation, number, ""),
            detail: format!("C: in litigation, arbitration or review (keyword {word:?})"),
        });
    }
    let checkable = case.summary.chars().filter(|c| c.is_alphanumeric()).count();
    if checkable < rules.min_facts_chars && !names_a_topic {
        return Some(NotAccepted {
            reason: "D",
            reply: fill(&rules.replies.vague, number, ""),
            detail: format!(
                "D: too vague to check ({checkable} characters of facts naming no topic, at least {})",
                rules.min_facts_chars
            ),
        });
    }
    for rule in &rules.outside {
        if let Some(word) = rule.keywords.iter().find(|k| text.contains(k.as_str())) {
            return Some(NotAccepted {
                reason: "E",
                reply: fill(&rules.replies.outside, number, &rule.refer_to),
                detail: format!(
                    "E: outside the remit (keyword {word:?}); referred to {}",
                    rule.refer_to
                ),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use complaints_proto::v1::EventHeader;

    fn rules() -> AcceptanceRules {
        AcceptanceRules {
            min_facts_chars: 6,
            litigation_keywords: vec!["仲裁".into(), "已起诉".into()],
            outside: vec![OutsideRule {
                keywords: vec!["信用卡".into()],
                refer_to: "人民银行".into(),
            }],
            replies: Replies::default(),
        }
    }

    fn case(facts: &str) -> CaseRegistered {
        CaseRegistered {
            header: Some(EventHeader {
                case_number: "2026-11-000009".into(),
                ..Default::default()
            }),
            summary: facts.into(),
            ..Default::default()
        }
    }

    #[test]
    fn short_but_naming_a_topic_is_accepted() {
        assert_eq!(decide(&rules(), &case("暖气冰凉"), true), None);
    }

    #[test]
    fn reasons_c_d_e_and_acceptance() {
        let r = rules();
        let c = decide(
            &r,
            &case("物业费纠纷我已起诉到法院了，还要求你们处理"),
            true,
        )
        .expect("C");
        assert_eq!(c.reason, "C");
        assert!(c.reply.contains("2026-11-000009"));
        assert_eq!(
            decide(&r, &case("你们管管！"), false).map(|n| n.reason),
            Some("D")
        );
        let e = decide(&r, &case("银行信用卡乱扣年费，客服不理"), false).expect("E");
        assert_eq!(e.reason, "E");
        assert!(e.reply.contains("人民银行"), "{}", e.reply);
        assert_eq!(
            decide(&r, &case("阳光小区3号楼暖气不热已经三天了"), true),
            None
        );
    }
}
