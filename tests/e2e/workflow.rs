//! The department workflow end to end, against the real services: every
//! path of docs/workflow.md, with the queues, the timers and the timeline
//! checked where the step touches them.

use anyhow::Context;
use chrono::{DateTime, FixedOffset, Utc};
use complaints_proto::v1::act_request::{self as a, Step};
use complaints_proto::v1::deadlines_client::DeadlinesClient;
use complaints_proto::v1::dispatch_client::DispatchClient;
use complaints_proto::v1::intake_client::IntakeClient;
use complaints_proto::v1::{
    ActRequest, Complainant, Conclusion, Deadline, DeadlineKind, GetCaseRequest, GetOrderRequest,
    Handover, ListDeadlinesRequest, Order, RequestReviewRequest, Satisfaction,
    SubmitComplaintRequest, WatchQueueRequest,
};
use mesh_deadline_watcher::calendar::WorkCalendar;
use mesh_deadline_watcher::deadlines::Deadlines;
use mesh_deadline_watcher::policy::Policy;
use mesh_e2e::{complaint, repo_root, submit_and_wait, ts, QueueReader, TestMesh};
use mesh_kit::time::from_proto_opt;
use std::time::Duration;
use tonic::transport::Channel as GrpcChannel;
use tonic::Code;

struct World {
    mesh: TestMesh,
    intake: IntakeClient<GrpcChannel>,
    dispatch: DispatchClient<GrpcChannel>,
    deadlines: DeadlinesClient<GrpcChannel>,
    queues: QueueReader,
}

fn conclusion() -> Conclusion {
    Conclusion {
        facts_found: "供热管道阀门故障，属实".into(),
        staff_handling: "对值班人员通报批评".into(),
        corrective_actions: "更换阀门，每日巡检".into(),
        answer: "已修复，室温恢复到20度".into(),
        handler: "刘工".into(),
        handler_phone: "0000-1111".into(),
    }
}

fn case_id(o: &Order) -> String {
    o.order
        .as_ref()
        .and_then(|w| w.header.as_ref())
        .map(|h| h.case_id.clone())
        .unwrap_or_default()
}

fn due(o: &Order) -> DateTime<Utc> {
    ts(o.order.as_ref().and_then(|w| w.due_at.as_ref()))
}

fn holder(o: &Order) -> &str {
    o.order
        .as_ref()
        .map(|w| w.holder.as_str())
        .unwrap_or_default()
}

impl World {
    async fn start(settings: &[(&str, &str)]) -> anyhow::Result<Self> {
        let mesh = TestMesh::start_with(settings).await?;
        Ok(World {
            intake: IntakeClient::new(mesh.channel("intake").await?),
            dispatch: DispatchClient::new(mesh.channel("dispatch").await?),
            deadlines: DeadlinesClient::new(mesh.channel("deadline-watcher").await?),
            queues: mesh.queues().await?,
            mesh,
        })
    }

    /// Submits a complaint by a named complainant and waits until its
    /// work order exists.
    async fn submit(
        &mut self,
        key: &str,
        facts: &str,
        region: &str,
    ) -> anyhow::Result<(String, String)> {
        let named = Complainant {
            anonymous: false,
            name: "王芳".into(),
            phone: "13600001111".into(),
            email: String::new(),
        };
        let request = SubmitComplaintRequest {
            complainant: Some(named),
            ..complaint(key, facts, region)
        };
        let reply = submit_and_wait(&self.mesh, request).await?;
        Ok((reply.case_number, reply.query_code))
    }

    async fn act(&mut self, case: &str, actor: &str, step: Step) -> Result<Order, tonic::Status> {
        let req = ActRequest {
            case_number: case.into(),
            actor: actor.into(),
            step: Some(step),
        };
        self.dispatch.act(req).await.map(|r| r.into_inner())
    }

    async fn ok(&mut self, case: &str, actor: &str, step: Step) -> anyhow::Result<Order> {
        let what = format!("{step:?} by {actor}");
        self.act(case, actor, step)
            .await
            .map_err(|s| anyhow::anyhow!("{what}: {:?} {}", s.code(), s.message()))
    }

