// The newsroom's revisions, previews and corrections (page_newsroom_history.c), and what readers
// see of them: the revisions list, the word diff, restore as a new version (and refused, with
// "Changed by NAME at TIME since you opened it", for a version the person did not see), who may
// do what (writer, editor, admin: 403 and nothing changed otherwise), the preview in full, as
// the paywall's, of a revision and of an autosave (private, no-store, noindex, the site's CSP,
// and no script of a draft's ever in it), corrections under the article with "Updated" and in
// the JSON-LD, and old slugs answering 301 (404 while their article is not published).
//
// Articles come from `broadsheet article import`, then SQL sets their state, writer and
// versions; revisions are inserted as store_revision_snapshot inserts them (the editor, which
// saves through it, is another part of the newsroom).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HtmlValidate, FileSystemConfigLoader } from 'html-validate';
import { repoRoot, runCli } from '../lib/server.mjs';
import { startQuietServer, Client, sql, addUser, csrfIn } from '../lib/accounts.mjs';
import { textOf, decodeEntities, poll } from '../lib/util.mjs';

const PASSWORD = 'newsroom-history-2014';
const WRITER = { email: 'wri@example.test', name: 'Wri Ter', role: 'writer' };
const WRITER2 = { email: 'other@example.test', name: 'Other Writer', role: 'writer' };
const EDITOR = { email: 'ed@example.test', name: 'Ed Itor', role: 'editor' };
const ADMIN = { email: 'ad@example.test', name: 'Ad Min', role: 'admin' };
const READER = { email: 'rea@example.test', name: 'Rea Der', role: 'reader' };
const CONFIG = path.join(repoRoot, 'tests', '.htmlvalidate.mjs');

let srv;
let dir;
const clients = {};

// Eight paragraphs, each with a marker, so a test can tell which ones a page shows.
const paragraphs = (tag) => Array.from({ length: 8 }, (_, i) =>
  `Paragraph ${i + 1} of ${tag} says the senate vote was close.`).join('\n\n');

function importArticle(slug, { headline, access = 'metered', body = paragraphs(slug) }) {
  const file = path.join(dir, `${slug}.md`);
  writeFileSync(file, `---\nheadline: ${headline}\ndek: The dek of ${slug}.\npublication: gsn\n` +
    `section: security\nbyline: Staff\npublished: 2014-06-13T14:30:00Z\naccess: ${access}\n` +
    `slug: ${slug}\n---\n${body}\n`);
  const r = runCli(['article', 'import', file, '--db', srv.db]);
  assert.equal(r.status, 0, r.stderr);
  return Number(sql(srv.db, `SELECT id FROM articles WHERE slug = '${slug}'`));
}

const userId = (who) => `(SELECT id FROM users WHERE email = '${who.email}')`;
const q = (s) => `'${s.replace(/'/g, "''")}'`;

// The article as a revision of its current version, as store_revision_snapshot records it.
function snapshot(id, who, at) {
  sql(srv.db, 'INSERT INTO article_revisions (article_id, version, user_id, created_at, state, ' +
    'slug, publication_id, section_id, access, headline, dek, byline, author_ids, tag_ids, ' +
    'seo_title, seo_description, editor_note, body_markdown) SELECT a.id, a.version, ' +
    `${who ? userId(who) : 'NULL'}, ${at}, a.state, a.slug, a.publication_id, a.section_id, ` +
    "a.access, a.headline, a.dek, a.byline, '', '', a.seo_title, a.seo_description, " +
    `a.editor_note, a.body_markdown FROM articles a WHERE a.id = ${id}`);
}

// A save as the editor makes one: new text, version + 1, who and when, then its revision.
function save(id, who, at, { headline, body, access }) {
  const sets = [`version = version + 1`, `updated_at = ${at}`, `updated_by = ${userId(who)}`];
  if (headline) sets.push(`headline = ${q(headline)}`);
  if (body) sets.push(`body_markdown = ${q(body)}`, `body_html = ${q(`<p>${body}</p>`)}`);
  if (access) sets.push(`access = ${q(access)}`);
  sql(srv.db, `UPDATE articles SET ${sets.join(', ')} WHERE id = ${id}`);
  snapshot(id, who, at);
}

