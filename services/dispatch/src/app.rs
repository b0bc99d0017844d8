//! Building and running dispatch.

use crate::alerts::{self, AlertHandler};
use crate::engine::Engine;
use crate::reviews::{self, ReviewHandler};
use crate::routed::{self, RoutedHandler};
use crate::service::DispatchService;
use clap::Parser;
use complaints_proto::v1::deadlines_client::DeadlinesClient;
use complaints_proto::v1::dispatch_server::{self, DispatchServer};
use complaints_proto::v1::triage_client::TriageClient;
use mesh_kit::consumer::Consumer;
use mesh_kit::outbox::Relay;
use mesh_kit::service::{Backbone, Runner, Service};
use mesh_kit::{events, CommonArgs, Shutdown};
use tokio::net::TcpListener;
use tonic::transport::{Channel, Endpoint};

/// The Postgres schema dispatch owns.
pub const SCHEMA: &str = "dispatch";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Parser)]
#[command(
    name = "dispatch",
    version,
    about = "dispatch: work orders, department queues and the department workflow"
)]
pub struct Settings {
    #[command(flatten)]
    pub common: CommonArgs,
    /// How long each event consumer keeps gathering a batch after its
    /// first message, in milliseconds: batches grow under load for a small
    /// cost in latency; 0 takes only what has arrived.
    #[arg(long, env = "DISPATCH__CONSUMER__LINGER_MS", default_value_t = mesh_kit::consumer::DEFAULT_LINGER_MS)]
    pub consumer_linger_ms: u64,
    /// Most events each event consumer handles in one transaction: under
    /// load, bigger batches cost fewer statements and commits per event.
    #[arg(long, env = "DISPATCH__CONSUMER__BATCH", default_value_t = mesh_kit::consumer::DEFAULT_BATCH)]
    pub consumer_batch: usize,
    /// How long the outbox relay waits after it is woken before it reads
    /// the outbox, in milliseconds: the commits of that while leave in one
    /// relay transaction; 0 reads at once.
    #[arg(long, env = "DISPATCH__RELAY__LINGER_MS", default_value_t = mesh_kit::outbox::DEFAULT_LINGER_MS)]
    pub relay_linger_ms: u64,
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
    /// triage's gRPC endpoint (the next routing rule for a reroute).
    #[arg(
        long,
        env = "DISPATCH__TRIAGE__URL",
        default_value = "http://127.0.0.1:50052"
    )]
    pub triage_url: String,
}

pub struct Application {
    listener: TcpListener,
    service: DispatchService,
    relay: Relay,
    routed: Consumer<RoutedHandler>,
    reviews: Consumer<ReviewHandler>,
    nudges: Consumer<crate::links::NudgeHandler>,
    alerts: Consumer<AlertHandler>,
}

/// A channel that connects on first use: dispatch starts even while a peer
/// is down, and the steps that need it answer UNAVAILABLE until it is up.
fn lazy_channel(url: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(std::time::Duration::from_secs(3))
        .connect_lazy())
}

impl Service for Application {
    const NAME: &'static str = "dispatch";
    type Settings = Settings;

    fn common(settings: &Settings) -> &CommonArgs {
        &settings.common
    }

    async fn build(settings: Settings) -> anyhow::Result<Self> {
        let mut backbone = Backbone::connect(
            Self::NAME,
            &settings.common,
            SCHEMA,
            &MIGRATOR,
            Some((events::dispatch::STREAM, events::dispatch::SUBJECTS)),
        )
        .await?;
        backbone.consumer_linger = Some(std::time::Duration::from_millis(
            settings.consumer_linger_ms,
        ));
        backbone.consumer_batch = Some(settings.consumer_batch);
        backbone.relay_linger = Some(std::time::Duration::from_millis(settings.relay_linger_ms));
        let engine = Engine {
            network: backbone.network.clone(),
            subjects: backbone.subjects.clone(),
            deadlines: DeadlinesClient::new(lazy_channel(&settings.deadlines_url)?),
            triage: TriageClient::new(lazy_channel(&settings.triage_url)?),
        };
        let relay = backbone.relay();
        Ok(Self {
            listener: mesh_kit::grpc::bind(&settings.grpc_addr).await?,
            routed: backbone.consumer(
                routed::CONSUMER,
                RoutedHandler {
                    engine: engine.clone(),
                },
                Some(relay.waker()),
            ),
            alerts: backbone.consumer(
                alerts::CONSUMER,
                AlertHandler {
                    offset: backbone.network.offset,
                },
                None,
            ),
            reviews: backbone.consumer(
                reviews::CONSUMER,
                ReviewHandler {
                    engine: engine.clone(),
                },
                Some(relay.waker()),
            ),
            nudges: backbone.consumer(
                crate::links::NUDGE_CONSUMER,
                crate::links::NudgeHandler {
                    engine: engine.clone(),
                },
                Some(relay.waker()),
            ),
            service: DispatchService {
                pool: backbone.pool,
                js: backbone.js,
                engine,
                outbox: relay.waker(),
            },
            relay,
        })
    }

    async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        tracing::info!(port = self.grpc_port(), "dispatch running");
        let router = mesh_kit::grpc::base_router(&[dispatch_server::SERVICE_NAME])
            .await?
            .add_service(
                DispatchServer::new(self.service)
                    .max_decoding_message_size(crate::service::MAX_MESSAGE_BYTES),
            );
        let mut runner = Runner::new(shutdown);
        runner
            .grpc(router, self.listener)
            .relay(self.relay)
            .consumer(self.routed)
            .consumer(self.reviews)
            .consumer(self.nudges)
            .consumer(self.alerts);
        runner.join().await
    }
}

impl Application {
    pub fn grpc_port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }
}
