// Signed-in readers without a subscription (issue 4, access rule 3): a larger allowance (10 by
// default), counted in the database (meter_reads), so it follows the reader from one device to
// another; re-reads cost nothing; reads older than the period age out; a spent or tampered
// anonymous cookie in the same browser does not matter once signed in; free and subscribers
// articles are as for anyone. Accounts are made with `broadsheet user add`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { sql } from '../lib/accounts.mjs';
import {
  METERED, FREE, SUBSCRIBERS, PASSWORD, DAY, Reader, assertFull, assertPreview, meterSetCookie,
  signedInReader,
} from '../lib/paywall.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

function leftNote(n) {
  if (n === 0) return 'This is your last free article this month.';
  return `${n} free article${n === 1 ? '' : 's'} left this month.`;
}
const SPENT10 = 'You have read your 10 free articles this month.';
const reads = (id) => Number(sql(srv.db, `SELECT count(*) FROM meter_reads WHERE user_id = ${id}`));

test('registered allowance: ten metered articles in full, counted in meter_reads, notes 9 … last; the eleventh is the preview', { timeout: 60_000 }, async () => {
  const { reader, id } = await signedInReader(srv, 'allowance');
  for (let i = 0; i < 10; i++) {
    const a = METERED[i];
    const r = await reader.read(a);
    assertFull(r, a, `signed-in read ${i + 1}`);
    assert.equal(r.note, leftNote(9 - i), `signed-in read ${i + 1}: reader note`);
    assert.equal(meterSetCookie(r), undefined, `a signed-in read sets ${meterSetCookie(r)}`);
    const cc = r.headers.get('cache-control') ?? '';
    assert.match(cc, /\bprivate\b/, `signed-in read: Cache-Control "${cc}"`);
    assert.match(cc, /\bno-store\b/, `signed-in read: Cache-Control "${cc}"`);
    assert.equal(reads(id), i + 1, `meter_reads after read ${i + 1}`);
  }
  const eleventh = await reader.read(METERED[10]);
  assertPreview(eleventh, METERED[10], 'the eleventh metered article');
  assert.equal(eleventh.note, SPENT10);
  assert.equal(reads(id), 10, 'the preview was counted');

  // Re-reads cost nothing; free articles are whole; subscribers articles are previews.
  for (const a of [METERED[0], METERED[9], METERED[4]]) assertFull(await reader.read(a), a, `re-read ${a.slug}`);
  for (const a of FREE) assertFull(await reader.read(a), a, `free ${a.slug}`);
  for (const a of SUBSCRIBERS) assertPreview(await reader.read(a), a, `subscribers ${a.slug}`);
  assert.equal(reads(id), 10);
  assertPreview(await reader.read(METERED[11]), METERED[11], 'the twelfth');
});

test('the count follows the reader across devices: two browsers signed in as one reader share it', { timeout: 60_000 }, async () => {
  const { reader: laptop, email, id } = await signedInReader(srv, 'devices');
  const phone = new Reader(srv.url);
  await phone.signIn(email, PASSWORD);

  for (let i = 0; i < 6; i++) await laptop.read(METERED[i]);
  const r7 = await phone.read(METERED[6]);
  assertFull(r7, METERED[6], 'phone, 7th');
  assert.equal(r7.note, leftNote(3), 'the phone does not see the laptop\'s six reads');

  // What the laptop read, the phone re-reads for nothing.
  const again = await phone.read(METERED[0]);
  assertFull(again, METERED[0], 'phone re-reads the laptop\'s first');
  assert.equal(again.note, leftNote(3));
  assert.equal(reads(id), 7);

  for (let i = 7; i < 10; i++) await laptop.read(METERED[i]);
  const p = await phone.read(METERED[10]);
  assertPreview(p, METERED[10], 'phone after the laptop spent the allowance');
  assert.equal(p.note, SPENT10);
  assertPreview(await laptop.read(METERED[11]), METERED[11], 'laptop, twelfth');
});

test('signed in, the anonymous cookie does not matter: a spent or a tampered bs_meter still gets the allowance', { timeout: 60_000 }, async () => {
  for (const [what, prepare] of [
    ['spent anonymous meter', async (c) => { for (const a of METERED.slice(0, 3)) await c.read(a); }],
    ['tampered anonymous meter', async (c) => { c.jar.set('bs_meter', 'garbage'); }],
  ]) {
    const { email } = await signedInReader(srv, 'anoncookie');
    const c = new Reader(srv.url);
    await prepare(c);
    assertPreview(await c.read(METERED[3]), METERED[3], `${what}, anonymous`);
    await c.signIn(email, PASSWORD);
    const r = await c.read(METERED[3]);
    assertFull(r, METERED[3], `${what}, then signed in`);
    assert.equal(r.note, leftNote(9), `${what}, then signed in: note`);
  }
});

test('rolling period in the database: reads older than 30 days no longer count', { timeout: 60_000 }, async () => {
  const { reader, id } = await signedInReader(srv, 'period');
  for (let i = 0; i < 10; i++) await reader.read(METERED[i]);
  assertPreview(await reader.read(METERED[10]), METERED[10], 'spent');

  // 29 days ago: still inside the period.
  sql(srv.db, `UPDATE meter_reads SET read_at = read_at - ${29 * DAY} WHERE user_id = ${id}`);
  assertPreview(await reader.read(METERED[10]), METERED[10], 'reads 29 days old');

  sql(srv.db, `UPDATE meter_reads SET read_at = read_at - ${2 * DAY} WHERE user_id = ${id}`);
  const r = await reader.read(METERED[10]);
  assertFull(r, METERED[10], 'reads 31 days old');
  assert.equal(r.note, leftNote(9));
  // An article read 31 days ago counts anew.
  const r2 = await reader.read(METERED[0]);
  assertFull(r2, METERED[0], 'an article read 31 days ago');
  assert.equal(r2.note, leftNote(8), 'an article read before the period was not counted anew');
});

test('logging out puts the browser back on the anonymous meter', { timeout: 30_000 }, async () => {
  const { reader } = await signedInReader(srv, 'logout');
  await reader.read(METERED[0]);
  await reader.logout();
  const r = await reader.read(METERED[1]);
  assertFull(r, METERED[1], 'anonymous after log-out');
  assert.equal(r.note, '2 free articles left this month.');
  assert.ok(meterSetCookie(r), 'no bs_meter cookie for the anonymous read after log-out');
});
