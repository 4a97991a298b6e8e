// Partners (issue 13): `broadsheet partner add|list|key rotate|remove` against a database made by
// `broadsheet init --demo`, and the demo's partner. The key is printed once (by add and rotate),
// never by list or an error, and never stored in clear: the database holds its BLAKE2b-256 hash
// (checked against Python's hashlib) and its 8-character prefix. Every bad input is refused with
// a clear one-line message and the right exit status (2 for usage errors, 1 for work that
// cannot be done), and changes nothing (the partners' tables are compared before and after).
// Runs on SQLite, or on PostgreSQL when BROADSHEET_TEST_PG_DIR is set (freshDatabase).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runCli, startServer, tmpDir, demoDir, freshDatabase } from '../lib/server.mjs';
import { sql, blake2b256 } from '../lib/accounts.mjs';

let dir;
before(() => { dir = tmpDir('broadsheet-partners-cli-'); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const KEY = /^API key: (bsk_[A-Za-z0-9_-]{43})$/m;
const ANY_KEY = /bsk_[A-Za-z0-9_-]{43}/;

function show(r) {
  return `exit ${r.status} (signal ${r.signal}, timed out ${r.timedOut})\n--- stdout ---\n${r.stdout}` +
    `\n--- stderr ---\n${r.stderr}`;
}

// A fresh database of its own: on SQLite, a file in a directory of its own (freshDatabase names
// dir/test.db), on PostgreSQL a new database.
const newDatabase = () => freshDatabase(mkdtempSync(path.join(dir, 'db-')));

// A fresh demo database (its init output: the demo partner's key is on its stderr).
function initDemoDb() {
  const db = newDatabase();
  const r = runCli(['init', '--db', db, '--demo', '--demo-dir', demoDir]);
  assert.equal(r.status, 0, `init --demo: ${show(r)}`);
  return { db, init: r };
}

// Runs `broadsheet ...args --db db` and checks its exit status.
function cli(db, args, status = 0) {
  const r = runCli([...args, '--db', db]);
  assert.equal(r.status, status, `broadsheet ${args.join(' ')}: ${show(r)}`);
  return r;
}

// The one "broadsheet: ..." line of a failure's stderr.
function errorLine(r) {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('broadsheet: '));
  assert.equal(lines.length, 1, `expected one "broadsheet: ..." line on stderr:\n${r.stderr}`);
  return lines[0];
}

// Everything the partners' three tables hold, as text, in a stable order.
function partnerTables(db) {
  return [
    sql(db, 'SELECT slug, name, content, key_hash, key_prefix, created_at, key_created_at ' +
      'FROM partners ORDER BY slug'),
    sql(db, 'SELECT p.slug, pub.slug FROM partner_publications x JOIN partners p ON p.id = ' +
      'x.partner_id JOIN publications pub ON pub.id = x.publication_id ORDER BY 1, 2'),
    sql(db, 'SELECT p.slug, s.slug FROM partner_sections x JOIN partners p ON p.id = ' +
      'x.partner_id JOIN sections s ON s.id = x.section_id ORDER BY 1, 2'),
  ].join('\n--\n');
}

// The key `partner add` or `key rotate` printed, checking it is printed once and said so.
function printedKey(r) {
  const m = KEY.exec(r.stdout);
  assert.ok(m, `no key in:\n${r.stdout}`);
  assert.equal(r.stdout.split(m[1]).length - 1, 1, 'the key is printed once');
  assert.ok(!r.stderr.includes(m[1]), 'the key is not on stderr');
  assert.match(r.stdout, /shown once and never again/);
  return m[1];
}

test('partner add prints a key once, stores only its hash and prefix; list shows no key', () => {
  const { db } = initDemoDb();
  const r = cli(db, ['partner', 'add', 'wire', '--name', 'A Wire Service',
    '--publications', 'gsn, national-journal', '--sections', 'security,policy']);
  const key = printedKey(r);
  assert.match(r.stdout, /^created partner wire \(A Wire Service\): publications gsn,national-journal; sections policy,security; content preview \(the default: not every publication is produced for it\)$/m);
  const row = sql(db, "SELECT key_hash, key_prefix, content, name FROM partners WHERE slug = 'wire'");
  assert.equal(row, `${blake2b256(key)}|${key.slice(0, 8)}|preview|A Wire Service`);
  // The key is nowhere in the database in clear.
  const everything = sql(db, "SELECT slug || name || content || key_hash || key_prefix FROM partners");
  assert.ok(!everything.includes(key.slice(8)), 'no part of the key past the prefix is stored');

  const list = cli(db, ['partner', 'list']);
  assert.ok(!ANY_KEY.test(list.stdout + list.stderr), `a key in the list:\n${list.stdout}`);
  const line = list.stdout.split('\n').find((l) => l.startsWith('wire '));
  assert.ok(line, list.stdout);
  assert.ok(line.includes(`${key.slice(0, 8)}…`), line);
  assert.ok(!line.includes(key.slice(0, 9)), `more than the prefix shown: ${line}`);
  assert.match(line, /^wire +preview +bsk_\S{4}… +\d{4}-\d{2}-\d{2} A Wire Service: publications gsn,national-journal; sections policy,security$/);
  assert.match(list.stdout, /^2 partners$/m); // wire and the demo's nti
});

test('the default content: full for the publication\'s own partner, else preview', () => {
  const { db } = initDemoDb();
  // GSN is produced for "Nuclear Threat Initiative" (partner_short "NTI"): by name or short
  // name, in any case, the default is full.
  for (const [slug, name] of [['nti-a', 'Nuclear Threat Initiative'], ['nti-b', 'nuclear threat initiative'],
    ['nti-c', 'NTI']]) {
    const r = cli(db, ['partner', 'add', slug, '--name', name, '--publications', 'gsn']);
    assert.match(r.stdout, /content full \(the default: its publications are produced for it\)/);
  }
  // A publication that is not produced for it makes the default preview.
  let r = cli(db, ['partner', 'add', 'nti-d', '--name', 'Nuclear Threat Initiative',
    '--publications', 'gsn,national-journal']);
  assert.match(r.stdout, /content preview \(the default/);
  r = cli(db, ['partner', 'add', 'other', '--name', 'Another Outlet', '--publications', 'gsn']);
  assert.match(r.stdout, /content preview \(the default/);
  // --content wins either way.
  r = cli(db, ['partner', 'add', 'nti-e', '--name', 'NTI', '--publications', 'gsn', '--content', 'preview']);
  assert.match(r.stdout, /content preview \(given\)/);
  r = cli(db, ['partner', 'add', 'lic', '--name', 'Licensee', '--publications', 'national-journal',
    '--content', 'full']);
  assert.match(r.stdout, /content full \(given\)/);
  assert.equal(sql(db, 'SELECT slug, content FROM partners ORDER BY slug'),
    'lic|full\nnti|full\nnti-a|full\nnti-b|full\nnti-c|full\nnti-d|preview\nnti-e|preview\nother|preview');
});

test('key rotate prints a new key once; the old hash is gone at once', () => {
  const { db } = initDemoDb();
  const old = printedKey(cli(db, ['partner', 'add', 'wire', '--name', 'Wire', '--publications', 'gsn']));
  const before = sql(db, "SELECT created_at FROM partners WHERE slug = 'wire'");
  const r = cli(db, ['partner', 'key', 'rotate', 'wire']);
  const key = printedKey(r);
  assert.notEqual(key, old);
  assert.match(r.stdout, /the old one no longer works/);
  assert.equal(sql(db, "SELECT key_hash, key_prefix, created_at FROM partners WHERE slug = 'wire'"),
    `${blake2b256(key)}|${key.slice(0, 8)}|${before}`);
  assert.equal(sql(db, `SELECT count(*) FROM partners WHERE key_hash = '${blake2b256(old)}'`), '0');
  // Its product is untouched.
  assert.equal(sql(db, "SELECT pub.slug FROM partner_publications x JOIN partners p ON p.id = " +
    "x.partner_id JOIN publications pub ON pub.id = x.publication_id WHERE p.slug = 'wire'"), 'gsn');
  // A partner that does not exist: exit 1, no key printed, nothing changed.
  const tables = partnerTables(db);
  const none = cli(db, ['partner', 'key', 'rotate', 'nobody'], 1);
  assert.equal(errorLine(none), 'broadsheet: no partner nobody (see `broadsheet partner list`)');
  assert.ok(!ANY_KEY.test(none.stdout + none.stderr));
  assert.equal(partnerTables(db), tables);
});

test('a publication named twice is one row of the product; a 200-byte name is fine', () => {
  const { db } = initDemoDb();
  const name = 'n'.repeat(200);
  const r = cli(db, ['partner', 'add', 'twice', '--name', name, '--publications', 'gsn,gsn',
    '--sections', 'security, security']);
  printedKey(r);
  assert.match(r.stdout, /publications gsn; sections security; content preview/);
  assert.equal(sql(db, "SELECT count(*) FROM partner_publications x JOIN partners p ON p.id = " +
    "x.partner_id WHERE p.slug = 'twice'"), '1');
  assert.equal(sql(db, 'SELECT count(*) FROM partner_sections'), '1');
  assert.equal(sql(db, "SELECT name FROM partners WHERE slug = 'twice'"), name);
});

test('partner remove removes the partner and its product', () => {
  const { db } = initDemoDb();
  cli(db, ['partner', 'add', 'wire', '--name', 'Wire', '--publications', 'gsn,national-journal',
    '--sections', 'security']);
  const r = cli(db, ['partner', 'remove', 'wire']);
  assert.match(r.stdout, /^removed partner wire and its product; its key no longer works$/m);
  assert.equal(sql(db, "SELECT count(*) FROM partners WHERE slug = 'wire'"), '0');
  assert.equal(sql(db, 'SELECT count(*) FROM partner_publications x WHERE NOT EXISTS ' +
    '(SELECT 1 FROM partners p WHERE p.id = x.partner_id)'), '0');
  assert.equal(sql(db, 'SELECT count(*) FROM partner_sections'), '0');
  const again = cli(db, ['partner', 'remove', 'wire'], 1);
  assert.equal(errorLine(again), 'broadsheet: no partner wire (see `broadsheet partner list`)');
  // The demo's partner is still there.
  assert.match(cli(db, ['partner', 'list']).stdout, /^nti +full /m);
});

test('every bad input is refused with a clear message and changes nothing', () => {
  const { db } = initDemoDb();
  cli(db, ['partner', 'add', 'wire', '--name', 'Wire', '--publications', 'gsn']);
  const tables = partnerTables(db);
  const cases = [
    // [arguments, exit status, the message]
    [['partner', 'add', 'wire', '--name', 'Again', '--publications', 'gsn'], 1,
      'broadsheet: a partner wire already exists (see `broadsheet partner list`)'],
    [['partner', 'add', 'Bad_Slug', '--name', 'X', '--publications', 'gsn'], 2,
      "broadsheet: partner add: 'Bad_Slug' is not a valid partner slug (1 to 64 lowercase letters, digits and hyphens, not starting or ending with one)"],
    [['partner', 'add', '-x', '--name', 'X', '--publications', 'gsn'], 2, null],
    [['partner', 'add', 'x', '--name', '', '--publications', 'gsn'], 2,
      'broadsheet: partner add: a partner needs a --name (up to 200 bytes of text, no control characters)'],
    [['partner', 'add', 'x', '--name', '   ', '--publications', 'gsn'], 2,
      'broadsheet: partner add: a partner needs a --name (up to 200 bytes of text, no control characters)'],
    [['partner', 'add', 'x', '--name', 'Two\nLines', '--publications', 'gsn'], 2,
      'broadsheet: partner add: a partner needs a --name (up to 200 bytes of text, no control characters)'],
    [['partner', 'add', 'x', '--name', 'n'.repeat(201), '--publications', 'gsn'], 2,
      'broadsheet: partner add: a partner needs a --name (up to 200 bytes of text, no control characters)'],
    [['partner', 'add', 'x', '--publications', 'gsn'], 2, null], // --name is required
    [['partner', 'add', 'x', '--name', 'X'], 2, null],            // --publications is required
    [['partner', 'add', 'x', '--name', 'X', '--publications', 'nowhere'], 2,
      'broadsheet: partner add: no publication nowhere (see `broadsheet publication list`)'],
    [['partner', 'add', 'x', '--name', 'X', '--publications', 'gsn,nowhere'], 2,
      'broadsheet: partner add: no publication nowhere (see `broadsheet publication list`)'],
    [['partner', 'add', 'x', '--name', 'X', '--publications', 'gsn', '--sections', 'security,sports'], 2,
      'broadsheet: partner add: no section sports (see `broadsheet section list`)'],
    [['partner', 'add', 'x', '--name', 'X', '--publications', ''], 2,
      "broadsheet: partner add: an empty publication in ''"],
    [['partner', 'add', 'x', '--name', 'X', '--publications', 'gsn,,national-journal'], 2,
      "broadsheet: partner add: an empty publication in 'gsn,,national-journal'"],
    [['partner', 'add', 'x', '--name', 'X', '--publications', 'gsn', '--sections', 'Security'], 2,
      "broadsheet: partner add: 'Security' is not a section slug"],
    [['partner', 'add', 'x', '--name', 'X', '--publications', 'gsn', '--content', 'teaser'], 2,
      "broadsheet: partner add: --content is full or preview, not 'teaser'"],
    [['partner', 'key', 'rotate', 'BAD'], 2, "broadsheet: partner key rotate: 'BAD' is not a valid partner slug"],
    [['partner', 'remove', 'nobody'], 1, 'broadsheet: no partner nobody (see `broadsheet partner list`)'],
    [['partner', 'remove'], 2, null],
  ];
  for (const [args, status, message] of cases) {
    const r = cli(db, args, status);
    if (message) assert.equal(errorLine(r), message, args.join(' '));
    if (status === 2) assert.match(r.stderr, /^usage: broadsheet partner /m, args.join(' '));
    assert.ok(!ANY_KEY.test(r.stdout + r.stderr), `a key printed by a refused command: ${args.join(' ')}`);
    assert.equal(partnerTables(db), tables, `changed by: ${args.join(' ')}`);
  }
});

test('the demo makes partner nti (GSN, in full) and prints its key, a new one at every start', async () => {
  const { db, init } = initDemoDb();
  const line = /^broadsheet: demo partner nti: API key (bsk_[A-Za-z0-9_-]{43}) \(FOR THE DEMO ONLY/m;
  const first = line.exec(init.stderr);
  assert.ok(first, `no demo key line in:\n${init.stderr}`);
  assert.ok(!init.stdout.includes(first[1]));
  assert.equal(sql(db, "SELECT name, content, key_hash FROM partners WHERE slug = 'nti'"),
    `Nuclear Threat Initiative|full|${blake2b256(first[1])}`);
  assert.equal(sql(db, "SELECT pub.slug FROM partner_publications x JOIN partners p ON p.id = " +
    "x.partner_id JOIN publications pub ON pub.id = x.publication_id WHERE p.slug = 'nti'"), 'gsn');
  assert.equal(sql(db, 'SELECT count(*) FROM partner_sections'), '0');
  const list = cli(db, ['partner', 'list']);
  assert.match(list.stdout, /^nti +full +bsk_\S{4}… +\S+ Nuclear Threat Initiative: publications gsn; every section$/m);

  // serve --demo on the same database: a new key, printed once, the old one's hash gone.
  const server = await startServer({ db });
  try {
    const second = line.exec(server.stderr());
    assert.ok(second, `no demo key line in:\n${server.stderr()}`);
    assert.notEqual(second[1], first[1]);
    assert.equal(server.stderr().split(second[1]).length - 1, 1);
    assert.equal(sql(db, "SELECT key_hash FROM partners WHERE slug = 'nti'"), blake2b256(second[1]));
    assert.equal(sql(db, 'SELECT count(*) FROM partners'), '1');
  } finally {
    await server.stop();
  }
});

test('a database that is not a demo gets no demo partner', () => {
  const db = newDatabase();
  const r = runCli(['init', '--db', db]);
  assert.equal(r.status, 0, show(r));
  assert.ok(!/demo partner/.test(r.stderr));
  assert.equal(sql(db, 'SELECT count(*) FROM partners'), '0');
});
