-- Not accepted (不予受理): the reason (A–E) and the reply to give the
-- complainant, from triage.
ALTER TABLE cases
    ADD COLUMN not_accepted_reason TEXT NOT NULL DEFAULT '',
    ADD COLUMN reply TEXT NOT NULL DEFAULT '';
