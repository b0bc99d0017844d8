//! A complaint as submitted, parsed and checked at the edge (parse, don't
//! validate): once a [`NewComplaint`] exists, every field obeys its rule.

use crate::error::IntakeError;
use chrono::{DateTime, Duration, Utc};
use complaints_proto::v1::{Channel, SubmitComplaintRequest};
use mesh_kit::input::{enum_value, text, timestamp};
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
pub const MAX_PHONE: usize = 32;
/// Region and category codes.
pub use mesh_kit::input::MAX_CODE;

/// Largest request intake's gRPC server decodes (`max_decoding_message_size`);
/// a bigger one is refused by tonic with `OUT_OF_RANGE` before any handler
/// runs. The largest valid submission (every field at its limit, in 4-byte
/// characters) is about 27 KiB; this leaves room for the rules above to name
/// the field that is too long rather than the whole message.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

fn invalid(field: &'static str, rule: impl Into<String>) -> IntakeError {
    IntakeError::InvalidField {
        field,
        rule: rule.into(),
    }
}

fn phone(value: &str) -> Result<String, IntakeError> {
    let value = text("complainant.phone", value, false, MAX_PHONE)?;
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

        let channel: Channel = enum_value("channel", req.channel, true)?;

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

        let region = text("region", &req.region, true, MAX_CODE)?;
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
        let category_hint = text("category_hint", &req.category_hint, false, MAX_CODE)?;
        if !category_hint.is_empty() && !network::is_code(&category_hint) {
            return Err(invalid(
                "category_hint",
                "must be a category code: lowercase letters, digits or '-'",
            ));
        }

        let matter_at = match timestamp("matter_at", req.matter_at.as_ref())? {
            None => None,
            Some(at) => {
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
    fn unknown_channels_and_bad_times_are_refused_with_their_field() {
        let status = |req| {
            let err = NewComplaint::parse(req, &network(), Utc::now()).expect_err("invalid");
            tonic::Status::from(err)
        };
        let refused = status(SubmitComplaintRequest {
            channel: 42,
            ..valid()
        });
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        assert!(
            refused
                .message()
                .starts_with("channel: 42 is not a known value"),
            "{refused:?}"
        );
        for (seconds, nanos) in [
            (1_700_000_000, -1),
            (1_700_000_000, 1_000_000_000),
            (i64::MAX, 0),
            (i64::MIN, 0),
        ] {
            let mut at = mesh_kit::time::to_proto(Utc::now());
            (at.seconds, at.nanos) = (seconds, nanos);
            let refused = status(SubmitComplaintRequest {
                matter_at: Some(at),
                ..valid()
            });
            assert_eq!(refused.code(), tonic::Code::InvalidArgument);
            assert!(refused.message().starts_with("matter_at: "), "{refused:?}");
        }
        let long = status(SubmitComplaintRequest {
            idempotency_key: "k".repeat(MAX_KEY + 1),
            ..valid()
        });
        assert_eq!(
            long.message(),
            "idempotency_key: is 129 characters long; at most 128 are allowed"
        );
    }

    #[test]
    fn the_largest_valid_submission_fits_the_message_limit() {
        use prost::Message;
        // 4-byte characters (the worst case of UTF-8) up to every limit.
        let wide = |n: usize| "𠀀".repeat(n);
        let req = SubmitComplaintRequest {
            idempotency_key: wide(MAX_KEY),
            channel: Channel::Transfer as i32,
            complainant: Some(Complainant {
                anonymous: false,
                name: wide(MAX_NAME),
                phone: "1".repeat(MAX_PHONE),
                email: format!("{}@x.cn", wide(MAX_EMAIL - 5)),
            }),
            respondent: wide(MAX_RESPONDENT),
            facts: wide(MAX_FACTS),
            request: wide(MAX_REQUEST),
            region: "e".repeat(MAX_CODE),
            category_hint: "c".repeat(MAX_CODE),
            matter_at: Some(mesh_kit::time::to_proto(Utc::now())),
        };
        let size = req.encoded_len();
        assert!(
            size * 4 < MAX_MESSAGE_BYTES,
            "{size} bytes leave too little room under {MAX_MESSAGE_BYTES}"
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
