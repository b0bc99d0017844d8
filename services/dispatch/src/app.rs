//! Building and running dispatch.

use crate::routed::{RoutedHandler, CONSUMER};
use crate::service::DispatchService;
use clap::Parser;
use complaints_proto::v1::deadlines_client::DeadlinesClient;
use complaints_proto::v1::dispatch_server::DispatchServer;
use mesh_kit::consumer::{self, Consumer};
use mesh_kit::network::Network;
use mesh_kit::outbox::{Relay, RelaySettings};
use mesh_kit::shutdown::Tasks;
use mesh_kit::{events, CommonArgs, Shutdown, Subjects};
use std::sync::Arc;
use tokio::net::TcpListener;
use tonic::transport::Endpoint;

/// The Postgres schema dispatch owns.
pub const SCHEMA: &str = "dispatch";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Parser)]
#[command(
    name = "dispatch",
    version,
    about = "dispatch: work orders and the department queues"
)]
pub struct Settings {
    #[command(flatten)]
    pub common: CommonArgs,
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
}

pub struct Application {
    listener: TcpListener,
    service: DispatchService,
    relay: Relay,
    consumer: Consumer<RoutedHandler>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let network = Arc::new(Network::load(&common.network_file)?);
        let pool = mesh_kit::db::connect(
            &common.database_url,
            SCHEMA,
            common.database_max_connections,
        )
        .await?;
        mesh_kit::db::migrate(&pool, SCHEMA, &MIGRATOR).await?;
        let subjects = Subjects::new(common.nats_prefix.clone());
        let js = async_nats::jetstream::new(
            mesh_kit::nats::connect(&common.nats_url, "dispatch").await?,
        );
        mesh_kit::nats::ensure_stream(
            &js,
            &subjects.stream(events::dispatch::STREAM),
            vec![subjects.subject(events::dispatch::SUBJECTS)],
        )
        .await?;
        consumer::ensure_dead_letter_stream(&js, &subjects).await?;
        // Lazy: dispatch starts even while the deadline-watcher is down; the
        // consumer retries until it answers.
        let channel = Endpoint::from_shared(settings.deadlines_url.clone())?
            .connect_timeout(std::time::Duration::from_secs(3))
            .connect_lazy();
        let relay = Relay::new(pool.clone(), js.clone(), RelaySettings::default());
        let consumer = Consumer {
            spec: CONSUMER,
            service: "dispatch",
            js: js.clone(),
            pool: pool.clone(),
            subjects: subjects.clone(),
            handler: RoutedHandler {
                network: network.clone(),
                subjects: subjects.clone(),
                deadlines: DeadlinesClient::new(channel),
            },
            outbox: Some(relay.waker()),
        };
        let listener = mesh_kit::grpc::bind(&settings.grpc_addr).await?;
        Ok(Self {
            listener,
            service: DispatchService {
                pool,
                network,
                subjects,
                js,
            },
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
        let router = mesh_kit::grpc::base_router(&["complaints.v1.Dispatch"])
            .await?
            .add_service(DispatchServer::new(self.service));
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
        tasks.spawn("routed-consumer", async move {
            self.consumer.run(s).await;
            Ok(())
        });
        tracing::info!(port, "dispatch running");
        tasks.join(&shutdown).await
    }
}
