-- Timers follow the work order's steps: a newer revision of the order
-- replaces what an older one said (events may be re-delivered out of date).
ALTER TABLE timers ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
-- pending, paused (suspended case), cancelled (concluded, closed, withdrawn).
COMMENT ON COLUMN timers.state IS 'pending, paused or cancelled';
