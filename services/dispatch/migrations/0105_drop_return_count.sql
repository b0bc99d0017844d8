-- The number of returns is the length of returned_by (one entry per
-- return); a second column could only disagree with it.
ALTER TABLE work_orders DROP COLUMN return_count;
