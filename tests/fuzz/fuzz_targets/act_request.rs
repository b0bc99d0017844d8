//! dispatch's edge: arbitrary bytes decoded as an `ActRequest` (a
//! department's workflow step over gRPC), checked into a `Command`, and
//! the case number check `Act` applies first.
#![no_main]

use complaints_proto::v1::ActRequest;
use libfuzzer_sys::fuzz_target;
use mesh_dispatch::workflow::Command;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = ActRequest::decode(data) else {
        return;
    };
    let _ = complaints_proto::is_case_number(req.case_number.trim());
    if let Ok(command) = Command::try_from(req) {
        let _ = command.step();
    }
});
