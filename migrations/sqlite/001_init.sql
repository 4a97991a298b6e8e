-- 001_init.sql: Broadsheet's first schema: publications, sections, articles and the meta table.
--
-- Every content table bumps meta.content_version through triggers, in the same transaction as
-- the change, so any process sharing the database (an `article import` run beside the server)
-- tells the server's page cache that what it rendered is stale: the server only has to compare
-- one number (store_content_version).
--
-- Text columns are NOT NULL with '' for "unset", the way store.h hands them out.

CREATE TABLE publications (
    id                  INTEGER PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    producer            TEXT NOT NULL DEFAULT '',
    partner             TEXT NOT NULL DEFAULT '',
    partner_short       TEXT NOT NULL DEFAULT '',
    partner_url         TEXT NOT NULL DEFAULT '',
    partner_description TEXT NOT NULL DEFAULT '',
    is_host             INTEGER NOT NULL DEFAULT 0 CHECK (is_host IN (0, 1))
);

CREATE TABLE sections (
    id       INTEGER PRIMARY KEY,
    slug     TEXT NOT NULL UNIQUE,
    name     TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE articles (
    id             INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    publication_id INTEGER NOT NULL REFERENCES publications (id),
    section_id     INTEGER NOT NULL REFERENCES sections (id),
    headline       TEXT NOT NULL,
    dek            TEXT NOT NULL DEFAULT '',
    byline         TEXT NOT NULL DEFAULT '',
    body_markdown  TEXT NOT NULL,
    body_html      TEXT NOT NULL,
    published_at   INTEGER NOT NULL, -- unix seconds, UTC
    updated_at     INTEGER NOT NULL, -- unix seconds, UTC
    access         TEXT NOT NULL DEFAULT 'metered'
                   CHECK (access IN ('free', 'metered', 'subscribers'))
);

-- The article lists: newest first overall, per publication and per section (id breaks ties).
CREATE INDEX articles_latest ON articles (published_at DESC, id DESC);
CREATE INDEX articles_publication_latest ON articles (publication_id, published_at DESC, id DESC);
CREATE INDEX articles_section_latest ON articles (section_id, published_at DESC, id DESC);

-- Process-wide facts about the database. value has no declared type: integers stay integers.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value
);

INSERT INTO meta (key, value) VALUES ('content_version', 0);

CREATE TRIGGER publications_insert_version AFTER INSERT ON publications BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'content_version';
END;
CREATE TRIGGER publications_update_version AFTER UPDATE ON publications BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'content_version';
END;
CREATE TRIGGER publications_delete_version AFTER DELETE ON publications BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'content_version';
END;

CREATE TRIGGER sections_insert_version AFTER INSERT ON sections BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'content_version';
END;
CREATE TRIGGER sections_update_version AFTER UPDATE ON sections BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'content_version';
END;
CREATE TRIGGER sections_delete_version AFTER DELETE ON sections BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'content_version';
END;

CREATE TRIGGER articles_insert_version AFTER INSERT ON articles BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'content_version';
END;
CREATE TRIGGER articles_update_version AFTER UPDATE ON articles BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'content_version';
END;
CREATE TRIGGER articles_delete_version AFTER DELETE ON articles BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'content_version';
END;
