//! A complainant's new complaint against their earlier cases (重复投诉,
//! 二次投诉; DOMAIN.md §3, 002 第十六条, 第二十条, 001 五(三)).
//!
//! The earlier cases are the complainant's (by their pseudonymous key)
//! within the look-back, newest first. The first that is the same matter
//! ([`crate::duplicates`]) decides:
//! - still being handled → [`Link::InProgress`]: not accepted (A), linked,
//!   the holder nudged;
//! - concluded or closed, and the complainant said they were dissatisfied
//!   (a dissatisfied callback or a review request) → [`Link::SecondComplaint`]:
//!   a new case, linked, routed one tier above the department that
//!   concluded it;
//! - concluded or closed otherwise → [`Link::Concluded`]: not accepted (B),
//!   linked, the result given.
//!
//! Withdrawn and merged cases are not candidates: a complainant may raise a
//! withdrawn matter again, and a merged one lives on in its incident's lead.

use crate::duplicates::{same_matter, DuplicateSettings, Features, Matter};
use mesh_kit::network::Network;

/// One of the complainant's earlier cases, as triage follows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Earlier {
    pub case_id: uuid::Uuid,
    pub case_number: String,
    pub matter: Matter,
    /// The work order's state, as dispatch last announced it (queued,
    /// in_progress, returned, suspended, concluded, under_review, closed…).
    pub state: String,
    /// Who holds it now.
    pub holder: String,
    /// Who concluded it, and the result it gave.
    pub concluded_by: String,
    pub result: String,
    /// A dissatisfied callback or a review request was recorded.
    pub dissatisfied: bool,
}

impl Earlier {
    fn in_progress(&self) -> bool {
        matches!(
            self.state.as_str(),
            "queued" | "in_progress" | "returned" | "suspended" | "under_review"
        )
    }

    fn concluded(&self) -> bool {
        matches!(self.state.as_str(), "concluded" | "closed")
    }
}

/// What the earlier case makes of the new complaint.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// A: the same matter is being handled.
    InProgress(Earlier),
    /// B: the same matter was concluded and the complainant did not object.
    Concluded(Earlier),
    /// 二次投诉: concluded, the complainant dissatisfied; handled by `department`.
    SecondComplaint {
        earlier: Earlier,
        department: String,
    },
}

/// Where a second complaint goes: one tier above the department that
/// concluded the first (or that holds it), the centre at the top.
pub fn tier_up(network: &Network, earlier: &Earlier) -> String {
    let handler = if earlier.concluded_by.is_empty() {
        &earlier.holder
    } else {
        &earlier.concluded_by
    };
    network
        .parent(handler)
        .map(|p| p.code.clone())
        .unwrap_or_else(|| network.centre().code.clone())
}

/// The link of `new` (its features) to the first earlier case on the same
/// matter, if any. `earlier` is newest first.
pub fn link(
    network: &Network,
    settings: &DuplicateSettings,
    new: &Features,
    earlier: &[Earlier],
) -> Option<Link> {
    let same = earlier.iter().find(|e| {
        (e.in_progress() || e.concluded()) && same_matter(&Features::of(&e.matter), new, settings)
    })?;
    Some(if same.in_progress() {
        Link::InProgress(same.clone())
    } else if same.dissatisfied {
        Link::SecondComplaint {
            department: tier_up(network, same),
            earlier: same.clone(),
        }
    } else {
        Link::Concluded(same.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network() -> Network {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../deploy/network/sample-city.toml");
        Network::load(&path).expect("sample network")
    }

    fn matter(facts: &str) -> Matter {
        Matter {
            facts: facts.into(),
            request: String::new(),
            respondent: String::new(),
            region: "east".into(),
            category: "heating".into(),
        }
    }

    fn earlier(number: &str, facts: &str, state: &str) -> Earlier {
        Earlier {
            case_id: uuid::Uuid::now_v7(),
            case_number: number.into(),
            matter: matter(facts),
            state: state.into(),
            holder: "east-heat".into(),
            concluded_by: if state == "concluded" || state == "closed" {
                "east-heat".into()
            } else {
                String::new()
            },
            result: "已更换阀门".into(),
            dissatisfied: false,
        }
    }

    const FIRST: &str = "阳光小区3号楼2单元暖气不热，室温只有15度";
    const AGAIN: &str = "之前反映过的阳光小区三号楼暖气还是不热，到现在没人管";

    /// The features of the new complaint, AGAIN.
    fn again() -> Features {
        Features::of(&matter(AGAIN))
    }

    #[test]
    fn the_same_matter_in_progress_is_a() {
        let (net, s) = (network(), DuplicateSettings::default());
        let e = earlier("2026-11-000001", FIRST, "in_progress");
        match link(&net, &s, &again(), std::slice::from_ref(&e)) {
            Some(Link::InProgress(found)) => assert_eq!(found.case_number, e.case_number),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn concluded_is_b_unless_the_complainant_objected() {
        let (net, s) = (network(), DuplicateSettings::default());
        let mut e = earlier("2026-11-000001", FIRST, "closed");
        assert!(matches!(
            link(&net, &s, &again(), std::slice::from_ref(&e)),
            Some(Link::Concluded(_))
        ));
        e.dissatisfied = true;
        match link(&net, &s, &again(), std::slice::from_ref(&e)) {
            Some(Link::SecondComplaint { department, .. }) => {
                // east-heat's parent.
                assert_eq!(department, "east-office");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn another_matter_withdrawn_or_merged_cases_do_not_link() {
        let (net, s) = (network(), DuplicateSettings::default());
        let other = earlier("2026-11-000001", "阳光小区5号楼电梯坏了", "in_progress");
        assert_eq!(link(&net, &s, &again(), &[other]), None);
        for state in ["withdrawn", "merged"] {
            let e = earlier("2026-11-000002", FIRST, state);
            assert_eq!(link(&net, &s, &again(), &[e]), None, "{state}");
        }
    }

    #[test]
    fn the_newest_matching_case_decides() {
        let (net, s) = (network(), DuplicateSettings::default());
        let newer = earlier("2026-11-000009", FIRST, "in_progress");
        let older = earlier("2026-10-000003", FIRST, "closed");
        match link(&net, &s, &again(), &[newer, older]) {
            Some(Link::InProgress(e)) => assert_eq!(e.case_number, "2026-11-000009"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_second_complaint_at_the_top_stays_at_the_centre() {
        let net = network();
        let mut e = earlier("2026-11-000001", FIRST, "closed");
        e.concluded_by = net.centre().code.clone();
        assert_eq!(tier_up(&net, &e), net.centre().code);
    }
}
