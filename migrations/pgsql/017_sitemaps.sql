-- 017_sitemaps.sql (PostgreSQL): see migrations/sqlite/017_sitemaps.sql. changes_note is 012's
-- with list:authors and list:tags added to an author's and a tag's tags; the inserts of authors
-- and tags note them too (their flush triggers, 012's, already fire on INSERT).

CREATE INDEX articles_sitemap ON articles (published_at, updated_at, state)
    WHERE state = 'published';

CREATE OR REPLACE FUNCTION changes_note() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_no BIGINT := coalesce(nullif(current_setting('broadsheet.pending_change_seq', true), ''),
                              '0')::BIGINT + 1;
    tags TEXT[];
BEGIN
    IF TG_TABLE_NAME IN ('publications', 'sections') THEN
        tags := ARRAY['nav'];
    ELSIF TG_TABLE_NAME = 'authors' THEN
        tags := ARRAY['author:' || CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END,
                      'list:authors'];
    ELSIF TG_TABLE_NAME = 'tags' THEN
        tags := ARRAY['tag:' || CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END,
                      'list:tags'];
    ELSIF TG_TABLE_NAME = 'article_authors' THEN
        IF TG_OP = 'DELETE' THEN
            tags := ARRAY['article:' || OLD.article_id, 'list:author:' || OLD.author_id];
        ELSE
            tags := ARRAY['article:' || NEW.article_id, 'list:author:' || NEW.author_id];
        END IF;
    ELSIF TG_TABLE_NAME = 'article_tags' THEN
        IF TG_OP = 'DELETE' THEN
            tags := ARRAY['article:' || OLD.article_id, 'list:tag:' || OLD.tag_id];
        ELSE
            tags := ARRAY['article:' || NEW.article_id, 'list:tag:' || NEW.tag_id];
        END IF;
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

CREATE TRIGGER authors_insert_change AFTER INSERT ON authors
    FOR EACH ROW EXECUTE FUNCTION changes_note();
CREATE TRIGGER tags_insert_change AFTER INSERT ON tags
    FOR EACH ROW EXECUTE FUNCTION changes_note();
