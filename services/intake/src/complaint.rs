//! A complaint as submitted, parsed and checked at the edge (parse, don't
//! validate): once a [`NewComplaint`] exists, every field obeys its rule.

use crate::error::IntakeError;
use chrono::{DateTime, Duration, Utc};
use complaints_proto::v1::{Channel, SubmitComplaintRequest};
use mesh_kit::network::{self, Network};

/// The complainant's identity (投诉人). Stays in intake's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub anonymous: bool,
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// A complaint whose every field has been checked.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub idempotency_key: String,
    pub channel: Channel,
    pub complainant: Identity,
    pub respondent: String,
    pub facts: String,
    pub request: String,
    pub region: String,
    pub category_hint: String,
    pub matter_at: Option<DateTime<Utc>>,
}

/// Field limits, in characters.
pub const MAX_KEY: usize = 128;
pub const MAX_NAME: usize = 64;
pub const MAX_RESPONDENT: usize = 200;
pub const MAX_FACTS: usize = 4000;
pub const MAX_REQUEST: usize = 2000;
pub const MAX_EMAIL: usize = 254;

fn invalid(field: &'static str, rule: impl Into<String>) -> IntakeError {
    IntakeError::InvalidField {
        field,
        rule: rule.into(),
    }
}

/// Checks length (in characters) and that there are no control characters
/// other than line breaks and tabs. Returns the trimmed text.
pub(crate) fn text(
    field: &'static str,
    value: &str,
    required: bool,
    max: usize,
) -> Result<String, IntakeError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(invalid(field, "is required"));
    }
    let len = value.chars().count();
    if len > max {
        return Err(invalid(
            field,
            format!("is {len} characters long; at most {max} are allowed"),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(invalid(
            field,
            format!("contains the control character U+{:04X}", c as u32),
        ));
    }
    Ok(value.to_owned())
}

fn phone(value: &str) -> Result<String, IntakeError> {
    let value = text("complainant.phone", value, false, 32)?;
    if value.is_empty() {
        return Ok(value);
    }
    let digits = value.chars().filter(|c| c.is_ascii_digit()).count();
    let allowed = value
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == '-' || c == ' ' || (i == 0 && c == '+'));
    if !allowed || !(5..=20).contains(&digits) {
        return Err(invalid(
            "complainant.phone",
            "must be 5–20 digits, optionally with a leading '+', spaces or '-'",
        ));
    }
    Ok(value)
}

