//! Conversions between protobuf `Timestamp` and chrono.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
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

/// `at` as local time at `offset`. chrono cannot represent the local time
/// of the first and last hours of its range (a timestamp an event may
/// carry); those are taken at the range's edge instead of panicking, as
/// `DateTime::with_timezone(..).date_naive()` does.
pub fn local(at: DateTime<Utc>, offset: FixedOffset) -> NaiveDateTime {
    at.naive_utc()
        .checked_add_offset(offset)
        .unwrap_or(if offset.local_minus_utc() > 0 {
            NaiveDateTime::MAX
        } else {
            NaiveDateTime::MIN
        })
}

/// The instant of a local time at `offset`; local times whose instant
/// lies beyond chrono's range are taken at its edge.
pub fn from_local(local: NaiveDateTime, offset: FixedOffset) -> DateTime<Utc> {
    let utc = local
        .checked_sub_offset(offset)
        .unwrap_or(if offset.local_minus_utc() > 0 {
            NaiveDateTime::MIN
        } else {
            NaiveDateTime::MAX
        });
    Utc.from_utc_datetime(&utc)
}

/// A chrono time as the `time` crate's, which async-nats takes for a
/// consumer's start time.
pub fn offset_date_time(
    at: DateTime<Utc>,
) -> Result<::time::OffsetDateTime, ::time::error::ComponentRange> {
    ::time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(
        at.timestamp_nanos_opt().unwrap_or_default(),
    ))
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

    #[test]
    fn local_time_at_the_edges_of_the_range_is_clamped() {
        // Found by fuzzing: `with_timezone(..).date_naive()` panics there.
        let east = FixedOffset::east_opt(8 * 3600).expect("offset");
        let west = FixedOffset::west_opt(5 * 3600).expect("offset");
        assert_eq!(local(DateTime::<Utc>::MAX_UTC, east), NaiveDateTime::MAX);
        assert_eq!(local(DateTime::<Utc>::MIN_UTC, west), NaiveDateTime::MIN);
        assert_eq!(
            from_local(NaiveDateTime::MAX, west),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            from_local(NaiveDateTime::MIN, east),
            DateTime::<Utc>::MIN_UTC
        );
        let at = Utc
            .with_ymd_and_hms(2026, 11, 30, 17, 0, 0)
            .single()
            .expect("valid");
        assert_eq!(local(at, east), at.with_timezone(&east).naive_local());
        assert_eq!(from_local(local(at, east), east), at);
    }
}
