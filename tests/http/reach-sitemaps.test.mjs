// Sitemaps and robots.txt (issue 12, src/page_sitemap.c), on either backend: /robots.txt names
// the sitemap index and keeps crawlers out of the private paths; /sitemap.xml lists exactly the
// months that have published articles (not a month of drafts, scheduled, or unpublished ones)
// plus the sections', publications', authors', tags' and news sitemaps; a month's sitemap lists
// exactly its published articles in (published_at, id) order with RFC 3339 lastmods, across
// the month's edges; an article unpublished leaves its month (and the month the index) at once,
// one published joins it, through the cache; the news sitemap holds the last 48 hours only and a
// cached copy loses an article within about a minute of its window ending; authors and tags
// follow inserts, renames and deletions (migration 017's list:authors and list:tags); headlines
// with & < > quotes and non-ASCII come out right; every answer is well-formed XML (parsed by
// python3's xml.etree) with absolute URLs, the same to a request with a cookie; malformed and
// empty names are 404.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer } from '../lib/server.mjs';
import { sql } from '../lib/accounts.mjs';
import { get, poll } from '../lib/util.mjs';

const SITEMAP_NS = 'http://www.sitemaps.org/schemas/sitemap/0.9';
const NEWS_NS = 'http://www.google.com/schemas/sitemap-news/0.9';
const HOST_NAME = 'National Journal'; // the demo's host publication: the news sitemap's name

let srv;
before(async () => { srv = await startServer({ metrics: true }); });
after(async () => { await srv?.stop(); });

const q = (statement) => sql(srv.db, statement);
// Polls fn until it returns something truthy (the server follows the change log every tick);
// fails when it never does.
async function until(fn, opts) {
  const v = await poll(fn, { ms: 10_000, ...opts });
  assert.ok(v, 'timed out waiting');
  return v;
}
const lit = (s) => `'${s.replace(/'/g, "''")}'`;
const now = () => Math.floor(Date.now() / 1000);
const utc = (y, m, d = 1, h = 0, mi = 0, s = 0) => Date.UTC(y, m - 1, d, h, mi, s) / 1000;
const rfc3339 = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const monthOf = (t) => new Date(t * 1000).toISOString().slice(0, 7);

