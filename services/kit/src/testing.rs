//! Throw-away databases for tests (feature `testing`), made on the
//! machine's Postgres (`MESH_TEST_DATABASE_URL`) or on a server of the
//! test's own, and dropped afterwards, so that a test can run twice, in
//! parallel, and after a crash.

use anyhow::Context;
use sqlx::migrate::Migrator;
use sqlx::{Connection, PgConnection, PgPool};

/// Where the machine's Postgres is: a URL with rights to create databases.
pub fn admin_url() -> String {
    std::env::var("MESH_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into())
}

/// A database of the test's own.
#[derive(Debug)]
pub struct ScratchDatabase {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl ScratchDatabase {
    /// `<label>_<random>` on the machine's Postgres.
    pub async fn create(label: &str) -> anyhow::Result<Self> {
        let name = format!("{label}_{}", uuid::Uuid::new_v4().simple());
        Self::create_on(&admin_url(), &name).await
    }

    /// The database `name` on the server `admin_url` points to.
    pub async fn create_on(admin_url: &str, name: &str) -> anyhow::Result<Self> {
        let mut admin = PgConnection::connect(admin_url)
            .await
            .context("connecting to Postgres")?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => anyhow::bail!("MESH_TEST_DATABASE_URL has no database part"),
        };
        Ok(Self {
            name: name.to_owned(),
            url,
            admin_url: admin_url.to_owned(),
        })
    }

    /// A pool working in `schema`, migrated as a service's schema is (the
    /// kit's migrations, then `migrator`'s).
    pub async fn schema(
        &self,
        schema: &str,
        migrator: &Migrator,
        max_connections: u32,
    ) -> anyhow::Result<PgPool> {
        let pool = crate::db::connect(&self.url, schema, max_connections).await?;
        crate::db::migrate(&pool, schema, migrator).await?;
        Ok(pool)
    }

    pub async fn drop_it(self) -> anyhow::Result<()> {
        Self::drop_on(&self.admin_url, &self.name).await
    }

    /// Drops the database `name`, whoever is still connected to it.
    pub async fn drop_on(admin_url: &str, name: &str) -> anyhow::Result<()> {
        let mut admin = PgConnection::connect(admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await?;
        Ok(())
    }
}
