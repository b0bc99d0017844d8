//! A Postgres and a NATS server of a test's own, which it may kill: the
//! fault test crashes them, and must not touch the machine's servers that
//! other runs share.
//!
//! - [`PrivatePostgres`]: a cluster made with Debian's `initdb` in a
//!   temporary directory, on a free port, run as the `postgres` user when
//!   the test runs as root (Postgres refuses root).
//! - [`PrivateNats`]: Debian's `nats-server` with JetStream on a free port
//!   and a store directory of its own.
//!
//! Both are removed when dropped.

use anyhow::{bail, ensure, Context};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

fn unique_dir(kind: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "mesh-faults-{kind}-{}-{:04x}",
        std::process::id(),
        rand::random::<u16>()
    ))
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

async fn wait_for_port(port: u16, what: &str) -> anyhow::Result<()> {
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{what} did not listen on port {port} within 30 s")
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The newest installed PostgreSQL's bin directory.
fn postgres_bin() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .context("no /usr/lib/postgresql: install Debian's postgresql package (make infra does)")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort_unstable();
    let Some(v) = versions.last() else {
        bail!("no PostgreSQL server under /usr/lib/postgresql")
    };
    Ok(PathBuf::from(format!("/usr/lib/postgresql/{v}/bin")))
}

/// A Postgres cluster of the test's own.
pub struct PrivatePostgres {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
    root: bool,
    /// Server settings beyond the defaults, as `name=value`.
    settings: Vec<String>,
}

impl PrivatePostgres {
    /// Makes a cluster (trust auth, user `postgres`) and starts it.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(&[]).await
    }

    /// Like [`PrivatePostgres::start`], with server settings (`name=value`,
    /// e.g. `shared_preload_libraries=pg_stat_statements`).
    pub async fn start_with(settings: &[&str]) -> anyhow::Result<Self> {
        let pg = Self {
            dir: unique_dir("pg"),
            bin: postgres_bin()?,
            port: free_port()?,
            root: is_root(),
            settings: settings.iter().map(|s| (*s).to_owned()).collect(),
        };
        std::fs::create_dir_all(&pg.dir)?;
        if pg.root {
            run(std::process::Command::new("chown")
                .arg("postgres:postgres")
                .arg(&pg.dir))?;
        }
        let data = pg.data();
        run(pg
            .as_owner(&pg.bin.join("initdb"))
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
                "-D",
            ])
            .arg(&data))?;
        pg.start_server().await?;
        Ok(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A command run as the cluster's owner.
    fn as_owner(&self, program: &Path) -> std::process::Command {
        if self.root {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            std::process::Command::new(program)
        }
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub async fn start_server(&self) -> anyhow::Result<()> {
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.dir.display()
        );
        for setting in &self.settings {
            options.push_str(" -c ");
            options.push_str(setting);
        }
        run(self
            .as_owner(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.join("postgres.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"]))?;
        wait_for_port(self.port, "postgres").await
    }

    /// Stops the server the way a crash does: `immediate` mode skips the
    /// shutdown checkpoint, so the next start replays the WAL.
    pub fn crash(&self) -> anyhow::Result<()> {
        run(self
            .as_owner(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"]))
    }

    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.crash();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(command: &mut std::process::Command) -> anyhow::Result<()> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !out.status.success() {
        bail!(
            "{command:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// A nats-server with JetStream of the test's own.
pub struct PrivateNats {
    dir: PathBuf,
    pub port: u16,
    child: Option<Child>,
}

impl PrivateNats {
    pub async fn start() -> anyhow::Result<Self> {
        let mut nats = Self {
            dir: unique_dir("nats"),
            port: free_port()?,
            child: None,
        };
        std::fs::create_dir_all(&nats.dir)?;
        nats.restart().await?;
        Ok(nats)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server on its port and store (again).
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        let program = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("nats-server");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("nats-server.log"))?;
        let child = Command::new(program)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.dir.join("store"))
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {program} (install Debian's nats-server)"))?;
        self.child = Some(child);
        wait_for_port(self.port, "nats-server").await
    }

    /// Kills the server with SIGKILL: what it had not yet written to disk
    /// is lost.
    pub async fn kill9(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// Copies the store as it is now (the server keeps running): what a
    /// disk holds when the server has not synced since.
    pub fn snapshot(&self) -> anyhow::Result<()> {
        let copy = self.dir.join("snapshot");
        let _ = std::fs::remove_dir_all(&copy);
        run(std::process::Command::new("cp")
            .arg("-a")
            .arg(self.dir.join("store"))
            .arg(&copy))
    }

    /// After [`PrivateNats::kill9`]: puts the snapshot back in place of the
    /// store, so the server comes back without everything it stored and
    /// acknowledged since, as after a crash with a lazy fsync.
    pub fn forget_since_snapshot(&self) -> anyhow::Result<()> {
        ensure!(self.child.is_none(), "stop the server first");
        let store = self.dir.join("store");
        std::fs::remove_dir_all(&store)?;
        std::fs::rename(self.dir.join("snapshot"), &store)?;
        Ok(())
    }

    /// The server's log, to explain a failure.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("nats-server.log")).unwrap_or_default()
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
