-- 014_reserved_search.sql (PostgreSQL): a placeholder; see migrations/sqlite/014_reserved_search.sql.
SELECT 1;
