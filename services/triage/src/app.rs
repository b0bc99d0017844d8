//! Building and running triage: settings, connections, tasks.

use crate::handler::{TriageHandler, CONSUMER};
use crate::rules::Rules;
use clap::Parser;
use mesh_kit::consumer::{self, Consumer};
use mesh_kit::network::Network;
use mesh_kit::outbox::{Relay, RelaySettings};
use mesh_kit::shutdown::Tasks;
use mesh_kit::{events, CommonArgs, Shutdown, Subjects};
use std::sync::Arc;
use tokio::net::TcpListener;

/// The Postgres schema triage owns.
pub const SCHEMA: &str = "triage";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// triage: classifies cases and decides where they go.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "triage",
    version,
    about = "triage: classifies each case and routes it to a department"
)]
pub struct Settings {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Address of the gRPC server (health and reflection).
    #[arg(long, env = "TRIAGE__GRPC__ADDR", default_value = "127.0.0.1:50052")]
    pub grpc_addr: String,
}

pub struct Application {
    listener: TcpListener,
    relay: Relay,
    consumer: Consumer<TriageHandler>,
}

impl Application {
    /// Loads and checks the rules, connects, migrates and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let network = Arc::new(Network::load(&common.network_file)?);
        let rules = Arc::new(Rules::load(&common.network_file, &network)?);
        let pool = mesh_kit::db::connect(
            &common.database_url,
            SCHEMA,
            common.database_max_connections,
        )
        .await?;
        mesh_kit::db::migrate(&pool, SCHEMA, &MIGRATOR).await?;
        let subjects = Subjects::new(common.nats_prefix.clone());
        let js =
            async_nats::jetstream::new(mesh_kit::nats::connect(&common.nats_url, "triage").await?);
        mesh_kit::nats::ensure_stream(
            &js,
            &subjects.stream(events::triage::STREAM),
            vec![subjects.subject(events::triage::SUBJECTS)],
        )
        .await?;
        consumer::ensure_dead_letter_stream(&js, &subjects).await?;
        let relay = Relay::new(pool.clone(), js.clone(), RelaySettings::default());
        let consumer = Consumer {
            spec: CONSUMER,
            service: "triage",
            js,
            pool,
            subjects: subjects.clone(),
            handler: TriageHandler {
                rules,
                network,
                subjects,
            },
            outbox: Some(relay.waker()),
        };
        let listener = mesh_kit::grpc::bind(&settings.grpc_addr).await?;
        Ok(Self {
            listener,
            relay,
            consumer,
        })
    }

    pub fn grpc_port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let port = self.grpc_port();
        let mut tasks = Tasks::new();
        let router = mesh_kit::grpc::base_router(&["complaints.v1.Triage"]).await?;
        tasks.spawn(
            "grpc",
            mesh_kit::grpc::serve(router, self.listener, shutdown.clone()),
        );
        let s = shutdown.clone();
        tasks.spawn("outbox-relay", async move {
            self.relay.run(s).await;
            Ok(())
        });
        let s = shutdown.clone();
        tasks.spawn("case-consumer", async move {
            self.consumer.run(s).await;
            Ok(())
        });
        tracing::info!(port, "triage running");
        tasks.join(&shutdown).await
    }
}
