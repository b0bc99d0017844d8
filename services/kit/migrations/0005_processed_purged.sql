-- Handled events are forgotten once no delivery can bring them back (kit
-- processed.rs): each consumer deletes its processed_events rows older than
-- a setting (30 days) and records the horizon it deleted up to, so that a
-- consumer made again from the stream (a changed filter) starts there.
--
-- The rows go in handled order, so a BRIN index finds the old ones in a
-- few pages, and costs next to nothing on insert.
CREATE INDEX processed_events_handled_at ON processed_events USING brin (handled_at);

CREATE TABLE processed_purged (
    consumer TEXT        PRIMARY KEY,
    before   TIMESTAMPTZ NOT NULL
);
