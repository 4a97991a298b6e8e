-- 007_stripe_event_order: the Stripe event time of a subscription's state. Stripe does not deliver events in order: a
-- customer.subscription.updated made before a customer.subscription.deleted may arrive after it,
-- and applied blindly it revived the canceled subscription. stripe_event_at is the `created`
-- time of the event that set status and current_period_end; an event older than it changes
-- neither (store_subscription_stripe_upsert), and in the same second a canceled state is kept.
-- Rows from before this migration have 0, so the next event applies.
ALTER TABLE subscriptions ADD COLUMN stripe_event_at INTEGER NOT NULL DEFAULT 0;
