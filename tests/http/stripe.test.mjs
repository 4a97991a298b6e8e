// Stripe: the webhook (POST /stripe/webhook) with real-format Stripe events signed here as Stripe
// signs them (HMAC-SHA256 over `${t}.${body}` keyed with the whole whsec_ string), and the two
// forms that call Stripe's API (POST /subscribe, POST /account/billing) against a fake Stripe.
//
// Each webhook case asserts the status and what the database holds afterwards: a bad signature,
// a stale timestamp, a replayed event, an unknown type and a malformed body change nothing a
// reader could notice (the subscriptions; and only an unknown type records its event id).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  startQuietServer, Client, freshEmail, sql, addUser, messagePage, isPg,
} from '../lib/accounts.mjs';
import { startFakeStripe, CHECKOUT_URL, PORTAL_URL } from '../lib/fake-stripe.mjs';
import { get, textOf } from '../lib/util.mjs';
import { Reader, SUBSCRIBERS, assertPreview } from '../lib/paywall.mjs';

const SECRET = 'whsec_test_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const KEY = 'sk_test_x';
const PASSWORD = 'walnut-cinema-lighthouse';
const DAY = 86400;

let fake;
let srv;

before(async () => {
  fake = await startFakeStripe();
  srv = await startQuietServer({ args: ['--stripe-webhook-secret', SECRET,
    '--stripe-secret-key', KEY, '--stripe-api-url', fake.url] });
  sql(srv.db, `INSERT INTO plans (slug, name, period, price_cents, position, stripe_price_id, active)
    VALUES ('st-monthly', 'St Monthly', 'month', 1500, 1, 'price_monthly_test', 1),
           ('st-annual', 'St Annual', 'year', 15000, 2, 'price_annual_test', 1),
           ('st-institutional', 'Institutions', 'contact', 0, 3, '', 1),
           ('st-offline', 'Offline', 'month', 900, 4, '', 1),
           ('st-withdrawn', 'Withdrawn', 'month', 500, 5, 'price_withdrawn', 0)`);
});

after(async () => {
  try {
    if (srv) {
      assert.ok(!srv.stderr().includes(KEY), 'the secret key appears in the server log');
      await srv.stop();
    }
  } finally {
    await fake?.stop();
  }
});

const now = () => Math.floor(Date.now() / 1000);

// Stripe-Signature for body signed at t with secret.
function signature(body, { t = now(), secret = SECRET } = {}) {
  const hex = crypto.createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
  return `t=${t},v1=${hex}`;
}

