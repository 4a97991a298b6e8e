-- 015_article_views.sql: article views by hour, for the "Most read" box (issue 12).
--
-- Each server counts the views of article pages in memory (src/most_read.c) and adds them here
-- about once a minute, one row per article and hour (the hour's start, Unix seconds, UTC), with
-- an upsert that adds: on PostgreSQL several nodes add their counts to the same rows, as ad
-- impressions are added to ad_stats, so a row is the sum over nodes. Nothing about a reader is
-- kept: a view is a number added to an article's hour.
--
-- The box is the top few published articles by the sum of the last 24 hours' rows
-- (STMT_MOST_READ: a range of the primary key, hour first); older hours are deleted by the same
-- flush (STMT_ARTICLE_VIEWS_PURGE, the same range), so the table holds about a day of hours
-- times the articles read in each. The index on article_id serves ON DELETE CASCADE: deleting
-- an article would otherwise read the whole table.

CREATE TABLE article_views (
    hour       INTEGER NOT NULL, -- the hour's start, Unix seconds, UTC
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    views      INTEGER NOT NULL DEFAULT 0 CHECK (views >= 0),
    PRIMARY KEY (hour, article_id)
) WITHOUT ROWID;

CREATE INDEX article_views_article ON article_views (article_id);
