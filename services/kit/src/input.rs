//! Checks of request fields at the gRPC edge, shared by every service.
//!
//! Each check returns the value in the form the service works with, or a
//! [`FieldError`] naming the field and the rule (`facts: is 4001 characters
//! long; at most 4000 are allowed`); each service's error type turns it into
//! `INVALID_ARGUMENT`. A bad value quoted back in a message is cut short
//! ([`shown`]), so a huge value never makes a huge status.
//!
//! What tonic and prost refuse before a handler runs (messages over a
//! server's size limit, strings that are not UTF-8) and the rules of every
//! RPC are in `docs/input-validation.md`.

use chrono::{DateTime, NaiveDate, Utc};
use complaints_proto::Label;
use prost_types::Timestamp;
use uuid::Uuid;

/// A request field that breaks its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct FieldError {
    /// The field as the `.proto` names it, with its parents
    /// (`complainant.phone`, `conclusion.answer`).
    pub field: &'static str,
    pub rule: String,
}

impl FieldError {
    pub fn new(field: &'static str, rule: impl Into<String>) -> Self {
        Self {
            field,
            rule: rule.into(),
        }
    }
}

/// Longest code of a department, region or category (as
/// [`crate::network::is_code`] allows).
pub const MAX_CODE: usize = 40;
/// Longest case number: `YYYY-MM-` and a counter of 6 to 24 digits.
pub const MAX_CASE_NUMBER: usize = 32;
/// Earliest instant a request may carry: 2000-01-01T00:00:00Z.
pub const EARLIEST_SECONDS: i64 = 946_684_800;
/// First instant past the latest a request may carry: 2100-01-01T00:00:00Z.
pub const LATEST_SECONDS: i64 = 4_102_444_800;
/// Most characters of a bad value quoted back in a message.
const SHOWN: usize = 40;

/// A value quoted for a message (escaped), cut to its first 40 characters.
pub fn shown(value: &str) -> String {
    let len = value.chars().count();
    if len <= SHOWN {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(SHOWN).collect();
        format!("{head:?}… ({len} characters)")
    }
}

/// Free text: trimmed, at most `max` characters, no control characters
/// other than line breaks and tabs; `required` refuses an empty one.
pub fn text(
    field: &'static str,
    value: &str,
    required: bool,
    max: usize,
) -> Result<String, FieldError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    let len = value.chars().count();
    if len > max {
        return Err(FieldError::new(
            field,
            format!("is {len} characters long; at most {max} are allowed"),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(
            field,
            format!("contains the control character U+{:04X}", c as u32),
        ));
    }
    Ok(value.to_owned())
}

/// An optional code (department, region, category): trimmed, `None` when
/// empty, otherwise 1–40 lowercase letters, digits or '-'.
pub fn code(field: &'static str, value: &str) -> Result<Option<String>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if !crate::network::is_code(value) {
        return Err(FieldError::new(
            field,
            format!(
                "{} is not a code: 1–{MAX_CODE} lowercase letters, digits or '-'",
                shown(value)
            ),
        ));
    }
    Ok(Some(value.to_owned()))
}

/// Like [`code`], but an empty one is refused.
pub fn required_code(field: &'static str, value: &str) -> Result<String, FieldError> {
    code(field, value)?.ok_or_else(|| FieldError::new(field, "is required"))
}

/// A repeated field of codes: at most `max` entries, each a code.
pub fn codes(
    field: &'static str,
    values: &[String],
    max: usize,
) -> Result<Vec<String>, FieldError> {
    entries(field, values.len(), max)?;
    values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            required_code(field, value)
                .map_err(|err| FieldError::new(field, format!("entry {i}: {}", err.rule)))
        })
        .collect()
}

/// A repeated field holds at most `max` entries.
pub fn entries(field: &'static str, len: usize, max: usize) -> Result<(), FieldError> {
    if len > max {
        return Err(FieldError::new(
            field,
            format!("has {len} entries; at most {max} are allowed"),
        ));
    }
    Ok(())
}

/// A case number, `YYYY-MM-NNNNNN` (trimmed).
pub fn case_number(field: &'static str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    let len = value.chars().count();
    if len > MAX_CASE_NUMBER {
        return Err(FieldError::new(
            field,
            format!("is {len} characters long; at most {MAX_CASE_NUMBER} are allowed"),
        ));
    }
    if !complaints_proto::is_case_number(value) {
        return Err(FieldError::new(field, "must look like 2026-11-000123"));
    }
    Ok(value.to_owned())
}

/// An id that must be a UUID.
pub fn uuid(field: &'static str, value: &str) -> Result<Uuid, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    Uuid::parse_str(value)
        .map_err(|_| FieldError::new(field, format!("{} is not a UUID", shown(value))))
}

