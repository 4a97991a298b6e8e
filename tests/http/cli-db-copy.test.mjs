// `broadsheet db copy` between SQLite files (tests/pgsql/db-copy.test.mjs copies through
// PostgreSQL): every table's rows arrive identical, the copy is a working site, a target that
// holds anything is refused and left as it was, and bad arguments get clear errors and exit
// codes (2 for usage, 1 for work that cannot be done).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, startServer, tmpDir, demoDir } from '../lib/server.mjs';
import { SQLITE, Client, freshEmail } from '../lib/accounts.mjs';
import { dumpSqlite } from '../lib/dump.mjs';

let dir;
before(() => { dir = tmpDir('broadsheet-db-copy-'); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const show = (r) => `exit ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
const query = (db, sql) => execFileSync(SQLITE, ['-batch', '-cmd', '.mode quote', db, sql],
  { encoding: 'utf8' });

function demoDb(name) {
  const db = path.join(dir, name);
  const r = runCli(['init', '--db', db, '--demo', '--demo-dir', demoDir]);
  assert.equal(r.status, 0, show(r));
  return db;
}

const leftovers = () => readdirSync(dir).filter((f) => f.includes('.copy-'));

test('db copy: a SQLite site into a new file, every row identical, and the copy works',
  { timeout: 60_000 }, async () => {
    const from = demoDb('site.db');
    // A reader signed in: a session, the secrets that sign cookies (blobs), meter reads.
    const srv = await startServer({ db: from, demo: false });
    try {
      const reader = new Client(srv.url);
      await reader.register(freshEmail('copied'), 'a-long-enough-password-1');
      const slug = query(from, "SELECT slug FROM articles WHERE access = 'metered' LIMIT 1").trim();
      assert.equal((await reader.get(`/articles/${slug.replace(/'/g, '')}`)).status, 200);
    } finally {
      await srv.stop();
    }
    assert.notEqual(query(from, 'SELECT count(*) FROM secrets').trim(), '0');
    const to = path.join(dir, 'copy.db');
    const r = runCli(['db', 'copy', '--from', from, '--to', to]);
    assert.equal(r.status, 0, show(r));
    // The search index (search_*) is rebuilt on the target, not copied (reach-search tests it).
    const tables = Number(query(from, "SELECT count(*) FROM sqlite_master WHERE type = 'table' " +
      "AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'search!_%' ESCAPE '!'").trim());
    assert.match(r.stdout, new RegExp(`^copied ${tables} tables, \\d+ rows, from ${from} to ${to}$`, 'm'));
    assert.match(r.stdout, /^ {2}articles +18$/m);
    assert.match(r.stdout, /^ {2}users +4$/m); // the reader, and the demo's admin, editor and writer
    assert.match(r.stdout, /^ {2}sessions +1$/m);
    assert.equal(dumpSqlite(to), dumpSqlite(from));
    assert.deepEqual(leftovers(), []);
    assert.ok(!existsSync(`${to}-wal`) || readFileSync(`${to}-wal`).length === 0);
    // A working site: its triggers are back (an import moves the change log) and it lists.
    const seq = () => Number(query(to, "SELECT value FROM meta WHERE key = 'change_seq'").trim());
    const before = seq();
    const md = path.join(dir, 'one.md');
    writeFileSync(md, ['---', 'slug: after-the-copy', 'headline: After The Copy', 'publication: gsn',
      'section: security', 'byline: Test', 'published: 2030-01-01T00:00:00Z', 'access: free',
      '---', '', 'Body.', ''].join('\n'));
    const imp = runCli(['article', 'import', '--db', to, md]);
    assert.equal(imp.status, 0, show(imp));
    assert.ok(seq() > before, 'the change log did not move: the triggers are missing');
    const list = runCli(['article', 'list', '--db', to]);
    assert.match(list.stdout, /after-the-copy/);
  });

test('db copy: an existing empty file is a fine target; one that holds anything is refused and kept',
  () => {
    const from = demoDb('site2.db');
    const empty = path.join(dir, 'empty.db');
    writeFileSync(empty, '');
    const ok = runCli(['db', 'copy', '--from', from, '--to', empty]);
    assert.equal(ok.status, 0, show(ok));
    assert.equal(dumpSqlite(empty), dumpSqlite(from));

    const other = demoDb('other.db');
    runCli(['user', 'add', 'kept@example.com', '--db', other], { input: 'a long passphrase\n' });
    const bytes = readFileSync(other);
    const r = runCli(['db', 'copy', '--from', from, '--to', other]);
    assert.equal(r.status, 1, show(r));
    assert.match(r.stderr, /^broadsheet: db copy: the target .*other\.db exists and is not empty/m);
    assert.ok(readFileSync(other).equals(bytes), 'the refused target changed');
    const junk = path.join(dir, 'junk.txt');
    writeFileSync(junk, 'not a database');
    const r2 = runCli(['db', 'copy', '--from', from, '--to', junk]);
    assert.equal(r2.status, 1, show(r2));
    assert.equal(readFileSync(junk, 'utf8'), 'not a database');
    assert.deepEqual(leftovers(), []);
  });

test('db copy: bad arguments and sources get clear errors, and nothing is written', () => {
  const from = demoDb('site3.db');
  const to = path.join(dir, 'never.db');
  const cases = [
    [['db', 'copy', '--from', from], 2, /db copy: needs --to TARGET/],
    [['db', 'copy', '--to', to], 2, /db copy: needs --from SOURCE/],
    [['db', 'copy', '--from', from, '--to', from], 2, /--from and --to name the same database/],
    [['db', 'copy', '--from', from, '--to', `${dir}/../${path.basename(dir)}/site3.db`], 2,
      /--from and --to name the same database/],
    [['db', 'copy', '--from', from, '--to', to, '--force'], 2, /db copy: unknown option --force/],
    [['db', 'copy', '--from', from, '--to', to, 'extra'], 2, /db copy: takes no argument 'extra'/],
    [['db', 'copy', '--from', '', '--to', to], 2, /--from and --to each name a database/],
    [['db', 'copy', '--from', path.join(dir, 'missing.db'), '--to', to], 1,
      /cannot open the source .*missing\.db/],
    [['db', 'move'], 2, /unknown db command 'move' \(copy\)/],
  ];
  for (const [args, status, message] of cases) {
    const r = runCli(args);
    assert.equal(r.status, status, `${args.join(' ')}: ${show(r)}`);
    assert.match(r.stderr, message, args.join(' '));
    if (status === 2 && args[1] === 'copy') assert.match(r.stderr, /usage: broadsheet db copy --from SOURCE --to TARGET/);
  }
  assert.ok(!existsSync(path.join(dir, 'missing.db')), 'the missing source was created');
  // A source at another schema version: migrate it first (the binary never writes a source).
  const old = demoDb('old.db');
  query(old, 'PRAGMA user_version = 3');
  const r = runCli(['db', 'copy', '--from', old, '--to', to]);
  assert.equal(r.status, 1, show(r));
  assert.match(r.stderr, /old\.db has schema version 3, this Broadsheet's is \d+: open it with this version first/);
  assert.equal(query(old, 'PRAGMA user_version').trim(), '3');
  assert.ok(!existsSync(to), 'a target was written');
  assert.deepEqual(leftovers(), []);
});
