-- dispatch's schema: work orders (工单), who holds each case now.
CREATE TABLE work_orders (
    order_id      UUID        PRIMARY KEY,
    case_id       UUID        NOT NULL,
    case_number   TEXT        NOT NULL,
    department    TEXT        NOT NULL,
    mode          INTEGER     NOT NULL,
    kind          INTEGER     NOT NULL,
    category      TEXT        NOT NULL,
    severity      INTEGER     NOT NULL,
    region        TEXT        NOT NULL,
    channel       INTEGER     NOT NULL,
    -- Masked summary (摘转), as the department sees it.
    summary       TEXT        NOT NULL,
    request       TEXT        NOT NULL,
    respondent    TEXT        NOT NULL,
    received_at   TIMESTAMPTZ,
    assigned_at   TIMESTAMPTZ NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    deadline_rule TEXT        NOT NULL,
    -- open, … (the department workflow adds states).
    state         TEXT        NOT NULL DEFAULT 'open'
);

CREATE INDEX work_orders_department ON work_orders (department, assigned_at DESC);
CREATE INDEX work_orders_case ON work_orders (case_id);
