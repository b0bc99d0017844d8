//! What the fuzz targets share: the shipped network, rules, policy and
//! calendar (parsed once per process), and ways of cutting one input into
//! several values.
//!
//! The targets assert nothing but that the code under test neither panics
//! nor hangs, except where a round trip is a property of its own.

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};
use mesh_deadline_watcher::calendar::WorkCalendar;
use mesh_deadline_watcher::deadlines::Deadlines;
use mesh_deadline_watcher::policy::Policy;
use mesh_kit::network::Network;
use mesh_triage::rules::Rules;
use std::sync::OnceLock;

/// The sample network, with the triage rules in the same file.
pub const SAMPLE_NETWORK: &str = include_str!("../../../deploy/network/sample-city.toml");
/// The shipped deadline policy.
pub const POLICY: &str = include_str!("../../../deploy/policy/deadlines.toml");
/// The shipped working-day calendar.
pub const CALENDAR: &str = include_str!("../../../deploy/calendar/cn.toml");

/// The sample network; `None` only if the shipped file stopped parsing.
pub fn network() -> Option<&'static Network> {
    static NETWORK: OnceLock<Option<Network>> = OnceLock::new();
    NETWORK
        .get_or_init(|| Network::parse(SAMPLE_NETWORK).ok())
        .as_ref()
}

/// The sample network's triage rules.
pub fn rules() -> Option<&'static Rules> {
    static RULES: OnceLock<Option<Rules>> = OnceLock::new();
    RULES
        .get_or_init(|| network().and_then(|n| Rules::parse(SAMPLE_NETWORK, n).ok()))
        .as_ref()
}

/// The shipped calendar.
pub fn calendar() -> Option<&'static WorkCalendar> {
    static CAL: OnceLock<Option<WorkCalendar>> = OnceLock::new();
    CAL.get_or_init(|| WorkCalendar::parse(CALENDAR).ok())
        .as_ref()
}

/// The shipped policy, calendar and the sample network's local time.
pub fn deadlines() -> Option<&'static Deadlines> {
    static DEADLINES: OnceLock<Option<Deadlines>> = OnceLock::new();
    DEADLINES
        .get_or_init(|| {
            Some(Deadlines {
                policy: Policy::parse(POLICY).ok()?,
                calendar: calendar()?.clone(),
                offset: offset(),
            })
        })
        .as_ref()
}

/// The sample network's offset from UTC (+08:00).
pub fn offset() -> FixedOffset {
    network().map_or_else(|| Utc.fix(), |n| n.offset)
}

/// Byte that separates the fields of an input: never part of UTF-8, so a
/// field may hold any text.
pub const SEPARATOR: u8 = 0xFF;

/// Cuts `data` at [`SEPARATOR`] into `N` texts (invalid UTF-8 replaced,
/// missing fields empty, the last field takes the rest).
pub fn fields<const N: usize>(data: &[u8]) -> [String; N] {
    let mut parts = data.splitn(N, |b| *b == SEPARATOR);
    std::array::from_fn(|_| {
        parts
            .next()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default()
    })
}

/// The first byte chooses one of `choices`; the rest is the payload.
pub fn choose<'a, T: Copy>(choices: &[T], data: &'a [u8]) -> Option<(T, &'a [u8])> {
    let (first, rest) = data.split_first()?;
    let choice = *choices.get(usize::from(*first) % choices.len().max(1))?;
    Some((choice, rest))
}

/// Reads an `i64` from the first 8 bytes (zero-padded), and the rest.
pub fn take_i64(data: &[u8]) -> (i64, &[u8]) {
    let n = data.len().min(8);
    let mut bytes = [0u8; 8];
    bytes[..n].copy_from_slice(&data[..n]);
    (i64::from_le_bytes(bytes), &data[n..])
}

/// An instant from fuzz input: anywhere chrono can represent, clamped.
pub fn instant(seconds: i64) -> DateTime<Utc> {
    let min = DateTime::<Utc>::MIN_UTC.timestamp();
    let max = DateTime::<Utc>::MAX_UTC.timestamp();
    Utc.timestamp_opt(seconds.clamp(min, max), 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// A few instants every date computation should survive: now, the edges
/// of chrono's range, and one from the input.
pub fn instants(from_input: i64) -> [DateTime<Utc>; 4] {
    [
        Utc::now(),
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
        instant(from_input),
    ]
}
