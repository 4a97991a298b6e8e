-- 017_sitemaps.sql: what the sitemaps (issue 12, src/page_sitemap.c) need of the schema.
--
-- articles_sitemap: the sitemap index finds each month's published articles and their newest
-- updated_at (the month sitemap's lastmod) by a range of published_at. Both columns are in the
-- index, so the count and the MAX are an index-only range scan: once per fill of the cached
-- index, over the published rows alone (partial on the readers' predicate, store_impl.h LIVE),
-- never a read of a million article rows. state is in the key too: SQLite does not take a
-- column the statement names from the partial index's WHERE, and would read every row to check
-- it (EXPLAIN QUERY PLAN: "USING INDEX", not "USING COVERING INDEX").
--
-- list:authors and list:tags: the authors' and tags' sitemaps list every author and tag by
-- slug, too many to name each one's tag (author:ID) on the page. So a new author, a changed
-- one (its slug) and a deleted one also note list:authors (tags: list:tags), and the sitemaps
-- carry that one tag. The update and delete triggers of 012 are made again with the new tag;
-- an author's or tag's insert notes its own tag and the list's.

CREATE INDEX articles_sitemap ON articles (published_at, updated_at, state)
    WHERE state = 'published';

DROP TRIGGER authors_update_change;
DROP TRIGGER authors_delete_change;
DROP TRIGGER tags_update_change;
DROP TRIGGER tags_delete_change;

CREATE TRIGGER authors_insert_change AFTER INSERT ON authors BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('author:' || NEW.id), ('list:authors')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER authors_update_change AFTER UPDATE OF slug, name, bio_html, links ON authors BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('author:' || NEW.id), ('list:authors')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER authors_delete_change AFTER DELETE ON authors BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('author:' || OLD.id), ('list:authors')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER tags_insert_change AFTER INSERT ON tags BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('tag:' || NEW.id), ('list:tags')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER tags_update_change AFTER UPDATE OF slug, name ON tags BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('tag:' || NEW.id), ('list:tags')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER tags_delete_change AFTER DELETE ON tags BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('tag:' || OLD.id), ('list:tags')) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
