// The item log's commit order on PostgreSQL (issue 13; migrations/pgsql/021_item_log.sql): a
// version that took its number first but commits last must not be skipped by a partner paging
// meanwhile. A psql session writes a version (an article's row and its row in the log, whose
// number it takes) and holds its transaction open for 3 s; an import of a new GSN article starts
// meanwhile. Our writers take the log's lock before they write, which waits for any transaction
// that has written to the log, so the import numbers its version after the held one; a partner polling throughout receives both, in that order. Had
// the import not waited, its higher number would have been read first and the partner's cursor
// would have moved past the held version before it was committed: lost for good.
// Runs under `make pg-test` (BROADSHEET_TEST_PG_DIR).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { startServer, tmpDir, freshDatabase, bin, repoRoot } from '../lib/server.mjs';
import { sql } from '../lib/accounts.mjs';
import { apiGet, demoKey, walk } from '../lib/partner.mjs';

assert.ok(process.env.BROADSHEET_TEST_PG_DIR,
  'BROADSHEET_TEST_PG_DIR must name a running test cluster (run these with `make pg-test`)');

const dir = tmpDir('broadsheet-pgsql-order-');
after(() => rmSync(dir, { recursive: true, force: true }));

// Runs a program to its end without blocking the event loop: {code, stderr, ms}.
function run(cmd, args) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, ms: Date.now() - started }));
  });
}

test('a version numbered first and committed last is not skipped by a partner paging meanwhile', { timeout: 60_000 }, async () => {
  const db = freshDatabase(dir);
  const server = await startServer({ db, args: ['--partner-rate-limit', '100000'] });
  try {
    const key = demoKey(server);
    const start = (await walk(server.url, key)).next;
    const held = Number(sql(db, "SELECT a.id FROM articles a JOIN publications p ON p.id = " +
      "a.publication_id WHERE p.slug = 'gsn' ORDER BY a.id LIMIT 1"));

    // The held writer: a new version of article `held` and its row in the log (its number
    // taken), then 3 s open. It does not take the log's lock itself: the import's must still
    // make the import wait (EXCLUSIVE waits for the held transaction's ROW EXCLUSIVE).
    const holder = run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db,
      '-c', 'BEGIN',
      '-c', `UPDATE articles SET version = version + 1, headline = 'Held back' WHERE id = ${held}`,
      '-c', 'INSERT INTO item_log (article_id, version, publication_id, section_id, pubstatus, ' +
        `created_at) SELECT id, version, publication_id, section_id, 'usable', 0 FROM articles WHERE id = ${held}`,
      '-c', 'SELECT pg_sleep(3)', '-c', 'COMMIT']);
    const t0 = Date.now();
    for (;;) { // until the holder has written its row
      const granted = sql(db, "SELECT count(*) FROM pg_locks WHERE relation = 'item_log'::regclass " +
        "AND mode = 'RowExclusiveLock' AND granted");
      if (granted === '1') break;
      assert.ok(Date.now() - t0 < 10_000, 'psql did not write within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const folder = path.join(dir, 'one');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'a.md'), '---\nheadline: Written second\npublication: gsn\n' +
      'section: security\npublished: 2014-06-14T09:00:00Z\naccess: free\nslug: written-second\n' +
      '---\nA paragraph.\n');
    const importing = run(bin, ['article', 'import', '--db', db, folder]);

    // A partner polling all the while, from where it was.
    const got = [];
    let cursor = start;
    const deadline = Date.now() + 30_000;
    while (got.length < 2 && Date.now() < deadline) {
      const r = await apiGet(server.url, key, `/items?after=${cursor}&limit=100`);
      assert.equal(r.status, 200, r.text);
      got.push(...r.json.items.map((i) => i.headlines[0].value));
      cursor = r.json.next;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const [h, i] = await Promise.all([holder, importing]);
    assert.equal(h.code, 0, `psql: ${h.stderr}`);
    assert.equal(i.code, 0, `import: ${i.stderr}`);
    assert.deepEqual(got, ['Held back', 'Written second'],
      'the partner received the later version first, and the held one never');
    assert.ok(i.ms >= 2000, `the import did not wait for the held transaction (${i.ms} ms)`);
  } finally {
    await server.stop();
  }
});
