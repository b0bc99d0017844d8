//! Periodic reports on schedule: once a week, month, quarter or year has
//! ended (and an hour more, for late events of its last day), the centre's
//! report of it is built and kept in `reports`, as data, CSV and HTML. The
//! monthly summary is so ready on the 1st, well before the 20th when it is
//! due (001 七). Runs every minute; a report already kept is not redone.

use crate::render;
use crate::report::{build, last_complete};
use crate::store::Db;
use chrono::{Duration, Utc};
use complaints_proto::v1::ReportPeriod;
use mesh_kit::network::Network;
use mesh_kit::Shutdown;
use prost::Message;
use std::sync::Arc;

pub const PERIODS: [ReportPeriod; 4] = [
    ReportPeriod::Weekly,
    ReportPeriod::Monthly,
    ReportPeriod::Quarterly,
    ReportPeriod::Annual,
];

#[derive(Clone)]
pub struct Scheduler {
    pub db: Db,
    pub network: Arc<Network>,
}

impl Scheduler {
    pub async fn run(self, shutdown: Shutdown) {
        loop {
            if let Err(err) = self.produce_due().await {
                tracing::warn!(error = %format!("{err:#}"), "producing periodic reports failed, will retry");
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            }
        }
    }

    /// Builds and keeps each ended period's report that is not kept yet.
    pub async fn produce_due(&self) -> anyhow::Result<usize> {
        let local_now = Utc::now().with_timezone(&self.network.offset) - Duration::hours(1);
        let mut made = 0;
        for period in PERIODS {
            let (from, to) = last_complete(period, local_now.date_naive());
            let kept: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM reports WHERE period = $1 AND from_day = $2)",
            )
            .bind(period as i32)
            .bind(from)
            .fetch_one(&self.db.pool)
            .await?;
            if kept {
                continue;
            }
            let report = build(&self.db, &self.network, period, from, None).await?;
            let html = render::html(&report, &self.network.jurisdiction.name);
            sqlx::query(
                "INSERT INTO reports (period, from_day, to_day, body, csv, html) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(period as i32)
            .bind(from)
            .bind(to)
            .bind(report.encode_to_vec())
            .bind(render::csv(&report))
            .bind(html)
            .execute(&self.db.pool)
            .await?;
            tracing::info!(period = ?period, %from, %to, "periodic report produced");
            made += 1;
        }
        Ok(made)
    }
}