/// An enum field. prost keeps a value this build does not know as a bare
/// number; it is refused here, never read as the default. With `required`,
/// 0 (`…_UNSPECIFIED`) is refused too.
pub fn enum_value<E>(field: &'static str, value: i32, required: bool) -> Result<E, FieldError>
where
    E: TryFrom<i32> + Label,
{
    if value == 0 && required {
        return Err(FieldError::new(
            field,
            format!("is required; one of {}", known::<E>()),
        ));
    }
    E::try_from(value).map_err(|_| {
        FieldError::new(
            field,
            format!("{value} is not a known value; one of {}", known::<E>()),
        )
    })
}

/// The labels of an enum's values other than 0 (enums here are small).
fn known<E: TryFrom<i32> + Label>() -> String {
    (1..64)
        .filter_map(|v| E::try_from(v).ok())
        .map(|e| e.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An optional timestamp: nanos 0 to 999 999 999, and within 2000-01-01 to
/// 2100-01-01 (UTC), which every instant of a complaint's life is; outside
/// it a caller has a bug, and the deadline arithmetic must never see it.
pub fn timestamp(
    field: &'static str,
    value: Option<&Timestamp>,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    let Some(ts) = value else {
        return Ok(None);
    };
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(FieldError::new(
            field,
            format!("nanos is {}; it must be 0 to 999999999", ts.nanos),
        ));
    }
    if !(EARLIEST_SECONDS..LATEST_SECONDS).contains(&ts.seconds) {
        return Err(FieldError::new(
            field,
            format!(
                "seconds is {}; it must be within 2000-01-01 and 2100-01-01 (UTC)",
                ts.seconds
            ),
        ));
    }
    crate::time::from_proto(ts)
        .map(Some)
        .ok_or_else(|| FieldError::new(field, "is not a valid timestamp"))
}

/// An optional local day, `YYYY-MM-DD` (trimmed; `None` when empty), within
/// the same years as [`timestamp`]: 2000-01-01 to 2099-12-31. Date
/// arithmetic near chrono's limits panics; a day outside is refused first.
pub fn day(field: &'static str, value: &str) -> Result<Option<NaiveDate>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        FieldError::new(
            field,
            format!("{} is not a date (YYYY-MM-DD)", shown(value)),
        )
    })?;
    let seconds = day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
    if !(EARLIEST_SECONDS..LATEST_SECONDS).contains(&seconds) {
        return Err(FieldError::new(
            field,
            format!("{day} is not within 2000-01-01 and 2099-12-31"),
        ));
    }
    Ok(Some(day))
}

/// Like [`timestamp`], but a missing one is refused.
pub fn required_timestamp(
    field: &'static str,
    value: Option<&Timestamp>,
) -> Result<DateTime<Utc>, FieldError> {
    timestamp(field, value)?.ok_or_else(|| FieldError::new(field, "is required"))
}

