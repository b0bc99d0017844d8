//! The shape every service shares, so each service's `app.rs` says only
//! what is its own.
//!
//! - [`Backbone::connect`]: load the network, connect to Postgres (the
//!   service's schema) and NATS, migrate, declare the stream the service
//!   owns and the dead-letter stream.
//! - [`Runner`]: the gRPC server, the outbox relay and the consumers as
//!   tasks under one shutdown signal.
//! - [`Service`] and [`main`]: a binary's whole `main` is
//!   `mesh_kit::service::main::<Application>()`.

use crate::consumer::{self, Consumer, ConsumerSpec, Handler};
use crate::network::Network;
use crate::outbox::{OutboxWaker, Relay, RelaySettings};
use crate::shutdown::{Shutdown, Tasks};
use crate::{CommonArgs, Subjects};
use async_nats::jetstream;
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tonic::transport::server::Router;

/// A service binary: settings from flags and environment, a build step and
/// a run step.
pub trait Service: Sized {
    /// The service's name, for logs, traces and the NATS connection.
    const NAME: &'static str;
    type Settings: clap::Parser;
    fn common(settings: &Self::Settings) -> &CommonArgs;
    fn build(settings: Self::Settings) -> impl Future<Output = anyhow::Result<Self>>;
    fn run_until_stopped(self, shutdown: Shutdown) -> impl Future<Output = anyhow::Result<()>>;
}

/// The body of every service's `main`: parse settings, start telemetry,
/// build, run until SIGINT or SIGTERM.
pub async fn main<S: Service>() -> anyhow::Result<()> {
    let settings = <S::Settings as clap::Parser>::parse();
    let _telemetry = crate::telemetry::init(S::NAME, S::common(&settings).log_format)?;
    let shutdown = Shutdown::new();
    tokio::spawn(shutdown.clone().on_signal());
    // Building waits for Postgres and NATS; a signal meanwhile stops it.
    let service = tokio::select! {
        built = S::build(settings) => built?,
        _ = shutdown.cancelled() => {
            tracing::info!(service = S::NAME, "stopped while starting");
            return Ok(());
        }
    };
    let run = service.run_until_stopped(shutdown.clone());
    tokio::pin!(run);
    tokio::select! {
        stopped = &mut run => return stopped,
        _ = shutdown.cancelled() => {}
    }
    // Draining: in-flight calls and messages finish, the relay sends what
    // was committed. Bounded, so an orchestrator's SIGKILL never has to.
    match tokio::time::timeout(SHUTDOWN_GRACE, run).await {
        Ok(stopped) => {
            tracing::info!(service = S::NAME, "stopped");
            stopped
        }
        Err(_) => {
            tracing::error!(service = S::NAME, grace = ?SHUTDOWN_GRACE, "did not drain in time, exiting");
            anyhow::bail!("{} did not drain within {SHUTDOWN_GRACE:?}", S::NAME)
        }
    }
}

/// How long a service may take to drain after SIGTERM or SIGINT: the
/// longest a handler waits for Postgres (5 s) and the relay's last pass,
/// with room to spare. Whatever is cut off is safe: unacknowledged
/// messages are delivered again and unsent outbox rows sent at the next
/// start.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

/// A stream a service owns: base name and subject filter, e.g.
/// (`INTAKE`, `intake.v1.>`).
pub type OwnedStream = (&'static str, &'static str);

/// The connections and shared data every service starts from.
#[derive(Clone)]
pub struct Backbone {
    pub service: &'static str,
    pub network: Arc<Network>,
    pub pool: PgPool,
    pub js: jetstream::Context,
    pub subjects: Subjects,
    /// The linger of every consumer of this service, when the service's
    /// settings give one; else each consumer's own
    /// ([`ConsumerSpec::linger`]).
    pub consumer_linger: Option<std::time::Duration>,
    /// The batch size of every consumer of this service, when the
    /// service's settings give one; else each consumer's own
    /// ([`ConsumerSpec::batch`]).
    pub consumer_batch: Option<usize>,
    /// The linger of this service's outbox relay, when the service's
    /// settings give one; else the kit's ([`RelaySettings::linger`]).
    pub relay_linger: Option<std::time::Duration>,
    /// How long every consumer of this service keeps the ids of the
    /// events it handled ([`ConsumerSpec::keep_processed`]).
    pub keep_processed: std::time::Duration,
}

