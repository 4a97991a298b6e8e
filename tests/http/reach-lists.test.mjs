// Issue 12, "Archives and paging": sections, publications, authors' and tags' pages and the
// date archive's months, in keyset pages in the path (/…/before/ID). Paging forward and back
// through every list (the "Newer" link is the true previous page: the same articles as on the
// way forward), no article missing or repeated, rel="prev"/rel="next" in the head and on the
// visible links right on the first, middle and last page, 404 for every bad cursor and past the
// end, the archive's months (UTC, boundaries to the second) and the page cache following a new
// article. Runs on SQLite, and on PostgreSQL with BROADSHEET_TEST_PG_DIR.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startQuietServer, Client, sql } from '../lib/accounts.mjs';
import { poll } from '../lib/util.mjs';

let srv;
const q = (statement) => sql(srv.db, statement);
const idOf = (slug) => q(`SELECT id FROM articles WHERE slug = '${slug}'`);
const rows = (statement) => { const out = q(statement); return out === '' ? [] : out.split('\n'); };
const utc = (y, m, d = 1, h = 0, mi = 0, s = 0) => Date.UTC(y, m - 1, d, h, mi, s) / 1000;

const SECTION = 'security';
const PUBLICATION = 'national-journal';
const TAG = 'reach-lists-topic';
const JAN_2010 = utc(2010, 1);

// Published articles: [slug, section slug, published_at].
function insert(list, state = 'published') {
  const values = list.map(([slug, section, at]) =>
    `('${slug}', (SELECT id FROM publications WHERE slug = '${PUBLICATION}'), ` +
    `(SELECT id FROM sections WHERE slug = '${section}'), ${at}, ${at}, 'Headline ${slug}', 'x', '<p>x</p>', '${state}')`);
  q(`INSERT INTO articles (slug, publication_id, section_id, published_at, updated_at, headline,
     body_markdown, body_html, state) VALUES ${values.join(', ')}`);
}

before(async () => {
  srv = await startQuietServer();
  // 75 articles in one section, three to a second (ties, ordered by id), one every three days
  // from January 1st, 2010: 33 in January, 27 in February, 15 in March.
  insert(Array.from({ length: 75 }, (_, i) =>
    [`paged-${String(i).padStart(2, '0')}`, SECTION, JAN_2010 + Math.floor(i / 3) * 3 * 86400]));
  // The month's edges, to the second, in another section.
  const other = q(`SELECT slug FROM sections WHERE slug <> '${SECTION}' ORDER BY id LIMIT 1`);
  insert([['edge-march-last-second', other, utc(2010, 4) - 1], ['edge-april-first-second', other, utc(2010, 4)]]);
  // Newer than everything, but not published: never listed, never a cursor, no month of its own.
  insert([['draft-of-2030', SECTION, utc(2030, 5, 5)]], 'draft');
  // 45 of the section's articles under a tag: pages of 20.
  q(`INSERT INTO tags (slug, name, created_at) VALUES ('${TAG}', 'Reach Lists Topic', 1)`);
  q(`INSERT INTO article_tags (article_id, tag_id, position) SELECT a.id, t.id, 0 FROM articles a, tags t
     WHERE t.slug = '${TAG}' AND a.slug LIKE 'paged-%' AND a.slug < 'paged-45'`);
});
after(async () => { await srv?.stop(); });

const cardSlugs = (html) =>
  [...html.matchAll(/<h3 class="card-headline"><a href="\/articles\/([^"]+)"/g)].map((m) => m[1]);
const headLink = (html, rel) => new RegExp(`<link rel="${rel}" href="([^"]+)">`).exec(html)?.[1] ?? null;
const visibleLink = (html, rel) => new RegExp(`<a href="([^"]+)" rel="${rel}">`).exec(html)?.[1] ?? null;
// The list's published articles, newest first, as the store orders them.
const expected = (where) => rows(`SELECT a.slug FROM articles a WHERE a.state = 'published' AND ${where}
  ORDER BY a.published_at DESC, a.id DESC`);

