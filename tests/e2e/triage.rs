//! Triage rules against the real services: routing rules reloaded from the
//! file while running (invalid ones refused, the old ones kept), and
//! recusal (a department is never routed a complaint against itself).

use anyhow::Context;
use complaints_proto::v1::dispatch_client::DispatchClient;
use complaints_proto::v1::triage_client::TriageClient;
use complaints_proto::v1::{
    GetOrderRequest, HandlingMode, ReloadRulesRequest, SubmitComplaintRequest,
};
use mesh_e2e::{complaint, repo_root, submit_and_wait, TestMesh};
use std::time::Duration;

async fn holder(mesh: &TestMesh, request: SubmitComplaintRequest) -> anyhow::Result<(String, i32)> {
    let reply = submit_and_wait(mesh, request).await?;
    let mut dispatch = DispatchClient::new(mesh.channel("dispatch").await?);
    let order = dispatch
        .get_order(GetOrderRequest {
            case_number: reply.case_number,
        })
        .await?
        .into_inner();
    let w = order.order.context("order")?;
    Ok((w.holder, w.mode))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_reload_while_running_and_departments_recuse() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("mesh-rules-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("network.toml");
    let original = std::fs::read_to_string(repo_root().join("deploy/network/sample-city.toml"))?;
    std::fs::write(&file, &original)?;
    let mesh = TestMesh::start_with(&[
        ("MESH__NETWORK__FILE", file.to_str().context("path")?),
        ("TRIAGE__RULES__WATCH_SECONDS", "1"),
    ])
    .await?;
    let result = run(&mesh, &file, &original).await;
    if result.is_err() {
        eprintln!("service logs:\n{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(mesh: &TestMesh, file: &std::path::Path, original: &str) -> anyhow::Result<()> {
    // As shipped: heating in the east goes to east-heat.
    assert_eq!(
        holder(mesh, complaint("t-1", "小区暖气不热", "east"))
            .await?
            .0,
        "east-heat"
    );

    // Recusal: a complaint against east-heat itself goes one tier up.
    let against = SubmitComplaintRequest {
        respondent: "东城区供热分公司".into(),
        ..complaint("t-2", "供热所的人态度恶劣，暖气也不热", "east")
    };
    let (to, mode) = holder(mesh, against).await?;
    assert_eq!(to, "east-office");
    assert_eq!(mode, HandlingMode::Assigned as i32);

    // Operators route heating in the east to west-heat and reload.
    let heating_east = "category = \"heating\"\nregion = \"east\"\ndepartment = \"east-heat\"";
    anyhow::ensure!(
        original.contains(heating_east),
        "the sample network's heating × east rule changed"
    );
    std::fs::write(
        file,
        original.replace(
            heating_east,
            "category = \"heating\"\nregion = \"east\"\ndepartment = \"west-heat\"",
        ),
    )?;
    let mut triage = TriageClient::new(mesh.channel("triage").await?);
    let reloaded = triage
        .reload_rules(ReloadRulesRequest {})
        .await?
        .into_inner();
    assert!(reloaded.routes > 20);
    assert_eq!(
        holder(mesh, complaint("t-3", "暖气片冰凉", "east"))
            .await?
            .0,
        "west-heat"
    );

    // A broken file is refused; the rules in force stay.
    std::fs::write(
        file,
        original.replace(
            heating_east,
            "category = \"heating\"\nregion = \"east\"\ndepartment = \"nowhere\"",
        ),
    )?;
    let refused = triage
        .reload_rules(ReloadRulesRequest {})
        .await
        .expect_err("an unknown department");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("\"nowhere\"") && refused.message().contains("stay"),
        "{}",
        refused.message()
    );
    assert_eq!(
        holder(mesh, complaint("t-4", "暖气不热", "east")).await?.0,
        "west-heat"
    );

    // Without asking: the file is watched, and a valid change takes over.
    std::fs::write(file, original)?;
    let mut back = String::new();
    for i in 0..40 {
        back = holder(mesh, complaint(&format!("t-5-{i}"), "暖气不热", "east"))
            .await?
            .0;
        if back == "east-heat" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(back, "east-heat", "the watcher reloaded the file");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_not_accepted_get_a_reply_and_no_work_order() -> anyhow::Result<()> {
    use complaints_proto::v1::intake_client::IntakeClient;
    use complaints_proto::v1::reporting_client::ReportingClient;
    use complaints_proto::v1::GetCaseRequest;
    let mesh = TestMesh::start().await?;
    let result = async {
        let mut intake = IntakeClient::new(mesh.channel("intake").await?);
        let mut cases = Vec::new();
        for (key, facts, reason, expected) in [
            ("na-1", "你们管管！", "D", "不够具体"),
            (
                "na-2",
                "物业费纠纷我们已经起诉了，法院已立案，请你们再督促一下",
                "C",
                "诉讼",
            ),
            ("na-3", "银行信用卡多扣了年费，客服一直推脱", "E", "12363"),
        ] {
            let reply = intake
                .submit_complaint(complaint(key, facts, "east"))
                .await?
                .into_inner();
            cases.push((reply.case_number, reason, expected));
        }
        for (number, reason, expected) in &cases {
            let mut case = None;
            for _ in 0..100 {
                let c = intake
                    .get_case(GetCaseRequest {
                        case_number: number.clone(),
                        query_code: String::new(),
                    })
                    .await?
                    .into_inner();
                if c.status == "not_accepted" {
                    case = Some(c);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let c = case.with_context(|| format!("{number} was never decided"))?;
            assert_eq!(&c.not_accepted_reason, reason);
            assert!(
                c.reply.contains(expected) && c.reply.contains(number.as_str()),
                "{}",
                c.reply
            );
            assert!(c.timeline.iter().any(|t| t.event == "not_accepted"));
        }
        // No work order, and reporting counts them as not accepted.
        let mut dispatch = DispatchClient::new(mesh.channel("dispatch").await?);
        for (number, _, _) in &cases {
            let missing = dispatch
                .get_order(GetOrderRequest {
                    case_number: number.clone(),
                })
                .await
                .expect_err("no order");
            assert_eq!(missing.code(), tonic::Code::NotFound);
        }
        let mut reporting = ReportingClient::new(mesh.channel("reporting").await?);
        let mut not_accepted = 0;
        for _ in 0..100 {
            let today = chrono::Utc::now()
                .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).context("offset")?)
                .date_naive();
            let r = reporting
                .get_report(complaints_proto::v1::GetReportRequest {
                    period: complaints_proto::v1::ReportPeriod::Monthly as i32,
                    date: today.to_string(),
                    department: String::new(),
                })
                .await?
                .into_inner();
            not_accepted = r.figure("not_accepted");
            if not_accepted == 3 {
                assert_eq!(
                    r.rates.map(|x| x.acceptance_rate),
                    Some(0.0),
                    "none of them was accepted"
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(not_accepted, 3);
        anyhow::Ok(())
    }
    .await;
    if result.is_err() {
        eprintln!("service logs:\n{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    result
}
