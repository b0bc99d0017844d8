//! Writes the seed inputs of the fuzz targets to `corpus/<target>/`:
//! well-formed events and requests, so the fuzzer starts from payloads that
//! get past decoding, and texts in the fields' shapes. Run it again after a
//! message changes:
//!
//! ```sh
//! cd tests/fuzz && cargo run --example seeds
//! ```

use chrono::{DateTime, TimeZone, Utc};
use complaints_proto::v1::act_request::{self, Step};
use complaints_proto::v1::{
    ActRequest, AlertStage, CaseNotAccepted, CaseRegistered, CaseRouted, Channel, Complainant,
    Conclusion, DeadlineAlert, DeadlineKind, DeadlineRegistered, EventHeader, HandlingMode,
    Handover, Incident, Kind, ReportPeriod, ReviewRequested, Satisfaction, Severity,
    SubmitComplaintRequest, WorkOrder, WorkflowStep,
};
use complaints_proto::Label;
use mesh_kit::time::to_proto;
use prost::Message;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const CASE_ID: &str = "0196a4d8-5c3e-7a10-8000-00000000c001";
const ORDER_ID: &str = "0196a4d8-5c3e-7a10-8000-00000000d001";
const EARLIER_ID: &str = "0196a4d8-5c3e-7a10-8000-00000000c000";

/// When set, every instant of the seeds is this one: an edge of chrono's
/// range, which a payload may carry and mutation alone rarely reaches.
static EDGE: Mutex<Option<DateTime<Utc>>> = Mutex::new(None);

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    if let Some(edge) = EDGE.lock().ok().and_then(|e| *e) {
        return edge;
    }
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn header() -> Option<EventHeader> {
    Some(EventHeader {
        event_id: "0196a4d8-5c3e-7a10-8000-00000000e001".into(),
        case_id: CASE_ID.into(),
        case_number: "2025-09-000123".into(),
        at: Some(to_proto(at(2025, 9, 30, 2))),
    })
}

fn registered(summary: &str) -> CaseRegistered {
    CaseRegistered {
        header: header(),
        channel: Channel::Phone as i32,
        received_at: Some(to_proto(at(2025, 9, 30, 2))),
        matter_at: None,
        region: "east".into(),
        category_hint: String::new(),
        respondent: "东区热力".into(),
        summary: summary.into(),
        request: "尽快维修".into(),
        anonymous: false,
        complainant_key: "3f1c".into(),
    }
}

fn routed() -> CaseRouted {
    CaseRouted {
        header: header(),
        channel: Channel::Phone as i32,
        received_at: Some(to_proto(at(2025, 9, 30, 2))),
        kind: Kind::Complaint as i32,
        category: "heating".into(),
        severity: Severity::General as i32,
        region: "east".into(),
        department: "east-heat".into(),
        mode: HandlingMode::Transferred as i32,
        reasons: vec!["route heating × east".into()],
        summary: "阳光小区3号楼暖气不热".into(),
        request: "尽快维修".into(),
        respondent: String::new(),
        linked_case_id: EARLIER_ID.into(),
        linked_case_number: "2025-09-000100".into(),
        incident: None,
    }
}

fn incident() -> CaseRouted {
    CaseRouted {
        incident: Some(Incident {
            incident_id: "0196a4d8-5c3e-7a10-8000-00000000f001".into(),
            lead_case_id: EARLIER_ID.into(),
            lead_case_number: "2025-09-000100".into(),
            merged_case_numbers: vec!["2025-09-000101".into()],
            size: 3,
        }),
        ..routed()
    }
}

fn not_accepted() -> CaseNotAccepted {
    CaseNotAccepted {
        header: header(),
        reason: "A".into(),
        reply: "您反映的事项已在办理中".into(),
        received_at: Some(to_proto(at(2025, 9, 30, 2))),
        region: "east".into(),
        channel: Channel::Phone as i32,
        detail: "A: the same matter is in progress".into(),
        linked_case_id: EARLIER_ID.into(),
        linked_case_number: "2025-09-000100".into(),
    }
}

fn order(handover: Handover, due: bool) -> WorkOrder {
    WorkOrder {
        header: header(),
        order_id: ORDER_ID.into(),
        department: "east-heat".into(),
        mode: HandlingMode::Assigned as i32,
        kind: Kind::Complaint as i32,
        category: "heating".into(),
        severity: Severity::Major as i32,
        region: "east".into(),
        summary: "阳光小区3号楼暖气不热".into(),
        received_at: Some(to_proto(at(2025, 9, 30, 2))),
        assigned_at: Some(to_proto(at(2025, 9, 30, 3))),
        due_at: due.then(|| to_proto(at(2025, 10, 21, 15))),
        deadline_rule: "assigned: 15 working days".into(),
        channel: Channel::Phone as i32,
        handover: handover as i32,
        holder: "east-heat".into(),
        revision: 1,
        ..Default::default()
    }
}

