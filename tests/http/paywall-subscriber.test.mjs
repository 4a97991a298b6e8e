// Subscribers (issue 4, access rule 4): with an active subscription (`broadsheet subscription
// grant`), a reader reads everything in full, subscribers articles included, with no meter note
// and nothing counted; a subscription granted while signed in counts at once; when it lapses
// (an end date in the past, a current_period_end moved into the past, a revocation, Stripe's
// past_due) the reader is back on the meter. Stripe itself is tested in stripe*.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { sql } from '../lib/accounts.mjs';
import {
  ARTICLES, METERED, SUBSCRIBERS, Reader, assertFull, assertPreview, meterSetCookie,
  signedInReader, grant, revoke, leaks,
} from '../lib/paywall.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

const reads = (id) => Number(sql(srv.db, `SELECT count(*) FROM meter_reads WHERE user_id = ${id}`));

// Asserts that reader reads every demo article in full with no meter note and nothing counted.
async function assertReadsEverything(reader, id, what) {
  for (const a of ARTICLES) {
    const r = await reader.read(a);
    assertFull(r, a, `${what}: ${a.access} ${a.slug}`);
    assert.ok(!/free article/i.test(r.note ?? ''), `${what}: ${a.slug} has the meter note "${r.note}"`);
    assert.equal(meterSetCookie(r), undefined, `${what}: ${a.slug} sets ${meterSetCookie(r)}`);
    const cc = r.headers.get('cache-control') ?? '';
    assert.match(cc, /\bprivate\b/, `${what}: ${a.slug} Cache-Control "${cc}"`);
  }
  assert.equal(reads(id), 0, `${what}: reads were counted on the meter`);
}

test('a subscriber (monthly, until 2099) reads every article in full, subscribers articles included, with no meter', { timeout: 60_000 }, async () => {
  const { reader, email, id } = await signedInReader(srv, 'monthly');
  grant(srv.db, email, { plan: 'monthly', until: '2099-12-31' });
  await assertReadsEverything(reader, id, 'monthly subscriber');
  // More than the registered allowance of ten metered articles, and again.
  await assertReadsEverything(reader, id, 'monthly subscriber, second time');
});

test('annual and institutional plans entitle too', { timeout: 60_000 }, async () => {
  for (const plan of ['annual', 'institutional']) {
    const { reader, email, id } = await signedInReader(srv, plan);
    grant(srv.db, email, { plan, until: '2099-12-31' });
    for (const a of [...SUBSCRIBERS, METERED[0]]) assertFull(await reader.read(a), a, `${plan}: ${a.slug}`);
    assert.equal(reads(id), 0);
  }
});

test('granted while signed in: the next request already reads in full (no new log-in)', { timeout: 30_000 }, async () => {
  const { reader, email } = await signedInReader(srv, 'midsession');
  const s = SUBSCRIBERS[0];
  assertPreview(await reader.read(s), s, 'before the grant');
  grant(srv.db, email);
  assertFull(await reader.read(s), s, 'after the grant');
});

test('the subscriber\'s whole article never reaches an anonymous reader through the cache', { timeout: 30_000 }, async () => {
  const { reader, email } = await signedInReader(srv, 'cache');
  grant(srv.db, email);
  for (const a of SUBSCRIBERS) {
    const full = await reader.read(a);
    assertFull(full, a, `subscriber ${a.slug}`);
    const anon = await new Reader(srv.url).read(a);
    assertPreview(anon, a, `anonymous right after the subscriber, ${a.slug}`);
    assert.deepEqual(leaks(anon.body, a), []);
  }
});

test('lapsed: a grant that ended (--until in the past) leaves the reader on the meter', { timeout: 30_000 }, async () => {
  const { reader, email, id } = await signedInReader(srv, 'ended');
  const r = grant(srv.db, email, { until: '2020-01-31' });
  assert.match(r.stdout, /already ended/, `grant in the past: ${r.stdout}`);
  for (const a of SUBSCRIBERS) assertPreview(await reader.read(a), a, `ended grant, ${a.slug}`);
  const m = await reader.read(METERED[0]);
  assertFull(m, METERED[0], 'ended grant, metered');
  assert.equal(m.note, '9 free articles left this month.', 'an ended subscriber is not on the signed-in meter');
  assert.equal(reads(id), 1);
});

test('lapsed: current_period_end moved into the past → back on the meter; moved forward → full again', { timeout: 30_000 }, async () => {
  const { reader, email, id } = await signedInReader(srv, 'lapse');
  grant(srv.db, email);
  const s = SUBSCRIBERS[1];
  assertFull(await reader.read(s), s, 'active');
  sql(srv.db, `UPDATE subscriptions SET current_period_end = ${Math.floor(Date.now() / 1000)} - 10 WHERE user_id = ${id}`);
  assertPreview(await reader.read(s), s, 'period ended 10 s ago');
  const m = await reader.read(METERED[2]);
  assertFull(m, METERED[2]);
  assert.equal(m.note, '9 free articles left this month.');
  sql(srv.db, `UPDATE subscriptions SET current_period_end = ${Math.floor(Date.now() / 1000)} + 3600 WHERE user_id = ${id}`);
  assertFull(await reader.read(s), s, 'renewed');
});

test('revoked: `subscription revoke` puts the reader back on the meter at once', { timeout: 30_000 }, async () => {
  const { reader, email } = await signedInReader(srv, 'revoke');
  grant(srv.db, email);
  const s = SUBSCRIBERS[0];
  assertFull(await reader.read(s), s, 'granted');
  revoke(srv.db, email);
  assertPreview(await reader.read(s), s, 'revoked');
  const m = await reader.read(METERED[5]);
  assertFull(m, METERED[5]);
  assert.equal(m.note, '9 free articles left this month.');
});

test('past_due (a failed payment) and canceled are not active: back on the meter', { timeout: 30_000 }, async () => {
  for (const status of ['past_due', 'canceled']) {
    const { reader, email, id } = await signedInReader(srv, status);
    grant(srv.db, email);
    sql(srv.db, `UPDATE subscriptions SET status = '${status}' WHERE user_id = ${id}`);
    assertPreview(await reader.read(SUBSCRIBERS[0]), SUBSCRIBERS[0], `status ${status}`);
  }
});

test('a subscription belongs to its reader: signed out, or another account, the same browser is on the meter', { timeout: 30_000 }, async () => {
  const { reader, email } = await signedInReader(srv, 'owner');
  grant(srv.db, email);
  const s = SUBSCRIBERS[0];
  assertFull(await reader.read(s), s);
  await reader.logout();
  assertPreview(await reader.read(s), s, 'signed out');
  const { reader: other } = await signedInReader(srv, 'notowner');
  assertPreview(await other.read(s), s, 'another account');
});
