//! Triage rules as data: the category taxonomy with its keywords, the kind
//! rules, the severity triggers and the routing table (category × region →
//! department and handling mode). They live in the network file beside the
//! department tree, and are checked against it when loaded: an unknown
//! category, region or department, or two rules for the same category and
//! region, is an error that names the rule.

use complaints_proto::v1::{HandlingMode, Kind};
use mesh_kit::network::{self, Network};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A problem with the rules; the message names the rule.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read rules file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("rules in {path} are not valid TOML: {message}")]
    Parse { path: String, message: String },
    #[error("invalid triage rules: {0}")]
    Invalid(String),
}

/// A category of the taxonomy (诉求分类).
#[derive(Debug, Clone, Deserialize)]
pub struct Category {
    pub code: String,
    pub name: String,
    /// Words that point to this category; the category with most hits wins.
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// Words that make a complaint of a given kind; rules are tried in order,
/// and a complaint matching none is a complaint (投诉).
#[derive(Debug, Clone, Deserialize)]
pub struct KindRule {
    pub kind: KindName,
    pub keywords: Vec<String>,
}

/// Kind names as written in the rules file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    Inquiry,
    Suggestion,
    Complaint,
    Report,
    FaultReport,
    HelpRequest,
}

impl From<KindName> for Kind {
    fn from(k: KindName) -> Kind {
        match k {
            KindName::Inquiry => Kind::Inquiry,
            KindName::Suggestion => Kind::Suggestion,
            KindName::Complaint => Kind::Complaint,
            KindName::Report => Kind::Report,
            KindName::FaultReport => Kind::FaultReport,
            KindName::HelpRequest => Kind::HelpRequest,
        }
    }
}

/// What makes a case major or minor (DOMAIN.md §3).
#[derive(Debug, Clone, Deserialize)]
pub struct SeverityRules {
    /// Safety, injury, media, police, courts, groups… (重大).
    pub major_keywords: Vec<String>,
    /// A money amount (元) above which a case is major.
    pub major_amount: u64,
    /// Words of a minor matter (轻微).
    #[serde(default)]
    pub minor_keywords: Vec<String>,
}

/// Handling modes as written in the rules file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeName {
    Direct,
    Assigned,
    Transferred,
}

impl From<ModeName> for HandlingMode {
    fn from(m: ModeName) -> HandlingMode {
        match m {
            ModeName::Direct => HandlingMode::Direct,
            ModeName::Assigned => HandlingMode::Assigned,
            ModeName::Transferred => HandlingMode::Transferred,
        }
    }
}

/// One routing rule: `category` × `region` → `department`, `mode`.
/// `"*"` matches any category or region; the most specific rule wins
/// (category and region, then category, then region).
#[derive(Debug, Clone, Deserialize)]
pub struct Route {
    pub category: String,
    pub region: String,
    pub department: String,
    pub mode: ModeName,
}

#[derive(Debug, Deserialize)]
struct RulesFile {
    triage: TriageSection,
    #[serde(default)]
    duplicates: crate::duplicates::DuplicateSettings,
    #[serde(default)]
    incidents: crate::incidents::IncidentSettings,
    #[serde(default)]
    acceptance: crate::acceptance::AcceptanceRules,
    categories: Vec<Category>,
    #[serde(default)]
    kinds: Vec<KindRule>,
    severity: SeverityRules,
    routes: Vec<Route>,
}

#[derive(Debug, Deserialize)]
struct TriageSection {
    /// The category of a complaint that matches no keyword.
    fallback_category: String,
}

/// Validated triage rules.
#[derive(Debug, Clone)]
pub struct Rules {
    pub categories: Vec<Category>,
    pub fallback_category: String,
    pub kinds: Vec<KindRule>,
    pub severity: SeverityRules,
    /// When a complainant's new complaint is the same matter as an earlier one.
    pub duplicates: crate::duplicates::DuplicateSettings,
    /// When complaints of several complainants are one batch incident.
    pub incidents: crate::incidents::IncidentSettings,
    /// Whether a complaint is accepted (受理), and the replies.
    pub acceptance: crate::acceptance::AcceptanceRules,
    /// Keyed by (category, region), `"*"` for any.
    routes: BTreeMap<(String, String), Route>,
}

