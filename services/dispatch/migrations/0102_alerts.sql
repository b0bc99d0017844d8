-- The latest deadline alert on an order's current conclusion deadline,
-- cleared when the deadline moves.
ALTER TABLE work_orders
    ADD COLUMN alert_stage TEXT    NOT NULL DEFAULT '',
    ADD COLUMN alert_level INTEGER NOT NULL DEFAULT 0;
CREATE INDEX work_orders_alerted ON work_orders (holder) WHERE alert_stage IN ('overdue', 'escalated');
