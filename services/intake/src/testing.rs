//! Tests' own databases, made on the machine's Postgres
//! (`MESH_TEST_DATABASE_URL`, as the end-to-end tests use) and dropped
//! afterwards.

use sqlx::{Connection, PgConnection, PgPool};

/// Where the machine's Postgres is; the test's own database is made on it.
fn admin_url() -> String {
    std::env::var("MESH_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into())
}

/// A throw-away database with intake's schema migrated.
pub struct TestDb {
    name: String,
    url: String,
    pub pool: PgPool,
}

impl TestDb {
    pub async fn create(label: &str) -> anyhow::Result<Self> {
        let name = format!(
            "mesh_intake_{}_{:08x}_{label}",
            std::process::id(),
            rand::random::<u32>()
        );
        let admin = admin_url();
        let mut conn = PgConnection::connect(&admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        let url = match admin.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => anyhow::bail!("MESH_TEST_DATABASE_URL has no database part"),
        };
        let pool = Self::schema_pool(&url, crate::app::SCHEMA).await?;
        Ok(Self { name, url, pool })
    }

    /// A pool on another schema of the same database, migrated as intake's.
    pub async fn other_schema(&self, schema: &str) -> anyhow::Result<PgPool> {
        Self::schema_pool(&self.url, schema).await
    }

    async fn schema_pool(url: &str, schema: &str) -> anyhow::Result<PgPool> {
        let pool = mesh_kit::db::connect(url, schema, 16).await?;
        mesh_kit::db::migrate(&pool, schema, &crate::app::MIGRATOR).await?;
        Ok(pool)
    }

    pub async fn drop_it(self) -> anyhow::Result<()> {
        self.pool.close().await;
        let mut conn = PgConnection::connect(&admin_url()).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut conn)
        .await?;
        Ok(())
    }
}