const version = (id) => Number(sql(srv.db, `SELECT version FROM articles WHERE id = ${id}`));
const revisions = (id) => Number(sql(srv.db, `SELECT count(*) FROM article_revisions WHERE article_id = ${id}`));
const headlineOf = (id) => sql(srv.db, `SELECT headline FROM articles WHERE id = ${id}`);

let draft; // the writer's draft, three revisions
let others; // the second writer's draft
let pub; // published, imported

before(async () => {
  srv = await startQuietServer();
  dir = mkdtempSync(path.join(tmpdir(), 'broadsheet-history-'));
  const staff = { writer: WRITER, writer2: WRITER2, editor: EDITOR, admin: ADMIN, reader: READER };
  for (const [key, who] of Object.entries(staff)) {
    addUser(srv.db, who.email, PASSWORD, { role: who.role, name: who.name });
    clients[key] = new Client(srv.url);
    await clients[key].signIn(who.email, PASSWORD);
  }

  draft = importArticle('history-draft', { headline: 'The first headline' });
  sql(srv.db, `UPDATE articles SET state = 'draft', published_at = 0, created_by = ${userId(WRITER)} WHERE id = ${draft}`);
  snapshot(draft, WRITER, 1700000000);
  save(draft, WRITER, 1700000100, { headline: 'The second headline',
    body: 'The senate vote was close on Friday.\n\nA <b>bold</b> claim & more.' });
  save(draft, WRITER, 1700000200, { headline: 'The third headline',
    body: 'The senate vote was narrow on Friday.\n\nA <b>bold</b> claim & more.', access: 'free' });

  others = importArticle('history-others', { headline: 'Another writer draft' });
  sql(srv.db, `UPDATE articles SET state = 'draft', published_at = 0, created_by = ${userId(WRITER2)} WHERE id = ${others}`);
  snapshot(others, WRITER2, 1700000000);

  pub = importArticle('history-published', { headline: 'Published story' });
  sql(srv.db, `UPDATE articles SET created_by = ${userId(WRITER)} WHERE id = ${pub}`);
  snapshot(pub, null, 1402669800);
});

