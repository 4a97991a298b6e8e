// Rate limits shared by two app nodes on one database (store_limit_hit, migration 010): the
// scenarios that tests/http/accounts-limits-nodes.test.mjs runs on one SQLite file and
// tests/pgsql/limits-nodes.test.mjs on one PostgreSQL database. Each starts its own two nodes
// on a new database, so no scenario's attempts count against another's.
//
// The limits used (account.h, page_password.c): 10 password checks per account and 20 per client
// address per 15 minutes; 10 reset requests per client address per hour. An attempt over one is
// answered 429 with Retry-After, before any work (a log-in's hashing, a reset's mail).
// Node B is started on the database node A seeded.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';

import { startServer, tmpDir } from './server.mjs';
import { Client, addUser, freshEmail, BAD_LOGIN } from './accounts.mjs';
import { textOf } from './util.mjs';

const PASSWORD = 'thimble-carousel-granite';
export const PER_ACCOUNT = 10;
export const FORGOT_PER_ADDRESS = 10; // password-reset requests per client address per hour

// Two nodes on the database db (the first seeds the demo), with their outboxes in a directory
// of their own; stop() stops both.
async function twoNodes(db, args = []) {
  const outbox = tmpDir('broadsheet-outbox-');
  const a = await startServer({ db, args: ['--outbox', outbox, ...args] });
  let b;
  try {
    b = await startServer({ db, demo: false, args: ['--outbox', outbox, ...args] });
  } catch (err) {
    await a.stop();
    rmSync(outbox, { recursive: true, force: true });
    throw err;
  }
  return {
    a, b,
    async stop() {
      try { await b.stop(); await a.stop(); } finally { rmSync(outbox, { recursive: true, force: true }); }
    },
  };
}

function retryAfter(r, max) {
  const v = r.headers.get('retry-after');
  assert.match(v ?? '', /^\d+$/, `Retry-After is not a number of seconds: ${v}`);
  const n = Number(v);
  assert.ok(n >= 1 && n <= max, `Retry-After ${n} is not within 1..${max}`);
  return n;
}

// A browser whose CSRF token (from node A) is sent to either node: the token's key is the
// database's secret, which both share. forwardedFor: its address, through a trusted proxy.
async function browser(nodes, forwardedFor) {
  const onA = new Client(nodes.a.url, { forwardedFor });
  const token = await onA.csrf('/login');
  const onB = new Client(nodes.b.url, { forwardedFor });
  onB.jar = new Map(onA.jar);
  return { onA, onB, token };
}

// Failed log-ins for one account alternated between A and B count against one allowance: the
// 11th is refused on A, and on B, each naming a Retry-After; the right password then too.
export async function alternatedAttempts(db) {
  const nodes = await twoNodes(db);
  try {
    const email = freshEmail('twonodes');
    addUser(db, email, PASSWORD);
    const { onA, onB, token } = await browser(nodes);
    for (let i = 1; i <= PER_ACCOUNT; i++) {
      const node = i % 2 ? onA : onB;
      const r = await node.post('/login', { email, password: `wrong-password-${i}` }, { csrf: token });
      assert.equal(r.status, 200, `attempt ${i} on ${i % 2 ? 'A' : 'B'}: ${r.status}`);
      assert.ok(textOf(r.body).includes(BAD_LOGIN), `attempt ${i}: not the failed log-in page`);
    }
    const onAOver = await onA.post('/login', { email, password: 'wrong-password-11' }, { csrf: token });
    assert.equal(onAOver.status, 429, `attempt 11 on A: ${onAOver.status}`);
    const waitA = retryAfter(onAOver, 15 * 60);
    const onBOver = await onB.post('/login', { email, password: PASSWORD }, { csrf: token });
    assert.equal(onBOver.status, 429, `attempt 12 on B (the right password): ${onBOver.status}`);
    const waitB = retryAfter(onBOver, 15 * 60);
    assert.ok(!onBOver.setCookies.some((s) => s.startsWith('bs_session=')), 'the 429 signed in');
    // One bucket: one token comes back every 90 s, so both name (about) the same wait.
    assert.ok(Math.abs(waitA - waitB) <= 1, `Retry-After ${waitA} on A, ${waitB} on B`);
    assert.ok(waitA > 60, `Retry-After ${waitA}: not the wait of a spent 10-per-15-minutes bucket`);
  } finally {
    await nodes.stop();
  }
}

// Many attempts at once, split over A and B, never get more than the limit through: log-ins for
// one account (10 of 30, from one address), and reset requests from one client address for
// fresh accounts (10 of 30, from another: the nodes trust 127.0.0.1 as their proxy, so
// X-Forwarded-For names the client). An attempt the database could not count is refused (503),
// never let through.
export async function concurrentBurst(db) {
  const nodes = await twoNodes(db, ['--trusted-proxies', '127.0.0.1/32']);
  try {
    const email = freshEmail('burst');
    addUser(db, email, PASSWORD);
    const tally = (results) => {
      const counts = { 200: 0, 429: 0, 503: 0 };
      for (const r of results) {
        assert.ok(r.status in counts, `an attempt answered ${r.status}`);
        counts[r.status] += 1;
        if (r.status !== 200) retryAfter(r, 15 * 60);
      }
      return counts;
    };
    const burst = async (address, n, fields, path = '/login') => {
      const { onA, onB, token } = await browser(nodes, address);
      const results = await Promise.all(Array.from({ length: n },
        (_, i) => (i % 2 ? onA : onB).post(path, fields(i), { csrf: token })));
      return { counts: tally(results), onA, onB, token };
    };

    const one = await burst('198.51.100.1', 30, (i) => ({ email, password: `wrong-password-${i}` }));
    assert.ok(one.counts[200] <= PER_ACCOUNT, `${one.counts[200]} attempts on one account got through`);
    assert.ok(one.counts[200] >= 1, 'no attempt got through');
    // Exactly the limit, when the database counted every attempt (a node waits for the write
    // lock only so long, and refuses with 503 past that).
    if (one.counts[503] === 0) assert.equal(one.counts[200], PER_ACCOUNT);
    // All of it is spent: the right password, on either node, is refused.
    for (const node of [one.onA, one.onB]) {
      const r = await node.post('/login', { email, password: PASSWORD }, { csrf: one.token });
      assert.equal(r.status, 429, `after the burst: ${r.status}`);
    }

    // Reset requests for fresh accounts (no hashing, so the burst is cheap): only the address's
    // allowance limits them.
    const spray = await burst('198.51.100.2', 30, () => ({ email: freshEmail('spray') }), '/forgot');
    assert.ok(spray.counts[200] <= FORGOT_PER_ADDRESS,
      `${spray.counts[200]} requests from one address got through`);
    assert.ok(spray.counts[200] >= 1, 'no request got through');
    if (spray.counts[503] === 0) assert.equal(spray.counts[200], FORGOT_PER_ADDRESS);
  } finally {
    await nodes.stop();
  }
}
