//! Group commit for `SubmitComplaint`: submissions that arrive together
//! are registered in one transaction.
//!
//! Each gRPC call puts its complaint on a bounded queue ([`Registrar`])
//! and waits for the answer. A few writer tasks ([`Writers`]) take from
//! it: each takes what is waiting, up to `max_batch`, and registers it in
//! one transaction ([`Registry::register_batch`]): the idempotency keys are
//! looked up at once, the case numbers drawn at once, and the cases,
//! complainants, first timeline entries and `CaseRegistered` events go in
//! with one statement per table; one commit, then every caller is
//! answered. Nothing waits to fill a batch: a lone call is taken at once,
//! and calls group only while a commit is in flight.
//!
//! The answers are those of registering each submission alone, in arrival
//! order ([`Registry::register_alone`], the single path):
//!
//! - a key already registered is answered with its case (`replayed`); a
//!   key twice in one batch registers one case, and the second is answered
//!   as its replay;
//! - when the batch's transaction fails (a concurrent submission with the
//!   same key, on another writer or replica, wins the unique index), it is
//!   rolled back and each of its submissions is registered alone, in
//!   order: one bad submission costs the others nothing;
//! - when Postgres cannot be reached (the pool's timeout, a lost
//!   connection), each is answered `UNAVAILABLE`, as it would be alone,
//!   rather than each waiting the pool's timeout again in turn; and once a
//!   writer has found Postgres unreachable, the next batch waits for a
//!   connection only until its oldest submission has waited the pool's
//!   acquire timeout (5 s) since it was queued, so a caller queued behind
//!   a writer that was itself waiting for Postgres waits no longer than
//!   alone.
//!
//! A caller that goes away does not cancel its registration once a writer
//! has taken it: the case is committed or not, whole, and submitting again
//! with the same key replays it. A submission whose caller went away
//! before a writer took it is dropped unwritten.
//!
//! Every event keeps its caller's trace: the caller's `traceparent` is
//! taken with the complaint and written to its outbox row.

use crate::case_number;
use crate::complainant_key::KeyMaker;
use crate::complaint::NewComplaint;
use crate::error::{IntakeError, STORAGE_UNAVAILABLE};
use crate::mask;
use crate::store::{self, NewCase, Registered};
use chrono::{DateTime, FixedOffset, Utc};
use complaints_proto::v1::CaseRegistered;
use mesh_kit::events;
use mesh_kit::outbox::{self, OutboxWaker, Outgoing};
use mesh_kit::time::to_proto;
use mesh_kit::{Shutdown, Subjects};
use sqlx::{Connection, PgPool};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::time::Instant;
use tracing::Instrument;
use uuid::Uuid;

/// A registration's answer: the case, and whether it was registered
/// before (`replayed`).
pub type Answer = Result<(Registered, bool), IntakeError>;

/// How submissions are grouped.
#[derive(Debug, Clone, Copy)]
pub struct RegistrarSettings {
    /// Writer tasks, each with its own transaction (and connection).
    pub writers: usize,
    /// Most submissions in one transaction.
    pub max_batch: usize,
    /// Submissions that may wait for a writer; more callers wait to queue.
    /// Intake sets it to its admission limit, so nobody waits here.
    pub queue: usize,
}

/// What registering a complaint needs, alone or with others.
#[derive(Clone)]
pub struct Registry {
    pub pool: PgPool,
    /// The jurisdiction's offset: the month of a case number.
    pub offset: FixedOffset,
    pub subjects: Subjects,
    pub outbox: OutboxWaker,
    pub keys: KeyMaker,
}

/// One submission waiting for a writer.
struct Job {
    complaint: NewComplaint,
    /// The caller's trace context, for its outbox row.
    traceparent: Option<String>,
    /// The caller's span: the single path runs in it, and the case number
    /// is recorded on it.
    span: tracing::Span,
    /// When the caller queued it: it waits for a database connection no
    /// longer from then than it would alone (the pool's acquire timeout).
    queued_at: Instant,
    reply: oneshot::Sender<Answer>,
}

/// Hands submissions to the writers; cloned into every gRPC handler.
#[derive(Clone)]
pub struct Registrar {
    queue: mpsc::Sender<Job>,
}

