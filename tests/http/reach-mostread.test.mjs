// The "Most read" box (issue 12; src/most_read.c, docs/architecture.md "Most read"), on the
// backend tests/lib/server.mjs picks (PostgreSQL when BROADSHEET_TEST_PG_DIR is set):
//
//   - views of articles in different numbers → after the flush and refresh (a second here:
//     most_read_refresh_seconds 1) the box lists them, most read first, on the home page and on
//     article pages, headlines escaped; before any view there is no box;
//   - the pages stay in the page cache while the box changes (/metrics: hits, no misses), and
//     the ETag changes with the box (a stale one gets 200, the current one 304);
//   - HEAD reads no page and counts no view; an unpublished article leaves at the next refresh;
//   - between refreshes (most_read_refresh_seconds 3600) the box follows the change log: an
//     edited headline and an unpublished article in the box change it within a tick or two;
//   - a signed-in reader's personal page carries the same box beside their own account links;
//   - the views are in article_views, per hour, and nothing about a reader is.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, tmpDir, freshDatabase } from '../lib/server.mjs';
import { sql, addUser, freshEmail, Client } from '../lib/accounts.mjs';
import { scrape, value } from '../lib/metrics.mjs';
import { get, poll, decodeEntities } from '../lib/util.mjs';

let srv;

before(async () => {
  srv = await startServer({ metrics: true, args: ['--most-read-refresh-seconds', '1'] });
});
after(async () => { await srv?.stop(); });

// The box in html: [{href, headline}] in order, or null when the page has none.
function box(html) {
  const m = /<!--most-read-->([\s\S]*?)<!--\/most-read-->/.exec(html);
  assert.ok(m, 'the page has the most-read markers');
  if (!m[1].trim()) return null;
  assert.match(m[1], /<h2 class="most-read-heading"[^>]*>Most read<\/h2>/);
  return [...m[1].matchAll(/<li class="most-read-item"><a href="([^"]*)">([^<]*)<\/a><\/li>/g)]
    .map(([, href, headline]) => ({ href, headline }));
}

async function page(path, init = {}) {
  const res = await get(`${srv.url}${path}`, init);
  return { res, body: await res.text() };
}

async function views(path, n) {
  for (let i = 0; i < n; i++) {
    const { res } = await page(path);
    assert.equal(res.status, 200);
  }
}

// The home page's box once its first entries are `want` (hrefs), within a few refreshes.
async function boxBecomes(path, want) {
  let last;
  const ok = await poll(async () => {
    last = box((await page(path)).body);
    return last && want.every((href, i) => last[i]?.href === href);
  }, { ms: 15_000, every: 200 });
  assert.ok(ok, `box on ${path}: ${JSON.stringify(last)}; want ${JSON.stringify(want)}`);
  return last;
}

