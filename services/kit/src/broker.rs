//! Surviving a broker that forgets (docs/reliability.md).
//!
//! Debian's nats-server 2.9.10 writes JetStream to disk lazily (about once
//! a minute, not configurable in that version). A server killed with
//! SIGKILL, or a machine that loses power, can come back without messages
//! it had already acknowledged, and a consumer's stored position can then
//! be *ahead* of its stream: it would skip the messages stored next.
//!
//! Every outbox relay and every consumer remembers, in its own schema, the
//! server it last worked with (the `server_id` of the INFO message; a
//! nats-server makes a new one at each start) and when it last saw that
//! server alive ([`Epochs`]). When the server id changes:
//!
//! - the relay publishes again every row it sent in the [`REPUBLISH_WINDOW`]
//!   before it last saw the old server, with the same `Nats-Msg-Id`; what
//!   the server kept is dropped by its duplicate window, what it lost is
//!   stored again;
//! - the consumer is recreated to start at the earlier of its ack floor and
//!   the first message stored after it last saw the old server
//!   ([`rewind`]), so nothing stored since is skipped; what it handled
//!   already is found in `processed_events` and acknowledged again.

use async_nats::jetstream::context::ConsumerInfoErrorKind;
use async_nats::jetstream::{self, consumer::pull, consumer::DeliverPolicy, stream::Stream};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use sqlx::PgPool;
use std::time::Duration;

/// How far back the relay publishes again after a broker restart, counted
/// from when it last saw the old server alive: the broker's sync interval
/// (60 s in 2.9, not configurable) with as much again for margin. The
/// streams' duplicate window must be longer (kit nats.rs).
pub const REPUBLISH_WINDOW: Duration = Duration::from_secs(120);

/// How often a relay or consumer records that it saw the server alive.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// The holder name of a service's outbox relay in [`Epochs`].
pub const RELAY: &str = "outbox-relay";

/// The server a holder last worked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epoch {
    pub server_id: String,
    pub seen_at: DateTime<Utc>,
}

/// What a holder finds when it (re)connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    /// Never worked with a server before (a new schema).
    First,
    /// The same server process as last time.
    Same,
    /// Another server process: the old one stopped or crashed, last seen
    /// alive at `last_seen`.
    Restarted { last_seen: DateTime<Utc> },
}

impl Since {
    /// Compares the stored epoch with the server connected now.
    pub fn compare(stored: Option<&Epoch>, server_id: &str) -> Since {
        match stored {
            None => Since::First,
            Some(e) if e.server_id == server_id => Since::Same,
            Some(e) => Since::Restarted {
                last_seen: e.seen_at,
            },
        }
    }
}

/// The `broker_epochs` table of one schema, for one holder.
#[derive(Clone)]
pub struct Epochs {
    pool: PgPool,
    holder: String,
}

impl Epochs {
    /// `holder` names one relay or one consumer of one stream: a service's
    /// consumers of several streams share a durable name, and each must
    /// notice a restart for itself.
    pub fn new(pool: PgPool, holder: impl Into<String>) -> Self {
        Self {
            pool,
            holder: holder.into(),
        }
    }

    /// The holder name of a durable consumer of a stream.
    pub fn consumer(pool: PgPool, stream: &str, durable: &str) -> Self {
        Self::new(pool, format!("{stream}/{durable}"))
    }

    /// What changed since this holder last recorded a server.
    pub async fn since(&self, server_id: &str) -> Result<Since, sqlx::Error> {
        let stored: Option<(String, DateTime<Utc>)> =
            sqlx::query_as("SELECT server_id, seen_at FROM broker_epochs WHERE holder = $1")
                .bind(&self.holder)
                .fetch_optional(&self.pool)
                .await?;
        let stored = stored.map(|(server_id, seen_at)| Epoch { server_id, seen_at });
        Ok(Since::compare(stored.as_ref(), server_id))
    }

