-- Transactional outbox (kit): a service writes its state change and the
-- event in one transaction; the relay publishes rows to JetStream and marks
-- them sent after the server's ack. Sent rows are kept for `keep_sent`, so a
-- broker that lost its last seconds of writes can be sent them again with
-- the same Nats-Msg-Id.
CREATE TABLE outbox (
    id         BIGSERIAL PRIMARY KEY,
    event_id   UUID        NOT NULL UNIQUE,
    subject    TEXT        NOT NULL,
    payload    BYTEA       NOT NULL,
    -- W3C trace context of the transaction that wrote the event.
    traceparent TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at    TIMESTAMPTZ
);

-- The relay reads unsent rows in id order.
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
