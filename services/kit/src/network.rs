//! The network: the jurisdiction, its regions and the tree of departments
//! (centre → offices → units → sub-units; DOMAIN.md §1), read from the
//! network file (`deploy/network/*.toml`). Triage routes to its nodes;
//! dispatch queues work orders for them.
//!
//! A department's code names its queue subject
//! (`dispatch.v1.orders.<code>`), so codes are lowercase ASCII letters,
//! digits and `-`.

use chrono::FixedOffset;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// A problem with the network file; the message says what and where.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("cannot read network file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("network file {path} is not valid TOML for a network: {message}")]
    Parse { path: String, message: String },
    #[error("invalid network: {0}")]
    Invalid(String),
}

/// The jurisdiction the network serves.
#[derive(Debug, Clone, Deserialize)]
pub struct Jurisdiction {
    pub code: String,
    pub name: String,
    /// Local time offset, e.g. `+08:00`. Days, working days and reports
    /// are counted in this time.
    pub utc_offset: String,
}

/// A region (区域) of the jurisdiction.
#[derive(Debug, Clone, Deserialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// The department (usually a district office) that answers for it.
    pub office: String,
}

/// A node of the department tree.
#[derive(Debug, Clone, Deserialize)]
pub struct Department {
    pub code: String,
    pub name: String,
    /// Absent only for the root (the coordination centre).
    #[serde(default)]
    pub parent: Option<String>,
    /// Who receives supervision notices (督办单).
    #[serde(default)]
    pub head: String,
    #[serde(default)]
    pub phone: String,
    /// 1 for the centre, 2 for offices, 3 for units, 4 for sub-units…
    /// Derived from the tree, not read.
    #[serde(skip)]
    pub tier: u32,
}

#[derive(Debug, Deserialize)]
struct NetworkFile {
    jurisdiction: Jurisdiction,
    #[serde(default)]
    regions: Vec<Region>,
    departments: Vec<Department>,
}

/// A validated network.
#[derive(Debug, Clone)]
pub struct Network {
    pub jurisdiction: Jurisdiction,
    /// The jurisdiction's offset from UTC.
    pub offset: FixedOffset,
    regions: BTreeMap<String, Region>,
    departments: BTreeMap<String, Department>,
    root: String,
}