    /// Asserts the step is refused with `code` and a message containing `text`.
    async fn refused(
        &mut self,
        case: &str,
        actor: &str,
        step: Step,
        code: Code,
        text: &str,
    ) -> anyhow::Result<()> {
        let what = format!("{step:?} by {actor}");
        match self.act(case, actor, step).await {
            Ok(o) => anyhow::bail!("{what} was accepted (state {})", o.state),
            Err(s) => {
                assert_eq!(s.code(), code, "{what}: {}", s.message());
                assert!(
                    s.message().contains(text),
                    "{what}: {:?} lacks {text:?}",
                    s.message()
                );
                Ok(())
            }
        }
    }

    /// The case's timer of `kind` once `check` holds (10 s at most).
    async fn timer(
        &mut self,
        case_id: &str,
        kind: DeadlineKind,
        check: impl Fn(&Deadline) -> bool,
    ) -> anyhow::Result<Deadline> {
        for _ in 0..100 {
            let timers = self
                .deadlines
                .list_deadlines(ListDeadlinesRequest {
                    case_id: case_id.into(),
                })
                .await?
                .into_inner();
            if let Some(t) = timers
                .deadlines
                .into_iter()
                .find(|t| t.deadline_kind == kind as i32 && check(t))
            {
                return Ok(t);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("the {kind:?} timer of {case_id} never matched")
    }

    async fn timeline_events(&mut self, case: &str) -> anyhow::Result<Vec<String>> {
        let c = self
            .intake
            .get_case(GetCaseRequest {
                case_number: case.into(),
                query_code: String::new(),
            })
            .await?
            .into_inner();
        Ok(c.timeline.into_iter().map(|t| t.event).collect())
    }
}

fn deadlines() -> anyhow::Result<Deadlines> {
    Ok(Deadlines {
        policy: Policy::load(&repo_root().join("deploy/policy/deadlines.toml"))?,
        calendar: WorkCalendar::load(&repo_root().join("deploy/calendar/cn.toml"))?,
        offset: FixedOffset::east_opt(8 * 3600).context("offset")?,
    })
}

/// Runs `body` in a fresh mesh; prints the services' logs when it fails.
async fn in_world<F, Fut>(settings: &[(&str, &str)], body: F) -> anyhow::Result<()>
where
    F: FnOnce(World) -> Fut,
    Fut: std::future::Future<Output = (World, anyhow::Result<()>)>,
{
    let world = World::start(settings).await?;
    let (world, result) = body(world).await;
    if result.is_err() {
        eprintln!("service logs:\n{}", world.mesh.logs_tail());
    }
    world.mesh.stop().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_contact_extend_suspend_conclude_call_back_and_review() -> anyhow::Result<()> {
    in_world(&[], |mut w| async move {
        let r = handling(&mut w).await;
        (w, r)
    })
    .await
}

async fn handling(w: &mut World) -> anyhow::Result<()> {
    let (case, query_code) = w.submit("wf-1", "我家暖气不热已经三天了", "east").await?;
    let c = case.as_str();

    // Steps out of order are refused, naming the state; strangers are refused.
    w.refused(
        c,
        "east-heat",
        Step::Conclude(a::Conclude {
            conclusion: Some(conclusion()),
        }),
        Code::FailedPrecondition,
        "the order is queued",
    )
    .await?;
    w.refused(
        c,
        "west-heat",
        Step::Sign(a::Sign {}),
        Code::PermissionDenied,
        "only the holder (east-heat)",
    )
    .await?;
    let o = w.ok(c, "east-heat", Step::Sign(a::Sign {})).await?;
    assert_eq!(o.state, "in_progress");
    let id = case_id(&o);

    // Contact log: the contact timer runs 3 days from the last contact.
    let o = w
        .ok(
            c,
            "east-heat",
            Step::LogContact(a::LogContact {
                note: "已电话联系，告知维修安排".into(),
            }),
        )
        .await?;
    let contacted = ts(o.last_contact_at.as_ref());
    w.timer(&id, DeadlineKind::Contact, |t| {
        from_proto_opt(t.due_at.as_ref()) == Some(contacted + chrono::Duration::days(3))
    })
    .await?;

    // Extension: refused, then approved; the deadline moves on the calendar.
    let ask = |days| {
        Step::RequestExtension(a::RequestExtension {
            working_days: days,
            reason: "需更换主管道".into(),
        })
    };
    w.ok(c, "east-heat", ask(5)).await?;
    w.refused(
        c,
        "centre",
        Step::DecideExtension(a::DecideExtension {
            approve: false,
            reason: String::new(),
        }),
        Code::InvalidArgument,
        "decide_extension.reason",
    )
    .await?;
    let o = w
        .ok(
            c,
            "centre",
            Step::DecideExtension(a::DecideExtension {
                approve: false,
                reason: "可先临时处理".into(),
            }),
        )
        .await?;
    assert_eq!((o.extended_working_days, o.pending_extension_days), (0, 0));
    let before = due(&o);
    w.ok(c, "east-heat", ask(5)).await?;
    w.refused(
        c,
        "east-heat",
        Step::DecideExtension(a::DecideExtension {
            approve: true,
            reason: String::new(),
        }),
        Code::PermissionDenied,
        "only the centre",
    )
    .await?;
    let o = w
        .ok(
            c,
            "centre",
            Step::DecideExtension(a::DecideExtension {
                approve: true,
                reason: String::new(),
            }),
        )
        .await?;
    assert_eq!(o.extended_working_days, 5);
    let extended = due(&o);
    assert_eq!(
        extended,
        deadlines()?.shift(before, 5),
        "five working days later on the calendar"
    );
    w.timer(&id, DeadlineKind::Conclusion, |t| {
        from_proto_opt(t.due_at.as_ref()) == Some(extended)
    })
    .await?;
    w.refused(
        c,
        "east-heat",
        ask(20),
        Code::FailedPrecondition,
        "at most 30",
    )
    .await?;

    // Suspension: only an office above approves; the deadline pauses and
    // moves by the time suspended.
    w.refused(
        c,
        "east-heat",
        Step::Suspend(a::Suspend {
            reason: "诉求超出政策".into(),
        }),
        Code::PermissionDenied,
        "may not suspend",
    )
    .await?;
    let o = w
        .ok(
            c,
            "east-office",
            Step::Suspend(a::Suspend {
                reason: "诉求超出政策".into(),
            }),
        )
        .await?;
    assert_eq!(o.state, "suspended");
    w.timer(&id, DeadlineKind::Conclusion, |t| t.state == "paused")
        .await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let o = w
        .ok(
            c,
            "centre",
            Step::Resume(a::Resume {
                reason: "诉求已调整".into(),
            }),
        )
        .await?;
    let moved = due(&o) - extended;
    assert!(
        moved >= chrono::Duration::milliseconds(1400) && moved < chrono::Duration::seconds(30),
        "moved by {moved}"
    );
    w.timer(&id, DeadlineKind::Conclusion, |t| t.state == "pending")
        .await?;

    // Conclusion needs every element; then the timers stop.
    let partial = Conclusion {
        handler: String::new(),
        handler_phone: String::new(),
        ..conclusion()
    };
    w.refused(
        c,
        "east-heat",
        Step::Conclude(a::Conclude {
            conclusion: Some(partial),
        }),
        Code::InvalidArgument,
        "conclusion.handler, conclusion.handler_phone: are required",
    )
    .await?;
    let o = w
        .ok(
            c,
            "east-heat",
            Step::Conclude(a::Conclude {
                conclusion: Some(conclusion()),
            }),
        )
        .await?;
    assert_eq!(o.state, "concluded");
    assert_eq!(
        o.conclusion.as_ref().map(|c| c.handler.as_str()),
        Some("刘工")
    );
    w.timer(&id, DeadlineKind::Conclusion, |t| t.state == "cancelled")
        .await?;
    let concluded_at = ts(o.history.last().and_then(|h| h.at.as_ref()));
    let rules = deadlines()?;
    let callback_due = rules.policy.due(
        &rules.policy.callback,
        concluded_at,
        &rules.calendar,
        rules.offset,
    );
    w.timer(&id, DeadlineKind::Callback, |t| {
        t.state == "pending" && from_proto_opt(t.due_at.as_ref()) == Some(callback_due)
    })
    .await?;
    w.refused(
        c,
        "east-heat",
        Step::Sign(a::Sign {}),
        Code::FailedPrecondition,
        "the order is concluded",
    )
    .await?;

    // Dissatisfied: reopened at the same department, then one tier up.
    let callback = |s: Satisfaction| {
        Step::RecordCallback(a::RecordCallback {
            satisfaction: s as i32,
            note: String::new(),
        })
    };
    let o = w
        .ok(c, "centre", callback(Satisfaction::Dissatisfied))
        .await?;
    assert_eq!(
        (o.state.as_str(), holder(&o), o.reopen_count),
        ("queued", "east-heat", 1)
    );
    w.timer(&id, DeadlineKind::Callback, |t| t.state == "cancelled")
        .await?;
    w.queues
        .expect("east-heat", c, |o| o.handover == Handover::Reopen as i32)
        .await?;
    w.timer(&id, DeadlineKind::Conclusion, |t| t.state == "pending")
        .await?;
    w.ok(c, "east-heat", Step::Sign(a::Sign {})).await?;
    w.ok(
        c,
        "east-heat",
        Step::Conclude(a::Conclude {
            conclusion: Some(conclusion()),
        }),
    )
    .await?;
    let o = w
        .ok(c, "east-heat", callback(Satisfaction::Dissatisfied))
        .await?;
    assert_eq!(
        (holder(&o), o.reopen_count),
        ("east-office", 2),
        "二次投诉 goes one tier up"
    );
    w.queues
        .expect("east-office", c, |o| o.handover == Handover::Reopen as i32)
        .await?;
    w.ok(c, "east-office", Step::Sign(a::Sign {})).await?;
    w.ok(
        c,
        "east-office",
        Step::Conclude(a::Conclude {
            conclusion: Some(conclusion()),
        }),
    )
    .await?;
    let o = w
        .ok(c, "centre", callback(Satisfaction::BasicallySatisfied))
        .await?;
    assert_eq!(o.state, "closed");

    // Re-review through intake with the query code; the centre reopens.
    let wrong = w
        .intake
        .request_review(RequestReviewRequest {
            case_number: case.clone(),
            query_code: "WRONG234".into(),
            reason: "不认可".into(),
        })
        .await
        .expect_err("wrong code");
    assert_eq!(wrong.code(), Code::PermissionDenied);
    let mut asked = false;
    for _ in 0..100 {
        // intake learns that the case is closed from dispatch's event.
        match w
            .intake
            .request_review(RequestReviewRequest {
                case_number: case.clone(),
                query_code: query_code.clone(),
                reason: "维修后又不热了".into(),
            })
            .await
        {
            Ok(_) => {
                asked = true;
                break;
            }
            Err(s) if s.code() == Code::FailedPrecondition => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(s) => anyhow::bail!("review refused: {s}"),
        }
    }
    assert!(asked, "intake never saw the case closed");
    let mut under_review = None;
    for _ in 0..100 {
        let o = w
            .dispatch
            .get_order(GetOrderRequest {
                case_number: case.clone(),
            })
            .await?
            .into_inner();
        if o.state == "under_review" {
            under_review = Some(o);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let o = under_review.context("the review never reached dispatch")?;
    assert_eq!(holder(&o), "centre");
    let o = w
        .ok(
            c,
            "centre",
            Step::DecideReview(a::DecideReview {
                uphold: false,
                department: String::new(),
                reason: "重新核查".into(),
            }),
        )
        .await?;
    assert_eq!((o.state.as_str(), holder(&o)), ("queued", "east-office"));
    w.queues
        .expect("east-office", c, |o| {
            o.handover == Handover::Reopen as i32 && o.revision > 1
        })
        .await?;

    // The timeline shows the whole story.
    let mut events = Vec::new();
    for _ in 0..100 {
        events = w.timeline_events(c).await?;
        if events.iter().any(|e| e == "review_decided") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for step in [
        "registered",
        "routed",
        "dispatched",
        "signed",
        "contact_logged",
        "extension_requested",
        "extension_decided",
        "suspended",
        "resumed",
        "concluded",
        "callback_recorded",
        "review_asked",
        "review_requested",
        "review_decided",
    ] {
        assert!(
            events.iter().any(|e| e == step),
            "timeline lacks {step}: {events:?}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returns_are_rerouted_by_hand_or_by_the_next_rule() -> anyhow::Result<()> {
    in_world(&[], |mut w| async move {
        let r = returns(&mut w).await;
        (w, r)
    })
    .await
}

async fn returns(w: &mut World) -> anyhow::Result<()> {
    let (case, _) = w.submit("wf-2", "小区暖气片冰凉", "east").await?;
    let c = case.as_str();
    w.refused(
        c,
        "east-heat",
        Step::Return(a::Return { reason: " ".into() }),
        Code::InvalidArgument,
        "return.reason",
    )
    .await?;
    let o = w
        .ok(
            c,
            "east-heat",
            Step::Return(a::Return {
                reason: "该小区由西城区供热".into(),
            }),
        )
        .await?;
    assert_eq!(
        (o.state.as_str(), holder(&o), o.return_count),
        ("returned", "centre", 1)
    );
    w.refused(
        c,
        "east-heat",
        Step::Reroute(a::Reroute {
            department: "west-heat".into(),
            reason: String::new(),
        }),
        Code::PermissionDenied,
        "only the centre",
    )
    .await?;

    // By hand: the new department receives it, with a deadline from now.
    let o = w
        .ok(
            c,
            "centre",
            Step::Reroute(a::Reroute {
                department: "west-heat".into(),
                reason: "按小区归属".into(),
            }),
        )
        .await?;
    assert_eq!((o.state.as_str(), holder(&o)), ("queued", "west-heat"));
    let order = w
        .queues
        .expect("west-heat", c, |o| o.handover == Handover::Reroute as i32)
        .await?;
    let assigned = ts(order.assigned_at.as_ref());
    assert_eq!(
        ts(order.due_at.as_ref()),
        deadlines()?
            .conclusion(
                complaints_proto::v1::Kind::Complaint,
                complaints_proto::v1::HandlingMode::Transferred,
                complaints_proto::v1::Severity::General,
                assigned,
            )
            .at,
        "the deadline restarts from the reroute"
    );

    // By rule: west-heat returns it too; the next rule that matches heating
    // × east, skipping both, is the catch-all: the centre itself.
    w.ok(
        c,
        "west-heat",
        Step::Return(a::Return {
            reason: "也不属于本单位".into(),
        }),
    )
    .await?;
    let o = w
        .ok(
            c,
            "centre",
            Step::Reroute(a::Reroute {
                department: String::new(),
                reason: String::new(),
            }),
        )
        .await?;
    assert_eq!((holder(&o), o.return_count), ("centre", 2));
    w.queues
        .expect("centre", c, |o| o.handover == Handover::Reroute as i32)
        .await?;
    // The rule's mode (the centre handles it directly) is the order's now,
    // as stored, not only as answered.
    let stored = w
        .dispatch
        .get_order(complaints_proto::v1::GetOrderRequest {
            case_number: case.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(
        stored.order.as_ref().map(|o| o.mode),
        Some(complaints_proto::v1::HandlingMode::Direct as i32)
    );
    let mut events = Vec::new();
    for _ in 0..100 {
        events = w.timeline_events(c).await?;
        if events.iter().filter(|e| *e == "rerouted").count() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        events.iter().filter(|e| *e == "returned").count(),
        2,
        "{events:?}"
    );
    assert_eq!(
        events.iter().filter(|e| *e == "rerouted").count(),
        2,
        "{events:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_co_handlers_late_returns_and_withdrawal() -> anyhow::Result<()> {
    // tests/data/policy-fast.toml allows no returns: every return is late.
    let policy = repo_root().join("tests/data/policy-fast.toml");
    let policy = policy.to_str().context("path")?.to_owned();
    in_world(
        &[("DEADLINE_WATCHER__POLICY__FILE", &policy)],
        |mut w| async move {
            let r = transfers(&mut w).await;
            (w, r)
        },
    )
    .await
}

async fn transfers(w: &mut World) -> anyhow::Result<()> {
    // A transferred (转办) case stays with its receiver.
    let (plain, _) = w.submit("wf-3", "暖气不热", "east").await?;
    w.ok(&plain, "east-heat", Step::Sign(a::Sign {})).await?;
    w.refused(
        &plain,
        "east-heat",
        Step::Transfer(a::Transfer {
            department: "east-heat-s1".into(),
            reason: String::new(),
        }),
        Code::FailedPrecondition,
        "may not be transferred again",
    )
    .await?;
    w.refused(
        &plain,
        "east-heat",
        Step::Return(a::Return {
            reason: "不归我们".into(),
        }),
        Code::FailedPrecondition,
        "return window of 0 minutes closed",
    )
    .await?;

    // A major case is assigned (交办): it may go down the subtree, not sideways.
    // (Another matter of the same complainant: a leaking pipe, not the
    // cold flat above, so the duplicate check does not link it.)
    let (major, _) = w
        .submit("wf-4", "暖气管漏水，老人在家滑倒受伤", "east")
        .await?;
    let m = major.as_str();
    let o = w.ok(m, "east-heat", Step::Sign(a::Sign {})).await?;
    assert_eq!(
        o.order.as_ref().map(|w| w.mode),
        Some(complaints_proto::v1::HandlingMode::Assigned as i32)
    );
    w.refused(
        m,
        "east-heat",
        Step::Transfer(a::Transfer {
            department: "west-heat".into(),
            reason: String::new(),
        }),
        Code::FailedPrecondition,
        "not below east-heat",
    )
    .await?;
    let o = w
        .ok(
            m,
            "east-heat",
            Step::Transfer(a::Transfer {
                department: "east-heat-s1".into(),
                reason: "由第一供热所处理".into(),
            }),
        )
        .await?;
    assert_eq!((o.state.as_str(), holder(&o)), ("queued", "east-heat-s1"));
    w.queues
        .expect("east-heat-s1", m, |o| {
            o.handover == Handover::Transfer as i32
        })
        .await?;
    w.ok(m, "east-heat-s1", Step::Sign(a::Sign {})).await?;

    // Co-handlers each see the order; only the lead concludes.
    let o = w
        .ok(
            m,
            "centre",
            Step::SetCoHandlers(a::SetCoHandlers {
                lead: String::new(),
                co_handlers: vec!["water".into(), "east-urban".into()],
            }),
        )
        .await?;
    assert_eq!(
        o.order.as_ref().map(|w| w.co_handlers.clone()),
        Some(vec!["water".to_string(), "east-urban".to_string()])
    );
    for co in ["water", "east-urban"] {
        let copy = w.queues.expect(co, m, |o| o.co_handler).await?;
        assert_eq!(copy.holder, "east-heat-s1");
    }
    w.ok(
        m,
        "water",
        Step::LogContact(a::LogContact {
            note: "已排查供水管线".into(),
        }),
    )
    .await?;
    w.refused(
        m,
        "water",
        Step::Conclude(a::Conclude {
            conclusion: Some(conclusion()),
        }),
        Code::PermissionDenied,
        "only the holder (east-heat-s1)",
    )
    .await?;
    let o = w
        .ok(
            m,
            "east-heat-s1",
            Step::Conclude(a::Conclude {
                conclusion: Some(conclusion()),
            }),
        )
        .await?;
    assert_eq!(o.state, "concluded");

    // The department's own gRPC watch shows the transferred order.
    let mut watch = w
        .dispatch
        .watch_queue(WatchQueueRequest {
            department: "east-heat-s1".into(),
            from_start: true,
        })
        .await?
        .into_inner();
    let first = tokio::time::timeout(Duration::from_secs(10), watch.message())
        .await??
        .context("watch ended")?;
    assert_eq!(first.header.map(|h| h.case_number), Some(major.clone()));

    // Withdrawal ends the case; a withdrawal under pressure is flagged.
    let o = w
        .ok(
            &plain,
            "centre",
            Step::Withdraw(a::Withdraw {
                reason: "投诉人称已解决".into(),
                under_pressure: true,
            }),
        )
        .await?;
    assert_eq!(o.state, "withdrawn");
    assert!(o
        .history
        .last()
        .is_some_and(|h| h.detail.contains("to be investigated")));
    w.refused(
        &plain,
        "east-heat",
        Step::LogContact(a::LogContact { note: "x".into() }),
        Code::FailedPrecondition,
        "the order is withdrawn",
    )
    .await?;
    let id = case_id(&o);
    w.timer(&id, DeadlineKind::Conclusion, |t| t.state == "cancelled")
        .await?;
    Ok(())
}
