// Archive-sized imports from the command line: a directory imported recursively (hidden names
// and other files left out), paths from --files-from - with a bad line named, one bad file
// among many importing nothing, --batch committing as it goes and saying which --skip resumes
// after a failure, --skip resuming there, no progress line when stderr is not a terminal, and
// the imported articles then served.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runCli, startServer, tmpDir, demoDir } from '../lib/server.mjs';
import { sql } from '../lib/accounts.mjs';
import { get, textOf } from '../lib/util.mjs';

let dir;
before(() => { dir = tmpDir('broadsheet-cli-import-'); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function show(r) {
  return `exit ${r.status} (signal ${r.signal}, timed out ${r.timedOut})\n--- stdout ---\n${r.stdout}` +
    `\n--- stderr ---\n${r.stderr}`;
}

// Writes an article file at dir/name (directories made as needed); returns its path.
function article(name, { headline, slug, section = 'security', body = 'An imported paragraph.' }) {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '---\n' +
    `headline: ${headline}\n` +
    'publication: gsn\n' +
    `section: ${section}\n` +
    'published: 2014-06-14T09:00:00Z\n' +
    'access: free\n' +
    `slug: ${slug}\n` +
    '---\n' +
    `${body}\n`);
  return file;
}

// A demo database at dir/name; returns its path.
function initDemoDb(name) {
  const db = path.join(dir, name);
  const r = runCli(['init', '--db', db, '--demo', '--demo-without-staff', '--demo-dir', demoDir]);
  assert.equal(r.status, 0, `init --demo: ${show(r)}`);
  return db;
}

// The slugs of the articles in db whose slug starts with prefix, sorted.
function slugs(db, prefix) {
  const out = sql(db, `SELECT slug FROM articles WHERE slug LIKE '${prefix}%' ORDER BY slug`);
  return out ? out.split('\n') : [];
}

test('a directory is imported recursively, and its articles are served', { timeout: 60_000 }, async () => {
  const db = initDemoDb('tree.db');
  const root = path.join(dir, 'tree');
  article('tree/2014/06/first.md', { headline: 'Tree Import: The First Story', slug: 'tree-first' });
  article('tree/2014/07/second.md', { headline: 'Tree Import: The Second Story', slug: 'tree-second' });
  article('tree/2015/third.md', { headline: 'Tree Import: The Third Story', slug: 'tree-third',
    body: 'The third **story** of the tree.' });
  article('tree/.drafts/hidden.md', { headline: 'Tree Import: A Hidden Draft', slug: 'tree-hidden' });
  writeFileSync(path.join(root, 'notes.txt'), 'not an article\n');

  const r = runCli(['article', 'import', '--db', db, root]);
  assert.equal(r.status, 0, show(r));
  assert.equal(r.stdout, 'imported 3 articles\n', show(r));
  assert.equal(r.stderr, '', `a progress line (or anything) on a stderr that is not a terminal:\n${r.stderr}`);
  assert.deepEqual(slugs(db, 'tree-'), ['tree-first', 'tree-second', 'tree-third']);

  const srv = await startServer({ db });
  try {
    for (const [slug, headline] of [['tree-first', 'Tree Import: The First Story'],
      ['tree-second', 'Tree Import: The Second Story'], ['tree-third', 'Tree Import: The Third Story']]) {
      const res = await get(`${srv.url}/articles/${slug}`);
      const html = await res.text();
      assert.equal(res.status, 200, `/articles/${slug}`);
      assert.ok(textOf(html).includes(headline), `/articles/${slug} does not show its headline`);
    }
    const third = await (await get(`${srv.url}/articles/tree-third`)).text();
    assert.ok(third.includes('<strong>story</strong>'), 'the body was not rendered from Markdown');
    const hidden = await get(`${srv.url}/articles/tree-hidden`);
    await hidden.text();
    assert.equal(hidden.status, 404, 'a file under a hidden directory was imported');
  } finally {
    await srv.stop();
  }
});

test('--files-from - reads the paths from standard input, and names a bad line', () => {
  const db = initDemoDb('stdin.db');
  const a = article('stdin/a.md', { headline: 'Stdin Import: Story A', slug: 'stdin-a' });
  const b = article('stdin/b.md', { headline: 'Stdin Import: Story B', slug: 'stdin-b' });

  const bad = runCli(['article', 'import', '--db', db, '--files-from', '-'],
    { input: `${a}\n${path.join(dir, 'stdin/nope.md')}\n${b}\n` });
  assert.equal(bad.status, 1, show(bad));
  assert.ok(bad.stderr.includes(`(standard input):2: ${path.join(dir, 'stdin/nope.md')}: cannot read`),
    `stderr does not name line 2 of standard input:\n${bad.stderr}`);
  assert.match(bad.stderr, /nothing was imported/);
  assert.deepEqual(slugs(db, 'stdin-'), []);

  const good = runCli(['article', 'import', '--db', db, '--files-from', '-'], { input: `${a}\n${b}\n` });
  assert.equal(good.status, 0, show(good));
  assert.equal(good.stdout, 'imported 2 articles\n');
  assert.deepEqual(slugs(db, 'stdin-'), ['stdin-a', 'stdin-b']);
});

test('one bad file among many imports nothing, naming the file and line', () => {
  const db = initDemoDb('atomic.db');
  for (let i = 0; i < 20; i++) {
    article(`atomic/${String(i).padStart(2, '0')}.md`, { headline: `Atomic Story ${i}`, slug: `atomic-${i}` });
  }
  const bad = article('atomic/15-bad.md', { headline: 'Atomic Bad Story', slug: 'atomic-bad',
    section: 'sports' }); // line 4: a section that does not exist
  const r = runCli(['article', 'import', '--db', db, path.join(dir, 'atomic')]);
  assert.equal(r.status, 1, show(r));
  assert.ok(r.stderr.includes(`${bad}:4: unknown section 'sports'`), `stderr does not point at ${bad}:4:\n${r.stderr}`);
  assert.match(r.stderr, /nothing was imported/);
  assert.deepEqual(slugs(db, 'atomic-'), [], 'files of a failed import were written');
});

test('--batch commits as it goes and says where to resume; --skip resumes there', () => {
  const db = initDemoDb('batch.db');
  for (let i = 1; i <= 7; i++) {
    article(`batch/${i}.md`, { headline: `Batch Story ${i}`, slug: `batch-${i}` });
  }
  // The database refuses the fifth file: batches of two commit four files.
  sql(db, "CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.slug = 'batch-5' " +
    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  const r = runCli(['article', 'import', '--db', db, '--batch', '2', path.join(dir, 'batch')]);
  assert.equal(r.status, 1, show(r));
  assert.ok(r.stderr.includes(`${path.join(dir, 'batch/5.md')}: refused by the test`), show(r));
  assert.ok(r.stderr.includes('imported 4 files; resume with --skip 4'), show(r));
  assert.ok(!r.stderr.includes('nothing was imported'), show(r));
  assert.deepEqual(slugs(db, 'batch-'), ['batch-1', 'batch-2', 'batch-3', 'batch-4']);

  sql(db, 'DROP TRIGGER refuse');
  const resumed = runCli(['article', 'import', '--db', db, '--batch', '2', '--skip', '4',
    path.join(dir, 'batch')]);
  assert.equal(resumed.status, 0, show(resumed));
  assert.equal(resumed.stdout, 'imported 3 articles (after skipping the first 4 listed)\n');
  assert.deepEqual(slugs(db, 'batch-'), ['batch-1', 'batch-2', 'batch-3', 'batch-4', 'batch-5',
    'batch-6', 'batch-7']);

  const beyond = runCli(['article', 'import', '--db', db, '--skip', '7', path.join(dir, 'batch')]);
  assert.equal(beyond.status, 1, show(beyond));
  assert.match(beyond.stderr, /--skip 7 leaves nothing: 7 files are listed/);
});

test('article import usage errors are exit 2', () => {
  const db = path.join(dir, 'usage.db');
  for (const args of [[], ['--batch', '0', dir], ['--batch', 'ten', dir], ['--skip', '-1', dir]]) {
    const r = runCli(['article', 'import', '--db', db, ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${show(r)}`);
  }
});
