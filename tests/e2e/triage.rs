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

/// Polls intake until the case has left "registered" (decided by triage).
async fn decided(
    intake: &mut complaints_proto::v1::intake_client::IntakeClient<tonic::transport::Channel>,
    number: &str,
    done: impl Fn(&complaints_proto::v1::Case) -> bool,
) -> anyhow::Result<complaints_proto::v1::Case> {
    for _ in 0..150 {
        let c = intake
            .get_case(complaints_proto::v1::GetCaseRequest {
                case_number: number.into(),
                query_code: String::new(),
            })
            .await?
            .into_inner();
        if done(&c) {
            return Ok(c);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{number} never reached the expected state")
}

/// A complaint by a named complainant reached at `phone`.
fn by_phone(key: &str, facts: &str, phone: &str) -> SubmitComplaintRequest {
    SubmitComplaintRequest {
        complainant: Some(complaints_proto::v1::Complainant {
            anonymous: false,
            name: "赵敏".into(),
            phone: phone.into(),
            email: String::new(),
        }),
        ..complaint(key, facts, "east")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_second_complaints_and_batch_incidents() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let result = linked_cases(&mesh).await;
    if result.is_err() {
        eprintln!("service logs:\n{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    result
}

async fn linked_cases(mesh: &TestMesh) -> anyhow::Result<()> {
    use complaints_proto::v1::act_request::{self as a, Step};
    use complaints_proto::v1::intake_client::IntakeClient;
    use complaints_proto::v1::{
        ActRequest, Conclusion, Handover, RequestReviewRequest, Satisfaction, Severity,
    };
    let mut intake = IntakeClient::new(mesh.channel("intake").await?);
    let mut dispatch = DispatchClient::new(mesh.channel("dispatch").await?);
    let mut queues = mesh.queues().await?;
    let acting = dispatch.clone();
    let act = |case: String, actor: &'static str, step: Step| {
        let mut dispatch = acting.clone();
        async move {
            dispatch
                .act(ActRequest {
                    case_number: case,
                    actor: actor.into(),
                    step: Some(step),
                })
                .await
                .map(|r| r.into_inner())
                .map_err(|s| anyhow::anyhow!("{:?}: {}", s.code(), s.message()))
        }
    };

    // The first complaint is routed as usual.
    let first = submit_and_wait(
        mesh,
        by_phone(
            "d-1",
            "阳光小区3号楼2单元暖气不热，室温只有15度",
            "13800001111",
        ),
    )
    .await?;
    let c1 = first.case_number.clone();
    queues
        .expect("east-heat", &c1, |o| o.handover == Handover::New as i32)
        .await?;

    // The same complainant (the number written otherwise) on the same
    // matter while it is open: not accepted (A), linked, the holder nudged.
    let again = intake
        .submit_complaint(by_phone(
            "d-2",
            "之前反映过的阳光小区三号楼暖气还是不热，到现在没人管",
            "+86 138-0000-1111",
        ))
        .await?
        .into_inner();
    let c = decided(&mut intake, &again.case_number, |c| {
        c.status == "not_accepted"
    })
    .await?;
    assert_eq!(c.not_accepted_reason, "A");
    assert!(
        c.reply.contains(&c1) && c.reply.contains(&again.case_number),
        "{}",
        c.reply
    );
    queues
        .expect("east-heat", &c1, |o| o.handover == Handover::Nudge as i32)
        .await?;
    let original = decided(&mut intake, &c1, |c| {
        c.timeline.iter().any(|t| t.event == "asked_again")
    })
    .await?;
    assert!(original
        .timeline
        .iter()
        .any(|t| t.detail.contains(&again.case_number)));
    let missing = dispatch
        .get_order(GetOrderRequest {
            case_number: again.case_number.clone(),
        })
        .await
        .expect_err("no order for a duplicate");
    assert_eq!(missing.code(), tonic::Code::NotFound);

    // Another complainant on the same matter is not a duplicate.
    let other = submit_and_wait(
        mesh,
        by_phone("d-3", "阳光小区3号楼暖气也不热，家里才16度", "13900002222"),
    )
    .await?;
    assert_ne!(other.case_number, c1);

    // Concluded, and the complainant satisfied: a new complaint is B with
    // the result.
    let conclusion = Conclusion {
        facts_found: "阀门故障，属实".into(),
        staff_handling: "无".into(),
        corrective_actions: "更换阀门".into(),
        answer: "已更换阀门，室温恢复到20度".into(),
        handler: "刘工".into(),
        handler_phone: "0000-1111".into(),
    };
    act(c1.clone(), "east-heat", Step::Sign(a::Sign {})).await?;
    act(
        c1.clone(),
        "east-heat",
        Step::Conclude(a::Conclude {
            conclusion: Some(conclusion),
        }),
    )
    .await?;
    act(
        c1.clone(),
        "centre",
        Step::RecordCallback(a::RecordCallback {
            satisfaction: Satisfaction::Satisfied as i32,
            note: String::new(),
        }),
    )
    .await?;
    // triage follows the steps through the broker: ask until it knows.
    let mut b = None;
    for n in 0..50 {
        let r = intake
            .submit_complaint(by_phone(
                &format!("d-4-{n}"),
                "上次反映的阳光小区3号楼暖气不热的事，处理结果是什么",
                "13800001111",
            ))
            .await?
            .into_inner();
        let c = decided(&mut intake, &r.case_number, |c| c.status != "registered").await?;
        if c.not_accepted_reason == "B" {
            b = Some(c);
            break;
        }
        assert_eq!(
            c.not_accepted_reason, "A",
            "while triage has not heard of the conclusion"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b = b.context("never answered B")?;
    assert!(
        b.reply.contains(&c1) && b.reply.contains("已更换阀门"),
        "{}",
        b.reply
    );

    // The complainant asks for a review and the centre upholds the result:
    // dissatisfied with a concluded case, a new complaint is a second
    // complaint (二次投诉), one tier above east-heat, assigned and major.
    let mut asked = false;
    for _ in 0..100 {
        match intake
            .request_review(RequestReviewRequest {
                case_number: c1.clone(),
                query_code: first.query_code.clone(),
                reason: "又不热了".into(),
            })
            .await
        {
            Ok(_) => {
                asked = true;
                break;
            }
            Err(s) if s.code() == tonic::Code::FailedPrecondition => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(s) => anyhow::bail!("review refused: {s}"),
        }
    }
    assert!(asked, "intake never saw the case closed");
    let mut upheld = false;
    for _ in 0..100 {
        let step = Step::DecideReview(a::DecideReview {
            uphold: true,
            department: String::new(),
            reason: "结果无误".into(),
        });
        if act(c1.clone(), "centre", step).await.is_ok() {
            upheld = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(upheld, "the review never reached dispatch");
    let mut second = None;
    for n in 0..50 {
        let r = intake
            .submit_complaint(by_phone(
                &format!("d-5-{n}"),
                "阳光小区3号楼暖气还是不热，对处理结果不满意",
                "13800001111",
            ))
            .await?
            .into_inner();
        let c = decided(&mut intake, &r.case_number, |c| c.status != "registered").await?;
        if c.status != "not_accepted" {
            second = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let second = second.context("never a second complaint")?;
    let order = queues
        .expect("east-office", &second.case_number, |o| {
            o.handover == Handover::New as i32
        })
        .await?;
    assert_eq!(order.mode, HandlingMode::Assigned as i32);
    assert_eq!(order.severity, Severity::Major as i32);
    let original = decided(&mut intake, &c1, |c| {
        c.timeline.iter().any(|t| t.event == "second_complaint")
    })
    .await?;
    assert!(original
        .timeline
        .iter()
        .any(|t| t.detail.contains(&second.case_number)));

    // A batch incident: three complainants on one building's water within
    // the window. The third forms it: the first leads, the second's order
    // is merged into it, the third has none; a fourth joins.
    let water = [
        (
            "w-1",
            "幸福里小区5号楼今天停水了，一直没来水",
            "13700000001",
        ),
        (
            "w-2",
            "幸福里小区5号楼停水一整天了，没有任何通知",
            "13700000002",
        ),
        (
            "w-3",
            "幸福里小区5号楼停水，家里一点水都没有",
            "13700000003",
        ),
        (
            "w-4",
            "幸福里小区5号楼还在停水，老人做饭都没水",
            "13700000004",
        ),
    ];
    let mut numbers = Vec::new();
    for (i, (key, facts, phone)) in water.iter().enumerate() {
        let request = by_phone(key, facts, phone);
        let number = if i < 2 {
            submit_and_wait(mesh, request).await?.case_number
        } else {
            let r = intake.submit_complaint(request).await?.into_inner();
            decided(&mut intake, &r.case_number, |c| {
                c.timeline.iter().any(|t| t.event == "incident")
            })
            .await?;
            r.case_number
        };
        numbers.push(number);
    }
    let lead = dispatch
        .get_order(GetOrderRequest {
            case_number: numbers[0].clone(),
        })
        .await?
        .into_inner();
    assert_eq!(lead.state, "queued", "the lead's order goes on");
    let mut merged = None;
    for _ in 0..100 {
        let o = dispatch
            .get_order(GetOrderRequest {
                case_number: numbers[1].clone(),
            })
            .await?
            .into_inner();
        if o.state == "merged" {
            merged = Some(o);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    merged.context("the second water complaint's order was never merged")?;
    for number in &numbers[2..] {
        let missing = dispatch
            .get_order(GetOrderRequest {
                case_number: number.clone(),
            })
            .await
            .expect_err("a joining case has no order");
        assert_eq!(missing.code(), tonic::Code::NotFound);
    }
    let holder = lead
        .order
        .as_ref()
        .map(|w| w.holder.clone())
        .unwrap_or_default();
    queues
        .expect(&holder, &numbers[0], |o| {
            o.handover == Handover::Incident as i32
        })
        .await?;
    let lead_case = decided(&mut intake, &numbers[0], |c| {
        c.timeline.iter().filter(|t| t.event == "incident").count() >= 2
    })
    .await?;
    assert!(lead_case
        .timeline
        .iter()
        .any(|t| t.detail.contains(&numbers[3]) && t.detail.contains("4 complaints")));

    // Reporting counts them: one second complaint, two cases that joined an
    // incident, one order merged.
    let mut reporting = complaints_proto::v1::reporting_client::ReportingClient::new(
        mesh.channel("reporting").await?,
    );
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).context("offset")?)
        .date_naive();
    let mut seen = (0, 0, 0);
    for _ in 0..100 {
        let r = reporting
            .get_report(complaints_proto::v1::GetReportRequest {
                period: complaints_proto::v1::ReportPeriod::Monthly as i32,
                date: today.to_string(),
                department: String::new(),
            })
            .await?
            .into_inner();
        seen = (
            r.figure("second_complaints"),
            r.figure("incident_members"),
            r.figure("merged"),
        );
        if seen == (1, 2, 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, (1, 2, 1));
    Ok(())
}
