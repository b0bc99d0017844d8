//! Durable pull consumers with exactly-once effects (DESIGN.md "State").
//!
//! For every message the runner opens a transaction, records the event id in
//! `processed_events` and calls the [`Handler`] in the same transaction. It
//! commits, and only then acknowledges. A redelivered event finds its id
//! already recorded and is acknowledged without running the handler again.
//!
//! Every message ends explicitly: `Ack` after commit; `Nak(delay)` with a
//! growing delay for a transient failure; and for an event that can never
//! succeed (it does not decode, it breaks a rule, or it kept failing for
//! `max_deliver` attempts) a copy goes to the dead-letter subject
//! `deadletter.v1.<service>` with the reason, and the original is `Term`ed so
//! it never blocks its stream.
//!
//! A dead letter replayed by an operator (`complaintctl dead-letters
//! replay`) comes back on its original subject under a fresh `Nats-Msg-Id`,
//! with the event id in `Mesh-Event-Id` and the consumer it is for in
//! `Mesh-Replay-For` ([`crate::events::replay`]). The runner keys
//! idempotency on [`event_id`], so a consumer that handled the event before
//! finds it recorded, and the other consumers of the stream acknowledge the
//! copy without looking at it.

use crate::broker::{self, Epochs, Since};
use crate::config::Subjects;
use crate::events::{dead_letter, replay};
use crate::outbox::OutboxWaker;
use crate::shutdown::Shutdown;
use async_nats::jetstream::{
    self, consumer::pull, consumer::DeliverPolicy, message::PublishMessage, AckKind,
};
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use sqlx::{PgConnection, PgPool};
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;
use tracing::Instrument;
use uuid::Uuid;

/// Why a handler did not take an event.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// Worth trying again later (a database hiccup, a service not up yet).
    #[error("transient failure: {0:#}")]
    Retry(#[source] anyhow::Error),
    /// Can never succeed (undecodable, or breaks a rule); dead-lettered.
    #[error("rejected: {0}")]
    Reject(String),
}

impl From<sqlx::Error> for HandleError {
    fn from(err: sqlx::Error) -> Self {
        HandleError::Retry(err.into())
    }
}

impl HandleError {
    /// An event that does not decode as the expected protobuf message.
    pub fn undecodable(err: prost::DecodeError) -> Self {
        HandleError::Reject(format!("payload does not decode: {err}"))
    }
}

/// The event id of a message: its `Mesh-Event-Id` header when it is a
/// replayed dead letter, else its `Nats-Msg-Id` (see
/// [`replay::event_id`]).
pub fn event_id(headers: Option<&HeaderMap>) -> Option<Uuid> {
    let get = |name: &str| headers.and_then(|h| h.get(name)).map(|v| v.as_str());
    replay::event_id(
        get(replay::EVENT_ID_HEADER),
        get(crate::nats::MSG_ID_HEADER),
    )
}

/// Whether a message is a replayed dead letter: a second copy of an event
/// already in its stream. Whoever reads a stream raw (reporting's check)
/// skips it; consumers handle it through [`event_id`].
pub fn is_replay(headers: Option<&HeaderMap>) -> bool {
    headers.is_some_and(|h| h.get(replay::EVENT_ID_HEADER).is_some())
}

/// Whether consumer `durable` should handle a message: yes, unless it is a
/// replay for another consumer.
fn is_for(headers: Option<&HeaderMap>, durable: &str) -> bool {
    headers
        .and_then(|h| h.get(replay::FOR_HEADER))
        .is_none_or(|target| target.as_str() == durable)
}

/// One delivered event.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The event id (`Nats-Msg-Id`, or `Mesh-Event-Id` on a replay).
    pub event_id: Uuid,
    /// Subject without the deployment prefix, e.g. `intake.v1.case_registered`.
    pub subject: String,
    pub payload: Bytes,
    /// How many times this message has been delivered (1 the first time).
    pub delivered: i64,
    /// The span the event is handled in, a child of the trace it came
    /// with. A batch handler enters it for each event's own writes (an
    /// outbox row takes its trace from the current span).
    pub span: tracing::Span,
}

