-- 022_webhooks.sql: push to partners (issue 13, "Push"; src/webhook.h).
--
-- The queue is the item log itself (021): a version is in the log in the same transaction that
-- made it, so nothing is queued separately and nothing can be lost between a change and its
-- delivery. What a webhook adds is a cursor per partner: cursor_seq is the item_log seq
-- delivered up to. The delivery worker POSTs, in log order, each version of the partner's
-- product after its cursor, and moves the cursor only after a 2xx answer, so delivery is at
-- least once (a version may arrive twice: partners de-duplicate by uri and version). A new
-- webhook starts at the log's end then (a partner walks older items with the API).
--
-- The signing secret is kept as it was made: the HMAC needs it. It is printed once, by
-- `partner webhook set` and `rotate-secret`, and never logged or shown again.
--
-- Retries: a failed attempt adds one to attempts and puts next_attempt_at a growing delay
-- ahead; a 2xx sets attempts back to 0. A worker claims a due partner by a lease (lease_owner,
-- lease_until: as the mail queue's, 006) so that of several nodes only one delivers a
-- partner's items at a time, and a worker that died leaves the partner to another when the
-- lease ends. last_status and last_error are the latest attempt's, for the operator.
--
-- webhook_deliveries is the delivery log: one row per attempt (status 0 when no HTTP answer
-- came), newest first by id per partner (webhook_deliveries_partner); the worker keeps the
-- last thousand per partner and deletes older ones hourly.
--
-- partner_webhooks is WITHOUT ROWID: its key is the partner's id, never a new one, and it is
-- looked up by it only.
CREATE TABLE partner_webhooks (
    partner_id      INTEGER NOT NULL PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    url             TEXT NOT NULL CHECK (url <> ''),
    secret          TEXT NOT NULL CHECK (secret <> ''),
    cursor_seq      INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX partner_webhooks_due ON partner_webhooks (next_attempt_at);

CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    partner_id  INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    article_id  INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_partner ON webhook_deliveries (partner_id, id);
