-- 016_original_url.sql: an article carried from another publisher names its original.
--
-- original_url is the absolute http(s) URL of the article as its publisher first published it,
-- or '' for an article that is ours. The newsroom editor sets it ("Originally published at",
-- checked in page_newsroom_articles.c: http or https, at most 2,000 bytes, no control
-- characters). When it is set, the article page's <link rel="canonical"> names it and the
-- JSON-LD says isBasedOn (docs/architecture.md, "Share metadata"). Revisions snapshot it like
-- every other field an editor saves, and a restore brings it back.

ALTER TABLE articles ADD COLUMN original_url TEXT NOT NULL DEFAULT '';
ALTER TABLE article_revisions ADD COLUMN original_url TEXT NOT NULL DEFAULT '';
