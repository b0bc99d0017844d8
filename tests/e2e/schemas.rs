//! One database, one schema per service: two services migrating the same
//! database at the same time each get their own tables and their own
//! migrations table (the sqlx `_sqlx_migrations` trap of STYLE.md). And
//! what a schema's writes promise when events arrive out of order.

use chrono::Utc;
use mesh_e2e::TestDatabase;
use mesh_intake::store;
use uuid::Uuid;

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
        let in_public: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_one(&a)
        .await?;
        assert_eq!(in_public, 0, "nothing lands in public");
        let versions: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM intake._sqlx_migrations ORDER BY version")
                .fetch_all(&a)
                .await?;
        // The kit's migrations, then intake's own (from 100 on), and none
        // of reporting's.
        let own: Vec<i64> = FIRST.iter().map(|m| m.version).collect();
        let (kit, service): (Vec<i64>, Vec<i64>) = versions.iter().partition(|v| **v < 100);
        let expected_kit: Vec<i64> = (1..=kit.len() as i64).collect();
        assert!(kit.len() >= 3, "the kit's migrations: {kit:?}");
        assert_eq!(kit, expected_kit, "the kit's migrations, in order");
        assert_eq!(service, own);

        anyhow::Ok(())
    }
    .await;
    db.drop_it().await?;
    result
}

/// Triage's `CaseRouted` and dispatch's work-order events reach intake on
/// separate consumers: a routing decision redelivered after dispatch has
/// spoken must not move the case's holder or status back.
#[tokio::test]
async fn a_late_routing_decision_leaves_dispatchs_holder() -> anyhow::Result<()> {
    let db = TestDatabase::create("late_routing").await?;
    let result = async {
        let pool = mesh_kit::db::connect(&db.url, "intake", 2).await?;
        mesh_kit::db::migrate(&pool, "intake", &FIRST).await?;
        let case_id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO cases (case_id, case_number, query_code, idempotency_key, channel, \
             received_at, region, facts, anonymous) \
             VALUES ($1, '2026-11-000001', 'q', 'k', 1, now(), 'east', '暖气不热', false)",
        )
        .bind(case_id)
        .execute(&pool)
        .await?;
        let status = |pool: sqlx::PgPool| async move {
            sqlx::query_as::<_, (String, String)>(
                "SELECT status, department FROM cases WHERE case_id = $1",
            )
            .bind(case_id)
            .fetch_one(&pool)
            .await
        };
        let mut tx = pool.begin().await?;
        assert!(store::record_routing(&mut tx, case_id, 1, "heating", 2, "east-heat", 2).await?);
        tx.commit().await?;
        assert_eq!(
            status(pool.clone()).await?,
            ("routed".into(), "east-heat".into())
        );

        // Dispatch: rerouted to west-heat, signed.
        let mut tx = pool.begin().await?;
        assert!(
            store::record_order(
                &mut tx,
                case_id,
                "in_progress",
                "west-heat",
                Some(Utc::now()),
                3
            )
            .await?
        );
        // The routing decision again, late.
        assert!(store::record_routing(&mut tx, case_id, 1, "heating", 2, "east-heat", 2).await?);
        tx.commit().await?;
        assert_eq!(
            status(pool.clone()).await?,
            ("in_progress".into(), "west-heat".into())
        );
        let mut tx = pool.begin().await?;
        assert!(
            !store::record_routing(&mut tx, Uuid::now_v7(), 1, "heating", 2, "east-heat", 2)
                .await?
        );
        tx.rollback().await?;
        anyhow::Ok(())
    }
    .await;
    db.drop_it().await?;
    result
}
