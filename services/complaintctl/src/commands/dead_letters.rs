//! Dead letters, straight from JetStream: the stream `DEADLETTER` (with the
//! mesh's prefix) that consumers park events in when they can never handle
//! them (`mesh_kit::consumer`).
//!
//! A replay publishes the payload again on its original subject with a
//! fresh `Nats-Msg-Id`, the event id in `Mesh-Event-Id` and the consumer in
//! `Mesh-Replay-For`, awaits the broker's ack, and only then deletes the
//! dead letter. If complaintctl stops in between, the dead letter stays and
//! a second replay is harmless: the broker drops the same copy within its
//! duplicate window, and past it the consumer finds the event id in
//! `processed_events`.

use crate::cli::{DeadLettersCommand, DeadLettersReplayArgs};
use crate::connect;
use crate::dead_letter::{self, DeadLetter};
use crate::print;
use anyhow::{bail, Context as _};
use async_nats::jetstream::{
    self, consumer::pull::OrderedConfig, message::PublishMessage, stream::Stream,
};
use chrono::{DateTime, FixedOffset, Utc};
use futures::StreamExt;
use mesh_kit::events;
use mesh_kit::Subjects;
use std::time::Duration;

/// Where the dead letters of one mesh are.
struct DeadLetters {
    js: jetstream::Context,
    subjects: Subjects,
    stream: Stream,
}

