// The ninjs item (issue 13) as `broadsheet article ninjs SLUG [--preview]` prints it, for every
// demo article, in full and as the paywall's preview: each validates against the official
// ninjs 2.2 schema (tests/lib/ninjs.mjs); the preview carries the first paragraph and not a
// word of the withheld ones (paywall.mjs's detector: each paragraph's text and every run of
// seven of its words), the full item every paragraph; headlines with & < " and non-ASCII come
// out as they are; a publication's rights (the demo's for GSN, the defaults, a rights URL) are
// what the item carries; and bad input is refused with nothing changed. On the backend
// BROADSHEET_TEST_PG_DIR picks, like the rest of the suite.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runCli, tmpDir, freshDatabase, demoDir } from '../lib/server.mjs';
import { sql } from '../lib/accounts.mjs';
import { ARTICLES, PAYWALLED, leaks, withheld, paragraphsShown, articleId } from '../lib/paywall.mjs';
import { assertNinjs, validateNinjs } from '../lib/ninjs.mjs';

const SITE = 'https://news.example.com';
const NEWSROOM = JSON.parse(readFileSync(path.join(demoDir, 'newsroom.json'), 'utf8'));
const GSN = NEWSROOM.publications.find((p) => p.slug === 'gsn');
let dir;
let db;

