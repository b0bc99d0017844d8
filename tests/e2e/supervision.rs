//! Supervision end to end: warnings, overdue notices and escalation up the
//! tree fire on time and exactly once (two watcher replicas), reach
//! dispatch, intake, reporting and the gRPC alert stream, follow the case,
//! and are not lost while the watcher is down. A policy in seconds
//! (tests/data/policy-fast.toml) keeps the test short.

use anyhow::Context;
use async_nats::jetstream::consumer::pull::OrderedConfig;
use chrono::Utc;
use complaints_proto::v1::act_request::{self as a, Step};
use complaints_proto::v1::deadlines_client::DeadlinesClient;
use complaints_proto::v1::dispatch_client::DispatchClient;
use complaints_proto::v1::intake_client::IntakeClient;
use complaints_proto::v1::reporting_client::ReportingClient;
use complaints_proto::v1::{
    ActRequest, AlertStage, DeadlineAlert, DeadlineKind, GetCaseRequest, GetCountsRequest,
    GetOrderRequest, ListDeadlinesRequest, WatchAlertsRequest,
};
use futures::StreamExt;
use mesh_e2e::{complaint, repo_root, submit_and_wait, ts, TestMesh};
use prost::Message;
use std::time::Duration;

async fn fast_mesh() -> anyhow::Result<TestMesh> {
    let policy = repo_root().join("tests/data/policy-fast.toml");
    TestMesh::start_with(&[(
        "DEADLINE_WATCHER__POLICY__FILE",
        policy.to_str().context("path")?,
    )])
    .await
}

/// Submits and returns (case number, case id) once the order exists.
async fn submit(mesh: &TestMesh, key: &str, facts: &str) -> anyhow::Result<(String, String)> {
    let reply = submit_and_wait(mesh, complaint(key, facts, "east")).await?;
    Ok((reply.case_number, reply.case_id))
}

/// Reads this mesh's alerts (subject, alert) until `done` holds, then
/// `linger` longer to catch any duplicate.
async fn alerts_until(
    mesh: &TestMesh,
    done: impl Fn(&[(String, DeadlineAlert)]) -> bool,
    linger: Duration,
) -> anyhow::Result<Vec<(String, DeadlineAlert)>> {
    let stream = mesh.stream_ready("DEADLINE").await?;
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: mesh.subject("deadline.v1.alerts.>"),
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut stop_at = None;
    loop {
        let until = stop_at.unwrap_or(deadline);
        match tokio::time::timeout_at(until, messages.next()).await {
            Ok(Some(message)) => {
                let message = message?;
                let subject = message
                    .subject
                    .as_str()
                    .trim_start_matches(&format!("{}.", mesh.prefix))
                    .to_owned();
                seen.push((subject, DeadlineAlert::decode(message.payload.clone())?));
                if stop_at.is_none() && done(&seen) {
                    stop_at = Some(tokio::time::Instant::now() + linger);
                }
            }
            Ok(None) => anyhow::bail!("alert stream ended"),
            Err(_) if stop_at.is_some() => return Ok(seen),
            Err(_) => anyhow::bail!(
                "alerts did not all come within 30 s: {:?}",
                seen.iter().map(|(s, _)| s).collect::<Vec<_>>()
            ),
        }
    }
}

fn reached_the_centre(case: &str) -> impl Fn(&[(String, DeadlineAlert)]) -> bool + '_ {
    move |seen| {
        seen.iter().any(|(s, a)| {
            s == "deadline.v1.alerts.escalated.centre"
                && a.header.as_ref().is_some_and(|h| h.case_number == case)
        })
    }
}

