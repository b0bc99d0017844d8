//! intake's edge: arbitrary bytes decoded as a `SubmitComplaintRequest`,
//! checked into a `NewComplaint` against the sample network, then what
//! registration does with it before the database: the summaries redacted
//! of the complainant's identity, and the complainant's key.
#![no_main]

use chrono::Utc;
use complaints_proto::v1::SubmitComplaintRequest;
use libfuzzer_sys::fuzz_target;
use mesh_intake::complainant_key::KeyMaker;
use mesh_intake::complaint::NewComplaint;
use mesh_intake::mask::redact;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let Some(network) = mesh_fuzz::network() else {
        return;
    };
    let Ok(req) = SubmitComplaintRequest::decode(data) else {
        return;
    };
    let Ok(c) = NewComplaint::parse(req, network, Utc::now()) else {
        return;
    };
    let who = &c.complainant;
    for text in [&c.facts, &c.request, &c.respondent] {
        let _ = redact(text, &who.name, &who.phone, &who.email);
    }
    let _ = KeyMaker::new(vec![7; 32]).key(&who.phone, &who.email);
});
