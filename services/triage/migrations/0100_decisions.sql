-- triage's schema: one routing decision per case, with the rules that made it.
CREATE TABLE decisions (
    case_id     UUID        PRIMARY KEY,
    case_number TEXT        NOT NULL,
    kind        INTEGER     NOT NULL,
    category    TEXT        NOT NULL,
    severity    INTEGER     NOT NULL,
    region      TEXT        NOT NULL,
    department  TEXT        NOT NULL,
    mode        INTEGER     NOT NULL,
    reasons     TEXT[]      NOT NULL,
    decided_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
