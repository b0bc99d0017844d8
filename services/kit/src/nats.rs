//! NATS and JetStream: connecting, and declaring the streams a service owns.
//!
//! Streams use file storage and a duplicate window, so an event re-published
//! with the same `Nats-Msg-Id` is stored once. The settings are consts here,
//! in one place (docs/architecture.md, "Events", explains them).

use async_nats::jetstream::{self, stream};
use std::time::Duration;

/// How long JetStream remembers a `Nats-Msg-Id` to drop a duplicate publish.
/// It must outlast the outbox's re-publish window
/// ([`crate::broker::REPUBLISH_WINDOW`]).
pub(crate) const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// How long events are kept in a stream: without limit (zero). The streams
/// are the record that reporting rebuilds its rollups from and verifies any
/// report against, an annual one included; an age limit would make both
/// silently wrong for what it dropped.
const MAX_AGE: Duration = Duration::ZERO;

/// Header carrying the event id, used by JetStream for de-duplication.
pub const MSG_ID_HEADER: &str = "Nats-Msg-Id";

/// Header carrying the W3C trace context.
pub const TRACEPARENT_HEADER: &str = "traceparent";

#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    #[error("cannot connect to NATS at {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: async_nats::ConnectError,
    },
    #[error("cannot declare stream {name}: {source}")]
    Stream {
        name: String,
        #[source]
        source: jetstream::context::CreateStreamError,
    },
}

/// Connects to NATS, retrying while the server starts. `name` shows in the
/// server's connection list.
pub async fn connect(url: &str, name: &str) -> Result<async_nats::Client, NatsError> {
    async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .map_err(|source| NatsError::Connect {
            url: url.to_owned(),
            source,
        })
}

/// The stream configuration the mesh uses for an event stream.
fn stream_config(name: &str, subjects: Vec<String>) -> stream::Config {
    stream::Config {
        name: name.to_owned(),
        subjects,
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: MAX_AGE,
        ..Default::default()
    }
}

/// Creates the stream, or brings an existing one to this configuration.
pub async fn ensure_stream(
    js: &jetstream::Context,
    name: &str,
    subjects: Vec<String>,
) -> Result<(), NatsError> {
    js.create_or_update_stream(stream_config(name, subjects))
        .await
        .map_err(|source| NatsError::Stream {
            name: name.to_owned(),
            source,
        })?;
    Ok(())
}
