-- 003_mail_queue: outgoing mail waiting for delivery (mailer.c). A message is stored in the same
-- request that promises it to the reader and deleted from the queue only by being delivered
-- (sent_at set), so a restart or a down mail server delays mail but never loses it.
CREATE TABLE mail_queue (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,          -- NULL: delivered or given up
    sent_at INTEGER,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
