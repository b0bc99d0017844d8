//! Reports end to end: a generated workload with known answers goes through
//! the real services (a policy in seconds, so some cases go overdue and
//! escalate), and the monthly report — for everything and for one
//! department's subtree — must give exactly the expected figures. The same
//! report recomputed from the raw streams must be equal; a rebuild of the
//! rollups by replaying the streams must give it again; the periodic
//! reports must be kept; and the HTML page must open in headless Chromium.

use anyhow::Context;
use complaints_proto::v1::act_request::{self as a, Step};
use complaints_proto::v1::dispatch_client::DispatchClient;
use complaints_proto::v1::reporting_client::ReportingClient;
use complaints_proto::v1::{
    ActRequest, Conclusion, GetReportDocumentRequest, GetReportRequest, ListReportsRequest, Report,
    ReportPeriod, Satisfaction,
};
use mesh_e2e::{complaint, repo_root, submit_and_wait, TestMesh};
use std::time::Duration;
use tonic::transport::Channel as GrpcChannel;

async fn submit(mesh: &TestMesh, key: &str, facts: &str, region: &str) -> anyhow::Result<String> {
    Ok(submit_and_wait(mesh, complaint(key, facts, region))
        .await?
        .case_number)
}

struct World {
    dispatch: DispatchClient<GrpcChannel>,
    reporting: ReportingClient<GrpcChannel>,
}

impl World {
    async fn act(&mut self, case: &str, actor: &str, step: Step) -> anyhow::Result<()> {
        let what = format!("{step:?} by {actor}");
        self.dispatch
            .act(ActRequest {
                case_number: case.into(),
                actor: actor.into(),
                step: Some(step),
            })
            .await
            .map_err(|s| anyhow::anyhow!("{what}: {}", s.message()))?;
        Ok(())
    }

    async fn conclude(&mut self, case: &str, unit: &str) -> anyhow::Result<()> {
        self.act(case, unit, Step::Sign(a::Sign {})).await?;
        let conclusion = Conclusion {
            facts_found: "属实".into(),
            staff_handling: "批评教育".into(),
            corrective_actions: "维修".into(),
            answer: "已处理".into(),
            handler: "张工".into(),
            handler_phone: "0000-2222".into(),
        };
        self.act(
            case,
            unit,
            Step::Conclude(a::Conclude {
                conclusion: Some(conclusion),
            }),
        )
        .await
    }

    async fn callback(&mut self, case: &str, s: Satisfaction) -> anyhow::Result<()> {
        self.act(
            case,
            "centre",
            Step::RecordCallback(a::RecordCallback {
                satisfaction: s as i32,
                note: String::new(),
            }),
        )
        .await
    }

    async fn monthly(&mut self, department: &str) -> anyhow::Result<Report> {
        let date = chrono::Utc::now()
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).context("offset")?)
            .date_naive();
        let req = GetReportRequest {
            period: ReportPeriod::Monthly as i32,
            date: date.to_string(),
            department: department.into(),
        };
        Ok(self.reporting.get_report(req).await?.into_inner())
    }
}

