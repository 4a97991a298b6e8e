-- 010_rate_limits.sql: the rate limits of log-ins, registrations, password resets and the other
-- account forms (account.c), kept in the database so that every node serving the site from it
-- counts against one allowance per key; per process, N nodes behind a load balancer gave N times
-- the allowance.
--
-- One row per key ("password-ip-login:192.0.2.1", "password-account:a@b.example"), holding the
-- state of GCRA (store_limits.c): tat, the theoretical arrival time, the moment the key's bucket
-- is full again, counted in units of 1/per_window millisecond so that the arithmetic is exact in
-- integers; per_window and window_ms, the rule tat was computed under (a row met with another
-- rule starts afresh); forget_at_ms, the unix millisecond from which the bucket is full, so the
-- row says nothing a missing row would not and the hourly purge may delete it.
--
-- WITHOUT ROWID: the table is looked up by its key only, so the key is the table's b-tree.
-- rate_limits_forget: the purge's DELETE … WHERE forget_at_ms <= ? is a range scan.
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY NOT NULL,
    per_window   INTEGER NOT NULL CHECK (per_window >= 1),
    window_ms    INTEGER NOT NULL CHECK (window_ms >= 1),
    tat          INTEGER NOT NULL,
    forget_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX rate_limits_forget ON rate_limits (forget_at_ms);
