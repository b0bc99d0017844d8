//! Settings every service shares, read from the command line or the
//! environment (`MESH__SECTION__KEY`), with defaults that work on a
//! developer's machine. Each binary's `--help` lists them.

use clap::Args;

/// Connection settings and naming shared by every service.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Postgres URL. Each service works in its own schema of this database.
    #[arg(
        long,
        env = "MESH__DATABASE__URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/complaints"
    )]
    pub database_url: String,

    /// Most connections this service opens to Postgres.
    #[arg(long, env = "MESH__DATABASE__MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,

    /// NATS server URL (JetStream must be enabled).
    #[arg(long, env = "MESH__NATS__URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,

    /// Prefix put before every subject and stream name, so several meshes
    /// (or test runs) share one NATS server without seeing each other.
    /// Empty in production.
    #[arg(long, env = "MESH__NATS__PREFIX", default_value = "")]
    pub nats_prefix: String,

    /// The network file: jurisdiction, regions and the department tree.
    #[arg(
        long,
        env = "MESH__NETWORK__FILE",
        default_value = "deploy/network/sample-city.toml"
    )]
    pub network_file: std::path::PathBuf,

    /// Days each consumer keeps the ids of the events it handled before it
    /// forgets them (kit processed.rs). No delivery brings back an event
    /// that old; a consumer made again after its filter changed starts at
    /// that horizon.
    #[arg(
        long,
        env = "MESH__CONSUMER__KEEP_PROCESSED_DAYS",
        default_value_t = crate::processed::KEEP_PROCESSED_DAYS,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub keep_processed_days: u64,

    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, env = "MESH__LOG__FORMAT", default_value = "text")]
    pub log_format: crate::telemetry::LogFormat,
}

/// Subject and stream names, with the deployment's prefix applied.
///
/// Subjects are `<service>.v1.<event>` (DESIGN.md); department queues are
/// `dispatch.v1.orders.<department>`. With prefix `t42`, `intake.v1.x`
/// becomes `t42.intake.v1.x` and stream `INTAKE` becomes `t42_INTAKE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subjects {
    prefix: String,
}

impl Subjects {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    /// The full subject for a name such as `intake.v1.case_registered`.
    pub fn subject(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// The full stream name for a base name such as `INTAKE`.
    pub fn stream(&self, base: &str) -> String {
        if self.prefix.is_empty() {
            base.to_owned()
        } else {
            format!("{}_{base}", self.prefix)
        }
    }

    /// Strips the prefix from a full subject, giving back the base name.
    pub fn base<'a>(&self, subject: &'a str) -> &'a str {
        if self.prefix.is_empty() {
            subject
        } else {
            subject
                .strip_prefix(self.prefix.as_str())
                .and_then(|s| s.strip_prefix('.'))
                .unwrap_or(subject)
        }
    }

    /// The department queue subject, `dispatch.v1.orders.<department>`.
    pub fn department_queue(&self, department: &str) -> String {
        self.subject(&crate::events::dispatch::orders(department))
    }

    /// Where events that could not be handled are parked, per service.
    pub fn dead_letter(&self, service: &str) -> String {
        self.subject(&crate::events::dead_letter::of(service))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_prefix_leaves_names_alone() {
        let s = Subjects::new("");
        assert_eq!(
            s.subject("intake.v1.case_registered"),
            "intake.v1.case_registered"
        );
        assert_eq!(s.stream("INTAKE"), "INTAKE");
        assert_eq!(s.base("intake.v1.x"), "intake.v1.x");
    }

    #[test]
    fn prefix_applies_to_subjects_streams_and_is_stripped_again() {
        let s = Subjects::new("t42");
        assert_eq!(s.subject("intake.v1.x"), "t42.intake.v1.x");
        assert_eq!(s.stream("INTAKE"), "t42_INTAKE");
        assert_eq!(
            s.department_queue("east-heat"),
            "t42.dispatch.v1.orders.east-heat"
        );
        assert_eq!(s.base("t42.intake.v1.x"), "intake.v1.x");
    }
}
