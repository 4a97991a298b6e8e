// Readers' search (issue 12, "Search"): /search?q=… on the demo newsroom plus a few articles of
// this test's own, imported with `article import`: ranking (headline before body), phrases,
// prefixes, filters (section, publication, dates), snippets with <mark> and escaped text
// (`<` and `&` in a headline and a body), paging (20 a page, capped at 50 pages), the paywall's
// rule (a word only in a withheld paragraph neither matches nor shows for an anonymous reader,
// and does for a subscriber), an unpublished article gone at once, an edit found at once,
// `search reindex`, `db copy` rebuilding the index on its target, and hostile queries that
// answer 200 or 400, never 500. Runs on both backends (tests/lib/server.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, runCli, tmpDir } from '../lib/server.mjs';
import { sql, isPg } from '../lib/accounts.mjs';
import { signedInReader, grant, PAYWALLED, withheld, leaks } from '../lib/paywall.mjs';
import { textOf, decodeEntities } from '../lib/util.mjs';

let srv;
let dir;

// An article file for `article import`.
function articleFile(name, { headline, dek = '', section = 'politics', publication = 'national-journal',
  published = '2020-01-15T12:00:00Z', access = 'free', slug, body }) {
  const text = `---\nheadline: ${headline}\ndek: ${dek}\npublication: ${publication}\n` +
    `section: ${section}\nbyline: Test Desk\npublished: ${published}\naccess: ${access}\n` +
    `slug: ${slug}\n---\n${body}\n`;
  writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
}

function importFiles(...files) {
  const r = runCli(['article', 'import', ...files, '--db', srv.db]);
  assert.equal(r.status, 0, `article import: ${r.stderr}`);
}

// GETs /search with these query arguments; {status, body, results: [{slug, headline, snippet}]}.
async function search(args, headers = {}) {
  const qs = new URLSearchParams(args).toString();
  const res = await fetch(`${srv.url}/search?${qs}`, { headers, redirect: 'manual' });
  return parsed(res.status, await res.text(), res.headers);
}

