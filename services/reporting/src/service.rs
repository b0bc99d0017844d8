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
use mesh_kit::input::{self, FieldError};
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

fn day(field: &'static str, value: &str) -> Result<Option<NaiveDate>, Status> {
    Ok(input::day(field, value).map_err(ReportError::from)?)
}

fn unavailable(err: impl std::fmt::Display) -> Status {
    tracing::error!(error = %err, "report storage failed");
    Status::unavailable("report storage is unavailable")
}

/// Most entries of `GetCountsRequest.dimensions`: each dimension once.
pub const MAX_DIMENSIONS: usize = DIMENSIONS.len();
/// Stored reports `ListReports` returns when asked for 0, and at most.
pub const DEFAULT_LIST: u32 = 20;
pub const MAX_LIST: u32 = 500;

impl From<FieldError> for ReportError {
    fn from(err: FieldError) -> Self {
        ReportError::Invalid(err.to_string())
    }
}

/// A report request checked: the period, the day in it (default: the last
/// complete period before `today`), the scope (a department sees its
/// subtree; empty or the centre: everything).
fn report_query(
    req: &GetReportRequest,
    network: &Network,
    today: NaiveDate,
) -> Result<(ReportPeriod, NaiveDate, Option<String>), ReportError> {
    let period: ReportPeriod = input::enum_value("period", req.period, true)?;
    let date = match input::day("date", &req.date)? {
        Some(d) => d,
        None => last_complete(period, today).0,
    };
    let scope = match input::code("department", &req.department)? {
        None => None,
        Some(code) if code == network.centre().code => None,
        Some(code) if network.department(&code).is_some() => Some(code),
        Some(code) => {
            return Err(
                FieldError::new("department", format!("{code:?} is not in the network")).into(),
            )
        }
    };
    Ok((period, date, scope))
}

/// The dimensions a counts request asks for; empty: all of them.
fn dimensions(values: &[String]) -> Result<Vec<String>, ReportError> {
    input::entries("dimensions", values.len(), MAX_DIMENSIONS)?;
    let mut wanted = Vec::new();
    for d in values {
        let d = d.trim().to_lowercase();
        if !DIMENSIONS.contains(&d.as_str()) {
            return Err(FieldError::new(
                "dimensions",
                format!(
                    "{} is not one of {}",
                    input::shown(&d),
                    DIMENSIONS.join(", ")
                ),
            )
            .into());
        }
        wanted.push(d);
    }
    if wanted.is_empty() {
        wanted = DIMENSIONS.iter().map(|d| (*d).to_owned()).collect();
    }
    Ok(wanted)
}

/// The document formats `GetReportDocument` renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Html,
}

fn format(value: &str) -> Result<Format, ReportError> {
    match value.trim() {
        "csv" => Ok(Format::Csv),
        "html" | "" => Ok(Format::Html),
        other => Err(FieldError::new(
            "format",
            format!("{} is not csv or html", input::shown(other)),
        )
        .into()),
    }
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
        Ok(report_query(req, &self.network, self.today())?)
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
        let wanted = dimensions(&req.dimensions)?;
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
        let format = format(&req.format)?;
        let report = req
            .report
            .ok_or_else(|| ReportError::from(FieldError::new("report", "is required")))?;
        let report = self.report(&report).await?;
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
        let doc = match format {
            Format::Csv => ReportDocument {
                content_type: "text/csv; charset=utf-8".into(),
                file_name: format!("{name}.csv"),
                content: render::csv(&report).into_bytes(),
            },
            Format::Html => ReportDocument {
                content_type: "text/html; charset=utf-8".into(),
                file_name: format!("{name}.html"),
                content: render::html(&report, &self.network.jurisdiction.name).into_bytes(),
            },
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
        let limit = input::page_size("limit", request.get_ref().limit, DEFAULT_LIST, MAX_LIST)
            .map_err(ReportError::from)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    fn network() -> Network {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../deploy/network/sample-city.toml");
        Network::load(&path).expect("sample network")
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
    }

    fn monthly() -> GetReportRequest {
        GetReportRequest {
            period: ReportPeriod::Monthly as i32,
            date: String::new(),
            department: String::new(),
        }
    }

    /// The message of a refusal, which must be INVALID_ARGUMENT.
    fn refused(err: ReportError) -> String {
        let status = Status::from(err);
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        status.message().to_owned()
    }

    #[test]
    fn report_requests_name_the_bad_field() {
        let (period, date, scope) = report_query(&monthly(), &network(), today()).expect("valid");
        assert_eq!(period, ReportPeriod::Monthly);
        assert_eq!(date, NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"));
        assert_eq!(scope, None);
        for (req, start) in [
            (
                GetReportRequest {
                    period: 0,
                    ..monthly()
                },
                "period: is required",
            ),
            (
                GetReportRequest {
                    period: 9,
                    ..monthly()
                },
                "period: 9 is not a known value",
            ),
            (
                GetReportRequest {
                    date: "2026-02-30".into(),
                    ..monthly()
                },
                "date: ",
            ),
            (
                GetReportRequest {
                    department: "nowhere".into(),
                    ..monthly()
                },
                "department: \"nowhere\" is not in the network",
            ),
        ] {
            let message = refused(report_query(&req, &network(), today()).expect_err(start));
            assert!(message.starts_with(start), "{message}");
        }
    }

    #[test]
    fn dates_at_the_edge_of_the_calendar_are_refused_not_panicked_on() {
        for date in ["-262143-01-01", "+262142-12-31", "1999-12-31", "2100-01-01"] {
            let req = GetReportRequest {
                period: ReportPeriod::Weekly as i32,
                date: date.into(),
                ..monthly()
            };
            let message = refused(report_query(&req, &network(), today()).expect_err(date));
            assert!(message.starts_with("date: "), "{message}");
        }
    }

    #[test]
    fn huge_values_get_short_messages() {
        let req = GetReportRequest {
            department: "d".repeat(100_000),
            ..monthly()
        };
        let message = refused(report_query(&req, &network(), today()).expect_err("huge"));
        assert!(
            message.starts_with("department: ") && message.len() < 200,
            "{message}"
        );
        let message = refused(format(&"x".repeat(100_000)).expect_err("huge"));
        assert!(
            message.starts_with("format: ") && message.len() < 200,
            "{message}"
        );
        let message = refused(dimensions(&["Y".repeat(100_000)]).expect_err("huge"));
        assert!(
            message.starts_with("dimensions: ") && message.len() < 300,
            "{message}"
        );
    }

    #[test]
    fn dimensions_are_known_and_few() {
        assert_eq!(dimensions(&[]).expect("all").len(), DIMENSIONS.len());
        assert_eq!(
            dimensions(&[" Channel ".into()]).expect("one"),
            vec!["channel".to_owned()]
        );
        let nine = vec!["kind".to_owned(); MAX_DIMENSIONS + 1];
        assert_eq!(
            refused(dimensions(&nine).expect_err("too many")),
            "dimensions: has 9 entries; at most 8 are allowed"
        );
    }

    #[test]
    fn formats_and_limits() {
        assert_eq!(format(" csv ").expect("csv"), Format::Csv);
        assert_eq!(format("").expect("default"), Format::Html);
        assert!(refused(format("pdf").expect_err("pdf")).starts_with("format: \"pdf\""));
        assert_eq!(input::page_size("limit", 0, DEFAULT_LIST, MAX_LIST), Ok(20));
        let message = refused(
            input::page_size("limit", u32::MAX, DEFAULT_LIST, MAX_LIST)
                .expect_err("huge")
                .into(),
        );
        assert!(message.starts_with("limit: "), "{message}");
    }
}
