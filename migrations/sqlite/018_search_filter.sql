-- 018_search_filter.sql: what a search (issue 12, src/store_search.c) reads of an article to
-- keep or drop a match: whether it is published (LIVE), its section, publication and date. A
-- search ranks up to 10,000 matches, each checked against its article; on SQLite an article's
-- row holds its body, and `state` (added by migration 012, so stored after the body) sits on
-- the row's overflow pages, so each check read the whole article: measured at 20,000
-- articles, a third of a broad search's time. This index answers the check alone (state in
-- the key too: SQLite does not take a column from a partial index's WHERE, see 017), partial
-- on the readers' predicate like theirs. PostgreSQL keeps long bodies apart (TOAST) and gets
-- the same index for an index-only check and one schema for both.
CREATE INDEX articles_search ON articles (id, state, published_at, section_id, publication_id)
    WHERE state = 'published';
