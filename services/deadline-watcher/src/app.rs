//! Building and running the deadline-watcher.

use crate::calendar::WorkCalendar;
use crate::deadlines::Deadlines;
use crate::orders::{OrderHandler, CONSUMER};
use crate::policy::Policy;
use crate::service::DeadlineService;
use clap::Parser;
use complaints_proto::v1::deadlines_server::DeadlinesServer;
use mesh_kit::consumer::{self, Consumer};
use mesh_kit::network::Network;
use mesh_kit::outbox::{Relay, RelaySettings};
use mesh_kit::shutdown::Tasks;
use mesh_kit::{events, CommonArgs, Shutdown, Subjects};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The Postgres schema the deadline-watcher owns.
pub const SCHEMA: &str = "deadline_watcher";

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
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let network = Network::load(&common.network_file)?;
        let deadlines = Arc::new(Deadlines {
            policy: Policy::load(&settings.policy_file)?,
            calendar: WorkCalendar::load(&settings.calendar_file)?,
            offset: network.offset,
        });
        let pool = mesh_kit::db::connect(
            &common.database_url,
            SCHEMA,
            common.database_max_connections,
        )
        .await?;
        mesh_kit::db::migrate(&pool, SCHEMA, &MIGRATOR).await?;
        let subjects = Subjects::new(common.nats_prefix.clone());
        let js = async_nats::jetstream::new(
            mesh_kit::nats::connect(&common.nats_url, "deadline-watcher").await?,
        );
        mesh_kit::nats::ensure_stream(
            &js,
            &subjects.stream(events::deadline::STREAM),
            vec![subjects.subject(events::deadline::SUBJECTS)],
        )
        .await?;
        consumer::ensure_dead_letter_stream(&js, &subjects).await?;
        let relay = Relay::new(pool.clone(), js.clone(), RelaySettings::default());
        let consumer = Consumer {
            spec: CONSUMER,
            service: "deadline-watcher",
            js,
            pool: pool.clone(),
            subjects: subjects.clone(),
            handler: OrderHandler {
                deadlines: deadlines.clone(),
                subjects,
            },
            outbox: Some(relay.waker()),
        };
        let listener = mesh_kit::grpc::bind(&settings.grpc_addr).await?;
        Ok(Self {
            listener,
            service: DeadlineService { pool, deadlines },
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
        let router = mesh_kit::grpc::base_router(&["complaints.v1.Deadlines"])
            .await?
            .add_service(DeadlinesServer::new(self.service));
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
        tasks.spawn("order-consumer", async move {
            self.consumer.run(s).await;
            Ok(())
        });
        tracing::info!(port, "deadline-watcher running");
        tasks.join(&shutdown).await
    }
}
