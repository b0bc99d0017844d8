-- The timeline's foreign key on cases goes. It checked every timeline row
-- with a lookup and a row lock on its case (a trigger per row): about as
-- much as the insert itself, four rows a complaint. Intake's writers check
-- instead: registration writes the case and its first entry together, a
-- review loads the case first, and the timeline consumer looks up, with
-- one statement a batch, every case an event names that no update of the
-- batch found, and rejects an event about a case intake does not hold
-- (timeline.rs). Cases are never deleted, so a case found stays found.
ALTER TABLE timeline DROP CONSTRAINT IF EXISTS timeline_case_id_fkey;
