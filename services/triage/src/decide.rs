//! The triage decision for one case: kind, category, severity, and where it
//! goes (department and handling mode), with the reasons for each, so the
//! timeline and an auditor can see why.

use crate::duplicates::text;
use crate::rules::Rules;
use complaints_proto::v1::{CaseRegistered, HandlingMode, Kind, Severity};
use mesh_kit::network::Network;

/// What triage decided about a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub kind: Kind,
    pub category: String,
    pub severity: Severity,
    pub department: String,
    pub mode: HandlingMode,
    pub reasons: Vec<String>,
    /// The complainant's facts or request (not the respondent's name) name
    /// a category of the taxonomy by one of its keywords (acceptance asks
    /// it of short complaints).
    pub names_a_topic: bool,
}

/// Classifies and routes a registered case.
pub fn decide(rules: &Rules, network: &Network, case: &CaseRegistered) -> Decision {
    let facts = format!("{}\n{}", case.summary, case.request);
    let text = format!("{facts}\n{}", case.respondent);
    let mut reasons = Vec::new();

    let kind = rules
        .kinds
        .iter()
        .find_map(|rule| {
            rule.keywords
                .iter()
                .find(|k| text.contains(k.as_str()))
                .map(|k| (Kind::from(rule.kind), k))
        })
        .map(|(kind, word)| {
            reasons.push(format!("kind {}: keyword {word:?}", kind.as_str_name()));
            kind
        })
        .unwrap_or_else(|| {
            reasons.push("kind KIND_COMPLAINT: no kind keyword".into());
            Kind::Complaint
        });

    // Keyword hits per category, counted once over the whole text; whether
    // the complainant's own words (not the respondent's name) name a topic
    // is noted on the way.
    let mut names_a_topic = false;
    let hits: Vec<(&crate::rules::Category, usize)> = rules
        .categories
        .iter()
        .map(|c| {
            let n = c
                .keywords
                .iter()
                .filter(|k| {
                    let in_facts = facts.contains(k.as_str());
                    names_a_topic |= in_facts;
                    in_facts || case.respondent.contains(k.as_str())
                })
                .count();
            (c, n)
        })
        .collect();
    let category = if !case.category_hint.is_empty() && rules.has_category(&case.category_hint) {
        reasons.push(format!("category {}: operator's hint", case.category_hint));
        case.category_hint.clone()
    } else {
        if !case.category_hint.is_empty() {
            reasons.push(format!(
                "category hint {:?} is not in the taxonomy; ignored",
                case.category_hint
            ));
        }
        // Most keyword hits wins; ties go to the category listed first.
        let best = hits.iter().copied().filter(|(_, hits)| *hits > 0).fold(
            None::<(&crate::rules::Category, usize)>,
            |best, (c, hits)| match best {
                Some((_, top)) if top >= hits => best,
                _ => Some((c, hits)),
            },
        );
        match best {
            Some((c, hits)) => {
                reasons.push(format!("category {}: {hits} keyword(s)", c.code));
                c.code.clone()
            }
            None => {
                reasons.push(format!(
                    "category {}: no category keyword",
                    rules.fallback_category
                ));
                rules.fallback_category.clone()
            }
        }
    };

    let severity = if let Some(word) = rules
        .severity
        .major_keywords
        .iter()
        .find(|k| text.contains(k.as_str()))
    {
        reasons.push(format!("severity major: keyword {word:?}"));
        Severity::Major
    } else if let Some(amount) = largest_amount(&text).filter(|a| *a > rules.severity.major_amount)
    {
        reasons.push(format!(
            "severity major: amount {amount} yuan over {}",
            rules.severity.major_amount
        ));
        Severity::Major
    } else if let Some(word) = rules
        .severity
        .minor_keywords
        .iter()
        .find(|k| text.contains(k.as_str()))
    {
        reasons.push(format!("severity minor: keyword {word:?}"));
        Severity::Minor
    } else {
        Severity::General
    };

    let (department, mut mode) = match rules.route(&category, &case.region) {
        Some(route) => {
            reasons.push(format!(
                "route {} × {} → {} ({:?})",
                route.category, route.region, route.department, route.mode
            ));
            (route.department.clone(), HandlingMode::from(route.mode))
        }
        None => {
            let centre = network.centre().code.clone();
            reasons.push(format!(
                "no route for {category} × {}: the centre handles it",
                case.region
            ));
            (centre, HandlingMode::Direct)
        }
    };
    // Recusal (回避, 002 第二十四条): a department never investigates a
    // complaint against itself, nor does one below it; it goes one tier up.
    let department = match respondent_department(network, &case.respondent) {
        Some(respondent) if network.is_within(&department, &respondent) => {
            match network.parent(&respondent) {
                Some(parent) => {
                    reasons.push(format!(
                        "recusal: the complaint is against {respondent}; routed one tier up to {}",
                        parent.code
                    ));
                    if mode == HandlingMode::Transferred {
                        mode = HandlingMode::Assigned;
                    }
                    parent.code.clone()
                }
                None => {
                    reasons.push(format!("recusal: the complaint is against {respondent}, the centre; the centre handles it directly"));
                    mode = HandlingMode::Direct;
                    respondent
                }
            }
        }
        _ => department,
    };
    // Serious cases are assigned (交办), not merely transferred (DOMAIN.md §4).
    if severity == Severity::Major && mode == HandlingMode::Transferred {
        mode = HandlingMode::Assigned;
        reasons.push("major case: assigned (交办) rather than transferred".into());
    }

    Decision {
        kind,
        category,
        severity,
        department,
        mode,
        reasons,
        names_a_topic,
    }
}

