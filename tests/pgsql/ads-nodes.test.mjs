// Ad counts with two app nodes on one PostgreSQL database (issue 10, "Several nodes, one site"):
// each node counts impressions and clicks in memory and adds them to ad_stats as deltas every
// fifth tick and when it stops (ads_flush), so `broadsheet ads report` shows the sum of both.
//
//   - impressions and clicks made on both nodes at once, while both flush, add up exactly in
//     the report, and stay so when the nodes stop;
//   - two flushes that meet on the same rows wait for each other and never deadlock: every
//     flush writes its rows in one order (creative, day), whatever order they were counted in.
//
// Runs under `make pg-test` (BROADSHEET_TEST_PG_DIR names the throwaway cluster).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';

import { startServer, runCli, tmpDir, freshDatabase, httpRequest } from '../lib/server.mjs';
import { Client, sql } from '../lib/accounts.mjs';
import { psqlSession, waitingForLocks } from '../lib/psql.mjs';
import { get, poll } from '../lib/util.mjs';

assert.ok(process.env.BROADSHEET_TEST_PG_DIR,
  'BROADSHEET_TEST_PG_DIR must name a running test cluster (run these with `make pg-test`)');

const dir = tmpDir('broadsheet-pgsql-ads-');
after(() => rmSync(dir, { recursive: true, force: true }));

// What a browser sends when a reader follows a link on one of our pages (a counted click).
const NAVIGATION = { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'navigate',
  'Sec-Fetch-Dest': 'document', 'Sec-Fetch-User': '?1' };
const today = () => new Date().toISOString().slice(0, 10);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Two nodes on one new database; A seeds the demo newsroom and its house campaign.
async function twoNodes(args = []) {
  const db = freshDatabase(dir);
  const a = await startServer({ db, args });
  let b;
  try {
    b = await startServer({ db, demo: false, args });
  } catch (err) {
    await a.stop();
    throw err;
  }
  return { db, a, b };
}

// The house campaign's sidebar and leaderboard creatives, as node serves them: [id, id].
async function houseCreatives(node) {
  const r = await new Client(node.url).get('/ads/slots?placements=sidebar,leaderboard');
  assert.equal(r.status, 200, r.body);
  const { ads } = JSON.parse(r.body);
  const ids = [ads.sidebar?.id, ads.leaderboard?.id];
  assert.ok(ids.every((id) => Number.isInteger(id) && id > 0) && ids[0] !== ids[1], r.body);
  return ids;
}

async function impression(node, id) {
  const res = await get(`${node.url}/ads/impression/${id}`, { method: 'POST' });
  assert.equal(res.status, 204);
}

async function click(node, id) {
  const res = await httpRequest(node.port, 'GET', `/ads/click/${id}`, NAVIGATION);
  assert.equal(res.status, 302);
}

// Today's {impressions, clicks} per creative id from `broadsheet ads report --db`.
function report(db) {
  const r = runCli(['ads', 'report', '--db', db, '--from', today(), '--to', today()]);
  assert.equal(r.status, 0, r.stderr);
  const counts = {};
  for (const line of r.stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === today()) counts[f[2]] = { impressions: Number(f[4]), clicks: Number(f[5]) };
  }
  return counts;
}

// Waits until the report has reached `expected` ({id: {impressions, clicks}}), then two flushes
// more, and asserts it is exactly that.
async function assertReport(db, expected) {
  const reached = () => {
    const got = report(db);
    return Object.entries(expected).every(([id, e]) => got[id] &&
      got[id].impressions >= e.impressions && got[id].clicks >= e.clicks);
  };
  await poll(reached, { ms: 15_000, every: 200 });
  await sleep(1200);
  assert.deepEqual(report(db), expected);
}

test('impressions and clicks on two nodes add up in `ads report`', { timeout: 90_000 }, async () => {
  const { db, a, b } = await twoNodes();
  try {
    const [sidebar, leaderboard] = await houseCreatives(a);
    assert.deepEqual(await houseCreatives(b), [sidebar, leaderboard]);
    // Both nodes at once for a few seconds, so that their flushes (every half second) meet. The
    // numbers stay under the per-client caps (100 impressions, 10 clicks a creative a day).
    const plan = {
      a: { node: a, [sidebar]: [61, 7], [leaderboard]: [37, 4] },
      b: { node: b, [sidebar]: [43, 9], [leaderboard]: [78, 6] },
    };
    const work = (p) => async () => {
      for (let i = 0; i < 80; i++) {
        for (const id of i % 2 ? [sidebar, leaderboard] : [leaderboard, sidebar]) {
          if (i < p[id][0]) await impression(p.node, id);
          if (i < p[id][1]) await click(p.node, id);
        }
        if (i % 10 === 9) await sleep(150);
      }
    };
    await Promise.all([work(plan.a)(), work(plan.b)()]);
    const expected = {
      [sidebar]: { impressions: 61 + 43, clicks: 7 + 9 },
      [leaderboard]: { impressions: 37 + 78, clicks: 4 + 6 },
    };
    await assertReport(db, expected);
    // Stopping flushes what is left and adds nothing twice.
    await b.stop();
    await a.stop();
    assert.deepEqual(report(db), expected);
    const r = runCli(['ads', 'report', '--db', db]);
    assert.match(r.stdout, new RegExp(`^total\\s+${104 + 115}\\s+${16 + 10}\\s+`, 'm'));
    for (const node of [a, b]) assert.doesNotMatch(node.stderr(), /ads: could not write/);
  } finally {
    await b.stop();
    await a.stop();
  }
});

test('two flushes that meet on the same rows wait for each other, never deadlock', { timeout: 90_000 }, async () => {
  const { db, a, b } = await twoNodes();
  const other = await psqlSession(db);
  try {
    const [sidebar, leaderboard] = await houseCreatives(a);
    const [low, high] = [sidebar, leaderboard].sort((x, y) => x - y);
    // Today's rows exist, so that each flush updates (and locks) them in its own order.
    await impression(a, low);
    await impression(a, high);
    await poll(() => sql(db, `SELECT count(*) FROM ad_stats WHERE day = '${today()}'`) === '2',
      { ms: 10_000, every: 100 });
    const deadlocks = () => Number(sql(db,
      'SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()'));
    const before = deadlocks();

    // The low row is locked elsewhere. B counts low then high: its flush waits for low. A counts
    // high then low: a flush in that order would lock high and wait for low, behind B, which
    // then waits for high: a deadlock, and one node's flush refused.
    await other.run(`BEGIN; SELECT 1 FROM ad_stats WHERE creative_id = ${low} AND day = '${today()}' FOR UPDATE;`);
    await impression(b, low);
    await impression(b, high);
    const flushing = (n) => () => waitingForLocks(db).filter((q) => /ad_stats/.test(q)).length === n;
    assert.ok(await poll(flushing(1), { ms: 5000, every: 10 }), 'B\'s flush did not wait for the lock');
    await impression(a, high);
    await impression(a, low);
    assert.ok(await poll(flushing(2), { ms: 3000, every: 10 }), 'A\'s flush did not wait for the lock');
    await other.run('COMMIT;');

    await assertReport(db, { [low]: { impressions: 3, clicks: 0 }, [high]: { impressions: 3, clicks: 0 } });
    // PostgreSQL's deadlock detector runs after deadlock_timeout (1 s): long since passed.
    assert.equal(deadlocks() - before, 0, 'the two flushes deadlocked');
    for (const node of [a, b]) assert.doesNotMatch(node.stderr(), /ads: could not write/);
  } finally {
    await other.end();
    await b.stop();
    await a.stop();
  }
});