impl Network {
    /// Reads and validates a network file.
    pub fn load(path: &Path) -> Result<Self, NetworkError> {
        let text = std::fs::read_to_string(path).map_err(|source| NetworkError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|err| match err {
            NetworkError::Parse { message, .. } => NetworkError::Parse {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates network TOML.
    pub fn parse(text: &str) -> Result<Self, NetworkError> {
        let file: NetworkFile = toml::from_str(text).map_err(|err| NetworkError::Parse {
            path: String::new(),
            message: err.to_string(),
        })?;
        Self::build(file)
    }

    fn build(file: NetworkFile) -> Result<Self, NetworkError> {
        let invalid = |msg: String| Err(NetworkError::Invalid(msg));
        let offset = parse_offset(&file.jurisdiction.utc_offset).ok_or_else(|| {
            NetworkError::Invalid(format!(
                "jurisdiction.utc_offset {:?} is not of the form +08:00",
                file.jurisdiction.utc_offset
            ))
        })?;
        let mut departments = BTreeMap::new();
        for dept in file.departments {
            if !is_code(&dept.code) {
                return invalid(format!(
                    "department code {:?} must be 1–40 lowercase letters, digits or '-'",
                    dept.code
                ));
            }
            if let Some(previous) = departments.insert(dept.code.clone(), dept) {
                return invalid(format!("department {:?} is defined twice", previous.code));
            }
        }
        let roots: Vec<&String> = departments
            .values()
            .filter(|d| d.parent.is_none())
            .map(|d| &d.code)
            .collect();
        let root = match roots.as_slice() {
            [root] => (*root).clone(),
            [] => return invalid("no department without a parent: the centre is missing".into()),
            many => {
                return invalid(format!(
                    "only the centre may have no parent, but these have none: {many:?}"
                ))
            }
        };
        // Tiers by walking up to the root; a walk longer than the tree is a cycle.
        let codes: Vec<String> = departments.keys().cloned().collect();
        for code in &codes {
            let mut tier = 1;
            let mut at = code.clone();
            while let Some(parent) = departments.get(&at).and_then(|d| d.parent.clone()) {
                if !departments.contains_key(&parent) {
                    return invalid(format!(
                        "department {at:?} has parent {parent:?}, which is not a department"
                    ));
                }
                tier += 1;
                if tier > departments.len() as u32 {
                    return invalid(format!("the parents of {code:?} form a cycle"));
                }
                at = parent;
            }
            if let Some(dept) = departments.get_mut(code) {
                dept.tier = tier;
            }
        }
        let mut regions = BTreeMap::new();
        for region in file.regions {
            if !is_code(&region.code) {
                return invalid(format!(
                    "region code {:?} must be 1–40 lowercase letters, digits or '-'",
                    region.code
                ));
            }
            if !departments.contains_key(&region.office) {
                return invalid(format!(
                    "region {:?} names office {:?}, which is not a department",
                    region.code, region.office
                ));
            }
            if regions
                .insert(region.code.clone(), region.clone())
                .is_some()
            {
                return invalid(format!("region {:?} is defined twice", region.code));
            }
        }
        Ok(Network {
            jurisdiction: file.jurisdiction,
            offset,
            regions,
            departments,
            root,
        })
    }

    /// The coordination centre (the root).
    pub fn centre(&self) -> &Department {
        &self.departments[&self.root]
    }

    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.get(code)
    }

    pub fn departments(&self) -> impl Iterator<Item = &Department> {
        self.departments.values()
    }

    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.get(code)
    }

    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// The parent of a department; `None` for the centre or an unknown code.
    pub fn parent(&self, code: &str) -> Option<&Department> {
        self.departments
            .get(code)?
            .parent
            .as_deref()
            .and_then(|p| self.departments.get(p))
    }

    /// Whether `code` is `ancestor` or lies in its subtree.
    pub fn is_within(&self, code: &str, ancestor: &str) -> bool {
        let mut at = Some(code);
        while let Some(c) = at {
            if c == ancestor {
                return true;
            }
            at = self.departments.get(c).and_then(|d| d.parent.as_deref());
        }
        false
    }
}

/// Whether `s` can be a department or region code (and a subject token).
pub fn is_code(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
        [jurisdiction]
        code = "t"
        name = "测试市"
        utc_offset = "+08:00"

        [[regions]]
        code = "east"
        name = "东区"
        office = "east-office"

        [[departments]]
        code = "centre"
        name = "中心"

        [[departments]]
        code = "east-office"
        name = "东区办"
        parent = "centre"

        [[departments]]
        code = "east-heat"
        name = "东区热力"
        parent = "east-office"

        [[departments]]
        code = "east-heat-1"
        name = "东区热力一站"
        parent = "east-heat"
    "#;

    #[test]
    fn tiers_follow_the_tree() {
        let net = Network::parse(SMALL).expect("valid network");
        assert_eq!(net.centre().code, "centre");
        let tiers: Vec<(String, u32)> = net
            .departments()
            .map(|d| (d.code.clone(), d.tier))
            .collect();
        assert!(tiers.contains(&("centre".into(), 1)));
        assert!(tiers.contains(&("east-office".into(), 2)));
        assert!(tiers.contains(&("east-heat".into(), 3)));
        assert!(tiers.contains(&("east-heat-1".into(), 4)));
        assert_eq!(net.offset.local_minus_utc(), 8 * 3600);
    }

    #[test]
    fn subtree_membership() {
        let net = Network::parse(SMALL).expect("valid network");
        assert!(net.is_within("east-heat-1", "east-office"));
        assert!(net.is_within("east-office", "east-office"));
        assert!(!net.is_within("east-office", "east-heat"));
        assert_eq!(
            net.parent("east-heat").map(|d| d.code.as_str()),
            Some("east-office")
        );
        assert!(net.parent("centre").is_none());
    }

    fn error_of(text: &str) -> String {
        match Network::parse(text) {
            Ok(_) => panic!("expected an error"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn unknown_parent_is_named() {
        let text = SMALL.replace("parent = \"east-heat\"", "parent = \"nowhere\"");
        assert!(
            error_of(&text).contains("\"nowhere\""),
            "{}",
            error_of(&text)
        );
    }

    #[test]
    fn two_roots_are_rejected() {
        let text = SMALL.replace("parent = \"centre\"", "");
        assert!(error_of(&text).contains("only the centre may have no parent"));
    }

    #[test]
    fn cycles_are_rejected() {
        let text = SMALL.replace("parent = \"east-office\"", "parent = \"east-heat-1\"");
        assert!(error_of(&text).contains("cycle"), "{}", error_of(&text));
    }

    #[test]
    fn codes_must_be_subject_tokens() {
        assert!(is_code("east-heat-1"));
        assert!(!is_code("East"));
        assert!(!is_code("a.b"));
        assert!(!is_code("a b"));
        assert!(!is_code(""));
        let text = SMALL.replace("code = \"east-heat-1\"", "code = \"east.heat\"");
        assert!(error_of(&text).contains("east.heat"));
    }

    #[test]
    fn bad_offset_is_rejected() {
        let text = SMALL.replace("+08:00", "CST");
        assert!(error_of(&text).contains("utc_offset"));
    }
}