/// The writer tasks, ready to run ([`Writers::run`]).
pub struct Writers {
    registry: Registry,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
    settings: RegistrarSettings,
}

/// Whether the writers' last attempt found Postgres unreachable; shared
/// by the writers.
type Down = Arc<AtomicBool>;

impl Registrar {
    /// A registrar and the writers that serve it.
    pub fn new(registry: Registry, settings: RegistrarSettings) -> (Self, Writers) {
        let settings = RegistrarSettings {
            writers: settings.writers.max(1),
            max_batch: settings.max_batch.max(1),
            queue: settings.queue.max(1),
        };
        let (tx, rx) = mpsc::channel(settings.queue);
        let writers = Writers {
            registry,
            queue: Arc::new(Mutex::new(rx)),
            settings,
        };
        (Self { queue: tx }, writers)
    }

    /// Registers a complaint together with whatever else arrives meanwhile;
    /// answers as registering it alone would.
    #[tracing::instrument(name = "register", skip_all, fields(case_number = tracing::field::Empty))]
    pub async fn register(&self, complaint: NewComplaint) -> Answer {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            complaint,
            traceparent: mesh_kit::telemetry::current_traceparent(),
            span: tracing::Span::current(),
            queued_at: Instant::now(),
            reply,
        };
        let stopping = || IntakeError::Unavailable("intake is stopping".into());
        self.queue.send(job).await.map_err(|_| stopping())?;
        answer.await.map_err(|_| stopping())?
    }
}

impl Writers {
    /// Runs the writers until every [`Registrar`] is gone or `no_more`
    /// is triggered (intake triggers it once its gRPC server has stopped,
    /// so no caller waits any more). A writer finishes the batch it holds,
    /// and takes whatever is queued, before it stops.
    pub async fn run(self, no_more: Shutdown) -> anyhow::Result<()> {
        let mut writers = tokio::task::JoinSet::new();
        let down = Down::default();
        for _ in 0..self.settings.writers {
            writers.spawn(writer(
                self.registry.clone(),
                self.queue.clone(),
                self.settings.max_batch,
                down.clone(),
                no_more.clone(),
            ));
        }
        while let Some(done) = writers.join_next().await {
            done?;
        }
        tracing::info!("registrar stopped");
        Ok(())
    }
}

