//! The end-to-end test harness: starts the five services as real processes
//! against the real Postgres and NATS of the machine, in a world of the
//! test's own.
//!
//! Each [`TestMesh`] gets its own database (`mesh_e2e_<id>`) and its own
//! NATS prefix (`e2e<id>`: subjects `e2e<id>.intake.v1.…`, streams
//! `e2e<id>_INTAKE`), so tests run in parallel and twice over without
//! seeing each other. [`TestMesh::stop`] kills the services and removes the
//! database and the streams; worlds left behind by a crashed run are removed
//! by the next run once they are two hours old (the id starts with the
//! creation time).
//!
//! The binaries must be built first (`cargo build --workspace --bins`;
//! `make test` does it).

pub mod infra;

use anyhow::{bail, Context};
use async_nats::jetstream;
use futures::StreamExt;
use mesh_kit::testing::ScratchDatabase;
use sqlx::{Connection, PgConnection};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::process::{Child, Command};
use tonic::transport::Channel;

/// Where the machine's Postgres is; the test's own database is made on it.
pub fn admin_url() -> String {
    mesh_kit::testing::admin_url()
}

pub fn nats_url() -> String {
    std::env::var("MESH_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// Where a mesh's Postgres and NATS run.
#[derive(Debug, Clone)]
pub struct Infra {
    /// A database URL with rights to create databases.
    pub admin_url: String,
    pub nats_url: String,
}

impl Infra {
    /// The machine's Postgres and NATS (or the ones the environment names).
    pub fn machine() -> Self {
        Self {
            admin_url: admin_url(),
            nats_url: nats_url(),
        }
    }
}

/// Worlds older than this are a crashed run's leftovers.
const STALE_AFTER_SECS: u64 = 2 * 3600;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Directory of the built service binaries: the directory of this program,
/// or the one above `deps/` for a test binary.
pub fn bin_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("this program has no directory")?;
    let dir = if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().context("deps/ has no parent")?
    } else {
        dir
    };
    Ok(dir.to_path_buf())
}

/// The five services, in start order, with the env var of their gRPC address.
pub const SERVICES: [(&str, &str); 5] = [
    ("deadline-watcher", "DEADLINE_WATCHER__GRPC__ADDR"),
    ("intake", "INTAKE__GRPC__ADDR"),
    ("triage", "TRIAGE__GRPC__ADDR"),
    ("dispatch", "DISPATCH__GRPC__ADDR"),
    ("reporting", "REPORTING__GRPC__ADDR"),
];

/// The gRPC service each process reports as serving (kit grpc.rs).
fn grpc_service(name: &str) -> &'static str {
    use complaints_proto::v1::{
        deadlines_server, dispatch_server, intake_server, reporting_server, triage_server,
    };
    match name {
        "deadline-watcher" => deadlines_server::SERVICE_NAME,
        "intake" => intake_server::SERVICE_NAME,
        "triage" => triage_server::SERVICE_NAME,
        "dispatch" => dispatch_server::SERVICE_NAME,
        "reporting" => reporting_server::SERVICE_NAME,
        _ => "",
    }
}

