-- Complaints not accepted (不予受理) are decisions too: recorded with the
-- reason (A–E) and the reply, never dropped.
ALTER TABLE decisions
    ADD COLUMN accepted  BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN not_accepted_reason TEXT NOT NULL DEFAULT '',
    ADD COLUMN reply     TEXT NOT NULL DEFAULT '';