/// One writer: takes what is waiting, registers it, and again.
async fn writer(
    registry: Registry,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
    max_batch: usize,
    down: Down,
    no_more: Shutdown,
) {
    loop {
        let batch = {
            let mut queue = queue.lock().await;
            let first = tokio::select! {
                biased;
                job = queue.recv() => job,
                _ = no_more.cancelled() => None,
            };
            let Some(first) = first else { break };
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match queue.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        registry.register_jobs(batch, &down).await;
    }
}

/// What the batch does for one submission.
enum Plan {
    /// Its key was registered before the batch.
    Known(Registered),
    /// It registers the `i`th new case of the batch.
    New(usize),
    /// Its key came earlier in the batch: a replay of the `i`th new case.
    Again(usize),
}

/// Whether an error says Postgres cannot be reached (or the outcome of
/// the transaction is unknown), rather than something about the data:
/// registering each submission alone would fail the same way.
fn unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // Class 08: connection exception; 57P: the server is shutting down
        // or starting.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

impl Registry {
    /// Registers what a writer took and answers each caller. `down`: whether
    /// the writers' last attempt found Postgres unreachable; kept up to date.
    async fn register_jobs(&self, mut jobs: Vec<Job>, down: &AtomicBool) {
        // Callers that went away before a writer took them: nothing written.
        jobs.retain(|job| !job.reply.is_closed());
        if jobs.is_empty() {
            return;
        }
        let span = tracing::info_span!("register_batch", size = jobs.len());
        let complaints: Vec<(&NewComplaint, Option<&str>)> = jobs
            .iter()
            .map(|job| (&job.complaint, job.traceparent.as_deref()))
            .collect();
        // Postgres found unreachable: submissions that waited in the queue
        // behind a writer waiting for a connection are not made to wait
        // the whole timeout again.
        let connect_by = if down.load(Ordering::Relaxed) {
            jobs.iter()
                .map(|job| job.queued_at)
                .min()
                .map(|first| first + self.pool.options().get_acquire_timeout())
        } else {
            None
        };
        let batch = self
            .register_batch(&complaints, connect_by)
            .instrument(span)
            .await;
        down.store(batch.as_ref().is_err_and(unreachable), Ordering::Relaxed);
        match batch {
            Ok(answers) => {
                for (job, (case, replayed)) in jobs.into_iter().zip(answers) {
                    if !replayed {
                        job.span
                            .record("case_number", case.case_number.as_str())
                            .in_scope(
                                || tracing::info!(case_id = %case.case_id, "case registered"),
                            );
                    }
                    // A caller gone meanwhile: its case stands, and a
                    // resubmission with its key replays it.
                    let _ = job.reply.send(Ok((case, replayed)));
                }
            }
            Err(err) if unreachable(&err) => {
                tracing::error!(error = %err, size = jobs.len(), "storage error");
                for job in jobs {
                    let _ = job
                        .reply
                        .send(Err(IntakeError::Unavailable(STORAGE_UNAVAILABLE.into())));
                }
            }
            Err(err) => {
                tracing::debug!(error = %err, size = jobs.len(), "batch failed, registering its submissions one by one");
                for job in jobs {
                    if job.reply.is_closed() {
                        continue;
                    }
                    let answer = self
                        .register_alone(job.complaint)
                        .instrument(job.span)
                        .await;
                    let _ = job.reply.send(answer);
                }
            }
        }
    }

    /// Registers complaints (each with its caller's trace context) in one
    /// transaction; answers each in order as registering them alone, one
    /// after the other, would. Any error: nothing was written, unless the
    /// error says the outcome is unknown ([`unreachable`]). Without a
    /// connection by `connect_by` (or the pool's acquire timeout), fails
    /// with `PoolTimedOut`.
    pub async fn register_batch(
        &self,
        complaints: &[(&NewComplaint, Option<&str>)],
        connect_by: Option<Instant>,
    ) -> Result<Vec<(Registered, bool)>, sqlx::Error> {
        let mut conn = match connect_by {
            Some(deadline) => tokio::time::timeout_at(deadline, self.pool.acquire())
                .await
                .map_err(|_| sqlx::Error::PoolTimedOut)??,
            None => self.pool.acquire().await?,
        };
        let keys: Vec<&str> = complaints
            .iter()
            .map(|(c, _)| c.idempotency_key.as_str())
            .collect();
        let known = store::find_by_keys(&mut conn, &keys).await?;
        let mut first_of_key: HashMap<&str, usize> = HashMap::new();
        let mut fresh: Vec<usize> = Vec::new();
        let mut plans = Vec::with_capacity(complaints.len());
        for (i, (complaint, _)) in complaints.iter().enumerate() {
            let key = complaint.idempotency_key.as_str();
            let plan = if let Some(case) = known.get(key) {
                Plan::Known(case.clone())
            } else if let Some(&n) = first_of_key.get(key) {
                Plan::Again(n)
            } else {
                first_of_key.insert(key, fresh.len());
                fresh.push(i);
                Plan::New(fresh.len() - 1)
            };
            plans.push(plan);
        }

        let mut cases = Vec::with_capacity(fresh.len());
        if !fresh.is_empty() {
            let received_at = Utc::now();
            let numbers =
                case_number::draw(&mut conn, received_at, self.offset, fresh.len()).await?;
            if numbers.len() != fresh.len() {
                return Err(sqlx::Error::Protocol(format!(
                    "drew {} case numbers for {} cases",
                    numbers.len(),
                    fresh.len()
                )));
            }
            cases = numbers
                .into_iter()
                .map(|case_number| Registered {
                    case_id: Uuid::now_v7(),
                    case_number,
                    query_code: case_number::new_query_code(),
                })
                .collect();
            let mut rows = Vec::with_capacity(fresh.len());
            let mut outgoing = Vec::with_capacity(fresh.len());
            let subject = self.subjects.subject(events::intake::CASE_REGISTERED);
            for (case, &i) in cases.iter().zip(&fresh) {
                let (complaint, traceparent) = complaints[i];
                let event_id = Uuid::now_v7();
                let event = self.announcement(case, complaint, received_at, event_id);
                outgoing.push((
                    Outgoing::new(subject.clone(), event_id, &event),
                    traceparent.map(str::to_owned),
                ));
                rows.push((complaint, event.complainant_key));
            }
            let new_cases: Vec<NewCase<'_>> = cases
                .iter()
                .zip(&rows)
                .map(|(case, (complaint, key))| NewCase {
                    case,
                    complaint,
                    complainant_key: key,
                    received_at,
                })
                .collect();
            let mut tx = conn.begin().await?;
            store::insert_many(&mut tx, &new_cases).await?;
            outbox::enqueue_many_traced(&mut tx, outgoing).await?;
            tx.commit().await?;
            self.outbox.wake();
        }
        Ok(plans
            .into_iter()
            .filter_map(|plan| match plan {
                Plan::Known(case) => Some((case, true)),
                Plan::New(n) => cases.get(n).map(|case| (case.clone(), false)),
                Plan::Again(n) => cases.get(n).map(|case| (case.clone(), true)),
            })
            .collect())
    }

    /// Registers a complaint on its own: the case, the complainant and the
    /// `CaseRegistered` event in one transaction. A known idempotency key
    /// returns the case it registered before (`replayed`).
    #[tracing::instrument(name = "register_alone", skip_all, fields(case_number = tracing::field::Empty))]
    pub async fn register_alone(&self, complaint: NewComplaint) -> Answer {
        if let Some(earlier) = store::find_by_key(&self.pool, &complaint.idempotency_key).await? {
            return Ok((earlier, true));
        }
        let received_at = Utc::now();
        let case = Registered {
            case_id: Uuid::now_v7(),
            case_number: case_number::next(&self.pool, received_at, self.offset).await?,
            query_code: case_number::new_query_code(),
        };
        tracing::Span::current().record("case_number", case.case_number.as_str());
        let event_id = Uuid::now_v7();
        let event = self.announcement(&case, &complaint, received_at, event_id);

        let mut tx = self.pool.begin().await?;
        match store::insert(
            &mut tx,
            &case,
            &complaint,
            &event.complainant_key,
            received_at,
        )
        .await
        {
            Ok(()) => {}
            Err(err) if store::is_duplicate_key(&err) => {
                // A concurrent submission with the same key won.
                drop(tx);
                let earlier = store::find_by_key(&self.pool, &complaint.idempotency_key)
                    .await?
                    .ok_or(IntakeError::Db(err))?;
                return Ok((earlier, true));
            }
            Err(err) => return Err(err.into()),
        }
        let subject = self.subjects.subject(events::intake::CASE_REGISTERED);
        outbox::enqueue(&mut tx, &subject, event_id, &event).await?;
        tx.commit().await?;
        self.outbox.wake();
        tracing::info!(case_id = %case.case_id, "case registered");
        Ok((case, false))
    }

    /// The `CaseRegistered` event of a new case: a summary in which the
    /// complainant's name, phone and e-mail are masked, and their
    /// pseudonymous key.
    fn announcement(
        &self,
        case: &Registered,
        complaint: &NewComplaint,
        received_at: DateTime<Utc>,
        event_id: Uuid,
    ) -> CaseRegistered {
        let who = &complaint.complainant;
        let summary = |text: &str| mask::redact(text, &who.name, &who.phone, &who.email);
        CaseRegistered {
            header: Some(events::header(
                event_id,
                case.case_id,
                &case.case_number,
                received_at,
            )),
            channel: complaint.channel as i32,
            received_at: Some(to_proto(received_at)),
            matter_at: complaint.matter_at.map(to_proto),
            region: complaint.region.clone(),
            category_hint: complaint.category_hint.clone(),
            respondent: summary(&complaint.respondent),
            summary: summary(&complaint.facts),
            request: summary(&complaint.request),
            anonymous: who.anonymous,
            complainant_key: self.keys.key(&who.phone, &who.email),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::complaint::Identity;
    use crate::testing::TestDb;
    use complaints_proto::v1::Channel;
    use mesh_kit::outbox::{Relay, RelaySettings};
    use prost::Message;
    use std::collections::HashSet;
    use std::time::Duration;

    async fn test_registry(pool: &PgPool) -> anyhow::Result<Registry> {
        // The relay is never run: only its waker is needed. The client
        // connects lazily, so no NATS server is needed either.
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect("nats://127.0.0.1:4222")
            .await?;
        let relay = Relay::new(
            pool.clone(),
            async_nats::jetstream::new(client),
            RelaySettings::default(),
        );
        Ok(Registry {
            pool: pool.clone(),
            offset: FixedOffset::east_opt(8 * 3600).expect("offset"),
            subjects: Subjects::new("test"),
            outbox: relay.waker(),
            keys: KeyMaker::new(b"test secret".to_vec()),
        })
    }

    fn complaint(key: &str) -> NewComplaint {
        NewComplaint {
            idempotency_key: key.to_owned(),
            channel: Channel::Phone,
            complainant: Identity {
                anonymous: false,
                name: "张三".into(),
                phone: "13812345678".into(),
                email: String::new(),
            },
            respondent: String::new(),
            facts: format!("3号楼暖气不热 ({key})"),
            request: "尽快维修".into(),
            region: "east".into(),
            category_hint: String::new(),
            matter_at: None,
        }
    }

    fn job(key: &str, traceparent: Option<&str>) -> (Job, oneshot::Receiver<Answer>) {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            complaint: complaint(key),
            traceparent: traceparent.map(str::to_owned),
            span: tracing::Span::none(),
            queued_at: Instant::now(),
            reply,
        };
        (job, answer)
    }

    async fn count(pool: &PgPool, sql: &'static str) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar(sql).fetch_one(pool).await?)
    }

    /// Every outbox row: the case number its event announces, and its
    /// trace context.
    async fn announced(pool: &PgPool) -> anyhow::Result<Vec<(String, Option<String>)>> {
        let rows: Vec<(Vec<u8>, Option<String>)> =
            sqlx::query_as("SELECT payload, traceparent FROM outbox ORDER BY id")
                .fetch_all(pool)
                .await?;
        rows.into_iter()
            .map(|(payload, traceparent)| {
                let event = CaseRegistered::decode(payload.as_slice())?;
                let number = event.header.map(|h| h.case_number).unwrap_or_default();
                Ok((number, traceparent))
            })
            .collect()
    }

    /// The tables hold exactly the given cases, each with its complainant,
    /// its first timeline entry and one `CaseRegistered`.
    async fn holds_exactly(pool: &PgPool, numbers: &HashSet<String>) -> anyhow::Result<()> {
        let stored: HashSet<String> = sqlx::query_scalar("SELECT case_number FROM cases")
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
        assert_eq!(&stored, numbers);
        let n = numbers.len() as i64;
        assert_eq!(count(pool, "SELECT count(*) FROM complainants").await?, n);
        assert_eq!(
            count(
                pool,
                "SELECT count(*) FROM timeline WHERE event = 'registered' \
                 AND detail = 'registered as ' || (SELECT case_number FROM cases c \
                 WHERE c.case_id = timeline.case_id)"
            )
            .await?,
            n
        );
        let events: Vec<String> = announced(pool).await?.into_iter().map(|(n, _)| n).collect();
        assert_eq!(events.len(), numbers.len(), "one event per case");
        assert_eq!(&events.into_iter().collect::<HashSet<_>>(), numbers);
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_submissions_are_each_registered_once_in_few_commits() -> anyhow::Result<()>
    {
        let db = TestDb::create("registrar_many").await?;
        let result = async {
            let settings = RegistrarSettings {
                writers: 2,
                max_batch: 128,
                queue: 512,
            };
            let (registrar, writers) = Registrar::new(test_registry(&db.pool).await?, settings);
            let no_more = Shutdown::new();
            let running = tokio::spawn(writers.run(no_more.clone()));

            let submit_all = |registrar: Registrar| async move {
                let calls: Vec<_> = (0..300)
                    .map(|i| {
                        let registrar = registrar.clone();
                        tokio::spawn(async move {
                            registrar.register(complaint(&format!("k{i}"))).await
                        })
                    })
                    .collect();
                let mut answers = Vec::new();
                for call in calls {
                    answers.push(call.await??);
                }
                anyhow::Ok(answers)
            };
            let first = submit_all(registrar.clone()).await?;
            assert!(first.iter().all(|(_, replayed)| !replayed));
            let numbers: HashSet<String> =
                first.iter().map(|(c, _)| c.case_number.clone()).collect();
            assert_eq!(numbers.len(), 300, "distinct case numbers");
            holds_exactly(&db.pool, &numbers).await?;
            // Grouped: a transaction's cases share their time of receipt.
            let commits = count(&db.pool, "SELECT count(DISTINCT received_at) FROM cases").await?;
            eprintln!("300 submissions registered in {commits} transactions");
            assert!(commits < 300, "no two submissions shared a transaction");

            // Again with the same keys: every one a replay of its case.
            let again = submit_all(registrar.clone()).await?;
            for ((case, replayed), (earlier, _)) in again.iter().zip(&first) {
                assert!(replayed);
                assert_eq!(case.case_id, earlier.case_id);
                assert_eq!(case.query_code, earlier.query_code);
            }
            holds_exactly(&db.pool, &numbers).await?;

            drop(registrar);
            tokio::time::timeout(Duration::from_secs(5), running).await???;
            anyhow::Ok(())
        }
        .await;
        db.drop_it().await?;
        result
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_same_key_twice_registers_one_case_and_replays_it() -> anyhow::Result<()> {
        let db = TestDb::create("registrar_twice").await?;
        let result = async {
            let registry = test_registry(&db.pool).await?;

            // In one batch: the second is a replay of the first, and each
            // event carries its own caller's trace.
            let tp = |i: u8| format!("00-{:032x}-{:016x}-01", u128::from(i) + 1, u64::from(i) + 1);
            let (a, a2, b) = (complaint("a"), complaint("a"), complaint("b"));
            let (tp_a, tp_a2, tp_b) = (tp(1), tp(2), tp(3));
            let answers = registry
                .register_batch(
                    &[
                        (&a, Some(tp_a.as_str())),
                        (&a2, Some(tp_a2.as_str())),
                        (&b, Some(tp_b.as_str())),
                    ],
                    None,
                )
                .await?;
            let flags: Vec<bool> = answers.iter().map(|(_, r)| *r).collect();
            assert_eq!(flags, [false, true, false]);
            assert_eq!(answers[0].0.case_id, answers[1].0.case_id);
            assert_ne!(answers[0].0.case_id, answers[2].0.case_id);
            let mut events = announced(&db.pool).await?;
            events.sort();
            let mut expected = vec![
                (answers[0].0.case_number.clone(), Some(tp_a)),
                (answers[2].0.case_number.clone(), Some(tp_b)),
            ];
            expected.sort();
            assert_eq!(
                events, expected,
                "one event per case, with its caller's trace"
            );

            // Two callers at once with the same key, many times over.
            let (registrar, writers) = Registrar::new(
                registry.clone(),
                RegistrarSettings {
                    writers: 2,
                    max_batch: 128,
                    queue: 128,
                },
            );
            let running = tokio::spawn(writers.run(Shutdown::new()));
            let calls: Vec<_> = (0..40)
                .map(|i| {
                    let registrar = registrar.clone();
                    let key = format!("twice-{}", i / 2);
                    tokio::spawn(
                        async move { (key.clone(), registrar.register(complaint(&key)).await) },
                    )
                })
                .collect();
            let mut by_key: HashMap<String, Vec<(Registered, bool)>> = HashMap::new();
            for call in calls {
                let (key, answer) = call.await?;
                by_key.entry(key).or_default().push(answer?);
            }
            for (key, answers) in &by_key {
                assert_eq!(answers.len(), 2);
                assert_eq!(
                    answers[0].0.case_id, answers[1].0.case_id,
                    "{key}: one case"
                );
                assert_eq!(
                    answers.iter().filter(|(_, replayed)| *replayed).count(),
                    1,
                    "{key}: one registration, one replay"
                );
            }
            let mut numbers: HashSet<String> = by_key
                .values()
                .map(|answers| answers[0].0.case_number.clone())
                .collect();
            numbers.insert(answers[0].0.case_number.clone());
            numbers.insert(answers[2].0.case_number.clone());
            holds_exactly(&db.pool, &numbers).await?;
            drop(registrar);
            tokio::time::timeout(Duration::from_secs(5), running).await???;
            anyhow::Ok(())
        }
        .await;
        db.drop_it().await?;
        result
    }

    /// A batch whose transaction fails (here: a concurrent transaction
    /// holds one of its keys, and commits) is registered one by one, with
    /// the answers of the single path.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_batch_is_registered_one_by_one_with_the_same_answers() -> anyhow::Result<()> {
        let db = TestDb::create("registrar_fallback").await?;
        let result = async {
            let registry = test_registry(&db.pool).await?;
            let held = Registered {
                case_id: Uuid::now_v7(),
                case_number: "2026-01-999999".into(),
                query_code: "HELD2345".into(),
            };
            let mut holder = db.pool.begin().await?;
            store::insert(&mut holder, &held, &complaint("held"), "", Utc::now()).await?;

            let keys = ["a", "held", "b", "a"];
            let mut answers = Vec::new();
            let mut jobs = Vec::new();
            for key in keys {
                let (job, answer) = job(key, None);
                jobs.push(job);
                answers.push(answer);
            }
            let writing = {
                let registry = registry.clone();
                tokio::spawn(
                    async move { registry.register_jobs(jobs, &AtomicBool::new(false)).await },
                )
            };
            // The batch waits on the held key, which then turns out taken.
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(
                !writing.is_finished(),
                "the batch did not wait on the held key"
            );
            holder.commit().await?;
            tokio::time::timeout(Duration::from_secs(10), writing).await??;
            let mut got = Vec::new();
            for answer in answers {
                got.push(answer.await??);
            }

            let flags: Vec<bool> = got.iter().map(|(_, r)| *r).collect();
            assert_eq!(flags, [false, true, false, true]);
            assert_eq!(
                got[1].0.case_id, held.case_id,
                "the held key replays its case"
            );
            assert_eq!(got[1].0.case_number, held.case_number);
            assert_eq!(got[3].0.case_id, got[0].0.case_id, "a again replays a");
            assert_ne!(got[0].0.case_id, got[2].0.case_id);
            // The failed batch drew three numbers and wrote nothing; the
            // single path drew the next ones.
            let counter = |n: &str| n.rsplit('-').next().and_then(|c| c.parse::<u32>().ok());
            assert_eq!(counter(&got[0].0.case_number), Some(4));
            assert_eq!(counter(&got[2].0.case_number), Some(5));
            let numbers: HashSet<String> = [&got[0], &got[2]]
                .iter()
                .map(|(c, _)| c.case_number.clone())
                .collect();
            let events: HashSet<String> = announced(&db.pool)
                .await?
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            assert_eq!(
                events, numbers,
                "an event for each new case, none for the held one"
            );
            assert_eq!(count(&db.pool, "SELECT count(*) FROM cases").await?, 3);

            // The same submissions one by one, as before group commit, give
            // the same answers.
            let alone_pool = db.other_schema("intake_alone").await?;
            let alone = test_registry(&alone_pool).await?;
            let mut tx = alone_pool.begin().await?;
            store::insert(&mut tx, &held, &complaint("held"), "", Utc::now()).await?;
            tx.commit().await?;
            let mut one_by_one = Vec::new();
            for key in keys {
                one_by_one.push(alone.register_alone(complaint(key)).await?);
            }
            let flags_alone: Vec<bool> = one_by_one.iter().map(|(_, r)| *r).collect();
            assert_eq!(flags_alone, flags);
            assert_eq!(one_by_one[1].0.case_id, held.case_id);
            assert_eq!(one_by_one[3].0.case_id, one_by_one[0].0.case_id);
            anyhow::Ok(())
        }
        .await;
        db.drop_it().await?;
        result
    }

    #[tokio::test]
    async fn unreachable_storage_answers_every_caller_unavailable_at_once() -> anyhow::Result<()> {
        let db = TestDb::create("registrar_down").await?;
        let result = async {
            let pool = db.other_schema("intake_down").await?;
            let registry = test_registry(&pool).await?;
            pool.close().await;
            let mut answers = Vec::new();
            let mut jobs = Vec::new();
            for key in ["x", "y", "z"] {
                let (job, answer) = job(key, None);
                jobs.push(job);
                answers.push(answer);
            }
            registry.register_jobs(jobs, &AtomicBool::new(false)).await;
            let alone = tonic::Status::from(IntakeError::Db(sqlx::Error::PoolTimedOut));
            for answer in answers {
                let status = tonic::Status::from(answer.await?.expect_err("unavailable"));
                assert_eq!(status.code(), tonic::Code::Unavailable);
                assert_eq!(status.message(), alone.message(), "as the single path says");
            }
            anyhow::Ok(())
        }
        .await;
        db.drop_it().await?;
        result
    }

    /// Postgres not answering: submissions queued behind a writer waiting
    /// for a connection wait no longer, in all, than one alone would (the
    /// pool's acquire timeout), and are answered UNAVAILABLE.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_postgres_down_no_submission_waits_longer_than_alone() -> anyhow::Result<()> {
        // Nothing listens there; the pool gives up after 1 s.
        let pool = sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(Duration::from_secs(1))
            .connect_lazy("postgres://postgres@127.0.0.1:9/nowhere")?;
        let (registrar, writers) = Registrar::new(
            test_registry(&pool).await?,
            RegistrarSettings {
                writers: 1,
                max_batch: 128,
                queue: 16,
            },
        );
        let running = tokio::spawn(writers.run(Shutdown::new()));
        let started = Instant::now();
        let mut calls = Vec::new();
        for i in 0..4 {
            let registrar = registrar.clone();
            calls.push(tokio::spawn(async move {
                let answer = registrar.register(complaint(&format!("d{i}"))).await;
                (answer, started.elapsed())
            }));
            // The first is taken alone; the others queue behind it.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for call in calls {
            let (answer, took) = call.await?;
            let status = tonic::Status::from(answer.expect_err("unavailable"));
            assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
            assert!(
                took < Duration::from_millis(1600),
                "answered after {took:?}"
            );
        }
        drop(registrar);
        tokio::time::timeout(Duration::from_secs(5), running).await???;
        Ok(())
    }

    /// A submission whose caller went away before a writer took it is
    /// not written; at shutdown the writers register what was queued
    /// before they stop.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_finish_what_is_queued_and_skip_callers_gone() -> anyhow::Result<()> {
        let db = TestDb::create("registrar_stop").await?;
        let result = async {
            let (registrar, writers) = Registrar::new(
                test_registry(&db.pool).await?,
                RegistrarSettings {
                    writers: 2,
                    max_batch: 8,
                    queue: 64,
                },
            );
            let calls: Vec<_> = (0..20)
                .map(|i| {
                    let registrar = registrar.clone();
                    tokio::spawn(
                        async move { registrar.register(complaint(&format!("q{i}"))).await },
                    )
                })
                .collect();
            let gone = {
                let registrar = registrar.clone();
                tokio::spawn(async move { registrar.register(complaint("gone")).await })
            };
            // Queued, no writer running yet; then the caller of "gone" leaves.
            tokio::time::sleep(Duration::from_millis(200)).await;
            gone.abort();
            let _ = gone.await;
            let no_more = Shutdown::new();
            no_more.trigger();
            tokio::time::timeout(Duration::from_secs(10), writers.run(no_more)).await??;
            let mut numbers = HashSet::new();
            for call in calls {
                let (case, replayed) = call.await??;
                assert!(!replayed);
                numbers.insert(case.case_number);
            }
            assert_eq!(numbers.len(), 20);
            holds_exactly(&db.pool, &numbers).await?;
            // Writers gone: a new call is answered UNAVAILABLE, not left waiting.
            let late = registrar.register(complaint("late")).await;
            let status = tonic::Status::from(late.expect_err("stopped"));
            assert_eq!(status.code(), tonic::Code::Unavailable);
            anyhow::Ok(())
        }
        .await;
        db.drop_it().await?;
        result
    }
}