function parsed(status, body, headers) {
  const results = [...body.matchAll(/<li class="search-result">([\s\S]*?)<\/li>/g)].map((m) => ({
    slug: (m[1].match(/href="\/articles\/([^"]+)"/) || [])[1],
    headline: decodeEntities((m[1].match(/<a href="[^"]*">([\s\S]*?)<\/a>/) || [])[1] ?? ''),
    snippet: (m[1].match(/<p class="search-result-snippet">([\s\S]*?)<\/p>/) || [])[1] ?? '',
  }));
  const count = (body.match(/<p class="search-count">([^<]*)<\/p>/) || [])[1] ?? null;
  const message = (body.match(/<p class="search-message" role="alert">([^<]*)<\/p>/) || [])[1] ?? null;
  return { status, body, headers, results, count, message, slugs: results.map((r) => r.slug) };
}

const WITHHELD_WORD = 'quixotical';

before(async () => {
  // no search limit: this file runs hundreds of searches from one address in a minute (the
  // limit has its own test, reach-search-limit.test.mjs)
  srv = await startServer({ args: ['--search-rate-limit', '0'] });
  dir = tmpDir('broadsheet-search-');
  importFiles(
    articleFile('a.md', { slug: 'search-headline-heron', headline: 'Heron census finds more birds',
      body: 'Volunteers counted along the river.', published: '2020-01-10T12:00:00Z' }),
    articleFile('b.md', { slug: 'search-body-heron', headline: 'River report',
      body: 'A heron stood motionless beside the weir.', published: '2020-02-10T12:00:00Z', section: 'energy' }),
    articleFile('c.md', { slug: 'search-escape', headline: 'Profits <rise> & fall at Smith & Sons',
      body: 'Analysts said a < b & c > d for the flamingo fund, as <script>alert(1)</script> showed.',
      published: '2020-03-10T12:00:00Z', publication: 'gsn', section: 'security' }),
    articleFile('d.md', { slug: 'search-withheld', headline: 'Quiet budget talks', access: 'metered',
      body: `The committee met on Tuesday about the pelican fund.\n\nA second paragraph.\n\nOnly here the ${WITHHELD_WORD} plan appears.`,
      published: '2020-04-10T12:00:00Z' }),
    articleFile('e.md', { slug: 'search-locked', headline: 'Members only briefing', access: 'subscribers',
      body: `Opening line about the pelican fund.\n\nThe ${WITHHELD_WORD} details follow.`,
      published: '2020-05-10T12:00:00Z' }),
  );
  // Enough articles for three pages of one word, each with its own date.
  const many = [];
  for (let i = 0; i < 45; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    many.push(articleFile(`m${i}.md`, { slug: `search-many-${i}`, headline: `Gazette note ${i}`,
      body: `The ibisword appears in note ${i}.`, published: `2019-${String(1 + (i % 12)).padStart(2, '0')}-${day}T08:00:00Z` }));
  }
  importFiles(...many);
});
after(async () => { await srv?.stop(); });

test('a word finds its articles, best first: a match in the headline before one in the body', async () => {
  const r = await search({ q: 'heron' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.slugs, ['search-headline-heron', 'search-body-heron']);
  assert.equal(r.count, '2 results');
  assert.match(r.headers.get('cache-control'), /no-store/);
  // Stemming: "herons" finds "heron".
  assert.deepEqual((await search({ q: 'herons' })).slugs, ['search-headline-heron', 'search-body-heron']);
});

test('phrases, prefixes and excluded words', async () => {
  assert.deepEqual((await search({ q: '"stood motionless"' })).slugs, ['search-body-heron']);
  assert.deepEqual((await search({ q: '"motionless stood"' })).slugs, []);
  assert.deepEqual((await search({ q: 'hero*' })).slugs.sort(), ['search-body-heron', 'search-headline-heron']);
  assert.deepEqual((await search({ q: 'heron -weir' })).slugs, ['search-headline-heron']);
  assert.deepEqual((await search({ q: '“stood motionless”' })).slugs, ['search-body-heron']);
});

test('filters: section, publication and dates, kept in the form', async () => {
  assert.deepEqual((await search({ q: 'heron', section: 'energy' })).slugs, ['search-body-heron']);
  assert.deepEqual((await search({ q: 'flamingo', publication: 'gsn' })).slugs, ['search-escape']);
  assert.deepEqual((await search({ q: 'flamingo', publication: 'national-journal' })).slugs, []);
  assert.deepEqual((await search({ q: 'heron', from: '2020-02-01' })).slugs, ['search-body-heron']);
  assert.deepEqual((await search({ q: 'heron', to: '2020-01-10' })).slugs, ['search-headline-heron']);
  const r = await search({ q: 'heron', section: 'energy', from: '2020-02-01' });
  assert.match(r.body, /<option value="energy" selected>/);
  assert.match(r.body, /<input type="date" id="search-from" name="from" value="2020-02-01">/);
  for (const [args, msg] of [[{ q: 'heron', section: 'nope' }, /no such section/],
    [{ q: 'heron', publication: 'nope' }, /no such publication/],
    [{ q: 'heron', from: '2020-02-30' }, /YYYY-MM-DD/], [{ q: 'heron', to: 'yesterday' }, /YYYY-MM-DD/],
    [{ q: 'heron', page: '0' }, /page 50/], [{ q: 'heron', page: '51' }, /page 50/],
    [{ q: 'heron', page: 'x' }, /page 50/]]) {
    const bad = await search(args);
    assert.equal(bad.status, 400, JSON.stringify(args));
    assert.match(bad.message ?? '', msg, JSON.stringify(args));
  }
});

test('snippets mark the match and escape the text; headlines with < and & come out right', async () => {
  const r = await search({ q: 'flamingo' });
  assert.equal(r.results.length, 1);
  const [hit] = r.results;
  assert.equal(hit.headline, 'Profits <rise> & fall at Smith & Sons');
  assert.match(r.body, /Profits &lt;rise&gt; &amp; fall at Smith &amp; Sons/);
  assert.match(hit.snippet, /<mark>flamingo<\/mark>/);
  assert.ok(hit.snippet.includes('a &lt; b &amp; c &gt; d'), hit.snippet);
  assert.ok(!/<script>/i.test(r.body.replace(/<script src="[^"]*" defer><\/script>/g, '')), 'raw <script> in the page');
  // The only tags in a snippet are <mark> and </mark>.
  assert.deepEqual([...hit.snippet.matchAll(/<\/?([a-z]+)/gi)].map((m) => m[1]).filter((t) => t !== 'mark'), []);
  // A word of the headline finds it too ("rise" between < and >).
  assert.deepEqual((await search({ q: 'rise sons' })).slugs, ['search-escape']);
});

test('a word only in a withheld paragraph: no match and no snippet for an anonymous reader; a match for a subscriber', async () => {
  const anonymous = await search({ q: WITHHELD_WORD });
  assert.equal(anonymous.status, 200);
  assert.deepEqual(anonymous.slugs, []);
  assert.ok(!anonymous.body.toLowerCase().includes(`<mark>${WITHHELD_WORD}`));
  // The visible part still matches, and its snippet holds nothing withheld.
  const visible = await search({ q: 'pelican' });
  assert.deepEqual(visible.slugs.sort(), ['search-locked', 'search-withheld']);
  for (const hit of visible.results) {
    assert.ok(!textOf(hit.snippet).includes(WITHHELD_WORD), hit.snippet);
    assert.ok(!textOf(hit.snippet).includes('second paragraph'), hit.snippet);
  }
  // Nor can an anonymous reader learn it by exclusion.
  assert.deepEqual((await search({ q: `pelican -${WITHHELD_WORD}` })).slugs.sort(), ['search-locked', 'search-withheld']);

  const { reader, email } = await signedInReader(srv, 'search');
  const before = await reader.request('GET', `/search?q=${WITHHELD_WORD}`);
  assert.deepEqual(parsed(before.status, before.body).slugs, [], 'not yet a subscriber');
  grant(srv.db, email);
  const r = await reader.request('GET', `/search?q=${WITHHELD_WORD}`);
  const hits = parsed(r.status, r.body);
  assert.deepEqual(hits.slugs.sort(), ['search-locked', 'search-withheld']);
  for (const hit of hits.results) assert.match(hit.snippet, new RegExp(`<mark>${WITHHELD_WORD}</mark>`, 'i'));
  const excluded = await reader.request('GET', `/search?q=pelican+-${WITHHELD_WORD}`);
  assert.deepEqual(parsed(excluded.status, excluded.body).slugs, []);
});

test('the search channel: every withheld paragraph of every paywalled demo article, searched for by its words, yields no match from it and no text of it', { timeout: 120_000 }, async () => {
  let searched = 0;
  for (const a of PAYWALLED) {
    for (const paragraph of withheld(a)) {
      const words = paragraph.text.split(/\s+/).filter((w) => /^[A-Za-z]{4,}$/.test(w)).slice(0, 6);
      if (words.length < 2) continue;
      for (const q of [`"${words.join(' ')}"`, words.join(' ')]) {
        const r = await search({ q });
        assert.equal(r.status, 200, q);
        assert.deepEqual(leaks(r.body, a), [], `${a.slug}: ${q}`);
        if (q.startsWith('"')) assert.ok(!r.slugs.includes(a.slug), `${a.slug} matched by its withheld ${q}`);
        searched++;
      }
    }
  }
  assert.ok(searched >= 10, `only ${searched} searches`);
});

test('paging: 20 a page, prev and next links, past the last page 404', async () => {
  const one = await search({ q: 'ibisword' });
  assert.equal(one.count, '45 results, page 1 of 3');
  assert.equal(one.results.length, 20);
  assert.match(one.body, /href="\/search\?q=ibisword&amp;page=2" rel="next"/);
  assert.ok(!/rel="prev"/.test(one.body));
  const three = await search({ q: 'ibisword', page: '3' });
  assert.equal(three.results.length, 5);
  assert.match(three.body, /href="\/search\?q=ibisword&amp;page=2" rel="prev"/);
  assert.ok(!/rel="next"/.test(three.body));
  const seen = new Set([...one.slugs, ...(await search({ q: 'ibisword', page: '2' })).slugs, ...three.slugs]);
  assert.equal(seen.size, 45);
  // The notes rank equally (the same words, as long), so the newest come first.
  const newest = [...Array(45).keys()]
    .map((i) => ({ slug: `search-many-${i}`, at: (1 + (i % 12)) * 100 + 1 + (i % 28) }))
    .sort((a, b) => b.at - a.at).map((n) => n.slug);
  assert.deepEqual(one.slugs, newest.slice(0, 20));
  assert.deepEqual(three.slugs, newest.slice(40));
  assert.equal((await search({ q: 'ibisword', page: '4' })).status, 404);
  // Filters are kept in the links.
  const filtered = await search({ q: 'ibisword', from: '2019-01-01', section: 'politics' });
  assert.match(filtered.body, /href="\/search\?q=ibisword&amp;section=politics&amp;from=2019-01-01&amp;page=2"/);
});

test('an unpublished article disappears at once; an edit is found at once', async () => {
  assert.deepEqual((await search({ q: 'heron', section: 'energy' })).slugs, ['search-body-heron']);
  sql(srv.db, "UPDATE articles SET state = 'unpublished' WHERE slug = 'search-body-heron'");
  assert.deepEqual((await search({ q: 'heron' })).slugs, ['search-headline-heron']);
  sql(srv.db, "UPDATE articles SET state = 'published' WHERE slug = 'search-body-heron'");
  assert.deepEqual((await search({ q: 'heron', section: 'energy' })).slugs, ['search-body-heron']);
  // An edit (import over the same slug) is searchable at once, and the old text is not.
  importFiles(articleFile('b.md', { slug: 'search-body-heron', headline: 'River report',
    body: 'An egret was seen once, near the weir.', published: '2020-02-10T12:00:00Z', section: 'energy' }));
  assert.deepEqual((await search({ q: 'egret' })).slugs, ['search-body-heron']);
  assert.deepEqual((await search({ q: 'heron' })).slugs, ['search-headline-heron']);
});

test('hostile queries answer 200 or 400, never 500, and change nothing', async () => {
  const queries = ['"', '""', '"unclosed phrase', 'NEAR(', 'NEAR(heron weir, 2)', '*', '-', '- -',
    'AND', 'heron AND', 'OR NOT', '{headline}: heron', 'headline:heron', "'", "heron's", '\\',
    '!heron & | :*', '^heron', 'x'.repeat(2000), 'heron '.repeat(400), '(((', ')))', '-heron',
    'é', '\u{1F600}', '«»', '\u00a0', 'a*', 'heron\ttab'];
  for (const q of queries) {
    const r = await search({ q });
    assert.ok(r.status === 200 || r.status === 400, `${JSON.stringify(q.slice(0, 40))}: ${r.status}`);
  }
  // Bytes the server refuses before any search: NUL and invalid UTF-8.
  for (const raw of ['%00', 'heron%00', '%FF', '%C3%28', '%ED%A0%80']) {
    const res = await fetch(`${srv.url}/search?q=${raw}`);
    assert.equal(res.status, 400, raw);
  }
  // Nothing usable: the form with a message, no results.
  for (const q of ['"', '*', '-heron', '   ']) {
    const r = await search({ q });
    assert.equal(r.status, 200, q);
    assert.match(r.message ?? '', /Type one or more words/, q);
  }
  // The empty form.
  const form = await search({});
  assert.equal(form.status, 200);
  assert.match(form.body, /<form class="search-form" action="\/search" method="get">/);
  assert.equal(form.count, null);
  // HEAD answers like GET.
  const head = await fetch(`${srv.url}/search?q=heron`, { method: 'HEAD' });
  assert.equal(head.status, 200);
});

test('the site header has a search box on every page', async () => {
  for (const p of ['/', '/sections/politics', '/search']) {
    const body = await (await fetch(`${srv.url}${p}`)).text();
    assert.match(body, /<form class="site-search" role="search" action="\/search" method="get">/, p);
  }
});

test('search reindex rebuilds from the articles; db copy rebuilds on its target', async () => {
  const r = runCli(['search', 'reindex', '--db', srv.db]);
  assert.equal(r.status, 0, r.stderr);
  const total = Number(sql(srv.db, 'SELECT count(*) FROM articles'));
  assert.match(r.stdout, new RegExp(`^indexed ${total} articles \\(preview_paragraphs 1\\)`));
  assert.deepEqual((await search({ q: 'egret' })).slugs, ['search-body-heron']);
  // A copy into a new SQLite file (from either backend) searches as the source does.
  const to = path.join(tmpDir('broadsheet-search-copy-'), 'copy.db');
  const copy = runCli(['db', 'copy', '--from', srv.db, '--to', to]);
  assert.equal(copy.status, 0, copy.stderr);
  assert.ok(!/search_/.test(copy.stdout), 'the index is rebuilt, not copied');
  const other = await startServer({ demo: false, db: to });
  try {
    const res = await fetch(`${other.url}/search?q=egret`);
    assert.deepEqual(parsed(res.status, await res.text()).slugs, ['search-body-heron']);
    const withheld = await fetch(`${other.url}/search?q=${WITHHELD_WORD}`);
    assert.deepEqual(parsed(withheld.status, await withheld.text()).slugs, []);
  } finally {
    await other.stop();
  }
  assert.ok(isPg(srv.db) || !isPg(to));
});
