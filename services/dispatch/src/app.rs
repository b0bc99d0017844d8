//! Building and running dispatch.

use crate::routed::{RoutedHandler, CONSUMER};
use crate::service::DispatchService;
use clap::Parser;
use complaints_proto::v1::deadlines_client::DeadlinesClient;
use complaints_proto::v1::dispatch_server::DispatchServer;
use mesh_kit::consumer::Consumer;
use mesh_kit::outbox::Relay;
use mesh_kit::service::{Backbone, Runner, Service};
use mesh_kit::{events, CommonArgs, Shutdown};
use tokio::net::TcpListener;
use tonic::transport::Endpoint;

/// The Postgres schema dispatch owns.
pub const SCHEMA: &str = "dispatch";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Parser)]
#[command(
    name = "dispatch",
    version,
    about = "dispatch: work orders and the department queues"
)]
pub struct Settings {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Address of the gRPC server.
    #[arg(long, env = "DISPATCH__GRPC__ADDR", default_value = "127.0.0.1:50053")]
    pub grpc_addr: String,
    /// The deadline-watcher's gRPC endpoint.
    #[arg(
        long,
        env = "DISPATCH__DEADLINES__URL",
        default_value = "http://127.0.0.1:50054"
    )]
    pub deadlines_url: String,
}

pub struct Application {
    listener: TcpListener,
    service: DispatchService,
    relay: Relay,
    consumer: Consumer<RoutedHandler>,
}

impl Service for Application {
    const NAME: &'static str = "dispatch";
    type Settings = Settings;

    fn common(settings: &Settings) -> &CommonArgs {
        &settings.common
    }

    async fn build(settings: Settings) -> anyhow::Result<Self> {
        let backbone = Backbone::connect(
            Self::NAME,
            &settings.common,
            SCHEMA,
            &MIGRATOR,
            Some((events::dispatch::STREAM, events::dispatch::SUBJECTS)),
        )
        .await?;
        // Lazy: dispatch starts even while the deadline-watcher is down; the
        // consumer retries until it answers.
        let channel = Endpoint::from_shared(settings.deadlines_url.clone())?
            .connect_timeout(std::time::Duration::from_secs(3))
            .connect_lazy();
        let relay = backbone.relay();
        let handler = RoutedHandler {
            network: backbone.network.clone(),
            subjects: backbone.subjects.clone(),
            deadlines: DeadlinesClient::new(channel),
        };
        Ok(Self {
            listener: mesh_kit::grpc::bind(&settings.grpc_addr).await?,
            consumer: backbone.consumer(CONSUMER, handler, Some(relay.waker())),
            service: DispatchService {
                pool: backbone.pool,
                network: backbone.network,
                subjects: backbone.subjects,
                js: backbone.js,
            },
            relay,
        })
    }

    async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        tracing::info!(port = self.grpc_port(), "dispatch running");
        let router = mesh_kit::grpc::base_router(&["complaints.v1.Dispatch"])
            .await?
            .add_service(DispatchServer::new(self.service));
        let mut runner = Runner::new(shutdown);
        runner
            .grpc(router, self.listener)
            .relay(self.relay)
            .consumer(self.consumer);
        runner.join().await
    }
}

impl Application {
    pub fn grpc_port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }
}
