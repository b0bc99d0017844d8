//! The `complaints.v1.Reporting` gRPC service.

use crate::counts::{self, DIMENSIONS};
use chrono::{Duration, FixedOffset, NaiveDate, Utc};
use complaints_proto::v1::reporting_server::Reporting;
use complaints_proto::v1::{CountRow, GetCountsRequest, GetCountsResponse};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct ReportingService {
    pub pool: PgPool,
    pub offset: FixedOffset,
}

fn day(field: &str, value: &str) -> Result<Option<NaiveDate>, Status> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            Status::invalid_argument(format!("{field}: {value:?} is not a date (YYYY-MM-DD)"))
        })
}

#[tonic::async_trait]
impl Reporting for ReportingService {
    async fn get_counts(
        &self,
        request: Request<GetCountsRequest>,
    ) -> Result<Response<GetCountsResponse>, Status> {
        let req = request.into_inner();
        let today = Utc::now().with_timezone(&self.offset).date_naive();
        let to = day("to_day", &req.to_day)?.unwrap_or(today);
        let from = day("from_day", &req.from_day)?.unwrap_or(to - Duration::days(29));
        if from > to {
            return Err(Status::invalid_argument(format!(
                "from_day: {from} is after to_day {to}"
            )));
        }
        if (to - from).num_days() > 366 * 5 {
            return Err(Status::invalid_argument(
                "from_day: the range may span at most five years",
            ));
        }
        let mut dimensions: Vec<String> = Vec::new();
        for d in &req.dimensions {
            let d = d.trim().to_lowercase();
            if !DIMENSIONS.contains(&d.as_str()) {
                return Err(Status::invalid_argument(format!(
                    "dimensions: {d:?} is not one of {}",
                    DIMENSIONS.join(", ")
                )));
            }
            dimensions.push(d);
        }
        if dimensions.is_empty() {
            dimensions = DIMENSIONS.iter().map(|d| (*d).to_owned()).collect();
        }
        if !dimensions.iter().any(|d| d == "total") {
            dimensions.push("total".into());
        }
        let rows = counts::sum(&self.pool, from, to, &dimensions, req.by_day)
            .await
            .map_err(|err| {
                tracing::error!(error = %err, "counting failed");
                Status::unavailable("report storage is unavailable")
            })?;
        let total = rows
            .iter()
            .filter(|c| c.dimension == "total")
            .map(|c| c.count as u64)
            .sum();
        Ok(Response::new(GetCountsResponse {
            from_day: from.to_string(),
            to_day: to.to_string(),
            total,
            // Per day, the day's total is a row of its own; over a range it
            // is `total` above.
            rows: rows
                .into_iter()
                .filter(|c| req.by_day || c.dimension != "total")
                .map(|c| CountRow {
                    dimension: c.dimension,
                    key: c.key,
                    count: c.count as u64,
                    day: c.day.map(|d| d.to_string()).unwrap_or_default(),
                })
                .collect(),
        }))
    }
}