// The demo's article paths from the home page, in page order.
async function articlePaths() {
  const { body } = await page('/');
  return [...new Set([...body.matchAll(/href="(\/articles\/[^"]+)"/g)].map((m) => m[1]))];
}

test('views in different numbers make the box, most read first, on the home and article pages', { timeout: 60_000 }, async () => {
  const first = await page('/');
  assert.equal(box(first.body), null, 'no box before any view');
  assert.doesNotMatch(first.res.headers.get('etag'), /-mr/);

  const paths = await articlePaths();
  assert.ok(paths.length >= 5, 'the demo home page links five articles');
  const [a, b, c, d] = paths;
  await views(a, 2);
  await views(b, 5);
  await views(c, 3);
  // HEAD reads no page: not a view (else a would pass c)
  for (let i = 0; i < 4; i++) {
    const res = await get(`${srv.url}${a}`, { method: 'HEAD' });
    assert.equal(res.status, 200);
  }
  const shown = await boxBecomes('/', [b, c, a]);
  assert.equal(shown.length, 3, 'only articles that were read');
  const title = (path) =>
    sql(srv.db, `SELECT headline FROM articles WHERE slug = '${path.slice(10)}'`).trim();
  assert.deepEqual(shown.map((x) => decodeEntities(x.headline)), [b, c, a].map(title));

  // The article pages carry the same box (d's own page, which was never read before).
  const art = await page(d);
  assert.equal(art.res.status, 200);
  assert.deepEqual(box(art.body).map((x) => x.href), [b, c, a]);
  // The counts are in the table, per hour (d's view may be there too by now, or not yet).
  const counted = (path) => sql(srv.db, 'SELECT coalesce(sum(v.views), 0) FROM article_views v ' +
    `JOIN articles a ON a.id = v.article_id WHERE a.slug = '${path.slice(10)}'`).trim();
  assert.deepEqual([a, b, c].map(counted), ['2', '5', '3']);
  const cols = sql(srv.db, isPgDb() ?
    "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'article_views'" :
    "SELECT group_concat(name, ',') FROM pragma_table_info('article_views')").trim();
  assert.equal(cols, 'hour,article_id,views', 'nothing about a reader is kept');
});

function isPgDb() { return /^postgres(ql)?:\/\//.test(srv.db); }

test('the pages stay cached while the box changes, and the ETag follows the box', { timeout: 60_000 }, async () => {
  const paths = await articlePaths();
  const [a, , , , e] = paths;
  await views(a, 1);
  assert.ok(await poll(async () => box((await page('/')).body), { ms: 15_000, every: 200 }),
    'a box on the home page');
  // The current ETag: 304, no body. The box is made again every second here, and a's view
  // above may land in it between the two requests (a new box, a new ETag, rightly a 200): the
  // pair is asked again until the box stayed the same across it.
  let before, etag1, same;
  assert.ok(await poll(async () => {
    before = await page('/');
    etag1 = before.res.headers.get('etag');
    same = await get(`${srv.url}/`, { headers: { 'If-None-Match': etag1 } });
    return same.status === 304 || same.headers.get('etag') === etag1;
  }, { ms: 15_000, every: 200 }), 'the box kept changing');
  assert.match(etag1, /^"[0-9a-f]{16}(-gz)?-mr[0-9a-f]{16}"$/);
  assert.equal(before.res.headers.get('cache-control'), 'no-cache');
  assert.equal(same.status, 304, 'the current ETag is not modified');
  assert.equal(same.headers.get('etag'), etag1);

  const m0 = await scrape(srv.metricsUrl);
  await views(e, 9); // e now leads
  await boxBecomes('/', [e]);
  const after1 = await page('/');
  const m1 = await scrape(srv.metricsUrl);
  const d = (name) => value(m1, name, { cache: 'pages' }) - value(m0, name, { cache: 'pages' });
  // e's page: one miss, then hits; the home page: hits only, across the refreshes.
  assert.equal(d('broadsheet_cache_misses_total'), 1, 'only e\'s page was rendered');
  assert.ok(d('broadsheet_cache_hits_total') >= 9, 'the pages came from the cache');
  const etag2 = after1.res.headers.get('etag');
  assert.notEqual(etag2, etag1, 'the ETag changed with the box');
  assert.equal(etag2.replace(/-mr.*/, ''), etag1.replace(/-mr.*/, ''), 'the page itself did not change');
  const stale = await get(`${srv.url}/`, { headers: { 'If-None-Match': etag1 } });
  assert.equal(stale.status, 200);
  assert.equal(box(await stale.text())[0].href, e);
  const fresh = await get(`${srv.url}/`, { headers: { 'If-None-Match': etag2 } });
  assert.equal(fresh.status, 304);
  // Repeated responses are one, gzip or not (past the first few of a box they are the page's
  // filled variant, entity_filled; tests/unit/test_most_read.c compares it with the parts).
  for (const encoding of ['gzip', 'identity']) {
    const seen = new Set();
    for (let i = 0; i < 5; i++) {
      const res = await get(`${srv.url}/`, { headers: { 'Accept-Encoding': encoding } });
      seen.add(`${res.headers.get('etag')} ${res.headers.get('content-encoding')} ${await res.text()}`);
    }
    assert.equal(seen.size, 1, `five ${encoding} responses are one`);
  }
});

test('an unpublished article leaves the box; headlines are escaped', { timeout: 60_000 }, async () => {
  const paths = await articlePaths();
  const [, b, , , e] = paths;
  await views(e, 12);
  await views(b, 1);
  await boxBecomes('/', [e]);
  const slug = (p) => p.slice('/articles/'.length);
  sql(srv.db, `UPDATE articles SET headline = 'Fish & <Chips> "today"' WHERE slug = '${slug(b)}'`);
  sql(srv.db, `UPDATE articles SET state = 'unpublished' WHERE slug = '${slug(e)}'`);
  let last;
  const ok = await poll(async () => {
    last = (await page('/')).body;
    const list = box(last);
    return list && !list.some((x) => x.href === e) && list.some((x) => x.href === b &&
      x.headline === 'Fish &amp; &lt;Chips&gt; &quot;today&quot;');
  }, { ms: 15_000, every: 200 });
  assert.ok(ok, `the box after the unpublish and the edit: ${JSON.stringify(box(last))}`);
  assert.doesNotMatch(last, /<Chips>/);
  // The unpublished article's own page is gone too, within a tick of the change log: the box
  // may have been made again in the very tick whose read of the change log came before the
  // unpublish was committed.
  const status = async () => (await get(`${srv.url}${e}`)).status;
  assert.equal(await poll(async () => (await status()) === 404, { ms: 5000, every: 50 }), true,
    `${e} is still served after the unpublish`);
});

test('between its refreshes the box follows an edit and an unpublish of its articles', { timeout: 60_000 }, async () => {
  // Views already in the database, so that the first refresh (the first tick) fills the box;
  // the next periodic one is an hour away: only the change log can change the box in this test.
  const dir = tmpDir();
  const db = freshDatabase(dir);
  let s = await startServer({ db });
  const home = await (await get(`${s.url}/`)).text();
  await s.stop();
  const [p1, p2] = [...new Set([...home.matchAll(/href="(\/articles\/[^"]+)"/g)].map((m) => m[1]))];
  const slug = (p) => p.slice('/articles/'.length);
  const hour = Math.floor(Date.now() / 3_600_000) * 3600;
  for (const [p, views] of [[p1, 9], [p2, 4]]) {
    sql(db, `INSERT INTO article_views (hour, article_id, views) SELECT ${hour}, id, ${views} FROM articles WHERE slug = '${slug(p)}'`);
  }
  s = await startServer({ db, demo: false, args: ['--most-read-refresh-seconds', '3600'] });
  try {
    const boxOf = async (path) => box(await (await get(`${s.url}${path}`)).text());
    let last;
    const becomes = async (want, what) => {
      const ok = await poll(async () => {
        last = await boxOf(p2);
        return JSON.stringify(last?.map((x) => x.headline)) === JSON.stringify(want);
      }, { ms: 5000, every: 100 });
      assert.ok(ok, `${what}: the box is ${JSON.stringify(last)}; want ${JSON.stringify(want)}`);
    };
    const headline = (p) => sql(db, `SELECT headline FROM articles WHERE slug = '${slug(p)}'`);
    await becomes([headline(p1), headline(p2)], 'from the database at the first tick');
    // an edit of an article in the box
    sql(db, `UPDATE articles SET headline = 'Second story, edited' WHERE slug = '${slug(p2)}'`);
    await becomes([headline(p1), 'Second story, edited'], 'after the edit');
    sql(db, `UPDATE articles SET state = 'unpublished' WHERE slug = '${slug(p1)}'`);
    await becomes(['Second story, edited'], 'after the unpublish');
  } finally {
    await s.stop();
  }
});

test('a signed-in reader\'s own page has the same box, and stays private', { timeout: 60_000 }, async () => {
  const anonymous = box((await page('/')).body);
  assert.ok(anonymous && anonymous.length, 'a box by now');
  const email = freshEmail('mostread');
  const password = 'most read correct horse';
  addUser(srv.db, email, password, { name: 'Box Reader' });
  const client = new Client(srv.url);
  await client.signIn(email, password);
  const r = await client.get('/');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cache-control'), 'private, no-store');
  assert.match(r.body, /Box Reader/, 'the reader\'s own account links');
  assert.deepEqual(box(r.body), box((await page('/')).body));
  const art = await client.get(anonymous[0].href);
  assert.equal(art.status, 200);
  assert.deepEqual(box(art.body).map((x) => x.href).slice(0, 1), [anonymous[0].href]);
});
