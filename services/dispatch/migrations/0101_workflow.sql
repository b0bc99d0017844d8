-- The department workflow: one work order per case, its holder (主办) and
-- co-handlers (协办), its state, counters and history.
ALTER TABLE work_orders RENAME COLUMN department TO holder;
ALTER TABLE work_orders ALTER COLUMN state SET DEFAULT 'queued';
UPDATE work_orders SET state = 'queued' WHERE state = 'open';
ALTER TABLE work_orders
    ADD COLUMN co_handlers       TEXT[]      NOT NULL DEFAULT '{}',
    -- The policy's limit in working days; extensions are capped against it.
    ADD COLUMN base_working_days INTEGER     NOT NULL DEFAULT 0,
    ADD COLUMN extended_days     INTEGER     NOT NULL DEFAULT 0,
    ADD COLUMN pending_extension INTEGER,
    ADD COLUMN reopen_count      INTEGER     NOT NULL DEFAULT 0,
    ADD COLUMN return_count      INTEGER     NOT NULL DEFAULT 0,
    -- Departments that returned it; a reroute by rule skips them.
    ADD COLUMN returned_by       TEXT[]      NOT NULL DEFAULT '{}',
    -- Who held it before the centre took it for a re-review.
    ADD COLUMN previous_holder   TEXT        NOT NULL DEFAULT '',
    ADD COLUMN suspended_at      TIMESTAMPTZ,
    ADD COLUMN last_contact_at   TIMESTAMPTZ,
    ADD COLUMN satisfaction      TEXT        NOT NULL DEFAULT '',
    -- Grows with every step; carried by events so consumers skip old news.
    ADD COLUMN revision          BIGINT      NOT NULL DEFAULT 1,
    ADD COLUMN updated_at        TIMESTAMPTZ NOT NULL DEFAULT now();

CREATE UNIQUE INDEX work_orders_case_number ON work_orders (case_number);
CREATE INDEX work_orders_co_handlers ON work_orders USING gin (co_handlers);

-- The latest conclusion of each order (办结报告); a reopened case that is
-- concluded again replaces it, the history keeps every step.
CREATE TABLE conclusions (
    order_id           UUID        PRIMARY KEY REFERENCES work_orders (order_id),
    facts_found        TEXT        NOT NULL,
    staff_handling     TEXT        NOT NULL,
    corrective_actions TEXT        NOT NULL,
    answer             TEXT        NOT NULL,
    handler            TEXT        NOT NULL,
    handler_phone      TEXT        NOT NULL,
    concluded_at       TIMESTAMPTZ NOT NULL
);

-- Every step taken on an order, for GetOrder and audits.
CREATE TABLE order_steps (
    id       BIGSERIAL   PRIMARY KEY,
    order_id UUID        NOT NULL REFERENCES work_orders (order_id),
    at       TIMESTAMPTZ NOT NULL,
    step     TEXT        NOT NULL,
    actor    TEXT        NOT NULL,
    state    TEXT        NOT NULL,
    holder   TEXT        NOT NULL,
    detail   TEXT        NOT NULL
);

CREATE INDEX order_steps_order ON order_steps (order_id, id);