/// One running mesh with a world of its own.
pub struct TestMesh {
    pub id: String,
    /// NATS subject prefix of this mesh.
    pub prefix: String,
    pub database: String,
    pub database_url: String,
    pub js: jetstream::Context,
    pub infra: Infra,
    ports: Vec<(&'static str, u16)>,
    children: Vec<(&'static str, Child)>,
    log_dir: PathBuf,
    /// Extra settings every service of this mesh gets.
    settings: Vec<(String, String)>,
    bins: PathBuf,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A port that was free a moment ago.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl TestMesh {
    /// Makes a fresh world and starts the five services in it.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(&[]).await
    }

    /// Like [`TestMesh::start`], with extra settings (environment
    /// variables) for every service, e.g. a shorter return window.
    pub async fn start_with(settings: &[(&str, &str)]) -> anyhow::Result<Self> {
        let all: Vec<&'static str> = SERVICES.iter().map(|(n, _)| *n).collect();
        Self::start_services(&all, settings).await
    }

    /// Like [`TestMesh::start_with`], starting only the services named.
    pub async fn start_services(
        names: &[&'static str],
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        Self::start_on(Infra::machine(), names, settings).await
    }

    /// Like [`TestMesh::start_services`], on a Postgres and NATS of the
    /// caller's (the fault test's own, which it kills).
    pub async fn start_on(
        infra: Infra,
        names: &[&'static str],
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let bins = bin_dir()?;
        for name in names {
            if !bins.join(name).exists() {
                bail!(
                    "service binary {} is missing: run `cargo build --workspace --bins` first (make test does)",
                    bins.join(name).display()
                );
            }
        }
        let id = format!("{}{:04x}", unix_now(), rand::random::<u16>());
        let prefix = format!("e2e{id}");
        let database = format!("mesh_e2e_{id}");
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(&infra.nats_url)
            .await
            .context("connecting to NATS")?;
        let js = jetstream::new(client);
        remove_stale_worlds(&js, &infra.admin_url).await;

        let database_url = ScratchDatabase::create_on(&infra.admin_url, &database)
            .await?
            .url;

        let log_dir = std::env::temp_dir().join(format!("mesh-e2e-{id}"));
        std::fs::create_dir_all(&log_dir)?;
        let mut ports = Vec::new();
        for (name, _) in SERVICES {
            ports.push((name, free_port()?));
        }
        let mut mesh = TestMesh {
            id,
            prefix,
            database,
            database_url,
            js,
            infra,
            ports,
            children: Vec::new(),
            log_dir,
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            bins,
        };
        // A port free a moment ago may be taken by another test's process
        // before the service binds it: then the service exits, and the mesh
        // starts again on fresh ports (dispatch is told the others' ports).
        let mut attempt = 1;
        loop {
            for &name in names {
                let port = mesh.port(name);
                let child = mesh.spawn(name, port, name)?;
                mesh.children.push((name, child));
            }
            match mesh.wait_until_serving().await {
                Ok(()) => return Ok(mesh),
                Err(err) if attempt < 3 && err.to_string().contains("cannot listen on") => {
                    eprintln!("a port was taken, starting the mesh again: {err}");
                    mesh.children.clear();
                    for (_, port) in &mut mesh.ports {
                        *port = free_port()?;
                    }
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Starts one process of `name` listening on `port`, logging to
    /// `<log>.log`.
    fn spawn(&self, name: &str, port: u16, log: &str) -> anyhow::Result<Child> {
        self.spawn_with(name, port, log, &[])
    }

    fn spawn_with(
        &self,
        name: &str,
        port: u16,
        log: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Child> {
        let root = repo_root();
        let addr_var = SERVICES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .context("unknown service")?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_dir.join(format!("{log}.log")))?;
        Command::new(self.bins.join(name))
            .current_dir(&root)
            .env("MESH__DATABASE__URL", &self.database_url)
            .env("MESH__DATABASE__MAX_CONNECTIONS", "4")
            .env("MESH__NATS__URL", &self.infra.nats_url)
            .env("MESH__NATS__PREFIX", &self.prefix)
            .env(
                "MESH__NETWORK__FILE",
                root.join("deploy/network/sample-city.toml"),
            )
            .env(
                "DEADLINE_WATCHER__POLICY__FILE",
                root.join("deploy/policy/deadlines.toml"),
            )
            .env(
                "DEADLINE_WATCHER__CALENDAR__FILE",
                root.join("deploy/calendar/cn.toml"),
            )
            .env("DISPATCH__DEADLINES__URL", self.url("deadline-watcher"))
            .env("DISPATCH__TRIAGE__URL", self.url("triage"))
            .env(addr_var, format!("127.0.0.1:{port}"))
            .env(
                "RUST_LOG",
                std::env::var("MESH_TEST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .envs(self.settings.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(extra.iter().copied())
            .stdout(Stdio::from(file.try_clone()?))
            .stderr(Stdio::from(file))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {name}"))
    }

    /// Starts another replica of a service (same database, same consumers);
    /// it is stopped with the mesh.
    pub async fn add_replica(&mut self, name: &'static str) -> anyhow::Result<()> {
        let n = self.children.iter().filter(|(c, _)| *c == name).count();
        let child = self.spawn(name, free_port()?, &format!("{name}-{n}"))?;
        self.children.push((name, child));
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(())
    }

    /// Kills every process of a service with SIGKILL.
    pub async fn kill(&mut self, name: &str) -> anyhow::Result<()> {
        for (child_name, child) in &mut self.children {
            if *child_name == name {
                child.kill().await?;
            }
        }
        self.children.retain(|(n, _)| *n != name);
        Ok(())
    }

    /// Stops every process of a service with SIGTERM and waits (30 s at
    /// most) for them to exit; returns how long that took and how the
    /// last one exited.
    pub async fn terminate(
        &mut self,
        name: &str,
    ) -> anyhow::Result<(Duration, std::process::ExitStatus)> {
        let started = tokio::time::Instant::now();
        let mut last = None;
        for (child_name, child) in &mut self.children {
            if *child_name != name {
                continue;
            }
            let pid = child.id().context("the process has exited already")?;
            let sent = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()?;
            anyhow::ensure!(sent.success(), "kill -TERM {pid} failed");
            let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
                .await
                .with_context(|| format!("{name} did not exit within 30 s of SIGTERM"))??;
            last = Some(status);
        }
        self.children.retain(|(n, _)| *n != name);
        let status = last.with_context(|| format!("no {name} is running"))?;
        Ok((started.elapsed(), status))
    }

    /// Starts a service again after [`TestMesh::kill`], on its port.
    pub async fn restart(&mut self, name: &'static str) -> anyhow::Result<()> {
        self.restart_with(name, &[]).await
    }

    /// Like [`TestMesh::restart`], with extra settings for this start.
    pub async fn restart_with(
        &mut self,
        name: &'static str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        let child = self.spawn_with(name, self.port(name), name, extra)?;
        self.children.push((name, child));
        self.wait_until_serving().await
    }

    fn port(&self, service: &str) -> u16 {
        self.ports
            .iter()
            .find(|(n, _)| *n == service)
            .map_or(0, |(_, p)| *p)
    }

    /// The gRPC URL of a service.
    pub fn url(&self, service: &str) -> String {
        format!("http://127.0.0.1:{}", self.port(service))
    }

    /// A gRPC channel to a service.
    pub async fn channel(&self, service: &str) -> anyhow::Result<Channel> {
        Ok(Channel::from_shared(self.url(service))?.connect().await?)
    }

    /// The full subject of a base subject in this mesh.
    pub fn subject(&self, base: &str) -> String {
        format!("{}.{base}", self.prefix)
    }

    /// The full name of a stream in this mesh.
    pub fn stream(&self, base: &str) -> String {
        format!("{}_{base}", self.prefix)
    }

    /// A service's log so far, to explain a failure.
    pub fn log(&self, service: &str) -> String {
        std::fs::read_to_string(self.log_dir.join(format!("{service}.log"))).unwrap_or_default()
    }

    /// The last lines of every log.
    pub fn logs_tail(&self) -> String {
        SERVICES
            .iter()
            .map(|(name, _)| {
                let log = self.log(name);
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(15)..].join("\n");
                format!("---- {name} ----\n{tail}\n")
            })
            .collect()
    }

    async fn wait_until_serving(&mut self) -> anyhow::Result<()> {
        use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let names: Vec<&'static str> = self.children.iter().map(|(n, _)| *n).collect();
        for name in names {
            loop {
                let mut exited = None;
                for (child_name, child) in &mut self.children {
                    if let Some(status) = child.try_wait()? {
                        exited = Some((*child_name, status));
                    }
                }
                if let Some((child_name, status)) = exited {
                    bail!(
                        "{child_name} exited early ({status}):\n{}",
                        self.log(child_name)
                    );
                }
                // Asked by its own gRPC service's name, so that another
                // test's server on the same port does not pass for it.
                let ready = match Channel::from_shared(self.url(name))?.connect().await {
                    Ok(channel) => HealthClient::new(channel)
                        .check(HealthCheckRequest {
                            service: grpc_service(name).to_owned(),
                        })
                        .await
                        .is_ok(),
                    Err(_) => false,
                };
                if ready {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    bail!(
                        "{name} did not start serving within 60 s:\n{}",
                        self.log(name)
                    );
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// Waits until a stream of this mesh exists (its owner creates it at
    /// start-up).
    pub async fn stream_ready(&self, base: &str) -> anyhow::Result<jetstream::stream::Stream> {
        let name = self.stream(base);
        for _ in 0..100 {
            if let Ok(stream) = self.js.get_stream(&name).await {
                return Ok(stream);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("stream {name} was never created")
    }

    /// Every message stored in one of this mesh's streams: (subject, payload).
    pub async fn stream_messages(&self, base: &str) -> anyhow::Result<Vec<(String, bytes::Bytes)>> {
        let stream = self.stream_ready(base).await?;
        let total = stream.get_info().await?.state.messages as usize;
        let mut out = Vec::with_capacity(total);
        if total == 0 {
            return Ok(out);
        }
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
            .await?;
        let mut messages = consumer.messages().await?;
        while out.len() < total {
            let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
                .await
                .context("reading a stream timed out")?
                .context("stream ended")??;
            out.push((message.subject.to_string(), message.payload.clone()));
        }
        Ok(out)
    }

    /// The events of a stream on subjects starting with `subject` (base,
    /// without the prefix), by case number: for each case, the rest of
    /// the subject of each event (e.g. the department of a queue), once
    /// per event stored.
    pub async fn cases_on(
        &self,
        stream: &str,
        subject: &str,
    ) -> anyhow::Result<std::collections::BTreeMap<String, Vec<String>>> {
        use prost::Message;
        let start = self.subject(subject);
        let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (s, payload) in self.stream_messages(stream).await? {
            if let Some(rest) = s.strip_prefix(&start) {
                let number = AnyEvent::decode(payload)?
                    .header
                    .map(|h| h.case_number)
                    .unwrap_or_default();
                out.entry(number).or_default().push(rest.to_owned());
            }
        }
        Ok(out)
    }

    /// Reads every department queue of this mesh, from the start.
    pub async fn queues(&self) -> anyhow::Result<QueueReader> {
        let stream = self.stream_ready("DISPATCH").await?;
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig {
                filter_subject: self.subject("dispatch.v1.orders.>"),
                ..Default::default()
            })
            .await?;
        Ok(QueueReader {
            prefix: self.prefix.clone(),
            messages: consumer.messages().await?,
            seen: Vec::new(),
        })
    }

    /// The process id of the first process of a service.
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.children
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, c)| c.id())
    }

    /// Stops the mesh after a run that returned `result`: the run's own
    /// error comes first, as cleaning up can fail for the same cause (a
    /// broker the test stopped).
    pub async fn stop_after(self, result: anyhow::Result<()>) -> anyhow::Result<()> {
        let stopped = self.stop().await;
        result?;
        stopped
    }

    /// Kills the services and removes the database and the streams.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        for (_, child) in &mut self.children {
            let _ = child.kill().await;
        }
        remove_world(
            &self.js,
            &self.infra.admin_url,
            &self.prefix,
            &self.database,
        )
        .await?;
        let _ = std::fs::remove_dir_all(&self.log_dir);
        Ok(())
    }
}

async fn remove_world(
    js: &jetstream::Context,
    admin: &str,
    prefix: &str,
    database: &str,
) -> anyhow::Result<()> {
    let mut names = js.stream_names();
    let mut mine = Vec::new();
    while let Some(name) = names.next().await {
        let name = name?;
        if name.starts_with(&format!("{prefix}_")) {
            mine.push(name);
        }
    }
    for name in mine {
        js.delete_stream(&name).await?;
    }
    ScratchDatabase::drop_on(admin, database).await
}

/// Removes worlds of runs that crashed more than two hours ago.
async fn remove_stale_worlds(js: &jetstream::Context, admin_url: &str) {
    let Ok(mut admin) = PgConnection::connect(admin_url).await else {
        return;
    };
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'mesh\\_e2e\\_%'")
            .fetch_all(&mut admin)
            .await
            .unwrap_or_default();
    let now = unix_now();
    for database in names {
        let id = database.trim_start_matches("mesh_e2e_");
        let created: u64 = id.get(..10).and_then(|s| s.parse().ok()).unwrap_or(now);
        if now.saturating_sub(created) > STALE_AFTER_SECS {
            let _ = remove_world(js, admin_url, &format!("e2e{id}"), &database).await;
        }
    }
}

/// Any event of the mesh: every event's header is its field 1.
#[derive(Clone, PartialEq, prost::Message)]
struct AnyEvent {
    #[prost(message, optional, tag = "1")]
    header: Option<complaints_proto::v1::EventHeader>,
}

/// Peak resident memory (VmHWM) of a process, in MiB.
pub fn peak_rss_mib(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024)
}

/// The `p`th percentile (nearest rank) of sorted samples; NaN for none.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A timestamp the message must carry (a test fails on its absence rather
/// than compare two missing ones as equal).
pub fn ts(t: Option<&prost_types::Timestamp>) -> chrono::DateTime<chrono::Utc> {
    t.and_then(mesh_kit::time::from_proto)
        .expect("timestamp present")
}

/// A throw-away database of its own, for tests that need only Postgres.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create(label: &str) -> anyhow::Result<Self> {
        let name = format!(
            "mesh_e2e_{}{:04x}_{label}",
            unix_now(),
            rand::random::<u16>()
        );
        let db = ScratchDatabase::create_on(&admin_url(), &name).await?;
        Ok(Self {
            name: db.name,
            url: db.url,
        })
    }

    pub async fn drop_it(self) -> anyhow::Result<()> {
        ScratchDatabase::drop_on(&admin_url(), &self.name).await
    }
}

/// Work orders as department systems receive them, from every queue.
pub struct QueueReader {
    prefix: String,
    messages: jetstream::consumer::pull::Ordered,
    /// Everything read so far: (department, order).
    pub seen: Vec<(String, complaints_proto::v1::WorkOrder)>,
}

impl QueueReader {
    /// Waits (10 s at most) for an order of `case_number` in `department`'s
    /// queue that `accept` likes, reading and keeping others on the way.
    pub async fn expect(
        &mut self,
        department: &str,
        case_number: &str,
        accept: impl Fn(&complaints_proto::v1::WorkOrder) -> bool,
    ) -> anyhow::Result<complaints_proto::v1::WorkOrder> {
        use prost::Message;
        let matches = |(d, o): &(String, complaints_proto::v1::WorkOrder)| {
            d == department
                && o.header
                    .as_ref()
                    .is_some_and(|h| h.case_number == case_number)
                && accept(o)
        };
        if let Some(i) = self.seen.iter().position(matches) {
            return Ok(self.seen.remove(i).1);
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let next = tokio::time::timeout_at(deadline, self.messages.next())
                .await
                .with_context(|| {
                    format!("no order of {case_number} arrived in {department}'s queue within 10 s")
                })?
                .context("queue ended")??;
            let queue_prefix = format!("{}.dispatch.v1.orders.", self.prefix);
            let dept = next
                .subject
                .as_str()
                .trim_start_matches(&queue_prefix)
                .to_owned();
            let order = complaints_proto::v1::WorkOrder::decode(next.payload.clone())?;
            let entry = (dept, order);
            if matches(&entry) {
                return Ok(entry.1);
            }
            self.seen.push(entry);
        }
    }
}

/// Complaint texts that route without forming a batch incident or a
/// duplicate (they name no place, and the tests' complainants are
/// anonymous), each with a region to file it in.
pub const PLAIN_FACTS: [(&str, &str); 5] = [
    ("暖气片冰凉，室温很低，孩子冻得睡不着", "east"),
    ("请问明天停水到几点恢复", "north"),
    ("窗口工作人员态度差，一直推诿", "west"),
    ("工地夜间施工噪音扰民到凌晨", "north"),
    ("公交车到站不停，司机不理乘客", "east"),
];

/// A phone complaint from an anonymous complainant.
pub fn complaint(
    key: &str,
    facts: &str,
    region: &str,
) -> complaints_proto::v1::SubmitComplaintRequest {
    complaints_proto::v1::SubmitComplaintRequest {
        idempotency_key: key.into(),
        channel: complaints_proto::v1::Channel::Phone as i32,
        complainant: Some(complaints_proto::v1::Complainant {
            anonymous: true,
            ..Default::default()
        }),
        facts: facts.into(),
        region: region.into(),
        ..Default::default()
    }
}

/// Submits a complaint and waits (15 s at most) until dispatch has its
/// work order.
pub async fn submit_and_wait(
    mesh: &TestMesh,
    request: complaints_proto::v1::SubmitComplaintRequest,
) -> anyhow::Result<complaints_proto::v1::SubmitComplaintResponse> {
    use complaints_proto::v1::{
        dispatch_client::DispatchClient, intake_client::IntakeClient, GetOrderRequest,
    };
    let reply = IntakeClient::new(mesh.channel("intake").await?)
        .submit_complaint(request)
        .await?
        .into_inner();
    let mut dispatch = DispatchClient::new(mesh.channel("dispatch").await?);
    for _ in 0..150 {
        if dispatch
            .get_order(GetOrderRequest {
                case_number: reply.case_number.clone(),
            })
            .await
            .is_ok()
        {
            return Ok(reply);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no work order for {} within 15 s", reply.case_number)
}
