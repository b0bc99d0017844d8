-- The outbox written once (kit). Rows were marked sent with an UPDATE,
-- which wrote every row twice (and its indexes: `sent_at` was in both
-- partial indexes, so the update was never HOT). Now a row is inserted
-- and later deleted, never updated:
-- - each row carries `txid`, the id of the transaction that wrote it;
-- - the relay sends rows in (txid, id) order, only those whose
--   transaction lies below its snapshot's xmin (every transaction below
--   it has ended, so no row can still appear behind the relay), as PgQ
--   does;
-- - how far it has sent is one `outbox_sent` row per batch sent: the
--   last (txid, id) of the batch and when. The newest is the relay's
--   position; the older ones tell which rows a broker restart needs again
--   (kit broker.rs) and which may be purged.
ALTER TABLE outbox ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();

CREATE TABLE outbox_sent (
    batch     BIGSERIAL   PRIMARY KEY,
    -- The last row of the batch, in the relay's order.
    upto_txid xid8        NOT NULL,
    upto_id   BIGINT      NOT NULL,
    sent_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The rows already in the table all got this transaction's id. The relay
-- starts after the last row sent before the first unsent one: unsent rows
-- are sent, and sent ones after the first unsent are sent again
-- (JetStream drops them as duplicates within its window).
INSERT INTO outbox_sent (upto_txid, upto_id)
SELECT pg_current_xact_id(),
       coalesce((SELECT min(id) - 1 FROM outbox WHERE sent_at IS NULL),
                (SELECT max(id) FROM outbox),
                0);

-- Drops the partial indexes `outbox_unsent` and `outbox_sent_at` with it.
ALTER TABLE outbox DROP COLUMN sent_at;
-- The relay's order is the key: one index where the row id and the unsent
-- index were two.
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey;
ALTER TABLE outbox ADD PRIMARY KEY (txid, id);
