// A changed, forged or truncated meter cookie counts as a spent meter, never as a fresh one
// (issue 4, access rule 2): whatever was done to it, a metered article is the preview with the
// spent meter's note, even one the genuine cookie had counted (nothing read from a tampered
// cookie is believed), the server leaves the cookie as it is (no fresh meter in its place), and
// free articles stay whole. The genuine cookie is checked alongside as the control.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import {
  METERED, FREE, SUBSCRIBERS, Reader, assertFull, assertPreview, meterSetCookie, meterKey,
  articleId, forgeMeter, decodeMeter, randomKey, now,
} from '../lib/paywall.mjs';

const SPENT = 'You have read your 3 free articles this month.';
const [A, B, C, D] = METERED;

let srv;
let genuine; // a real cookie holding two reads (A and B): one free read left

before(async () => {
  srv = await startServer();
  const reader = new Reader(srv.url);
  await reader.read(A);
  await reader.read(B);
  genuine = reader.meter;
  assert.ok(genuine, 'no meter cookie after two metered reads');
  assert.equal(decodeMeter(genuine).reads.length, 2);
});
after(async () => { await srv?.stop(); });

// A base64url character other than ch.
const other = (ch) => (ch === 'A' ? 'B' : 'A');
const flipAt = (s, i) => s.slice(0, i) + other(s[i]) + s.slice(i + 1);

function variants() {
  const key = meterKey(srv.db);
  const idA = articleId(srv.db, A.slug);
  const idB = articleId(srv.db, B.slug);
  const mac = Buffer.from(genuine, 'base64url');
  const list = {
    'one character flipped in the payload (an article id)': flipAt(genuine, 5),
    'one character flipped in a read time': flipAt(genuine, 14),
    'one character flipped in the MAC': flipAt(genuine, genuine.length - 10),
    'the last character flipped': flipAt(genuine, genuine.length - 1),
    'truncated by one character': genuine.slice(0, -1),
    'truncated by four characters (whole bytes)': genuine.slice(0, -4),
    'truncated to its payload (MAC cut off)': mac.subarray(0, mac.length - 32).toString('base64url'),
    'truncated to half': genuine.slice(0, Math.floor(genuine.length / 2)),
    'extended by a character': `${genuine}A`,
    'extended by whole bytes': `${genuine}AAAA`,
    'the reads dropped, the old MAC kept': Buffer.concat([mac.subarray(0, 1),
      mac.subarray(mac.length - 32)]).toString('base64url'),
    'forged with another key (no reads)': forgeMeter(randomKey(), []),
    'forged with another key (the same reads)': forgeMeter(randomKey(),
      [{ id: idA, at: now() }, { id: idB, at: now() }]),
    'another format version, signed with the right key': forgeMeter(key, [], { version: 2 }),
    'padded base64 (non-canonical spelling)': `${genuine}=`,
    'garbage text': 'garbage',
    'garbage, looks like base64url': 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'a long run of characters': 'A'.repeat(3000),
    'JSON claiming zero reads': '{"reads":0}',
  };
  // The same bytes in the standard base64 alphabet, when that spells them differently.
  const standard = Buffer.from(genuine, 'base64url').toString('base64').replace(/=+$/, '');
  if (standard !== genuine) list['standard base64 alphabet instead of base64url'] = standard;
  return list;
}

test('control: the genuine cookie gives the last free read', { timeout: 30_000 }, async () => {
  const reader = new Reader(srv.url, { meter: genuine });
  const r = await reader.read(C);
  assertFull(r, C, 'genuine cookie');
  assert.equal(r.note, 'This is your last free article this month.');
  assertFull(await new Reader(srv.url, { meter: genuine }).read(A), A, 'genuine cookie, re-read of A');
});

test('every tampered cookie: the preview with the spent note, on a new and on an already-counted article; the cookie is left alone', { timeout: 60_000 }, async () => {
  const list = variants();
  for (const [what, value] of Object.entries(list)) {
    assert.notEqual(value, genuine, `${what}: not a change`);
    for (const a of [C, D, A]) {
      const reader = new Reader(srv.url, { meter: value });
      const r = await reader.read(a);
      const label = `${what}, ${a === A ? 'already counted' : 'new'} article ${a.slug}`;
      assertPreview(r, a, label);
      assert.equal(r.note, SPENT, `${label}: reader note`);
      assert.equal(meterSetCookie(r), undefined,
        `${label}: the server replaced the tampered cookie: ${meterSetCookie(r)}`);
    }
  }
});

test('a tampered cookie does not close free articles, and subscribers articles stay previews', { timeout: 30_000 }, async () => {
  const list = variants();
  for (const what of ['garbage text', 'forged with another key (no reads)', 'truncated by one character']) {
    const reader = new Reader(srv.url, { meter: list[what] });
    for (const a of FREE) assertFull(await reader.read(a), a, `${what}, free ${a.slug}`);
    for (const a of SUBSCRIBERS) assertPreview(await reader.read(a), a, `${what}, subscribers ${a.slug}`);
  }
});

test('a tampered cookie stays spent on every later request (no reset by repetition)', { timeout: 30_000 }, async () => {
  const reader = new Reader(srv.url, { meter: flipAt(genuine, 5) });
  for (const a of METERED.slice(2, 8)) assertPreview(await reader.read(a), a, `repeated, ${a.slug}`);
  assert.equal(reader.meter, flipAt(genuine, 5), 'the cookie was changed by the server');
});
