-- 019: a placeholder on branch r13-partners only, so that 020 follows a 019 (scripts/embed-migrations
-- wants every number). Migration 019 is branch r13-ninjs's: drop this file when merging.
SELECT 1;
