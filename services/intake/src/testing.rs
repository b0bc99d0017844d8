//! Tests' own databases, made on the machine's Postgres
//! (`MESH_TEST_DATABASE_URL`, as the end-to-end tests use) and dropped
//! afterwards.

use mesh_kit::testing::ScratchDatabase;
use sqlx::PgPool;

/// A throw-away database with intake's schema migrated.
pub struct TestDb {
    db: ScratchDatabase,
    pub pool: PgPool,
}

impl TestDb {
    pub async fn create(label: &str) -> anyhow::Result<Self> {
        let db = ScratchDatabase::create(&format!("mesh_intake_{label}")).await?;
        let pool = db
            .schema(crate::app::SCHEMA, &crate::app::MIGRATOR, 16)
            .await?;
        Ok(Self { db, pool })
    }

    /// A pool on another schema of the same database, migrated as intake's.
    pub async fn other_schema(&self, schema: &str) -> anyhow::Result<PgPool> {
        self.db.schema(schema, &crate::app::MIGRATOR, 16).await
    }

    pub async fn drop_it(self) -> anyhow::Result<()> {
        self.pool.close().await;
        self.db.drop_it().await
    }
}
