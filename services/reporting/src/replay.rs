//! Recomputes the rollups from the raw event streams, in memory: the check
//! that the rollups tell the truth (`VerifyReport`).

use crate::events::CONSUMERS;
use crate::fold::fold;
use crate::memory::Memory;
use async_nats::jetstream::{self, consumer::pull::OrderedConfig};
use chrono::FixedOffset;
use futures::StreamExt;
use mesh_kit::consumer::is_replay;
use mesh_kit::Subjects;
use std::time::Duration;

/// Why the streams the rollups are fed from cannot be replayed in full: the
/// first one that no longer holds all its events (purged by an operator, or
/// aged out under an older retention). Replaying it would miss those cases.
pub async fn incomplete(
    js: &jetstream::Context,
    subjects: &Subjects,
) -> anyhow::Result<Option<String>> {
    for spec in CONSUMERS {
        let Ok(mut stream) = js.get_stream(subjects.stream(spec.stream)).await else {
            continue;
        };
        let first = stream.info().await?.state.first_sequence;
        if first > 1 {
            return Ok(Some(format!(
                "stream {} no longer holds its first {} events",
                subjects.stream(spec.stream),
                first - 1
            )));
        }
    }
    Ok(None)
}

/// Reads every stream the rollups are fed from, start to end, and folds
/// each event into a fresh [`Memory`]. Returns it and the events read.
pub async fn replay(
    js: &jetstream::Context,
    subjects: &Subjects,
    offset: FixedOffset,
) -> anyhow::Result<(Memory, u64)> {
    let mut memory = Memory::default();
    let mut count = 0u64;
    for spec in CONSUMERS {
        let Ok(mut stream) = js.get_stream(subjects.stream(spec.stream)).await else {
            continue;
        };
        if stream.info().await?.state.messages == 0 {
            continue;
        }
        let consumer = stream
            .create_consumer(OrderedConfig {
                filter_subject: subjects.subject(spec.filter),
                ..Default::default()
            })
            .await?;
        let mut messages = consumer.messages().await?;
        loop {
            // A quiet stream ends the read: nothing pending for a while.
            let next = match tokio::time::timeout(Duration::from_secs(2), messages.next()).await {
                Ok(Some(message)) => message?,
                Ok(None) | Err(_) => break,
            };
            let pending = next.info().map(|i| i.pending).unwrap_or(0);
            // A replayed dead letter is a second copy of an event read
            // before. The rollups count the event once (processed_events),
            // and the copy folds exactly as its original (same subject,
            // same payload): the original alone stands for it here.
            if !is_replay(next.headers.as_ref()) {
                // Events the consumer would dead-letter are skipped here too.
                if let Ok(folded) =
                    fold(subjects.base(next.subject.as_str()), &next.payload, offset)
                {
                    memory.apply(&folded);
                }
                count += 1;
            }
            if pending == 0 {
                break;
            }
        }
    }
    Ok((memory, count))
}
