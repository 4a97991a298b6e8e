-- 015_article_views.sql (PostgreSQL): article views by hour; see
-- migrations/sqlite/015_article_views.sql. article_views is WITHOUT ROWID in SQLite, an ordinary
-- table here (see 004). Several nodes add to the same rows (the upsert adds), and each flush
-- writes its rows in one order (hour, article), so two flushes that meet wait, never deadlock.

CREATE TABLE article_views (
    hour       BIGINT NOT NULL,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    views      BIGINT NOT NULL DEFAULT 0 CHECK (views >= 0),
    PRIMARY KEY (hour, article_id)
);

CREATE INDEX article_views_article ON article_views (article_id);