fn email(value: &str) -> Result<String, IntakeError> {
    let value = text("complainant.email", value, false, MAX_EMAIL)?;
    if value.is_empty() {
        return Ok(value);
    }
    let ok = matches!(value.split_once('@'), Some((user, domain))
        if !user.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
        && !value.contains(char::is_whitespace);
    if ok {
        Ok(value)
    } else {
        Err(invalid(
            "complainant.email",
            "is not an e-mail address (name@domain)",
        ))
    }
}

impl NewComplaint {
    /// Checks a request against the rules and the network's regions.
    /// `now` bounds `matter_at` (a matter cannot happen in the future).
    pub fn parse(
        req: SubmitComplaintRequest,
        network: &Network,
        now: DateTime<Utc>,
    ) -> Result<Self, IntakeError> {
        let idempotency_key = text("idempotency_key", &req.idempotency_key, true, MAX_KEY)?;

        let channel = match Channel::try_from(req.channel) {
            Ok(Channel::Unspecified) => return Err(invalid("channel", "is required")),
            Ok(channel) => channel,
            Err(_) => {
                return Err(invalid(
                    "channel",
                    format!("{} is not a known channel", req.channel),
                ))
            }
        };

        let who = req.complainant.ok_or_else(|| {
            invalid(
                "complainant",
                "is required (set anonymous for an anonymous complaint)",
            )
        })?;
        let complainant = Identity {
            anonymous: who.anonymous,
            name: text("complainant.name", &who.name, false, MAX_NAME)?,
            phone: phone(&who.phone)?,
            email: email(&who.email)?,
        };
        if complainant.anonymous && !complainant.name.is_empty() {
            return Err(invalid(
                "complainant.name",
                "must be empty for an anonymous complaint",
            ));
        }
        if !complainant.anonymous {
            if complainant.name.is_empty() {
                return Err(invalid(
                    "complainant.name",
                    "is required unless the complaint is anonymous",
                ));
            }
            if complainant.phone.is_empty() && complainant.email.is_empty() {
                return Err(invalid(
                    "complainant.phone",
                    "a phone or an e-mail is required unless the complaint is anonymous",
                ));
            }
        }

        let region = text("region", &req.region, true, 40)?;
        if network.region(&region).is_none() {
            let known: Vec<&str> = network.regions().map(|r| r.code.as_str()).collect();
            return Err(invalid(
                "region",
                format!(
                    "{region:?} is not a region of this network; known: {}",
                    known.join(", ")
                ),
            ));
        }
        let category_hint = text("category_hint", &req.category_hint, false, 40)?;
        if !category_hint.is_empty() && !network::is_code(&category_hint) {
            return Err(invalid(
                "category_hint",
                "must be a category code: lowercase letters, digits or '-'",
            ));
        }

        let matter_at = match req.matter_at {
            None => None,
            Some(ts) => {
                let at = mesh_kit::time::from_proto(&ts)
                    .ok_or_else(|| invalid("matter_at", "is not a valid timestamp"))?;
                // A few minutes of clock skew between caller and us is normal.
                if at > now + Duration::minutes(5) {
                    return Err(invalid("matter_at", "is in the future"));
                }
                if at < now - Duration::days(366 * 20) {
                    return Err(invalid("matter_at", "is more than 20 years ago"));
                }
                Some(at)
            }
        };

        Ok(NewComplaint {
            idempotency_key,
            channel,
            complainant,
            respondent: text("respondent", &req.respondent, false, MAX_RESPONDENT)?,
            facts: text("facts", &req.facts, true, MAX_FACTS)?,
            request: text("request", &req.request, false, MAX_REQUEST)?,
            region,
            category_hint,
            matter_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use complaints_proto::v1::Complainant;

    fn network() -> Network {
        Network::parse(
            r#"
            [jurisdiction]
            code = "t"
            name = "t"
            utc_offset = "+08:00"
            [[regions]]
            code = "east"
            name = "东区"
            office = "centre"
            [[departments]]
            code = "centre"
            name = "中心"
            "#,
        )
        .expect("network")
    }

    fn valid() -> SubmitComplaintRequest {
        SubmitComplaintRequest {
            idempotency_key: "k-1".into(),
            channel: Channel::Phone as i32,
            complainant: Some(Complainant {
                anonymous: false,
                name: "张三".into(),
                phone: "13812345678".into(),
                email: String::new(),
            }),
            respondent: "某热力公司".into(),
            facts: "  家里暖气不热  ".into(),
            request: "尽快维修".into(),
            region: "east".into(),
            category_hint: String::new(),
            matter_at: None,
        }
    }

    fn field_of(req: SubmitComplaintRequest) -> &'static str {
        match NewComplaint::parse(req, &network(), Utc::now()) {
            Err(IntakeError::InvalidField { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_complaint_parses_and_is_trimmed() {
        let c = NewComplaint::parse(valid(), &network(), Utc::now()).expect("valid");
        assert_eq!(c.facts, "家里暖气不热");
        assert_eq!(c.channel, Channel::Phone);
    }

    #[test]
    fn each_rule_names_its_field() {
        assert_eq!(
            field_of(SubmitComplaintRequest {
                idempotency_key: String::new(),
                ..valid()
            }),
            "idempotency_key"
        );
        assert_eq!(
            field_of(SubmitComplaintRequest {
                channel: 0,
                ..valid()
            }),
            "channel"
        );
        assert_eq!(
            field_of(SubmitComplaintRequest {
                channel: 99,
                ..valid()
            }),
            "channel"
        );
        assert_eq!(
            field_of(SubmitComplaintRequest {
                complainant: None,
                ..valid()
            }),
            "complainant"
        );
        assert_eq!(
            field_of(SubmitComplaintRequest {
                facts: " ".into(),
                ..valid()
            }),
            "facts"
        );
        assert_eq!(
            field_of(SubmitComplaintRequest {
                facts: "字".repeat(MAX_FACTS + 1),
                ..valid()
            }),
            "facts"
        );
        assert_eq!(
            field_of(SubmitComplaintRequest {
                facts: "a\u{0}b".into(),
                ..valid()
            }),
            "facts"
        );
        assert_eq!(
            field_of(SubmitComplaintRequest {
                region: "west".into(),
                ..valid()
            }),
            "region"
        );
        assert_eq!(
            field_of(SubmitComplaintRequest {
                category_hint: "Heat ing".into(),
                ..valid()
            }),
            "category_hint"
        );
        let future = mesh_kit::time::to_proto(Utc::now() + Duration::days(1));
        assert_eq!(
            field_of(SubmitComplaintRequest {
                matter_at: Some(future),
                ..valid()
            }),
            "matter_at"
        );
    }

    #[test]
    fn named_complainants_need_a_contact() {
        let mut req = valid();
        req.complainant = Some(Complainant {
            anonymous: false,
            name: "张三".into(),
            phone: String::new(),
            email: String::new(),
        });
        assert_eq!(field_of(req), "complainant.phone");
        let mut req = valid();
        req.complainant = Some(Complainant {
            anonymous: false,
            name: "张三".into(),
            phone: "call me".into(),
            email: String::new(),
        });
        assert_eq!(field_of(req), "complainant.phone");
        let mut req = valid();
        req.complainant = Some(Complainant {
            anonymous: false,
            name: "张三".into(),
            phone: String::new(),
            email: "nope".into(),
        });
        assert_eq!(field_of(req), "complainant.email");
    }

    #[test]
    fn anonymous_complaints_need_no_identity() {
        let mut req = valid();
        req.complainant = Some(Complainant {
            anonymous: true,
            ..Default::default()
        });
        assert!(NewComplaint::parse(req, &network(), Utc::now()).is_ok());
        let mut req = valid();
        req.complainant = Some(Complainant {
            anonymous: true,
            name: "张三".into(),
            ..Default::default()
        });
        assert_eq!(field_of(req), "complainant.name");
    }
}
