-- Broker epochs (kit): the NATS server each outbox relay and consumer last
-- worked with, and when it last saw it alive. nats-server 2.9 writes
-- JetStream to disk lazily, so a server killed or crashed can come back
-- without its last writes, and a consumer's stored position can even be
-- ahead of its stream. A new server id (a new process) tells the relay to
-- publish its recent rows again and the consumer to rewind (kit broker.rs).
CREATE TABLE broker_epochs (
    -- 'outbox-relay' or a consumer's durable name.
    holder    TEXT PRIMARY KEY,
    -- The INFO server_id; nats-server makes a new one at every start.
    server_id TEXT        NOT NULL,
    seen_at   TIMESTAMPTZ NOT NULL
);
