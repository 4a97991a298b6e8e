-- 013_staff_index.sql (PostgreSQL): see migrations/sqlite/013_staff_index.sql.

CREATE INDEX users_staff ON users (role, id) WHERE role <> 'reader';
