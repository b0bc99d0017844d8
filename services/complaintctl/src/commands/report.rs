//! Reports: print, write as CSV or HTML, verify against the raw streams, or
//! list those produced on schedule.

use crate::cli::{PeriodArg, ReportAction, ReportArgs};
use crate::{connect, print};
use complaints_proto::label_of;
use complaints_proto::v1::reporting_client::ReportingClient;
use complaints_proto::v1::{
    GetReportDocumentRequest, GetReportRequest, ListReportsRequest, Report, ReportPeriod,
};
use std::fmt::Write;

fn period(p: PeriodArg) -> ReportPeriod {
    match p {
        PeriodArg::Weekly => ReportPeriod::Weekly,
        PeriodArg::Monthly => ReportPeriod::Monthly,
        PeriodArg::Quarterly => ReportPeriod::Quarterly,
        PeriodArg::Annual => ReportPeriod::Annual,
    }
}

/// A report as text for a terminal.
fn text(r: &Report) -> String {
    let mut out = String::new();
    let scope = if r.department.is_empty() {
        "everything".to_owned()
    } else {
        format!("{} ({})", r.department, r.department_name)
    };
    let _ = writeln!(
        out,
        "{} report {} … {}, scope {scope}",
        label_of::<ReportPeriod>(r.period),
        r.from_day,
        r.to_day
    );
    for f in &r.figures {
        let _ = writeln!(out, "  {:<22} {:>8}", f.name, f.value);
    }
    if let Some(rt) = &r.rates {
        let _ = writeln!(
            out,
            "  acceptance {:.1}%  on time {:.1}%  callback {:.1}%  satisfaction {:.1}%  repeat {:.1}%  handling mean {:.1} h, p90 ≤ {} h",
            rt.acceptance_rate * 100.0,
            rt.on_time_rate * 100.0,
            rt.callback_rate * 100.0,
            rt.satisfaction_rate * 100.0,
            rt.repeat_rate * 100.0,
            rt.mean_handling_hours,
            rt.p90_handling_hours
        );
    }
    let mut dimension = "";
    for c in &r.counts {
        if c.dimension != dimension {
            let _ = writeln!(out, "{}:", c.dimension);
            dimension = &c.dimension;
        }
        let _ = writeln!(out, "  {:<22} {:>8}", c.key, c.count);
    }
    let _ = writeln!(
        out,
        "departments (own / subtree, concluded, on time, overdue):"
    );
    for d in r
        .departments
        .iter()
        .filter(|d| d.subtree_cases > 0 || d.concluded > 0 || d.overdue > 0)
    {
        let indent = "  ".repeat(d.tier as usize);
        let _ = writeln!(
            out,
            "{indent}{:<20} {:>5} / {:<5} {:>5} {:>5} {:>5}",
            d.code, d.cases, d.subtree_cases, d.concluded, d.on_time, d.overdue
        );
    }
    for t in &r.hot_topics {
        let _ = writeln!(
            out,
            "rising: {} {} {} (was {})",
            t.dimension, t.key, t.count, t.previous
        );
    }
    for c in &r.overdue_cases {
        let _ = writeln!(
            out,
            "overdue: {} at {} ({})",
            c.case_number, c.department, c.note
        );
    }
    for c in &r.typical_cases {
        let _ = writeln!(
            out,
            "typical: {} {} {} ({})",
            c.case_number, c.department, c.category, c.note
        );
    }
    out
}

pub async fn run(url: &str, args: ReportArgs) -> anyhow::Result<()> {
    let mut client = ReportingClient::new(connect::channel("reporting", url).await?);
    let request = GetReportRequest {
        period: period(args.period) as i32,
        date: args.date.clone(),
        department: args.department.clone(),
    };
    let fail = |s| connect::status("reporting", s);
    match args.action {
        ReportAction::Show => {
            let report = client.get_report(request).await.map_err(fail)?.into_inner();
            print::emit(&text(&report));
        }
        ReportAction::Csv | ReportAction::Html => {
            let format = if matches!(args.action, ReportAction::Csv) {
                "csv"
            } else {
                "html"
            };
            let doc = client
                .get_report_document(GetReportDocumentRequest {
                    report: Some(request),
                    format: format.into(),
                })
                .await
                .map_err(fail)?
                .into_inner();
            match &args.out {
                Some(path) => {
                    std::fs::write(path, &doc.content)?;
                    eprintln!("written {} ({} bytes)", path.display(), doc.content.len());
                }
                None => print::emit(&String::from_utf8_lossy(&doc.content)),
            }
        }
        ReportAction::Verify => {
            let v = client
                .verify_report(request)
                .await
                .map_err(fail)?
                .into_inner();
            let mut out = format!("replayed {} events from the streams\n", v.events_replayed);
            if v.equal {
                out.push_str(
                    "the report from the rollups equals the one recomputed from the raw streams\n",
                );
            } else {
                out.push_str("DIFFERENT:\n");
                for d in &v.differences {
                    out.push_str(&format!("  {d}\n"));
                }
            }
            print::emit(&out);
            if !v.equal {
                anyhow::bail!("the rollups and the streams disagree");
            }
        }
        ReportAction::List => {
            let list = client
                .list_reports(ListReportsRequest { limit: 0 })
                .await
                .map_err(fail)?
                .into_inner();
            let mut out = String::new();
            for r in &list.reports {
                let _ = writeln!(
                    out,
                    "{:<10} {} … {}  produced {}",
                    label_of::<ReportPeriod>(r.period),
                    r.from_day,
                    r.to_day,
                    r.generated_at
                );
            }
            if list.reports.is_empty() {
                out.push_str("no periodic report produced yet\n");
            }
            print::emit(&out);
        }
    }
    Ok(())
}
