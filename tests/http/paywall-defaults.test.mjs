// Default access levels per publication and per section (issue 4, access rule 1: "Publications
// and sections can set the default"), through the CLI: `broadsheet publication|section access
// SLUG free|metered|subscribers|inherit` and `publication|section list`, run against a database
// made by `broadsheet init --demo`. A file imported without an `access:` line gets its section's
// default, else its publication's, else metered; a file's own line wins; a default is read at
// import, so changing it changes no article already imported until its file is imported again.
// Then the server serves such an article to an anonymous reader as a subscribers-only preview.
// Exit status 0 for work done, 1 for an unknown slug, 2 (with the usage) for a bad level.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, startServer, tmpDir, demoDir } from '../lib/server.mjs';
import { textOf, get } from '../lib/util.mjs';

const FIRST = 'The first paragraph of a story about default access levels is shown to everyone.';
const SECOND = 'The second paragraph is only for readers entitled to the whole story, never the rest.';

let dir;
before(() => { dir = tmpDir('broadsheet-paywall-defaults-'); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function show(r) {
  return `exit ${r.status} (signal ${r.signal}, timed out ${r.timedOut})\n--- stdout ---\n${r.stdout}` +
    `\n--- stderr ---\n${r.stderr}`;
}

let dbCount = 0;
function initDemoDb() {
  const db = path.join(dir, `defaults-${++dbCount}.db`);
  const r = runCli(['init', '--db', db, '--demo', '--demo-without-staff', '--demo-dir', demoDir]);
  assert.equal(r.status, 0, `init --demo: ${show(r)}`);
  return db;
}

// Runs `broadsheet ...args --db db` and checks its exit status.
function cli(db, args, status = 0) {
  const r = runCli([...args, '--db', db]);
  assert.equal(r.status, status, `broadsheet ${args.join(' ')}: ${show(r)}`);
  return r;
}

// A failure's message: one line on stderr starting "broadsheet: ".
function errorLine(r) {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('broadsheet: '));
  assert.equal(lines.length, 1, `expected one "broadsheet: ..." line on stderr:\n${r.stderr}`);
  return lines[0];
}

// Writes an article file (without an `access:` line unless `access` is given); returns its path.
function articleFile(slug, { section = 'security', publication = 'gsn', access } = {}) {
  const file = path.join(dir, `${slug}.md`);
  writeFileSync(file, '---\n' +
    `headline: Defaults Test ${slug}\n` +
    'dek: A story imported by the default access test.\n' +
    `publication: ${publication}\n` +
    `section: ${section}\n` +
    'published: 2014-06-14T09:00:00Z\n' +
    (access ? `access: ${access}\n` : '') +
    `slug: ${slug}\n` +
    '---\n' +
    `${FIRST}\n\n${SECOND}\n`);
  return file;
}

// The access level `article list` shows for slug ("" when it is not listed).
function listedAccess(db, slug) {
  const out = cli(db, ['article', 'list']).stdout;
  const line = out.split('\n').find((l) => l.trimEnd().endsWith(`  ${slug}`));
  assert.ok(line, `${slug} is not in article list:\n${out}`);
  return line.trim().split(/\s+/)[2]; // date, time, access, publication, section, slug
}

// The default access `publication list` or `section list` shows for slug.
function listedDefault(db, kind, slug) {
  const out = cli(db, [kind, 'list']).stdout;
  const line = out.split('\n').find((l) => l.startsWith(`${slug} `));
  assert.ok(line, `${slug} is not in ${kind} list:\n${out}`);
  return line.trim().split(/\s+/)[1];
}

test('publication list and section list show every slug, name and default access (inherit)', () => {
  const db = initDemoDb();
  const pubs = cli(db, ['publication', 'list']).stdout;
  assert.match(pubs, /^gsn\s+inherit\s+Global Security Newswire$/m, pubs);
  assert.match(pubs, /^national-journal\s+inherit\s+National Journal$/m, pubs);
  assert.match(pubs, /^2 publications$/m, pubs);
  const sections = cli(db, ['section', 'list']).stdout;
  assert.match(sections, /^security\s+inherit\s+Global Security$/m, sections);
  assert.match(sections, /^5 sections$/m, sections);
});

test('a section default of subscribers reaches a file imported without access:, and the server serves it to an anonymous reader as a subscribers preview', { timeout: 60_000 }, async () => {
  const db = initDemoDb();
  const set = cli(db, ['section', 'access', 'security', 'subscribers']);
  assert.match(set.stdout, /section security: default access subscribers/, show(set));
  assert.equal(listedDefault(db, 'section', 'security'), 'subscribers');

  cli(db, ['article', 'import', articleFile('defaults-secret'),
    articleFile('defaults-own-free', { access: 'free' })]);
  assert.equal(listedAccess(db, 'defaults-secret'), 'subscribers');
  assert.equal(listedAccess(db, 'defaults-own-free'), 'free', 'a file\'s own access: lost to the default');

  const srv = await startServer({ db, demo: false });
  try {
    const res = await get(`${srv.url}/articles/defaults-secret`);
    const html = await res.text();
    assert.equal(res.status, 200, html);
    const text = textOf(html);
    assert.ok(text.includes('This article is for subscribers.'),
      `no "This article is for subscribers." for an anonymous reader:\n${text}`);
    assert.ok(text.includes('Want access to this content? Learn More »'), text);
    assert.ok(text.includes(FIRST), 'the preview lacks the first paragraph');
    assert.ok(!html.includes(SECOND), 'the withheld paragraph is in the preview');

    const free = await get(`${srv.url}/articles/defaults-own-free`);
    const freeHtml = await free.text();
    assert.equal(free.status, 200, freeHtml);
    assert.ok(freeHtml.includes(SECOND), 'the free article is not served whole');
    assert.ok(!textOf(freeHtml).includes('Want access to this content?'), 'a free article has the prompt');
  } finally {
    await srv.stop();
  }
});

test('the section default wins over the publication\'s, the publication\'s applies where the section inherits, inherit falls through to metered; a change applies at the next import', () => {
  const db = initDemoDb();
  cli(db, ['publication', 'access', 'gsn', 'subscribers']);
  cli(db, ['section', 'access', 'energy', 'free']);
  assert.equal(listedDefault(db, 'publication', 'gsn'), 'subscribers');
  const inEnergy = articleFile('defaults-energy', { section: 'energy' });
  const inSecurity = articleFile('defaults-security');
  const inNj = articleFile('defaults-nj', { publication: 'national-journal', section: 'politics' });
  cli(db, ['article', 'import', inEnergy, inSecurity, inNj]);
  assert.equal(listedAccess(db, 'defaults-energy'), 'free');
  assert.equal(listedAccess(db, 'defaults-security'), 'subscribers');
  assert.equal(listedAccess(db, 'defaults-nj'), 'metered');

  // Back to inherit: nothing imported changes until it is imported again.
  const r = cli(db, ['publication', 'access', 'gsn', 'inherit']);
  assert.match(r.stdout, /publication gsn: default access inherit/, show(r));
  assert.equal(listedDefault(db, 'publication', 'gsn'), 'inherit');
  assert.equal(listedAccess(db, 'defaults-security'), 'subscribers');
  cli(db, ['article', 'import', inSecurity]);
  assert.equal(listedAccess(db, 'defaults-security'), 'metered');
});

test('a bad level is exit 2 with the usage, an unknown slug exit 1; neither changes anything', () => {
  const db = initDemoDb();
  for (const kind of ['publication', 'section']) {
    const slug = kind === 'publication' ? 'gsn' : 'security';
    for (const level of ['premium', 'Free', '']) {
      const r = cli(db, [kind, 'access', slug, level], 2);
      assert.match(errorLine(r), /access level/, show(r));
      assert.match(r.stderr, /usage:/, show(r));
    }
    const missing = cli(db, [kind, 'access', slug], 2);
    assert.match(missing.stderr, /usage:/, show(missing));
    const r = cli(db, [kind, 'access', 'no-such-slug', 'free'], 1);
    assert.match(errorLine(r), new RegExp(`no ${kind} no-such-slug`), show(r));
    assert.equal(listedDefault(db, kind, slug), 'inherit');
  }
});

test('--help lists the new commands', () => {
  const r = runCli(['--help']);
  assert.equal(r.status, 0, show(r));
  for (const words of ['publication access SLUG free|metered|subscribers|inherit',
    'section access SLUG free|metered|subscribers|inherit', 'publication list', 'section list']) {
    assert.ok(r.stdout.includes(words), `--help does not mention "${words}"`);
  }
});
