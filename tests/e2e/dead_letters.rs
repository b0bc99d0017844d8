//! Dead letters against the real services and `complaintctl`:
//!
//! - a poison message (garbage with a valid event id) is parked with its
//!   reason and blocks nothing: a complaint submitted after it is routed;
//! - `complaintctl dead-letters list` and `show` find it; replayed, it is
//!   parked again by the consumer it was for and by no other; dropped, it
//!   is gone;
//! - a routed case that dispatch rejects (triage was restarted with a
//!   network file that has a new department, dispatch not yet) is queued
//!   exactly once when, dispatch restarted with the new file, the dead
//!   letter is replayed; the dead letter is gone; the other consumers of
//!   the event do nothing again; a second replay of the same event changes
//!   nothing.

use anyhow::{bail, ensure, Context};
use async_nats::jetstream::{consumer::pull, message::PublishMessage};
use async_nats::HeaderMap;
use complaints_proto::v1::dispatch_client::DispatchClient;
use complaints_proto::v1::intake_client::IntakeClient;
use complaints_proto::v1::reporting_client::ReportingClient;
use complaints_proto::v1::{GetOrderRequest, GetReportRequest, ReportPeriod};
use mesh_e2e::{bin_dir, complaint, nats_url, repo_root, submit_and_wait, TestMesh};
use sqlx::{Connection, PgConnection};
use std::time::Duration;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_is_parked_and_a_fixed_event_replays_exactly_once() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("mesh-dead-letters-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let mut mesh = TestMesh::start().await?;
    let result = async {
        poison(&mesh).await.context("poison message")?;
        replay_after_fix(&mut mesh, &dir)
            .await
            .context("replay after the fix")
    }
    .await;
    if result.is_err() {
        eprintln!("service logs:\n{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// One message of the dead-letter stream, as stored.
struct Parked {
    sequence: u64,
    headers: HeaderMap,
    payload: bytes::Bytes,
}

impl Parked {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.as_str())
    }
}

/// Every message in this mesh's dead-letter stream.
async fn parked(mesh: &TestMesh) -> anyhow::Result<Vec<Parked>> {
    let mut stream = mesh.stream_ready("DEADLETTER").await?;
    let state = stream.info().await?.state.clone();
    let mut out = Vec::new();
    if state.messages == 0 {
        return Ok(out);
    }
    for sequence in state.first_sequence..=state.last_sequence {
        // A gap is a dead letter replayed or dropped.
        if let Ok(m) = stream.get_raw_message(sequence).await {
            out.push(Parked {
                sequence,
                headers: m.headers,
                payload: m.payload,
            });
        }
    }
    Ok(out)
}

/// Waits (20 s at most) for a dead letter of `event_id` parked by
/// `consumer` and not in `except`.
async fn wait_parked(
    mesh: &TestMesh,
    event_id: Uuid,
    consumer: &str,
    except: &[u64],
) -> anyhow::Result<Parked> {
    for _ in 0..200 {
        if let Some(p) = parked(mesh).await?.into_iter().find(|p| {
            p.header("Mesh-Event-Id") == event_id.to_string()
                && p.header("Mesh-Consumer") == consumer
                && !except.contains(&p.sequence)
        }) {
            return Ok(p);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no dead letter of {event_id} from {consumer} within 20 s")
}

/// Runs complaintctl against this mesh's NATS; returns its stdout, or
/// fails with its stderr.
async fn ctl(mesh: &TestMesh, args: &[&str]) -> anyhow::Result<String> {
    let (ok, stdout, stderr) = ctl_status(mesh, args).await?;
    ensure!(ok, "complaintctl {args:?} failed:\n{stderr}");
    Ok(stdout)
}

async fn ctl_status(mesh: &TestMesh, args: &[&str]) -> anyhow::Result<(bool, String, String)> {
    let out = tokio::process::Command::new(bin_dir()?.join("complaintctl"))
        .args(args)
        .env("COMPLAINTCTL__NATS__URL", nats_url())
        .env("COMPLAINTCTL__NATS__PREFIX", &mesh.prefix)
        .env("COMPLAINTCTL__UTC_OFFSET", "+08:00")
        .output()
        .await
        .context("running complaintctl (cargo build --workspace --bins first)")?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// `dead-letters list --json`.
async fn listed(mesh: &TestMesh, service: Option<&str>) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut args = vec!["dead-letters", "list", "--json"];
    if let Some(service) = service {
        args.extend(["--service", service]);
    }
    let out = ctl(mesh, &args).await?;
    match serde_json::from_str(&out).with_context(|| format!("not JSON: {out}"))? {
        serde_json::Value::Array(items) => Ok(items),
        other => bail!("not a JSON array: {other}"),
    }
}

/// Waits (20 s at most) until `durable` on `stream` exists and has
/// acknowledged every message of its stream so far. A service that
/// started before the stream was declared creates its consumer on its
/// next attempt, a second later, so a missing consumer is waited for too.
async fn settled(mesh: &TestMesh, stream: &str, durable: &str) -> anyhow::Result<()> {
    let s = mesh.stream_ready(stream).await?;
    let mut last = String::from("never asked");
    for _ in 0..200 {
        match s.get_consumer::<pull::Config>(durable).await {
            Ok(mut consumer) => {
                let info = consumer.info().await?;
                if info.num_pending == 0 && info.num_ack_pending == 0 {
                    return Ok(());
                }
                last = format!(
                    "{} pending, {} unacknowledged",
                    info.num_pending, info.num_ack_pending
                );
            }
            Err(e) => last = format!("consumer: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{durable} on {stream} did not catch up within 20 s ({last})")
}

async fn poison(mesh: &TestMesh) -> anyhow::Result<()> {
    // Garbage on a subject triage (and reporting) read, under a valid id.
    let poison_id = Uuid::now_v7();
    let subject = mesh.subject("intake.v1.case_registered");
    mesh.js
        .send_publish(
            subject.clone(),
            PublishMessage::build()
                .payload(bytes::Bytes::from_static(b"\xff\xff\xff\xff not protobuf"))
                .message_id(poison_id.to_string()),
        )
        .await?
        .await?;

    let triage = wait_parked(mesh, poison_id, "triage", &[]).await?;
    ensure!(
        triage.header("Mesh-Dead-Reason").contains("decode"),
        "reason: {:?}",
        triage.header("Mesh-Dead-Reason")
    );
    ensure!(triage.header("Mesh-Original-Subject") == subject);

    // It blocks nothing: a complaint after it is registered, routed, queued.
    submit_and_wait(
        mesh,
        complaint("dl-1", "小区停水两天了，自来水一直没来", "north"),
    )
    .await?;

    // complaintctl lists it, in JSON and as a table, and shows it.
    let items = listed(mesh, Some("triage")).await?;
    let item = items
        .iter()
        .find(|i| i["event_id"] == poison_id.to_string())
        .with_context(|| format!("not listed: {items:?}"))?;
    ensure!(item["sequence"] == triage.sequence, "{item}");
    ensure!(
        item["service"] == "triage" && item["consumer"] == "triage",
        "{item}"
    );
    ensure!(item["subject"] == "intake.v1.case_registered", "{item}");
    ensure!(item["payload_bytes"] == triage.payload.len(), "{item}");
    ensure!(
        item["reason"]
            .as_str()
            .is_some_and(|r| r.contains("decode")),
        "{item}"
    );
    let table = ctl(mesh, &["dead-letters", "list"]).await?;
    ensure!(
        table.contains(&poison_id.to_string()) && table.contains("intake.v1.case_registered"),
        "{table}"
    );
    let seq = triage.sequence.to_string();
    let shown = ctl(mesh, &["dead-letters", "show", &seq]).await?;
    ensure!(shown.contains("not a CaseRegistered"), "{shown}");
    ensure!(shown.contains("Mesh-Dead-Reason: "), "{shown}");

    // Replayed, it fails again for triage and is parked again: by triage
    // only, since the copy is for triage (reporting, which parked the
    // original too, skips it).
    // Reporting must have parked the original first, or its late copy
    // would be counted as a replay it handled.
    wait_parked(mesh, poison_id, "reporting", &[]).await?;
    let reporting_before = parked(mesh)
        .await?
        .iter()
        .filter(|p| p.header("Mesh-Consumer") == "reporting")
        .count();
    let out = ctl(mesh, &["dead-letters", "replay", &seq]).await?;
    ensure!(out.contains(&format!("replayed {seq}")), "{out}");
    let again = wait_parked(mesh, poison_id, "triage", &[triage.sequence]).await?;
    ensure!(
        again
            .header("Nats-Msg-Id")
            .starts_with(&format!("{poison_id}:replay:{seq}")),
        "{}",
        again.header("Nats-Msg-Id")
    );
    settled(mesh, "INTAKE", "reporting").await?;
    let now = parked(mesh).await?;
    ensure!(
        !now.iter().any(|p| p.sequence == triage.sequence),
        "the replayed dead letter is still there"
    );
    ensure!(
        now.iter()
            .filter(|p| p.header("Mesh-Consumer") == "reporting")
            .count()
            == reporting_before,
        "reporting handled a replay meant for triage"
    );

    // Dropped after inspection: gone.
    let mine: Vec<String> = now
        .iter()
        .filter(|p| p.header("Mesh-Event-Id") == poison_id.to_string())
        .map(|p| p.sequence.to_string())
        .collect();
    ensure!(mine.len() == 2, "triage's again and reporting's: {mine:?}");
    let mut args = vec!["dead-letters", "drop"];
    args.extend(mine.iter().map(String::as_str));
    ctl(mesh, &args).await?;
    ensure!(
        !listed(mesh, None)
            .await?
            .iter()
            .any(|i| i["event_id"] == poison_id.to_string()),
        "dropped dead letters are still listed"
    );
    Ok(())
}

/// The sample network with one more heating station in the east, which
/// now takes the east's heating complaints.
fn network_with_new_department() -> anyhow::Result<String> {
    let original = std::fs::read_to_string(repo_root().join("deploy/network/sample-city.toml"))?;
    let route = "category = \"heating\"\nregion = \"east\"\ndepartment = \"east-heat\"\n";
    ensure!(
        original.contains(route),
        "the sample network's east heating route changed"
    );
    Ok(format!(
        "{}\n[[departments]]\ncode = \"east-heat-s3\"\nname = \"东城区供热分公司第三供热所\"\nparent = \"east-heat\"\nphone = \"0000-12345113\"\n",
        original.replace(
            route,
            "category = \"heating\"\nregion = \"east\"\ndepartment = \"east-heat-s3\"\n"
        )
    ))
}

async fn count(db: &mut PgConnection, sql: &str, case_number: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(case_number)
        .fetch_one(db)
        .await?)
}

const ORDERS: &str = "SELECT count(*) FROM dispatch.work_orders WHERE case_number = $1";
const ROUTED_IN_TIMELINE: &str =
    "SELECT count(*) FROM intake.timeline t JOIN intake.cases c USING (case_id) \
     WHERE c.case_number = $1 AND t.source = 'triage' AND t.event = 'routed'";

/// Dispatch made one work order of the case, and intake's timeline
/// recorded its routing once.
async fn exactly_once(db: &mut PgConnection, case_number: &str) -> anyhow::Result<()> {
    let orders = count(db, ORDERS, case_number).await?;
    let routed = count(db, ROUTED_IN_TIMELINE, case_number).await?;
    ensure!(
        (orders, routed) == (1, 1),
        "work orders {orders}, routings in intake's timeline {routed}: each must be 1"
    );
    Ok(())
}

async fn replay_after_fix(mesh: &mut TestMesh, dir: &std::path::Path) -> anyhow::Result<()> {
    let file = dir.join("network.toml");
    std::fs::write(&file, network_with_new_department()?)?;
    let file = file.to_str().context("temp path")?.to_owned();

    // The network file gained a department; triage was restarted with it,
    // dispatch not yet: dispatch rejects the case triage routes there.
    mesh.kill("triage").await?;
    mesh.restart_with("triage", &[("MESH__NETWORK__FILE", &file)])
        .await?;
    let reply = IntakeClient::new(mesh.channel("intake").await?)
        .submit_complaint(complaint("dl-2", "我家暖气片冰凉，室温只有十二度", "east"))
        .await?
        .into_inner();
    let case_number = reply.case_number;

    let mut db = PgConnection::connect(&mesh.database_url).await?;
    let event_id: Uuid = {
        let mut found = None;
        for _ in 0..200 {
            let p = parked(mesh).await?;
            if let Some(p) = p.iter().find(|p| {
                p.header("Mesh-Consumer") == "dispatch"
                    && p.header("Mesh-Original-Subject") == mesh.subject("triage.v1.case_routed")
            }) {
                found = Some(p.header("Mesh-Event-Id").parse()?);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        found.context("dispatch parked no case_routed within 20 s")?
    };
    let dead = wait_parked(mesh, event_id, "dispatch", &[]).await?;
    ensure!(
        dead.header("Mesh-Dead-Reason").contains("east-heat-s3"),
        "reason: {:?}",
        dead.header("Mesh-Dead-Reason")
    );
    let items = listed(mesh, Some("dispatch")).await?;
    ensure!(
        items
            .iter()
            .any(|i| i["sequence"] == dead.sequence && i["event_id"] == event_id.to_string()),
        "{items:?}"
    );
    ensure!(count(&mut db, ORDERS, &case_number).await? == 0);

    // The fix: dispatch restarted with the new network file. Then replay.
    mesh.kill("dispatch").await?;
    mesh.restart_with("dispatch", &[("MESH__NETWORK__FILE", &file)])
        .await?;
    let seq = dead.sequence.to_string();
    let out = ctl(mesh, &["dead-letters", "replay", &seq]).await?;
    ensure!(
        out.contains(&format!(
            "replayed {seq}: triage.v1.case_routed event {event_id} for dispatch"
        )),
        "{out}"
    );

    // Dispatch queues the order, once.
    let mut dispatch = DispatchClient::new(mesh.channel("dispatch").await?);
    let mut holder = None;
    for _ in 0..150 {
        if let Ok(order) = dispatch
            .get_order(GetOrderRequest {
                case_number: case_number.clone(),
            })
            .await
        {
            holder = order.into_inner().order.map(|w| w.holder);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(
        holder.as_deref() == Some("east-heat-s3"),
        "no order for the replayed case: {holder:?}"
    );
    for (stream, durable) in [
        ("TRIAGE", "dispatch"),
        ("TRIAGE", "intake-timeline"),
        ("TRIAGE", "reporting"),
    ] {
        settled(mesh, stream, durable).await?;
    }
    exactly_once(&mut db, &case_number).await?;

    // The dead letter is gone, and naming it again is an error.
    ensure!(
        !listed(mesh, None)
            .await?
            .iter()
            .any(|i| i["sequence"] == dead.sequence),
        "the replayed dead letter is still listed"
    );
    let (ok, _, stderr) = ctl_status(mesh, &["dead-letters", "replay", &seq]).await?;
    ensure!(
        !ok && stderr.contains(&format!("no dead letter {seq}")),
        "{stderr}"
    );

    // A second replay of the same event (say complaintctl stopped after
    // the broker stored the copy, before it deleted the dead letter):
    // the event is parked again as it was and replayed again. Nothing
    // changes.
    let mut copy = PublishMessage::build()
        .payload(dead.payload.clone())
        .message_id(format!("{}:again", dead.header("Nats-Msg-Id")));
    for (name, values) in dead.headers.iter() {
        if name.to_string() != "Nats-Msg-Id" {
            for value in values {
                copy = copy.header(name.to_string(), value.as_str());
            }
        }
    }
    let again = mesh
        .js
        .send_publish(mesh.subject("deadletter.v1.dispatch"), copy)
        .await?
        .await?
        .sequence
        .to_string();
    let out = ctl(
        mesh,
        &["dead-letters", "replay", "--all", "--service", "dispatch"],
    )
    .await?;
    ensure!(out.contains(&format!("replayed {again}: ")), "{out}");
    for (stream, durable) in [
        ("TRIAGE", "dispatch"),
        ("TRIAGE", "intake-timeline"),
        ("TRIAGE", "reporting"),
    ] {
        settled(mesh, stream, durable).await?;
    }
    exactly_once(&mut db, &case_number).await?;
    ensure!(
        listed(mesh, Some("dispatch")).await?.is_empty(),
        "dispatch parked something again"
    );
    let queued = mesh
        .stream_messages("DISPATCH")
        .await?
        .into_iter()
        .filter(|(subject, _)| subject == &mesh.subject("dispatch.v1.orders.east-heat-s3"))
        .count();
    ensure!(queued == 1, "{queued} orders on east-heat-s3's queue");

    // Reporting's check against the raw streams does not count the
    // replayed copies.
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).context("offset")?)
        .date_naive()
        .to_string();
    let verify = ReportingClient::new(mesh.channel("reporting").await?)
        .verify_report(GetReportRequest {
            period: ReportPeriod::Monthly as i32,
            date: today,
            department: String::new(),
        })
        .await?
        .into_inner();
    ensure!(verify.equal, "{:?}", verify.differences);
    Ok(())
}
