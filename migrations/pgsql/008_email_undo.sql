-- 008_email_undo.sql (PostgreSQL): a new kind of single-use link, 'email_undo', whose payload is
-- the account's old address, and the index that holds a pending undo link's address for its
-- account; see migrations/sqlite/008_email_undo.sql.
--
-- SQLite rebuilds tokens to widen its CHECK; PostgreSQL replaces the constraint in place (the
-- new one is checked against the rows there, which it admits). Ids, rows and the other indexes
-- stay as they are.
--
-- tokens_undo_address: SQLite indexes payload COLLATE NOCASE and its statements compare
-- `payload = ?1 COLLATE NOCASE`. Here, as for users.email (002), the index is on the plain
-- column and tokens_undo_payload_lowercase makes an undo link's address lowercase, as the store
-- writes it (the old address comes from users.email, lowercase by users_email_lowercase), so a
-- plain comparison with a lowercased address finds what NOCASE finds. The PostgreSQL text of
-- those statements drops the COLLATE NOCASE (migrations/pgsql/README.md); the index serves
-- `payload = ?1` under these same WHERE terms.

ALTER TABLE tokens DROP CONSTRAINT tokens_kind_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_kind_check
    CHECK (kind IN ('verify', 'reset', 'email_change', 'email_undo'));
ALTER TABLE tokens ADD CONSTRAINT tokens_undo_payload_lowercase
    CHECK (kind <> 'email_undo' OR payload = lower(payload));

CREATE INDEX tokens_undo_address ON tokens (payload)
    WHERE kind = 'email_undo' AND used_at IS NULL;
