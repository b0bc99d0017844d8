-- The case status follows dispatch's workflow; the order's revision orders
-- its events, so a late re-delivery never moves the status back.
ALTER TABLE cases ADD COLUMN dispatch_revision BIGINT NOT NULL DEFAULT 0;