before(() => {
  dir = tmpDir('broadsheet-ninjs-');
  db = freshDatabase(dir);
  const r = runCli(['init', '--db', db, '--demo', '--demo-without-staff'], { timeout: 120_000 });
  assert.equal(r.status, 0, `init --demo: ${r.stderr}`);
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

// The item of slug (preview or full), parsed; asserts the command succeeded.
function item(slug, { preview = false, site = SITE } = {}) {
  const r = runCli(['article', 'ninjs', slug, '--db', db, '--site_url', site,
    ...(preview ? ['--preview'] : [])]);
  assert.equal(r.status, 0, `article ninjs ${slug}: exit ${r.status}\n${r.stderr}`);
  return { json: JSON.parse(r.stdout), text: r.stdout };
}
const publicationOf = (slug) => sql(db,
  `SELECT p.slug FROM articles a JOIN publications p ON p.id = a.publication_id WHERE a.slug = '${slug}'`);
const quote = (s) => `'${s.replaceAll("'", "''")}'`;

test('every demo article, full and preview, is a valid ninjs 2.2 item with our fields', { timeout: 120_000 }, () => {
  assert.ok(ARTICLES.length >= 10, `only ${ARTICLES.length} demo articles`);
  for (const a of ARTICLES) {
    const id = articleId(db, a.slug);
    const version = sql(db, `SELECT version FROM articles WHERE id = ${id}`);
    for (const preview of [false, true]) {
      const what = `${a.slug}${preview ? ' (preview)' : ''}`;
      const { json } = item(a.slug, { preview });
      assertNinjs(json, what);
      assert.equal(json.uri, `${SITE}/articles/${id}`, `${what}: uri`);
      assert.equal(json.type, 'text');
      assert.equal(json.version, version, `${what}: version`);
      assert.equal(json.pubstatus, 'usable');
      assert.equal(json.language, 'en');
      assert.deepEqual(json.headlines[0], { role: 'main', value: a.headline }, `${what}: headline`);
      if (a.dek) assert.deepEqual(json.headlines[1], { role: 'sub', value: a.dek }, `${what}: dek`);
      assert.deepEqual(json.altids, [{ role: 'slug', value: a.slug }]);
      for (const k of ['firstcreated', 'versioncreated', 'contentcreated']) {
        assert.match(json[k], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `${what}: ${k}`);
      }
      assert.equal(json.embargoed, undefined);
      const [body, ...more] = json.bodies;
      assert.equal(more.length, 0);
      assert.equal(body.contenttype, 'text/html');
      assert.equal(body.role, preview ? 'preview' : 'main');
      assert.ok(body.wordcount > 0 && body.charcount > body.wordcount, `${what}: counts ${body.wordcount}/${body.charcount}`);
      const section = json.subjects.find((s) => s.rel === 'section');
      assert.match(section.uri, new RegExp(`^${SITE}/sections/[a-z0-9-]+$`), `${what}: section uri`);
      for (const t of json.subjects.filter((s) => s.rel === 'tag')) {
        assert.match(t.uri, new RegExp(`^${SITE}/tags/[a-z0-9-]+$`), `${what}: tag uri`);
      }
      assert.ok(json.copyrightholder && json.copyrightnotice, `${what}: rights`);
      if (publicationOf(a.slug) === 'gsn') {
        assert.equal(json.copyrightholder, GSN.copyright_holder, `${what}: GSN's holder`);
        assert.equal(json.copyrightnotice, GSN.copyright_notice);
        assert.equal(json.usageterms, GSN.usage_terms);
        assert.match(json.usageterms, /^This article was published in Global Security Newswire, which is produced independently by National Journal Group under contract with the Nuclear Threat Initiative\./);
      }
    }
  }
});

test('a preview carries the first paragraph and no word of the withheld ones; the full item every paragraph', { timeout: 120_000 }, () => {
  assert.ok(PAYWALLED.length > 0);
  for (const a of ARTICLES) {
    const full = item(a.slug);
    const preview = item(a.slug, { preview: true });
    // Positive control: the detector finds every withheld paragraph in the full item.
    assert.equal(leaks(full.text, a).length, withheld(a).length, `${a.slug}: full item misses paragraphs`);
    assert.deepEqual(leaks(preview.text, a), [], `${a.slug}: the preview leaks`);
    assert.deepEqual(paragraphsShown(preview.json.bodies[0].value, a), [0], `${a.slug}: preview paragraphs`);
    assert.ok(preview.json.bodies[0].wordcount < full.json.bodies[0].wordcount || withheld(a).length === 0);
  }
});

test('headlines with & < " and non-ASCII come out as they are, in valid JSON and ninjs', { timeout: 30_000 }, () => {
  const a = ARTICLES[0];
  const headline = 'Fish & Chips <b>"Dé" ☢ — 日本 \\ end';
  const dek = 'A <dek> & more’s';
  sql(db, `UPDATE articles SET headline = ${quote(headline)}, dek = ${quote(dek)} WHERE slug = '${a.slug}'`);
  try {
    const { json, text } = item(a.slug);
    assertNinjs(json, 'odd headline');
    assert.equal(json.headlines[0].value, headline);
    assert.equal(json.headlines[1].value, dek);
    assert.ok(text.includes('"Fish & Chips <b>\\"Dé\\" ☢ — 日本 \\\\ end"'), 'JSON escapes only what JSON needs');
  } finally {
    sql(db, `UPDATE articles SET headline = ${quote(a.headline)}, dek = ${quote(a.dek ?? '')} WHERE slug = '${a.slug}'`);
  }
});

test('publication rights: the defaults, a rights URL as rightsinfo.linkedrights, and bad input refused with nothing changed', { timeout: 60_000 }, () => {
  const nj = ARTICLES.find((a) => publicationOf(a.slug) === 'national-journal');
  assert.ok(nj, 'a national-journal article');
  const before = item(nj.slug).json;
  assert.equal(before.rightsinfo, undefined);
  assert.equal(before.usageterms, undefined, 'the host publication has no contract terms');
  const year = before.contentcreated.slice(0, 4);
  assert.equal(before.copyrightnotice, `© ${year} ${before.copyrightholder}`);

  const shown = runCli(['publication', 'rights', 'gsn', '--db', db]);
  assert.equal(shown.status, 0, shown.stderr);
  assert.ok(shown.stdout.includes(`holder  ${GSN.copyright_holder}`), shown.stdout);
  assert.ok(shown.stdout.includes('url     (not set; items carry none)'), shown.stdout);

  const set = runCli(['publication', 'rights', 'national-journal', '--db', db,
    '--url', 'https://example.com/rights?x=1', '--holder', 'NJ & Co', '--terms', 'Line one.\nLine two.']);
  assert.equal(set.status, 0, set.stderr);
  const after = item(nj.slug).json;
  assertNinjs(after, 'with rights');
  assert.deepEqual(after.rightsinfo, { linkedrights: 'https://example.com/rights?x=1' });
  assert.equal(after.copyrightholder, 'NJ & Co');
  assert.equal(after.copyrightnotice, `© ${year} NJ & Co`);
  assert.equal(after.usageterms, 'Line one.\nLine two.');

  const stored = () => sql(db, "SELECT copyright_holder || '|' || copyright_notice || '|' || usage_terms || '|' || rights_url FROM publications WHERE slug = 'national-journal'");
  const was = stored();
  for (const [args, why] of [
    [['--url', 'javascript:alert(1)'], /https:\/\/ or http:\/\//],
    [['--url', 'https://exa mple.com/'], /without spaces/],
    [['--holder', 'x'.repeat(201)], /too long/],
    [['--holder', 'ok', '--notice', 'a\u0001b'], /control character/],
  ]) {
    const r = runCli(['publication', 'rights', 'national-journal', '--db', db, ...args]);
    assert.equal(r.status, 2, `${args}: exit ${r.status}`);
    assert.match(r.stderr, why);
    assert.equal(stored(), was, `${args} changed the rights`);
  }
  const none = runCli(['publication', 'rights', 'no-such', '--db', db]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no publication no-such/);

  // Unset again (an empty value): the defaults come back.
  const unset = runCli(['publication', 'rights', 'national-journal', '--db', db,
    '--url', '', '--holder', '', '--terms', '']);
  assert.equal(unset.status, 0, unset.stderr);
  assert.deepEqual(item(nj.slug).json, before);
});

test('article ninjs serves published articles only, by slug; the uri keeps the id when the slug changes', { timeout: 30_000 }, () => {
  const a = ARTICLES[1];
  const id = articleId(db, a.slug);
  const r = runCli(['article', 'ninjs', 'no-such-article', '--db', db]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no published article no-such-article/);
  sql(db, `UPDATE articles SET state = 'unpublished' WHERE id = ${id}`);
  try {
    const hidden = runCli(['article', 'ninjs', a.slug, '--db', db]);
    assert.equal(hidden.status, 1, 'an unpublished article is not served');
    assert.equal(hidden.stdout, '');
  } finally {
    sql(db, `UPDATE articles SET state = 'published' WHERE id = ${id}`);
  }
  sql(db, `UPDATE articles SET slug = 'renamed-for-ninjs' WHERE id = ${id}`);
  try {
    const { json } = item('renamed-for-ninjs');
    assert.equal(json.uri, `${SITE}/articles/${id}`);
    assert.deepEqual(json.altids, [{ role: 'slug', value: 'renamed-for-ninjs' }]);
  } finally {
    sql(db, `UPDATE articles SET slug = '${a.slug}' WHERE id = ${id}`);
  }
  // site_url with a trailing slash gives the same URIs; validateNinjs refuses a relative one.
  assert.equal(item(a.slug, { site: `${SITE}/` }).json.uri, `${SITE}/articles/${id}`);
  assert.equal(validateNinjs({ ...item(a.slug).json, uri: `/articles/${id}` }).valid, false);
});
