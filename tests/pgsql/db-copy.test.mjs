// `broadsheet db copy` through PostgreSQL (issue 10, "Moving a site"): a SQLite site with a
// signed-in reader, meter reads and ad counters copied into a new PostgreSQL database and back
// into a new SQLite file gives identical rows in every table (nothing excluded: the secrets,
// sessions, meta's counters and the change log included); a server on the PostgreSQL copy takes
// the reader's old session cookie, and new articles and accounts get new ids there. A target
// that holds a site is refused and left as it was; a copy that fails half-way leaves the target
// empty (and a later copy into it works). A URL's password is never printed.
// Runs under `make pg-test` (BROADSHEET_TEST_PG_DIR), like tests/pgsql/nodes.test.mjs.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { startServer, runCli, tmpDir, freshDatabase } from '../lib/server.mjs';
import { Client, freshEmail, sql } from '../lib/accounts.mjs';
import { dumpSqlite } from '../lib/dump.mjs';

assert.ok(process.env.BROADSHEET_TEST_PG_DIR,
  'BROADSHEET_TEST_PG_DIR must name a running test cluster (run these with `make pg-test`)');

const dir = tmpDir('broadsheet-pg-copy-');
after(() => rmSync(dir, { recursive: true, force: true }));

const PASSWORD = 'pw-s3cret';
// A new PostgreSQL database, its URL with a password (the test cluster trusts local users, so
// any password connects; the point is that it is never shown).
const freshPg = () => freshDatabase(dir).replace('postgresql://postgres@', `postgresql://postgres:${PASSWORD}@`);
const show = (r) => `exit ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
function copy(from, to) {
  const r = runCli(['db', 'copy', '--from', from, '--to', to]);
  assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), `the password was printed:\n${show(r)}`);
  return r;
}

// Every table's row count and a digest of its rows, on PostgreSQL: equal before and after
// means the database did not change.
function pgDigest(db) {
  const tables = sql(db, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() " +
    'ORDER BY tablename').split('\n');
  return tables.map((t) => `${t} ${sql(db, `SELECT count(*), md5(coalesce(string_agg(x::text, '|' ` +
    `ORDER BY x::text), '')) FROM "${t}" x`)}`).join('\n');
}
const pgCount = (db, table) => Number(sql(db, `SELECT count(*) FROM "${table}"`));

const site = path.join(dir, 'site.db');
const email = freshEmail('copied');
const password = 'a-long-enough-password-1';
let reader; // the signed-in reader's browser, on the SQLite site

test('db copy: SQLite to PostgreSQL and back gives identical rows; the old session signs in on PostgreSQL',
  { timeout: 120_000 }, async () => {
    const srv = await startServer({ db: site });
    try {
      reader = new Client(srv.url);
      await reader.register(email, password);
      assert.ok(await reader.signedIn());
      const metered = sql(site, "SELECT slug FROM articles WHERE access = 'metered' ORDER BY id LIMIT 3")
        .split('\n');
      for (const slug of metered) assert.equal((await reader.get(`/articles/${slug}`)).status, 200);
      const anonymous = new Client(srv.url);
      for (const slug of metered) assert.equal((await anonymous.get(`/articles/${slug}`)).status, 200);
    } finally {
      await srv.stop();
    }
    assert.ok(Number(sql(site, 'SELECT count(*) FROM meter_reads')) >= 3, 'no meter reads');
    assert.ok(Number(sql(site, 'SELECT count(*) FROM sessions')) >= 1, 'no session');
    assert.ok(Number(sql(site, 'SELECT count(*) FROM secrets')) >= 1, 'no secrets');

    const pg = freshPg();
    const there = copy(site, pg);
    assert.equal(there.status, 0, show(there));
    assert.match(there.stdout, /^copied \d+ tables, \d+ rows, from .*site\.db to postgresql:\/\/postgres:\*\*\*@/m);
    assert.match(there.stdout, /^ {2}sessions +1$/m);

    // Back, before anything runs on the copy (a server would touch the session's last use).
    const back = path.join(dir, 'back.db');
    const again = copy(pg, back);
    assert.equal(again.status, 0, show(again));
    assert.equal(dumpSqlite(back), dumpSqlite(site));

    // A server on the PostgreSQL copy: the reader's cookie from before still signs them in.
    const srv2 = await startServer({ db: pg, demo: false });
    try {
      const moved = new Client(srv2.url);
      moved.jar = new Map(reader.jar);
      assert.ok(await moved.signedIn(), 'the session cookie from before the copy is not signed in');
      // New rows take new ids (the sequences were set past the copied ones).
      const maxUser = Number(sql(pg, 'SELECT max(id) FROM users'));
      const newcomer = new Client(srv2.url);
      await newcomer.register(freshEmail('after'), password);
      assert.equal(Number(sql(pg, 'SELECT max(id) FROM users')), maxUser + 1);
      const maxArticle = Number(sql(pg, 'SELECT max(id) FROM articles'));
      const md = path.join(dir, 'after.md');
      writeFileSync(md, ['---', 'slug: after-the-move', 'headline: After The Move', 'publication: gsn',
        'section: security', 'byline: Test', 'published: 2030-01-01T00:00:00Z', 'access: free', '---',
        '', 'Body.', ''].join('\n'));
      const imp = runCli(['article', 'import', '--db', pg, md]);
      assert.equal(imp.status, 0, show(imp));
      assert.equal(Number(sql(pg, "SELECT id FROM articles WHERE slug = 'after-the-move'")), maxArticle + 1);
      // The change log moved on from the copied one (the triggers are back on).
      assert.ok(Number(sql(pg, "SELECT seq FROM changes WHERE tag = 'list:all'")) >
        Number(sql(site, "SELECT seq FROM changes WHERE tag = 'list:all'")));
      assert.equal((await moved.get('/articles/after-the-move')).status, 200);
    } finally {
      await srv2.stop();
    }
  });

test('db copy: a PostgreSQL target that holds a site is refused and left unchanged', { timeout: 60_000 }, () => {
  const pg = freshPg();
  const init = runCli(['init', '--db', pg, '--demo', '--demo-without-staff']);
  assert.equal(init.status, 0, show(init));
  const before = pgDigest(pg);
  const r = copy(site, pg);
  assert.equal(r.status, 1, show(r));
  assert.match(r.stderr, /^broadsheet: db copy: the target postgresql:\/\/postgres:\*\*\*@\S+ is not empty \(\w+ holds \d+ rows\)/m);
  assert.equal(pgDigest(pg), before);
});

test('db copy: a copy that fails half-way leaves the PostgreSQL target empty', { timeout: 60_000 }, () => {
  const pg = freshPg();
  const init = runCli(['init', '--db', pg]);
  assert.equal(init.status, 0, show(init));
  const empty = pgDigest(pg);
  // sessions, copied after users and most others, refuses every row. (A CHECK, not refuseInserts'
  // trigger: the copy turns the target's triggers off while it writes.)
  sql(pg, 'ALTER TABLE sessions ADD CONSTRAINT refuse_copy CHECK (false) NOT VALID');
  const r = copy(site, pg);
  assert.equal(r.status, 1, show(r));
  assert.match(r.stderr, /^broadsheet: db copy: copying rows of sessions: .*refuse_copy/m);
  sql(pg, 'ALTER TABLE sessions DROP CONSTRAINT refuse_copy');
  assert.equal(pgDigest(pg), empty, 'the failed copy left rows behind');
  assert.equal(pgCount(pg, 'articles'), 0);
  assert.equal(sql(pg, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'"), '0',
    'triggers left disabled');
  // Still empty, so a copy now goes through.
  const ok = copy(site, pg);
  assert.equal(ok.status, 0, show(ok));
  assert.equal(pgCount(pg, 'articles'), Number(sql(site, 'SELECT count(*) FROM articles')));
});
