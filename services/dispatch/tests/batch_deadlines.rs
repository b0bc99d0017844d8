//! Dispatch's batch of routed cases asks the deadline-watcher for its
//! deadlines with one `ComputeDeadlines` call, against the real Postgres
//! (`MESH_TEST_DATABASE_URL`, default the machine's) and a deadline-watcher
//! stand-in that answers with the real policy and calendar
//! (`mesh_deadline_watcher::compute`) and counts the calls:
//! - a batch is one call, with the orders' requests in stream order (a
//!   case that joins an incident asks for none), and every order gets the
//!   deadline deadline-watcher gives for it alone;
//! - a batch larger than the cap is one call per 128 orders;
//! - an event handled alone still asks with `ComputeDeadline`;
//! - an answer with too few deadlines, or a watcher without the batch call,
//!   fails the batch (to be retried one event at a time) and writes
//!   nothing.
//!
//! Each test works in a database of its own, dropped at the end.

use anyhow::{ensure, Context};
use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use complaints_proto::v1::deadlines_client::DeadlinesClient;
use complaints_proto::v1::deadlines_server::{Deadlines as DeadlinesApi, DeadlinesServer};
use complaints_proto::v1::triage_client::TriageClient;
use complaints_proto::v1::{
    CaseRouted, ComputeDeadlineRequest, ComputeDeadlineResponse, ComputeDeadlinesRequest,
    ComputeDeadlinesResponse, DeadlineAlert, DeadlineKind, EventHeader, HandlingMode, Incident,
    Kind, ListDeadlinesRequest, ListDeadlinesResponse, Severity, ShiftDeadlineRequest,
    ShiftDeadlineResponse, WatchAlertsRequest,
};
use mesh_deadline_watcher::calendar::WorkCalendar;
use mesh_deadline_watcher::compute;
use mesh_deadline_watcher::deadlines::Deadlines;
use mesh_deadline_watcher::policy::Policy;
use mesh_dispatch::engine::Engine;
use mesh_dispatch::routed::RoutedHandler;
use mesh_kit::consumer::{Delivery, HandleError, Handler};
use mesh_kit::network::Network;
use mesh_kit::testing::ScratchDatabase;
use mesh_kit::time::to_proto;
use mesh_kit::{events, Shutdown, Subjects};
use prost::Message;
use sqlx::migrate::Migrator;
use sqlx::{PgPool, Row};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tonic::transport::Endpoint;
use tonic::{Request, Response, Status};
use uuid::Uuid;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn deadlines() -> anyhow::Result<Deadlines> {
    Ok(Deadlines {
        policy: Policy::load(&repo("deploy/policy/deadlines.toml"))?,
        calendar: WorkCalendar::load(&repo("deploy/calendar/cn.toml"))?,
        offset: FixedOffset::east_opt(8 * 3600).context("offset")?,
    })
}

/// How the stand-in answers `ComputeDeadlines`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// As deadline-watcher does.
    Right,
    /// One deadline short.
    Short,
    /// `UNIMPLEMENTED`, as a deadline-watcher older than the batch call.
    Old,
}

/// The deadline-watcher's computing calls, with the real policy, counted.
#[derive(Clone)]
struct StandIn(Arc<Calls>);

struct Calls {
    deadlines: Deadlines,
    answer: Answer,
    /// `ComputeDeadline` calls.
    single: AtomicUsize,
    /// The size of each `ComputeDeadlines` call, in order.
    batches: Mutex<Vec<usize>>,
}

type AlertStream = Pin<Box<dyn futures::Stream<Item = Result<DeadlineAlert, Status>> + Send>>;

#[tonic::async_trait]
impl DeadlinesApi for StandIn {
    type WatchAlertsStream = AlertStream;

    async fn compute_deadline(
        &self,
        request: Request<ComputeDeadlineRequest>,
    ) -> Result<Response<ComputeDeadlineResponse>, Status> {
        self.0.single.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(compute::one(
            &self.0.deadlines,
            request.get_ref(),
        )?))
    }

    async fn compute_deadlines(
        &self,
        request: Request<ComputeDeadlinesRequest>,
    ) -> Result<Response<ComputeDeadlinesResponse>, Status> {
        let calls = &self.0;
        if calls.answer == Answer::Old {
            return Err(Status::unimplemented("no ComputeDeadlines here"));
        }
        calls
            .batches
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .push(request.get_ref().requests.len());
        let mut answer = compute::many(&calls.deadlines, request.get_ref())?;
        if calls.answer == Answer::Short {
            answer.responses.pop();
        }
        Ok(Response::new(answer))
    }

    async fn list_deadlines(
        &self,
        _: Request<ListDeadlinesRequest>,
    ) -> Result<Response<ListDeadlinesResponse>, Status> {
        Err(Status::unimplemented("not in this test"))
    }

    async fn shift_deadline(
        &self,
        _: Request<ShiftDeadlineRequest>,
    ) -> Result<Response<ShiftDeadlineResponse>, Status> {
        Err(Status::unimplemented("not in this test"))
    }

    async fn watch_alerts(
        &self,
        _: Request<WatchAlertsRequest>,
    ) -> Result<Response<AlertStream>, Status> {
        Err(Status::unimplemented("not in this test"))
    }
}

