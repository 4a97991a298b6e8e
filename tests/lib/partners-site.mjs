// The newsroom and the reader's site around embargoes and kills (issue 13), for
// tests/http/partners-embargo.test.mjs and partners-kill.test.mjs: the demo's staff signed in
// with the passwords `serve --demo` printed, articles made and moved through the newsroom's
// forms as an editor makes them, and where on the site a reader can find an article (its page,
// every list, feed, sitemap, search and the archive).

import assert from 'node:assert/strict';
import { Client, sql } from './accounts.mjs';
import { textOf } from './util.mjs';

// The demo's staff account of role (admin, editor, writer), signed in: `serve --demo` prints
// each one's email and a fresh password on stderr (demo_seed_staff).
export async function demoStaff(server, role) {
  const m = new RegExp(`broadsheet:\\s+${role}\\s+(\\S+@demo\\.broadsheet\\.test)\\s+password: (\\S+)`)
    .exec(server.stderr());
  assert.ok(m, `the demo printed no ${role} account:\n${server.stderr()}`);
  const c = new Client(server.url);
  await c.signIn(m[1], m[2]);
  c.email = m[1];
  return c;
}

// The ids and slugs the tests file articles under: GSN (the demo partner NTI's product) and its
// section, Global Security.
export function places(db) {
  const [pid, pslug] = sql(db, "SELECT id, slug FROM publications WHERE slug = 'gsn'").split('|');
  const [sid, sslug] = sql(db, "SELECT id, slug FROM sections WHERE slug = 'security'").split('|');
  assert.ok(pid && sid, 'the demo has GSN and its section');
  return { publication: { id: pid, slug: pslug }, section: { id: sid, slug: sslug } };
}

// The editor's fields for an article in GSN, as the form posts them.
export function fields(db, over = {}) {
  const { publication, section } = places(db);
  return {
    headline: 'A headline', dek: 'A dek', byline: '', body_markdown: 'Some **body** text.',
    section_id: section.id, publication_id: publication.id, access: 'free', tags: '', slug: '',
    seo_title: '', seo_description: '', editor_note: '', original_url: '', ...over,
  };
}

// Creates a draft through the editor's form as client c; returns its id.
export async function create(c, db, over = {}) {
  const r = await c.post('/newsroom/articles/new', fields(db, over), { from: '/newsroom/articles/new' });
  assert.equal(r.status, 303, `create: ${r.status} ${textOf(r.body).slice(0, 400)}`);
  const m = /^\/newsroom\/articles\/(\d+)\?done=created$/.exec(r.location);
  assert.ok(m, `create redirected to ${r.location}`);
  return Number(m[1]);
}

// The article's row as the database has it.
export function row(db, id) {
  const line = sql(db, `SELECT state, version, slug, published_at, embargoed, killed_at, kill_note, ` +
    `COALESCE(updated_by, 0) FROM articles WHERE id = ${id}`);
  if (!line) return null;
  const [state, version, slug, publishedAt, embargoed, killedAt, killNote, updatedBy] = line.split('|');
  return { state, version: Number(version), slug, publishedAt: Number(publishedAt),
    embargoed: Number(embargoed), killedAt: Number(killedAt), killNote, updatedBy: Number(updatedBy) };
}

// Everything about an article a refused action must leave alone: the row, its revisions, its
// audit entries, its versions in the item log.
export const snapshot = (db, id) => [
  sql(db, `SELECT state, version, headline, body_markdown, slug, published_at, updated_at, ` +
    `embargoed, killed_at, kill_note FROM articles WHERE id = ${id}`),
  sql(db, `SELECT count(*) FROM article_revisions WHERE article_id = ${id}`),
  sql(db, `SELECT count(*) FROM audit_log WHERE article_id = ${id}`),
  sql(db, `SELECT count(*) FROM item_log WHERE article_id = ${id}`),
].join('#');

// POSTs a change of state (submit, publish, schedule, unpublish, draft, delete, kill) or a save
// ('save') of article id as client c, with the CSRF token of the newsroom's list and the
// article's version as stored unless extra gives one.
export async function act(c, db, id, action, extra = {}) {
  const token = await c.csrf('/newsroom');
  const version = extra.version ?? row(db, id).version;
  const url = action === 'save' ? `/newsroom/articles/${id}` : `/newsroom/articles/${id}/${action}`;
  const body = action === 'save' ? fields(db, { headline: 'Saved again', ...extra, version })
    : { ...extra, version };
  return c.post(url, body, { csrf: token });
}

// An ISO datetime-local value (UTC, seconds) for unix time t, and RFC 3339 as ninjs writes it.
export const local = (t) => new Date(t * 1000).toISOString().slice(0, 19);
export const rfc3339 = (t) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const now = () => Math.floor(Date.now() / 1000);

// Whether text links to /articles/SLUG (as a path or an absolute URL), not to a longer slug.
export const linksTo = (text, slug) =>
  new RegExp(`/articles/${slug}(?![A-Za-z0-9_-])`).test(text);

// Every place on the site a reader (or a crawler) finds a published article of GSN's Global
// Security section filed now with tag tagSlug and the word word in its headline: the paths,
// each with whether it must answer 200 whatever it lists (a tag's page or a month's sitemap
// may not exist without the article).
export function channels(db, { tagSlug, word, month = new Date().toISOString().slice(0, 7) }) {
  const { publication, section } = places(db);
  const [y, m] = month.split('-');
  const lists = ['/', `/sections/${section.slug}`, `/publications/${publication.slug}`];
  const feeds = ['', `/sections/${section.slug}`, `/publications/${publication.slug}`]
    .flatMap((base) => ['/feed.xml', '/atom.xml', '/feed.json'].map((f) => base + f));
  return [
    ...lists.map((p) => ({ path: p, always: true })),
    ...feeds.map((p) => ({ path: p, always: true })),
    { path: '/sitemaps/news.xml', always: true },
    { path: `/sitemaps/articles-${y}-${m}.xml`, always: false },
    { path: `/archive/${y}/${m}/`, always: false },
    { path: `/tags/${tagSlug}`, always: false },
    { path: `/tags/${tagSlug}/feed.xml`, always: false },
    { path: `/search?q=${encodeURIComponent(word)}`, always: true },
  ];
}

// Where the article slug is listed: { path: true/false } for each of channels(...), read as an
// anonymous reader. Asserts that each path that must exist answers 200.
export async function listedAt(base, list, slug) {
  const anon = new Client(base);
  const out = {};
  for (const { path, always } of list) {
    const r = await anon.get(path);
    if (always) assert.equal(r.status, 200, `${path}: ${r.status}`);
    out[path] = r.status === 200 && linksTo(r.body, slug);
  }
  return out;
}

// { path: value } for every path of list.
export const everywhere = (list, value) => Object.fromEntries(list.map(({ path }) => [path, value]));

// Polls fn until its result deep-equals want (JSON), up to ms; returns the last result.
export async function eventually(fn, want, ms = 3000) {
  const until = Date.now() + ms;
  let got = await fn();
  while (JSON.stringify(got) !== JSON.stringify(want) && Date.now() < until) {
    await new Promise((ok) => setTimeout(ok, 100));
    got = await fn();
  }
  return got;
}
