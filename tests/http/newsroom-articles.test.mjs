// The newsroom's articles (issue 11, "Articles"): the list with its filters and counters, the
// editor, every change of state with its permission rule for every role (allowed; forbidden:
// 403 and nothing changed, checked in the database), readers never seeing what is not
// published, scheduling (also across a restart), the version conflict, autosave, a published
// article's slug change, and the pages through html-validate.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { HtmlValidate, FileSystemConfigLoader } from 'html-validate';
import { startServer, tmpDir, freshDatabase, repoRoot } from '../lib/server.mjs';
import { Client, addUser, sql, csrfIn } from '../lib/accounts.mjs';
import { attr, decodeEntities, textOf } from '../lib/util.mjs';

const PASSWORD = 'newsroom-articles-2014';
const USERS = {
  writer: { email: 'writer@example.test', role: 'writer', name: 'Wanda Writer' },
  other: { email: 'other@example.test', role: 'writer', name: 'Otto Other' },
  editor: { email: 'editor@example.test', role: 'editor', name: 'Ed Itor' },
  admin: { email: 'admin@example.test', role: 'admin', name: 'Ada Admin' },
  reader: { email: 'reader@example.test', role: 'reader', name: 'Rita Reader' },
};

let srv;
const clients = {};
let section; // {id, slug}
let publication; // {id, slug}

async function signedIn(s, who) {
  const c = new Client(s.url);
  await c.signIn(USERS[who].email, PASSWORD);
  return c;
}

before(async () => {
  srv = await startServer({ args: ['--outbox', tmpDir('broadsheet-outbox-')] });
  for (const u of Object.values(USERS)) addUser(srv.db, u.email, PASSWORD, u);
  for (const who of Object.keys(USERS)) clients[who] = await signedIn(srv, who);
  const [sid, sslug] = sql(srv.db, 'SELECT id, slug FROM sections ORDER BY position, id LIMIT 1').split('|');
  section = { id: sid, slug: sslug };
  const [pid, pslug] = sql(srv.db, 'SELECT id, slug FROM publications ORDER BY is_host DESC, id LIMIT 1').split('|');
  publication = { id: pid, slug: pslug };
});
after(async () => { await srv?.stop(); });

let serial = 0;
const unique = (what) => `${what} ${process.pid} ${++serial}`;
const slugOf = (headline) => headline.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

// The editor's fields for an article, as a form posts them.
function fields(over = {}) {
  return {
    headline: 'A headline', dek: 'A dek', byline: '', body_markdown: 'Some **body** text.',
    section_id: section.id, publication_id: publication.id, access: 'free', tags: '', slug: '',
    seo_title: '', seo_description: '', editor_note: '', ...over,
  };
}

// Creates a draft as `who` through the form; returns its id.
async function create(who, over = {}, s = srv, c = clients[who]) {
  const r = await c.post('/newsroom/articles/new', fields(over), { from: '/newsroom/articles/new' });
  assert.equal(r.status, 303, `create: ${r.status} ${textOf(r.body).slice(0, 400)}`);
  const m = /^\/newsroom\/articles\/(\d+)\?done=created$/.exec(r.location);
  assert.ok(m, `create redirected to ${r.location}`);
  return Number(m[1]);
}

// The article's row as the database has it.
function row(id, db = srv.db) {
  const line = sql(db, `SELECT state, version, headline, slug, published_at, body_markdown FROM articles WHERE id = ${id}`);
  if (!line) return null;
  const [state, version, headline, slug, publishedAt, body] = line.split('|');
  return { state, version: Number(version), headline, slug, publishedAt: Number(publishedAt), body };
}
// Everything about an article a refused action must leave alone.
const snapshot = (id) => sql(srv.db, `SELECT state, version, headline, body_markdown, slug, published_at, updated_at FROM articles WHERE id = ${id}`) +
  '#' + sql(srv.db, `SELECT count(*) FROM article_revisions WHERE article_id = ${id}`) +
  '#' + sql(srv.db, `SELECT count(*) FROM audit_log WHERE article_id = ${id}`) +
  '#' + sql(srv.db, `SELECT count(*) FROM autosaves WHERE article_id = ${id}`);