fn of_case<'a>(
    seen: &'a [(String, DeadlineAlert)],
    case: &'a str,
) -> Vec<&'a (String, DeadlineAlert)> {
    seen.iter()
        .filter(|(_, a)| a.header.as_ref().is_some_and(|h| h.case_number == case))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warning_overdue_and_escalation_fire_once_and_reach_every_service() -> anyhow::Result<()> {
    let mut mesh = fast_mesh().await?;
    mesh.add_replica("deadline-watcher").await?;
    let result = escalation(&mesh).await;
    if result.is_err() {
        eprintln!("service logs:\n{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    result
}

async fn escalation(mesh: &TestMesh) -> anyhow::Result<()> {
    // An inquiry about heating in the east: east-heat, due in 4 s.
    let (case, case_id) = submit(mesh, "sup-1", "请问小区什么时候开始供暖").await?;
    let seen = alerts_until(mesh, reached_the_centre(&case), Duration::from_secs(2)).await?;
    let mine = of_case(&seen, &case);
    let subjects: Vec<&str> = mine.iter().map(|(s, _)| s.as_str()).collect();
    // Each step exactly once, in order, addressed up the tree, although two
    // watchers were firing.
    assert_eq!(
        subjects,
        vec![
            "deadline.v1.alerts.warning.east-heat",
            "deadline.v1.alerts.overdue.east-heat",
            "deadline.v1.alerts.escalated.east-office",
            "deadline.v1.alerts.escalated.centre",
        ]
    );
    let (_, overdue) = mine[1];
    assert_eq!(overdue.stage, AlertStage::Overdue as i32);
    assert_eq!(overdue.department, "east-heat");
    assert!(
        !overdue.notified_head.is_empty(),
        "the head of the department is named"
    );
    assert_eq!(
        ts(overdue.fire_at.as_ref()),
        ts(overdue.due_at.as_ref()),
        "the notice is due at the deadline"
    );
    assert_eq!(
        mine.iter().map(|(_, a)| a.level).collect::<Vec<_>>(),
        vec![0, 0, 1, 2]
    );
    for (subject, alert) in &mine {
        let late =
            ts(alert.header.as_ref().and_then(|h| h.at.as_ref())) - ts(alert.fire_at.as_ref());
        assert!(
            late < chrono::Duration::seconds(1),
            "{subject} fired {late} late"
        );
        assert!(late >= chrono::Duration::zero(), "{subject} fired early");
    }

    // The timer is done; dispatch, intake and reporting show the alerts.
    let mut deadlines = DeadlinesClient::new(mesh.channel("deadline-watcher").await?);
    let timers = deadlines
        .list_deadlines(ListDeadlinesRequest {
            case_id: case_id.clone(),
        })
        .await?
        .into_inner();
    let conclusion = timers
        .deadlines
        .iter()
        .find(|t| t.deadline_kind == DeadlineKind::Conclusion as i32)
        .context("timer")?;
    assert_eq!(conclusion.state, "done");
    let mut dispatch = DispatchClient::new(mesh.channel("dispatch").await?);
    let mut intake = IntakeClient::new(mesh.channel("intake").await?);
    let mut reporting = ReportingClient::new(mesh.channel("reporting").await?);
    let mut ok = false;
    for _ in 0..100 {
        let order = dispatch
            .get_order(GetOrderRequest {
                case_number: case.clone(),
            })
            .await?
            .into_inner();
        let timeline = intake
            .get_case(GetCaseRequest {
                case_number: case.clone(),
                query_code: String::new(),
            })
            .await?
            .into_inner();
        let counts = reporting
            .get_counts(GetCountsRequest {
                dimensions: vec!["overdue".into(), "escalated".into()],
                ..Default::default()
            })
            .await?
            .into_inner();
        let count = |d: &str, k: &str| {
            counts
                .rows
                .iter()
                .find(|r| r.dimension == d && r.key == k)
                .map_or(0, |r| r.count)
        };
        let steps: Vec<&str> = order.history.iter().map(|h| h.step.as_str()).collect();
        let events: Vec<&str> = timeline.timeline.iter().map(|t| t.event.as_str()).collect();
        ok = (order.alert_stage.as_str(), order.alert_level) == ("escalated", 2)
            && steps.iter().filter(|s| s.starts_with("alert_")).count() == 4
            && ["warning", "overdue", "escalated"]
                .iter()
                .all(|e| events.contains(e))
            && count("overdue", "east-heat") == 1
            // Both escalations count against the late department (考核).
            && count("escalated", "east-heat") == 2;
        if ok {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ok,
        "dispatch, intake and reporting did not all show the alerts"
    );

    // A department follows the notices addressed to it over gRPC.
    let mut watch = deadlines
        .watch_alerts(WatchAlertsRequest {
            department: "east-office".into(),
            from_start: true,
        })
        .await?
        .into_inner();
    let first = tokio::time::timeout(Duration::from_secs(10), watch.message())
        .await??
        .context("watch ended")?;
    assert_eq!((first.notified.as_str(), first.level), ("east-office", 1));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_due_while_the_watcher_is_down_fires_at_start_up_once() -> anyhow::Result<()> {
    let mut mesh = fast_mesh().await?;
    let result = downtime(&mut mesh).await;
    if result.is_err() {
        eprintln!("service logs:\n{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    result
}

async fn downtime(mesh: &mut TestMesh) -> anyhow::Result<()> {
    let (case, case_id) = submit(mesh, "sup-2", "请问供暖费怎么缴纳").await?;
    let mut deadlines = DeadlinesClient::new(mesh.channel("deadline-watcher").await?);
    let mut registered = false;
    for _ in 0..50 {
        let timers = deadlines
            .list_deadlines(ListDeadlinesRequest {
                case_id: case_id.clone(),
            })
            .await?
            .into_inner();
        registered = timers
            .deadlines
            .iter()
            .any(|t| t.deadline_kind == DeadlineKind::Conclusion as i32);
        if registered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Otherwise the watcher would register it only after the restart, and
    // nothing here would have been due while it was down.
    anyhow::ensure!(registered, "the timer was never registered before the kill");
    // SIGKILL, then stay down past the deadline and both escalations.
    mesh.kill("deadline-watcher").await?;
    tokio::time::sleep(Duration::from_secs(8)).await;
    let restarted = Utc::now();
    mesh.restart("deadline-watcher").await?;
    let seen = alerts_until(mesh, reached_the_centre(&case), Duration::from_secs(2)).await?;
    let mine = of_case(&seen, &case);
    let stages: Vec<(i32, u32)> = mine.iter().map(|(_, a)| (a.stage, a.level)).collect();
    let warning = (AlertStage::Warning as i32, 0);
    let overdue = (AlertStage::Overdue as i32, 0);
    let escalated = AlertStage::Escalated as i32;
    // The warning may have fired before the kill; everything after did not
    // get lost and came once.
    let expected_tail = vec![overdue, (escalated, 1), (escalated, 2)];
    assert!(
        stages == [vec![warning], expected_tail.clone()].concat() || stages == expected_tail,
        "{stages:?}"
    );
    for (subject, alert) in mine
        .iter()
        .filter(|(_, a)| a.stage != AlertStage::Warning as i32)
    {
        let fired = ts(alert.header.as_ref().and_then(|h| h.at.as_ref()));
        assert!(
            fired >= restarted,
            "{subject} fired while the watcher was down"
        );
        assert!(
            fired - restarted < chrono::Duration::seconds(5),
            "{subject} waited {} after the restart",
            fired - restarted
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_are_planned_afresh_when_the_deadline_moves() -> anyhow::Result<()> {
    let mesh = fast_mesh().await?;
    let result = follow(&mesh).await;
    if result.is_err() {
        eprintln!("service logs:\n{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    result
}

async fn follow(mesh: &TestMesh) -> anyhow::Result<()> {
    // A complaint: 60 s, warning at 30 s.
    let (case, case_id) = submit(mesh, "sup-3", "暖气不热").await?;
    let dispatch = DispatchClient::new(mesh.channel("dispatch").await?);
    let mut deadlines = DeadlinesClient::new(mesh.channel("deadline-watcher").await?);
    let act = |actor: &str, step: Step| {
        let req = ActRequest {
            case_number: case.clone(),
            actor: actor.into(),
            step: Some(step),
        };
        let mut dispatch = dispatch.clone();
        async move { dispatch.act(req).await.map(|r| r.into_inner()) }
    };
    let timer = |deadlines: &mut DeadlinesClient<_>| {
        let req = ListDeadlinesRequest {
            case_id: case_id.clone(),
        };
        let mut deadlines = deadlines.clone();
        async move {
            let t = deadlines.list_deadlines(req).await?.into_inner();
            anyhow::Ok(
                t.deadlines
                    .into_iter()
                    .find(|t| t.deadline_kind == DeadlineKind::Conclusion as i32),
            )
        }
    };
    act("east-heat", Step::Sign(a::Sign {})).await?;
    // The watcher registers the timer from the queued order, soon after.
    let mut registered = None;
    for _ in 0..100 {
        registered = timer(&mut deadlines).await?;
        if registered.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let t = registered.context("the timer was never registered")?;
    assert_eq!(t.stage, "warning");
    let span = ts(t.due_at.as_ref()) - ts(t.fire_at.as_ref());
    assert_eq!(span, chrono::Duration::seconds(30), "warning at half time");

    // Suspended: paused, nothing fires. Resumed: planned afresh on the
    // moved deadline.
    act(
        "east-office",
        Step::Suspend(a::Suspend {
            reason: "等待鉴定".into(),
        }),
    )
    .await?;
    let mut paused = false;
    for _ in 0..50 {
        if timer(&mut deadlines)
            .await?
            .is_some_and(|t| t.state == "paused")
        {
            paused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(paused, "the timer pauses with the case");
    let resumed = act(
        "east-office",
        Step::Resume(a::Resume {
            reason: String::new(),
        }),
    )
    .await?;
    let due = ts(resumed.order.as_ref().and_then(|o| o.due_at.as_ref()));
    let mut replanned = None;
    for _ in 0..50 {
        if let Some(t) = timer(&mut deadlines)
            .await?
            .filter(|t| t.state == "pending" && ts(t.due_at.as_ref()) == due)
        {
            replanned = Some(t);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let t = replanned.context("the timer never took the moved deadline")?;
    assert!(
        matches!(t.stage.as_str(), "warning" | "overdue"),
        "{}",
        t.stage
    );
    Ok(())
}