// Parses an XML document strictly (python3's xml.etree: a document that is not well-formed
// fails) into {root, entries: [{loc, lastmod, news: {name, language, date, title}}]}.
const PARSE = `
import json, sys, xml.etree.ElementTree as ET
S = '{${SITEMAP_NS}}'
N = '{${NEWS_NS}}'
root = ET.fromstring(sys.stdin.buffer.read())
out = {'root': root.tag, 'entries': []}
for e in root:
    item = {'tag': e.tag, 'loc': e.findtext(S + 'loc'), 'lastmod': e.findtext(S + 'lastmod')}
    n = e.find(N + 'news')
    if n is not None:
        item['news'] = {'name': n.findtext(N + 'publication/' + N + 'name'),
                        'language': n.findtext(N + 'publication/' + N + 'language'),
                        'date': n.findtext(N + 'publication_date'),
                        'title': n.findtext(N + 'title')}
    out['entries'].append(item)
print(json.dumps(out))
`;
function parseXml(body) {
  const r = spawnSync('python3', ['-c', PARSE], { input: body, encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, `not well-formed XML: ${r.stderr}\n${body.slice(0, 2000)}`);
  return JSON.parse(r.stdout);
}

// GETs path; expects 200 and XML; returns the parsed document.
async function xml(path) {
  const r = await get(srv.url + path);
  const body = await r.text();
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  assert.equal(r.headers.get('content-type'), 'application/xml; charset=utf-8', path);
  assert.match(body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n/);
  return parseXml(body);
}
const locs = (doc) => doc.entries.map((e) => e.loc);
const status = async (path) => { const r = await get(srv.url + path); await r.arrayBuffer(); return r.status; };

let serial = 0;
// Inserts an article (state, published_at, updated_at, headline); returns its slug.
function article({ state = 'published', at, updated = at, headline = 'A sitemap story', slug } = {}) {
  slug ??= `sm-${++serial}-${state}`;
  q(`INSERT INTO articles (slug, publication_id, section_id, published_at, updated_at, headline,
       body_markdown, body_html, state)
     VALUES (${lit(slug)}, (SELECT min(id) FROM publications), (SELECT min(id) FROM sections),
       ${at}, ${updated}, ${lit(headline)}, 'x', '<p>x</p>', ${lit(state)})`);
  return slug;
}
const url = (slug) => `${srv.url}/articles/${slug}`;
// The months the index should list: those of the published articles, from the database.
function publishedMonths() {
  const rows = q("SELECT published_at FROM articles WHERE state = 'published'");
  return [...new Set(rows.split('\n').filter(Boolean).map((t) => monthOf(Number(t))))].sort();
}
function indexMonths(doc) {
  return doc.entries.map((e) => /\/sitemaps\/articles-(\d{4}-\d{2})\.xml$/.exec(e.loc)?.[1])
    .filter(Boolean).sort();
}

test('robots.txt allows the site, keeps crawlers out of private paths and names the index', async () => {
  const r = await get(`${srv.url}/robots.txt`);
  const body = await r.text();
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
  const lines = body.split('\n');
  assert.equal(lines[0], 'User-agent: *');
  assert.ok(lines.includes('Allow: /'));
  for (const path of ['/newsroom', '/account', '/login', '/register', '/reset', '/search', '/ads/', '/stripe/'])
    assert.ok(lines.includes(`Disallow: ${path}`), path);
  assert.ok(lines.includes(`Sitemap: ${srv.url}/sitemap.xml`), body);
  assert.ok(!lines.includes('Disallow: /'), 'the site itself is allowed');
});

test('the index lists the months of published articles, and only those', async () => {
  const published = article({ at: utc(2019, 3, 10, 12) });
  article({ state: 'draft', at: utc(2018, 1, 5) });
  article({ state: 'scheduled', at: utc(2031, 5, 5) });
  article({ state: 'unpublished', at: utc(2017, 7, 5) });
  article({ state: 'review', at: utc(2016, 9, 5) });
  assert.ok(published);
  const doc = await until(async () => {
    const d = await xml('/sitemap.xml');
    return indexMonths(d).includes('2019-03') ? d : null;
  });
  assert.equal(doc.root, `{${SITEMAP_NS}}sitemapindex`);
  assert.deepEqual(indexMonths(doc), publishedMonths());
  for (const month of ['2018-01', '2031-05', '2017-07', '2016-09'])
    assert.ok(!indexMonths(doc).includes(month), month);
  for (const name of ['sections.xml', 'publications.xml', 'news.xml'])
    assert.ok(locs(doc).includes(`${srv.url}/sitemaps/${name}`), name);
  for (const loc of locs(doc)) assert.ok(loc.startsWith(`${srv.url}/sitemaps/`), loc);
  // each month's lastmod: the newest update among its published articles
  const entry = doc.entries.find((e) => e.loc.endsWith('/articles-2019-03.xml'));
  const newest = Number(q(`SELECT max(CASE WHEN updated_at > published_at THEN updated_at ELSE published_at END)
    FROM articles WHERE state = 'published' AND published_at >= ${utc(2019, 3)} AND published_at < ${utc(2019, 4)}`));
  assert.equal(entry.lastmod, rfc3339(newest));
  // every month the index names answers, and lists something
  for (const loc of locs(doc).filter((l) => /articles-/.test(l))) {
    const m = await xml(loc.slice(srv.url.length));
    assert.ok(m.entries.length > 0, loc);
  }
});

test("a month's sitemap lists exactly its published articles, in order, with their lastmod", async () => {
  const first = article({ at: utc(2015, 5, 1, 0, 0, 0), updated: utc(2015, 5, 2) });
  const same1 = article({ at: utc(2015, 5, 20), updated: utc(2015, 6, 1, 8, 30) });
  const same2 = article({ at: utc(2015, 5, 20) }); // same time: by id
  const last = article({ at: utc(2015, 5, 31, 23, 59, 59), updated: utc(2015, 5, 1) });
  article({ at: utc(2015, 6, 1, 0, 0, 0) }); // June
  article({ at: utc(2015, 4, 30, 23, 59, 59) }); // April
  article({ state: 'draft', at: utc(2015, 5, 10) });
  article({ state: 'unpublished', at: utc(2015, 5, 12) });
  const doc = await until(async () => {
    if (await status('/sitemaps/articles-2015-05.xml') !== 200) return null;
    const d = await xml('/sitemaps/articles-2015-05.xml');
    return d.entries.length === 4 ? d : null;
  });
  assert.equal(doc.root, `{${SITEMAP_NS}}urlset`);
  assert.deepEqual(locs(doc), [first, same1, same2, last].map(url));
  assert.deepEqual(doc.entries.map((e) => e.lastmod), [
    rfc3339(utc(2015, 5, 2)), rfc3339(utc(2015, 6, 1, 8, 30)), rfc3339(utc(2015, 5, 20)),
    rfc3339(utc(2015, 5, 31, 23, 59, 59)), // updated before it was published: its publication
  ]);
  // HEAD answers as GET does
  const head = await fetch(`${srv.url}/sitemaps/articles-2015-05.xml`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-type'), 'application/xml; charset=utf-8');
  // a request with headers of its own (a stale session cookie, which the answer clears) gets
  // the same XML: nothing is spliced into a sitemap
  const personal = await get(`${srv.url}/sitemaps/articles-2015-05.xml`, { headers: { Cookie: 'bs_session=stale' } });
  assert.match(personal.headers.get('set-cookie') ?? '', /^bs_session=;/);
  assert.equal(personal.headers.get('content-type'), 'application/xml; charset=utf-8');
  assert.deepEqual(locs(parseXml(await personal.text())), [first, same1, same2, last].map(url));
});

test('malformed names, empty months and parts past the end are 404', async () => {
  article({ at: utc(2013, 2, 14) });
  await until(async () => (await status('/sitemaps/articles-2013-02.xml')) === 200);
  for (const name of ['articles-2013-02-2.xml', 'articles-2013-02-1.xml', 'articles-2013-2.xml',
    'articles-2013-13.xml', 'articles-2013-00.xml', 'articles-1969-12.xml', 'articles-2012-02.xml',
    'articles-2013-02.xml.gz', 'articles-2013-02-02.xml', 'authors-0.xml', 'authors-01.xml',
    'authors-999.xml', 'tags-999.xml', 'nothing.xml', 'news.json', 'articles-2013-02-x.xml'])
    assert.equal(await status(`/sitemaps/${name}`), 404, name);
  assert.equal(await status('/sitemaps'), 404);
  assert.equal(await status('/sitemap.xml/extra'), 404);
});

test('an unpublished article leaves its month at once, and the index when it was the last; a new one joins', async () => {
  const only = article({ at: utc(2012, 8, 8) });
  await until(async () => indexMonths(await xml('/sitemap.xml')).includes('2012-08'));
  assert.deepEqual(locs(await xml('/sitemaps/articles-2012-08.xml')), [url(only)]);
  // both are cached now: the next reads are hits
  const hits = async () => {
    const text = await (await fetch(srv.metricsUrl)).text();
    return Number(/^broadsheet_cache_hits_total\{cache="pages"\} (\d+)/m.exec(text)[1]);
  };
  // (a page rendered after the insert's commit but before the tick that follows the change log
  // is dropped by that tick, and a render is not kept when an invalidation happened while it
  // ran (cache.h): so the reads are tried again until both are hits)
  await until(async () => {
    const h0 = await hits();
    await xml('/sitemaps/articles-2012-08.xml');
    await xml('/sitemap.xml');
    return await hits() - h0 === 2;
  }, { ms: 10_000 });

  const second = article({ at: utc(2012, 8, 20) });
  await until(async () => locs(await xml('/sitemaps/articles-2012-08.xml')).length === 2);
  assert.deepEqual(locs(await xml('/sitemaps/articles-2012-08.xml')), [url(only), url(second)]);

  q(`UPDATE articles SET state = 'unpublished' WHERE slug IN (${lit(only)}, ${lit(second)})`);
  await until(async () => (await status('/sitemaps/articles-2012-08.xml')) === 404);
  const doc = await xml('/sitemap.xml');
  assert.ok(!indexMonths(doc).includes('2012-08'));
  assert.deepEqual(indexMonths(doc), publishedMonths());
});

test('the news sitemap: the last 48 hours, escaped headlines, the site as publication', async () => {
  const t = now();
  const tricky = 'Q&A: <Senate> vs. "House" — Zürich’s 東京 deal & more';
  const recent = article({ at: t - 3600, headline: tricky });
  const older = article({ at: t - 47 * 3600, headline: 'Still news' });
  const stale = article({ at: t - 49 * 3600, headline: 'Old news' });
  const draft = article({ state: 'draft', at: t - 600, headline: 'Draft news' });
  const doc = await until(async () => {
    const d = await xml('/sitemaps/news.xml');
    return locs(d).includes(url(recent)) ? d : null;
  });
  assert.equal(doc.root, `{${SITEMAP_NS}}urlset`);
  const expected = q(`SELECT slug FROM articles WHERE state = 'published' AND published_at > ${now() - 48 * 3600}
    AND published_at <= ${now()} ORDER BY published_at DESC, id DESC`).split('\n').filter(Boolean);
  assert.deepEqual(locs(doc), expected.map(url));
  assert.ok(locs(doc).includes(url(older)));
  for (const slug of [stale, draft]) assert.ok(!locs(doc).includes(url(slug)), slug);
  const item = doc.entries.find((e) => e.loc === url(recent));
  assert.deepEqual(item.news, { name: HOST_NAME, language: 'en', date: rfc3339(t - 3600), title: tricky });
  // the raw text escapes the markup characters and keeps UTF-8 as it is
  const raw = await (await get(`${srv.url}/sitemaps/news.xml`)).text();
  assert.ok(raw.includes('Q&amp;A: &lt;Senate&gt; vs. &quot;House&quot; — Zürich’s 東京 deal &amp; more'), raw);
});

test('a cached news sitemap loses an article within about a minute of its 48 hours', { timeout: 120_000 }, async () => {
  const edge = article({ at: now() - 48 * 3600 + 4, headline: 'About to age out' });
  await until(async () => locs(await xml('/sitemaps/news.xml')).includes(url(edge)));
  // nothing is written from here on: only the clock takes it out (the app's tick drops
  // clock:minute pages as each minute begins)
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const gone = await until(async () => !locs(await xml('/sitemaps/news.xml')).includes(url(edge)),
    { ms: 75_000, every: 500 });
  assert.ok(gone);
});

test('sections, publications, authors and tags sitemaps follow their lists', async () => {
  const sections = await xml('/sitemaps/sections.xml');
  const sectionSlugs = q('SELECT slug FROM sections ORDER BY position, id').split('\n');
  assert.equal(locs(sections)[0], `${srv.url}/`);
  assert.deepEqual(new Set(locs(sections).slice(1)), new Set(sectionSlugs.map((s) => `${srv.url}/sections/${s}`)));
  const pubs = await xml('/sitemaps/publications.xml');
  const pubSlugs = q('SELECT slug FROM publications').split('\n');
  assert.deepEqual(new Set(locs(pubs)), new Set(pubSlugs.map((s) => `${srv.url}/publications/${s}`)));

  for (const [table, kind] of [['authors', 'authors'], ['tags', 'tags']]) {
    q(`INSERT INTO ${table} (slug, name, created_at) VALUES ('sm-${kind}-one', 'One', ${now()})`);
    const id = q(`SELECT id FROM ${table} WHERE slug = 'sm-${kind}-one'`);
    const part = Math.floor((Number(id) - 1) / 50000) + 1;
    const file = `/sitemaps/${kind}-${part}.xml`;
    await until(async () => locs(await xml('/sitemap.xml')).includes(`${srv.url}${file}`));
    const all = () => q(`SELECT slug FROM ${table} WHERE id >= ${(part - 1) * 50000 + 1} AND id <= ${part * 50000} ORDER BY id`)
      .split('\n').filter(Boolean).map((s) => `${srv.url}/${kind}/${s}`);
    assert.deepEqual(locs(await xml(file)), all());
    q(`UPDATE ${table} SET slug = 'sm-${kind}-renamed' WHERE id = ${id}`);
    await until(async () => locs(await xml(file)).includes(`${srv.url}/${kind}/sm-${kind}-renamed`));
    assert.deepEqual(locs(await xml(file)), all());
    q(`DELETE FROM ${table} WHERE id = ${id}`);
    await until(async () => {
      const empty = all().length === 0;
      if (empty) return (await status(file)) === 404 && !locs(await xml('/sitemap.xml')).includes(`${srv.url}${file}`);
      return !locs(await xml(file)).includes(`${srv.url}/${kind}/sm-${kind}-renamed`);
    });
  }
});