// The value of the editor form's hidden version field.
function versionIn(html) {
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    if (attr(m[0], 'name') === 'version') return Number(attr(m[0], 'value'));
  }
  return null;
}
function fieldValue(html, id) {
  const input = [...html.matchAll(/<input\b[^>]*>/gi)].find((m) => attr(m[0], 'id') === id);
  if (input) return attr(input[0], 'value');
  const ta = new RegExp(`<textarea\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html);
  return ta ? decodeEntities(ta[1]) : null;
}

// POSTs an action on article id as `who`: the editor's CSRF token, the version as stored
// unless given.
async function act(who, id, action, extra = {}) {
  const c = clients[who];
  const token = await c.csrf('/newsroom');
  const version = extra.version ?? row(id).version;
  const url = action === 'save' ? `/newsroom/articles/${id}` : `/newsroom/articles/${id}/${action}`;
  const body = action === 'save' ? fields({ headline: `Saved by ${who}`, ...extra, version })
    : { ...extra, version };
  return c.post(url, body, { csrf: token });
}

// An ISO datetime-local value (UTC, seconds) for unix time t.
const local = (t) => new Date(t * 1000).toISOString().slice(0, 19);
const now = () => Math.floor(Date.now() / 1000);

async function readerStatus(slug, s = srv) {
  const r = await new Client(s.url).get(`/articles/${slug}`);
  return r.status;
}
// A change reaches cached pages within a tick of the server (the change log, 100 ms): what a
// reader sees is polled for, up to a second.
async function eventually(fn, want, ms = 1000) {
  const until = Date.now() + ms;
  let got = await fn();
  while (JSON.stringify(got) !== JSON.stringify(want) && Date.now() < until) {
    await new Promise((ok) => setTimeout(ok, 50));
    got = await fn();
  }
  return got;
}
async function listed(slug, s = srv) {
  const anon = new Client(s.url);
  const pages = ['/', `/sections/${section.slug}`, `/publications/${publication.slug}`];
  const out = {};
  for (const p of pages) out[p] = (await anon.get(p)).body.includes(`/articles/${slug}"`);
  return out;
}

test('the list: staff only; counters for my drafts and waiting for review; filters by state, author and words', { timeout: 60_000 }, async () => {
  assert.equal((await new Client(srv.url).get('/newsroom')).status, 303);
  assert.equal((await clients.reader.get('/newsroom')).status, 403);
  const word = `Zebra${process.pid}`;
  const a = await create('writer', { headline: `${word} draft one` });
  const b = await create('writer', { headline: `${word} draft two` });
  await create('other', { headline: `${word} by other` });
  assert.equal((await act('writer', b, 'submit')).status, 303);
  const page = await clients.writer.get('/newsroom');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('cache-control'), 'private, no-store');
  assert.equal(page.headers.get('x-robots-tag'), 'noindex');
  const drafts = Number(sql(srv.db, `SELECT count(*) FROM articles a JOIN users u ON u.id = a.created_by WHERE u.email = '${USERS.writer.email}' AND state = 'draft'`));
  const waiting = Number(sql(srv.db, "SELECT count(*) FROM articles WHERE state = 'review'"));
  assert.match(page.body, new RegExp(`id="count-my-drafts">My drafts <strong>${drafts}</strong>`));
  assert.match(page.body, new RegExp(`id="count-waiting">Waiting for review <strong>${waiting}</strong>`));
  const mine = await clients.writer.get(`/newsroom?state=draft&author=me&q=${word.toLowerCase()}`);
  assert.ok(mine.body.includes(`/newsroom/articles/${a}"`));
  assert.ok(!mine.body.includes(`/newsroom/articles/${b}"`), 'a review article in the drafts filter');
  assert.ok(!mine.body.includes('by other'), "another writer's article under author=me");
  const review = await clients.editor.get('/newsroom?state=review');
  assert.ok(review.body.includes(`/newsroom/articles/${b}"`));
  const none = await clients.editor.get(`/newsroom?q=${word}%25nothing`);
  assert.match(none.body, /No articles match/);
  // sorts and paging
  for (const sort of ['updated', 'published', 'headline']) {
    const r = await clients.editor.get(`/newsroom?sort=${sort}`);
    assert.equal(r.status, 200, sort);
  }
  const published = await clients.editor.get('/newsroom?state=published&sort=published&per=2');
  const next = /href="(\/newsroom\?[^"]*after=\d+\.\d+)"/.exec(published.body);
  assert.ok(next, 'no next-page link over the demo\'s published articles');
  const second = await clients.editor.get(decodeEntities(next[1]));
  assert.equal(second.status, 200);
  assert.equal((await clients.editor.get('/newsroom?sort=headline&offset=999999')).status, 400);
});