fn count(r: &Report, dimension: &str, key: &str) -> u64 {
    r.counts
        .iter()
        .find(|c| c.dimension == dimension && c.key == key)
        .map_or(0, |c| c.count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_give_the_known_answers_and_equal_the_streams() -> anyhow::Result<()> {
    let policy = repo_root().join("tests/data/policy-reports.toml");
    let mut mesh = TestMesh::start_with(&[(
        "DEADLINE_WATCHER__POLICY__FILE",
        policy.to_str().context("path")?,
    )])
    .await?;
    let result = run(&mut mesh).await;
    if result.is_err() {
        eprintln!("service logs:\n{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    result
}

async fn run(mesh: &mut TestMesh) -> anyhow::Result<()> {
    let mut w = World {
        dispatch: DispatchClient::new(mesh.channel("dispatch").await?),
        reporting: ReportingClient::new(mesh.channel("reporting").await?),
    };
    // The workload. Complaints are due in 60 s (none will be late);
    // inquiries in 4 s (both will be, and escalate twice).
    let c1 = submit(mesh, "r-1", "东区小区暖气不热", "east").await?;
    let c2 = submit(mesh, "r-2", "暖气片冰凉一整天", "east").await?;
    let c3 = submit(mesh, "r-3", "供暖温度太低", "east").await?;
    let c4 = submit(mesh, "r-4", "西区暖气不热", "west").await?;
    let c5 = submit(mesh, "r-5", "北区停水两天", "north").await?;
    let _c6 = submit(mesh, "r-6", "夜间施工噪音扰民", "north").await?;
    let _i1 = submit(mesh, "r-7", "请问什么时候开始供暖", "east").await?;
    let _i2 = submit(mesh, "r-8", "请问供暖费怎么缴纳", "east").await?;
    w.conclude(&c1, "east-heat").await?;
    w.callback(&c1, Satisfaction::Satisfied).await?;
    w.conclude(&c2, "east-heat").await?;
    w.callback(&c2, Satisfaction::Dissatisfied).await?; // reopened at east-heat
    w.act(
        &c3,
        "east-heat",
        Step::Return(a::Return {
            reason: "属西区".into(),
        }),
    )
    .await?;
    w.act(
        &c3,
        "centre",
        Step::Reroute(a::Reroute {
            department: "west-heat".into(),
            reason: String::new(),
        }),
    )
    .await?;
    w.conclude(&c4, "west-heat").await?;
    w.callback(&c4, Satisfaction::BasicallySatisfied).await?;
    w.act(
        &c5,
        "centre",
        Step::Withdraw(a::Withdraw {
            reason: "已自行解决".into(),
            under_pressure: false,
        }),
    )
    .await?;

    // Wait for the inquiries' alerts to reach the top (4 s, 5 s, 6 s) and
    // for the rollups to settle on the expected totals.
    let mut r = Report::default();
    for _ in 0..200 {
        r = w.monthly("").await?;
        if r.figure("escalated") == 4 && r.figure("withdrawn") == 1 && r.figure("callbacks") == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected = [
        ("registered", 8),
        ("routed", 8),
        ("concluded", 3),
        ("on_time", 3),
        ("overdue", 2),
        ("escalated", 4),
        ("callbacks", 3),
        ("satisfied", 1),
        ("basically_satisfied", 1),
        ("dissatisfied", 1),
        ("reopened", 1),
        ("returned", 1),
        ("withdrawn", 1),
        ("reviews", 0),
    ];
    for (name, value) in expected {
        assert_eq!(r.figure(name), value, "figure {name}");
    }
    let rates = r.rates.context("rates")?;
    assert_eq!(rates.acceptance_rate, 1.0);
    assert_eq!(rates.on_time_rate, 1.0);
    assert_eq!(rates.callback_rate, 1.0);
    assert_eq!(rates.satisfaction_rate, 0.6667);
    assert_eq!(rates.repeat_rate, 0.3333);
    assert_eq!(
        rates.p90_handling_hours, 1.0,
        "all concluded within the hour"
    );
    for (dimension, key, n) in [
        ("category", "heating", 6),
        ("category", "water", 1),
        ("category", "noise", 1),
        ("region", "east", 5),
        ("region", "west", 1),
        ("region", "north", 2),
        ("kind", "complaint", 6),
        ("kind", "inquiry", 2),
        ("channel", "phone", 8),
        ("severity", "general", 8),
    ] {
        assert_eq!(count(&r, dimension, key), n, "{dimension} {key}");
    }
    let dept = |r: &Report, code: &str| {
        r.departments
            .iter()
            .find(|d| d.code == code)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        (dept(&r, "east-heat").cases, dept(&r, "east-heat").concluded),
        (5, 2)
    );
    assert_eq!(
        (
            dept(&r, "east-heat").returned,
            dept(&r, "east-heat").reopened,
            dept(&r, "east-heat").overdue
        ),
        (1, 1, 2)
    );
    assert_eq!(
        (dept(&r, "west-heat").cases, dept(&r, "west-heat").concluded),
        (1, 1)
    );
    assert_eq!(dept(&r, "east-office").subtree_cases, 5);
    assert_eq!(dept(&r, "centre").subtree_cases, 8);
    let hot: Vec<(&str, &str)> = r
        .hot_topics
        .iter()
        .map(|t| (t.dimension.as_str(), t.key.as_str()))
        .collect();
    assert_eq!(
        hot,
        vec![
            ("category", "heating"),
            ("category", "noise"),
            ("category", "water"),
            ("region", "east"),
            ("region", "north"),
            ("region", "west")
        ]
    );
    assert_eq!(r.overdue_cases.len(), 2, "the two inquiries");
    assert!(
        r.overdue_cases
            .iter()
            .all(|c| c.department == "east-heat" && c.note == "escalated (level 2)"),
        "{:?}",
        r.overdue_cases
    );
    let typical: Vec<&str> = r.typical_cases.iter().map(|c| c.note.as_str()).collect();
    assert_eq!(
        typical.iter().filter(|n| n.contains("reopened")).count(),
        1,
        "{typical:?}"
    );
    assert_eq!(
        typical.iter().filter(|n| n.contains("escalated")).count(),
        2,
        "{typical:?}"
    );
    assert!(r.typical_cases.iter().all(|c| !c.summary.is_empty()));

    // A department sees its own subtree only.
    let east = w.monthly("east-office").await?;
    assert_eq!(
        (
            east.figure("registered"),
            east.figure("concluded"),
            east.figure("withdrawn")
        ),
        (5, 2, 0)
    );
    assert!(
        east.departments.iter().all(|d| d.code.starts_with("east")),
        "{:?}",
        east.departments
    );
    assert_eq!(east.overdue_cases.len(), 2);

    // The rollups tell the truth: the report recomputed from the raw
    // streams is the same.
    let date = r.from_day.clone();
    let verify = w
        .reporting
        .verify_report(GetReportRequest {
            period: ReportPeriod::Monthly as i32,
            date: date.clone(),
            department: String::new(),
        })
        .await?
        .into_inner();
    assert!(verify.equal, "{:?}", verify.differences);
    assert!(
        verify.events_replayed >= 8 * 3,
        "{}",
        verify.events_replayed
    );

    // Documents: CSV and an HTML page that Chromium renders.
    let doc = |format: &str| GetReportDocumentRequest {
        report: Some(GetReportRequest {
            period: ReportPeriod::Monthly as i32,
            date: date.clone(),
            department: String::new(),
        }),
        format: format.into(),
    };
    let csv = String::from_utf8(
        w.reporting
            .get_report_document(doc("csv"))
            .await?
            .into_inner()
            .content,
    )?;
    assert!(
        csv.contains("figure,concluded,,3\n") && csv.contains("count,category,heating,6\n"),
        "{csv}"
    );
    let html = w
        .reporting
        .get_report_document(doc("html"))
        .await?
        .into_inner();
    assert_eq!(html.content_type, "text/html; charset=utf-8");
    let page = std::env::temp_dir().join(format!("mesh-report-{}.html", mesh.id));
    std::fs::write(&page, &html.content)?;
    let shot = screenshot(&page)?;
    let png = std::fs::read(&shot)?;
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a rendered page, {} bytes",
        png.len()
    );
    if let Ok(keep) = std::env::var("MESH_REPORT_SCREENSHOT") {
        std::fs::copy(&shot, keep)?;
    }
    let _ = std::fs::remove_file(&page);
    let _ = std::fs::remove_file(&shot);

    // Periodic reports are produced and kept on schedule (for the periods
    // before this one: weekly, monthly, quarterly, annual).
    let mut kept = 0;
    for _ in 0..50 {
        kept = w
            .reporting
            .list_reports(ListReportsRequest { limit: 0 })
            .await?
            .into_inner()
            .reports
            .len();
        if kept >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(kept, 4);

    // Rebuild: restart reporting with --rebuild; the rollups are emptied and
    // refilled from the streams, and the report is the same again.
    mesh.kill("reporting").await?;
    mesh.restart_with("reporting", &[("REPORTING__REBUILD", "true")])
        .await?;
    let mut again = ReportingClient::new(mesh.channel("reporting").await?);
    let req = GetReportRequest {
        period: ReportPeriod::Monthly as i32,
        date,
        department: String::new(),
    };
    let mut rebuilt = Report::default();
    for _ in 0..100 {
        rebuilt = again.get_report(req.clone()).await?.into_inner();
        if rebuilt.figures == r.figures {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rebuilt.figures, r.figures);
    assert_eq!(rebuilt.counts, r.counts);
    assert_eq!(rebuilt.departments, r.departments);

    // A stream that lost events (here: an operator deleted the first one)
    // cannot be replayed in full, and verification says so rather than
    // compare against a recount that misses a case.
    mesh.js
        .get_stream(format!("{}_INTAKE", mesh.prefix))
        .await?
        .delete_message(1)
        .await?;
    let refused = again
        .verify_report(req)
        .await
        .expect_err("verification over an incomplete stream");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused
            .message()
            .contains("no longer holds its first 1 events"),
        "{}",
        refused.message()
    );
    Ok(())
}

/// Opens the page in headless Chromium (Debian's `chromium`) and returns
/// the screenshot's path.
fn screenshot(page: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let shot = page.with_extension("png");
    let profile = tempdir_for(page)?;
    let status = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1000,1900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .context("chromium is not installed: `make test` installs Debian's chromium package")?;
    let _ = std::fs::remove_dir_all(&profile);
    anyhow::ensure!(status.success(), "chromium failed: {status}");
    Ok(shot)
}

fn tempdir_for(page: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let dir = page.with_extension("profile");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