/// The effect of an event, applied inside the runner's transaction.
pub trait Handler: Send + Sync + 'static {
    fn handle(
        &self,
        tx: &mut PgConnection,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<(), HandleError>> + Send;

    /// The effects of several fresh events that arrived together, in
    /// stream order, in one transaction. The default handles each in turn;
    /// a handler on a hot path overrides it to write the batch with a few
    /// set-wise statements instead of a few per event. Either way the
    /// effect must be that of [`Handler::handle`] on each event in order:
    /// on any error the runner rolls the batch back and handles each event
    /// alone through `handle`.
    fn handle_batch(
        &self,
        tx: &mut PgConnection,
        deliveries: &[&Delivery],
    ) -> impl Future<Output = Result<(), HandleError>> + Send {
        async move {
            for delivery in deliveries {
                self.handle(tx, delivery)
                    .instrument(delivery.span.clone())
                    .await?;
            }
            Ok(())
        }
    }
}

/// What a consumer reads.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    /// Stream base name, e.g. `INTAKE` (the prefix is added).
    pub stream: &'static str,
    /// Durable consumer name, shared by every replica of the service.
    pub durable: &'static str,
    /// Subject filter without prefix, e.g. `intake.v1.>`.
    pub filter: &'static str,
    /// Deliveries before an event is dead-lettered. The runner counts them;
    /// the server redelivers without limit, so that a last delivery that
    /// times out, or whose parking fails, comes back instead of vanishing.
    pub max_deliver: i64,
    /// How long the server waits for an ack before redelivering.
    pub ack_wait: Duration,
    /// Most messages handled in one transaction. Messages that have
    /// arrived are taken together, so under load one commit serves many
    /// ([`DEFAULT_BATCH`] unless the service says otherwise).
    pub batch: usize,
    /// How long a batch keeps gathering after its first message, until it
    /// is full: under load, batches grow for a small cost in latency. A
    /// lone message waits this long at most; zero takes only what has
    /// already arrived.
    pub linger: Duration,
    /// How long the ids of handled events are kept in `processed_events`
    /// ([`crate::processed`]).
    pub keep_processed: Duration,
}

/// The linger of a consumer unless its service says otherwise
/// ([`ConsumerSpec::linger`]; each service's `<SERVICE>__CONSUMER__LINGER_MS`).
pub const DEFAULT_LINGER: Duration = Duration::from_millis(DEFAULT_LINGER_MS);

/// [`DEFAULT_LINGER`] in milliseconds, the default of the services' setting
/// for consumers on the path from a complaint to its department's queue
/// (triage's and dispatch's).
pub const DEFAULT_LINGER_MS: u64 = 3;

/// The linger, in milliseconds, of the consumers off that path: intake's
/// timeline, reporting and deadline-watcher's timers. Nobody waits on them
/// by the millisecond, so they wait longer for bigger batches, and the
/// mesh does less work per complaint when it is not full: at 100
/// complaints/s about 40 % less CPU per complaint than with
/// [`DEFAULT_LINGER_MS`], and a shorter queue for the path that matters
/// (docs/performance.md, eighth round). A timeline step, a report's counts
/// or a timer is at most this much later.
pub const OFF_PATH_LINGER_MS: u64 = 200;

/// How long the server keeps one of the consumer's pull requests open. A
/// request the client counts on but the server no longer holds (dropped
/// on a reconnect, say) is re-sent after this, plus five seconds.
pub const PULL_EXPIRES: Duration = Duration::from_secs(10);

