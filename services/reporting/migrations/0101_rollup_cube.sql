-- The rollup cube: every figure of every report is a sum over these rows,
-- never a scan of cases. One row per local day × department × dimension ×
-- key (see src/fold.rs for what is counted where).
CREATE TABLE cube (
    day        DATE   NOT NULL,
    -- The department it counts for; '' before a case has one.
    department TEXT   NOT NULL,
    dimension  TEXT   NOT NULL,
    key        TEXT   NOT NULL,
    value      BIGINT NOT NULL,
    PRIMARY KEY (day, department, dimension, key)
);

-- The latest state of each case, for the lists of a report (overdue cases,
-- typical cases). No personal data: the summary is masked.
CREATE TABLE case_state (
    case_id       UUID        PRIMARY KEY,
    case_number   TEXT        NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    department    TEXT        NOT NULL DEFAULT '',
    category      TEXT        NOT NULL DEFAULT '',
    region        TEXT        NOT NULL DEFAULT '',
    severity      TEXT        NOT NULL DEFAULT '',
    summary       TEXT        NOT NULL DEFAULT '',
    state         TEXT        NOT NULL DEFAULT 'registered',
    -- The conclusion deadline while the case runs.
    due_at        TIMESTAMPTZ,
    -- The latest alert and the deadline it was about: it counts only while
    -- that is still the case's deadline.
    alert_due_at  TIMESTAMPTZ,
    alert_stage   TEXT        NOT NULL DEFAULT '',
    alert_level   INTEGER     NOT NULL DEFAULT 0,
    was_escalated BOOLEAN     NOT NULL DEFAULT false,
    reopen_count  INTEGER     NOT NULL DEFAULT 0,
    -- dispatch's revision of the order; older news is ignored.
    revision      BIGINT      NOT NULL DEFAULT 0
);
CREATE INDEX case_state_overdue ON case_state (due_at)
    WHERE alert_stage IN ('overdue', 'escalated') AND state IN ('queued', 'in_progress', 'returned', 'suspended');
CREATE INDEX case_state_received ON case_state (received_at);

-- Reports produced on schedule (weekly, monthly, quarterly, annual).
CREATE TABLE reports (
    period       INTEGER     NOT NULL,
    from_day     DATE        NOT NULL,
    to_day       DATE        NOT NULL,
    generated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The Report message, CSV and HTML, as served.
    body         BYTEA       NOT NULL,
    csv          TEXT        NOT NULL,
    html         TEXT        NOT NULL,
    PRIMARY KEY (period, from_day)
);

-- The daily counts are now part of the cube; the cube is filled by
-- replaying every stream once (rollup_state 'rebuild').
DROP TABLE daily_counts;
CREATE TABLE rollup_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO rollup_state (key, value) VALUES ('rebuild', 'requested');