fn step(step: &str, state: &str) -> WorkflowStep {
    WorkflowStep {
        header: header(),
        order_id: ORDER_ID.into(),
        step: step.into(),
        actor: "east-heat".into(),
        state: state.into(),
        holder: "east-heat".into(),
        due_at: Some(to_proto(at(2025, 10, 21, 15))),
        deadline_rule: "assigned: 15 working days".into(),
        detail: "已电话联系住户".into(),
        revision: 3,
        severity: Severity::General as i32,
        last_contact_at: Some(to_proto(at(2025, 10, 2, 1))),
        satisfaction: "dissatisfied".into(),
        received_at: Some(to_proto(at(2025, 9, 30, 2))),
        category: "heating".into(),
        assigned_at: Some(to_proto(at(2025, 9, 30, 3))),
        from_holder: "east-heat".into(),
        deadline_at: Some(to_proto(at(2025, 10, 21, 15))),
        region: "east".into(),
        ..Default::default()
    }
}

fn alert(stage: AlertStage) -> DeadlineAlert {
    DeadlineAlert {
        header: header(),
        order_id: ORDER_ID.into(),
        deadline_kind: DeadlineKind::Conclusion as i32,
        stage: stage as i32,
        level: 1,
        department: "east-heat".into(),
        notified: "east-office".into(),
        notified_head: "刘主任".into(),
        due_at: Some(to_proto(at(2025, 10, 21, 15))),
        fire_at: Some(to_proto(at(2025, 10, 21, 15))),
        rule: "assigned: 15 working days".into(),
        received_at: Some(to_proto(at(2025, 9, 30, 2))),
        category: "heating".into(),
    }
}

fn registered_deadline() -> DeadlineRegistered {
    DeadlineRegistered {
        header: header(),
        order_id: ORDER_ID.into(),
        department: "east-heat".into(),
        deadline_kind: DeadlineKind::Conclusion as i32,
        due_at: Some(to_proto(at(2025, 10, 21, 15))),
        rule: "assigned: 15 working days".into(),
    }
}

fn submit(anonymous: bool) -> SubmitComplaintRequest {
    SubmitComplaintRequest {
        idempotency_key: "k-1".into(),
        channel: Channel::Phone as i32,
        complainant: Some(Complainant {
            anonymous,
            name: if anonymous { "" } else { "张三" }.into(),
            phone: if anonymous { "" } else { "+86 138-1234-5678" }.into(),
            email: if anonymous { "" } else { "zs@example.cn" }.into(),
        }),
        respondent: "某热力公司".into(),
        facts: "我是张三，电话13812345678，家里暖气不热，损失1200元".into(),
        request: "尽快维修".into(),
        region: "east".into(),
        category_hint: "heating".into(),
        matter_at: Some(to_proto(at(2025, 9, 29, 2))),
    }
}

fn act(step: Step) -> ActRequest {
    ActRequest {
        case_number: "2025-09-000123".into(),
        actor: "east-heat".into(),
        step: Some(step),
    }
}

/// Seeds of one target: (file name, bytes).
struct Seeds {
    dir: PathBuf,
}

impl Seeds {
    fn new(root: &Path, target: &str) -> std::io::Result<Self> {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::write(self.dir.join(name), bytes)
    }

    /// A payload behind the byte that picks its subject or consumer.
    fn choice(&self, name: &str, choice: u8, message: &impl Message) -> std::io::Result<()> {
        let mut bytes = vec![choice];
        bytes.extend(message.encode_to_vec());
        self.write(name, &bytes)
    }

    /// Text fields separated by 0xFF.
    fn fields(&self, name: &str, fields: &[&str]) -> std::io::Result<()> {
        let bytes: Vec<u8> = fields
            .iter()
            .map(|f| f.as_bytes().to_vec())
            .collect::<Vec<_>>()
            .join(&0xFF);
        self.write(name, &bytes)
    }
}