// Walks the list at base forwards along the "Older" links, then back along the "Newer" ones:
// every page of size (the last one of 1 to size) and the links of each checked. Returns the
// pages [{url, slugs}].
async function walk(base, want, size) {
  const c = new Client(srv.url);
  const pages = [];
  for (let url = base; url;) {
    const r = await c.get(url);
    assert.equal(r.status, 200, `${url}: ${r.status}`);
    const slugs = cardSlugs(r.body);
    const first = pages.length === 0;
    const next = visibleLink(r.body, 'next');
    const prev = visibleLink(r.body, 'prev');
    // The head names the same pages as the visible links, absolute.
    assert.equal(headLink(r.body, 'next'), next && `${new URL(headLink(r.body, 'canonical')).origin}${next}`, `${url}: head next`);
    assert.equal(headLink(r.body, 'prev'), prev && `${new URL(headLink(r.body, 'canonical')).origin}${prev}`, `${url}: head prev`);
    assert.equal(prev === null, first, `${url}: a prev link ${first ? 'on the first page' : 'missing'}`);
    if (next) {
      assert.equal(slugs.length, size, `${url}: a page with an older page is full`);
      assert.equal(next, `${base.replace(/\/$/, '')}/before/${idOf(slugs[slugs.length - 1])}`);
    } else {
      assert.ok(slugs.length >= 1 && slugs.length <= size, `${url}: ${slugs.length} on the last page`);
    }
    pages.push({ url, slugs, prev });
    assert.ok(pages.length < 50, 'the pager goes round in circles');
    url = next;
  }
  assert.deepEqual(pages.flatMap((p) => p.slugs), want, `${base}: every article once, in order`);
  // Back: each page's "Newer" link is the page before it, the same articles.
  for (let i = pages.length - 1; i > 0; i--) {
    assert.equal(pages[i].prev, pages[i - 1].url, `${pages[i].url}: newer is ${pages[i - 1].url}`);
    const back = await c.get(pages[i].prev);
    assert.deepEqual(cardSlugs(back.body), pages[i - 1].slugs);
  }
  return pages;
}

async function status(path) {
  return (await new Client(srv.url).get(path)).status;
}

test('lists: a section is paged forward and back by keyset, 30 a page, with rel links, no article missing or repeated', async () => {
  const want = expected(`a.section_id = (SELECT id FROM sections WHERE slug = '${SECTION}')`);
  assert.ok(want.length > 75 && !want.includes('draft-of-2030'));
  const pages = await walk(`/sections/${SECTION}`, want, 30);
  assert.equal(pages.length, Math.ceil(want.length / 30));
  // The middle page links both ways; the last one offers the newest page too.
  const last = (await new Client(srv.url).get(pages.at(-1).url)).body;
  assert.match(last, new RegExp(`<a href="/sections/${SECTION}">Newest articles</a>`));
  assert.match(last, /<span aria-hidden="true">&laquo;<\/span> Newer articles<\/a>/);
  assert.ok(!/Older articles/.test(last));
  // The home page stays bounded: the lead, six latest and four a section, however many there are.
  const home = (await new Client(srv.url).get('/')).body;
  const sections = Number(q('SELECT count(*) FROM sections'));
  assert.ok(cardSlugs(home).length <= 6 + 4 * sections, `${cardSlugs(home).length} cards on the home page`);
  assert.ok(!/rel="next"/.test(home), 'the home page is not paged');
});

test('lists: a publication and a tag are paged the same way; the tag in pages of 20', async () => {
  await walk(`/publications/${PUBLICATION}`,
    expected(`a.publication_id = (SELECT id FROM publications WHERE slug = '${PUBLICATION}')`), 30);
  const tagged = expected(`a.id IN (SELECT x.article_id FROM article_tags x JOIN tags t ON t.id = x.tag_id WHERE t.slug = '${TAG}')`);
  assert.equal(tagged.length, 45);
  const pages = await walk(`/tags/${TAG}`, tagged, 20);
  assert.deepEqual(pages.map((p) => p.slugs.length), [20, 20, 5]);
});

test('lists: 404 past the end and for every cursor that is not one of the list\'s published articles', async () => {
  const base = `/sections/${SECTION}`;
  const want = expected(`a.section_id = (SELECT id FROM sections WHERE slug = '${SECTION}')`);
  const otherSection = idOf('edge-april-first-second');
  const draft = idOf('draft-of-2030');
  const none = Number(q('SELECT max(id) FROM articles')) + 1000;
  for (const bad of [idOf(want.at(-1)), otherSection, draft, none, 'abc', '0', '-1', '1e3', '07x',
    '999999999999999999', '9223372036854775807', '99999999999999999999999999', '']) {
    assert.equal(await status(`${base}/before/${bad}`), 404, `${base}/before/${bad}`);
  }
  assert.equal(await status(`/publications/${PUBLICATION}/before/${draft}`), 404);
  assert.equal(await status('/publications/gsn/before/' + idOf('paged-00')), 404, 'another publication\'s article');
  assert.equal(await status(`/tags/${TAG}/before/${idOf('paged-60')}`), 404, 'an article without the tag');
  assert.equal(await status('/sections/no-such-section/before/' + idOf('paged-00')), 404);
  // A leading zero is not the same page under another path.
  assert.equal(await status(`${base}/before/0${idOf('paged-10')}`), 404);
});

