//! Building and running reporting.

use crate::events::{CountHandler, CONSUMERS};
use crate::service::ReportingService;
use clap::Parser;
use complaints_proto::v1::reporting_server::ReportingServer;
use mesh_kit::consumer::Consumer;
use mesh_kit::network::Network;
use mesh_kit::shutdown::Tasks;
use mesh_kit::{CommonArgs, Shutdown, Subjects};
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

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let network = Network::load(&common.network_file)?;
        let pool = mesh_kit::db::connect(
            &common.database_url,
            SCHEMA,
            common.database_max_connections,
        )
        .await?;
        mesh_kit::db::migrate(&pool, SCHEMA, &MIGRATOR).await?;
        let subjects = Subjects::new(common.nats_prefix.clone());
        let js = async_nats::jetstream::new(
            mesh_kit::nats::connect(&common.nats_url, "reporting").await?,
        );
        mesh_kit::consumer::ensure_dead_letter_stream(&js, &subjects).await?;
        let handler = CountHandler {
            offset: network.offset,
        };
        let consumers = CONSUMERS
            .into_iter()
            .map(|spec| Consumer {
                spec,
                service: "reporting",
                js: js.clone(),
                pool: pool.clone(),
                subjects: subjects.clone(),
                handler: handler.clone(),
                outbox: None,
            })
            .collect();
        let listener = mesh_kit::grpc::bind(&settings.grpc_addr).await?;
        Ok(Self {
            listener,
            service: ReportingService {
                pool,
                offset: network.offset,
            },
            consumers,
        })
    }

    pub fn grpc_port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let port = self.grpc_port();
        let mut tasks = Tasks::new();
        let router = mesh_kit::grpc::base_router(&["complaints.v1.Reporting"])
            .await?
            .add_service(ReportingServer::new(self.service));
        tasks.spawn(
            "grpc",
            mesh_kit::grpc::serve(router, self.listener, shutdown.clone()),
        );
        for consumer in self.consumers {
            let s = shutdown.clone();
            tasks.spawn("count-consumer", async move {
                consumer.run(s).await;
                Ok(())
            });
        }
        tracing::info!(port, "reporting running");
        tasks.join(&shutdown).await
    }
}
