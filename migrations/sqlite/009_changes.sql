-- 009_changes.sql: the change log that page caches follow, and articles' hot columns first.
--
-- Until now every content write bumped meta.content_version and the server flushed its whole
-- page cache when the number moved. Now each write records, in its own transaction, which
-- cache tags it touched (render_depends names the same tags on the pages that show them):
--
--   article:ID             the article's own page
--   list:all               lists of the newest articles (the home page)
--   list:section:ID        the section's page (an article moved between sections: both)
--   list:publication:ID    the publication's page (likewise)
--   nav                    what every page shows: sections and publications (a rename, a new
--                          section, a publication's syndication footer)
--
-- meta.change_seq counts writes; changes keeps one row per tag with the number of its latest
-- change, so the table stays as small as the set of tags, and a server that has followed the
-- log up to N reads what changed since with one indexed range read (store_changes_since). The
-- CLI, another server process and later other nodes are seen the same way. SQLite serialises
-- writers, so numbers are handed out in commit order and a reader never skips one.

DROP TRIGGER publications_insert_version;
DROP TRIGGER publications_update_version;
DROP TRIGGER publications_delete_version;
DROP TRIGGER sections_insert_version;
DROP TRIGGER sections_update_version;
DROP TRIGGER sections_delete_version;
DROP TRIGGER articles_insert_version;
DROP TRIGGER articles_update_version;
DROP TRIGGER articles_delete_version;
DELETE FROM meta WHERE key = 'content_version';
INSERT INTO meta (key, value) VALUES ('change_seq', 0);

CREATE TABLE changes (
    tag        TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    changed_at INTEGER NOT NULL -- unix seconds, for operators
);
CREATE INDEX changes_seq ON changes (seq);

-- articles again, with the columns lists read (dates, access, headline, dek, byline) before the
-- bodies: SQLite reads a row's columns in order and a body long enough to spill into overflow
-- pages is then never read by a list. Rows keep their ids; the table is renamed into place, and
-- meter_reads' foreign key names it by name, so it refers to the new table (store_sqlite.c's
-- migrate() turns foreign key enforcement off while a migration runs and checks every key
-- before committing).
CREATE TABLE articles_new (
    id             INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    publication_id INTEGER NOT NULL REFERENCES publications (id),
    section_id     INTEGER NOT NULL REFERENCES sections (id),
    published_at   INTEGER NOT NULL, -- unix seconds, UTC
    updated_at     INTEGER NOT NULL, -- unix seconds, UTC
    access         TEXT NOT NULL DEFAULT 'metered'
                   CHECK (access IN ('free', 'metered', 'subscribers')),
    headline       TEXT NOT NULL,
    dek            TEXT NOT NULL DEFAULT '',
    byline         TEXT NOT NULL DEFAULT '',
    body_markdown  TEXT NOT NULL,
    body_html      TEXT NOT NULL
);
INSERT INTO articles_new (id, slug, publication_id, section_id, published_at, updated_at, access,
                          headline, dek, byline, body_markdown, body_html)
    SELECT id, slug, publication_id, section_id, published_at, updated_at, access, headline, dek,
           byline, body_markdown, body_html
    FROM articles;
DROP TABLE articles;
ALTER TABLE articles_new RENAME TO articles;

CREATE INDEX articles_latest ON articles (published_at DESC, id DESC);
CREATE INDEX articles_publication_latest ON articles (publication_id, published_at DESC, id DESC);
CREATE INDEX articles_section_latest ON articles (section_id, published_at DESC, id DESC);
-- lists filtered by publication and section together: without it, a pair with few or no
-- articles walked the whole publication's index (687 ms at a million articles)
CREATE INDEX articles_publication_section_latest
    ON articles (publication_id, section_id, published_at DESC, id DESC);

CREATE TRIGGER articles_insert_change AFTER INSERT ON articles BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('article:' || NEW.id), ('list:all'), ('list:section:' || NEW.section_id), ('list:publication:' || NEW.publication_id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER articles_update_change AFTER UPDATE ON articles BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('article:' || NEW.id), ('list:all'), ('list:section:' || NEW.section_id), ('list:publication:' || NEW.publication_id), ('list:section:' || OLD.section_id), ('list:publication:' || OLD.publication_id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER articles_delete_change AFTER DELETE ON articles BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('article:' || OLD.id), ('list:all'), ('list:section:' || OLD.section_id), ('list:publication:' || OLD.publication_id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER publications_insert_change AFTER INSERT ON publications BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('nav')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER publications_update_change
    AFTER UPDATE OF slug, name, description, producer, partner, partner_short, partner_url,
                    partner_description, is_host ON publications BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('nav')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER publications_delete_change AFTER DELETE ON publications BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('nav')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sections_insert_change AFTER INSERT ON sections BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('nav')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
-- What pages show of a section or a publication: a change of its default access (read only by
-- imports) re-renders nothing.
CREATE TRIGGER sections_update_change AFTER UPDATE OF slug, name, position ON sections BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('nav')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sections_delete_change AFTER DELETE ON sections BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('nav')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
