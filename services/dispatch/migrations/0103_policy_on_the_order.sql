-- The return window and the extension cap come from the deadline policy
-- with each deadline, and stay with the order.
ALTER TABLE work_orders
    ADD COLUMN return_window_seconds INTEGER NOT NULL DEFAULT 1800,
    ADD COLUMN extension_cap         INTEGER NOT NULL DEFAULT 30;
