//! Postgres: one database, one schema per service (DESIGN.md "State").
//!
//! A service's pool sets `search_path` to its schema on every connection,
//! so its queries name tables without a schema and can never touch another
//! service's tables by accident. Migrations run per schema: the kit's own
//! (outbox, processed events; versions 1–99) and then the service's
//! (versions 100 and up), recorded in `<schema>._sqlx_migrations`, so
//! services migrating the same database never step on each other.

use sqlx::migrate::{Migration, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

/// The kit's migrations, applied to every service schema first.
static KIT_MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Errors connecting to or migrating a service's schema.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid database URL: {0}")]
    Url(#[source] sqlx::Error),
    #[error("schema name {0:?} is not a plain lowercase identifier")]
    SchemaName(String),
    #[error("cannot connect to Postgres after {attempts} attempts: {source}")]
    Connect {
        attempts: u32,
        #[source]
        source: sqlx::Error,
    },
    #[error("migrating schema {schema} failed: {source}")]
    Migrate {
        schema: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

/// Opens a pool whose connections work in `schema`, retrying for about
/// half a minute while Postgres starts.
pub async fn connect(url: &str, schema: &str, max_connections: u32) -> Result<PgPool, DbError> {
    check_schema_name(schema)?;
    let options = PgConnectOptions::from_str(url)
        .map_err(DbError::Url)?
        .options([("search_path", schema)]);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.clone())
            .await;
        match result {
            Ok(pool) => return Ok(pool),
            Err(source) if attempt >= 30 => {
                return Err(DbError::Connect {
                    attempts: attempt,
                    source,
                })
            }
            Err(err) => {
                tracing::warn!(error = %err, attempt, "postgres not reachable yet, retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Creates `schema` if needed and applies the kit's and the service's
/// migrations to it.
pub async fn migrate(pool: &PgPool, schema: &str, service: &Migrator) -> Result<(), DbError> {
    check_schema_name(schema)?;
    let migrations: Vec<Migration> = KIT_MIGRATOR.iter().chain(service.iter()).cloned().collect();
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.create_schema(schema.to_owned());
    migrator.dangerous_set_table_name(format!("{schema}._sqlx_migrations"));
    migrator.run(pool).await.map_err(|source| DbError::Migrate {
        schema: schema.to_owned(),
        source,
    })
}

fn check_schema_name(schema: &str) -> Result<(), DbError> {
    let ok = !schema.is_empty()
        && schema.starts_with(|c: char| c.is_ascii_lowercase())
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(DbError::SchemaName(schema.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(check_schema_name("deadline_watcher").is_ok());
        assert!(check_schema_name("Intake").is_err());
        assert!(check_schema_name("x; drop table").is_err());
        assert!(check_schema_name("").is_err());
    }

    #[test]
    fn kit_migrations_stay_below_100() {
        assert!(KIT_MIGRATOR.iter().all(|m| m.version < 100));
    }
}