/// The department a respondent names: the one whose name (or code) it
/// contains, the longest if several do (a sub-unit's name holds its unit's).
pub fn respondent_department(network: &Network, respondent: &str) -> Option<String> {
    let text = respondent.trim();
    if text.is_empty() {
        return None;
    }
    network
        .departments()
        .filter(|d| text.contains(d.name.as_str()) || text == d.code)
        .max_by_key(|d| d.name.chars().count())
        .map(|d| d.code.clone())
}

/// The largest money amount in the text, in yuan: a number followed by 元
/// or 块, or by 万 (ten thousand) or 亿 (a hundred million), or a Chinese
/// numeral with 万 in it. Numbers are read in Arabic digits (5万, 2.5万,
/// 1,200,000元) and in Chinese numerals, as the duplicate detector reads
/// them ([`text::numeral_at`]: 五十万元, 四万二千块, 一万二).
pub fn largest_amount(text: &str) -> Option<u64> {
    let chars: Vec<char> = text.chars().collect();
    let mut best = None;
    let mut i = 0;
    while i < chars.len() {
        let (number, end, with_wan) = if chars[i].is_ascii_digit() {
            let end = i + chars[i..]
                .iter()
                .take_while(|c| c.is_ascii_digit() || **c == '.' || **c == ',')
                .count();
            let number: String = chars[i..end].iter().filter(|c| **c != ',').collect();
            (number, end, false)
        } else if let Some((digits, end)) = text::numeral_at(&chars, i) {
            let with_wan = chars[i..end].contains(&'万');
            (digits, end, with_wan)
        } else {
            i += 1;
            continue;
        };
        i = end;
        let Ok(value) = number.parse::<f64>() else {
            continue;
        };
        let yuan = match chars.get(end) {
            Some('万') => Some(value * 10_000.0),
            Some('亿') => Some(value * 100_000_000.0),
            Some('元' | '块') => Some(value),
            _ if with_wan => Some(value),
            _ => None,
        };
        if let Some(yuan) = yuan {
            // Rounded: 1.2亿 is 120,000,000 though 1.2 × 10⁸ falls just
            // short of it in floating point.
            let yuan = yuan.round() as u64;
            best = Some(best.map_or(yuan, |b: u64| b.max(yuan)));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::{network, rules};

    fn case(summary: &str, region: &str, hint: &str) -> CaseRegistered {
        CaseRegistered {
            summary: summary.into(),
            region: region.into(),
            category_hint: hint.into(),
            ..Default::default()
        }
    }

    #[test]
    fn heating_in_the_east_goes_to_the_heating_unit() {
        let d = decide(
            &rules(),
            &network(),
            &case("家里暖气不热已经三天", "east", ""),
        );
        assert_eq!(d.category, "heating");
        assert_eq!(d.kind, Kind::Complaint);
        assert_eq!(d.severity, Severity::General);
        assert_eq!(d.department, "east-heat");
        assert_eq!(d.mode, HandlingMode::Transferred);
    }

    #[test]
    fn the_hint_wins_over_keywords_when_it_is_a_category() {
        let d = decide(&rules(), &network(), &case("暖气不热", "east", "water"));
        assert_eq!(d.category, "water");
        assert_eq!(d.department, "water");
        let d = decide(&rules(), &network(), &case("暖气不热", "east", "gas"));
        assert_eq!(d.category, "heating");
        assert!(d.reasons.iter().any(|r| r.contains("not in the taxonomy")));
    }

    #[test]
    fn kinds_come_from_keywords_in_rule_order() {
        assert_eq!(
            decide(&rules(), &network(), &case("请问停水到几点", "east", "")).kind,
            Kind::Inquiry
        );
        assert_eq!(
            decide(&rules(), &network(), &case("建议增加公交", "east", "")).kind,
            Kind::Suggestion
        );
    }

    #[test]
    fn major_cases_are_assigned() {
        let d = decide(
            &rules(),
            &network(),
            &case("楼道煤气泄漏，暖气也不热", "east", ""),
        );
        assert_eq!(d.severity, Severity::Major);
        assert_eq!(d.mode, HandlingMode::Assigned);
        let d = decide(&rules(), &network(), &case("停水导致损失6万元", "east", ""));
        assert_eq!(d.severity, Severity::Major);
        let d = decide(
            &rules(),
            &network(),
            &case("停水导致损失3000元", "east", ""),
        );
        assert_eq!(d.severity, Severity::General);
        let d = decide(&rules(), &network(), &case("客服态度不好", "east", ""));
        assert_eq!(d.severity, Severity::Minor);
    }

    #[test]
    fn region_and_fallback_routes_apply() {
        let d = decide(&rules(), &network(), &case("暖气不热", "west", ""));
        assert_eq!(
            (d.department.as_str(), d.mode),
            ("west-office", HandlingMode::Assigned)
        );
        let d = decide(&rules(), &network(), &case("路灯坏了", "east", ""));
        assert_eq!(d.category, "other");
        assert_eq!(
            (d.department.as_str(), d.mode),
            ("centre", HandlingMode::Direct)
        );
    }

    #[test]
    fn a_department_never_investigates_itself() {
        let mut c = case("暖气不热，热力公司的人态度恶劣", "east", "");
        c.respondent = "东区热力".into();
        let d = decide(&rules(), &network(), &c);
        assert_eq!(d.department, "east-office", "{:?}", d.reasons);
        assert_eq!(d.mode, HandlingMode::Assigned);
        assert!(d.reasons.iter().any(|r| r.starts_with("recusal")));
        // Against the district office: its units do not investigate it.
        c.respondent = "东区办".into();
        let d = decide(&rules(), &network(), &c);
        assert_eq!(d.department, "centre", "{:?}", d.reasons);
        // Against the centre itself: nobody is above it, so it handles the
        // case directly rather than leave it with the unit it supervises.
        c.respondent = network().centre().name.clone();
        let d = decide(&rules(), &network(), &c);
        assert_eq!(
            (d.department.as_str(), d.mode),
            ("centre", HandlingMode::Direct),
            "{:?}",
            d.reasons
        );
        // Against someone else: routed as usual.
        c.respondent = "某物业公司".into();
        assert_eq!(decide(&rules(), &network(), &c).department, "east-heat");
    }

    #[test]
    fn only_the_complainants_words_name_a_topic() {
        let mut c = case("你们管管！", "east", "");
        c.respondent = "某自来水公司".into();
        let d = decide(&rules(), &network(), &c);
        assert!(!d.names_a_topic, "the respondent's name is not a topic");
        assert_eq!(d.category, "water", "{:?}", d.reasons);
        c.summary = "又停水了".into();
        assert!(decide(&rules(), &network(), &c).names_a_topic);
    }

    #[test]
    fn amounts_are_read_in_yuan() {
        assert_eq!(largest_amount("损失5万元，另有300元"), Some(50_000));
        assert_eq!(largest_amount("损失1,200,000元"), Some(1_200_000));
        assert_eq!(largest_amount("3号楼201室"), None);
        assert_eq!(largest_amount("2.5万"), Some(25_000));
    }

    #[test]
    fn amounts_in_chinese_numerals_are_read_too() {
        assert_eq!(largest_amount("损失五十万元"), Some(500_000));
        assert_eq!(largest_amount("被骗四万二千块，另有八百元"), Some(42_000));
        assert_eq!(largest_amount("欠了两万"), Some(20_000));
        assert_eq!(largest_amount("借了一万二"), Some(12_000));
        assert_eq!(largest_amount("涉及1.2亿元"), Some(120_000_000));
        assert_eq!(largest_amount("三号楼住了三天，千万别去万达"), None);
        assert_eq!(largest_amount("百货商场"), None);
    }
}
