//! Building and running triage: settings, connections, tasks.

use crate::handler::{TriageHandler, CONSUMER};
use crate::live::LiveRules;
use crate::service::TriageService;
use crate::steps::StepsHandler;
use clap::Parser;
use complaints_proto::v1::triage_server::{self, TriageServer};
use mesh_kit::consumer::Consumer;
use mesh_kit::outbox::Relay;
use mesh_kit::service::{Backbone, Runner, Service};
use mesh_kit::{events, CommonArgs, Shutdown};
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
    /// How long each event consumer keeps gathering a batch after its
    /// first message, in milliseconds: batches grow under load for a small
    /// cost in latency; 0 takes only what has arrived.
    #[arg(long, env = "TRIAGE__CONSUMER__LINGER_MS", default_value_t = mesh_kit::consumer::DEFAULT_LINGER_MS)]
    pub consumer_linger_ms: u64,
    /// Most events each event consumer handles in one transaction: under
    /// load, bigger batches cost fewer statements and commits per event.
    #[arg(long, env = "TRIAGE__CONSUMER__BATCH", default_value_t = mesh_kit::consumer::DEFAULT_BATCH)]
    pub consumer_batch: usize,
    /// How long the outbox relay waits after it is woken before it reads
    /// the outbox, in milliseconds: the commits of that while leave in one
    /// relay transaction; 0 reads at once.
    #[arg(long, env = "TRIAGE__RELAY__LINGER_MS", default_value_t = mesh_kit::outbox::DEFAULT_LINGER_MS)]
    pub relay_linger_ms: u64,
    /// Address of the gRPC server.
    #[arg(long, env = "TRIAGE__GRPC__ADDR", default_value = "127.0.0.1:50052")]
    pub grpc_addr: String,
    /// How often to look whether the rules file changed (seconds).
    #[arg(long, env = "TRIAGE__RULES__WATCH_SECONDS", default_value_t = 2)]
    pub rules_watch_seconds: u64,
}

pub struct Application {
    listener: TcpListener,
    live: LiveRules,
    watch_every: std::time::Duration,
    service: TriageService,
    relay: Relay,
    consumer: Consumer<TriageHandler>,
    steps: Consumer<StepsHandler>,
}

impl Service for Application {
    const NAME: &'static str = "triage";
    type Settings = Settings;

    fn common(settings: &Settings) -> &CommonArgs {
        &settings.common
    }

    /// Loads and checks the rules, connects, migrates and binds.
    async fn build(settings: Settings) -> anyhow::Result<Self> {
        let mut backbone = Backbone::connect(
            Self::NAME,
            &settings.common,
            SCHEMA,
            &MIGRATOR,
            Some((events::triage::STREAM, events::triage::SUBJECTS)),
        )
        .await?;
        backbone.consumer_linger = Some(std::time::Duration::from_millis(
            settings.consumer_linger_ms,
        ));
        backbone.consumer_batch = Some(settings.consumer_batch);
        backbone.relay_linger = Some(std::time::Duration::from_millis(settings.relay_linger_ms));
        let rules = LiveRules::load(
            settings.common.network_file.clone(),
            backbone.network.clone(),
        )?;
        let relay = backbone.relay();
        let service = TriageService {
            rules: rules.clone(),
            network: backbone.network.clone(),
        };
        let handler = TriageHandler {
            rules,
            network: backbone.network.clone(),
            subjects: backbone.subjects.clone(),
        };
        Ok(Self {
            listener: mesh_kit::grpc::bind(&settings.grpc_addr).await?,
            consumer: backbone.consumer(CONSUMER, handler, Some(relay.waker())),
            steps: backbone.consumer(crate::steps::CONSUMER, StepsHandler, None),
            live: service.rules.clone(),
            watch_every: std::time::Duration::from_secs(settings.rules_watch_seconds.max(1)),
            service,
            relay,
        })
    }

    async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        tracing::info!(port = self.grpc_port(), "triage running");
        let router = mesh_kit::grpc::base_router(&[triage_server::SERVICE_NAME])
            .await?
            .add_service(
                TriageServer::new(self.service)
                    .max_decoding_message_size(crate::service::MAX_MESSAGE_BYTES),
            );

        let (live, every) = (self.live, self.watch_every);
        let mut runner = Runner::new(shutdown);
        runner
            .grpc(router, self.listener)
            .relay(self.relay)
            .consumer(self.consumer)
            .consumer(self.steps)
            .task("rules-watch", move |shutdown| async move {
                live.watch(every, shutdown).await;
                Ok(())
            });
        runner.join().await
    }
}

impl Application {
    pub fn grpc_port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }
}
