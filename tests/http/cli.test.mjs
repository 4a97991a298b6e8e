// The command line: help, argument errors, init, article import and list, and a running
// server noticing an import made by the CLI.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runCli, startServer, tmpDir, demoDir } from '../lib/server.mjs';
import { REFERENCE, decodeEntities, textOf, get, poll } from '../lib/util.mjs';

let dir;
before(() => { dir = tmpDir('broadsheet-cli-'); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function show(r) {
  return `exit ${r.status} (signal ${r.signal}, timed out ${r.timedOut})\n--- stdout ---\n${r.stdout}` +
    `\n--- stderr ---\n${r.stderr}`;
}

function articleFile(name, { headline, slug, extra = '', body = 'body paragraph',
  published = '2014-06-14T09:00:00Z' }) {
  const file = path.join(dir, name);
  writeFileSync(file, '---\n' +
    `headline: ${headline}\n` +
    'dek: A test article imported by the CLI test.\n' +
    extra +
    'publication: gsn\n' +
    'section: security\n' +
    'byline: Test Desk\n' +
    `published: ${published}\n` +
    'access: free\n' +
    (slug ? `slug: ${slug}\n` : '') +
    '---\n' +
    `${body}\n`);
  return file;
}

function initDemoDb(name) {
  const db = path.join(dir, name);
  const r = runCli(['init', '--db', db, '--demo', '--demo-without-staff', '--demo-dir', demoDir]);
  assert.equal(r.status, 0, `init --demo: ${show(r)}`);
  return db;
}

test('--help lists the commands', () => {
  const r = runCli(['--help']);
  assert.equal(r.status, 0, show(r));
  for (const word of ['serve', 'init', 'article import', 'article list']) {
    assert.ok(r.stdout.includes(word), `--help does not mention "${word}":\n${r.stdout}`);
  }
});

test('an unknown option is exit 2 with one error line and the usage', () => {
  const r = runCli(['serve', '--bogus']);
  assert.equal(r.status, 2, show(r));
  const lines = r.stderr.split('\n').filter((l) => l.includes('--bogus'));
  assert.equal(lines.length, 1, `expected one error line naming --bogus:\n${r.stderr}`);
  assert.match(r.stderr, /usage/i, `no usage in stderr:\n${r.stderr}`);
});

test('a bad --port is exit 2', () => {
  const r = runCli(['serve', '--port', 'notaport'], { timeout: 10_000 });
  assert.equal(r.status, 2, show(r));
  assert.ok(r.stderr.trim().length > 0, 'no error message');
});

test('an unknown command is exit 2', () => {
  const r = runCli(['nosuchcommand']);
  assert.equal(r.status, 2, show(r));
  assert.ok(r.stderr.trim().length > 0, 'no error message');
});

test('init creates the database file', () => {
  const db = path.join(dir, 'x.db');
  const r = runCli(['init', '--db', db]);
  assert.equal(r.status, 0, show(r));
  assert.ok(existsSync(db), `${db} was not created`);
});

test('article import adds an article that article list shows', () => {
  const db = initDemoDb('import.db');
  const before = runCli(['article', 'list', '--db', db]);
  assert.equal(before.status, 0, show(before));
  assert.ok(before.stdout.includes(REFERENCE.headline), `demo article not listed:\n${before.stdout}`);

  const headline = 'CLI Import Test: Officials Confirm the Importer Works';
  const file = articleFile('good.md', { headline });
  const r = runCli(['article', 'import', '--db', db, file]);
  assert.equal(r.status, 0, show(r));
  const list = runCli(['article', 'list', '--db', db]);
  assert.equal(list.status, 0, show(list));
  assert.ok(list.stdout.includes(headline), `imported article not listed:\n${list.stdout}`);
  assert.ok(list.stdout.includes(REFERENCE.headline), 'the demo article disappeared');
});

test('a bad file fails the whole import, naming file and line', () => {
  const db = initDemoDb('atomic.db');
  const first = articleFile('first.md', { headline: 'Atomic Import First Article' });
  const second = articleFile('second.md', { headline: 'Atomic Import Second Article',
    extra: 'colour: blue\n' }); // line 4: an unknown key
  const r = runCli(['article', 'import', '--db', db, first, second]);
  assert.notEqual(r.status, 0, `import with a bad file succeeded: ${show(r)}`);
  assert.ok(r.status !== null, show(r));
  assert.ok(r.stderr.includes(`${second}:4:`), `stderr does not point at ${second}:4:\n${r.stderr}`);
  const list = runCli(['article', 'list', '--db', db]);
  assert.equal(list.status, 0, show(list));
  assert.ok(!list.stdout.includes('Atomic Import First Article'),
    `the good file of a failed import was imported:\n${list.stdout}`);
  assert.ok(!list.stdout.includes('Atomic Import Second Article'), list.stdout);
});

test('a running server shows an article imported by the CLI, and its changes', { timeout: 60_000 }, async () => {
  const srv = await startServer();
  try {
    const slug = 'cli-invalidation-test-story';
    const headline = 'Invalidation Test: New Story Reaches the Front Page';
    // Now, so that it is the newest story whatever else the demo newsroom holds.
    const published = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const r = runCli(['article', 'import', '--db', srv.db,
      articleFile('live.md', { headline, slug, published })]);
    assert.equal(r.status, 0, show(r));

    let seen = ''; // what the last poll saw, for the failure's message
    const onHome = await poll(async () => {
      const res = await get(`${srv.url}/`);
      const text = decodeEntities(await res.text());
      seen = `${res.status} ${res.headers.get('etag')}: ${textOf(text).slice(0, 600)}`;
      return text.includes(headline);
    }, { ms: 5000, every: 100 });
    assert.ok(onHome, `the imported headline did not appear on GET / within 5 s; last seen ${seen}\n` +
      `${srv.stderr?.() ?? ''}`);

    const page = await get(`${srv.url}/articles/${slug}`);
    const html = await page.text();
    assert.equal(page.status, 200, `/articles/${slug}`);
    assert.ok(textOf(html).includes(headline));

    const changed = 'Invalidation Test: Story Headline Rewritten';
    const r2 = runCli(['article', 'import', '--db', srv.db,
      articleFile('live2.md', { headline: changed, slug, published,
        body: 'a rewritten body paragraph' })]);
    assert.equal(r2.status, 0, show(r2));
    const updated = await poll(async () => {
      const res = await get(`${srv.url}/articles/${slug}`);
      const text = textOf(await res.text());
      seen = `${res.status} ${res.headers.get('etag')}: ${text.slice(0, 2000)}`;
      return res.status === 200 && text.includes(changed) && text.includes('a rewritten body paragraph') &&
        !text.includes(headline);
    }, { ms: 15_000, every: 100 });
    // 15 s: once, on PostgreSQL in a loaded `make test`, 5 s were not enough (a tick follows
    // a change within about a second: cache.test.mjs checks that on an idle server).
    assert.ok(updated, `/articles/${slug} did not change to the re-imported version within 15 s; last seen ${seen}`);
  } finally {
    await srv.stop();
  }
});

test('article list pages with --limit and the printed --before, with the true total', () => {
  const db = initDemoDb('paging.db');
  const slugsOf = (out) => out.split('\n').map((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d\s+\S+\s+\S+\s+\S+\s+(\S+)$/.exec(l)?.[1])
    .filter(Boolean);
  const all = runCli(['article', 'list', '--db', db]);
  assert.equal(all.status, 0, show(all));
  const total = Number(/^(\d+) articles$/m.exec(all.stdout)?.[1]);
  const everything = slugsOf(all.stdout);
  assert.ok(total > 5 && everything.length === total, all.stdout);
  assert.ok(!/next page/.test(all.stdout), all.stdout);

  // Follow the "next page:" lines to the end: every article once, in the same order.
  const paged = [];
  let args = ['article', 'list', '--limit', '5'];
  for (let page = 0; args && page < 10; page++) {
    const r = runCli([...args, '--db', db]);
    assert.equal(r.status, 0, show(r));
    const slugs = slugsOf(r.stdout);
    assert.ok(slugs.length <= 5, r.stdout);
    assert.match(r.stdout, new RegExp(`^${slugs.length} of ${total} articles shown`, 'm'), r.stdout);
    paged.push(...slugs);
    const next = /^next page: broadsheet (.*)$/m.exec(r.stdout);
    args = next ? next[1].split(' ') : null;
  }
  assert.deepEqual(paged, everything);

  for (const bad of [['--limit', '0'], ['--limit', '10001'], ['--limit', 'ten'], ['--before', 'yesterday'],
    ['--before', '1402509600'], ['--before', '1402509600:x']]) {
    const r = runCli(['article', 'list', ...bad, '--db', db]);
    assert.equal(r.status, 2, `${bad.join(' ')}: ${show(r)}`);
    assert.match(r.stderr, /^broadsheet: article list: /, show(r));
  }
});