test('archive: /archive/ lists the months that have articles, newest first; a year its months; a month its articles in pages', async () => {
  const r = await new Client(srv.url).get('/archive/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('cache-tag') ?? '', /list:all/);
  const months = [...r.body.matchAll(/<a href="\/archive\/(\d{4})\/(\d{2})\/">/g)].map((m) => `${m[1]}-${m[2]}`);
  const have = new Set(rows("SELECT published_at FROM articles WHERE state = 'published'").map((t) =>
    new Date(Number(t) * 1000).toISOString().slice(0, 7)));
  assert.deepEqual(months, [...have].sort().reverse());
  assert.ok(months.includes('2010-04') && !months.includes('2030-05'));
  // Every page of the site links the archive.
  assert.match((await new Client(srv.url).get('/')).body, /<a href="\/archive\/">Archive<\/a>/);

  const year = await new Client(srv.url).get('/archive/2010/');
  assert.equal(year.status, 200);
  assert.deepEqual([...year.body.matchAll(/<a href="\/archive\/2010\/(\d{2})\/">/g)].map((m) => m[1]), ['04', '03', '02', '01']);

  const inMonth = (y, m) => expected(`a.published_at >= ${utc(y, m)} AND a.published_at < ${utc(y, m + 1)}`);
  const january = inMonth(2010, 1);
  assert.equal(january.length, 33);
  const pages = await walk('/archive/2010/01/', january, 30);
  assert.equal(pages[1].url, `/archive/2010/01/before/${idOf(january[29])}`);
  // The edges: the last second of March is March's, the first of April April's.
  const march = cardSlugs((await new Client(srv.url).get('/archive/2010/03/')).body);
  assert.deepEqual(march, inMonth(2010, 3));
  assert.equal(march[0], 'edge-march-last-second');
  assert.deepEqual(cardSlugs((await new Client(srv.url).get('/archive/2010/04/')).body), ['edge-april-first-second']);
});

test('archive: 404 for a malformed or empty year or month, and for a cursor of another month', async () => {
  for (const path of ['/archive/2010/13/', '/archive/2010/00/', '/archive/2010/1/', '/archive/10/01/',
    '/archive/abcd/', '/archive/0000/', '/archive/1999/', '/archive/1999/01/', '/archive/2010/05/',
    '/archive/2030/', '/archive/2030/05/', '/archive/+201/01/', '/archive/2010/01',
    `/archive/2010/01/before/${idOf('paged-40')}`, `/archive/2010/01/before/${idOf('draft-of-2030')}`,
    `/archive/2010/01/before/${idOf('paged-00')}`, '/archive/2010/01/before/abc',
    '/archive/2010/01/before/99999999999999999999']) {
    assert.equal(await status(path), 404, path);
  }
});

test('lists: a newly published article invalidates the cached pages: the first page shows it, and the next page\'s "Newer" link moves', async () => {
  const base = `/sections/${SECTION}`;
  const c = new Client(srv.url);
  const first = await c.get(base);
  assert.equal((await c.get(base)).headers.get('etag'), first.headers.get('etag'));
  const second = visibleLink(first.body, 'next');
  assert.equal(visibleLink((await c.get(second)).body, 'prev'), base);
  assert.equal(visibleLink((await c.get('/archive/2010/01/before/' + idOf(expected(`a.published_at >= ${JAN_2010}
    AND a.published_at < ${utc(2010, 2)}`)[29]))).body, 'prev'), '/archive/2010/01/');
  const now = Math.floor(Date.now() / 1000);
  insert([['fresh-news', SECTION, now]]);
  await poll(async () => cardSlugs((await c.get(base)).body)[0] === 'fresh-news');
  const page = cardSlugs((await c.get(base)).body);
  assert.equal(page.length, 30);
  // Page two still starts after the same article; its newer page is now the one after the
  // newest (30 articles are newer than its cursor), which ends with the cursor.
  await poll(async () => visibleLink((await c.get(second)).body, 'prev') === `${base}/before/${idOf('fresh-news')}`);
  const newer = cardSlugs((await c.get(`${base}/before/${idOf('fresh-news')}`)).body);
  assert.equal(newer.at(-1), second.split('/').at(-1) && q(`SELECT slug FROM articles WHERE id = ${second.split('/').at(-1)}`));
  // The archive grows this month.
  const month = new Date(now * 1000).toISOString().slice(0, 7).replace('-', '/');
  await poll(async () => (await c.get('/archive/')).body.includes(`href="/archive/${month}/"`));
  assert.deepEqual(cardSlugs((await c.get(`/archive/${month}/`)).body), ['fresh-news']);
  // Taken down: gone from the first page and from the archive's month.
  q("UPDATE articles SET state = 'unpublished' WHERE slug = 'fresh-news'");
  await poll(async () => cardSlugs((await c.get(base)).body)[0] !== 'fresh-news');
  await poll(async () => (await c.get(`/archive/${month}/`)).status === 404);
});
