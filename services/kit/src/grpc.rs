//! Serving gRPC: every service's router starts with the standard health
//! service and reflection, and stops on the shared shutdown signal.

use crate::shutdown::Shutdown;
use tokio::net::TcpListener;
use tonic::transport::server::{Router, TcpIncoming};
use tonic::transport::Server;
use tonic_health::ServingStatus;

/// A router with health (each of `services` reported as serving) and
/// reflection over the mesh's descriptor set. Add the service's own
/// servers to it.
pub async fn base_router(services: &[&'static str]) -> anyhow::Result<Router> {
    let (reporter, health) = tonic_health::server::health_reporter();
    for name in services {
        reporter
            .set_service_status(*name, ServingStatus::Serving)
            .await;
    }
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(complaints_proto::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    Ok(Server::builder()
        .add_service(health)
        .add_service(reflection))
}

/// Binds the gRPC listener (`127.0.0.1:0` picks a free port, for tests).
pub async fn bind(addr: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on {addr}: {err}"))
}

/// Serves until shutdown; in-flight calls finish first.
pub async fn serve(
    router: Router,
    listener: TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    // Without TCP_NODELAY a response written in pieces waits for the
    // client's delayed ack: ~40 ms per call.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    router
        .serve_with_incoming_shutdown(incoming, async move { shutdown.cancelled().await })
        .await?;
    Ok(())
}
