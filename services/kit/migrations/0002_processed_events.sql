-- Idempotent consumers (kit): the id of every event a consumer has handled,
-- written in the same transaction as the handler's effect. A redelivered
-- event finds its id here and is acknowledged without a second effect.
CREATE TABLE processed_events (
    consumer   TEXT        NOT NULL,
    event_id   UUID        NOT NULL,
    handled_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
