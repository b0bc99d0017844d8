//! The small parsers of names: enum labels (`Label::from_label`, and the
//! round trip label → value → label), timer stages, order states,
//! department codes and case numbers.
#![no_main]

use complaints_proto::v1::{
    AlertStage, Channel, DeadlineKind, HandlingMode, Handover, Kind, ReportPeriod, Satisfaction,
    Severity,
};
use complaints_proto::Label;
use libfuzzer_sys::fuzz_target;

fn round_trip<E: Label + Copy + PartialEq + std::fmt::Debug>(text: &str) {
    if let Some(value) = E::from_label(text) {
        assert_eq!(value.label(), text, "{value:?}");
        assert_eq!(E::from_label(&value.label()), Some(value));
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    round_trip::<Channel>(text);
    round_trip::<Kind>(text);
    round_trip::<Severity>(text);
    round_trip::<HandlingMode>(text);
    round_trip::<DeadlineKind>(text);
    round_trip::<Satisfaction>(text);
    round_trip::<Handover>(text);
    round_trip::<AlertStage>(text);
    round_trip::<ReportPeriod>(text);
    if let Some(stage) = mesh_deadline_watcher::supervision::Stage::parse(text) {
        assert_eq!(stage.as_str(), text);
    }
    if let Some(state) = mesh_dispatch::workflow::OrderState::parse(text) {
        assert_eq!(state.as_str(), text);
    }
    let _ = mesh_kit::network::is_code(text);
    let _ = complaints_proto::is_case_number(text);
});
