-- 019_publication_rights.sql: the rights a partner's copy of a publication's articles carries
-- (issue 13; the ninjs item's copyrightholder, copyrightnotice, usageterms and rightsinfo's
-- linkedrights, src/ninjs.h). '' is "not set": the item then uses the defaults (holder: the
-- publication's producer, else the site's name; notice: "© YEAR HOLDER"; terms: the syndication
-- footer's words and a credit line for a publication produced for a contract partner; no rights
-- URL). The newsroom's publication form and `broadsheet publication rights` set them; lengths
-- and the URL's scheme are checked there (src/ninjs.c, ninjs_rights_problem).
-- No page shows them, so the change log's publications trigger (009: UPDATE OF the footer's
-- columns) leaves them out: setting them invalidates no cached page.
ALTER TABLE publications ADD COLUMN copyright_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE publications ADD COLUMN copyright_notice TEXT NOT NULL DEFAULT '';
ALTER TABLE publications ADD COLUMN usage_terms TEXT NOT NULL DEFAULT '';
ALTER TABLE publications ADD COLUMN rights_url TEXT NOT NULL DEFAULT '';
