//! The `complaints.v1.Reporting` gRPC service: counts, reports (data, CSV,
//! HTML), the check against the raw streams, and the periodic reports kept.

use crate::render;
use crate::replay::{incomplete, replay};
use crate::report::{build, last_complete, ReportError, Source};
use crate::store::Db;
use async_nats::jetstream;
use chrono::{Duration, NaiveDate, Utc};
use complaints_proto::label_of;
use complaints_proto::v1::reporting_server::Reporting;
use complaints_proto::v1::{
    CountRow, GetCountsRequest, GetCountsResponse, GetReportDocumentRequest, GetReportRequest,
    ListReportsRequest, ListReportsResponse, Report, ReportDocument, ReportPeriod, StoredReport,
    VerifyReportResponse,
};
use mesh_kit::network::Network;
use mesh_kit::Subjects;
use std::collections::BTreeMap;
use std::sync::Arc;
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct ReportingService {
    pub db: Db,
    pub network: Arc<Network>,
    pub js: jetstream::Context,
    pub subjects: Subjects,
}

/// The dimensions `GetCounts` knows, and where each is in the cube.
pub const DIMENSIONS: [&str; 8] = [
    "channel",
    "category",
    "kind",
    "region",
    "severity",
    "department",
    "overdue",
    "escalated",
];

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

fn unavailable(err: impl std::fmt::Display) -> Status {
    tracing::error!(error = %err, "report storage failed");
    Status::unavailable("report storage is unavailable")
}

impl From<ReportError> for Status {
    fn from(err: ReportError) -> Self {
        match err {
            ReportError::Invalid(msg) => Status::invalid_argument(msg),
            ReportError::Source(e) => unavailable(format!("{e:#}")),
        }
    }
}

impl ReportingService {
    fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.network.offset).date_naive()
    }

    /// Checks a report request: the period, the day in it (default: the
    /// last complete period), the scope (a department sees its subtree;
    /// empty or the centre: everything).
    fn parse(
        &self,
        req: &GetReportRequest,
    ) -> Result<(ReportPeriod, NaiveDate, Option<String>), Status> {
        let period = match ReportPeriod::try_from(req.period) {
            Ok(ReportPeriod::Unspecified) | Err(_) => {
                return Err(Status::invalid_argument(
                    "period: must be weekly, monthly, quarterly or annual",
                ))
            }
            Ok(p) => p,
        };
        let date = match day("date", &req.date)? {
            Some(d) => d,
            None => last_complete(period, self.today()).0,
        };
        let department = req.department.trim();
        let scope = if department.is_empty() || department == self.network.centre().code {
            None
        } else if self.network.department(department).is_some() {
            Some(department.to_owned())
        } else {
            return Err(Status::invalid_argument(format!(
                "department: {department:?} is not in the network"
            )));
        };
        Ok((period, date, scope))
    }

    async fn report(&self, req: &GetReportRequest) -> Result<Report, Status> {
        let (period, date, scope) = self.parse(req)?;
        Ok(build(&self.db, &self.network, period, date, scope.as_deref()).await?)
    }
}

/// Lines that differ between two reports, by section.
fn differences(a: &Report, b: &Report) -> Vec<String> {
    let sections: [(&str, &dyn std::fmt::Debug, &dyn std::fmt::Debug); 7] = [
        ("figures", &a.figures, &b.figures),
        ("rates", &a.rates, &b.rates),
        ("counts", &a.counts, &b.counts),
        ("departments", &a.departments, &b.departments),
        ("hot topics", &a.hot_topics, &b.hot_topics),
        ("overdue cases", &a.overdue_cases, &b.overdue_cases),
        ("typical cases", &a.typical_cases, &b.typical_cases),
    ];
    sections
        .into_iter()
        .map(|(what, x, y)| (what, format!("{x:?}"), format!("{y:?}")))
        .filter(|(_, x, y)| x != y)
        .map(|(what, x, y)| format!("{what}: rollups {x} / streams {y}"))
        .collect()
}

