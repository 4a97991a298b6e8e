// The page cache under edits: an article changed by another process (the CLI) re-renders its
// own page, the home page, its section's and its publication's pages, and nothing else (read
// from /metrics: every other page is still a hit), within a few ticks; a section renamed
// re-renders every page (the navigation shows it); shared pages carry their cache tags as
// Surrogate-Key and Cache-Tag, personal ones none.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runCli, startServer, tmpDir, demoDir } from '../lib/server.mjs';
import { get, poll } from '../lib/util.mjs';
import { sql } from '../lib/accounts.mjs';

let dir;
before(() => { dir = tmpDir('broadsheet-cache-'); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// The demo's articles: file, slug, access, publication and section slugs.
const ARTICLES = readdirSync(path.join(demoDir, 'articles')).filter((f) => f.endsWith('.md'))
  .map((f) => {
    const file = path.join(demoDir, 'articles', f);
    const text = readFileSync(file, 'utf8');
    const field = (k) => (text.match(new RegExp(`^${k}:\\s*(.*)$`, 'm')) || [])[1]?.trim();
    return { file, text, slug: field('slug'), access: field('access'),
      publication: field('publication'), section: field('section') };
  });
const FREE = ARTICLES.filter((a) => a.access === 'free');
const SECTIONS = [...new Set(ARTICLES.map((a) => a.section))];
const PUBLICATIONS = [...new Set(ARTICLES.map((a) => a.publication))];

// Prometheus text: the value of the sample `name{labels}` (labels as written, in order).
async function metric(port, sample) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  }
  throw new Error(`no sample ${sample} in /metrics:\n${text}`);
}
const HITS = 'broadsheet_cache_hits_total{cache="pages"}';
const MISSES = 'broadsheet_cache_misses_total{cache="pages"}';

// Every shared page of the demo that an anonymous reader gets from the cache as it is.
function sharedPages() {
  return ['/', ...SECTIONS.map((s) => `/sections/${s}`),
    ...PUBLICATIONS.map((p) => `/publications/${p}`),
    ...FREE.map((a) => `/articles/${a.slug}`)];
}

async function fetchAll(base, paths) {
  for (const p of paths) {
    const r = await get(base + p);
    assert.equal(r.status, 200, p);
    await r.arrayBuffer();
  }
}

test('an edit from another process re-renders exactly the pages that show the article',
  { timeout: 90_000 }, async () => {
    const metricsPort = await freePort();
    const srv = await startServer({ args: ['--metrics-address', `127.0.0.1:${metricsPort}`] });
    try {
      const pages = sharedPages();
      await fetchAll(srv.url, pages); // renders and caches each
      const hits0 = await metric(metricsPort, HITS);
      const misses0 = await metric(metricsPort, MISSES);
      await fetchAll(srv.url, pages);
      assert.equal(await metric(metricsPort, HITS) - hits0, pages.length, 'all cached');
      assert.equal(await metric(metricsPort, MISSES), misses0, 'nothing rendered again');

      // Edit one free article with the CLI: same slug, new headline.
      const edited = FREE[0];
      const headline = 'Cache Test: An Edited Headline Reaches Its Pages';
      const file = path.join(dir, 'edit.md');
      writeFileSync(file, edited.text.replace(/^headline:.*$/m, `headline: ${headline}`));
      const r = runCli(['article', 'import', '--db', srv.db, file]);
      assert.equal(r.status, 0, r.stderr);
      const showing = [`/articles/${edited.slug}`, '/', `/sections/${edited.section}`,
        `/publications/${edited.publication}`];
      for (const p of showing) {
        await poll(async () => (await (await get(srv.url + p)).text()).includes(headline),
          { ms: 5000, every: 20 });
      }
      // Each of those four was rendered once more; every other page is still a hit.
      const hits1 = await metric(metricsPort, HITS);
      const misses1 = await metric(metricsPort, MISSES);
      await fetchAll(srv.url, pages.filter((p) => !showing.includes(p)));
      assert.equal(await metric(metricsPort, MISSES), misses1,
        'a page that does not show the edited article was rendered again');
      assert.equal(await metric(metricsPort, HITS) - hits1, pages.length - showing.length);
      const invalidated = await metric(metricsPort,
        'broadsheet_cache_invalidations_total{cache="pages"}');
      assert.equal(invalidated, showing.length, 'exactly the four pages were dropped');
    } finally {
      await srv.stop();
    }
  });

test('renaming a section re-renders every page: the navigation shows it', { timeout: 60_000 },
  async () => {
    const metricsPort = await freePort();
    const srv = await startServer({ args: ['--metrics-address', `127.0.0.1:${metricsPort}`] });
    try {
      const pages = sharedPages();
      await fetchAll(srv.url, pages);
      // No command renames a section yet (the newsroom will): another process's write to the
      // database is seen the same way.
      sql(srv.db, `UPDATE sections SET name = 'Renamed Desk' WHERE slug = '${SECTIONS[0]}'`);
      await poll(async () => (await (await get(srv.url + '/')).text()).includes('Renamed Desk'),
        { ms: 5000, every: 20 });
      const misses = await metric(metricsPort, MISSES);
      await fetchAll(srv.url, pages.slice(1));
      assert.equal(await metric(metricsPort, MISSES) - misses, pages.length - 1);
    } finally {
      await srv.stop();
    }
  });

test('shared pages carry their cache tags as Surrogate-Key and Cache-Tag', async () => {
  const srv = await startServer();
  try {
    // The tags in sorted order (a page names them as it reads, in no promised order).
    const keys = (r) => (r.headers.get('surrogate-key') || '').split(' ').sort().join(' ');
    const home = await get(srv.url + '/');
    assert.equal(keys(home), 'list:all nav');
    assert.equal(home.headers.get('cache-tag'), home.headers.get('surrogate-key').replace(' ', ','));
    const section = await get(`${srv.url}/sections/${SECTIONS[0]}`);
    assert.match(keys(section), /^list:section:\d+ nav$/);
    const pub = await get(`${srv.url}/publications/${PUBLICATIONS[0]}`);
    assert.match(keys(pub), /^list:publication:\d+ nav$/);
    // A 304 carries them too (a CDN revalidating keeps its tags). The page's ETag names the
    // most-read box in it, so a box made between the two requests (the server's first, a moment
    // after it starts) changes it: then the pair is asked again.
    let article;
    let again;
    for (let tries = 0; tries < 3; tries++) {
      article = await get(`${srv.url}/articles/${FREE[0].slug}`);
      again = await get(`${srv.url}/articles/${FREE[0].slug}`,
        { headers: { 'If-None-Match': article.headers.get('etag') } });
      if (again.status === 304 || again.headers.get('etag') === article.headers.get('etag')) break;
    }
    assert.match(keys(article), /^article:\d+ nav$/);
    assert.equal(article.headers.get('cache-tag'),
      article.headers.get('surrogate-key').replace(' ', ','));
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('surrogate-key'), article.headers.get('surrogate-key'));
    // A personal response (an anonymous reader's first metered article sets the meter and says
    // how many are left) is private and names no key.
    const metered = ARTICLES.find((a) => a.access === 'metered');
    const personal = await get(`${srv.url}/articles/${metered.slug}`);
    assert.equal(personal.status, 200);
    assert.match(personal.headers.get('cache-control'), /private/);
    assert.equal(personal.headers.get('surrogate-key'), null);
    assert.equal(personal.headers.get('cache-tag'), null);
  } finally {
    await srv.stop();
  }
});
