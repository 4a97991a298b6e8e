-- 019_publication_rights.sql (PostgreSQL): the rights a partner's copy of a publication's
-- articles carries, the same columns as migrations/sqlite/019 (text COLLATE "C" as everywhere
-- here). '' is "not set": src/ninjs.h's defaults apply.
-- No page shows them, so the change log's publications trigger (009: UPDATE OF the footer's
-- columns) leaves them out: setting them invalidates no cached page.
ALTER TABLE publications ADD COLUMN copyright_holder TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE publications ADD COLUMN copyright_notice TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE publications ADD COLUMN usage_terms TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE publications ADD COLUMN rights_url TEXT COLLATE "C" NOT NULL DEFAULT '';
