-- 006_mail_lease.sql (PostgreSQL): the owner of a mail message's lease; see
-- migrations/sqlite/006_mail_lease.sql. A constant default: no table rewrite.
ALTER TABLE mail_queue ADD COLUMN lease_owner TEXT COLLATE "C" NOT NULL DEFAULT '';
