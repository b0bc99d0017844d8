//! Building and running intake: settings, connections, tasks.

use crate::registrar::{Registrar, RegistrarSettings, Registry, Writers};
use crate::service::IntakeService;
use crate::timeline::{TimelineHandler, CONSUMERS};
use clap::Parser;
use complaints_proto::v1::intake_server::{self, IntakeServer};
use mesh_kit::consumer::Consumer;
use mesh_kit::outbox::Relay;
use mesh_kit::service::{Backbone, Runner, Service};
use mesh_kit::{events, CommonArgs, Shutdown};
use tokio::net::TcpListener;

/// The Postgres schema intake owns.
pub const SCHEMA: &str = "intake";

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

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
    /// How long each event consumer keeps gathering a batch after its
    /// first message, in milliseconds: batches grow for a small cost in
    /// latency; 0 takes only what has arrived. These consumers are off the
    /// path to the department queues, so the default is the longer
    /// [`mesh_kit::consumer::OFF_PATH_LINGER_MS`].
    #[arg(long, env = "INTAKE__CONSUMER__LINGER_MS", default_value_t = mesh_kit::consumer::OFF_PATH_LINGER_MS)]
    pub consumer_linger_ms: u64,
    /// Most events each event consumer handles in one transaction: under
    /// load, bigger batches cost fewer statements and commits per event.
    #[arg(long, env = "INTAKE__CONSUMER__BATCH", default_value_t = mesh_kit::consumer::DEFAULT_BATCH)]
    pub consumer_batch: usize,
    /// How long the outbox relay waits after it is woken before it reads
    /// the outbox, in milliseconds: the commits of that while leave in one
    /// relay transaction; 0 reads at once.
    #[arg(long, env = "INTAKE__RELAY__LINGER_MS", default_value_t = mesh_kit::outbox::DEFAULT_LINGER_MS)]
    pub relay_linger_ms: u64,
    /// Address of the gRPC server (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "INTAKE__GRPC__ADDR", default_value = "127.0.0.1:50051")]
    pub grpc_addr: String,
    /// Most submissions handled at once; one more is answered
    /// RESOURCE_EXHAUSTED (backpressure, docs/reliability.md).
    #[arg(long, env = "INTAKE__MAX_IN_FLIGHT", default_value_t = 256)]
    pub max_in_flight: usize,
    /// Most events waiting in the outbox (NATS down or slow) before
    /// submissions are answered RESOURCE_EXHAUSTED.
    #[arg(long, env = "INTAKE__MAX_OUTBOX_BACKLOG", default_value_t = 50_000)]
    pub max_outbox_backlog: u64,
    /// Most submissions registered in one transaction (group commit):
    /// those that arrive while a commit is in flight, up to this many. A
    /// lone submission never waits for others; 1 registers each alone.
    #[arg(long, env = "INTAKE__REGISTER_BATCH", default_value_t = 128)]
    pub register_batch: usize,
    /// Writer tasks registering submissions, each with its own
    /// transaction and database connection.
    #[arg(long, env = "INTAKE__REGISTER_WRITERS", default_value_t = 2)]
    pub register_writers: usize,
}

/// A built intake, ready to run.
pub struct Application {
    listener: TcpListener,
    service: IntakeService,
    writers: Writers,
    relay: Relay,
    timeline: Vec<Consumer<TimelineHandler>>,
}

impl Service for Application {
    const NAME: &'static str = "intake";
    type Settings = Settings;

    fn common(settings: &Settings) -> &CommonArgs {
        &settings.common
    }

    /// Connects to Postgres and NATS, migrates, declares the stream and
    /// binds the gRPC port.
    async fn build(settings: Settings) -> anyhow::Result<Self> {
        let mut backbone = Backbone::connect(
            Self::NAME,
            &settings.common,
            SCHEMA,
            &MIGRATOR,
            Some((events::intake::STREAM, events::intake::SUBJECTS)),
        )
        .await?;
        backbone.consumer_linger = Some(std::time::Duration::from_millis(
            settings.consumer_linger_ms,
        ));
        backbone.consumer_batch = Some(settings.consumer_batch);
        backbone.relay_linger = Some(std::time::Duration::from_millis(settings.relay_linger_ms));
        let relay = backbone.relay();
        let handler = TimelineHandler {
            offset: backbone.network.offset,
        };
        let timeline = CONSUMERS
            .into_iter()
            .map(|spec| backbone.consumer(spec, handler.clone(), None))
            .collect();
        let keys = crate::complainant_key::KeyMaker::load(&backbone.pool).await?;
        let admission = crate::admission::Admission::new(
            settings.max_in_flight.max(1),
            relay.backlog(),
            settings.max_outbox_backlog,
        );
        let max_in_flight = settings.max_in_flight.max(1);
        let (registrar, writers) = Registrar::new(
            Registry {
                pool: backbone.pool.clone(),
                offset: backbone.network.offset,
                subjects: backbone.subjects.clone(),
                outbox: relay.waker(),
                keys,
            },
            RegistrarSettings {
                writers: settings.register_writers,
                max_batch: settings.register_batch,
                // Every admitted submission has room: none waits to queue.
                queue: max_in_flight,
            },
        );
        let service = IntakeService {
            admission,
            registrar,
            pool: backbone.pool,
            network: backbone.network,
            subjects: backbone.subjects,
            outbox: relay.waker(),
        };
        Ok(Self {
            listener: mesh_kit::grpc::bind(&settings.grpc_addr).await?,
            service,
            writers,
            relay,
            timeline,
        })
    }

    /// Runs the gRPC server, the registrar's writers, the outbox relay and
    /// the timeline consumers until `shutdown`. At shutdown the gRPC calls
    /// in hand finish, then the writers stop (having registered all they
    /// were given), then the relay sends what was committed.
    async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        tracing::info!(port = self.grpc_port(), "intake running");
        let router = mesh_kit::grpc::base_router(&[intake_server::SERVICE_NAME])
            .await?
            .add_service(
                IntakeServer::new(self.service)
                    .max_decoding_message_size(crate::complaint::MAX_MESSAGE_BYTES),
            );
        let mut runner = Runner::new(shutdown);
        // Once the server has stopped, no caller waits for a registration.
        let calls_done = Shutdown::new();
        let listener = self.listener;
        let served = calls_done.clone();
        runner.task("grpc", move |shutdown| async move {
            let result = mesh_kit::grpc::serve(router, listener, shutdown).await;
            served.trigger();
            result
        });
        let writers = self.writers;
        runner.task("registrar", move |_| writers.run(calls_done));
        runner.relay(self.relay);
        for consumer in self.timeline {
            runner.consumer(consumer);
        }
        runner.join().await
    }
}

impl Application {
    /// The port the gRPC server listens on.
    pub fn grpc_port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }
}
