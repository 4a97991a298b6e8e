-- 016_reserved_share.sql: a placeholder on branch r12-sitemaps only. Migration 016 is share
-- metadata's (branch r12-share, migrations/sqlite/016_*.sql); the numbers must be contiguous for
-- 017 (sitemaps) to apply on this branch. When the branches are merged this file goes and
-- share's 016 takes its place: it changes nothing in the schema.
SELECT 1;
