//! Building and running reporting.

use crate::events::{RollupHandler, CONSUMERS, DURABLE};
use crate::schedule::Scheduler;
use crate::service::ReportingService;
use crate::store::Db;
use clap::Parser;
use complaints_proto::v1::reporting_server::{self, ReportingServer};
use mesh_kit::consumer::Consumer;
use mesh_kit::service::{Backbone, Runner, Service};
use mesh_kit::{CommonArgs, Shutdown};
use tokio::net::TcpListener;

/// The Postgres schema reporting owns.
pub const SCHEMA: &str = "reporting";

/// Largest request reporting's gRPC server decodes
/// (`max_decoding_message_size`); a bigger one is refused by tonic with
/// `OUT_OF_RANGE` before any handler runs. Its requests are a period,
/// dates, a department code and at most eight dimensions: well under 1 KiB.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Parser)]
#[command(
    name = "reporting",
    version,
    about = "reporting: rollups fed by every event, reports and periodic reports"
)]
pub struct Settings {
    #[command(flatten)]
    pub common: CommonArgs,
    /// How long each event consumer keeps gathering a batch after its
    /// first message, in milliseconds: batches grow for a small cost in
    /// latency; 0 takes only what has arrived. These consumers are off the
    /// path to the department queues, so the default is the longer
    /// [`mesh_kit::consumer::OFF_PATH_LINGER_MS`].
    #[arg(long, env = "REPORTING__CONSUMER__LINGER_MS", default_value_t = mesh_kit::consumer::OFF_PATH_LINGER_MS)]
    pub consumer_linger_ms: u64,
    /// Most events each event consumer handles in one transaction: under
    /// load, bigger batches cost fewer statements and commits per event.
    #[arg(long, env = "REPORTING__CONSUMER__BATCH", default_value_t = mesh_kit::consumer::DEFAULT_BATCH)]
    pub consumer_batch: usize,
    /// Address of the gRPC server.
    #[arg(long, env = "REPORTING__GRPC__ADDR", default_value = "127.0.0.1:50055")]
    pub grpc_addr: String,
    /// Rebuild every rollup by replaying the streams from their start.
    #[arg(long, env = "REPORTING__REBUILD")]
    pub rebuild: bool,
}

pub struct Application {
    listener: TcpListener,
    service: ReportingService,
    consumers: Vec<Consumer<RollupHandler>>,
    scheduler: Scheduler,
}

/// Empties the rollups and their consumers' memory, so the consumers,
/// created afresh, replay every stream from its start. Asked for by a
/// migration (`rollup_state`) or by `--rebuild`.
async fn rebuild_if_asked(backbone: &Backbone, asked: bool) -> anyhow::Result<()> {
    let requested: Option<String> =
        sqlx::query_scalar("SELECT value FROM rollup_state WHERE key = 'rebuild'")
            .fetch_optional(&backbone.pool)
            .await?;
    if !asked && requested.as_deref() != Some("requested") {
        return Ok(());
    }
    if let Some(why) = crate::replay::incomplete(&backbone.js, &backbone.subjects).await? {
        anyhow::bail!(
            "cannot rebuild the rollups: {why}, and a rebuild would lose those cases; \
             the rollups are left as they are"
        );
    }
    tracing::warn!("rebuilding every rollup from the event streams");
    let mut tx = backbone.pool.begin().await?;
    sqlx::query("TRUNCATE cube, cube_month, case_state")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM processed_events WHERE consumer = $1")
        .bind(DURABLE)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO rollup_state (key, value) VALUES ('rebuild', $1) ON CONFLICT (key) DO UPDATE SET value = $1")
        .bind(format!("started {}", chrono::Utc::now().to_rfc3339()))
        .execute(&mut *tx)
        .await?;
    for spec in CONSUMERS {
        if let Ok(stream) = backbone
            .js
            .get_stream(backbone.subjects.stream(spec.stream))
            .await
        {
            // Absent already is fine: it will be created from the start.
            let _ = stream.delete_consumer(DURABLE).await;
        }
    }
    tx.commit().await?;
    Ok(())
}

impl Service for Application {
    const NAME: &'static str = "reporting";
    type Settings = Settings;

    fn common(settings: &Settings) -> &CommonArgs {
        &settings.common
    }

    /// Reporting produces no events: no stream of its own, no relay.
    async fn build(settings: Settings) -> anyhow::Result<Self> {
        let mut backbone =
            Backbone::connect(Self::NAME, &settings.common, SCHEMA, &MIGRATOR, None).await?;
        backbone.consumer_linger = Some(std::time::Duration::from_millis(
            settings.consumer_linger_ms,
        ));
        backbone.consumer_batch = Some(settings.consumer_batch);
        rebuild_if_asked(&backbone, settings.rebuild).await?;
        let handler = RollupHandler {
            offset: backbone.network.offset,
        };
        let consumers = CONSUMERS
            .into_iter()
            .map(|spec| backbone.consumer(spec, handler.clone(), None))
            .collect();
        let db = Db {
            pool: backbone.pool.clone(),
        };
        Ok(Self {
            listener: mesh_kit::grpc::bind(&settings.grpc_addr).await?,
            scheduler: Scheduler {
                db: db.clone(),
                network: backbone.network.clone(),
            },
            service: ReportingService {
                db,
                network: backbone.network,
                js: backbone.js,
                subjects: backbone.subjects,
            },
            consumers,
        })
    }

    async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        tracing::info!(port = self.grpc_port(), "reporting running");
        let router = mesh_kit::grpc::base_router(&[reporting_server::SERVICE_NAME])
            .await?
            .add_service(
                ReportingServer::new(self.service).max_decoding_message_size(MAX_MESSAGE_BYTES),
            );
        let mut runner = Runner::new(shutdown);
        runner.grpc(router, self.listener);
        for consumer in self.consumers {
            runner.consumer(consumer);
        }
        let scheduler = self.scheduler;
        runner.task("report-schedule", |shutdown| async move {
            scheduler.run(shutdown).await;
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
