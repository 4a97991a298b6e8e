// The anonymous reader's meter (issue 4, access rules 1, 2 and 6): three metered articles per
// 30 days in full, each counted in the signed bs_meter cookie, with the meter's state on the page
// ("2 free articles left this month"); the fourth distinct one is the preview; re-reading an
// article already counted costs nothing; free articles never count and are always whole;
// subscribers articles are never whole for an anonymous reader; reads older than the period no
// longer count; and the meter follows --meter-limit, --meter-period-days and
// --preview-paragraphs. Each reader is a fresh cookie jar (Reader).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import {
  METERED, FREE, SUBSCRIBERS, REFERENCE_ARTICLE, METER_COOKIE, DAY, Reader, assertFull,
  assertPreview, meterSetCookie, decodeMeter, meterKey, articleId, forgeMeter, now,
} from '../lib/paywall.mjs';

const NOTE = {
  left2: '2 free articles left this month.',
  left1: '1 free article left this month.',
  last: 'This is your last free article this month.',
  spent3: 'You have read your 3 free articles this month.',
};

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

const [A, B, C, D, E] = METERED;

// Asserts a counted read: the whole article, the note, a new bs_meter cookie with the right
// attributes, and a personal (private, no-store) response.
function assertCounted(r, a, note, { maxAge = 30 * DAY } = {}) {
  assertFull(r, a);
  assert.equal(r.note, note, `${a.slug}: reader note`);
  const c = meterSetCookie(r);
  assert.ok(c, `${a.slug}: a counted read sets no ${METER_COOKIE} cookie (Set-Cookie: ${JSON.stringify(r.setCookies)})`);
  assert.match(c, /;\s*HttpOnly\b/i, `${METER_COOKIE} is not HttpOnly: ${c}`);
  assert.match(c, /;\s*SameSite=Lax\b/i, `${METER_COOKIE} is not SameSite=Lax: ${c}`);
  assert.match(c, /;\s*Path=\/(;|$)/i, `${METER_COOKIE} is not Path=/: ${c}`);
  assert.equal(Number(/;\s*Max-Age=(\d+)/i.exec(c)?.[1]), maxAge, `${METER_COOKIE} Max-Age: ${c}`);
  const cc = r.headers.get('cache-control') ?? '';
  assert.match(cc, /\bprivate\b/, `a counted read has Cache-Control "${cc}"`);
  assert.match(cc, /\bno-store\b/, `a counted read has Cache-Control "${cc}"`);
}

test('counting: three distinct metered articles in full with "2 left", "1 left", "last"; the fourth distinct one is the preview', { timeout: 30_000 }, async () => {
  const reader = new Reader(srv.url);
  assertCounted(await reader.read(A), A, NOTE.left2);
  assertCounted(await reader.read(B), B, NOTE.left1);
  assertCounted(await reader.read(C), C, NOTE.last);

  // The cookie holds exactly the three articles counted (its payload is readable, not forgeable).
  const held = decodeMeter(reader.meter);
  assert.equal(held.version, 1);
  assert.deepEqual(held.reads.map((x) => x.id).sort(),
    [A, B, C].map((a) => articleId(srv.db, a.slug)).sort(), 'the cookie does not hold the three reads');
  for (const x of held.reads) assert.ok(Math.abs(x.at - now()) < 120, `read_at ${x.at} is not now`);

  const cookie = reader.meter;
  for (const a of [D, E]) {
    const r = await reader.read(a);
    assertPreview(r, a, `exhausted meter, ${a.slug}`);
    assert.equal(r.note, NOTE.spent3, `${a.slug}: the preview's reader note`);
    assert.equal(meterSetCookie(r), undefined, `a preview sets ${METER_COOKIE}: ${meterSetCookie(r)}`);
    assert.equal(reader.meter, cookie);
    const cc = r.headers.get('cache-control') ?? '';
    assert.match(cc, /\bprivate\b/, `the exhausted preview (with a note) has Cache-Control "${cc}"`);
    assert.match(cc, /\bno-store\b/, `the exhausted preview (with a note) has Cache-Control "${cc}"`);
  }
});

