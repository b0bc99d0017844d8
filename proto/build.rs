//! Compiles `complaints/v1/*.proto` with protox (pure Rust): no `protoc` on
//! the machine. Also writes the descriptor set, served by gRPC reflection.

use prost::Message;
use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "complaints/v1/common.proto",
    "complaints/v1/events.proto",
    "complaints/v1/intake.proto",
    "complaints/v1/dispatch.proto",
    "complaints/v1/deadline.proto",
    "complaints/v1/reporting.proto",
    "complaints/v1/triage.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let fds = protox::compile(PROTOS, ["."])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("complaints_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure().compile_fds(fds)?;
    Ok(())
}