    /// Records that the holder works with `server_id` and saw it alive now.
    /// Call it only after the recovery a restart asks for is done, so a
    /// crash half-way repeats the recovery.
    pub async fn record(&self, server_id: &str) -> Result<(), sqlx::Error> {
        if server_id.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO broker_epochs (holder, server_id, seen_at) VALUES ($1, $2, now()) \
             ON CONFLICT (holder) DO UPDATE SET server_id = EXCLUDED.server_id, seen_at = now()",
        )
        .bind(&self.holder)
        .bind(server_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// The id of the server the client is connected to now; empty while it
/// is not connected (the last INFO would name a server that may be gone,
/// and a heartbeat must not claim it alive).
pub fn server_id(js: &jetstream::Context) -> String {
    let client = js.client();
    match client.connection_state() {
        async_nats::connection::State::Connected => client.server_info().server_id,
        _ => String::new(),
    }
}

/// Errors while rewinding a consumer.
#[derive(Debug, thiserror::Error)]
pub enum RewindError {
    #[error("reading stream or consumer info failed: {0}")]
    Info(String),
    #[error("recreating the consumer failed: {0}")]
    Recreate(String),
}

/// Recreates durable consumer `config` on `stream` so that it starts at the
/// earlier of its ack floor and the first message stored after
/// `last_seen` (less [`HEARTBEAT`] twice, for the heartbeat's lag).
/// Returns the stream sequence it starts at, or `None` when the consumer
/// did not exist (it is created from the stream's start as usual).
pub async fn rewind(
    stream: &mut Stream,
    config: &pull::Config,
    last_seen: DateTime<Utc>,
) -> Result<Option<u64>, RewindError> {
    let Some(durable) = config.durable_name.clone() else {
        return Ok(None);
    };
    let info = match stream.consumer_info(&durable).await {
        Ok(info) => info,
        Err(err) if err.kind() == ConsumerInfoErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(RewindError::Info(err.to_string())),
    };
    let last = stream
        .info()
        .await
        .map_err(|e| RewindError::Info(e.to_string()))?
        .state
        .last_sequence;
    let since = last_seen - chrono::Duration::from_std(HEARTBEAT * 2).unwrap_or_default();
    let stored_after = first_stored_at(stream, &config.filter_subject, since, last).await?;
    let start = start_sequence(info.ack_floor.stream_sequence, stored_after);
    stream
        .delete_consumer(&durable)
        .await
        .map_err(|e| RewindError::Recreate(e.to_string()))?;
    let rewound = pull::Config {
        deliver_policy: DeliverPolicy::ByStartSequence {
            start_sequence: start,
        },
        ..config.clone()
    };
    stream
        .create_consumer(rewound)
        .await
        .map_err(|e| RewindError::Recreate(e.to_string()))?;
    tracing::warn!(
        consumer = %durable,
        ack_floor = info.ack_floor.stream_sequence,
        stream_last = last,
        start,
        "broker restarted: consumer rewound"
    );
    Ok(Some(start))
}

/// Where a rewound consumer starts: after its ack floor, or earlier when
/// messages were stored after the old server was last seen at or below it
/// (the consumer's position outlived messages the broker lost).
pub fn start_sequence(ack_floor: u64, first_stored_after: u64) -> u64 {
    (ack_floor + 1).min(first_stored_after).max(1)
}

/// The sequence of the first message matching `filter` stored at or after
/// `since`; `last + 1` when there is none yet.
async fn first_stored_at(
    stream: &Stream,
    filter: &str,
    since: DateTime<Utc>,
    last: u64,
) -> Result<u64, RewindError> {
    let start_time =
        crate::time::offset_date_time(since).map_err(|e| RewindError::Info(e.to_string()))?;
    let probe = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: filter.to_owned(),
            deliver_policy: DeliverPolicy::ByStartTime { start_time },
            ..Default::default()
        })
        .await
        .map_err(|e| RewindError::Info(e.to_string()))?;
    let mut messages = probe
        .messages()
        .await
        .map_err(|e| RewindError::Info(e.to_string()))?;
    match tokio::time::timeout(Duration::from_secs(2), messages.next()).await {
        Ok(Some(Ok(message))) => message
            .info()
            .map(|i| i.stream_sequence)
            .map_err(|e| RewindError::Info(e.to_string())),
        Ok(Some(Err(err))) => Err(RewindError::Info(err.to_string())),
        // Nothing stored since: the next message is the first.
        Ok(None) | Err(_) => Ok(last + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(id: &str) -> Epoch {
        Epoch {
            server_id: id.into(),
            seen_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_new_server_id_is_a_restart() {
        assert_eq!(Since::compare(None, "A"), Since::First);
        assert_eq!(Since::compare(Some(&epoch("A")), "A"), Since::Same);
        assert_eq!(
            Since::compare(Some(&epoch("A")), "B"),
            Since::Restarted {
                last_seen: DateTime::<Utc>::UNIX_EPOCH
            }
        );
    }

    #[test]
    fn a_rewound_consumer_starts_at_the_earlier_point() {
        // Position behind the stream: pending messages come back.
        assert_eq!(start_sequence(90, 120), 91);
        // Position ahead of what the broker kept: messages stored since the
        // restart (from 101 on) are not skipped.
        assert_eq!(start_sequence(150, 101), 101);
        assert_eq!(start_sequence(0, 0), 1);
    }

    #[test]
    fn the_duplicate_window_covers_the_republish_window() {
        assert!(crate::nats::DUPLICATE_WINDOW > REPUBLISH_WINDOW + HEARTBEAT * 2);
    }
}
