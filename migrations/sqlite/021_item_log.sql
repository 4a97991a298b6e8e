-- 021_item_log.sql: contract publishing's change log, embargoes and kills (issue 13).
--
-- Embargo: a scheduled article (published_at in the future) with embargoed = 1 goes to the
-- partners now, with ninjs `embargoed` set to its published_at, while readers see nothing of it
-- until the scheduler publishes it at that time (it is not 'published', and every reader's query
-- reads only that state: store_impl.h's LIVE).
--
-- Kill: an editor withdraws a story for good. It becomes 'unpublished' with killed_at (> 0) and
-- kill_note (why): it leaves every reader's page, list, feed, sitemap and search result by the
-- same rule, its page answers 410 Gone, and the partners receive a version with pubstatus
-- canceled. A killed article cannot be edited, published again or deleted: it stays as the
-- record of the kill.
--
-- The item log: one row per version of an article a partner may see, in the order the versions
-- were committed: new stories, new versions, corrections, embargoed stories, stories withheld
-- (taken down after partners had them) and kills. The partners' API pages through it by seq
-- (GET /api/ninjs/2.2/items?after=CURSOR) and the webhook deliveries follow it; each row names
-- the version's publication and section (what the partner's product is matched against,
-- store_impl.h's PARTNER_SEES), its pubstatus, its embargo time and its editors' note. The
-- version's content is its revision (article_revisions), or the article itself while the
-- version is its current one (imports record no revisions). store_item_log_note writes rows;
-- SQLite serialises writers, so seq is handed out in commit order and a partner that has read
-- up to seq N never later finds a row numbered N or less.
--
-- The articles published before this migration are the log's first rows, oldest first, so a
-- partner starting from the beginning walks the whole archive of its product.
ALTER TABLE articles ADD COLUMN embargoed INTEGER NOT NULL DEFAULT 0 CHECK (embargoed IN (0, 1));
ALTER TABLE articles ADD COLUMN killed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN kill_note TEXT NOT NULL DEFAULT '';

CREATE TABLE item_log (
    seq            INTEGER PRIMARY KEY,
    article_id     INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version        INTEGER NOT NULL,
    publication_id INTEGER NOT NULL,
    section_id     INTEGER NOT NULL,
    pubstatus      TEXT NOT NULL CHECK (pubstatus IN ('usable', 'withheld', 'canceled')),
    embargoed      INTEGER NOT NULL DEFAULT 0, -- unix seconds: not before then; 0: none
    ednote         TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    UNIQUE (article_id, version)
);

INSERT INTO item_log (article_id, version, publication_id, section_id, pubstatus, created_at)
    SELECT id, version, publication_id, section_id, 'usable',
           CASE WHEN updated_at > published_at THEN updated_at ELSE published_at END
    FROM articles WHERE state = 'published' ORDER BY published_at, id;
