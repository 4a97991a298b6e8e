-- 010_rate_limits.sql (PostgreSQL): the rate limits shared by every node, one row of GCRA state
-- per key; see migrations/sqlite/010_rate_limits.sql. WITHOUT ROWID there, an ordinary table
-- here (see 004). No trigger: limits are not content and write nothing to the change log.

CREATE TABLE rate_limits (
    key          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    per_window   BIGINT NOT NULL CHECK (per_window >= 1),
    window_ms    BIGINT NOT NULL CHECK (window_ms >= 1),
    tat          BIGINT NOT NULL,
    forget_at_ms BIGINT NOT NULL
);

CREATE INDEX rate_limits_forget ON rate_limits (forget_at_ms);
