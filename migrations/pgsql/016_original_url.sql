-- 016_original_url.sql (PostgreSQL): see migrations/sqlite/016_original_url.sql.

ALTER TABLE articles ADD COLUMN original_url TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE article_revisions ADD COLUMN original_url TEXT COLLATE "C" NOT NULL DEFAULT '';
