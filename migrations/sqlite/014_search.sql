-- 014_search.sql: the readers' full-text search (issue 12, "Search"; src/store_search.c).
--
-- One row per article, keyed by the article's id (the rowid), in an FTS5 table with four
-- columns: headline, dek, visible (what the paywall lets anyone read: the whole body of a free
-- article, the preview paragraphs of a metered or subscribers-only one, as plain text) and rest
-- (the paragraphs the paywall withholds; empty for a free article). A reader who is not
-- entitled is matched against the first three columns only (an FTS5 column filter) and sees
-- snippets from visible only, so a withheld word can neither match nor show.
--
-- The rows are written by the store in the same transaction as every write that changes an
-- article's headline, dek, body or access (store_search_put); the split depends on the
-- configuration's preview_paragraphs, recorded in meta.search_preview_paragraphs when the index
-- was built (-1: never built, as here: the server rebuilds it at its next start). Which
-- articles readers see is not in the index: searches join articles and keep the published ones
-- (LIVE), so publishing, unpublishing and scheduling write nothing here.
--
-- Porter stemming over unicode61 with diacritics removed ("cafés" finds "cafe").

CREATE VIRTUAL TABLE search_index USING fts5 (
    headline, dek, visible, rest,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- An FTS5 table has no foreign keys: a deleted article's row goes with it here (PostgreSQL's
-- search_docs has ON DELETE CASCADE). A rowid SQLite hands out again after the newest article
-- was deleted must not find the old article's words.
CREATE TRIGGER search_index_article_delete AFTER DELETE ON articles BEGIN
    DELETE FROM search_index WHERE rowid = old.id;
END;

INSERT INTO meta (key, value) VALUES ('search_preview_paragraphs', -1);
