-- 004_paywall.sql: the metered paywall: the plans offered on "Learn More", readers'
-- subscriptions (granted by an admin or sold through Stripe), institutions with their address
-- ranges, signed-in readers' meter, the Stripe events already processed, and a default access
-- level per publication and per section.
--
-- Subscriptions outlive the account: payment records are kept by law when a reader deletes the
-- account, so user_id is NULL-able and set to NULL (ON DELETE SET NULL) rather than cascading.
-- plan_slug is text, not a reference, for the same reason: a plan withdrawn later must not take
-- its subscribers' records with it.
--
-- The server keeps the organisations' ranges and the plans in memory; every change to them bumps
-- meta.paywall_version in the same transaction (triggers below), as 001 does for content, so a
-- `broadsheet org …` or `broadsheet plan …` run beside the server is seen by comparing one number
-- (store_paywall_version).
--
-- Times are unix seconds, UTC. Text columns are NOT NULL with '' for "unset", as store.h hands
-- them out.

CREATE TABLE plans (
    id              INTEGER PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    benefits        TEXT NOT NULL DEFAULT '', -- one benefit per line
    period          TEXT NOT NULL CHECK (period IN ('month', 'year', 'contact')),
    price_cents     INTEGER NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
    currency        TEXT NOT NULL DEFAULT 'USD',
    position        INTEGER NOT NULL DEFAULT 0, -- order on the offers page, ascending
    stripe_price_id TEXT NOT NULL DEFAULT '',
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE subscriptions (
    id                     INTEGER PRIMARY KEY,
    user_id                INTEGER REFERENCES users (id) ON DELETE SET NULL, -- NULL: account gone
    plan_slug              TEXT NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('active', 'past_due', 'canceled')),
    current_period_end     INTEGER NOT NULL,
    stripe_customer_id     TEXT NOT NULL DEFAULT '',
    stripe_subscription_id TEXT NOT NULL DEFAULT '',
    source                 TEXT NOT NULL CHECK (source IN ('admin', 'stripe')),
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);

-- A Stripe subscription is one row, found and updated by its id (webhooks upsert on this).
CREATE UNIQUE INDEX subscriptions_stripe ON subscriptions (stripe_subscription_id)
    WHERE stripe_subscription_id <> '';
-- At most one admin-granted subscription per user: a new grant replaces it (upsert on this).
-- A deleted account's rows have user_id NULL, which never conflicts.
CREATE UNIQUE INDEX subscriptions_admin_user ON subscriptions (user_id) WHERE source = 'admin';
-- A reader's subscriptions (every request of a signed-in reader looks them up).
CREATE INDEX subscriptions_user ON subscriptions (user_id, status, current_period_end);
-- "Manage billing" and checkout completion find the subscription by Stripe customer.
CREATE INDEX subscriptions_customer ON subscriptions (stripe_customer_id)
    WHERE stripe_customer_id <> '';

CREATE TABLE organisations (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,        -- shown as "Access provided by NAME"
    ends_at    INTEGER NOT NULL DEFAULT 0, -- access ends at this instant; 0: no end date
    created_at INTEGER NOT NULL
);

CREATE TABLE organisation_ranges (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    cidr            TEXT NOT NULL, -- normalised by the store (cidr_format): "192.0.2.0/24"
    UNIQUE (organisation_id, cidr)
);

-- Signed-in readers' meter: one row per article read, its time the start of the current count
-- (a re-read inside the period keeps it; a read after the period starts it anew).
CREATE TABLE meter_reads (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    read_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, article_id)
) WITHOUT ROWID;

-- Counting a reader's reads since a time; purging old reads.
CREATE INDEX meter_reads_user_time ON meter_reads (user_id, read_at);
CREATE INDEX meter_reads_time ON meter_reads (read_at);
-- ON DELETE CASCADE from articles looks reads up by article.
CREATE INDEX meter_reads_article ON meter_reads (article_id);

-- Stripe events already processed: Stripe delivers at least once, we act once per event id.
CREATE TABLE stripe_events (
    id          TEXT PRIMARY KEY, -- "evt_…"
    type        TEXT NOT NULL,
    received_at INTEGER NOT NULL
);

-- Default access of the articles of a publication or a section, applied when an article is
-- imported without its own level: '' inherits (section, then publication, then 'metered').
ALTER TABLE publications ADD COLUMN default_access TEXT NOT NULL DEFAULT ''
    CHECK (default_access IN ('', 'free', 'metered', 'subscribers'));
ALTER TABLE sections ADD COLUMN default_access TEXT NOT NULL DEFAULT ''
    CHECK (default_access IN ('', 'free', 'metered', 'subscribers'));

INSERT INTO meta (key, value) VALUES ('paywall_version', 0);

CREATE TRIGGER plans_insert_paywall_version AFTER INSERT ON plans BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'paywall_version';
END;
CREATE TRIGGER plans_update_paywall_version AFTER UPDATE ON plans BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'paywall_version';
END;
CREATE TRIGGER plans_delete_paywall_version AFTER DELETE ON plans BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'paywall_version';
END;

CREATE TRIGGER organisations_insert_paywall_version AFTER INSERT ON organisations BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'paywall_version';
END;
CREATE TRIGGER organisations_update_paywall_version AFTER UPDATE ON organisations BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'paywall_version';
END;
CREATE TRIGGER organisations_delete_paywall_version AFTER DELETE ON organisations BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'paywall_version';
END;

CREATE TRIGGER organisation_ranges_insert_paywall_version AFTER INSERT ON organisation_ranges
BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'paywall_version';
END;
CREATE TRIGGER organisation_ranges_update_paywall_version AFTER UPDATE ON organisation_ranges
BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'paywall_version';
END;
CREATE TRIGGER organisation_ranges_delete_paywall_version AFTER DELETE ON organisation_ranges
BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'paywall_version';
END;
