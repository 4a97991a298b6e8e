-- 013_staff_index.sql: the newsroom's staff by role, without reading every reader.
--
-- The staff page (STMT_STAFF) and the last-admin rule (STMT_STAFF_OTHER_ADMINS) read the
-- accounts whose role is not 'reader': on a site with a million readers and twenty staff, a scan
-- of users each time. A partial index holds only the staff; both statements say
-- `role <> 'reader'`, the index's predicate, so both planners use it.

CREATE INDEX users_staff ON users (role, id) WHERE role <> 'reader';