test('the editor: a writer creates and saves a draft; Markdown is rendered safely; authors and tags are set', { timeout: 30_000 }, async () => {
  const headline = unique('Écoles reopen');
  const id = await create('writer', { headline, body_markdown: 'Hello **world** <script>alert(1)</script>' });
  const r0 = row(id);
  assert.equal(r0.state, 'draft');
  assert.equal(r0.version, 1);
  assert.equal(r0.slug, slugOf(headline.replace('É', 'e')));
  const html = sql(srv.db, `SELECT body_html FROM articles WHERE id = ${id}`);
  assert.match(html, /<strong>world<\/strong>/);
  assert.ok(!html.includes('<script>'), html);
  const page = await clients.writer.get(`/newsroom/articles/${id}`);
  assert.equal(page.status, 200);
  assert.equal(fieldValue(page.body, 'headline'), headline);
  assert.match(page.body, new RegExp(`href="/newsroom/articles/${id}/preview"`));
  assert.match(page.body, new RegExp(`href="/newsroom/articles/${id}/revisions"`));
  assert.match(page.body, /Submit for review/);
  assert.ok(!/Publish now/.test(page.body), 'a writer is offered Publish');
  // authors (ordered) and tags (found or created)
  sql(srv.db, "INSERT INTO authors (slug, name, created_at) VALUES ('na-one', 'Nadia One', 1), ('na-two', 'Nils Two', 1) ON CONFLICT DO NOTHING");
  const [one, two] = ['na-one', 'na-two'].map((s) => sql(srv.db, `SELECT id FROM authors WHERE slug = '${s}'`));
  const c = clients.writer;
  const token = await c.csrf(`/newsroom/articles/${id}`);
  const body = new URLSearchParams({ csrf: token, ...fields({ headline, tags: 'Schools, Paris ,schools', version: 1 }) });
  body.set('author_1', two);
  body.set('author_2', one);
  body.set('author_3', '');
  const saved = await c.request('POST', `/newsroom/articles/${id}`, { body: body.toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(saved.status, 303, textOf(saved.body).slice(0, 300));
  assert.equal(sql(srv.db, `SELECT author_id FROM article_authors WHERE article_id = ${id} ORDER BY position`)
    .split('\n').join(','), `${two},${one}`);
  assert.equal(sql(srv.db, `SELECT count(*) FROM article_tags WHERE article_id = ${id}`), '2');
  const again = await c.get(`/newsroom/articles/${id}?done=saved`);
  assert.equal(fieldValue(again.body, 'tags'), 'Schools, Paris');
  assert.match(again.body, /Saved\./);
  assert.equal(row(id).version, 2);
  // a save with nothing changed moves nothing
  const same = new URLSearchParams(body);
  same.set('version', '2');
  same.set('tags', 'Schools, Paris');
  const before = snapshot(id);
  assert.equal((await c.request('POST', `/newsroom/articles/${id}`, { body: same.toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).status, 303);
  assert.equal(snapshot(id), before);
  // bad input: an unknown section changes nothing
  const bad = await act('writer', id, 'save', { section_id: '999999' });
  assert.equal(bad.status, 422);
  assert.equal(snapshot(id), before);
});

// Every role × action: the article is made in the state the action starts from, by the writer.
const STARTS = {
  save: 'draft', submit: 'draft', publish: 'review', schedule: 'review', unpublish: 'published',
  draft: 'review', delete: 'draft', autosave: 'draft',
};
// Who may: own = the writer who made it.
const MAY = {
  writer: { save: true, submit: true, publish: false, schedule: false, unpublish: false, draft: true, delete: false, autosave: true },
  other: { save: false, submit: false, publish: false, schedule: false, unpublish: false, draft: false, delete: false, autosave: false },
  editor: { save: true, submit: true, publish: true, schedule: true, unpublish: true, draft: true, delete: true, autosave: true },
  admin: { save: true, submit: true, publish: true, schedule: true, unpublish: true, draft: true, delete: true, autosave: true },
  reader: { save: false, submit: false, publish: false, schedule: false, unpublish: false, draft: false, delete: false, autosave: false },
};

async function inState(state) {
  const id = await create('writer', { headline: unique(`Matrix ${state}`) });
  if (state === 'review' || state === 'published') assert.equal((await act('writer', id, 'submit')).status, 303);
  if (state === 'published') assert.equal((await act('editor', id, 'publish')).status, 303);
  assert.equal(row(id).state, state);
  return id;
}

test('every role × action: allowed ones act, forbidden ones answer 403 and change nothing', { timeout: 180_000 }, async () => {
  for (const who of Object.keys(MAY)) {
    for (const action of Object.keys(STARTS)) {
      const id = await inState(STARTS[action]);
      const before = snapshot(id);
      const extra = action === 'schedule' ? { publish_at: local(now() + 3600) } : {};
      let r;
      if (who === 'reader') { // the route's rule, before any handler: a reader has no token for it
        const token = await clients.reader.csrf('/account');
        const url = action === 'save' ? `/newsroom/articles/${id}` : `/newsroom/articles/${id}/${action}`;
        r = await clients.reader.post(url, { ...fields(), version: row(id).version }, { csrf: token });
      } else {
        r = await act(who, id, action, action === 'autosave' ? fields({ headline: 'Auto', version: row(id).version }) : extra);
      }
      const label = `${who} ${action} (${STARTS[action]})`;
      if (MAY[who][action]) {
        assert.ok(r.status === 303 || r.status === 200, `${label}: ${r.status} ${textOf(r.body).slice(0, 300)}`);
        if (action !== 'autosave') assert.notEqual(snapshot(id), before, `${label} changed nothing`);
        else assert.equal(sql(srv.db, `SELECT count(*) FROM autosaves WHERE article_id = ${id}`), '1');
      } else {
        assert.equal(r.status, 403, `${label}: ${r.status}`);
        assert.equal(snapshot(id), before, `${label} changed the article`);
      }
    }
  }
  // Beyond the starting states: a writer cannot edit their own article once it is published,
  // nor delete a published one; nobody deletes a published article.
  const live = await inState('published');
  const before = snapshot(live);
  for (const who of ['writer', 'editor', 'admin']) {
    assert.equal((await act(who, live, 'delete')).status, 403, `${who} deleted a published article`);
  }
  assert.equal((await act('writer', live, 'save')).status, 403);
  assert.equal((await act('writer', live, 'autosave', fields({ version: row(live).version }))).status, 403);
  assert.equal(snapshot(live), before);
  // …and the writer's page says so, with the form disabled
  const page = await clients.writer.get(`/newsroom/articles/${live}`);
  assert.match(page.body, /You cannot edit this article now that it is published/);
  assert.match(page.body, /<fieldset class="editor-fields" disabled>/);
});

test('every change of state, and readers see only published articles (404 and absent from listings otherwise)', { timeout: 60_000 }, async () => {
  const headline = unique('Lifecycle story');
  const id = await create('writer', { headline });
  const slug = row(id).slug;
  const hidden = async (state) => {
    assert.equal(row(id).state, state);
    assert.equal(await eventually(() => readerStatus(slug), 404), 404, `a reader opened a ${state} article`);
    assert.deepEqual(await eventually(async () => Object.values(await listed(slug)), [false, false, false]),
      [false, false, false], `${state} listed`);
  };
  await hidden('draft');
  assert.equal((await act('writer', id, 'submit')).status, 303);
  await hidden('review');
  assert.equal((await act('writer', id, 'draft')).status, 303); // the writer takes it back
  await hidden('draft');
  assert.equal((await act('writer', id, 'submit')).status, 303);
  const r = await act('editor', id, 'schedule', { publish_at: local(now() + 3600) });
  assert.equal(r.status, 303);
  await hidden('scheduled');
  assert.equal((await act('editor', id, 'draft')).status, 303);
  assert.equal(row(id).publishedAt, 0);
  assert.equal((await act('editor', id, 'publish')).status, 303);
  assert.equal(row(id).state, 'published');
  assert.equal(await eventually(() => readerStatus(slug), 200), 200);
  assert.deepEqual(await eventually(async () => Object.values(await listed(slug)), [true, true, true]),
    [true, true, true]);
  assert.equal((await act('editor', id, 'unpublish')).status, 303);
  await hidden('unpublished');
  assert.equal((await act('editor', id, 'draft')).status, 303);
  await hidden('draft');
  // a schedule in the past is refused
  const past = await act('editor', id, 'schedule', { publish_at: local(now() - 60) });
  assert.equal(past.status, 422);
  assert.match(textOf(past.body), /Choose a time in the future/);
  assert.equal(row(id).state, 'draft');
  assert.equal((await act('editor', id, 'delete')).status, 303);
  assert.equal(row(id), null);
  const audit = sql(srv.db, `SELECT action FROM audit_log WHERE article_id = ${id} ORDER BY id`);
  assert.equal(audit.split('\n').join(' '), 'article.create article.submit article.draft article.submit article.schedule article.draft article.publish article.unpublish article.draft article.delete');
});

test('the editor form\'s buttons save what was typed, then change the state', { timeout: 30_000 }, async () => {
  const id = await create('writer', { headline: unique('Button story') });
  const r = await act('writer', id, 'submit', fields({ headline: 'Typed then submitted' }));
  assert.equal(r.status, 303);
  const after = row(id);
  assert.equal(after.headline, 'Typed then submitted');
  assert.equal(after.state, 'review');
  assert.equal(after.version, 3);
  // a schedule refused for its time saves nothing typed with it
  const before = snapshot(id);
  const refused = await act('editor', id, 'schedule', fields({ headline: 'Never saved', publish_at: 'soon' }));
  assert.equal(refused.status, 422);
  assert.match(textOf(refused.body), /Give the time to publish it at/);
  assert.equal(fieldValue(refused.body, 'headline'), 'Never saved'); // the text typed is kept
  assert.equal(snapshot(id), before);
});

test('scheduling: 2 s ahead it is 404, then on the home, section and article pages within a second of its time', { timeout: 30_000 }, async () => {
  const headline = unique('Scheduled story');
  const id = await create('writer', { headline });
  const slug = row(id).slug;
  const at = now() + 2;
  assert.equal((await act('editor', id, 'schedule', { publish_at: local(at) })).status, 303);
  assert.equal(row(id).state, 'scheduled');
  assert.equal(await readerStatus(slug), 404);
  assert.deepEqual(Object.values(await listed(slug)), [false, false, false]);
  // within a second of its time
  while (Date.now() < at * 1000 + 1000) {
    if (await readerStatus(slug) === 200) break;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  assert.ok(Date.now() >= at * 1000 - 50, 'published before its time');
  assert.equal(await readerStatus(slug), 200, 'not published within a second of its time');
  assert.deepEqual(await eventually(async () => Object.values(await listed(slug)), [true, true, true],
    at * 1000 + 1000 - Date.now()), [true, true, true], 'not listed within a second of its time');
  assert.equal(row(id).publishedAt, at);
  assert.equal(sql(srv.db, `SELECT user_name || '|' || detail FROM audit_log WHERE article_id = ${id} AND action = 'article.publish'`),
    `${USERS.editor.name}|its scheduled time came`);
});

test('scheduling across a restart: stopped before its time, started after, it is published at once', { timeout: 60_000 }, async () => {
  const dir = tmpDir();
  const db = freshDatabase(dir);
  let s = await startServer({ db });
  addUser(db, 'ed2@example.test', PASSWORD, { role: 'editor', name: 'Ed Two' });
  const ed = new Client(s.url);
  await ed.signIn('ed2@example.test', PASSWORD);
  const token = await ed.csrf('/newsroom/articles/new');
  const made = await ed.post('/newsroom/articles/new', fields({ headline: 'Restart story' }), { csrf: token });
  const id = Number(/(\d+)/.exec(made.location)[1]);
  const at = now() + 3;
  const r = await ed.post(`/newsroom/articles/${id}/schedule`, { publish_at: local(at), version: 1 }, { csrf: token });
  assert.equal(r.status, 303);
  await s.stop();
  while (now() <= at) await new Promise((ok) => setTimeout(ok, 100));
  assert.equal(row(id, db).state, 'scheduled');
  s = await startServer({ db });
  try {
    const started = Date.now();
    let status = 0;
    while (Date.now() - started < 1000) {
      status = (await new Client(s.url).get('/articles/restart-story')).status;
      if (status === 200) break;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    assert.equal(status, 200, 'not published within a second of the restart');
    assert.ok((await new Client(s.url).get('/')).body.includes('/articles/restart-story"'));
  } finally {
    await s.stop();
  }
});

test('two people, one article: a save based on an old version is refused, says who and when, and keeps the text typed', { timeout: 30_000 }, async () => {
  const id = await create('writer', { headline: unique('Contested'), body_markdown: 'Original body.' });
  const a = await clients.writer.get(`/newsroom/articles/${id}`);
  const b = await clients.editor.get(`/newsroom/articles/${id}`);
  assert.equal(versionIn(a.body), 1);
  assert.equal(versionIn(b.body), 1);
  const first = await clients.editor.post(`/newsroom/articles/${id}`,
    fields({ headline: 'Editor wins', body_markdown: 'The editor rewrote this sentence.', version: 1 }), { csrf: csrfIn(b.body) });
  assert.equal(first.status, 303);
  const second = await clients.writer.post(`/newsroom/articles/${id}`,
    fields({ headline: 'Writer too late', body_markdown: 'The writer rewrote this line.', version: 1 }), { csrf: csrfIn(a.body) });
  assert.equal(second.status, 409);
  const text = textOf(second.body);
  assert.match(text, new RegExp(`Changed by ${USERS.editor.name} at \\w+ \\d+, \\d{4}, \\d\\d:\\d\\d UTC since you opened it`));
  assert.equal(fieldValue(second.body, 'headline'), 'Writer too late');
  assert.equal(fieldValue(second.body, 'body_markdown'), 'The writer rewrote this line.');
  assert.match(second.body, /id="stored-headline">Editor wins</);
  assert.match(second.body, /id="stored-body">The editor rewrote this sentence\.</);
  // what changed, word by word
  assert.match(second.body, /id="body-diff">The <del>editor<\/del><ins>writer<\/ins> rewrote this <del>sentence<\/del><ins>line<\/ins>\.<\/div>/);
  assert.equal(versionIn(second.body), 2); // saving again is deliberate
  const r = row(id);
  assert.equal(r.headline, 'Editor wins');
  assert.equal(r.version, 2);
});

test('autosave: stored apart with the agreed keys, never changes the article, restored on reopening, discarded, rate-limited', { timeout: 60_000 }, async () => {
  const id = await create('writer', { headline: unique('Autosaved'), body_markdown: 'Stored body.' });
  const before = sql(srv.db, `SELECT version, headline, body_markdown, updated_at FROM articles WHERE id = ${id}`);
  const token = await clients.writer.csrf(`/newsroom/articles/${id}`);
  const c = clients.writer;
  const post = (over) => c.post(`/newsroom/articles/${id}/autosave`, fields({ version: 1, ...over }), { csrf: token });
  // without a CSRF token: refused by the route's policy
  assert.equal((await c.post(`/newsroom/articles/${id}/autosave`, fields({ version: 1 }), { csrf: false })).status, 403);
  const r = await post({ headline: 'Half-typed headline', body_markdown: 'Half-typed body', tags: 'a, b' });
  assert.equal(r.status, 200);
  const answer = JSON.parse(r.body);
  assert.equal(answer.ok, true);
  assert.equal(sql(srv.db, `SELECT version, headline, body_markdown, updated_at FROM articles WHERE id = ${id}`), before);
  const stored = JSON.parse(sql(srv.db, `SELECT fields FROM autosaves WHERE article_id = ${id}`));
  assert.deepEqual(Object.keys(stored).sort(), ['access', 'authors', 'body_markdown', 'byline', 'dek', 'editor_note',
    'headline', 'publication_id', 'section_id', 'seo_description', 'seo_title', 'slug', 'tags'].sort());
  assert.equal(stored.headline, 'Half-typed headline');
  assert.equal(stored.tags, 'a, b');
  assert.deepEqual(stored.authors, []);
  assert.equal(stored.section_id, Number(section.id));
  assert.equal(sql(srv.db, `SELECT base_version FROM autosaves WHERE article_id = ${id}`), '1');
  // reopening restores it, with a notice and a way to discard it
  const page = await c.get(`/newsroom/articles/${id}`);
  assert.equal(fieldValue(page.body, 'headline'), 'Half-typed headline');
  assert.match(textOf(page.body), /Restored your unsaved changes from \w+ \d+, \d{4}, \d\d:\d\d UTC/);
  assert.match(page.body, new RegExp(`action="/newsroom/articles/${id}/autosave/discard"`));
  // the preview of one's unsaved changes (nr-history's, reading these keys) shows them
  assert.match(page.body, new RegExp(`href="/newsroom/articles/${id}/preview\\?autosave=1"`));
  const preview = await c.get(`/newsroom/articles/${id}/preview?autosave=1`);
  assert.equal(preview.status, 200);
  assert.match(preview.body, /Half-typed headline/);
  // another person does not get it
  const other = await clients.editor.get(`/newsroom/articles/${id}`);
  assert.equal(fieldValue(other.body, 'headline'), row(id).headline);
  // discarding
  assert.equal((await c.post(`/newsroom/articles/${id}/autosave/discard`, {}, { csrf: token })).status, 303);
  assert.equal(sql(srv.db, `SELECT count(*) FROM autosaves WHERE article_id = ${id}`), '0');
  // a real save deletes it
  assert.equal((await post({ headline: 'Again' })).status, 200);
  assert.equal((await c.post(`/newsroom/articles/${id}`, fields({ headline: 'Saved for real', version: 1 }), { csrf: token })).status, 303);
  assert.equal(sql(srv.db, `SELECT count(*) FROM autosaves WHERE article_id = ${id}`), '0');
  // the rate limit: a burst, then 429 with Retry-After
  let limited = null;
  for (let i = 0; i < 40 && !limited; i++) {
    const x = await post({ headline: `burst ${i}`, version: 2 });
    if (x.status === 429) limited = x;
    else assert.equal(x.status, 200);
  }
  assert.ok(limited, 'no 429 after 40 autosaves');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
});

test("autosave of a new article makes its draft (empty: the text is the person's autosave)", { timeout: 30_000 }, async () => {
  const c = clients.other; // the writer's autosaves are spent on the rate limit's test
  const token = await c.csrf('/newsroom/articles/new');
  const r = await c.post('/newsroom/articles/new/autosave', fields({ headline: 'Brand new idea', body_markdown: 'First words' }), { csrf: token });
  assert.equal(r.status, 200, r.body);
  const answer = JSON.parse(r.body);
  assert.match(answer.url, /^\/newsroom\/articles\/\d+$/);
  const a = row(answer.id);
  assert.equal(a.state, 'draft');
  assert.equal(a.headline, '');
  assert.match(a.slug, /^draft-[0-9a-f]{12}$/);
  const page = await c.get(answer.url);
  assert.equal(fieldValue(page.body, 'headline'), 'Brand new idea');
  assert.equal(fieldValue(page.body, 'slug'), '');
  // the first real save makes the slug from the headline
  assert.equal((await c.post(answer.url, fields({ headline: 'Brand new idea', version: 1 }), { csrf: token })).status, 303);
  assert.match(row(answer.id).slug, /^brand-new-idea(-\d+)?$/);
});

test("a published article's slug change answers with a redirect row; moving back drops it", { timeout: 30_000 }, async () => {
  const id = await create('writer', { headline: unique('Renamed story') });
  assert.equal((await act('editor', id, 'publish')).status, 303);
  const old = row(id).slug;
  assert.equal((await act('editor', id, 'save', { headline: 'Renamed', slug: `${old}-new` })).status, 303);
  assert.equal(row(id).slug, `${old}-new`);
  assert.equal(sql(srv.db, `SELECT path || '|' || article_id FROM redirects WHERE article_id = ${id}`), `/articles/${old}|${id}`);
  // the old address answers 301 to the new one (the reader side, nr-history's)
  const moved = await new Client(srv.url).get(`/articles/${old}`);
  assert.equal(moved.status, 301);
  assert.equal(new URL(moved.location, srv.url).pathname, `/articles/${old}-new`);
  assert.equal(await eventually(() => readerStatus(`${old}-new`), 200), 200); // an editor's save of a published article is live at once
  assert.equal((await act('editor', id, 'save', { headline: 'Renamed', slug: old })).status, 303);
  assert.equal(sql(srv.db, `SELECT path FROM redirects WHERE article_id = ${id}`), `/articles/${old}-new`);
  // a slug another article has is refused
  const other = await create('writer', { headline: unique('Other story') });
  const taken = await act('editor', id, 'save', { slug: row(other).slug });
  assert.equal(taken.status, 422);
  assert.match(textOf(taken.body), /already used/);
});

test('a long body (hundreds of kilobytes) is saved whole; one over 1 MiB is refused and changes nothing', { timeout: 60_000 }, async () => {
  const id = await create('writer', { headline: unique('Long read') });
  const paragraph = 'Word '.repeat(200).trim() + ' é.\n\n';
  const long = paragraph.repeat(300); // about 300 KB
  const r = await act('writer', id, 'save', { body_markdown: long });
  assert.equal(r.status, 303, textOf(r.body).slice(0, 300));
  assert.equal(Number(sql(srv.db, `SELECT length(body_markdown) FROM articles WHERE id = ${id}`)), [...long].length);
  const before = snapshot(id);
  const tooLong = await act('writer', id, 'save', { body_markdown: 'x'.repeat(1024 * 1024 + 1) });
  assert.equal(tooLong.status, 422);
  assert.match(textOf(tooLong.body), /The body is too long/);
  assert.equal(snapshot(id), before);

  // The long limits are only for someone the route admits, known before the body is read:
  // anyone else sending a long body gets an ordinary form's 413, so nobody can make the server
  // hold megabytes per request.
  const body = new URLSearchParams({ csrf: 'x', headline: 'x', body_markdown: long }).toString();
  const anonymous = await fetch(`${srv.url}/newsroom/articles/${id}`, {
    method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(anonymous.status, 413);
  const reader = await clients.reader.post(`/newsroom/articles/${id}`, { body_markdown: long }, { csrf: 'x' });
  assert.equal(reader.status, 413);
  assert.equal(snapshot(id), before);
});

test('the newsroom pages are valid HTML (html-validate)', { timeout: 60_000 }, async () => {
  const validator = new HtmlValidate(new FileSystemConfigLoader());
  const id = await create('writer', { headline: unique('Valid story') });
  const conflictA = await clients.writer.get(`/newsroom/articles/${id}`);
  await act('editor', id, 'save', { headline: 'Moved on' });
  const conflict = await clients.writer.post(`/newsroom/articles/${id}`, fields({ version: 1 }), { csrf: csrfIn(conflictA.body) });
  assert.equal(conflict.status, 409);
  const pages = {
    list: (await clients.editor.get('/newsroom')).body,
    filtered: (await clients.editor.get('/newsroom?state=draft&sort=headline&q=x')).body,
    new: (await clients.writer.get('/newsroom/articles/new')).body,
    editor: (await clients.editor.get(`/newsroom/articles/${id}?done=saved`)).body,
    writer: (await clients.writer.get(`/newsroom/articles/${id}`)).body,
    conflict: conflict.body,
  };
  for (const [name, body] of Object.entries(pages)) {
    const report = await validator.validateString(body, path.join(repoRoot, 'tests', `${name}.html`));
    const messages = report.results.flatMap((x) => x.messages).map((m) => `${m.line}:${m.column} ${m.ruleId}: ${m.message}`);
    assert.equal(report.valid, true, `${name}:\n${messages.join('\n')}`);
  }
});

// The pickers offer the first 1,000 authors by name; before, an article's author who was not
// among them showed unselected, so the next save dropped them from the article.
test('an author past the pickers\' first 1,000 by name stays chosen, and a save keeps them', { timeout: 60_000 }, async () => {
  sql(srv.db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1001) " +
    "INSERT INTO authors (slug, name, created_at) SELECT 'aaa-' || i, 'Aaa ' || i, 1 FROM n WHERE true ON CONFLICT DO NOTHING");
  sql(srv.db, "INSERT INTO authors (slug, name, created_at) VALUES ('zz-last', 'Zz Last', 1) ON CONFLICT DO NOTHING");
  const zz = sql(srv.db, "SELECT id FROM authors WHERE slug = 'zz-last'");
  const id = await create('writer', { headline: unique('Far author'), author_1: zz });
  assert.equal(sql(srv.db, `SELECT author_id FROM article_authors WHERE article_id = ${id}`), zz);
  const page = await clients.writer.get(`/newsroom/articles/${id}`);
  assert.equal(page.status, 200);
  const picked = [...page.body.matchAll(/<option value="(\d+)" selected>/g)].map((m) => m[1]);
  assert.ok(picked.includes(zz), `the far author is not selected in the picker (selected: ${picked.join(',')})`);
  // saved again as the page shows it: the author is still there
  const saved = await act('writer', id, 'save', { headline: unique('Far author again'), author_1: zz });
  assert.equal(saved.status, 303);
  assert.equal(sql(srv.db, `SELECT author_id FROM article_authors WHERE article_id = ${id}`), zz);
  // an author among the first 1,000 appears once, not twice
  const aaa1 = sql(srv.db, "SELECT id FROM authors WHERE slug = 'aaa-1'");
  const again = await act('writer', id, 'save', { headline: unique('Near author'), author_1: aaa1, version: row(id).version });
  assert.equal(again.status, 303);
  const near = await clients.writer.get(`/newsroom/articles/${id}`);
  const firstSlot = /<select[^>]*author_1[^>]*>([\s\S]*?)<\/select>/.exec(near.body);
  assert.ok(firstSlot, 'no first author picker');
  assert.equal([...firstSlot[1].matchAll(new RegExp(`value="${aaa1}"`, 'g'))].length, 1);
  assert.ok(!firstSlot[1].includes(`value="${zz}"`), 'an author no longer chosen is still offered past the first 1,000');
});