// POSTs body to the webhook with a header (a signature by default) as Stripe does.
async function deliver(body, { header = signature(body), type = 'application/json; charset=utf-8' } = {}) {
  const headers = { 'Content-Type': type, 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' };
  if (header !== null) headers['Stripe-Signature'] = header;
  const res = await get(`${srv.url}/stripe/webhook`, { method: 'POST', headers, body });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

// A Stripe event as Stripe sends it (pretty-printed, as Stripe's bodies are: the signature is
// over these exact bytes).
// `created` is when Stripe made the event (its order, which delivery does not keep).
let serial = 0;
function eventBody(type, object, id = `evt_test_${process.pid}_${++serial}`, created = now()) {
  return JSON.stringify({
    id,
    object: 'event',
    api_version: '2024-06-20',
    created,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  }, null, 2);
}

function checkoutSession(userId, { customer, subscription, plan = 'st-monthly' }) {
  return {
    id: `cs_test_${subscription}`,
    object: 'checkout.session',
    client_reference_id: String(userId),
    customer,
    customer_email: null,
    metadata: { plan },
    mode: 'subscription',
    payment_status: 'paid',
    status: 'complete',
    subscription,
  };
}

function subscriptionObject({ id, customer, status, end, price = 'price_monthly_test' }) {
  return {
    id,
    object: 'subscription',
    customer,
    status,
    cancel_at_period_end: false,
    items: { object: 'list', data: [{ id: `si_${id}`, object: 'subscription_item',
      current_period_end: end, price: { id: price, object: 'price' } }] },
    metadata: { plan: 'st-monthly' },
  };
}

// The Stripe subscription sub's row as "user|plan|status|end|customer", or '' when absent.
const row = (sub) => sql(srv.db, `SELECT coalesce(user_id, 0), plan_slug, status, current_period_end,
  stripe_customer_id FROM subscriptions WHERE stripe_subscription_id = '${sub}'`);
// Everything the webhook could have changed.
const snapshot = () => sql(srv.db, 'SELECT count(*) FROM stripe_events') + '\n' +
  sql(srv.db, 'SELECT id, coalesce(user_id, 0), plan_slug, status, current_period_end, ' +
    'stripe_customer_id, stripe_subscription_id FROM subscriptions ORDER BY id');

let users = 0;
// A reader made with `broadsheet user add`; {email, id}.
function newReader() {
  users += 1;
  const email = freshEmail(`stripe${users}`);
  addUser(srv.db, email, PASSWORD);
  return { email, id: Number(sql(srv.db, `SELECT id FROM users WHERE email = '${email}'`)) };
}

// A reader with an active Stripe subscription from checkout.session.completed; {email, id,
// customer, subscription}.
async function subscribedReader() {
  const r = newReader();
  r.customer = `cus_${process.pid}_${users}`;
  r.subscription = `sub_${process.pid}_${users}`;
  const res = await deliver(eventBody('checkout.session.completed',
    checkoutSession(r.id, { customer: r.customer, subscription: r.subscription })));
  assert.equal(res.status, 200, res.body);
  return r;
}

test('checkout.session.completed: the reader is subscribed', { timeout: 30_000 }, async () => {
  const r = newReader();
  const before = now();
  const body = eventBody('checkout.session.completed',
    checkoutSession(r.id, { customer: 'cus_first', subscription: 'sub_first', plan: 'st-annual' }));
  const res = await deliver(body);
  assert.equal(res.status, 200, res.body);
  assert.equal(res.body, 'ok\n');
  assert.match(res.type, /^text\/plain/);
  const [user, plan, status, end, customer] = row('sub_first').split('|');
  assert.equal(Number(user), r.id);
  assert.equal(plan, 'st-annual');
  assert.equal(status, 'active');
  assert.equal(customer, 'cus_first');
  assert.ok(Number(end) >= before + 366 * DAY && Number(end) <= now() + 366 * DAY, `end ${end}`);
  assert.equal(sql(srv.db, `SELECT source FROM subscriptions WHERE stripe_subscription_id = 'sub_first'`),
    'stripe');

  // customer.subscription.updated brings the real end and the plan of the price.
  const end2 = now() + 30 * DAY;
  const upd = await deliver(eventBody('customer.subscription.updated',
    subscriptionObject({ id: 'sub_first', customer: 'cus_first', status: 'active', end: end2 })));
  assert.equal(upd.status, 200, upd.body);
  assert.equal(row('sub_first'), `${r.id}|st-monthly|active|${end2}|cus_first`);

  // invoice.payment_failed: past_due, the end kept.
  const failed = await deliver(eventBody('invoice.payment_failed', {
    id: 'in_1', object: 'invoice', customer: 'cus_first', subscription: 'sub_first', attempt_count: 1,
  }));
  assert.equal(failed.status, 200, failed.body);
  assert.equal(row('sub_first'), `${r.id}|st-monthly|past_due|${end2}|cus_first`);

  // customer.subscription.deleted: canceled, ended at ended_at.
  const endedAt = now();
  const del = await deliver(eventBody('customer.subscription.deleted',
    { ...subscriptionObject({ id: 'sub_first', customer: 'cus_first', status: 'canceled', end: end2 }),
      ended_at: endedAt }));
  assert.equal(del.status, 200, del.body);
  assert.equal(row('sub_first'), `${r.id}|st-monthly|canceled|${endedAt}|cus_first`);
});

// --- events out of order (issue 8, finding 10) -----------------------------------------------

// Delivers event `type` for `object` made by Stripe at `created` (a fresh id); asserts 200.
async function deliverAt(type, object, created) {
  const res = await deliver(eventBody(type, object, undefined, created));
  assert.equal(res.status, 200, `${type} created ${created}: ${res.status} ${res.body}`);
  return res;
}

test('finding 10: a delayed older customer.subscription.updated (active) after .deleted does not revive the subscription', { timeout: 30_000 }, async () => {
  const r = await subscribedReader();
  const t = now();
  const sub = { id: r.subscription, customer: r.customer };
  await deliverAt('customer.subscription.deleted',
    { ...subscriptionObject({ ...sub, status: 'canceled', end: t + 20 * DAY }), ended_at: t }, t);
  assert.equal(row(r.subscription), `${r.id}|st-monthly|canceled|${t}|${r.customer}`);
  // Made a minute before the deletion, delivered after it.
  await deliverAt('customer.subscription.updated',
    subscriptionObject({ ...sub, status: 'active', end: t + 30 * DAY }), t - 60);
  assert.equal(row(r.subscription), `${r.id}|st-monthly|canceled|${t}|${r.customer}`,
    'an older update revived a canceled subscription');
  // An older failed payment changes nothing either.
  await deliverAt('invoice.payment_failed',
    { id: `in_${r.subscription}`, object: 'invoice', customer: r.customer, subscription: r.subscription }, t - 30);
  assert.equal(row(r.subscription), `${r.id}|st-monthly|canceled|${t}|${r.customer}`);
  // The reader is not a subscriber: a subscribers-only article is the preview.
  const c = new Reader(srv.url);
  await c.signIn(r.email, PASSWORD);
  assertPreview(await c.read(SUBSCRIBERS[0]), SUBSCRIBERS[0], 'after the late update');
});

test('finding 10: an older event never overwrites a newer one; in the same second a cancellation wins; an older checkout still links the reader', { timeout: 30_000 }, async () => {
  const r = await subscribedReader();
  const t = now();
  const sub = { id: r.subscription, customer: r.customer };
  const e2 = t + 40 * DAY;
  await deliverAt('customer.subscription.updated', subscriptionObject({ ...sub, status: 'active', end: e2 }), t);
  // An older update (past_due, an earlier end) delivered late: ignored.
  await deliverAt('customer.subscription.updated', subscriptionObject({ ...sub, status: 'past_due', end: t + DAY }), t - 10);
  assert.equal(row(r.subscription), `${r.id}|st-monthly|active|${e2}|${r.customer}`);
  // A newer one applies; the same second as the stored state applies too (the later delivery).
  const e3 = t + 50 * DAY;
  await deliverAt('customer.subscription.updated',
    subscriptionObject({ ...sub, status: 'active', end: e3, price: 'price_annual_test' }), t + 5);
  assert.equal(row(r.subscription), `${r.id}|st-annual|active|${e3}|${r.customer}`);
  await deliverAt('customer.subscription.updated', subscriptionObject({ ...sub, status: 'past_due', end: e3 }), t + 5);
  assert.equal(row(r.subscription), `${r.id}|st-monthly|past_due|${e3}|${r.customer}`);
  // Deleted and updated in the same second, in either order: canceled.
  await deliverAt('customer.subscription.deleted',
    { ...subscriptionObject({ ...sub, status: 'canceled', end: e3 }), ended_at: t + 6 }, t + 6);
  await deliverAt('customer.subscription.updated', subscriptionObject({ ...sub, status: 'active', end: e3 }), t + 6);
  assert.equal(row(r.subscription), `${r.id}|st-monthly|canceled|${t + 6}|${r.customer}`);

  const other = await subscribedReader();
  await deliverAt('customer.subscription.updated', subscriptionObject({ id: other.subscription,
    customer: other.customer, status: 'active', end: e2 }), t + 7);
  await deliverAt('customer.subscription.deleted', { ...subscriptionObject({ id: other.subscription,
    customer: other.customer, status: 'canceled', end: e2 }), ended_at: t + 7 }, t + 7);
  assert.equal(row(other.subscription), `${other.id}|st-monthly|canceled|${t + 7}|${other.customer}`);

  // The subscription's update arrives before the checkout that made it (which carries our
  // user id): the older checkout links the reader and its plan, and leaves status and end alone.
  const late = newReader();
  const subId = `sub_late_${process.pid}`;
  const cus = `cus_late_${process.pid}`;
  await deliverAt('customer.subscription.updated',
    subscriptionObject({ id: subId, customer: cus, status: 'active', end: e2, price: 'price_unknown' }), t);
  assert.equal(row(subId), `0||active|${e2}|${cus}`);
  await deliverAt('checkout.session.completed',
    checkoutSession(late.id, { customer: cus, subscription: subId, plan: 'st-annual' }), t - 20);
  assert.equal(row(subId), `${late.id}|st-annual|active|${e2}|${cus}`,
    'the older checkout did not link the reader, or changed the status or the end');
});

test('finding 10: recording the event id and applying it are one transaction', { timeout: 30_000 }, async () => {
  const r = newReader();
  const subId = `sub_tx_${process.pid}`;
  const id = `evt_tx_${process.pid}`;
  const body = eventBody('checkout.session.completed',
    checkoutSession(r.id, { customer: `cus_tx_${process.pid}`, subscription: subId }), id);
  // The subscription cannot be written, and nothing may be deleted from stripe_events: a
  // record-then-forget webhook keeps the id, and takes Stripe's retry for a duplicate.
  const pg = isPg(srv.db);
  sql(srv.db, pg
    ? `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END$$;
      CREATE TRIGGER refuse_tx BEFORE INSERT ON subscriptions FOR EACH ROW
        WHEN (NEW.stripe_subscription_id = '${subId}') EXECUTE FUNCTION refuse('refused');
      CREATE TRIGGER keep_events BEFORE DELETE ON stripe_events FOR EACH ROW
        EXECUTE FUNCTION refuse('kept');`
    : `CREATE TRIGGER refuse_tx BEFORE INSERT ON subscriptions
    WHEN NEW.stripe_subscription_id = '${subId}' BEGIN SELECT RAISE(ABORT, 'refused'); END;
    CREATE TRIGGER keep_events BEFORE DELETE ON stripe_events BEGIN SELECT RAISE(ABORT, 'kept'); END;`);
  try {
    const failed = await deliver(body);
    assert.equal(failed.status, 500, failed.body);
    assert.equal(sql(srv.db, `SELECT count(*) FROM stripe_events WHERE id = '${id}'`), '0',
      'the event id was kept although its change was not made');
  } finally {
    sql(srv.db, pg ? 'DROP TRIGGER refuse_tx ON subscriptions; DROP TRIGGER keep_events ON ' +
      'stripe_events; DROP FUNCTION refuse();' : 'DROP TRIGGER refuse_tx; DROP TRIGGER keep_events;');
  }
  // Stripe's retry is processed.
  const retry = await deliver(body);
  assert.equal(retry.status, 200, retry.body);
  assert.equal(row(subId).split('|').slice(0, 3).join('|'), `${r.id}|st-monthly|active`);
  assert.equal((await deliver(body)).status, 200);
  assert.equal(sql(srv.db, `SELECT count(*) FROM stripe_events WHERE id = '${id}'`), '1');
});

test('a bad signature is refused (400) and changes nothing', { timeout: 30_000 }, async () => {
  const r = newReader();
  const body = eventBody('checkout.session.completed',
    checkoutSession(r.id, { customer: 'cus_bad', subscription: 'sub_bad' }));
  const before = snapshot();
  const t = now();
  const hex = (s) => crypto.createHmac('sha256', s).update(`${t}.${body}`).digest('hex');
  const cases = [
    ['wrong secret', body, signature(body, { secret: 'whsec_not_ours' }), /does not match/],
    ['secret without its prefix', body, signature(body, { secret: SECRET.slice(6) }), /does not match/],
    ['body changed by one byte', body.replace('"paid"', '"paie"'), signature(body), /does not match/],
    ['signature of another time', body, `t=${t + 1},v1=${hex(SECRET)}`, /does not match/],
    ['no header', body, null, /missing/],
    ['empty header', body, '', /missing/],
    ['no timestamp', body, `v1=${hex(SECRET)}`, /malformed/],
    ['no v1', body, `t=${t},v0=${hex(SECRET)}`, /malformed/],
    ['bad hex', body, `t=${t},v1=${'z'.repeat(64)}`, /malformed/],
  ];
  for (const [what, sent, header, reason] of cases) {
    const res = await deliver(sent, { header });
    assert.equal(res.status, 400, `${what}: ${res.status} ${res.body}`);
    assert.match(res.body, reason, what);
    assert.match(res.type, /^text\/plain/, what);
  }
  assert.equal(snapshot(), before);
  assert.equal(row('sub_bad'), '');

  // The same body properly signed is accepted: it was only the signatures.
  const ok = await deliver(body, { header: `t=${t},v1=${'0'.repeat(64)},v1=${hex(SECRET)}` });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(row('sub_bad').split('|')[2], 'active');
});

test('a stale or future timestamp is refused (400) and changes nothing', { timeout: 30_000 }, async () => {
  const r = newReader();
  const body = eventBody('checkout.session.completed',
    checkoutSession(r.id, { customer: 'cus_stale', subscription: 'sub_stale' }));
  const before = snapshot();
  for (const t of [now() - 400, now() + 400, 1]) {
    const res = await deliver(body, { header: signature(body, { t }) });
    assert.equal(res.status, 400, `t=${t}: ${res.status}`);
    assert.match(res.body, /tolerance/);
  }
  assert.equal(snapshot(), before);
  // Inside the window (default 300 s) it is fine.
  const res = await deliver(body, { header: signature(body, { t: now() - 200 }) });
  assert.equal(res.status, 200, res.body);
});

test('a replayed event (same id) is acknowledged and changes nothing more', { timeout: 30_000 }, async () => {
  const r = await subscribedReader();
  const end = now() + 29 * DAY;
  const id = `evt_replay_${process.pid}`;
  const active = eventBody('customer.subscription.updated',
    subscriptionObject({ id: r.subscription, customer: r.customer, status: 'active', end }), id);
  assert.equal((await deliver(active)).status, 200);
  const after1 = row(r.subscription);
  assert.equal(after1, `${r.id}|st-monthly|active|${end}|${r.customer}`);
  const updatedAt = sql(srv.db, `SELECT updated_at FROM subscriptions WHERE stripe_subscription_id = '${r.subscription}'`);

  // Stripe's retry of the same delivery, and a forged change under the same id.
  const again = await deliver(active);
  assert.equal(again.status, 200, again.body);
  const canceled = eventBody('customer.subscription.updated',
    subscriptionObject({ id: r.subscription, customer: r.customer, status: 'canceled', end: now() }), id);
  const res = await deliver(canceled);
  assert.equal(res.status, 200, res.body);
  assert.equal(row(r.subscription), after1);
  assert.equal(sql(srv.db, `SELECT updated_at FROM subscriptions WHERE stripe_subscription_id = '${r.subscription}'`),
    updatedAt);
  assert.equal(sql(srv.db, `SELECT count(*) FROM stripe_events WHERE id = '${id}'`), '1');
});

test('an unknown event type is acknowledged (200) and changes no subscription', { timeout: 30_000 }, async () => {
  const before = sql(srv.db, 'SELECT count(*), coalesce(max(updated_at), 0) FROM subscriptions');
  const id = `evt_unknown_${process.pid}`;
  const res = await deliver(eventBody('customer.created', { id: 'cus_new', object: 'customer' }, id));
  assert.equal(res.status, 200, res.body);
  assert.equal(sql(srv.db, 'SELECT count(*), coalesce(max(updated_at), 0) FROM subscriptions'), before);
  assert.equal(sql(srv.db, `SELECT type FROM stripe_events WHERE id = '${id}'`), 'customer.created');
});

test('a malformed body with a valid signature is refused (400) and changes nothing', { timeout: 30_000 }, async () => {
  const r = newReader();
  const before = snapshot();
  const bodies = [
    'not json',
    '',
    '[]',
    JSON.stringify({ id: 'evt_malformed', type: 'checkout.session.completed' }),
    JSON.stringify({ id: 'evt_malformed', type: 'checkout.session.completed', data: { object: 'x' } }),
    JSON.stringify({ type: 'customer.subscription.deleted', data: { object: { id: 'sub_x' } } }),
    JSON.stringify({ id: 'evt_malformed', type: 'customer.subscription.updated',
      data: { object: { id: 'sub_x', customer: 'cus_x', status: 'active', current_period_end: 'soon' } } }),
    JSON.stringify({ id: 'evt_malformed', type: 'checkout.session.completed',
      data: { object: { ...checkoutSession(r.id, { customer: 'cus_m', subscription: 'sub_m' }),
        client_reference_id: 42 } } }),
  ];
  for (const body of bodies) {
    const res = await deliver(body);
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.status} ${res.body}`);
  }
  assert.equal(snapshot(), before);
  // Nothing was recorded under the id: the real event with it is processed.
  const res = await deliver(eventBody('checkout.session.completed',
    checkoutSession(r.id, { customer: 'cus_m', subscription: 'sub_m' }), 'evt_malformed'));
  assert.equal(res.status, 200, res.body);
  assert.equal(row('sub_m').split('|')[2], 'active');
});

test('the webhook takes JSON only: a form post is 415, a GET is 405', { timeout: 30_000 }, async () => {
  const before = snapshot();
  const body = 'id=evt_form&type=checkout.session.completed';
  const res = await deliver(body, { type: 'application/x-www-form-urlencoded' });
  assert.equal(res.status, 415);
  const getRes = await get(`${srv.url}/stripe/webhook`);
  assert.equal(getRes.status, 405);
  assert.equal(snapshot(), before);
});

test('POST /subscribe starts a Stripe Checkout for the plan and redirects to it', { timeout: 30_000 }, async () => {
  const r = newReader();
  const c = new Client(srv.url);
  await c.signIn(r.email, PASSWORD);
  fake.clear();
  const res = await c.post('/subscribe', { plan: 'st-monthly' }, { from: '/account' });
  assert.equal(res.status, 303, textOf(res.body).slice(0, 300));
  assert.equal(res.location, CHECKOUT_URL);
  assert.equal(fake.requests.length, 1);
  const call = fake.requests[0];
  assert.equal(call.method, 'POST');
  assert.equal(call.path, '/v1/checkout/sessions');
  assert.equal(call.headers.authorization, `Bearer ${KEY}`);
  assert.match(call.headers['content-type'], /^application\/x-www-form-urlencoded/);
  assert.deepEqual(call.form, {
    mode: 'subscription',
    'line_items[0][price]': 'price_monthly_test',
    'line_items[0][quantity]': '1',
    success_url: `${srv.url}/account?done=subscribed`,
    cancel_url: `${srv.url}/offers?done=canceled`,
    client_reference_id: String(r.id),
    customer_email: r.email,
    'metadata[plan]': 'st-monthly',
    'subscription_data[metadata][plan]': 'st-monthly',
  });

  // Plans that cannot be bought online: 400, and Stripe is not called.
  fake.clear();
  for (const plan of ['st-institutional', 'st-offline', 'st-withdrawn', 'nosuchplan', '']) {
    const bad = await c.post('/subscribe', { plan }, { from: '/account' });
    assert.equal(bad.status, 400, `plan ${plan}: ${bad.status}`);
    assert.match(messagePage(bad).title, /cannot be bought online/);
  }
  assert.equal(fake.requests.length, 0);

  // Stripe refusing: 502 with a page, no redirect.
  fake.fail(400, 'No such price');
  try {
    const failed = await c.post('/subscribe', { plan: 'st-annual' }, { from: '/account' });
    assert.equal(failed.status, 502);
    assert.equal(messagePage(failed).title, 'Checkout could not be started');
    assert.equal(failed.location, null);
  } finally {
    fake.succeed();
  }
});

test('POST /subscribe: a bad CSRF token is 403, an anonymous reader is sent to log in', { timeout: 30_000 }, async () => {
  const r = newReader();
  const c = new Client(srv.url);
  await c.signIn(r.email, PASSWORD);
  fake.clear();
  const forged = await c.post('/subscribe', { plan: 'st-monthly' }, { csrf: 'forged-token' });
  assert.equal(forged.status, 403);
  const none = await c.post('/subscribe', { plan: 'st-monthly' }, { csrf: false });
  assert.equal(none.status, 403);
  assert.equal(fake.requests.length, 0);

  const anonymous = new Client(srv.url);
  const res = await anonymous.post('/subscribe', { plan: 'st-monthly' }, { from: '/login' });
  assert.equal(res.status, 303);
  assert.equal(res.location, '/login?next=/offers');
  assert.equal(fake.requests.length, 0);
});

test('POST /subscribe for a reader already paying through Stripe does not start a second one', { timeout: 30_000 }, async () => {
  const r = await subscribedReader();
  const c = new Client(srv.url);
  await c.signIn(r.email, PASSWORD);
  fake.clear();
  const res = await c.post('/subscribe', { plan: 'st-annual' }, { from: '/account' });
  assert.equal(res.status, 409);
  assert.equal(fake.requests.length, 0);
});

test('POST /account/billing opens the Stripe billing portal for the reader\'s customer', { timeout: 30_000 }, async () => {
  const r = await subscribedReader();
  const c = new Client(srv.url);
  await c.signIn(r.email, PASSWORD);
  fake.clear();
  const res = await c.post('/account/billing', {}, { from: '/account' });
  assert.equal(res.status, 303, textOf(res.body).slice(0, 300));
  assert.equal(res.location, PORTAL_URL);
  assert.equal(fake.requests.length, 1);
  assert.equal(fake.requests[0].path, '/v1/billing_portal/sessions');
  assert.equal(fake.requests[0].headers.authorization, `Bearer ${KEY}`);
  assert.deepEqual(fake.requests[0].form, { customer: r.customer, return_url: `${srv.url}/account` });

  // A reader without a Stripe subscription goes to the offers; a bad token is 403.
  const plain = newReader();
  const other = new Client(srv.url);
  await other.signIn(plain.email, PASSWORD);
  fake.clear();
  const none = await other.post('/account/billing', {}, { from: '/account' });
  assert.equal(none.status, 303);
  assert.equal(none.location, '/offers');
  const forged = await other.post('/account/billing', {}, { csrf: 'forged' });
  assert.equal(forged.status, 403);
  assert.equal(fake.requests.length, 0);
});

test('without Stripe configured: /subscribe is 503 and the webhook does not exist', { timeout: 60_000 }, async () => {
  const plain = await startQuietServer({ env: { BROADSHEET_STRIPE_SECRET_KEY: '',
    BROADSHEET_STRIPE_WEBHOOK_SECRET: '' } });
  try {
    sql(plain.db, `INSERT INTO plans (slug, name, period, price_cents, stripe_price_id, active)
      VALUES ('st-monthly', 'St Monthly', 'month', 1500, 'price_monthly_test', 1)`);
    const email = freshEmail('nostripe');
    addUser(plain.db, email, PASSWORD);
    const c = new Client(plain.url);
    await c.signIn(email, PASSWORD);
    const res = await c.post('/subscribe', { plan: 'st-monthly' }, { from: '/account' });
    assert.equal(res.status, 503);
    assert.equal(messagePage(res).title, 'Online checkout is not available');

    const body = eventBody('checkout.session.completed', { id: 'cs_x', object: 'checkout.session' });
    const hook = await get(`${plain.url}/stripe/webhook`, { method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signature(body) }, body });
    assert.equal(hook.status, 404);
    assert.equal(sql(plain.db, 'SELECT count(*) FROM stripe_events'), '0');
  } finally {
    await plain.stop();
  }
});
