// Issue 12, "Tests and performance": a newsroom of 20,000 generated articles (bench/gen-articles,
// the generator of bench/scale: ten years of dated articles over the demo's publications and
// sections, a mix of free, metered and subscribers-only), imported with the CLI while the server
// runs; then the first and the last page of a section, a search, and a monthly sitemap are all
// answered, and say what the database says. Runs on SQLite, and on PostgreSQL with
// BROADSHEET_TEST_PG_DIR.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, runCli, tmpDir } from '../lib/server.mjs';
import { startQuietServer, Client, sql } from '../lib/accounts.mjs';

const COUNT = 20_000;
const SECTION = 'security';
const PAGE = 30; // a section's page (src/page_section.c)

let srv;
let dir;
const q = (statement) => sql(srv.db, statement);

before(async () => {
  dir = tmpDir('broadsheet-scale-');
  const set = path.join(dir, 'set');
  const gen = spawnSync('python3', [path.join(repoRoot, 'bench', 'gen-articles'), String(COUNT), set,
    '--access', 'mix', '--prefix', 's', '--jobs', '2',
    // many articles, not long ones: this is about lists, pages and the index, and a tenth of
    // the words imports in a third of the time
    '--words', '60-90'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(gen.status, 0, `gen-articles: ${gen.stderr}`);
  srv = await startQuietServer({ args: ['--search-rate-limit', '0'] });
  const imported = runCli(['article', 'import', set, '--db', srv.db, '--batch', '5000'], { timeout: 600_000 });
  assert.equal(imported.status, 0, imported.stderr);
  assert.ok(Number(q('SELECT count(*) FROM articles')) >= COUNT);
}, { timeout: 900_000 });

after(async () => {
  await srv?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cardSlugs = (html) =>
  [...html.matchAll(/<h3 class="card-headline"><a href="\/articles\/([^"]+)"/g)].map((m) => m[1]);

test('20,000 articles: the first and the last page of a section', { timeout: 120_000 }, async () => {
  const sectionId = q(`SELECT id FROM sections WHERE slug = '${SECTION}'`);
  const total = Number(q(`SELECT count(*) FROM articles WHERE state = 'published' AND section_id = ${sectionId}`));
  assert.ok(total > 3000, `only ${total} articles in the section`);
  const newest = q(`SELECT slug FROM articles WHERE state = 'published' AND section_id = ${sectionId}
    ORDER BY published_at DESC, id DESC LIMIT ${PAGE}`).split('\n');
  const c = new Client(srv.url);
  const first = await c.get(`/sections/${SECTION}`);
  assert.equal(first.status, 200);
  assert.deepEqual(cardSlugs(first.body), newest);
  // The last page starts after the article that ends the page before it.
  const lastStart = Math.floor((total - 1) / PAGE) * PAGE;
  const cursor = q(`SELECT id FROM articles WHERE state = 'published' AND section_id = ${sectionId}
    ORDER BY published_at DESC, id DESC LIMIT 1 OFFSET ${lastStart - 1}`);
  const oldest = q(`SELECT slug FROM articles WHERE state = 'published' AND section_id = ${sectionId}
    ORDER BY published_at DESC, id DESC LIMIT ${PAGE} OFFSET ${lastStart}`).split('\n');
  const last = await c.get(`/sections/${SECTION}/before/${cursor}`);
  assert.equal(last.status, 200);
  assert.deepEqual(cardSlugs(last.body), oldest);
  assert.ok(!/rel="next"/.test(last.body), 'the last page links a next one');
  assert.match(last.body, /rel="prev"/);
  // and past it: 404
  const end = q(`SELECT id FROM articles WHERE slug = '${oldest[oldest.length - 1]}'`);
  assert.equal((await c.get(`/sections/${SECTION}/before/${end}`)).status, 404);
});

test('20,000 articles: a search is answered, ranked and paged, with what readers may see', { timeout: 120_000 }, async () => {
  const c = new Client(srv.url);
  // A word of the generator's vocabulary that many articles share, and a rarer pair.
  for (const query of ['senate', 'proposal', '"contested deal"', 'framew*']) {
    const r = await c.get(`/search?q=${encodeURIComponent(query)}`);
    assert.equal(r.status, 200, `${query}: ${r.status}`);
    const results = [...r.body.matchAll(/<li class="search-result">/g)].length;
    assert.ok(results > 0 && results <= 20, `${query}: ${results} results on the first page`);
  }
  const second = await c.get('/search?q=proposal&page=2');
  assert.equal(second.status, 200);
  assert.ok([...second.body.matchAll(/<li class="search-result">/g)].length > 0);
});

test('20,000 articles: a monthly sitemap lists exactly the month\'s published articles', { timeout: 120_000 }, async () => {
  const from = Date.UTC(2019, 5, 1) / 1000;
  const to = Date.UTC(2019, 6, 1) / 1000;
  const want = Number(q(`SELECT count(*) FROM articles WHERE state = 'published' AND published_at >= ${from} AND published_at < ${to}`));
  assert.ok(want > 100, `only ${want} articles in June 2019`);
  const c = new Client(srv.url);
  const index = await c.get('/sitemap.xml');
  assert.equal(index.status, 200);
  assert.match(index.body, /\/sitemaps\/articles-2019-06\.xml</);
  const r = await c.get('/sitemaps/articles-2019-06.xml');
  assert.equal(r.status, 200);
  assert.equal([...r.body.matchAll(/<loc>[^<]*\/articles\/[^<]+<\/loc>/g)].length, want);
});
