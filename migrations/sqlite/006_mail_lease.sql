-- 006_mail_lease: a message is claimed before it is sent (mailer.c), so that it is sent once per
-- recorded success. Claiming writes the claimant's name into lease_owner and moves
-- next_attempt_at forward by the lease, so the message is not due while its mailer sends it and
-- records the outcome; recording clears lease_owner. A lease that has expired is due again,
-- whoever held it: a process that died between claiming and recording leaves the message to the
-- next mailer, on this node or another sharing the database. Only the lease's owner may record a
-- failed attempt, so a mailer that lost its lease cannot undo another's delivery.
ALTER TABLE mail_queue ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
