-- The secret of the complainant's pseudonymous key (complainant_key.rs):
-- made once, on first start, and never leaving this schema. Without it the
-- key of a phone number cannot be recomputed from the events.
CREATE TABLE key_secret (
    id      BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    secret  BYTEA   NOT NULL
);
-- So an operator can find a complainant's cases, and a test can check that
-- the key is the one announced.
ALTER TABLE cases ADD COLUMN complainant_key TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_complainant_key ON cases (complainant_key) WHERE complainant_key <> '';
