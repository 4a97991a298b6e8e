-- 007_stripe_event_order.sql (PostgreSQL): the Stripe event time of a subscription's state; see
-- migrations/sqlite/007_stripe_event_order.sql. Rows from before it have 0, so the next event
-- applies. A constant default: no table rewrite.
ALTER TABLE subscriptions ADD COLUMN stripe_event_at BIGINT NOT NULL DEFAULT 0;
