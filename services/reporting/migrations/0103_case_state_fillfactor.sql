-- Room on each page for a case's newer state, so that an update that
-- leaves the indexed columns (due_at, received_at, and the overdue index's
-- state and alert_stage) as they were is a HOT update, with no new index
-- entry: routing and reassignment set department, category and severity
-- only. Applies to pages written from now on.
ALTER TABLE case_state SET (fillfactor = 70);
