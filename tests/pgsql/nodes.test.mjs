// Broadsheet on PostgreSQL, end to end: the demo newsroom seeded and served from a PostgreSQL
// database; an article imported by another process reaches the pages that show it within a
// second, through PostgreSQL's change log; and two app nodes on one database share the site:
// what one imports the other serves, and a reader signed in on one is signed in on the other.
// Runs under `make pg-test` (scripts/pg-test), which starts a throwaway PostgreSQL and names it
// in BROADSHEET_TEST_PG_DIR; every database here is a new one on it (freshDatabase).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import { startServer, runCli, tmpDir, freshDatabase } from '../lib/server.mjs';
import { addUser, Client, freshEmail, accountSlot } from '../lib/accounts.mjs';
import { get, poll, REFERENCE_PATH, REFERENCE } from '../lib/util.mjs';
import { scrape, value } from '../lib/metrics.mjs';
import net from 'node:net';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

assert.ok(process.env.BROADSHEET_TEST_PG_DIR,
  'BROADSHEET_TEST_PG_DIR must name a running test cluster (run these with `make pg-test`)');

const dir = tmpDir('broadsheet-pgsql-');
after(() => rmSync(dir, { recursive: true, force: true }));

function article(slug, headline) {
  const file = path.join(dir, `${slug}.md`);
  writeFileSync(file, [
    '---', `slug: ${slug}`, `headline: ${headline}`, 'dek: Imported on one node.',
    'byline: By Test Desk', 'published: 2030-01-02T03:04:05Z', 'publication: gsn',
    'section: security', 'access: free', '---', '', 'A paragraph of the imported article.', '',
  ].join('\n'));
  return file;
}

test('the demo newsroom on PostgreSQL: its pages, and an import from another process within a second',
  { timeout: 60_000 }, async () => {
    const srv = await startServer();
    try {
      assert.match(srv.db, /^postgresql:\/\//);
      const home = await get(`${srv.url}/`);
      assert.equal(home.status, 200);
      const page = await get(srv.url + REFERENCE_PATH);
      assert.equal(page.status, 200);
      assert.ok((await page.text()).includes(REFERENCE.headline.slice(0, 30)));
      await (await get(`${srv.url}/`)).text(); // cached now

      const headline = 'Postgres Node Test: An Import Reaches The Home Page';
      const r = runCli(['article', 'import', '--db', srv.db, article('pg-import-one', headline)]);
      assert.equal(r.status, 0, r.stderr);
      const started = Date.now();
      await poll(async () => (await (await get(`${srv.url}/`)).text()).includes(headline),
        { ms: 5000, every: 20 });
      assert.ok(Date.now() - started < 1000, `seen after ${Date.now() - started} ms`);
      const list = runCli(['article', 'list', '--db', srv.db]);
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /pg-import-one/);
    } finally {
      await srv.stop();
    }
  });

test('a password in the database URL is never printed: the server log and init show it as ***',
  { timeout: 60_000 }, async () => {
    const db = freshDatabase(dir).replace('postgresql://postgres@', 'postgresql://postgres:pw-s3cret@');
    const init = runCli(['init', '--db', db]);
    assert.equal(init.status, 0, init.stderr);
    const srv = await startServer({ db, demo: false });
    try {
      for (const out of [init.stdout + init.stderr, srv.stderr()]) {
        assert.match(out, /postgresql:\/\/postgres:\*\*\*@/);
        assert.ok(!out.includes('pw-s3cret'), `the password was printed:\n${out}`);
      }
    } finally {
      await srv.stop();
    }
    const bad = runCli(['article', 'list', '--db', db.replace(/\/[^/]*$/, '/no_such_db')]);
    assert.notEqual(bad.status, 0);
    assert.ok(!(bad.stdout + bad.stderr).includes('pw-s3cret'), bad.stderr);
    assert.match(bad.stderr, /postgres:\*\*\*@/);
  });

test('two nodes on one PostgreSQL database: an import on one is served by the other within a second, its other pages stay cached; a session is shared',
  { timeout: 60_000 }, async () => {
    const db = freshDatabase(dir);
    const a = await startServer({ db });
    const metricsPort = await freePort();
    const b = await startServer({ db, demo: false, args: ['--metrics-address', `127.0.0.1:${metricsPort}`] });
    const misses = async () => value(await scrape(`http://127.0.0.1:${metricsPort}/metrics`),
      'broadsheet_cache_misses_total', { cache: 'pages' });
    try {
      const headline = 'Postgres Node Test: Imported Through A, Served By B';
      // B's cached pages: the ones the new article (gsn, security) appears on, and others.
      const showing = ['/', '/sections/security', '/publications/gsn'];
      const others = ['/sections/energy', '/sections/politics', '/publications/national-journal',
        '/articles/epa-unveils-proposed-carbon-limits-for-existing-power-plants'];
      for (const p of [...showing, ...others]) {
        assert.equal((await get(`${b.url}${p}`)).status, 200, p);
      }
      const r = runCli(['article', 'import', '--db', db, article('pg-two-nodes', headline)]);
      assert.equal(r.status, 0, r.stderr);
      const started = Date.now();
      await poll(async () => (await (await get(`${b.url}/`)).text()).includes(headline),
        { ms: 5000, every: 20 });
      const took = Date.now() - started;
      assert.ok(took < 1000, `B served the import after ${took} ms`);
      for (const p of showing.slice(1)) {
        assert.ok((await (await get(`${b.url}${p}`)).text()).includes(headline), p);
      }
      assert.equal((await get(`${b.url}/articles/pg-two-nodes`)).status, 200);
      // Nothing else was dropped from B's cache: its other pages are still hits.
      const before = await misses();
      for (const p of others) await (await get(`${b.url}${p}`)).arrayBuffer();
      assert.equal(await misses(), before, 'a page the import does not touch was rendered again');

      const email = freshEmail('pgnodes');
      addUser(db, email, 'a-long-enough-password-1');
      const onA = new Client(a.url);
      const login = await onA.post('/login', { email, password: 'a-long-enough-password-1' });
      assert.equal(login.status, 303, `log-in on A: ${login.status}`);
      const onB = new Client(b.url);
      onB.jar = new Map(onA.jar); // the same browser, sent to the other node
      const account = await onB.get('/account');
      assert.equal(account.status, 200, 'B does not know the session made on A');
      assert.ok(!/href="\/login"/.test(accountSlot(account.body)), 'B shows "Log in"');
    } finally {
      await b.stop();
      await a.stop();
    }
  });