/// A page size: 0 asks for `default`; more than `max` is refused. (The
/// fields are `uint32`: a negative number a client sends arrives as a huge
/// one and is refused.)
pub fn page_size(
    field: &'static str,
    value: u32,
    default: u32,
    max: u32,
) -> Result<i64, FieldError> {
    match value {
        0 => Ok(i64::from(default)),
        n if n > max => Err(FieldError::new(
            field,
            format!("is {n}; at most {max} are allowed (0 for the default, {default})"),
        )),
        n => Ok(i64::from(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use complaints_proto::v1::{Channel, Severity};

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("f", "  a b \n", true, 3), Ok("a b".into()));
        assert_eq!(text("f", " ", false, 3), Ok(String::new()));
        let err = text("facts", " ", true, 3).expect_err("required");
        assert_eq!(err.to_string(), "facts: is required");
        // Characters, not bytes.
        assert!(text("f", "字字字", true, 3).is_ok());
        let err = text("facts", "字字字字", true, 3).expect_err("too long");
        assert_eq!(
            err.to_string(),
            "facts: is 4 characters long; at most 3 are allowed"
        );
        let err = text("facts", "a\u{7}b", true, 9).expect_err("bell");
        assert_eq!(
            err.to_string(),
            "facts: contains the control character U+0007"
        );
        assert!(text("f", "a\tb\r\nc", true, 9).is_ok());
    }

    #[test]
    fn codes_have_a_shape_and_a_length() {
        assert_eq!(
            code("department", " east-heat "),
            Ok(Some("east-heat".into()))
        );
        assert_eq!(code("department", ""), Ok(None));
        for bad in ["East", "a b", "a.b", &"a".repeat(MAX_CODE + 1)] {
            let err = code("department", bad).expect_err(bad);
            assert_eq!(err.field, "department");
            assert!(err.rule.contains("is not a code"), "{err}");
        }
        let err = required_code("transfer.department", "").expect_err("required");
        assert_eq!(err.to_string(), "transfer.department: is required");
    }

    #[test]
    fn repeated_codes_are_counted_and_each_checked() {
        let ok = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(codes("exclude", &ok, 2), Ok(ok.clone()));
        let err = codes("exclude", &ok, 1).expect_err("too many");
        assert_eq!(
            err.to_string(),
            "exclude: has 2 entries; at most 1 are allowed"
        );
        let err = codes("exclude", &["a".into(), "B".into()], 5).expect_err("bad entry");
        assert!(
            err.to_string().starts_with("exclude: entry 1: \"B\""),
            "{err}"
        );
    }

    #[test]
    fn a_huge_bad_value_is_quoted_short() {
        let huge = "X".repeat(100_000);
        let err = code("region", &huge).expect_err("bad");
        assert!(err.to_string().len() < 200, "{err}");
        assert!(err.rule.contains("(100000 characters)"), "{err}");
        assert_eq!(shown("a\u{0}"), "\"a\\0\"");
    }

    #[test]
    fn case_numbers_are_bounded() {
        assert_eq!(
            case_number("case_number", " 2026-11-000123 "),
            Ok("2026-11-000123".into())
        );
        for bad in ["", "2026-11-123", "abc"] {
            assert_eq!(
                case_number("case_number", bad).expect_err(bad).field,
                "case_number"
            );
        }
        let long = format!("2026-11-{}", "1".repeat(100));
        let err = case_number("case_number", &long).expect_err("long");
        assert!(err.rule.contains("at most 32"), "{err}");
    }

    #[test]
    fn uuids_are_parsed() {
        let id = Uuid::now_v7();
        assert_eq!(uuid("case_id", &id.to_string()), Ok(id));
        assert_eq!(uuid("case_id", "").expect_err("empty").rule, "is required");
        assert!(uuid("case_id", "nope")
            .expect_err("bad")
            .rule
            .ends_with("is not a UUID"));
    }

    #[test]
    fn unknown_enum_values_are_refused_not_defaulted() {
        assert_eq!(
            enum_value::<Channel>("channel", 1, true),
            Ok(Channel::Phone)
        );
        assert_eq!(
            enum_value::<Severity>("severity", 0, false),
            Ok(Severity::Unspecified)
        );
        let err = enum_value::<Severity>("severity", 0, true).expect_err("required");
        assert_eq!(
            err.to_string(),
            "severity: is required; one of minor, general, major"
        );
        let err = enum_value::<Severity>("severity", 42, false).expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "severity: 42 is not a known value; one of minor, general, major"
        );
        assert!(enum_value::<Severity>("severity", -1, false).is_err());
    }

    #[test]
    fn timestamps_must_be_valid_and_plausible() {
        let at = |seconds, nanos| Timestamp { seconds, nanos };
        let ok = at(1_795_000_000, 5);
        assert_eq!(
            timestamp("start", Some(&ok)),
            Ok(crate::time::from_proto(&ok))
        );
        assert_eq!(timestamp("start", None), Ok(None));
        assert_eq!(
            required_timestamp("start", None)
                .expect_err("missing")
                .to_string(),
            "start: is required"
        );
        for bad in [
            at(1_795_000_000, -1),
            at(1_795_000_000, 1_000_000_000),
            at(i64::MAX, 0),
            at(i64::MIN, 0),
            at(EARLIEST_SECONDS - 1, 0),
            at(LATEST_SECONDS, 0),
        ] {
            let err = timestamp("start", Some(&bad)).expect_err("out of range");
            assert_eq!(err.field, "start", "{bad:?}");
        }
        assert!(timestamp("start", Some(&at(EARLIEST_SECONDS, 0))).is_ok());
        assert!(timestamp("start", Some(&at(LATEST_SECONDS - 1, 999_999_999))).is_ok());
    }

    #[test]
    fn days_are_dates_within_the_century() {
        assert_eq!(
            day("from_day", " 2026-11-30 "),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 30))
        );
        assert_eq!(day("from_day", ""), Ok(None));
        assert!(day("from_day", "2099-12-31").is_ok());
        for bad in [
            "2026-13-01",
            "30/11/2026",
            "-262143-01-01",
            "+262142-12-31",
            "1999-12-31",
            "2100-01-01",
        ] {
            let err = day("from_day", bad).expect_err(bad);
            assert_eq!(err.field, "from_day", "{bad}");
        }
        let err = day("to_day", &"9".repeat(100_000)).expect_err("huge");
        assert!(err.to_string().len() < 200, "{err}");
    }

    #[test]
    fn page_sizes_default_and_are_capped() {
        assert_eq!(page_size("limit", 0, 50, 500), Ok(50));
        assert_eq!(page_size("limit", 500, 50, 500), Ok(500));
        let err = page_size("limit", 501, 50, 500).expect_err("too many");
        assert_eq!(err.field, "limit");
        // A client's -1, as a uint32 on the wire.
        assert!(page_size("limit", u32::MAX, 50, 500).is_err());
    }
}
