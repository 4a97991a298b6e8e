-- 008_email_undo.sql: a new kind of single-use link, 'email_undo'. When an account's email
-- address changes, the old address is sent a link that restores it (page_password.c): the way
-- back for its owner when someone who had the account's session and password moved it to an
-- address of their own. Its payload is the old address.
--
-- SQLite cannot change a CHECK constraint in place, so tokens is rebuilt with the wider one
-- (the documented procedure: a new table, the rows copied with their ids, the old table
-- dropped, the new one renamed; nothing references tokens, so no foreign key needs care) and
-- its indexes made again.
--
-- tokens_undo_address: while an undo link is pending, its address is held for the account it
-- would return to (no other account may register it or move to it: the store's user writes
-- check this index), or the thief could block the way back by taking the old address.

CREATE TABLE tokens_new (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('verify', 'reset', 'email_change', 'email_undo')),
    token_hash TEXT NOT NULL UNIQUE,     -- hex BLAKE2b-256 of the link's token
    payload    TEXT NOT NULL DEFAULT '', -- the new address of an email change, the old of an undo
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER                   -- NULL until consumed; a token works once
);

INSERT INTO tokens_new (id, user_id, kind, token_hash, payload, created_at, expires_at, used_at)
    SELECT id, user_id, kind, token_hash, payload, created_at, expires_at, used_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;

CREATE INDEX tokens_user ON tokens (user_id, kind);
CREATE INDEX tokens_expires ON tokens (expires_at);
CREATE INDEX tokens_undo_address ON tokens (payload COLLATE NOCASE)
    WHERE kind = 'email_undo' AND used_at IS NULL;
