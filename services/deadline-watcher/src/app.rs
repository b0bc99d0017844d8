//! Building and running the deadline-watcher.

use crate::calendar::WorkCalendar;
use crate::deadlines::Deadlines;
use crate::firing::Firing;
use crate::orders::{OrderHandler, CONSUMER};
use crate::policy::Policy;
use crate::service::DeadlineService;
use clap::Parser;
use complaints_proto::v1::deadlines_server::{self, DeadlinesServer};
use mesh_kit::consumer::Consumer;
use mesh_kit::outbox::Relay;
use mesh_kit::service::{Backbone, Runner, Service};
use mesh_kit::{events, CommonArgs, Shutdown};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The Postgres schema the deadline-watcher owns.
pub const SCHEMA: &str = "deadline_watcher";

/// The deadline-watcher's own migrations.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Parser)]
#[command(
    name = "deadline-watcher",
    version,
    about = "deadline-watcher: deadline policy, working-day calendar and the timers of every work order"
)]
pub struct Settings {
    #[command(flatten)]
    pub common: CommonArgs,
    /// How long each event consumer keeps gathering a batch after its
    /// first message, in milliseconds: batches grow for a small cost in
    /// latency; 0 takes only what has arrived. These consumers are off the
    /// path to the department queues, so the default is the longer
    /// [`mesh_kit::consumer::OFF_PATH_LINGER_MS`].
    #[arg(long, env = "DEADLINE_WATCHER__CONSUMER__LINGER_MS", default_value_t = mesh_kit::consumer::OFF_PATH_LINGER_MS)]
    pub consumer_linger_ms: u64,
    /// Most events each event consumer handles in one transaction: under
    /// load, bigger batches cost fewer statements and commits per event.
    #[arg(long, env = "DEADLINE_WATCHER__CONSUMER__BATCH", default_value_t = mesh_kit::consumer::DEFAULT_BATCH)]
    pub consumer_batch: usize,
    /// How long the outbox relay waits after it is woken before it reads
    /// the outbox, in milliseconds: the commits of that while leave in one
    /// relay transaction; 0 reads at once.
    #[arg(long, env = "DEADLINE_WATCHER__RELAY__LINGER_MS", default_value_t = mesh_kit::outbox::DEFAULT_LINGER_MS)]
    pub relay_linger_ms: u64,
    /// Address of the gRPC server.
    #[arg(
        long,
        env = "DEADLINE_WATCHER__GRPC__ADDR",
        default_value = "127.0.0.1:50054"
    )]
    pub grpc_addr: String,
    /// The deadline policy file.
    #[arg(
        long,
        env = "DEADLINE_WATCHER__POLICY__FILE",
        default_value = "deploy/policy/deadlines.toml"
    )]
    pub policy_file: PathBuf,
    /// Timers fired per transaction.
    #[arg(long, env = "DEADLINE_WATCHER__FIRING__BATCH", default_value_t = 2000)]
    pub firing_batch: i64,
    /// The working-day calendar file.
    #[arg(
        long,
        env = "DEADLINE_WATCHER__CALENDAR__FILE",
        default_value = "deploy/calendar/cn.toml"
    )]
    pub calendar_file: PathBuf,
}

pub struct Application {
    listener: TcpListener,
    service: DeadlineService,
    relay: Relay,
    consumer: Consumer<OrderHandler>,
    firing: Firing,
}

impl Service for Application {
    const NAME: &'static str = "deadline-watcher";
    type Settings = Settings;

    fn common(settings: &Settings) -> &CommonArgs {
        &settings.common
    }

    async fn build(settings: Settings) -> anyhow::Result<Self> {
        // Policy and calendar first: a bad file stops start-up before any
        // connection is made.
        let policy = Policy::load(&settings.policy_file)?;
        let calendar = WorkCalendar::load(&settings.calendar_file)?;
        let mut backbone = Backbone::connect(
            Self::NAME,
            &settings.common,
            SCHEMA,
            &MIGRATOR,
            Some((events::deadline::STREAM, events::deadline::SUBJECTS)),
        )
        .await?;
        backbone.consumer_linger = Some(std::time::Duration::from_millis(
            settings.consumer_linger_ms,
        ));
        backbone.consumer_batch = Some(settings.consumer_batch);
        backbone.relay_linger = Some(std::time::Duration::from_millis(settings.relay_linger_ms));
        let deadlines = Arc::new(Deadlines {
            policy,
            calendar,
            offset: backbone.network.offset,
        });
        let relay = backbone.relay();
        let handler = OrderHandler {
            deadlines: deadlines.clone(),
            subjects: backbone.subjects.clone(),
        };
        let firing = Firing {
            pool: backbone.pool.clone(),
            deadlines: deadlines.clone(),
            network: backbone.network.clone(),
            subjects: backbone.subjects.clone(),
            outbox: relay.waker(),
            batch: settings.firing_batch.max(1),
        };
        Ok(Self {
            listener: mesh_kit::grpc::bind(&settings.grpc_addr).await?,
            consumer: backbone.consumer(CONSUMER, handler, Some(relay.waker())),
            service: DeadlineService {
                pool: backbone.pool,
                deadlines,
                network: backbone.network,
                subjects: backbone.subjects,
                js: backbone.js,
            },
            relay,
            firing,
        })
    }

    async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        tracing::info!(port = self.grpc_port(), "deadline-watcher running");
        let router = mesh_kit::grpc::base_router(&[deadlines_server::SERVICE_NAME])
            .await?
            .add_service(
                DeadlinesServer::new(self.service)
                    .max_decoding_message_size(crate::service::MAX_MESSAGE_BYTES),
            );
        let mut runner = Runner::new(shutdown);
        let firing = self.firing;
        runner
            .grpc(router, self.listener)
            .relay(self.relay)
            .consumer(self.consumer)
            .task("timer-firing", |shutdown| async move {
                firing.run(shutdown).await;
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