impl Backbone {
    /// Loads the network file, connects, migrates `schema` and declares the
    /// service's own stream (if it produces events) and the dead-letter
    /// stream.
    pub async fn connect(
        service: &'static str,
        common: &CommonArgs,
        schema: &str,
        migrator: &Migrator,
        stream: Option<OwnedStream>,
    ) -> anyhow::Result<Self> {
        let network = Arc::new(Network::load(&common.network_file)?);
        let pool = crate::db::connect(
            &common.database_url,
            schema,
            common.database_max_connections,
        )
        .await?;
        crate::db::migrate(&pool, schema, migrator).await?;
        let subjects = Subjects::new(common.nats_prefix.clone());
        let js = jetstream::new(crate::nats::connect(&common.nats_url, service).await?);
        if let Some((name, filter)) = stream {
            crate::nats::ensure_stream(&js, &subjects.stream(name), vec![subjects.subject(filter)])
                .await?;
        }
        consumer::ensure_dead_letter_stream(&js, &subjects).await?;
        Ok(Self {
            service,
            network,
            pool,
            js,
            subjects,
            consumer_linger: None,
            consumer_batch: None,
            relay_linger: None,
            keep_processed: std::time::Duration::from_secs(
                common.keep_processed_days.saturating_mul(24 * 3600),
            ),
        })
    }

    /// The relay of this service's outbox.
    pub fn relay(&self) -> Relay {
        let mut settings = RelaySettings::default();
        if let Some(linger) = self.relay_linger {
            settings.linger = linger;
        }
        Relay::new(self.pool.clone(), self.js.clone(), settings)
    }

    /// A durable consumer of this service; `outbox` is woken after each
    /// commit when the handler writes events.
    pub fn consumer<H: Handler>(
        &self,
        spec: ConsumerSpec,
        handler: H,
        outbox: Option<OutboxWaker>,
    ) -> Consumer<H> {
        let spec = match self.consumer_linger {
            Some(linger) => spec.with_linger(linger),
            None => spec,
        };
        let spec = match self.consumer_batch {
            Some(batch) => spec.with_batch(batch),
            None => spec,
        }
        .with_keep_processed(self.keep_processed);
        Consumer {
            spec,
            service: self.service,
            js: self.js.clone(),
            pool: self.pool.clone(),
            subjects: self.subjects.clone(),
            handler,
            outbox,
        }
    }
}

/// A service's tasks under one shutdown signal.
pub struct Runner {
    tasks: Tasks,
    shutdown: Shutdown,
    relays: Vec<Relay>,
    /// The durable names whose handled events a consumer already forgets:
    /// one purge per name, however many streams it consumes.
    forgetting: HashSet<&'static str>,
}

impl Runner {
    pub fn new(shutdown: Shutdown) -> Self {
        Self {
            tasks: Tasks::new(),
            shutdown,
            relays: Vec::new(),
            forgetting: HashSet::new(),
        }
    }

    /// Serves `router` (build it from [`crate::grpc::base_router`]).
    pub fn grpc(&mut self, router: Router, listener: TcpListener) -> &mut Self {
        let shutdown = self.shutdown.clone();
        self.tasks
            .spawn("grpc", crate::grpc::serve(router, listener, shutdown));
        self
    }

    /// Runs the outbox relay. At shutdown it keeps sending until every
    /// other task has stopped (the gRPC calls and messages in hand commit
    /// events too), then sends what is left and stops.
    pub fn relay(&mut self, relay: Relay) -> &mut Self {
        self.relays.push(relay);
        self
    }

    /// Runs a durable consumer. The first consumer of each durable name
    /// also purges that name's handled events; the others of the same name
    /// (one per stream) only handle deliveries.
    pub fn consumer<H: Handler>(&mut self, consumer: Consumer<H>) -> &mut Self {
        let shutdown = self.shutdown.clone();
        let forgets = self.forgetting.insert(consumer.spec.durable);
        self.tasks.spawn("consumer", async move {
            if forgets {
                consumer.run(shutdown).await;
            } else {
                consumer.handle_until(shutdown).await;
            }
            Ok(())
        });
        self
    }

    /// Runs a task of the service's own; it gets the shutdown signal.
    pub fn task<F, Fut>(&mut self, name: &'static str, task: F) -> &mut Self
    where
        F: FnOnce(Shutdown) -> Fut,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.tasks.spawn(name, task(self.shutdown.clone()));
        self
    }

    /// Waits until every task has stopped; the first failure stops the rest.
    /// The relays stop last.
    pub async fn join(self) -> anyhow::Result<()> {
        let producers_done = Shutdown::new();
        let relays: Vec<_> = self
            .relays
            .into_iter()
            .map(|relay| tokio::spawn(relay.run(producers_done.clone())))
            .collect();
        let result = self.tasks.join(&self.shutdown).await;
        producers_done.trigger();
        for relay in relays {
            if let Err(err) = relay.await {
                tracing::error!(error = %err, "outbox relay panicked");
            }
        }
        result
    }
}
