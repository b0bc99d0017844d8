-- Supervision: each timer stores its next step (warning, overdue,
-- escalation and its level) and when it fires. The partial index on fire_at
-- is the scheduler: the watcher reads the due end of it in batches, so the
-- number of open timers costs disk, not memory.
ALTER TABLE timers
    ADD COLUMN started_at  TIMESTAMPTZ,
    ADD COLUMN stage       TEXT        NOT NULL DEFAULT 'overdue',
    ADD COLUMN level       INTEGER     NOT NULL DEFAULT 0,
    ADD COLUMN fire_at     TIMESTAMPTZ,
    ADD COLUMN received_at TIMESTAMPTZ,
    ADD COLUMN category    TEXT        NOT NULL DEFAULT '';
UPDATE timers SET started_at = created_at, fire_at = due_at;
ALTER TABLE timers ALTER COLUMN started_at SET NOT NULL, ALTER COLUMN fire_at SET NOT NULL;
COMMENT ON COLUMN timers.state IS 'pending (will fire), paused, cancelled or done (every step fired)';
DROP INDEX timers_pending_due;
CREATE INDEX timers_to_fire ON timers (fire_at) WHERE state = 'pending';
