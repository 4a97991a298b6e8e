-- 014_search.sql (PostgreSQL): see migrations/sqlite/014_search.sql for what is indexed and why.
--
-- Here the index is a table of tsvectors (english configuration) with GIN indexes: visible_tsv
-- holds the headline (weight A), the dek (B) and the visible text (C); rest_tsv the withheld
-- paragraphs (D). A reader who is not entitled is matched against visible_tsv alone; an entitled
-- one against visible_tsv || rest_tsv, which has an index of its own (search_docs_all, on that
-- very expression, so the planner uses it). Snippets are ts_headline over visible_text (and
-- rest_text for an entitled reader), computed for the rows of the page only.
--
-- A different table from SQLite's (FTS5 is a virtual table with shadow tables of its own):
-- scripts/check-pgsql-schema leaves the search tables out of its comparison
-- (migrations/pgsql/README.md).

CREATE TABLE search_docs (
    article_id   BIGINT PRIMARY KEY
                 CONSTRAINT search_docs_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    visible_text TEXT COLLATE "C" NOT NULL,
    rest_text    TEXT COLLATE "C" NOT NULL,
    visible_tsv  TSVECTOR NOT NULL,
    rest_tsv     TSVECTOR NOT NULL
);
CREATE INDEX search_docs_visible ON search_docs USING gin (visible_tsv);
CREATE INDEX search_docs_all ON search_docs USING gin ((visible_tsv || rest_tsv));

INSERT INTO meta (key, value) VALUES ('search_preview_paragraphs', -1);