/// How often the server tells an idle pull request it is still there. Two
/// missed in a row end the message stream and the consumer starts again
/// with fresh requests: a silent stall lasts about twice this. With
/// async-nats' `messages()` defaults (a 15-s heartbeat, 30-s expiry) triage
/// stood still for about 30 s in 2 of some 35 benchmark runs
/// (`docs/performance.md`).
pub const PULL_HEARTBEAT: Duration = Duration::from_secs(2);

/// The most messages a consumer handles in one transaction unless its
/// service says otherwise (`<SERVICE>__CONSUMER__BATCH`). At 64 the mesh
/// saturated at about 1,400 complaints/s with triage's consumer the stage
/// where the queue built (each batch waits its turn on a busy machine); at
/// 256 it carries about 1,950/s (`docs/performance.md`, fifth round).
pub const DEFAULT_BATCH: usize = 256;

impl ConsumerSpec {
    pub const fn new(stream: &'static str, durable: &'static str, filter: &'static str) -> Self {
        Self {
            stream,
            durable,
            filter,
            max_deliver: 20,
            ack_wait: Duration::from_secs(30),
            batch: DEFAULT_BATCH,
            linger: DEFAULT_LINGER,
            keep_processed: crate::processed::KEEP_PROCESSED,
        }
    }

    /// The same consumer keeping the ids of handled events this long.
    pub const fn with_keep_processed(self, keep_processed: Duration) -> Self {
        Self {
            keep_processed,
            ..self
        }
    }

    /// The same consumer with another linger.
    pub const fn with_linger(self, linger: Duration) -> Self {
        Self { linger, ..self }
    }

    /// The same consumer with another batch size (at least one).
    pub const fn with_batch(self, batch: usize) -> Self {
        let batch = if batch == 0 { 1 } else { batch };
        Self { batch, ..self }
    }
}

/// Runs one durable consumer until shutdown.
pub struct Consumer<H> {
    pub spec: ConsumerSpec,
    /// The service name, for the dead-letter subject and logs.
    pub service: &'static str,
    pub js: jetstream::Context,
    pub pool: PgPool,
    pub subjects: Subjects,
    pub handler: H,
    /// Woken after each commit, when the handler writes to the outbox.
    pub outbox: Option<OutboxWaker>,
}

/// Declares the stream that keeps dead letters (`deadletter.v1.>`).
pub async fn ensure_dead_letter_stream(
    js: &jetstream::Context,
    subjects: &Subjects,
) -> Result<(), crate::nats::NatsError> {
    crate::nats::ensure_stream(
        js,
        &subjects.stream(crate::events::dead_letter::STREAM),
        vec![subjects.subject(crate::events::dead_letter::SUBJECTS)],
    )
    .await
}

impl<H: Handler> Consumer<H> {
    /// Handles deliveries until `shutdown`, and meanwhile forgets the ids
    /// of events handled before the horizon ([`crate::processed`]).
    pub async fn run(self, shutdown: Shutdown) {
        let forgetting = tokio::spawn(crate::processed::keep_forgetting(
            self.pool.clone(),
            self.spec.durable,
            self.spec.keep_processed,
            shutdown.clone(),
        ));
        self.handle_until(shutdown).await;
        forgetting.abort();
    }

