-- 016_reserved_share.sql (PostgreSQL): a placeholder; see migrations/sqlite/016_reserved_share.sql.
SELECT 1;
