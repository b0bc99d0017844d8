//! Building and running reporting.

use crate::events::{CountHandler, CONSUMERS};
use crate::service::ReportingService;
use clap::Parser;
use complaints_proto::v1::reporting_server::ReportingServer;
use mesh_kit::consumer::Consumer;
use mesh_kit::service::{Backbone, Runner, Service};
use mesh_kit::{CommonArgs, Shutdown};
use tokio::net::TcpListener;

/// The Postgres schema reporting owns.
pub const SCHEMA: &str = "reporting";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Parser)]
#[command(
    name = "reporting",
    version,
    about = "reporting: statistics fed by every event"
)]
pub struct Settings {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Address of the gRPC server.
    #[arg(long, env = "REPORTING__GRPC__ADDR", default_value = "127.0.0.1:50055")]
    pub grpc_addr: String,
}

pub struct Application {
    listener: TcpListener,
    service: ReportingService,
    consumers: Vec<Consumer<CountHandler>>,
}

impl Service for Application {
    const NAME: &'static str = "reporting";
    type Settings = Settings;

    fn common(settings: &Settings) -> &CommonArgs {
        &settings.common
    }

    /// Reporting produces no events: no stream of its own, no relay.
    async fn build(settings: Settings) -> anyhow::Result<Self> {
        let backbone =
            Backbone::connect(Self::NAME, &settings.common, SCHEMA, &MIGRATOR, None).await?;
        let offset = backbone.network.offset;
        let handler = CountHandler { offset };
        let consumers = CONSUMERS
            .into_iter()
            .map(|spec| backbone.consumer(spec, handler.clone(), None))
            .collect();
        Ok(Self {
            listener: mesh_kit::grpc::bind(&settings.grpc_addr).await?,
            service: ReportingService {
                pool: backbone.pool,
                offset,
            },
            consumers,
        })
    }

    async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        tracing::info!(port = self.grpc_port(), "reporting running");
        let router = mesh_kit::grpc::base_router(&["complaints.v1.Reporting"])
            .await?
            .add_service(ReportingServer::new(self.service));
        let mut runner = Runner::new(shutdown);
        runner.grpc(router, self.listener);
        for consumer in self.consumers {
            runner.consumer(consumer);
        }
        runner.join().await
    }
}

impl Application {
    pub fn grpc_port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }
}
