//! One database, one schema per service: two services migrating the same
//! database at the same time each get their own tables and their own
//! migrations table (the sqlx `_sqlx_migrations` trap of STYLE.md).

use mesh_e2e::TestDatabase;

static FIRST: sqlx::migrate::Migrator = sqlx::migrate!("../services/intake/migrations");
static SECOND: sqlx::migrate::Migrator = sqlx::migrate!("../services/reporting/migrations");

#[tokio::test]
async fn two_services_migrate_one_database_side_by_side() -> anyhow::Result<()> {
    let db = TestDatabase::create("schemas").await?;
    let result = async {
        let a = mesh_kit::db::connect(&db.url, "intake", 2).await?;
        let b = mesh_kit::db::connect(&db.url, "reporting", 2).await?;
        let (ra, rb) = tokio::join!(
            mesh_kit::db::migrate(&a, "intake", &FIRST),
            mesh_kit::db::migrate(&b, "reporting", &SECOND)
        );
        ra?;
        rb?;
        // Running again is a no-op, not an error about the other's versions.
        mesh_kit::db::migrate(&a, "intake", &FIRST).await?;
        mesh_kit::db::migrate(&b, "reporting", &SECOND).await?;
        let tables: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_schema::text, table_name::text FROM information_schema.tables \
             WHERE table_schema IN ('intake', 'reporting') ORDER BY 1, 2",
        )
        .fetch_all(&a)
        .await?;
        let has = |schema: &str, table: &str| tables.iter().any(|(s, t)| s == schema && t == table);
        for schema in ["intake", "reporting"] {
            assert!(
                has(schema, "_sqlx_migrations"),
                "{schema} keeps its own migrations table"
            );
            assert!(
                has(schema, "outbox") && has(schema, "processed_events"),
                "kit tables in {schema}"
            );
        }
        assert!(has("intake", "cases") && !has("reporting", "cases"));
        assert!(has("reporting", "cube") && !has("intake", "cube"));
        assert!(
            !tables.iter().any(|(s, _)| s == "public"),
            "nothing lands in public"
        );
        let versions: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM intake._sqlx_migrations ORDER BY version")
                .fetch_all(&a)
                .await?;
        // The kit's migrations, then the service's own from 100 on.
        assert_eq!(&versions[..3], &[1, 2, 100]);
        assert!(versions[2..].iter().all(|v| *v >= 100));

        anyhow::Ok(())
    }
    .await;
    db.drop_it().await?;
    result
}
