//! Case numbers: the shape check every service applies
//! (`is_case_number`) on any text, and the round trip of intake's
//! numbering: for any instant of years 1 to 9999, any jurisdiction offset
//! and any counter, the number intake formats is one the shape check
//! accepts, and its month is the month key intake draws the counter from.
#![no_main]

use chrono::{Datelike, FixedOffset};
use complaints_proto::is_case_number;
use libfuzzer_sys::fuzz_target;
use mesh_intake::case_number::{format, month_of};

fuzz_target!(|data: &[u8]| {
    let (seconds, rest) = mesh_fuzz::take_i64(data);
    let (counter, rest) = mesh_fuzz::take_i64(rest);
    let (offset, rest) = mesh_fuzz::take_i64(rest);
    let text = String::from_utf8_lossy(rest);
    let _ = is_case_number(&text);
    let _ = is_case_number(text.trim());

    let Some(offset) = FixedOffset::east_opt((offset % 86_400) as i32) else {
        return;
    };
    let at = mesh_fuzz::instant(seconds);
    let year = at.with_timezone(&offset).year();
    let (key, prefix) = month_of(at, offset);
    if !(1..=9999).contains(&year) {
        return;
    }
    let counter = counter.unsigned_abs().min(i64::MAX as u64) as i64;
    let number = format(&prefix, counter);
    assert!(
        is_case_number(&number),
        "{number:?} from {at} and {counter}"
    );
    assert_eq!(prefix.replace('-', ""), key, "{number:?}");
    assert!(number.starts_with(&format!("{prefix}-")), "{number:?}");
});
