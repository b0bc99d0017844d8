//! Conversions between protobuf `Timestamp` and chrono.

use chrono::{DateTime, TimeZone, Utc};
use prost_types::Timestamp;

/// A chrono instant as a protobuf timestamp.
pub fn to_proto(at: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

/// A protobuf timestamp as a chrono instant; `None` when out of range.
pub fn from_proto(ts: &Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(ts.nanos).ok()?;
    Utc.timestamp_opt(ts.seconds, nanos).single()
}

/// Like [`from_proto`] for an optional field.
pub fn from_proto_opt(ts: Option<&Timestamp>) -> Option<DateTime<Utc>> {
    ts.and_then(from_proto)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_the_instant() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 22, 9, 30, 5)
            .single()
            .expect("valid")
            + chrono::Duration::nanoseconds(123);
        assert_eq!(from_proto(&to_proto(at)), Some(at));
    }

    #[test]
    fn negative_nanos_are_rejected() {
        assert_eq!(
            from_proto(&Timestamp {
                seconds: 0,
                nanos: -1
            }),
            None
        );
    }
}