const ANY: &str = "*";

impl Rules {
    /// Reads the rules from the network file and checks them against the
    /// network.
    pub fn load(path: &Path, network: &Network) -> Result<Self, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, network).map_err(|err| match err {
            RulesError::Parse { message, .. } => RulesError::Parse {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    pub fn parse(text: &str, network: &Network) -> Result<Self, RulesError> {
        let file: RulesFile = toml::from_str(text).map_err(|err| RulesError::Parse {
            path: String::new(),
            message: err.to_string(),
        })?;
        let invalid = |msg: String| Err(RulesError::Invalid(msg));
        let mut codes = BTreeSet::new();
        for c in &file.categories {
            if !network::is_code(&c.code) {
                return invalid(format!(
                    "category code {:?} must be lowercase letters, digits or '-'",
                    c.code
                ));
            }
            if !codes.insert(c.code.clone()) {
                return invalid(format!("category {:?} is defined twice", c.code));
            }
        }
        if !codes.contains(&file.triage.fallback_category) {
            return invalid(format!(
                "triage.fallback_category {:?} is not a category",
                file.triage.fallback_category
            ));
        }
        let mut routes = BTreeMap::new();
        for (i, r) in file.routes.iter().enumerate() {
            let which = format!("route #{} ({} × {})", i + 1, r.category, r.region);
            if r.category != ANY && !codes.contains(&r.category) {
                return invalid(format!("{which}: unknown category {:?}", r.category));
            }
            if r.region != ANY && network.region(&r.region).is_none() {
                return invalid(format!("{which}: unknown region {:?}", r.region));
            }
            if network.department(&r.department).is_none() {
                return invalid(format!("{which}: unknown department {:?}", r.department));
            }
            let key = (r.category.clone(), r.region.clone());
            if routes.insert(key, r.clone()).is_some() {
                return invalid(format!(
                    "{which}: another rule already routes this category and region"
                ));
            }
        }
        Ok(Rules {
            categories: file.categories,
            fallback_category: file.triage.fallback_category,
            kinds: file.kinds,
            severity: file.severity,
            duplicates: file.duplicates,
            incidents: file.incidents,
            acceptance: file.acceptance,
            routes,
        })
    }

    /// How many routing rules there are.
    pub fn route_count(&self) -> usize {
        self.routes.len()
    }

    pub fn has_category(&self, code: &str) -> bool {
        self.categories.iter().any(|c| c.code == code)
    }

    /// The most specific route for a category and region, if any.
    pub fn route(&self, category: &str, region: &str) -> Option<&Route> {
        self.route_excluding(category, region, &[])
    }

    /// The most specific route whose department is not in `exclude`.
    pub fn route_excluding(
        &self,
        category: &str,
        region: &str,
        exclude: &[String],
    ) -> Option<&Route> {
        [
            (category, region),
            (category, ANY),
            (ANY, region),
            (ANY, ANY),
        ]
        .into_iter()
        .filter_map(|(c, r)| self.routes.get(&(c.to_owned(), r.to_owned())))
        .find(|route| !exclude.contains(&route.department))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const NETWORK: &str = r#"
        [jurisdiction]
        code = "t"
        name = "t"
        utc_offset = "+08:00"
        [[regions]]
        code = "east"
        name = "东区"
        office = "east-office"
        [[regions]]
        code = "west"
        name = "西区"
        office = "west-office"
        [[departments]]
        code = "centre"
        name = "中心"
        [[departments]]
        code = "east-office"
        name = "东区办"
        parent = "centre"
        [[departments]]
        code = "west-office"
        name = "西区办"
        parent = "centre"
        [[departments]]
        code = "east-heat"
        name = "东区热力"
        parent = "east-office"
        [[departments]]
        code = "water"
        name = "水务"
        parent = "centre"
    "#;

    pub(crate) const RULES: &str = r#"
        [triage]
        fallback_category = "other"
        [[categories]]
        code = "heating"
        name = "供热"
        keywords = ["暖气", "供暖", "不热"]
        [[categories]]
        code = "water"
        name = "供水"
        keywords = ["停水", "水压", "自来水"]
        [[categories]]
        code = "other"
        name = "其他"
        [[kinds]]
        kind = "inquiry"
        keywords = ["请问", "咨询"]
        [[kinds]]
        kind = "suggestion"
        keywords = ["建议"]
        [severity]
        major_keywords = ["受伤", "记者", "煤气"]
        major_amount = 50000
        minor_keywords = ["态度"]
        [[routes]]
        category = "heating"
        region = "east"
        department = "east-heat"
        mode = "transferred"
        [[routes]]
        category = "water"
        region = "*"
        department = "water"
        mode = "transferred"
        [[routes]]
        category = "*"
        region = "west"
        department = "west-office"
        mode = "assigned"
        [[routes]]
        category = "*"
        region = "*"
        department = "centre"
        mode = "direct"
    "#;

    pub(crate) fn network() -> Network {
        Network::parse(NETWORK).expect("network")
    }

    pub(crate) fn rules() -> Rules {
        Rules::parse(RULES, &network()).expect("rules")
    }

    #[test]
    fn the_most_specific_route_wins() {
        let r = rules();
        assert_eq!(
            r.route("heating", "east").map(|r| r.department.as_str()),
            Some("east-heat")
        );
        assert_eq!(
            r.route("water", "west").map(|r| r.department.as_str()),
            Some("water")
        );
        assert_eq!(
            r.route("heating", "west").map(|r| r.department.as_str()),
            Some("west-office")
        );
        assert_eq!(
            r.route("other", "east").map(|r| r.department.as_str()),
            Some("centre")
        );
    }

    #[test]
    fn excluded_departments_fall_through_to_the_next_rule() {
        let r = rules();
        let next = r.route_excluding("heating", "east", &["east-heat".into()]);
        assert_eq!(
            next.map(|r| r.department.as_str()),
            Some("centre"),
            "catch-all after the heating rule"
        );
        let next = r.route_excluding("heating", "west", &["west-office".into()]);
        assert_eq!(next.map(|r| r.department.as_str()), Some("centre"));
        assert!(r
            .route_excluding("other", "east", &["centre".into()])
            .is_none());
    }

    fn error_of(text: &str) -> String {
        match Rules::parse(text, &network()) {
            Ok(_) => panic!("expected an error"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn unknown_nodes_and_overlaps_are_named() {
        let unknown_dept = RULES.replace("department = \"east-heat\"", "department = \"ghost\"");
        assert!(error_of(&unknown_dept).contains("unknown department \"ghost\""));
        let unknown_region = RULES.replace(
            "region = \"east\"\n        department",
            "region = \"north\"\n        department",
        );
        assert!(error_of(&unknown_region).contains("unknown region \"north\""));
        let unknown_cat = RULES.replace(
            "category = \"heating\"\n        region",
            "category = \"gas\"\n        region",
        );
        assert!(error_of(&unknown_cat).contains("unknown category \"gas\""));
        let overlap = format!("{RULES}\n[[routes]]\ncategory = \"heating\"\nregion = \"east\"\ndepartment = \"centre\"\nmode = \"direct\"\n");
        assert!(
            error_of(&overlap).contains("already routes"),
            "{}",
            error_of(&overlap)
        );
    }

    #[test]
    fn fallback_category_must_exist() {
        let text = RULES.replace(
            "fallback_category = \"other\"",
            "fallback_category = \"misc\"",
        );
        assert!(error_of(&text).contains("fallback_category"));
    }
}

#[cfg(test)]
mod shipped {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn the_sample_network_and_its_rules_load() {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/network/sample-city.toml");
        let network = Network::load(&path).expect("sample network is valid");
        let rules = Rules::load(&path, &network).expect("sample rules are valid");
        assert!(network.departments().count() >= 10);
        assert!(
            network.departments().any(|d| d.tier == 4),
            "sub-units exist"
        );
        assert!(rules.categories.len() >= 10);
        assert_eq!(network.regions().count(), 3);
    }
}
