//! Connecting to a service, with an error that says what to check.

use anyhow::Context;
use tonic::transport::{Channel, Endpoint};

/// A channel to `url`; `service` names it in errors.
pub async fn channel(service: &str, url: &str) -> anyhow::Result<Channel> {
    Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("{url:?} is not a valid endpoint for {service}"))?
        .connect_timeout(std::time::Duration::from_secs(3))
        .connect()
        .await
        .with_context(|| {
            format!("cannot reach {service} at {url}; is the mesh running (make run)?")
        })
}

/// Turns a gRPC status into an error a person can act on.
pub fn status(service: &str, status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!(
        "{service} answered {:?}: {}",
        status.code(),
        status.message()
    )
}

/// JetStream on the mesh's NATS server at `url`.
pub async fn nats(url: &str) -> anyhow::Result<async_nats::jetstream::Context> {
    let client = async_nats::ConnectOptions::new()
        .name("complaintctl")
        .connection_timeout(std::time::Duration::from_secs(3))
        .connect(url)
        .await
        .with_context(|| {
            format!("cannot reach NATS at {url} (--nats-url); is the mesh running (make run)?")
        })?;
    Ok(async_nats::jetstream::new(client))
}