test('re-reads: an article already counted costs nothing, before and after the meter is spent', { timeout: 30_000 }, async () => {
  const reader = new Reader(srv.url);
  assertCounted(await reader.read(A), A, NOTE.left2);
  const once = reader.meter;

  const again = await reader.read(A);
  assertFull(again, A, 're-read');
  assert.equal(meterSetCookie(again), undefined, 'a re-read sets the meter cookie again');
  assert.equal(reader.meter, once);
  assert.equal(again.note, NOTE.left2, 're-read: the count moved');

  // The next distinct article is still only the second.
  assertCounted(await reader.read(B), B, NOTE.left1);
  assertCounted(await reader.read(C), C, NOTE.last);
  assertPreview(await reader.read(D), D, 'fourth distinct');

  // Spent, but A, B and C still open, many times, for nothing.
  const spent = reader.meter;
  for (const a of [A, B, C, A, C]) {
    const r = await reader.read(a);
    assertFull(r, a, `re-read of ${a.slug} with a spent meter`);
    assert.equal(meterSetCookie(r), undefined, `re-read of ${a.slug}: Set-Cookie ${meterSetCookie(r)}`);
    // None left: the note may say so, but must not offer reads that are not there.
    assert.ok(!/left this month/.test(r.note ?? ''), `re-read of ${a.slug} with a spent meter: note "${r.note}"`);
  }
  assert.equal(reader.meter, spent);
  assertPreview(await reader.read(E), E, 'still spent for a new article');
});

test('free articles: whole for a fresh and for a spent meter, never counted, no meter cookie, no note', { timeout: 30_000 }, async () => {
  const fresh = new Reader(srv.url);
  for (const a of FREE) {
    const r = await fresh.read(a);
    assertFull(r, a, `free ${a.slug}, fresh reader`);
    assert.equal(meterSetCookie(r), undefined, `free ${a.slug} sets ${meterSetCookie(r)}`);
    assert.ok(!r.note, `free ${a.slug} has a reader note: ${r.note}`);
  }
  // Three free articles read: the meter is untouched.
  assertCounted(await fresh.read(A), A, NOTE.left2);

  const spent = new Reader(srv.url);
  for (const a of [A, B, C]) await spent.read(a);
  assertPreview(await spent.read(D), D);
  for (const a of FREE) assertFull(await spent.read(a), a, `free ${a.slug}, spent meter`);
});

test('subscribers articles: the preview for every anonymous reader, fresh or not, and never counted', { timeout: 30_000 }, async () => {
  const fresh = new Reader(srv.url);
  for (const a of SUBSCRIBERS) {
    const r = await fresh.read(a);
    assertPreview(r, a, `subscribers ${a.slug}, fresh reader`);
    assert.equal(meterSetCookie(r), undefined, `subscribers ${a.slug} sets ${meterSetCookie(r)}`);
  }
  assertCounted(await fresh.read(A), A, NOTE.left2);
  for (const a of SUBSCRIBERS) assertPreview(await fresh.read(a), a, `subscribers ${a.slug}, one read left`);
});

test('the meter is per reader: a spent reader\'s state never reaches another reader through the page cache', { timeout: 30_000 }, async () => {
  const spent = new Reader(srv.url);
  for (const a of [A, B, C]) await spent.read(a);
  assertPreview(await spent.read(D), D);
  const other = new Reader(srv.url);
  assertCounted(await other.read(D), D, NOTE.left2);
  const none = new Reader(srv.url);
  assertCounted(await none.read(D), D, NOTE.left2);
  assertPreview(await spent.read(D), D, 'the spent reader after the others read D');
});

test('rolling period: reads counted more than 30 days ago no longer count; 29 days ago they still do', { timeout: 30_000 }, async () => {
  const key = meterKey(srv.db);
  const ids = [B, C, D].map((a) => articleId(srv.db, a.slug));

  const old = new Reader(srv.url, { meter: forgeMeter(key, ids.map((id) => ({ id, at: now() - 31 * DAY }))) });
  const r = await old.read(A);
  assertCounted(r, A, NOTE.left2);
  assert.deepEqual(decodeMeter(old.meter).reads.map((x) => x.id), [articleId(srv.db, A.slug)],
    'the new cookie still carries reads from before the period');
  // B was read 31 days ago: counted again now, as a new read.
  assertCounted(await old.read(B), B, NOTE.left1);

  const recent = new Reader(srv.url, { meter: forgeMeter(key, ids.map((id) => ({ id, at: now() - 29 * DAY }))) });
  const p = await recent.read(A);
  assertPreview(p, A, 'three reads 29 days ago');
  assert.equal(p.note, NOTE.spent3);
  assertFull(await recent.read(B), B, 'B was read 29 days ago: a re-read');
});

