-- 014_reserved_search.sql: a placeholder on branch r12-mostread only. Migration 014 is search's
-- (branch r12-search, migrations/sqlite/014_search.sql); the numbers must be contiguous for 015
-- (most read) to apply on this branch. When the branches are merged this file goes and
-- search's 014 takes its place: it changes nothing in the schema.
SELECT 1;