/// Dispatch's routed-case handler against a stand-in, in a database of its
/// own.
struct World {
    db: ScratchDatabase,
    pool: PgPool,
    handler: RoutedHandler,
    stand_in: Arc<Calls>,
    shutdown: Shutdown,
}

impl World {
    async fn start(answer: Answer) -> anyhow::Result<Self> {
        let db = ScratchDatabase::create("dispatch_deadlines").await?;
        let pool = db.schema("dispatch", &MIGRATOR, 4).await?;
        let stand_in = Arc::new(Calls {
            deadlines: deadlines()?,
            answer,
            single: AtomicUsize::new(0),
            batches: Mutex::new(Vec::new()),
        });
        let listener = mesh_kit::grpc::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shutdown = Shutdown::new();
        let router = tonic::transport::Server::builder()
            .add_service(DeadlinesServer::new(StandIn(stand_in.clone())));
        tokio::spawn(mesh_kit::grpc::serve(router, listener, shutdown.clone()));
        let channel = Endpoint::from_shared(url)?.connect_lazy();
        let handler = RoutedHandler {
            engine: Engine {
                network: Arc::new(Network::load(&repo("deploy/network/sample-city.toml"))?),
                subjects: Subjects::new("dltest"),
                deadlines: DeadlinesClient::new(channel),
                // Never asked: a reroute is not part of this test.
                triage: TriageClient::new(
                    Endpoint::from_static("http://127.0.0.1:9").connect_lazy(),
                ),
            },
        };
        Ok(Self {
            db,
            pool,
            handler,
            stand_in,
            shutdown,
        })
    }

    /// Handles `deliveries` as one batch in one transaction, committed if
    /// it succeeds.
    async fn batch(&self, deliveries: &[Delivery]) -> Result<(), HandleError> {
        let mut tx = self.pool.begin().await?;
        let refs: Vec<&Delivery> = deliveries.iter().collect();
        self.handler.handle_batch(&mut tx, &refs).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn alone(&self, delivery: &Delivery) -> Result<(), HandleError> {
        let mut tx = self.pool.begin().await?;
        self.handler.handle(&mut tx, delivery).await?;
        tx.commit().await?;
        Ok(())
    }

    fn singles(&self) -> usize {
        self.stand_in.single.load(Ordering::SeqCst)
    }

    fn batches(&self) -> Vec<usize> {
        self.stand_in
            .batches
            .lock()
            .map(|b| b.clone())
            .unwrap_or_default()
    }

    /// Each stored order: case number, mode, kind, severity, handed over,
    /// due, rule, working days.
    async fn orders(&self) -> anyhow::Result<Vec<Stored>> {
        let rows = sqlx::query(
            "SELECT case_number, mode, kind, severity, assigned_at, due_at, deadline_rule, \
             base_working_days FROM work_orders ORDER BY case_number",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Stored {
                    case_number: r.try_get(0)?,
                    request: ComputeDeadlineRequest {
                        deadline_kind: DeadlineKind::Conclusion as i32,
                        mode: r.try_get(1)?,
                        kind: r.try_get(2)?,
                        severity: r.try_get(3)?,
                        start: Some(to_proto(r.try_get::<DateTime<Utc>, _>(4)?)),
                    },
                    assigned_at: r.try_get(4)?,
                    due_at: r.try_get(5)?,
                    rule: r.try_get(6)?,
                    working_days: r.try_get(7)?,
                })
            })
            .collect()
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        self.pool.close().await;
        self.db.drop_it().await
    }
}

/// A stored order and the request its deadline answers.
struct Stored {
    case_number: String,
    request: ComputeDeadlineRequest,
    assigned_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    rule: String,
    working_days: i32,
}

const MODES: [HandlingMode; 3] = [
    HandlingMode::Transferred,
    HandlingMode::Assigned,
    HandlingMode::Direct,
];
const KINDS: [Kind; 3] = [Kind::Complaint, Kind::Inquiry, Kind::Suggestion];
const SEVERITIES: [Severity; 2] = [Severity::General, Severity::Major];
const DEPARTMENTS: [&str; 4] = ["east-heat", "west-housing", "water-north", "gas"];

fn case_number(n: usize) -> String {
    format!("2026-11-{n:06}")
}

fn delivery(routed: CaseRouted) -> Delivery {
    Delivery {
        event_id: Uuid::now_v7(),
        subject: events::triage::CASE_ROUTED.into(),
        payload: routed.encode_to_vec().into(),
        delivered: 1,
        span: tracing::Span::none(),
    }
}