test('configuration: --meter-limit 1 --meter-period-days 7 --preview-paragraphs 2', { timeout: 30_000 }, async () => {
  const s = await startServer({ args: ['--meter-limit', '1', '--meter-period-days', '7',
    '--preview-paragraphs', '2'] });
  try {
    const reader = new Reader(s.url);
    const first = METERED[1];
    assertCounted(await reader.read(first), first, NOTE.last, { maxAge: 7 * DAY });
    // The reference article has six paragraphs: two shown, four withheld.
    const r = await reader.read(REFERENCE_ARTICLE);
    assertPreview(r, REFERENCE_ARTICLE, 'preview of two paragraphs', { shown: 2 });
    assert.equal(r.note, 'You have read your 1 free article this month.');

    // Read 8 days ago: outside a 7-day period.
    const key = meterKey(s.db);
    const old = new Reader(s.url, { meter: forgeMeter(key, [{ id: articleId(s.db, first.slug), at: now() - 8 * DAY }]) });
    assertCounted(await old.read(REFERENCE_ARTICLE), REFERENCE_ARTICLE, NOTE.last, { maxAge: 7 * DAY });
  } finally {
    await s.stop();
  }
});

test('--preview-paragraphs 0: the preview is the headline and dek alone', { timeout: 30_000 }, async () => {
  const s = await startServer({ args: ['--preview-paragraphs', '0'] });
  try {
    for (const a of SUBSCRIBERS) {
      const r = await new Reader(s.url).read(a);
      assertPreview(r, a, `no paragraphs, ${a.slug}`, { shown: 0 });
    }
  } finally {
    await s.stop();
  }
});

// The cookie holds at most 32 reads (meter.h's METER_MAX_READS) and drops the oldest when full.
// An allowance above that must still run out: the server either refuses such a limit, or
// enforces it; it must not let the count sit at 32, below the allowance, for ever.
test('an allowance above what the cookie can hold (--meter-limit 40) still runs out, or is refused at start', { timeout: 30_000 }, async () => {
  let s;
  try {
    s = await startServer({ args: ['--meter-limit', '40'] });
  } catch (err) {
    assert.match(err.message, /meter/i, `refused, but not for the meter limit:\n${err.message}`);
    return;
  }
  try {
    const key = meterKey(s.db);
    // 32 reads of other articles this hour (what a reader has after reading 32 articles).
    const reader = new Reader(s.url, { meter: forgeMeter(key,
      Array.from({ length: 32 }, (_, i) => ({ id: 9_000_000 + i, at: now() - 3600 }))) });
    const outcomes = [];
    for (const a of METERED.slice(0, 9)) {
      const r = await reader.read(a);
      outcomes.push(`${a.slug.slice(0, 24)}: ${r.body.includes('Want access to this content?') ? 'preview' : 'full'} (${r.note})`);
    }
    assert.equal(outcomes.filter((o) => o.includes('full')).length, 8,
      `with 32 reads counted and an allowance of 40, 8 more should be whole, then previews:\n${outcomes.join('\n')}`);
    assert.match(outcomes[8], /preview/, `the 41st read is whole:\n${outcomes.join('\n')}`);
  } finally {
    await s.stop();
  }
});

test('behind HTTPS (--cookie-secure 1) the meter cookie is Secure too', { timeout: 30_000 }, async () => {
  const s = await startServer({ args: ['--cookie-secure', '1'] });
  try {
    const r = await new Reader(s.url).read(A);
    assertFull(r, A);
    assert.match(meterSetCookie(r) ?? '', /;\s*Secure\b/i, `not Secure: ${meterSetCookie(r)}`);
  } finally {
    await s.stop();
  }
});
