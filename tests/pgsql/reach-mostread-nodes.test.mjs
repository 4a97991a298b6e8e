// The "Most read" box with two app nodes on one PostgreSQL database (issue 12; src/most_read.c):
// each node counts article views in memory and adds them to article_views every
// most_read_refresh_seconds (1 here) and when it stops, onto the same (hour, article) rows, so
// both nodes' boxes show the sum of both nodes' views, and stopping adds nothing twice.
//
// Runs under `make pg-test` (BROADSHEET_TEST_PG_DIR names the throwaway cluster).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';

import { startServer, tmpDir, freshDatabase } from '../lib/server.mjs';
import { sql } from '../lib/accounts.mjs';
import { get, poll } from '../lib/util.mjs';

assert.ok(process.env.BROADSHEET_TEST_PG_DIR,
  'BROADSHEET_TEST_PG_DIR must name a running test cluster (run these with `make pg-test`)');

const dir = tmpDir('broadsheet-pgsql-mostread-');
after(() => rmSync(dir, { recursive: true, force: true }));

const ARGS = ['--most-read-refresh-seconds', '1'];

async function views(node, path, n) {
  for (let i = 0; i < n; i++) {
    const res = await get(`${node.url}${path}`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
}

// The box's article paths on node's home page, in order ([] when there is none).
async function boxOf(node) {
  const html = await (await get(`${node.url}/`)).text();
  const m = /<!--most-read-->([\s\S]*?)<!--\/most-read-->/.exec(html);
  assert.ok(m, 'the home page has the most-read markers');
  return [...m[1].matchAll(/<li class="most-read-item"><a href="([^"]*)">/g)].map((x) => x[1]);
}

// Views per article slug in article_views, summed over hours.
function table(db) {
  const out = sql(db, 'SELECT a.slug, sum(v.views) FROM article_views v JOIN articles a ' +
    'ON a.id = v.article_id GROUP BY a.slug ORDER BY a.slug');
  return Object.fromEntries(out.trim().split('\n').filter(Boolean)
    .map((line) => line.split('|')).map(([slug, n]) => [`/articles/${slug}`, Number(n)]));
}

test('two nodes add their views: both boxes show the sum, and stopping adds nothing twice', { timeout: 90_000 }, async () => {
  const db = freshDatabase(dir);
  const a = await startServer({ db, args: ARGS });
  let b;
  try {
    b = await startServer({ db, demo: false, args: ARGS });
    const html = await (await get(`${a.url}/`)).text();
    const paths = [...new Set([...html.matchAll(/href="(\/articles\/[^"]+)"/g)].map((m) => m[1]))];
    const [x, y, z] = paths;
    // y leads on node A alone (5 against 3), but x leads the sum (3 + 4); z is on B only.
    await Promise.all([
      (async () => { await views(a, x, 3); await views(a, y, 5); })(),
      (async () => { await views(b, x, 4); await views(b, z, 2); })(),
    ]);
    const want = [x, y, z];
    for (const node of [a, b]) {
      let last;
      const ok = await poll(async () => {
        last = await boxOf(node);
        return JSON.stringify(last) === JSON.stringify(want);
      }, { ms: 20_000, every: 250 });
      assert.ok(ok, `box on ${node.url}: ${JSON.stringify(last)}; want ${JSON.stringify(want)}`);
    }
    assert.deepEqual(table(db), { [x]: 7, [y]: 5, [z]: 2 });
    await b.stop();
    await a.stop();
    assert.deepEqual(table(db), { [x]: 7, [y]: 5, [z]: 2 }, 'stopping added nothing twice');
  } finally {
    await b?.stop().catch(() => {});
    await a.stop().catch(() => {});
  }
});
