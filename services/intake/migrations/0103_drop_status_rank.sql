-- The status's rank only ever told "registered" from the rest, which the
-- status itself says.
ALTER TABLE cases DROP COLUMN status_rank;
