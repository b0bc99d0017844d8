//! Batch incidents (批量投诉, DOMAIN.md §3; 002 电信 section): when
//! `min_complaints` or more complaints on one category and place arrive
//! within `window_hours`, they are one incident with one lead work order.
//!
//! "The same place and problem" between different complainants is judged
//! like a duplicate without the follow-up cue: the same region and
//! category, a place named by both (阳光小区, 5号楼), no conflicting address
//! numbers or kinds of problem, and the texts' bigram similarity at least
//! `similarity`. Complaints that name no place never form an incident.
//!
//! When the threshold is reached, the earliest open case leads; the other
//! earlier cases' work orders are merged into the lead's, and the new case
//! joins without a work order of its own. Later complaints join the open
//! incident the same way.

use crate::duplicates::{compare_features, Features, Matter};
use serde::Deserialize;
use uuid::Uuid;

/// `[incidents]` in the rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentSettings {
    /// This many complaints, the new one included, make an incident.
    pub min_complaints: usize,
    /// Within this many hours of each other (the newest looks back this far).
    pub window_hours: u32,
    /// Bigram similarity of two complaints about one incident.
    pub similarity: f64,
}

impl Default for IncidentSettings {
    fn default() -> Self {
        Self {
            min_complaints: 3,
            window_hours: 48,
            similarity: 0.45,
        }
    }
}

/// A recent case of the same region and category.
#[derive(Debug, Clone, PartialEq)]
pub struct Recent {
    pub case_id: Uuid,
    pub case_number: String,
    pub matter: Matter,
    /// Who holds it (for a member: who holds the lead).
    pub holder: String,
    /// Still being handled (its order, or its incident's lead, is open).
    pub open: bool,
    /// The incident it belongs to, and whether it leads it.
    pub incident: Option<Uuid>,
    pub leads: bool,
}

/// What happens to the new complaint.
#[derive(Debug, Clone, PartialEq)]
pub enum Grouping {
    /// Not part of an incident: routed as usual.
    Alone,
    /// Joins an open incident.
    Join { incident_id: Uuid, lead: Recent },
    /// Forms a new incident led by `lead`; `merged` lose their own orders.
    Form { lead: Recent, merged: Vec<Recent> },
}

fn same_incident(settings: &IncidentSettings, a: &Matter, b: &Features) -> bool {
    let c = compare_features(&Features::of(a), b);
    !c.conflict() && c.same_category && c.shared_place && c.text >= settings.similarity
}

/// Groups `new` with `recent` (oldest first: the same region and category,
/// within the window).
pub fn group(settings: &IncidentSettings, new: &Features, recent: &[Recent]) -> Grouping {
    if !new.names_a_place() {
        // An incident's complaints share a place; this one names none.
        return Grouping::Alone;
    }
    let alike: Vec<&Recent> = recent
        .iter()
        .filter(|r| r.open && same_incident(settings, &r.matter, new))
        .collect();
    // An open incident one of them belongs to: join it, under its lead.
    if let Some(incident_id) = alike.iter().find_map(|r| r.incident) {
        if let Some(lead) = recent
            .iter()
            .find(|r| r.incident == Some(incident_id) && r.leads && r.open)
        {
            return Grouping::Join {
                incident_id,
                lead: lead.clone(),
            };
        }
    }
    let loose: Vec<&Recent> = alike.into_iter().filter(|r| r.incident.is_none()).collect();
    if settings.min_complaints < 2 || loose.len() + 1 < settings.min_complaints {
        return Grouping::Alone;
    }
    let (lead, rest) = loose
        .split_first()
        .map_or((None, &[][..]), |(l, r)| (Some(l), r));
    match lead {
        Some(lead) => Grouping::Form {
            lead: (*lead).clone(),
            merged: rest.iter().map(|r| (*r).clone()).collect(),
        },
        None => Grouping::Alone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(facts: &str) -> Matter {
        Matter {
            facts: facts.into(),
            request: String::new(),
            respondent: String::new(),
            region: "east".into(),
            category: "heating".into(),
        }
    }

    fn recent(n: u32, facts: &str) -> Recent {
        Recent {
            case_id: Uuid::now_v7(),
            case_number: format!("2026-11-{n:06}"),
            matter: m(facts),
            holder: "east-heat".into(),
            open: true,
            incident: None,
            leads: false,
        }
    }

    const S: &str = "阳光小区3号楼暖气不热，家里只有十三度";

    #[test]
    fn the_third_alike_complaint_forms_an_incident_led_by_the_first() {
        let s = IncidentSettings::default();
        let one = recent(1, "阳光小区3号楼暖气不热，室温只有14度");
        assert_eq!(
            group(&s, &Features::of(&m(S)), std::slice::from_ref(&one)),
            Grouping::Alone
        );
        let two = recent(2, "阳光小区3号楼整栋楼暖气都不热");
        match group(&s, &Features::of(&m(S)), &[one.clone(), two.clone()]) {
            Grouping::Form { lead, merged } => {
                assert_eq!(lead.case_number, one.case_number);
                assert_eq!(merged, vec![two]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn later_complaints_join_the_open_incident() {
        let s = IncidentSettings::default();
        let id = Uuid::now_v7();
        let mut lead = recent(1, "阳光小区3号楼暖气不热，室温只有14度");
        lead.incident = Some(id);
        lead.leads = true;
        let mut member = recent(2, "阳光小区3号楼整栋楼暖气都不热");
        member.incident = Some(id);
        match group(&s, &Features::of(&m(S)), &[lead.clone(), member]) {
            Grouping::Join {
                incident_id,
                lead: l,
            } => {
                assert_eq!(incident_id, id);
                assert_eq!(l, lead);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn complaints_naming_no_place_are_no_incident() {
        let s = IncidentSettings::default();
        let r = [recent(1, "暖气不热"), recent(2, "暖气不热，太冷了")];
        assert_eq!(
            group(&s, &Features::of(&m("暖气不热")), &r),
            Grouping::Alone
        );
    }

    #[test]
    fn other_buildings_problems_and_closed_cases_do_not_count() {
        let s = IncidentSettings::default();
        let other_building = recent(1, "阳光小区5号楼暖气不热，室温只有14度");
        let other_problem = recent(2, "阳光小区3号楼电梯坏了");
        let mut closed = recent(3, "阳光小区3号楼整栋楼暖气都不热");
        closed.open = false;
        assert_eq!(
            group(
                &s,
                &Features::of(&m(S)),
                &[other_building, other_problem, closed]
            ),
            Grouping::Alone
        );
    }
}
