-- deadline-watcher's schema: one timer per deadline of a work order.
CREATE TABLE timers (
    timer_id      UUID        PRIMARY KEY,
    case_id       UUID        NOT NULL,
    case_number   TEXT        NOT NULL,
    order_id      UUID        NOT NULL,
    department    TEXT        NOT NULL,
    deadline_kind INTEGER     NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    -- The policy rule that set due_at, e.g. "transferred: 10 working days".
    rule          TEXT        NOT NULL,
    -- pending, fired, cancelled.
    state         TEXT        NOT NULL DEFAULT 'pending',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_id, deadline_kind)
);

-- Pending timers by due time: what the watcher scans.
CREATE INDEX timers_pending_due ON timers (due_at) WHERE state = 'pending';
CREATE INDEX timers_case ON timers (case_id);