/// Seeds of the targets that decode protobuf; `edge` is appended to the
/// names.
fn protobuf(root: &Path, edge: &str) -> std::io::Result<()> {
    let s = Seeds::new(root, "consumer_intake")?;
    s.choice(&format!("case_routed{edge}"), 0, &routed())?;
    s.choice(&format!("case_routed_incident{edge}"), 0, &incident())?;
    s.choice(&format!("case_not_accepted{edge}"), 1, &not_accepted())?;
    s.choice(&format!("work_order{edge}"), 2, &order(Handover::New, true))?;
    s.choice(
        &format!("workflow_step{edge}"),
        3,
        &step("signed", "in_progress"),
    )?;
    s.choice(
        &format!("deadline_alert{edge}"),
        4,
        &alert(AlertStage::Escalated),
    )?;
    s.choice(
        &format!("deadline_registered{edge}"),
        5,
        &registered_deadline(),
    )?;

    let s = Seeds::new(root, "consumer_triage")?;
    s.choice(
        &format!("heating{edge}"),
        0,
        &registered("阳光小区3号楼暖气不热已经三天了"),
    )?;
    s.choice(
        &format!("gas_major{edge}"),
        0,
        &registered("楼道里有煤气泄漏的味道，损失5万元"),
    )?;
    s.choice(&format!("inquiry{edge}"), 0, &registered("请问停水到几点"))?;
    s.choice(&format!("vague{edge}"), 0, &registered("你们管管"))?;
    s.choice(
        &format!("step{edge}"),
        1,
        &step("callback_recorded", "in_progress"),
    )?;

    let s = Seeds::new(root, "consumer_dispatch")?;
    s.choice(&format!("routed{edge}"), 0, &routed())?;
    s.choice(&format!("routed_incident{edge}"), 0, &incident())?;
    s.choice(&format!("alert{edge}"), 1, &alert(AlertStage::Overdue))?;
    s.choice(&format!("nudge{edge}"), 2, &not_accepted())?;
    s.choice(
        "review",
        3,
        &ReviewRequested {
            header: header(),
            reason: "处理结果不满意".into(),
        },
    )?;

    let s = Seeds::new(root, "consumer_deadline_watcher")?;
    s.choice(
        &format!("order_with_due{edge}"),
        0,
        &order(Handover::New, true),
    )?;
    s.choice(
        &format!("order_without_due{edge}"),
        0,
        &order(Handover::Transfer, false),
    )?;
    s.choice(
        &format!("step_concluded{edge}"),
        1,
        &step("concluded", "concluded"),
    )?;
    s.choice(
        &format!("step_suspended{edge}"),
        1,
        &step("suspended", "suspended"),
    )?;

    let s = Seeds::new(root, "consumer_reporting")?;
    s.choice(
        &format!("registered{edge}"),
        0,
        &registered("阳光小区3号楼暖气不热"),
    )?;
    s.choice(&format!("routed{edge}"), 1, &routed())?;
    s.choice(&format!("not_accepted{edge}"), 2, &not_accepted())?;
    s.choice(&format!("order{edge}"), 3, &order(Handover::New, true))?;
    s.choice(
        &format!("concluded{edge}"),
        4,
        &step("concluded", "concluded"),
    )?;
    s.choice(
        &format!("callback{edge}"),
        4,
        &step("callback_recorded", "in_progress"),
    )?;
    s.choice(&format!("overdue{edge}"), 5, &alert(AlertStage::Overdue))?;
    s.choice(
        &format!("escalated{edge}"),
        6,
        &alert(AlertStage::Escalated),
    )?;

    let s = Seeds::new(root, "submit_complaint")?;
    s.write(&format!("named{edge}"), &submit(false).encode_to_vec())?;
    s.write(&format!("anonymous{edge}"), &submit(true).encode_to_vec())?;

    Ok(())
}

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    protobuf(&root, "")?;
    for (edge, name) in [
        (DateTime::<Utc>::MAX_UTC, "_at_max"),
        (DateTime::<Utc>::MIN_UTC, "_at_min"),
    ] {
        if let Ok(mut e) = EDGE.lock() {
            *e = Some(edge);
        }
        protobuf(&root, name)?;
    }
    if let Ok(mut e) = EDGE.lock() {
        *e = None;
    }

    let s = Seeds::new(&root, "act_request")?;
    let reason = || "需更换主管道".to_owned();
    for (name, step) in [
        ("sign", Step::Sign(act_request::Sign {})),
        (
            "return",
            Step::Return(act_request::Return { reason: reason() }),
        ),
        (
            "transfer",
            Step::Transfer(act_request::Transfer {
                department: "water".into(),
                reason: reason(),
            }),
        ),
        (
            "co_handlers",
            Step::SetCoHandlers(act_request::SetCoHandlers {
                lead: "east-heat".into(),
                co_handlers: vec!["water".into(), "east-office".into()],
            }),
        ),
        (
            "extend",
            Step::RequestExtension(act_request::RequestExtension {
                working_days: 5,
                reason: reason(),
            }),
        ),
        (
            "conclude",
            Step::Conclude(act_request::Conclude {
                conclusion: Some(Conclusion {
                    facts_found: "阀门故障".into(),
                    staff_handling: "通报批评".into(),
                    corrective_actions: "更换阀门".into(),
                    answer: "已修复".into(),
                    handler: "刘工".into(),
                    handler_phone: "0000-1111".into(),
                }),
            }),
        ),
        (
            "callback",
            Step::RecordCallback(act_request::RecordCallback {
                satisfaction: 3,
                note: "不满意".into(),
            }),
        ),
        (
            "decide_review",
            Step::DecideReview(act_request::DecideReview {
                uphold: false,
                department: "east-office".into(),
                reason: reason(),
            }),
        ),
    ] {
        s.write(name, &act(step).encode_to_vec())?;
    }

    let s = Seeds::new(&root, "mask_redact")?;
    s.fields(
        "identity",
        &[
            "我是张三，电话13812345678，身份证11010519491231002X，邮箱zs@x.cn，损失1200000元",
            "张三",
            "13812345678",
            "zs@x.cn",
        ],
    )?;

    let s = Seeds::new(&root, "duplicates")?;
    s.fields(
        "retelling",
        &[
            "阳光小区三号楼二单元暖气不热，室温只有十四度",
            "尽快维修",
            "东城区供热分公司",
            "east",
            "heating",
            "我上周反映的阳光小区3号楼暖气还是不热，到现在都没人管",
            "",
            "",
            "east",
            "heating",
        ],
    )?;

    let s = Seeds::new(&root, "incidents")?;
    s.fields(
        "three_alike",
        &[
            "阳光小区5号楼停暖气了",
            "阳光小区5号楼暖气不热",
            "阳光小区五号楼没有暖气",
            "幸福里小区12号楼电梯坏了",
        ],
    )?;

    let s = Seeds::new(&root, "acceptance")?;
    s.fields(
        "templates",
        &[
            "已在办理中（案件编号{linked_case_number}）。本次来电编号{case_number}。",
            "已办结（案件编号{linked_case_number}），办理结果：{result}。",
            "不予受理。案件编号{case_number}。",
            "内容不够具体。案件编号{case_number}。",
            "建议您向{refer_to}反映。案件编号{case_number}。",
            "2025-09-000123",
            "2025-09-000100",
            "已修复",
            "银行",
            "信用卡",
            "我的信用卡被盗刷",
            "尽快处理",
        ],
    )?;

    let s = Seeds::new(&root, "classify")?;
    s.fields(
        "heating",
        &[
            "阳光小区3号楼暖气不热，损失2.5万元",
            "尽快维修",
            "东区热力",
            "east",
            "",
        ],
    )?;
    s.fields("hint", &["请问停水到几点", "", "", "west", "water"])?;

    let s = Seeds::new(&root, "report_dates")?;
    // Days as a request names them; the first and last chrono knows too.
    for (name, day) in [
        ("day", "2025-09-30"),
        ("leap", "2024-02-29"),
        ("last_day", "+262142-12-31"),
        ("first_day", "-262143-01-01"),
    ] {
        s.write(name, day.as_bytes())?;
    }

    let s = Seeds::new(&root, "case_number")?;
    let mut bytes = Vec::new();
    bytes.extend(1_759_200_000i64.to_le_bytes());
    bytes.extend(123i64.to_le_bytes());
    bytes.extend((8i64 * 3600).to_le_bytes());
    bytes.extend(b"2025-09-000123");
    s.write("number", &bytes)?;

    let s = Seeds::new(&root, "labels")?;
    let mut labels: Vec<String> = (0..16)
        .flat_map(|v| {
            [
                Channel::try_from(v).map(|e| e.label()).ok(),
                Kind::try_from(v).map(|e| e.label()).ok(),
                Severity::try_from(v).map(|e| e.label()).ok(),
                HandlingMode::try_from(v).map(|e| e.label()).ok(),
                DeadlineKind::try_from(v).map(|e| e.label()).ok(),
                Satisfaction::try_from(v).map(|e| e.label()).ok(),
                Handover::try_from(v).map(|e| e.label()).ok(),
                AlertStage::try_from(v).map(|e| e.label()).ok(),
                ReportPeriod::try_from(v).map(|e| e.label()).ok(),
            ]
        })
        .flatten()
        .collect();
    // Lookalikes that upper-case onto a label's letters (ſ → S, ı → I).
    labels.extend(
        [
            "escalation",
            "in_progress",
            "east-heat",
            "ſatisfied",
            "ınquiry",
        ]
        .map(String::from),
    );
    labels.sort();
    labels.dedup();
    for label in labels {
        s.write(&label, label.as_bytes())?;
    }

    Ok(())
}