/// A JetStream time as chrono's. async-nats gives `time`'s type (its
/// default backend, the one this workspace builds).
fn utc(t: async_nats::datetime::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

impl DeadLetters {
    async fn open(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let js = connect::nats(url).await?;
        let subjects = Subjects::new(prefix);
        let name = subjects.stream(events::dead_letter::STREAM);
        let stream = js.get_stream(&name).await.with_context(|| {
            format!(
                "no dead-letter stream {name} at {url}: the services create it when they start; is --nats-prefix ({prefix:?}) the services' MESH__NATS__PREFIX?"
            )
        })?;
        Ok(Self {
            js,
            subjects,
            stream,
        })
    }

    /// Every dead letter (of one service), oldest first.
    async fn list(&self, service: Option<&str>) -> anyhow::Result<Vec<DeadLetter>> {
        let filter = match service {
            Some(service) => self.subjects.dead_letter(service),
            None => self.subjects.subject(events::dead_letter::SUBJECTS),
        };
        let consumer = self
            .stream
            .create_consumer(OrderedConfig {
                filter_subject: filter,
                ..Default::default()
            })
            .await
            .context("cannot read the dead-letter stream")?;
        let mut left = consumer.cached_info().num_pending;
        let mut out = Vec::new();
        if left == 0 {
            return Ok(out);
        }
        let mut messages = consumer
            .messages()
            .await
            .context("cannot read the dead-letter stream")?;
        while left > 0 {
            let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
                .await
                .context("reading the dead-letter stream timed out")?
                .context("the dead-letter stream ended early")?
                .context("cannot read the dead-letter stream")?;
            let info = message
                .info()
                .map_err(|e| anyhow::anyhow!("a dead letter without stream metadata: {e}"))?;
            left = info.pending;
            out.push(DeadLetter::parse(
                &self.subjects,
                info.stream_sequence,
                utc(info.published),
                message.subject.as_str(),
                message.headers.as_ref(),
                message.payload.clone(),
            ));
        }
        Ok(out)
    }

    /// One dead letter by its sequence.
    async fn get(&self, sequence: u64) -> anyhow::Result<DeadLetter> {
        use async_nats::jetstream::stream::RawMessageErrorKind;
        let raw = self
            .stream
            .get_raw_message(sequence)
            .await
            .map_err(|err| match err.kind() {
                RawMessageErrorKind::NoMessageFound => anyhow::anyhow!(
                    "no dead letter {sequence} (replayed or dropped already? see `dead-letters list`)"
                ),
                _ => anyhow::Error::new(err)
                    .context(format!("cannot read dead letter {sequence}")),
            })?;
        Ok(DeadLetter::parse(
            &self.subjects,
            raw.sequence,
            utc(raw.time),
            raw.subject.as_str(),
            Some(&raw.headers),
            raw.payload,
        ))
    }

    /// Puts one dead letter back and, once the broker stored the copy,
    /// deletes it. Returns a line for the operator.
    async fn replay(&self, d: &DeadLetter) -> anyhow::Result<String> {
        let replay = d.replay()?;
        let mut publish = PublishMessage::build()
            .payload(replay.payload)
            .message_id(replay.message_id);
        for (name, value) in replay.headers {
            publish = publish.header(name, value);
        }
        let ack = self
            .js
            .send_publish(replay.subject.clone(), publish)
            .await
            .with_context(|| format!("cannot put dead letter {} back on {}", d.sequence, replay.subject))?
            .await
            .with_context(|| {
                format!(
                    "the broker did not confirm the replay of dead letter {} on {}; it stays, replay it again",
                    d.sequence, replay.subject
                )
            })?;
        self.delete(d.sequence).await.with_context(|| {
            format!(
                "dead letter {} was replayed but could not be removed; replaying it again is harmless, or drop it",
                d.sequence
            )
        })?;
        let again = if ack.duplicate {
            " (replayed before: the broker kept the earlier copy)"
        } else {
            ""
        };
        Ok(format!(
            "replayed {}: {} event {} for {}, as {} {}{again}\n",
            d.sequence,
            d.subject(&self.subjects),
            d.event_id.map(|id| id.to_string()).unwrap_or_default(),
            d.consumer,
            ack.stream,
            ack.sequence,
        ))
    }

    async fn delete(&self, sequence: u64) -> anyhow::Result<()> {
        let deleted = self
            .stream
            .delete_message(sequence)
            .await
            .with_context(|| format!("cannot delete dead letter {sequence} (is it still there? see `dead-letters list`)"))?;
        if !deleted {
            bail!("the broker did not delete dead letter {sequence}");
        }
        Ok(())
    }
}

pub async fn run(
    url: &str,
    prefix: &str,
    command: DeadLettersCommand,
    offset: FixedOffset,
) -> anyhow::Result<()> {
    let store = DeadLetters::open(url, prefix).await?;
    match command {
        DeadLettersCommand::List(args) => {
            let letters = store.list(args.service.as_deref()).await?;
            print::emit(&if args.json {
                dead_letter::json(&letters, &store.subjects)
            } else {
                dead_letter::table(&letters, &store.subjects, offset)
            });
            Ok(())
        }
        DeadLettersCommand::Show(arg) => {
            let d = store.get(arg.sequence).await?;
            print::emit(&dead_letter::detail(&d, &store.subjects, offset));
            Ok(())
        }
        DeadLettersCommand::Replay(args) => replay(&store, args).await,
        DeadLettersCommand::Drop(args) => {
            let mut failed = 0;
            for sequence in &args.sequences {
                match store.delete(*sequence).await {
                    Ok(()) => print::emit(&format!("dropped {sequence}\n")),
                    Err(err) => {
                        eprintln!("error: {err:#}");
                        failed += 1;
                    }
                }
            }
            if failed > 0 {
                bail!(
                    "{failed} of {} dead letters were not dropped",
                    args.sequences.len()
                );
            }
            Ok(())
        }
    }
}

/// Replays each dead letter named (or all), going on past one that fails.
async fn replay(store: &DeadLetters, args: DeadLettersReplayArgs) -> anyhow::Result<()> {
    let mut failed = 0;
    let mut letters = Vec::new();
    if args.all {
        letters = store.list(args.service.as_deref()).await?;
        if letters.is_empty() {
            print::emit("no dead letters\n");
            return Ok(());
        }
    } else {
        for sequence in &args.sequences {
            match store.get(*sequence).await {
                Ok(d) => letters.push(d),
                Err(err) => {
                    eprintln!("error: {err:#}");
                    failed += 1;
                }
            }
        }
    }
    let total = failed + letters.len();
    for d in &letters {
        match store.replay(d).await {
            Ok(line) => print::emit(&line),
            Err(err) => {
                eprintln!("error: {err:#}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {total} dead letters were not replayed");
    }
    Ok(())
}
