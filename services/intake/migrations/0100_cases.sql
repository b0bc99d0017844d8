-- intake's schema: the case record, the complainant's identity (which never
-- leaves this schema) and the case timeline.

CREATE TABLE cases (
    case_id         UUID        PRIMARY KEY,
    -- Readable number, YYYY-MM-NNNNNN by the month of receipt (local time).
    case_number     TEXT        NOT NULL UNIQUE,
    -- Given to the complainant to query the case (查询码).
    query_code      TEXT        NOT NULL,
    -- A retried submission with the same key returns this case.
    idempotency_key TEXT        NOT NULL UNIQUE,
    channel         INTEGER     NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    matter_at       TIMESTAMPTZ,
    region          TEXT        NOT NULL,
    category_hint   TEXT        NOT NULL DEFAULT '',
    respondent      TEXT        NOT NULL DEFAULT '',
    facts           TEXT        NOT NULL,
    request         TEXT        NOT NULL DEFAULT '',
    anonymous       BOOLEAN     NOT NULL,
    -- What the rest of the mesh reported back; see timeline for the history.
    status          TEXT        NOT NULL DEFAULT 'registered',
    status_rank     INTEGER     NOT NULL DEFAULT 1,
    kind            INTEGER     NOT NULL DEFAULT 0,
    category        TEXT        NOT NULL DEFAULT '',
    severity        INTEGER     NOT NULL DEFAULT 0,
    department      TEXT        NOT NULL DEFAULT '',
    mode            INTEGER     NOT NULL DEFAULT 0,
    due_at          TIMESTAMPTZ
);

-- Personal data, kept apart so that nothing else selects it by accident.
CREATE TABLE complainants (
    case_id UUID PRIMARY KEY REFERENCES cases (case_id),
    name    TEXT NOT NULL DEFAULT '',
    phone   TEXT NOT NULL DEFAULT '',
    email   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE timeline (
    id      BIGSERIAL   PRIMARY KEY,
    case_id UUID        NOT NULL REFERENCES cases (case_id),
    at      TIMESTAMPTZ NOT NULL,
    source  TEXT        NOT NULL,
    event   TEXT        NOT NULL,
    detail  TEXT        NOT NULL DEFAULT ''
);

CREATE INDEX timeline_case ON timeline (case_id, at, id);
