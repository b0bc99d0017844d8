//! The wire contract of the complaint-routing mesh: protobuf messages of
//! package `complaints.v1` and the gRPC clients and servers generated from
//! them. The `.proto` files beside this crate are the source of truth.

/// Messages and services of `complaints.v1`.
pub mod v1 {
    #![allow(clippy::all)]
    tonic::include_proto!("complaints.v1");
}

/// Encoded `FileDescriptorSet` of every `.proto` file, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/complaints_descriptor.bin"));
