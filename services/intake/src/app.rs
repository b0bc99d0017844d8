//! Building and running intake: settings, connections, tasks.

use crate::service::IntakeService;
use crate::timeline::{TimelineHandler, CONSUMERS};
use clap::Parser;
use complaints_proto::v1::intake_server::IntakeServer;
use mesh_kit::consumer::{self, Consumer};
use mesh_kit::network::Network;
use mesh_kit::outbox::{Relay, RelaySettings};
use mesh_kit::shutdown::Tasks;
use mesh_kit::{events, CommonArgs, Shutdown, Subjects};
use sqlx::PgPool;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The Postgres schema intake owns.
pub const SCHEMA: &str = "intake";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// intake: registers complaints and answers status queries.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "intake",
    version,
    about = "intake: registers complaints, gives case numbers, answers status queries"
)]
pub struct Settings {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Address of the gRPC server (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "INTAKE__GRPC__ADDR", default_value = "127.0.0.1:50051")]
    pub grpc_addr: String,
}

/// A built intake, ready to run.
pub struct Application {
    listener: TcpListener,
    service: IntakeService,
    relay: Relay,
    js: async_nats::jetstream::Context,
    timeline: TimelineHandler,
}

impl Application {
    /// Connects to Postgres and NATS, migrates, declares the stream and
    /// binds the gRPC port.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let network = Arc::new(Network::load(&common.network_file)?);
        let pool: PgPool = mesh_kit::db::connect(
            &common.database_url,
            SCHEMA,
            common.database_max_connections,
        )
        .await?;
        mesh_kit::db::migrate(&pool, SCHEMA, &MIGRATOR).await?;
        let subjects = Subjects::new(common.nats_prefix.clone());
        let client = mesh_kit::nats::connect(&common.nats_url, "intake").await?;
        let js = async_nats::jetstream::new(client);
        mesh_kit::nats::ensure_stream(
            &js,
            &subjects.stream(events::intake::STREAM),
            vec![subjects.subject(events::intake::SUBJECTS)],
        )
        .await?;
        consumer::ensure_dead_letter_stream(&js, &subjects).await?;
        let relay = Relay::new(pool.clone(), js.clone(), RelaySettings::default());
        let service = IntakeService {
            pool,
            network: network.clone(),
            subjects,
            outbox: relay.waker(),
        };
        let listener = mesh_kit::grpc::bind(&settings.grpc_addr).await?;
        Ok(Self {
            listener,
            relay,
            js,
            timeline: TimelineHandler {
                offset: network.offset,
            },
            service,
        })
    }

    /// The port the gRPC server listens on.
    pub fn grpc_port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Runs the gRPC server, the outbox relay and the timeline consumers
    /// until `shutdown`.
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let port = self.grpc_port();
        let mut tasks = Tasks::new();
        let router = mesh_kit::grpc::base_router(&["complaints.v1.Intake"])
            .await?
            .add_service(IntakeServer::new(self.service.clone()));
        tasks.spawn(
            "grpc",
            mesh_kit::grpc::serve(router, self.listener, shutdown.clone()),
        );
        let relay = self.relay.clone();
        let s = shutdown.clone();
        tasks.spawn("outbox-relay", async move {
            relay.run(s).await;
            Ok(())
        });
        for spec in CONSUMERS {
            let consumer = Consumer {
                spec,
                service: "intake",
                js: self.js.clone(),
                pool: self.service.pool.clone(),
                subjects: self.service.subjects.clone(),
                handler: self.timeline.clone(),
                outbox: None,
            };
            let s = shutdown.clone();
            tasks.spawn("timeline-consumer", async move {
                consumer.run(s).await;
                Ok(())
            });
        }
        tracing::info!(port, "intake running");
        tasks.join(&shutdown).await
    }
}
