//! The foundation path, end to end: complaints of several categories and
//! regions go in at intake and come out as work orders on the right
//! department's queue subject, with the right deadline, counted by
//! reporting, with the complainant's identity in no event.

use anyhow::Context;
use async_nats::jetstream::consumer::pull::OrderedConfig;
use chrono::{FixedOffset, Utc};
use complaints_proto::label_of;
use complaints_proto::v1::intake_client::IntakeClient;
use complaints_proto::v1::reporting_client::ReportingClient;
use complaints_proto::v1::{
    Channel, Complainant, GetCaseRequest, GetCountsRequest, HandlingMode, Handover, Kind, Severity,
    SubmitComplaintRequest, WorkOrder,
};
use futures::StreamExt;
use mesh_deadline_watcher::calendar::WorkCalendar;
use mesh_deadline_watcher::policy::Policy;
use mesh_e2e::{repo_root, ts, TestMesh};
use prost::Message;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A complaint and where the sample network must send it.
struct Expect {
    facts: &'static str,
    region: &'static str,
    anonymous: bool,
    department: &'static str,
    category: &'static str,
    kind: Kind,
    severity: Severity,
    mode: HandlingMode,
}

const NAME: &str = "欧阳明月";
const PHONE: &str = "13987654321";

fn cases() -> Vec<Expect> {
    use HandlingMode::*;
    vec![
        Expect {
            facts: "我家3号楼暖气不热已经三天了，联系电话13987654321",
            region: "east",
            anonymous: false,
            department: "east-heat",
            category: "heating",
            kind: Kind::Complaint,
            severity: Severity::General,
            mode: Transferred,
        },
        Expect {
            facts: "小区暖气片冰凉，室温只有12度",
            region: "west",
            anonymous: false,
            department: "west-heat",
            category: "heating",
            kind: Kind::Complaint,
            severity: Severity::General,
            mode: Transferred,
        },
        Expect {
            facts: "请问明天停水到几点恢复",
            region: "north",
            anonymous: false,
            department: "water",
            category: "water",
            kind: Kind::Inquiry,
            severity: Severity::General,
            mode: Transferred,
        },
        Expect {
            facts: "楼下燃气管道有煤气泄漏的味道，欧阳明月很害怕",
            region: "east",
            anonymous: false,
            department: "gas",
            category: "gas",
            kind: Kind::Complaint,
            severity: Severity::Major,
            mode: Assigned,
        },
        Expect {
            facts: "窗口工作人员态度差，一直推诿",
            region: "west",
            anonymous: false,
            department: "centre",
            category: "service",
            kind: Kind::Complaint,
            severity: Severity::Minor,
            mode: Direct,
        },
        Expect {
            facts: "工地夜间施工噪音扰民到凌晨两点",
            region: "north",
            anonymous: false,
            department: "north-urban",
            category: "noise",
            kind: Kind::Complaint,
            severity: Severity::General,
            mode: Transferred,
        },
        Expect {
            facts: "12路公交车到站不停，司机不理乘客",
            region: "east",
            anonymous: false,
            department: "transit",
            category: "transit",
            kind: Kind::Complaint,
            severity: Severity::General,
            mode: Transferred,
        },
        Expect {
            facts: "人民路的路灯不亮了一个星期",
            region: "east",
            anonymous: true,
            department: "east-urban",
            category: "roads",
            kind: Kind::FaultReport,
            severity: Severity::General,
            mode: Transferred,
        },
    ]
}

