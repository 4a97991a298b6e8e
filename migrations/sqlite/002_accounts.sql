-- 002_accounts.sql: reader and staff accounts, their sessions, their single-use tokens (email
-- verification, password reset, email change) and the server's own secrets.
--
-- Secrets at rest: a session or token is stored only as the hex of BLAKE2b-256 of the token the
-- reader holds (auth.h), so a copy of the database does not let anyone sign in or use a link.
-- Passwords are argon2id strings from libsodium's crypto_pwhash_str.
--
-- Emails are stored lowercased by the store and compared with COLLATE NOCASE as well, so the
-- UNIQUE constraint (which is what decides a race between two registrations) cannot be dodged
-- by case. NOCASE folds ASCII only, like the store's lowercasing.
--
-- Deleting a user deletes its sessions and tokens (ON DELETE CASCADE; foreign_keys is on for
-- every connection, see store_sqlite.c). Times are unix seconds, UTC.

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name      TEXT NOT NULL DEFAULT '',
    password_hash     TEXT NOT NULL DEFAULT '',
    role              TEXT NOT NULL DEFAULT 'reader'
                      CHECK (role IN ('reader', 'writer', 'editor', 'admin')),
    email_verified_at INTEGER,          -- NULL: not verified yet
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE, -- hex BLAKE2b-256 of the cookie's token
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,     -- for the idle expiry
    expires_at   INTEGER NOT NULL,     -- absolute expiry
    user_agent   TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT ''
);

-- "My account" lists a user's sessions; log-out everywhere and account deletion find them.
CREATE INDEX sessions_user ON sessions (user_id, last_seen_at DESC);
-- The purge of expired sessions.
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('verify', 'reset', 'email_change')),
    token_hash TEXT NOT NULL UNIQUE,   -- hex BLAKE2b-256 of the link's token
    payload    TEXT NOT NULL DEFAULT '', -- e.g. the new address of an email change
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER                 -- NULL until consumed; a token works once
);

CREATE INDEX tokens_user ON tokens (user_id, kind);
CREATE INDEX tokens_expires ON tokens (expires_at);

-- Server secrets (the CSRF and cookie HMAC keys…), made on first use by store_secret and shared
-- by every process using the database, so cookies signed by one app node verify on another.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