    /// Handles deliveries until `shutdown`, forgetting nothing: for a
    /// consumer whose durable name (and so whose `processed_events` rows)
    /// it shares with another that runs the purge, as intake's timeline
    /// consumers of three streams do.
    pub async fn handle_until(self, shutdown: Shutdown) {
        let name = self.spec.durable;
        loop {
            // consume() returns at shutdown, between messages, so that a
            // message being handled is finished first.
            match self.consume(&shutdown).await {
                Ok(()) => break,
                Err(err) => {
                    tracing::warn!(consumer = name, error = %err, "consumer interrupted, reconnecting");
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
        tracing::info!(consumer = name, "consumer stopped");
    }

    async fn consume(&self, shutdown: &Shutdown) -> anyhow::Result<()> {
        let stream_name = self.subjects.stream(self.spec.stream);
        let mut stream = self.js.get_stream(&stream_name).await?;
        let config = pull::Config {
            durable_name: Some(self.spec.durable.to_owned()),
            filter_subject: self.subjects.subject(self.spec.filter),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: self.spec.ack_wait,
            max_deliver: -1,
            ..Default::default()
        };
        // A new broker process may have lost its last writes, and this
        // consumer's position with them, or kept a position ahead of what
        // it kept (kit broker.rs).
        let epochs = Epochs::consumer(self.pool.clone(), self.spec.stream, self.spec.durable);
        let server = broker::server_id(&self.js);
        anyhow::ensure!(!server.is_empty(), "not connected to NATS");
        if let Since::Restarted { last_seen } = epochs.since(&server).await? {
            broker::rewind(&mut stream, &config, last_seen).await?;
        }
        epochs.record(&server).await?;
        let mut consumer = stream
            .get_or_create_consumer(self.spec.durable, config.clone())
            .await?;
        let existing = consumer.cached_info().config.clone();
        if existing.max_deliver != config.max_deliver || existing.ack_wait != config.ack_wait {
            // Limits are updated in place (2.9 allows it); the position
            // stays, and so does the start a rewind gave.
            let update = pull::Config {
                deliver_policy: existing.deliver_policy,
                ..config.clone()
            };
            consumer = stream.create_consumer(update).await?;
        }
        let existing = existing.filter_subject;
        if existing != config.filter_subject {
            // A filter edited in place would skip the earlier events of the
            // subjects it newly takes in. A new consumer starts from the
            // stream's first message, or from the horizon before which this
            // consumer forgot what it handled (kit processed.rs); what was
            // handled since is found in processed_events and skipped.
            let horizon = crate::processed::horizon(&self.pool, self.spec.durable).await?;
            tracing::warn!(
                consumer = self.spec.durable,
                old = %existing,
                new = %config.filter_subject,
                from = ?horizon,
                "consumer filter changed, recreating the consumer"
            );
            let config = match horizon {
                Some(horizon) => pull::Config {
                    deliver_policy: DeliverPolicy::ByStartTime {
                        start_time: crate::time::offset_date_time(horizon)?,
                    },
                    ..config
                },
                None => config,
            };
            stream.delete_consumer(self.spec.durable).await?;
            consumer = stream
                .get_or_create_consumer(self.spec.durable, config)
                .await?;
        }

        let mut messages = consumer
            .stream()
            .max_messages_per_batch(self.spec.batch)
            .expires(PULL_EXPIRES)
            .heartbeat(PULL_HEARTBEAT)
            .messages()
            .await?;
        tracing::info!(consumer = self.spec.durable, stream = %stream_name, "consuming");
        let mut heartbeat = tokio::time::interval(broker::HEARTBEAT);
        loop {
            // Between messages only: a message being handled is finished
            // before the consumer stops.
            let next = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = heartbeat.tick() => {
                    let now = broker::server_id(&self.js);
                    if now.is_empty() {
                        // Disconnected: the server is not seen alive.
                        continue;
                    }
                    if now != server {
                        // Start again: the new server may need a rewind.
                        anyhow::bail!("the NATS server restarted");
                    }
                    if let Err(err) = epochs.record(&server).await {
                        tracing::warn!(error = %err, "recording the broker epoch failed");
                    }
                    continue;
                }
                next = messages.next() => next,
            };
            let Some(message) = next else {
                anyhow::bail!("message stream ended");
            };
            // Whatever else has arrived joins it, and whatever arrives
            // within the linger, until the batch is full.
            let mut batch = vec![message?];
            let mut broken = None;
            let linger_until = tokio::time::Instant::now() + self.spec.linger;
            while batch.len() < self.spec.batch {
                let next = match messages.next().now_or_never() {
                    Some(next) => next,
                    None if self.spec.linger.is_zero() => break,
                    None => tokio::select! {
                        // What is in hand is handled, then the loop stops.
                        _ = shutdown.cancelled() => break,
                        next = tokio::time::timeout_at(linger_until, messages.next()) => match next {
                            Ok(next) => next,
                            Err(_) => break,
                        },
                    },
                };
                match next {
                    Some(Ok(message)) => batch.push(message),
                    Some(Err(err)) => {
                        broken = Some(anyhow::Error::from(err));
                        break;
                    }
                    None => break,
                }
            }
            self.process_batch(batch).await;
            if let Some(err) = broken {
                return Err(err);
            }
        }
    }

    /// Handles messages in one transaction, and acknowledges them after
    /// the commit. If any of them fails, the transaction is rolled back
    /// and each is handled on its own, so that a failure ends only its own
    /// message (retried or dead-lettered) and costs the others nothing.
    async fn process_batch(&self, messages: Vec<jetstream::Message>) {
        if messages.len() == 1 {
            for message in messages {
                self.process(message).await;
            }
            return;
        }
        let mut ready = Vec::with_capacity(messages.len());
        let mut alone = Vec::new();
        for message in messages {
            let headers = message.headers.as_ref();
            // Replays for other consumers and messages without an event id
            // take the single path, which deals with them.
            match event_id(headers).filter(|_| is_for(headers, self.spec.durable)) {
                Some(id) => {
                    let delivery = self.delivery(&message, id);
                    ready.push((message, delivery));
                }
                None => alone.push(message),
            }
        }
        match self.apply_batch(&ready).await {
            Ok(applied) => {
                if applied > 0 {
                    if let Some(waker) = &self.outbox {
                        waker.wake();
                    }
                }
                for (message, _) in &ready {
                    if let Err(err) = message.ack().await {
                        // Redelivered later and found in processed_events.
                        tracing::warn!(error = %err, "ack failed");
                    }
                }
            }
            Err(err) => {
                tracing::debug!(consumer = self.spec.durable, error = %err, size = ready.len(), "batch failed, handling its messages one by one");
                alone.extend(ready.into_iter().map(|(message, _)| message));
            }
        }
        for message in alone {
            self.process(message).await;
        }
    }

    /// Runs the handler on each fresh event id, all in one transaction;
    /// returns how many were fresh. Any failure rolls everything back.
    async fn apply_batch(
        &self,
        batch: &[(jetstream::Message, Delivery)],
    ) -> Result<usize, HandleError> {
        if batch.is_empty() {
            return Ok(0);
        }
        let span = tracing::info_span!(
            "consume_batch",
            consumer = self.spec.durable,
            size = batch.len(),
            fresh = tracing::field::Empty,
        );
        async {
            let mut tx = self.pool.begin().await?;
            let ids: Vec<Uuid> = batch.iter().map(|(_, d)| d.event_id).collect();
            let mut fresh = self.record_all(&mut tx, &ids).await?;
            // In stream order; an event delivered twice in one batch is
            // handled once.
            let deliveries: Vec<&Delivery> = batch
                .iter()
                .map(|(_, d)| d)
                .filter(|d| fresh.remove(&d.event_id))
                .collect();
            tracing::Span::current().record("fresh", deliveries.len());
            if !deliveries.is_empty() {
                self.handler.handle_batch(&mut tx, &deliveries).await?;
            }
            tx.commit().await?;
            Ok(deliveries.len())
        }
        .instrument(span)
        .await
    }

    /// Records a batch's event ids as handled by this consumer, in one
    /// statement; returns those that were not already.
    async fn record_all(
        &self,
        tx: &mut PgConnection,
        event_ids: &[Uuid],
    ) -> Result<HashSet<Uuid>, sqlx::Error> {
        let fresh: Vec<Uuid> = sqlx::query_scalar(
            "INSERT INTO processed_events (consumer, event_id) \
             SELECT $1, id FROM UNNEST($2::uuid[]) AS t(id) \
             ON CONFLICT DO NOTHING RETURNING event_id",
        )
        .bind(self.spec.durable)
        .bind(event_ids)
        .fetch_all(tx)
        .await?;
        Ok(fresh.into_iter().collect())
    }

    /// Records the event id as handled by this consumer; false when it was
    /// already.
    async fn record(&self, tx: &mut PgConnection, event_id: Uuid) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(
            "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(self.spec.durable)
        .bind(event_id)
        .execute(tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// The delivery of a message, with the span it is handled in, joined
    /// to the trace it came with.
    fn delivery(&self, message: &jetstream::Message, event_id: Uuid) -> Delivery {
        let subject = self.subjects.base(message.subject.as_str()).to_owned();
        let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
        let traceparent = message
            .headers
            .as_ref()
            .and_then(|h| h.get(crate::nats::TRACEPARENT_HEADER))
            .map(|v| v.as_str().to_owned());
        let span = tracing::info_span!(
            "consume",
            consumer = self.spec.durable,
            subject = %subject,
            event_id = %event_id,
            delivered,
        );
        crate::telemetry::adopt_traceparent_on(&span, traceparent.as_deref());
        Delivery {
            event_id,
            subject,
            payload: message.payload.clone(),
            delivered,
            span,
        }
    }

    async fn process(&self, message: jetstream::Message) {
        let headers = message.headers.as_ref();
        if !is_for(headers, self.spec.durable) {
            // A dead letter replayed for another consumer of this stream.
            tracing::debug!(consumer = self.spec.durable, subject = %message.subject, "replay for another consumer, skipped");
            if let Err(err) = message.ack().await {
                tracing::warn!(error = %err, "ack failed");
            }
            return;
        }
        let Some(event_id) = event_id(headers) else {
            let reason = if is_replay(headers) {
                "no valid Mesh-Event-Id header (event id of a replay)"
            } else {
                "no valid Nats-Msg-Id header (event id)"
            };
            self.dead_letter(&message, None, reason).await;
            return;
        };
        let delivery = self.delivery(&message, event_id);
        let delivered = delivery.delivered;
        let span = delivery.span.clone();
        async {
            match self.apply(&delivery).await {
                Ok(applied) => {
                    if applied {
                        if let Some(waker) = &self.outbox {
                            waker.wake();
                        }
                    } else {
                        tracing::debug!("event already handled, acknowledging again");
                    }
                    if let Err(err) = message.ack().await {
                        // Redelivered later and found in processed_events.
                        tracing::warn!(error = %err, "ack failed");
                    }
                }
                Err(HandleError::Reject(reason)) => {
                    self.dead_letter(&message, Some(event_id), &reason).await
                }
                Err(HandleError::Retry(err)) if delivered >= self.spec.max_deliver => {
                    let reason = format!("still failing after {delivered} deliveries: {err:#}");
                    self.dead_letter(&message, Some(event_id), &reason).await;
                }
                Err(HandleError::Retry(err)) => {
                    let delay = retry_delay(delivered);
                    tracing::warn!(error = %err, ?delay, "handling failed, will retry");
                    if let Err(err) = message.ack_with(AckKind::Nak(Some(delay))).await {
                        tracing::warn!(error = %err, "nak failed");
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Runs the handler exactly once per event id. Returns false when the
    /// event had been handled before.
    async fn apply(&self, delivery: &Delivery) -> Result<bool, HandleError> {
        let mut tx = self.pool.begin().await?;
        if !self.record(&mut tx, delivery.event_id).await? {
            return Ok(false);
        }
        self.handler.handle(&mut tx, delivery).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Parks a copy of the message, with the event id the consumer keyed
    /// on (for a replay) and its trace context, then ends the original.
    async fn dead_letter(
        &self,
        message: &jetstream::Message,
        event_id: Option<Uuid>,
        reason: &str,
    ) {
        tracing::error!(reason, "event dead-lettered");
        let headers = message.headers.as_ref();
        let id = headers
            .and_then(|h| h.get(crate::nats::MSG_ID_HEADER))
            .map(|v| v.as_str().to_owned())
            .unwrap_or_else(|| {
                message
                    .info()
                    .map(|i| format!("seq-{}", i.stream_sequence))
                    .unwrap_or_default()
            });
        let mut publish = PublishMessage::build()
            .payload(message.payload.clone())
            .message_id(format!("{id}:{}", self.spec.durable))
            .header(dead_letter::REASON_HEADER, reason)
            .header(
                dead_letter::ORIGINAL_SUBJECT_HEADER,
                message.subject.as_str(),
            )
            .header(dead_letter::CONSUMER_HEADER, self.spec.durable);
        if let Some(event_id) = event_id {
            publish = publish.header(replay::EVENT_ID_HEADER, event_id.to_string());
        }
        if let Some(traceparent) = headers.and_then(|h| h.get(crate::nats::TRACEPARENT_HEADER)) {
            publish = publish.header(crate::nats::TRACEPARENT_HEADER, traceparent.as_str());
        }
        let subject = self.subjects.dead_letter(self.service);
        let parked = match self.js.send_publish(subject, publish).await {
            Ok(ack) => ack.await.is_ok(),
            Err(_) => false,
        };
        let kind = if parked {
            AckKind::Term
        } else {
            // Could not park it: leave it to be redelivered rather than lose it.
            AckKind::Nak(Some(Duration::from_secs(5)))
        };
        if let Err(err) = message.ack_with(kind).await {
            tracing::warn!(error = %err, "term failed");
        }
    }
}

/// Delay before the next attempt: 1 s, 2 s, 4 s, … up to a minute.
pub fn retry_delay(delivered: i64) -> Duration {
    let exp = delivered.clamp(1, 7) as u32 - 1;
    Duration::from_secs((1u64 << exp).min(60))
}

#[cfg(test)]
mod tests {
    use super::{event_id, is_for, is_replay, retry_delay};
    use crate::events::replay;
    use async_nats::HeaderMap;
    use std::time::Duration;
    use uuid::Uuid;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, *value);
        }
        h
    }

    #[test]
    fn the_event_id_is_the_msg_id_or_on_a_replay_the_mesh_event_id() {
        let id = Uuid::now_v7();
        let published = headers(&[("Nats-Msg-Id", &id.to_string())]);
        assert_eq!(event_id(Some(&published)), Some(id));
        assert!(!is_replay(Some(&published)));

        let replayed = headers(&[
            ("Nats-Msg-Id", &replay::message_id(id, 7)),
            (replay::EVENT_ID_HEADER, &id.to_string()),
            (replay::FOR_HEADER, "dispatch"),
        ]);
        assert_eq!(event_id(Some(&replayed)), Some(id));
        assert!(is_replay(Some(&replayed)));

        assert_eq!(event_id(None), None);
        assert_eq!(event_id(Some(&headers(&[("Nats-Msg-Id", "x")]))), None);
    }

    #[test]
    fn a_replay_is_for_the_consumer_it_names_only() {
        let replayed = headers(&[(replay::FOR_HEADER, "dispatch")]);
        assert!(is_for(Some(&replayed), "dispatch"));
        assert!(!is_for(Some(&replayed), "reporting"));
        // An ordinary event is for every consumer.
        assert!(is_for(Some(&headers(&[])), "reporting"));
        assert!(is_for(None, "reporting"));
    }

    #[test]
    fn retry_delay_grows_and_is_capped() {
        assert_eq!(retry_delay(1), Duration::from_secs(1));
        assert_eq!(retry_delay(2), Duration::from_secs(2));
        assert_eq!(retry_delay(4), Duration::from_secs(8));
        assert_eq!(retry_delay(50), Duration::from_secs(60));
    }
}