after(async () => {
  await srv?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const base = (id) => `/newsroom/articles/${id}`;

function assertPrivate(r, what) {
  assert.equal(r.headers.get('cache-control'), 'private, no-store', `${what}: Cache-Control`);
  assert.equal(r.headers.get('x-robots-tag'), 'noindex', `${what}: X-Robots-Tag`);
}

test('revisions: the writer lists their draft\'s revisions, newest first, with who, when and state', async () => {
  const r = await clients.writer.get(`${base(draft)}/revisions`);
  assert.equal(r.status, 200, textOf(r.body).slice(0, 400));
  assertPrivate(r, 'revisions');
  const rows = [...r.body.matchAll(/<tr>\s*<td>(\d+)( \(current\))?<\/td>\s*<td>([^<]*)<\/td>\s*<td>([^<]*)<\/td>\s*<td>([^<]*)<\/td>/g)];
  assert.deepEqual(rows.map((m) => Number(m[1])), [3, 2, 1]);
  assert.equal(rows[0][2], ' (current)');
  assert.equal(rows[0][3], 'Wri Ter');
  assert.match(rows[0][4], /^November 14, 2023, 22:16 UTC$/);
  assert.equal(rows[0][5], 'draft');
  assert.match(r.body, /The third headline/);
});

test('revisions paging: "Older revisions" only when there are more than a page (50); "Changes" only where the previous version is stored', async () => {
  const id = importArticle('history-long', { headline: 'Long history' });
  sql(srv.db, `UPDATE articles SET version = 5, created_by = ${userId(WRITER)} WHERE id = ${id}`);
  snapshot(id, null, 1700000000); // its history starts at version 5, as an imported one's does
  for (let i = 1; i < 50; i++) save(id, EDITOR, 1700000000 + i, { headline: `Long history ${i}` });
  assert.equal(revisions(id), 50);
  const versionsOn = (html) => [...html.matchAll(/<tr>\s*<td>(\d+)/g)].map((m) => Number(m[1]));
  const page = await clients.editor.get(`${base(id)}/revisions`);
  assert.equal(page.status, 200);
  assert.equal(versionsOn(page.body).length, 50);
  assert.ok(!page.body.includes('Older revisions'), 'exactly a page offered an empty older page');
  // version 5 has nothing before it to compare with; version 6 has
  assert.ok(!page.body.includes(`diff?from=4&amp;to=5`), 'a Changes link to a version never stored');
  assert.ok(page.body.includes(`diff?from=5&amp;to=6`));
  save(id, EDITOR, 1700000100, { headline: 'Long history 50' });
  const first = await clients.editor.get(`${base(id)}/revisions`);
  assert.deepEqual(versionsOn(first.body), Array.from({ length: 50 }, (_, i) => 55 - i));
  const older = /href="([^"]*before=[^"]*)">Older revisions/.exec(first.body);
  assert.ok(older, 'no Older revisions link with 51 revisions');
  // the last row shown (version 6) still links its Changes: its previous version is on the next page
  assert.ok(first.body.includes(`diff?from=5&amp;to=6`));
  const next = await clients.editor.get(decodeEntities(older[1]));
  assert.deepEqual(versionsOn(next.body), [5]);
  assert.ok(!next.body.includes('Older revisions'));
});

test('diff: a word diff of headline and body between any two versions, every token escaped, and other fields before/after', async () => {
  const r = await clients.writer.get(`${base(draft)}/revisions/diff?from=2&to=3`);
  assert.equal(r.status, 200, textOf(r.body).slice(0, 400));
  assertPrivate(r, 'diff');
  assert.match(r.body, /The <del>second<\/del><ins>third<\/ins> headline/);
  assert.match(r.body, /vote was <del>close<\/del><ins>narrow<\/ins> on Friday/);
  // The body's markup is text in the diff, never markup.
  assert.match(r.body, /A &lt;b&gt;bold&lt;\/b&gt; claim &amp; more\./);
  assert.ok(!r.body.includes('<b>bold</b>'));
  // Access changed from metered to free: shown before and after.
  assert.match(r.body, /<th scope="row">Access<\/th><td><del>metered<\/del><\/td><td><ins>free<\/ins><\/td>/);
  // Any two, either way round.
  const back = await clients.writer.get(`${base(draft)}/revisions/diff?from=3&to=1`);
  assert.equal(back.status, 200);
  assert.match(back.body, /The <del>third<\/del><ins>first<\/ins> headline/);
  assert.equal((await clients.writer.get(`${base(draft)}/revisions/diff?from=1&to=99`)).status, 404);
  assert.equal((await clients.writer.get(`${base(draft)}/revisions/diff?from=x&to=2`)).status, 400);
  assert.equal((await clients.writer.get('/newsroom/articles/999999/revisions')).status, 404);
});

test('restore: a writer restores version 1 of their draft as a new version; a stale form is refused with who changed it, and nothing changes', async () => {
  const page = await clients.writer.get(`${base(draft)}/revisions`);
  const token = csrfIn(page.body);
  const before = version(draft);
  assert.equal(before, 3);
  const r = await clients.writer.post(`${base(draft)}/revisions/1/restore`, { version: String(before) }, { csrf: token });
  assert.equal(r.status, 303, textOf(r.body).slice(0, 400));
  assert.equal(r.location, `${base(draft)}/revisions?restored=4`);
  assert.equal(version(draft), 4);
  assert.equal(headlineOf(draft), 'The first headline');
  assert.equal(sql(srv.db, `SELECT access FROM articles WHERE id = ${draft}`), 'metered');
  // body_html re-rendered from the revision's Markdown (cmark).
  assert.match(sql(srv.db, `SELECT body_html FROM articles WHERE id = ${draft}`), /^<p>Paragraph 1 of history-draft/);
  assert.equal(sql(srv.db, `SELECT state || '|' || headline FROM article_revisions WHERE article_id = ${draft} AND version = 4`), 'draft|The first headline');
  assert.equal(sql(srv.db, `SELECT user_name || '|' || detail FROM audit_log WHERE action = 'article.restore' AND article_id = ${draft}`),
    'Wri Ter|restored version 1 as version 4');
  const shown = await clients.writer.get(r.location);
  assert.match(shown.body, /Restored: the article is now at version 4\./);

  // Someone else saves; the writer's page (version 4) is now stale.
  save(draft, EDITOR, 1700000900, { headline: 'An editor changed it' });
  const stale = await clients.writer.post(`${base(draft)}/revisions/2/restore`, { version: '4' }, { csrf: token });
  assert.equal(stale.status, 409);
  assert.match(decodeEntities(stale.body), /Changed by Ed Itor at November 14, 2023, 22:28 UTC since you opened it\./);
  assert.equal(version(draft), 5);
  assert.equal(headlineOf(draft), 'An editor changed it');
  assert.equal(revisions(draft), 5);
  // Without the version seen: refused too.
  const missing = await clients.writer.post(`${base(draft)}/revisions/2/restore`, {}, { csrf: token });
  assert.equal(missing.status, 400);
  assert.equal(version(draft), 5);
  // A revision that does not exist.
  assert.equal((await clients.writer.post(`${base(draft)}/revisions/77/restore`, { version: '5' }, { csrf: token })).status, 404);
  // Without the CSRF token: refused by the route table's policy, nothing changed.
  const forged = await clients.writer.post(`${base(draft)}/revisions/2/restore`, { version: '5' }, { csrf: false });
  assert.equal(forged.status, 403);
  assert.equal(version(draft), 5);
});

test('permissions: a writer sees only their own articles, restores only their own draft or review; editors and admins any; readers none (403, nothing changed)', async () => {
  const token = (c) => c.csrf('/account');
  const othersBefore = version(others);
  // The second writer, on the first writer's draft: every page and action 403.
  for (const p of ['revisions', 'revisions/diff?from=1&to=2', 'preview', 'preview?revision=1']) {
    const r = await clients.writer2.get(`${base(draft)}/${p}`);
    assert.equal(r.status, 403, `writer2 GET ${p}`);
  }
  const v = version(draft);
  let r = await clients.writer2.post(`${base(draft)}/revisions/1/restore`, { version: String(v) }, { csrf: await token(clients.writer2) });
  assert.equal(r.status, 403);
  assert.equal(version(draft), v);
  // The first writer on the published article they wrote: may look, may not restore.
  assert.equal((await clients.writer.get(`${base(pub)}/revisions`)).status, 200);
  const page = await clients.writer.get(`${base(pub)}/revisions`);
  assert.ok(!page.body.includes('Restore this version'), 'a writer is offered restore on a published article');
  const pubVersion = version(pub);
  r = await clients.writer.post(`${base(pub)}/revisions/1/restore`, { version: String(pubVersion) }, { csrf: await token(clients.writer) });
  assert.equal(r.status, 403);
  assert.equal(version(pub), pubVersion);
  // Corrections are an editor's: the route refuses a writer.
  r = await clients.writer.post(`${base(pub)}/corrections`, { text: 'A writer may not.' }, { csrf: await token(clients.writer) });
  assert.equal(r.status, 403);
  assert.equal(sql(srv.db, `SELECT count(*) FROM article_corrections WHERE article_id = ${pub}`), '0');
  assert.equal((await clients.writer.get(`${base(pub)}/corrections`)).status, 403);
  // A reader account: 403 everywhere; nobody signed in: sent to log in.
  for (const p of ['revisions', 'preview', 'revisions/diff?from=1&to=2']) {
    assert.equal((await clients.reader.get(`${base(draft)}/${p}`)).status, 403, `reader GET ${p}`);
    const anon = await new Client(srv.url).get(`${base(draft)}/${p}`);
    assert.equal(anon.status, 303, `anonymous GET ${p}`);
    assert.match(anon.location, /^\/login\?next=/);
  }
  r = await clients.reader.post(`${base(others)}/revisions/1/restore`, { version: String(othersBefore) }, { csrf: await token(clients.reader) });
  assert.equal(r.status, 403);
  assert.equal(version(others), othersBefore);

  // The editor and the admin: anyone's draft.
  for (const who of ['editor', 'admin']) {
    assert.equal((await clients[who].get(`${base(others)}/revisions`)).status, 200, `${who} revisions`);
    assert.equal((await clients[who].get(`${base(others)}/preview`)).status, 200, `${who} preview`);
  }
  const before = version(others);
  r = await clients.admin.post(`${base(others)}/revisions/1/restore`, { version: String(before) }, { csrf: await token(clients.admin) });
  assert.equal(r.status, 303);
  assert.equal(version(others), before + 1);
  // Corrections: an admin may; a form without its CSRF token is refused by the route's policy.
  const corrections = () => sql(srv.db, `SELECT count(*) FROM article_corrections WHERE article_id = ${pub}`);
  r = await clients.editor.post(`${base(pub)}/corrections`, { text: 'Forged.' }, { csrf: false });
  assert.equal(r.status, 403);
  assert.equal(corrections(), '0');
  r = await clients.admin.post(`${base(pub)}/corrections`, { text: 'An admin corrects.' }, { csrf: await token(clients.admin) });
  assert.equal(r.status, 303);
  assert.equal(corrections(), '1');
});

test('restore onto a published article: an editor\'s restore is live at once', async () => {
  save(pub, EDITOR, 1402700000, { headline: 'Published story, edited' });
  const reader = new Client(srv.url);
  assert.ok(await poll(async () => /Published story, edited/.test((await reader.get('/articles/history-published')).body)));
  const token = await clients.editor.csrf('/account');
  const r = await clients.editor.post(`${base(pub)}/revisions/1/restore`, { version: String(version(pub)) }, { csrf: token });
  assert.equal(r.status, 303, textOf(r.body).slice(0, 300));
  assert.ok(await poll(async () => /<h1 class="headline">Published story<\/h1>/.test((await reader.get('/articles/history-published')).body)),
    'the restored headline is not live');
});

test('preview: in full, as the paywall\'s preview, of a revision and of the person\'s autosave; private, no-store, noindex, never cached', async () => {
  const full = await clients.writer.get(`${base(others)}/preview`);
  assert.equal(full.status, 403); // not theirs
  let r = await clients.editor.get(`${base(pub)}/preview`);
  assert.equal(r.status, 200);
  assertPrivate(r, 'preview');
  assert.match(r.headers.get('content-security-policy'), /script-src 'self';/);
  assert.match(r.body, /class="preview-banner"/);
  assert.match(textOf(r.body), /Preview of the published article, version \d+, in full/);
  assert.match(r.body, /Paragraph 1 of history-published/);
  assert.match(r.body, /Paragraph 8 of history-published/);
  assert.match(r.body, /<article class="article">/); // the reader's own template

  r = await clients.editor.get(`${base(pub)}/preview?variant=paywall`);
  assert.equal(r.status, 200);
  assert.match(r.body, /Paragraph 1 of history-published/);
  assert.ok(!r.body.includes('Paragraph 8 of history-published'), 'the paywall preview carries the withheld part');
  assert.match(r.body, /You have reached your limit of free articles\./);
  assert.match(textOf(r.body), /as the paywall's preview shows it/);
  assert.equal((await clients.editor.get(`${base(pub)}/preview?variant=bogus`)).status, 400);

  // A draft, which readers cannot open at all.
  const draftReader = await new Client(srv.url).get('/articles/history-draft');
  assert.equal(draftReader.status, 404);
  r = await clients.writer.get(`${base(draft)}/preview`);
  assert.equal(r.status, 200);
  assert.match(r.body, /<h1 class="headline">An editor changed it<\/h1>/);

  r = await clients.writer.get(`${base(draft)}/preview?revision=2`);
  assert.equal(r.status, 200);
  assertPrivate(r, 'revision preview');
  assert.match(r.body, /<h1 class="headline">The second headline<\/h1>/);
  assert.match(r.body, /<p>The senate vote was close on Friday\.<\/p>/);
  assert.match(textOf(r.body), /Preview of revision 2 \(draft\)/);
  assert.equal((await clients.writer.get(`${base(draft)}/preview?revision=99`)).status, 404);

  // The autosave: the signed-in person's own.
  const fields = { headline: 'Autosaved headline', dek: 'Autosaved dek', byline: 'Auto Byline',
    body_markdown: 'Autosaved *body* text.', slug: 'history-draft', section_id: 1, publication_id: 1,
    access: 'free', authors: [], tags: [], seo_title: '', seo_description: '', editor_note: '' };
  sql(srv.db, `INSERT INTO autosaves (article_id, user_id, base_version, saved_at, fields) VALUES (${draft}, ${userId(WRITER)}, 5, 1700001000, ${q(JSON.stringify(fields))})`);
  r = await clients.writer.get(`${base(draft)}/preview?autosave=1`);
  assert.equal(r.status, 200);
  assertPrivate(r, 'autosave preview');
  assert.match(r.body, /<h1 class="headline">Autosaved headline<\/h1>/);
  assert.match(r.body, /<p>Autosaved <em>body<\/em> text\.<\/p>/);
  assert.match(textOf(r.body), /your autosave of November 14, 2023, 22:30 UTC \(based on version 5\)/);
  // The editor has no autosave of it.
  assert.equal((await clients.editor.get(`${base(draft)}/preview?autosave=1`)).status, 404);
  // Never cached: a change shows on the next request.
  sql(srv.db, `UPDATE autosaves SET fields = ${q(JSON.stringify({ ...fields, headline: 'Autosaved again' }))} WHERE article_id = ${draft}`);
  assert.match((await clients.writer.get(`${base(draft)}/preview?autosave=1`)).body, /Autosaved again/);
});

test('preview: a <script> or javascript: link in a draft, a revision or an autosave is never executable', async () => {
  const evil = 'Hello <script>alert(1)</script> there.\n\n<img src="x" onerror="alert(2)">\n\n' +
    '[click me](javascript:alert(3)) and <a href="javascript:alert(4)">raw</a>\n\n<iframe src="https://evil.example/"></iframe>';
  const id = importArticle('history-evil', { headline: 'Evil draft', access: 'free' });
  // Stored exactly as an unsafe renderer would have left it: the preview must not trust it.
  sql(srv.db, `UPDATE articles SET state = 'draft', published_at = 0, created_by = ${userId(WRITER)}, body_markdown = ${q(evil)}, body_html = ${q(evil)} WHERE id = ${id}`);
  snapshot(id, WRITER, 1700002000);
  sql(srv.db, `INSERT INTO autosaves (article_id, user_id, base_version, saved_at, fields) VALUES (${id}, ${userId(WRITER)}, 1, 1700002000, ${q(JSON.stringify({ headline: 'Evil <script>alert(5)</script>', body_markdown: evil }))})`);
  const metered = (p) => p.endsWith('#metered');
  for (const p of ['preview', 'preview?variant=paywall', 'preview?revision=1', 'preview?autosave=1',
    'preview#metered', 'preview?variant=paywall#metered']) {
    // Free articles show the stored rendering's place; metered ones go through the paywall's split.
    sql(srv.db, `UPDATE articles SET access = '${metered(p) ? 'metered' : 'free'}' WHERE id = ${id}`);
    const r = await clients.writer.get(`${base(id)}/${p.replace('#metered', '')}`);
    assert.equal(r.status, 200, p);
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'/, p);
    assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), `${p}: ${csp}`);
    const main = r.body.slice(r.body.indexOf('<article'), r.body.indexOf('</article>'));
    assert.ok(!/<script/i.test(main), `${p}: a script element in the article`);
    assert.ok(!/javascript:/i.test(main), `${p}: a javascript: URL`);
    assert.ok(!/<img[^>]*onerror|<iframe/i.test(main), `${p}: raw HTML kept`);
    assert.ok(!/<script>alert/.test(r.body), `${p}: a script anywhere`);
  }
});

test('corrections: an editor appends one; the reader\'s page shows it dated, with "Updated", and the JSON-LD carries dateModified and CorrectionComment', async () => {
  const reader = new Client(srv.url);
  // Before: imported, edited only within its import: no "Updated", dateModified is datePublished.
  const plain = importArticle('history-plain', { headline: 'Never corrected', access: 'free' });
  let page = await reader.get('/articles/history-plain');
  assert.equal(page.status, 200);
  assert.ok(!page.body.includes('class="updated"'), 'an import shows "Updated"');
  let ld = JSON.parse(page.body.match(/<script type="application\/ld\+json">(.*?)<\/script>/s)[1]);
  assert.equal(ld.dateModified, ld.datePublished);
  assert.equal(ld.correction, undefined);

  const token = await clients.editor.csrf(`${base(plain)}/corrections`);
  const form = await clients.editor.get(`${base(plain)}/corrections`);
  assert.equal(form.status, 200);
  assertPrivate(form, 'corrections');
  const before = version(plain);
  const text = 'An earlier version of this article misstated the vote\'s date. <b>It was Friday.</b>';
  const r = await clients.editor.post(`${base(plain)}/corrections`, { text }, { csrf: token });
  assert.equal(r.status, 303, textOf(r.body).slice(0, 300));
  assert.equal(version(plain), before + 1);
  assert.equal(sql(srv.db, `SELECT count(*) FROM article_revisions WHERE article_id = ${plain} AND version = ${before + 1}`), '1');
  assert.equal(sql(srv.db, `SELECT count(*) FROM audit_log WHERE action = 'article.correct' AND article_id = ${plain}`), '1');
  const at = Number(sql(srv.db, `SELECT created_at FROM article_corrections WHERE article_id = ${plain}`));
  const iso = new Date(at * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const day = new Date(at * 1000).toLocaleDateString('en-US', { month: 'long', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

  assert.ok(await poll(async () => (page = await reader.get('/articles/history-plain')).body.includes('class="correction"')),
    'the correction is not on the reader\'s page');
  assert.equal(page.status, 200);
  assert.match(page.body, new RegExp(`<p class="correction"><strong>Correction, <time datetime="${iso}">${day}</time>:</strong> An earlier version of this article misstated the vote&#39;s date\\. &lt;b&gt;It was Friday\\.&lt;/b&gt;</p>`));
  assert.match(page.body, new RegExp(`<span class="updated">Updated <time datetime="${iso}">${day}, \\d\\d:\\d\\d UTC</time></span>`));
  ld = JSON.parse(page.body.match(/<script type="application\/ld\+json">(.*?)<\/script>/s)[1]);
  assert.equal(ld.dateModified, iso);
  assert.deepEqual(ld.correction, [{ '@type': 'CorrectionComment', text, datePublished: iso }]);
  // The newsroom's list shows it, with who wrote it.
  assert.match((await clients.editor.get(`${base(plain)}/corrections`)).body, /\(Ed Itor\)/);

  // Refused, nothing added: empty, too long, on a draft.
  const count = () => sql(srv.db, 'SELECT count(*) FROM article_corrections');
  const n = count();
  let bad = await clients.editor.post(`${base(plain)}/corrections`, { text: '   ' }, { csrf: token });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /Write the correction&#39;s text\./);
  bad = await clients.editor.post(`${base(plain)}/corrections`, { text: 'x'.repeat(2001) }, { csrf: token });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /at most 2000 characters/);
  assert.match(bad.body, /x{2001}<\/textarea>/); // the text typed is kept
  bad = await clients.editor.post(`${base(draft)}/corrections`, { text: 'Not on a draft.' }, { csrf: token });
  assert.equal(bad.status, 409);
  assert.equal(count(), n);
});

test('redirects: an old slug answers 301 to the article\'s current URL while it is published, 404 otherwise; a target path 301s; a foreign one never', async () => {
  const id = importArticle('history-new-slug', { headline: 'Moved story', access: 'free' });
  sql(srv.db, `INSERT INTO redirects (path, article_id, created_at) VALUES ('/articles/history-old-slug', ${id}, 1), ('/articles/history-old-draft', ${draft}, 1)`);
  sql(srv.db, "INSERT INTO redirects (path, target, created_at) VALUES ('/articles/history-wp', '/sections/security', 1), ('/articles/history-evil-target', '//evil.example/x', 1), ('/articles/history-evil-target2', 'https://evil.example/', 1)");
  const c = new Client(srv.url);
  let r = await c.get('/articles/history-old-slug');
  assert.equal(r.status, 301);
  assert.equal(r.location, '/articles/history-new-slug');
  r = await c.get('/articles/history-old-draft');
  assert.equal(r.status, 404, 'a redirect to a draft');
  r = await c.get('/articles/history-wp');
  assert.equal(r.status, 301);
  assert.equal(r.location, '/sections/security');
  assert.equal((await c.get('/articles/history-evil-target')).status, 404);
  assert.equal((await c.get('/articles/history-evil-target2')).status, 404);
  assert.equal((await c.get('/articles/history-no-such-slug')).status, 404);
  // Unpublished: the old slug stops redirecting.
  sql(srv.db, `UPDATE articles SET state = 'unpublished' WHERE id = ${id}`);
  assert.equal((await c.get('/articles/history-old-slug')).status, 404);
  sql(srv.db, `UPDATE articles SET state = 'published' WHERE id = ${id}`);
  assert.equal((await c.get('/articles/history-old-slug')).status, 301);
});

test('the new pages are valid HTML (html-validate)', { timeout: 60_000 }, async () => {
  const validator = new HtmlValidate(new FileSystemConfigLoader());
  const pages = [
    [clients.writer, `${base(draft)}/revisions`],
    [clients.writer, `${base(draft)}/revisions?restored=4`],
    [clients.writer, `${base(draft)}/revisions/diff?from=1&to=3`],
    [clients.writer, `${base(draft)}/revisions/diff?from=4&to=5`],
    [clients.writer, `${base(draft)}/preview`],
    [clients.writer, `${base(draft)}/preview?variant=paywall`],
    [clients.writer, `${base(draft)}/preview?revision=2`],
    [clients.editor, `${base(pub)}/corrections`],
    [clients.editor, `${base(draft)}/corrections`],
    [clients.editor, `${base(pub)}/revisions`],
    [new Client(srv.url), '/articles/history-plain'],
  ];
  const failures = [];
  for (const [c, p] of pages) {
    const r = await c.get(p);
    assert.equal(r.status, 200, p);
    const report = await validator.validateString(r.body, path.join(path.dirname(CONFIG), 'page.html'));
    if (!report.valid) {
      failures.push(`${p}:\n${report.results.flatMap((x) => x.messages).map((m) => `  ${m.line}:${m.column} ${m.ruleId}: ${m.message}`).join('\n')}`);
    }
  }
  // The conflict page and a correction's error page too.
  const token = await clients.writer.csrf(`${base(draft)}/revisions`);
  const conflict = await clients.writer.post(`${base(draft)}/revisions/1/restore`, { version: '1' }, { csrf: token });
  assert.equal(conflict.status, 409);
  for (const [name, body] of [['conflict', conflict.body]]) {
    const report = await validator.validateString(body, path.join(path.dirname(CONFIG), 'page.html'));
    if (!report.valid) failures.push(`${name}:\n${report.results.flatMap((x) => x.messages).map((m) => `  ${m.line}:${m.column} ${m.ruleId}: ${m.message}`).join('\n')}`);
  }
  assert.deepEqual(failures, [], failures.join('\n\n'));
});