fn request(e: &Expect, key: &str) -> SubmitComplaintRequest {
    SubmitComplaintRequest {
        idempotency_key: key.into(),
        channel: Channel::Phone as i32,
        complainant: Some(if e.anonymous {
            Complainant {
                anonymous: true,
                ..Default::default()
            }
        } else {
            Complainant {
                anonymous: false,
                name: NAME.into(),
                phone: PHONE.into(),
                email: String::new(),
            }
        }),
        respondent: String::new(),
        facts: e.facts.into(),
        request: "请尽快处理".into(),
        region: e.region.into(),
        category_hint: String::new(),
        matter_at: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_reach_the_right_department_queue_with_their_deadline_and_are_counted(
) -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let result = run(&mesh).await;
    if result.is_err() {
        eprintln!("service logs:\n{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    result
}

async fn run(mesh: &TestMesh) -> anyhow::Result<()> {
    let expected = cases();
    // Read every department queue of this mesh, as department systems would.
    let dispatch_stream = mesh.stream_ready("DISPATCH").await?;
    let queue = dispatch_stream
        .create_consumer(OrderedConfig {
            filter_subject: mesh.subject("dispatch.v1.orders.>"),
            ..Default::default()
        })
        .await?;
    let mut queued = queue.messages().await?;

    let beijing = FixedOffset::east_opt(8 * 3600).context("offset")?;
    let first_day = Utc::now().with_timezone(&beijing).date_naive().to_string();
    let mut intake = IntakeClient::new(mesh.channel("intake").await?);
    let mut submitted = Vec::new();
    for (i, e) in expected.iter().enumerate() {
        let reply = intake
            .submit_complaint(request(e, &format!("e2e-{i}")))
            .await?
            .into_inner();
        assert!(!reply.replayed);
        assert!(
            reply.case_number.len() >= 14,
            "readable case number: {}",
            reply.case_number
        );
        submitted.push((reply, Instant::now()));
    }

    // Every complaint arrives once, on its department's subject.
    let mut orders: BTreeMap<String, (String, WorkOrder, Duration)> = BTreeMap::new();
    // Notice copies of the major case may come between the orders.
    let mut notices_early = Vec::new();
    while orders.len() < expected.len() {
        let message = tokio::time::timeout(Duration::from_secs(30), queued.next())
            .await
            .context("work orders did not all arrive within 30 s")?
            .context("queue ended")??;
        let order = WorkOrder::decode(message.payload.clone())?;
        if order.handover == Handover::Notice as i32 {
            notices_early.push(message.subject.to_string());
            continue;
        }
        let case_number = order
            .header
            .as_ref()
            .map(|h| h.case_number.clone())
            .unwrap_or_default();
        let sent = submitted
            .iter()
            .find(|(r, _)| r.case_number == case_number)
            .map(|(_, at)| at.elapsed())
            .context("an order for a case we did not submit")?;
        let previous = orders.insert(
            case_number.clone(),
            (message.subject.to_string(), order, sent),
        );
        assert!(previous.is_none(), "case {case_number} queued twice");
    }

    // The major gas-leak case is also known at once one tier up and at the
    // centre: a notice copy in their queues.
    let major = &submitted[3].0.case_number;
    let mut notices = notices_early;
    while notices.len() < 2 {
        let message = tokio::time::timeout(Duration::from_secs(10), queued.next())
            .await
            .context("the major case's notices did not arrive")?
            .context("queue ended")??;
        let copy = WorkOrder::decode(message.payload.clone())?;
        if copy.handover == Handover::Notice as i32 {
            assert_eq!(copy.header.as_ref().map(|h| &h.case_number), Some(major));
            notices.push(message.subject.to_string());
        }
    }
    notices.sort();
    assert_eq!(
        notices,
        vec![
            mesh.subject("dispatch.v1.orders.centre"),
            mesh.subject("dispatch.v1.orders.city-utilities-office")
        ]
    );

    let policy = Policy::load(&repo_root().join("deploy/policy/deadlines.toml"))?;
    let calendar = WorkCalendar::load(&repo_root().join("deploy/calendar/cn.toml"))?;
    for (e, (reply, _)) in expected.iter().zip(&submitted) {
        let (subject, order, latency) = &orders[&reply.case_number];
        eprintln!(
            "{} → {} in {latency:?}",
            reply.case_number, order.department
        );
        assert_eq!(
            subject,
            &mesh.subject(&format!("dispatch.v1.orders.{}", e.department)),
            "{}",
            e.facts
        );
        assert_eq!(order.category, e.category, "{}", e.facts);
        assert_eq!(
            label_of::<Kind>(order.kind),
            label_of::<Kind>(e.kind as i32),
            "{}",
            e.facts
        );
        assert_eq!(
            label_of::<Severity>(order.severity),
            label_of::<Severity>(e.severity as i32),
            "{}",
            e.facts
        );
        assert_eq!(
            label_of::<HandlingMode>(order.mode),
            label_of::<HandlingMode>(e.mode as i32),
            "{}",
            e.facts
        );
        // The deadline is the policy's for this kind and mode, from the
        // moment the order was assigned.
        let rule = policy.conclusion_rule(e.kind, e.mode, e.severity);
        let assigned = ts(order.assigned_at.as_ref());
        let due = ts(order.due_at.as_ref());
        assert_eq!(order.deadline_rule, rule.describe(), "{}", e.facts);
        assert_eq!(
            due,
            policy.due(rule, assigned, &calendar, beijing),
            "{}",
            e.facts
        );
        match e.kind {
            Kind::Inquiry => assert_eq!(due - assigned, chrono::Duration::hours(24)),
            _ => {
                let local = due.with_timezone(&beijing);
                assert_eq!(
                    local.format("%H:%M:%S").to_string(),
                    "23:59:59",
                    "day deadlines end the day"
                );
                let working_days = match e.mode {
                    HandlingMode::Transferred => 10,
                    _ => 15,
                };
                assert_eq!(
                    local.date_naive(),
                    calendar.add_working_days(
                        assigned.with_timezone(&beijing).date_naive(),
                        working_days
                    )
                );
            }
        }
        // The department sees a summary, never the complainant's identity.
        assert!(
            !order.summary.contains(PHONE) && !order.summary.contains(NAME),
            "{}",
            order.summary
        );
    }

    // The case's timeline shows the whole journey; the identity is masked
    // unless the query code is given.
    let (first, _) = &submitted[0];
    let case = wait_for(|| {
        let mut intake = intake.clone();
        let number = first.case_number.clone();
        async move {
            let case = intake
                .get_case(GetCaseRequest {
                    case_number: number,
                    query_code: String::new(),
                })
                .await?
                .into_inner();
            Ok((case.timeline.len() >= 4).then_some(case))
        }
    })
    .await?;
    assert_eq!(case.status, "queued");
    let events: Vec<&str> = case.timeline.iter().map(|t| t.event.as_str()).collect();
    for step in ["registered", "routed", "dispatched", "deadline"] {
        assert!(events.contains(&step), "timeline {events:?} lacks {step}");
    }
    assert_eq!(case.department, "east-heat");
    let who = case.complainant.clone().unwrap_or_default();
    assert_eq!(
        (who.name.as_str(), who.phone.as_str()),
        ("欧***", "139****4321")
    );
    let holder = intake
        .get_case(GetCaseRequest {
            case_number: first.case_number.clone(),
            query_code: first.query_code.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(holder.complainant.unwrap_or_default().name, NAME);
    let wrong = intake
        .get_case(GetCaseRequest {
            case_number: first.case_number.clone(),
            query_code: "WRONG123".into(),
        })
        .await
        .expect_err("a wrong query code is refused");
    assert_eq!(wrong.code(), tonic::Code::PermissionDenied);

    // Reporting counts every case once, by department, category, kind.
    let mut reporting = ReportingClient::new(mesh.channel("reporting").await?);
    let counts = wait_for(|| {
        let mut reporting = reporting.clone();
        async move {
            let c = reporting
                .get_counts(GetCountsRequest::default())
                .await?
                .into_inner();
            let departments: u64 = c
                .rows
                .iter()
                .filter(|r| r.dimension == "department")
                .map(|r| r.count)
                .sum();
            Ok((c.total == 8 && departments == 8).then_some(c))
        }
    })
    .await?;
    let count = |dimension: &str, key: &str| {
        counts
            .rows
            .iter()
            .find(|r| r.dimension == dimension && r.key == key)
            .map_or(0, |r| r.count)
    };
    assert_eq!(count("department", "east-heat"), 1);
    assert_eq!(count("department", "centre"), 1);
    assert_eq!(count("category", "heating"), 2);
    assert_eq!(count("kind", "inquiry"), 1);
    assert_eq!(count("kind", "fault_report"), 1);
    assert_eq!(count("severity", "major"), 1);
    assert_eq!(count("region", "east"), 4);
    assert_eq!(count("channel", "phone"), 8);
    // Per day, the same cases, filed under their local day of receipt.
    let daily = reporting
        .get_counts(GetCountsRequest {
            by_day: true,
            dimensions: vec!["department".into()],
            ..Default::default()
        })
        .await?
        .into_inner();
    let last_day = Utc::now().with_timezone(&beijing).date_naive().to_string();
    assert!(
        daily
            .rows
            .iter()
            .all(|r| first_day <= r.day && r.day <= last_day),
        "{:?}",
        daily.rows
    );
    let per_day: u64 = daily
        .rows
        .iter()
        .filter(|r| r.dimension == "department")
        .map(|r| r.count)
        .sum();
    assert_eq!(per_day, 8);

    // A retried submission returns the same case and queues nothing more.
    let again = intake
        .submit_complaint(request(&expected[0], "e2e-0"))
        .await?
        .into_inner();
    assert!(again.replayed);
    assert_eq!(again.case_number, first.case_number);
    assert_eq!(again.query_code, first.query_code);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let orders_in_stream = mesh
        .stream_messages("DISPATCH")
        .await?
        .into_iter()
        .filter(|(s, _)| s.starts_with(&mesh.subject("dispatch.v1.orders.")))
        .filter(|(_, payload)| {
            WorkOrder::decode(payload.clone()).is_ok_and(|o| o.handover != Handover::Notice as i32)
        })
        .count();
    assert_eq!(orders_in_stream, 8, "the retry made no second work order");

    // No event of any service carries the complainant's name or phone.
    for stream in ["INTAKE", "TRIAGE", "DISPATCH", "DEADLINE"] {
        for (subject, payload) in mesh.stream_messages(stream).await? {
            let text = String::from_utf8_lossy(&payload);
            assert!(
                !text.contains(NAME) && !text.contains(PHONE),
                "{subject} carries personal data: {text}"
            );
        }
    }

    // Bad input is refused with the field and the rule.
    let bad = intake
        .submit_complaint(SubmitComplaintRequest {
            region: "nowhere".into(),
            ..request(&expected[1], "e2e-bad")
        })
        .await
        .expect_err("unknown region");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(bad.message().starts_with("region:"), "{}", bad.message());
    let bad = intake
        .submit_complaint(SubmitComplaintRequest {
            facts: String::new(),
            ..request(&expected[1], "e2e-bad")
        })
        .await
        .expect_err("no facts");
    assert!(bad.message().starts_with("facts:"), "{}", bad.message());
    Ok(())
}

/// Polls `check` until it gives a value (15 s at most).
async fn wait_for<T, F, Fut>(mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if Instant::now() > deadline {
            anyhow::bail!("condition not met within 15 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