#[tonic::async_trait]
impl Reporting for ReportingService {
    async fn get_counts(
        &self,
        request: Request<GetCountsRequest>,
    ) -> Result<Response<GetCountsResponse>, Status> {
        let req = request.into_inner();
        let to = day("to_day", &req.to_day)?.unwrap_or_else(|| self.today());
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
        let mut wanted = Vec::new();
        for d in &req.dimensions {
            let d = d.trim().to_lowercase();
            if !DIMENSIONS.contains(&d.as_str()) {
                return Err(Status::invalid_argument(format!(
                    "dimensions: {d:?} is not one of {}",
                    DIMENSIONS.join(", ")
                )));
            }
            wanted.push(d);
        }
        if wanted.is_empty() {
            wanted = DIMENSIONS.iter().map(|d| (*d).to_owned()).collect();
        }
        // Day by day from the daily cube; otherwise the report's sum, which
        // takes whole months from the month cube.
        let rows: Vec<(String, String, String, String, i64)> = if req.by_day {
            sqlx::query_as(
                "SELECT day::text, department, dimension, key, SUM(value)::BIGINT FROM cube WHERE day BETWEEN $1 AND $2 \
                 AND (dimension IN ('channel', 'category', 'kind', 'region', 'severity') \
                      OR (dimension = 'total') OR (dimension = 'metric' AND key IN ('overdue', 'escalated'))) \
                 GROUP BY day, department, dimension, key",
            )
            .bind(from)
            .bind(to)
            .fetch_all(&self.db.pool)
            .await
            .map_err(unavailable)?
        } else {
            self.db
                .sum(from, to, None)
                .await
                .map_err(|e| unavailable(format!("{e:#}")))?
                .into_iter()
                .map(|((department, dimension, key), v)| {
                    (String::new(), department, dimension, key, v)
                })
                .collect()
        };
        let mut total = 0u64;
        let mut summed: BTreeMap<(String, String, String), u64> = BTreeMap::new();
        for (day, department, dimension, key, value) in rows {
            let value = value.max(0) as u64;
            let (dimension, key) = match (dimension.as_str(), key.as_str()) {
                ("total", "registered") => {
                    total += value;
                    continue;
                }
                ("total", "routed") => ("department".to_owned(), department),
                ("metric", k) => (k.to_owned(), department),
                (_, _) => (dimension, key),
            };
            if !wanted.contains(&dimension) {
                continue;
            }
            *summed.entry((day, dimension, key)).or_default() += value;
        }
        let mut rows: Vec<CountRow> = summed
            .into_iter()
            .map(|((day, dimension, key), count)| CountRow {
                dimension,
                key,
                count,
                day,
            })
            .collect();
        rows.sort_by(|a, b| {
            a.day
                .cmp(&b.day)
                .then(a.dimension.cmp(&b.dimension))
                .then(b.count.cmp(&a.count))
                .then(a.key.cmp(&b.key))
        });
        Ok(Response::new(GetCountsResponse {
            from_day: from.to_string(),
            to_day: to.to_string(),
            total,
            rows,
        }))
    }

    async fn get_report(
        &self,
        request: Request<GetReportRequest>,
    ) -> Result<Response<Report>, Status> {
        Ok(Response::new(self.report(request.get_ref()).await?))
    }

    async fn get_report_document(
        &self,
        request: Request<GetReportDocumentRequest>,
    ) -> Result<Response<ReportDocument>, Status> {
        let req = request.into_inner();
        let report = self.report(&req.report.unwrap_or_default()).await?;
        let name = format!(
            "report-{}-{}{}",
            label_of::<ReportPeriod>(report.period),
            report.from_day,
            if report.department.is_empty() {
                String::new()
            } else {
                format!("-{}", report.department)
            }
        );
        let doc = match req.format.trim() {
            "csv" => ReportDocument {
                content_type: "text/csv; charset=utf-8".into(),
                file_name: format!("{name}.csv"),
                content: render::csv(&report).into_bytes(),
            },
            "html" | "" => ReportDocument {
                content_type: "text/html; charset=utf-8".into(),
                file_name: format!("{name}.html"),
                content: render::html(&report, &self.network.jurisdiction.name).into_bytes(),
            },
            other => {
                return Err(Status::invalid_argument(format!(
                    "format: {other:?} is not csv or html"
                )))
            }
        };
        Ok(Response::new(doc))
    }

    async fn verify_report(
        &self,
        request: Request<GetReportRequest>,
    ) -> Result<Response<VerifyReportResponse>, Status> {
        let req = request.into_inner();
        let (period, date, scope) = self.parse(&req)?;
        let streams = |e: anyhow::Error| {
            Status::unavailable(format!("the event streams cannot be read: {e:#}"))
        };
        if let Some(why) = incomplete(&self.js, &self.subjects)
            .await
            .map_err(streams)?
        {
            return Err(Status::failed_precondition(format!(
                "the report cannot be recomputed: {why}"
            )));
        }
        let from_rollups = build(&self.db, &self.network, period, date, scope.as_deref()).await?;
        let (memory, events_replayed) = replay(&self.js, &self.subjects, self.network.offset)
            .await
            .map_err(streams)?;
        let from_streams = build(&memory, &self.network, period, date, scope.as_deref()).await?;
        let differences = differences(&from_rollups, &from_streams);
        Ok(Response::new(VerifyReportResponse {
            equal: differences.is_empty(),
            differences,
            events_replayed,
            from_rollups: Some(from_rollups),
            from_streams: Some(from_streams),
        }))
    }

    async fn list_reports(
        &self,
        request: Request<ListReportsRequest>,
    ) -> Result<Response<ListReportsResponse>, Status> {
        let limit = match request.get_ref().limit {
            0 => 20,
            n => i64::from(n.min(500)),
        };
        let rows: Vec<(i32, NaiveDate, NaiveDate, chrono::DateTime<Utc>)> = sqlx::query_as(
            "SELECT period, from_day, to_day, generated_at FROM reports ORDER BY from_day DESC, period LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await
        .map_err(unavailable)?;
        Ok(Response::new(ListReportsResponse {
            reports: rows
                .into_iter()
                .map(|(period, from, to, at)| StoredReport {
                    period,
                    from_day: from.to_string(),
                    to_day: to.to_string(),
                    generated_at: at.to_rfc3339(),
                })
                .collect(),
        }))
    }
}
