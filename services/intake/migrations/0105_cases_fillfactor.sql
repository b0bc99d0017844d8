-- Room on each page for a case's newer versions. Every case is updated
-- soon after it is registered (routed, then its work order's state), and
-- none of the columns updated is indexed: with free space on the page the
-- update is a HOT update, which writes no index entry (the table has four
-- indexes). At the default fillfactor (100) the pages fill at registration
-- and every update went to another page, with a new entry in each index.
-- Applies to pages written from now on; VACUUM FULL rewrites older ones.
ALTER TABLE cases SET (fillfactor = 70);