/// The `n`th routed case: mode, kind and severity vary with `n`, so a
/// deadline given to the wrong order would show.
fn routed(n: usize) -> Delivery {
    delivery(CaseRouted {
        header: Some(EventHeader {
            event_id: Uuid::now_v7().to_string(),
            case_id: Uuid::now_v7().to_string(),
            case_number: case_number(n),
            at: Some(to_proto(Utc::now())),
        }),
        kind: KINDS[n % KINDS.len()] as i32,
        category: "heating".into(),
        severity: SEVERITIES[(n / 3) % SEVERITIES.len()] as i32,
        region: "east".into(),
        department: DEPARTMENTS[n % DEPARTMENTS.len()].into(),
        mode: MODES[(n / 2) % MODES.len()] as i32,
        reasons: vec!["test".into()],
        summary: format!("case {n}"),
        received_at: Some(to_proto(Utc::now())),
        ..Default::default()
    })
}

/// Case `n` joins the incident led by case `lead` (no order of its own).
fn joins(n: usize, lead: usize) -> Delivery {
    let mut event = CaseRouted::decode(routed(n).payload).expect("own encoding");
    event.incident = Some(Incident {
        incident_id: Uuid::now_v7().to_string(),
        lead_case_id: Uuid::now_v7().to_string(),
        lead_case_number: case_number(lead),
        merged_case_numbers: Vec::new(),
        size: 2,
    });
    delivery(event)
}

/// Every stored order has the deadline deadline-watcher gives for it alone.
fn check_deadlines(stored: &[Stored], d: &Deadlines) -> anyhow::Result<()> {
    for order in stored {
        let want = compute::one(d, &order.request)?;
        ensure!(
            Some(to_proto(order.due_at)) == want.due_at
                && order.rule == want.rule
                && u32::try_from(order.working_days)? == want.working_days,
            "{}: due {} by {:?} ({} days), deadline-watcher says {:?} by {:?} ({} days)",
            order.case_number,
            order.due_at,
            order.rule,
            order.working_days,
            want.due_at,
            want.rule,
            want.working_days
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_asks_for_its_deadlines_with_one_call() -> anyhow::Result<()> {
    let world = World::start(Answer::Right).await?;
    let result = async {
        // 40 cases; case 17 joins the incident led by case 3.
        let deliveries: Vec<Delivery> = (0..40)
            .map(|n| if n == 17 { joins(n, 3) } else { routed(n) })
            .collect();
        let before = Utc::now().trunc_subsecs(6);
        world.batch(&deliveries).await?;
        ensure!(
            world.batches() == vec![39],
            "ComputeDeadlines calls (sizes): {:?}, want one of 39",
            world.batches()
        );
        ensure!(
            world.singles() == 0,
            "{} ComputeDeadline calls",
            world.singles()
        );

        let stored = world.orders().await?;
        ensure!(stored.len() == 39, "{} orders stored", stored.len());
        ensure!(
            !stored.iter().any(|o| o.case_number == case_number(17)),
            "the case that joined an incident got an order"
        );
        for order in &stored {
            ensure!(
                order.assigned_at >= before,
                "{} handed over before the batch",
                order.case_number
            );
        }
        check_deadlines(&stored, &world.stand_in.deadlines)?;
        let rules: std::collections::BTreeSet<&str> =
            stored.iter().map(|o| o.rule.as_str()).collect();
        ensure!(
            rules.len() >= 4,
            "too few different rules to tell orders apart: {rules:?}"
        );

        // One event alone asks with the single call.
        world.alone(&routed(40)).await?;
        ensure!(
            world.singles() == 1,
            "{} ComputeDeadline calls",
            world.singles()
        );
        ensure!(
            world.batches().len() == 1,
            "a lone event used the batch call"
        );
        check_deadlines(&world.orders().await?, &world.stand_in.deadlines)
    }
    .await;
    world.stop().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_the_cap_is_asked_in_pieces() -> anyhow::Result<()> {
    let world = World::start(Answer::Right).await?;
    let result = async {
        let deliveries: Vec<Delivery> = (0..300).map(routed).collect();
        world.batch(&deliveries).await?;
        ensure!(
            world.batches() == vec![128, 128, 44],
            "ComputeDeadlines calls (sizes): {:?}",
            world.batches()
        );
        let stored = world.orders().await?;
        ensure!(stored.len() == 300, "{} orders stored", stored.len());
        check_deadlines(&stored, &world.stand_in.deadlines)
    }
    .await;
    world.stop().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_answer_or_an_older_watcher_fails_the_batch_and_writes_nothing(
) -> anyhow::Result<()> {
    for answer in [Answer::Short, Answer::Old] {
        let world = World::start(answer).await?;
        let result = async {
            let deliveries: Vec<Delivery> = (0..5).map(routed).collect();
            match world.batch(&deliveries).await {
                Err(HandleError::Retry(err)) => {
                    let message = format!("{err:#}");
                    ensure!(message.contains("deadline-watcher"), "{message}");
                }
                other => anyhow::bail!("{answer:?}: the batch gave {other:?}, want a retry"),
            }
            ensure!(
                world.orders().await?.is_empty(),
                "{answer:?}: orders written"
            );
            // What the runner does next: each event alone.
            for d in &deliveries {
                world.alone(d).await?;
            }
            ensure!(
                world.singles() == 5,
                "{} ComputeDeadline calls",
                world.singles()
            );
            check_deadlines(&world.orders().await?, &world.stand_in.deadlines)
        }
        .await;
        world.stop().await?;
        result?;
    }
    Ok(())
}
