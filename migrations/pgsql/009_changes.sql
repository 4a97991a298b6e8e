-- 009_changes.sql (PostgreSQL): the change log that page caches follow, and articles' hot
-- columns first; see migrations/sqlite/009_changes.sql for the tags and how the log is read.
--
-- The same numbers as SQLite. In SQLite every written row of articles, sections or publications
-- takes the next meta.change_seq, and each tag it touches gets that number in changes (so a tag
-- holds the number of its latest change). Here a row trigger (changes_note) only notes the
-- row's tags, numbered 1, 2 … within the transaction, in a temporary table of the connection's
-- (pg_temp.changes_pending, made on first use, emptied at every commit) and counts them in
-- broadsheet.pending_change_seq; at commit, meta_flush (001's deferred trigger, extended here)
-- adds the count to meta.change_seq and gives each noted tag the number of its latest row:
-- the value before plus its row's number, exactly what SQLite's triggers would have written had
-- the transaction run alone at that moment. Writing changes and meta once per transaction, not
-- per row, is what keeps a long import linear (001: "Counters moved by triggers").
--
-- Commit order. The log is only useful if its numbers are handed out in commit order: a server
-- that has read meta.change_seq = N and the changes up to N must never later find a change,
-- committed after it looked, numbered N or less. SQLite gets that from having one writer at a
-- time. Here the numbers are taken at commit by
--     UPDATE meta SET value = value + pending WHERE key = 'change_seq' RETURNING value
-- whose row lock is held until the transaction has ended: a second committing writer's UPDATE
-- waits there until the first has committed (or rolled back), and then reads the committed
-- value (READ COMMITTED re-reads the row it waited for). So the numbers go in the order of the
-- commits, and a transaction becomes visible to new snapshots before it releases the row
-- (PostgreSQL ends a transaction's visibility before releasing its locks): whoever sees number
-- N sees every number below it. A rolled-back transaction takes no number. Under REPEATABLE READ
-- or SERIALIZABLE a waiting commit fails instead ("could not serialize access"), which the store
-- sees as DB_ERR_BUSY.
--
-- The cost: writers of articles, sections and publications queue on that one row for the length
-- of their commits (the UPDATE, writing their tags, the commit's WAL flush: seconds after an
-- import of 200,000), not for their whole transactions as in SQLite; readers never wait (STMT_CHANGE_SEQ reads a snapshot), nor do
-- writers of anything else. A transaction that also changes the paywall takes both meta rows at
-- commit, always in key order. Per written row: a setting and a row in a temporary table (not
-- WAL-logged); per transaction: one deferred trigger event, grouping its tags, and one INSERT …
-- ON CONFLICT into changes. Measured on a 2-core machine, one transaction each: 200,000 articles
-- in one INSERT, 4.8 s without these triggers and 7.5 to 9.5 s with them; 50,000 one-row
-- INSERTs, 1.6 s and 2.3 to 2.9 s (a per-row UPDATE of meta and changes took 132 s for 16,000).
-- PostgreSQL refuses to let one INSERT … ON CONFLICT DO UPDATE touch a row twice, so the tags
-- are grouped first (keeping the latest row's number), which is what SQLite's repeated upserts
-- of a tag come to. changed_at is the time of the statement that wrote the row
-- (statement_timestamp(), whole seconds), as SQLite's unixepoch() is. The connection's role
-- needs the TEMPORARY privilege on the database, which PUBLIC has unless it was revoked.
--
-- articles is rebuilt with its columns in SQLite's new order (the bodies last), so that the two
-- schemas keep their columns in the same order: PostgreSQL cannot reorder columns in place, and
-- ALTER TABLE … ADD/DROP COLUMN would leave the dropped bodies in every row until the next full
-- rewrite. (PostgreSQL itself moves a body of more than about 2 kB out of the row, into the
-- table's TOAST storage, so lists gain less from the order here than in SQLite.) Rows keep their
-- ids, the identity goes on from where the old one was (never handing out an id twice), and
-- meter_reads' foreign key, which PostgreSQL ties to the table and not its name, is dropped
-- before and made again after: DROP TABLE without CASCADE fails if anything else depends on
-- articles, rather than dropping it silently. The constraints and the identity's sequence get
-- the names they would have had had articles been created like this.

DROP TRIGGER publications_insert_version ON publications;
DROP TRIGGER publications_update_version ON publications;
DROP TRIGGER publications_delete_version ON publications;
DROP TRIGGER sections_insert_version ON sections;
DROP TRIGGER sections_update_version ON sections;
DROP TRIGGER sections_delete_version ON sections;
DROP TRIGGER articles_insert_version ON articles;
DROP TRIGGER articles_update_version ON articles;
DROP TRIGGER articles_delete_version ON articles;
DROP TRIGGER publications_flush ON publications;
DROP TRIGGER sections_flush ON sections;
DROP TRIGGER articles_flush ON articles;
DELETE FROM meta WHERE key = 'content_version';
INSERT INTO meta (key, value) VALUES ('change_seq', 0);

CREATE TABLE changes (
    tag        TEXT COLLATE "C" PRIMARY KEY,
    seq        BIGINT NOT NULL,
    changed_at BIGINT NOT NULL -- unix seconds, for operators
);
CREATE INDEX changes_seq ON changes (seq);

ALTER TABLE meter_reads DROP CONSTRAINT meter_reads_article_id_fkey;

CREATE TABLE articles_new (
    id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    slug           TEXT COLLATE "C" NOT NULL UNIQUE,
    publication_id BIGINT NOT NULL
                   CONSTRAINT articles_publication_id_fkey REFERENCES publications (id),
    section_id     BIGINT NOT NULL CONSTRAINT articles_section_id_fkey REFERENCES sections (id),
    published_at   BIGINT NOT NULL, -- unix seconds, UTC
    updated_at     BIGINT NOT NULL, -- unix seconds, UTC
    access         TEXT COLLATE "C" NOT NULL DEFAULT 'metered'
                   CONSTRAINT articles_access_check
                   CHECK (access IN ('free', 'metered', 'subscribers')),
    headline       TEXT COLLATE "C" NOT NULL,
    dek            TEXT COLLATE "C" NOT NULL DEFAULT '',
    byline         TEXT COLLATE "C" NOT NULL DEFAULT '',
    body_markdown  TEXT COLLATE "C" NOT NULL,
    body_html      TEXT COLLATE "C" NOT NULL
);
INSERT INTO articles_new (id, slug, publication_id, section_id, published_at, updated_at, access,
                          headline, dek, byline, body_markdown, body_html)
    SELECT id, slug, publication_id, section_id, published_at, updated_at, access, headline, dek,
           byline, body_markdown, body_html
    FROM articles;
-- The next id: after both the old identity's last and the largest copied (false: not yet used).
SELECT setval(pg_get_serial_sequence('articles_new', 'id'),
              greatest(coalesce(pg_sequence_last_value('articles_id_seq'), 0),
                       (SELECT coalesce(max(id), 0) FROM articles_new)) + 1,
              false);
DROP TABLE articles;
ALTER TABLE articles_new RENAME TO articles;
ALTER TABLE articles RENAME CONSTRAINT articles_new_pkey TO articles_pkey;
ALTER TABLE articles RENAME CONSTRAINT articles_new_slug_key TO articles_slug_key;
ALTER SEQUENCE articles_new_id_seq RENAME TO articles_id_seq;

ALTER TABLE meter_reads ADD CONSTRAINT meter_reads_article_id_fkey
    FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE CASCADE;

CREATE INDEX articles_latest ON articles (published_at DESC, id DESC);
CREATE INDEX articles_publication_latest ON articles (publication_id, published_at DESC, id DESC);
CREATE INDEX articles_section_latest ON articles (section_id, published_at DESC, id DESC);
CREATE INDEX articles_publication_section_latest
    ON articles (publication_id, section_id, published_at DESC, id DESC);

-- AFTER … FOR EACH ROW on articles, sections and publications: notes the written row, its
-- tags and the statement's time for meta_flush, as the transaction's next change. An article's
-- tags: its page, the newest lists, and its section's and publication's lists, before and after
-- an update; a section's or a publication's: what every page shows.
CREATE FUNCTION changes_note() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_no BIGINT := coalesce(nullif(current_setting('broadsheet.pending_change_seq', true), ''),
                              '0')::BIGINT + 1;
    tags TEXT[];
BEGIN
    IF TG_TABLE_NAME <> 'articles' THEN
        tags := ARRAY['nav'];
    ELSIF TG_OP = 'INSERT' THEN
        tags := ARRAY['article:' || NEW.id, 'list:all', 'list:section:' || NEW.section_id,
                      'list:publication:' || NEW.publication_id];
    ELSIF TG_OP = 'UPDATE' THEN
        tags := ARRAY['article:' || NEW.id, 'list:all', 'list:section:' || NEW.section_id,
                      'list:publication:' || NEW.publication_id,
                      'list:section:' || OLD.section_id, 'list:publication:' || OLD.publication_id];
    ELSE
        tags := ARRAY['article:' || OLD.id, 'list:all', 'list:section:' || OLD.section_id,
                      'list:publication:' || OLD.publication_id];
    END IF;
    -- The table outlives the transaction (ON COMMIT DELETE ROWS), so it is looked for only by
    -- a transaction's first change; one made by a savepoint rolled back since went with it,
    -- and then the count went back to 0 too.
    IF row_no = 1 AND to_regclass('pg_temp.changes_pending') IS NULL THEN
        CREATE TEMPORARY TABLE changes_pending (
            n          BIGINT NOT NULL,
            tags       TEXT[] COLLATE "C" NOT NULL,
            changed_at BIGINT NOT NULL
        ) ON COMMIT DELETE ROWS;
    END IF;
    INSERT INTO pg_temp.changes_pending (n, tags, changed_at)
        VALUES (row_no, tags, floor(extract(epoch FROM statement_timestamp())));
    PERFORM set_config('broadsheet.pending_change_seq', row_no::TEXT, true);
    RETURN NULL;
END
$$;

-- 001's meta_flush, and for change_seq: the noted rows' numbers follow the committed value, and
-- each tag gets the number (and time) of its latest row.
CREATE OR REPLACE FUNCTION meta_flush() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    meta_key TEXT;
    pending BIGINT;
    last_seq BIGINT;
BEGIN
    FOR meta_key IN SELECT key FROM meta ORDER BY key LOOP
        pending := coalesce(nullif(current_setting('broadsheet.pending_' || meta_key, true), ''),
                            '0')::BIGINT;
        CONTINUE WHEN pending = 0;
        UPDATE meta SET value = value + pending WHERE key = meta_key RETURNING value INTO last_seq;
        IF meta_key = 'change_seq' THEN
            -- latest: [n, changed_at] of the tag's last row (arrays compare element by element)
            INSERT INTO changes (tag, seq, changed_at)
                SELECT tag, last_seq - pending + latest[1], latest[2]
                FROM (SELECT tag, max(ARRAY[n, changed_at]) AS latest
                      FROM pg_temp.changes_pending, unnest(tags) AS tag
                      GROUP BY tag) AS noted
                ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq,
                                                changed_at = excluded.changed_at;
            DELETE FROM pg_temp.changes_pending;
        END IF;
        PERFORM set_config('broadsheet.pending_' || meta_key, '0', true);
    END LOOP;
    RETURN NULL;
END
$$;

-- The change triggers, under SQLite's names, and the flush triggers (001's, which waited on
-- content_version, made again to wait on change_seq).
CREATE TRIGGER articles_insert_change AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION changes_note();
CREATE TRIGGER articles_update_change AFTER UPDATE ON articles
    FOR EACH ROW EXECUTE FUNCTION changes_note();
CREATE TRIGGER articles_delete_change AFTER DELETE ON articles
    FOR EACH ROW EXECUTE FUNCTION changes_note();
CREATE CONSTRAINT TRIGGER articles_flush AFTER INSERT OR UPDATE OR DELETE ON articles
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (coalesce(current_setting('broadsheet.pending_change_seq', true), '') IN ('', '0'))
    EXECUTE FUNCTION meta_flush();

CREATE TRIGGER publications_insert_change AFTER INSERT ON publications
    FOR EACH ROW EXECUTE FUNCTION changes_note();
CREATE TRIGGER publications_update_change
    AFTER UPDATE OF slug, name, description, producer, partner, partner_short, partner_url,
                    partner_description, is_host ON publications
    FOR EACH ROW EXECUTE FUNCTION changes_note();
CREATE TRIGGER publications_delete_change AFTER DELETE ON publications
    FOR EACH ROW EXECUTE FUNCTION changes_note();
CREATE CONSTRAINT TRIGGER publications_flush AFTER INSERT OR UPDATE OR DELETE ON publications
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (coalesce(current_setting('broadsheet.pending_change_seq', true), '') IN ('', '0'))
    EXECUTE FUNCTION meta_flush();

-- What pages show of a section or a publication: a change of its default access (read only by
-- imports) re-renders nothing.
CREATE TRIGGER sections_insert_change AFTER INSERT ON sections
    FOR EACH ROW EXECUTE FUNCTION changes_note();
CREATE TRIGGER sections_update_change AFTER UPDATE OF slug, name, position ON sections
    FOR EACH ROW EXECUTE FUNCTION changes_note();
CREATE TRIGGER sections_delete_change AFTER DELETE ON sections
    FOR EACH ROW EXECUTE FUNCTION changes_note();
CREATE CONSTRAINT TRIGGER sections_flush AFTER INSERT OR UPDATE OR DELETE ON sections
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (coalesce(current_setting('broadsheet.pending_change_seq', true), '') IN ('', '0'))
    EXECUTE FUNCTION meta_flush();
