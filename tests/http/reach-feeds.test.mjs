// Feeds (issue 12, "Feeds"): RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the site and of each
// section, publication, author and tag. Every feed is parsed by Debian's python3-feedparser
// (tests/lib/feedcheck.py; JSON Feed with Python's json, which that feedparser cannot read):
// no bozo, the required elements of its format, the right Content-Type. The paywall's rule holds
// in every feed (a word only in a withheld paragraph of a metered and of a subscribers-only
// article is in none; their preview paragraph and a free article's last paragraph are); a draft
// never appears; GUIDs survive an edit of headline and slug; a publish reaches the cached feeds;
// ETag and Last-Modified give 304; a headline with & < > and non-ASCII comes out exactly; an
// unknown slug is 404; the pages name their feeds in <link rel="alternate">.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, repoRoot } from '../lib/server.mjs';
import { Client, addUser, sql } from '../lib/accounts.mjs';
import { attr, get, poll, textOf } from '../lib/util.mjs';

const PASSWORD = 'feeds-quill-harbour-2014';
const FEEDCHECK = path.join(repoRoot, 'tests', 'lib', 'feedcheck.py');
// The three formats: the file under each base, what feedcheck calls it, its media type.
const FORMATS = [
  { file: 'feed.xml', kind: 'rss', type: 'application/rss+xml' },
  { file: 'atom.xml', kind: 'atom', type: 'application/atom+xml' },
  { file: 'feed.json', kind: 'json', type: 'application/feed+json' },
];
const TAG = `Feed Desk ${process.pid}`;
const HEADLINE = `Q&A: <Tags> & “Ünïcödé” café ${process.pid}`;
// Words found only where the test puts them.
const WORDS = {
  freeLast: `feedfreelast${process.pid}`,
  meteredPreview: `feedmeteredopen${process.pid}`,
  meteredSecret: `feedmeteredsecret${process.pid}`,
  subsPreview: `feedsubsopen${process.pid}`,
  subsSecret: `feedsubssecret${process.pid}`,
};

let srv;
let editor;
let section; // {id, slug}
let publication; // {id, slug}
let author; // {id, slug}
let tagSlug;
const ids = {}; // the test's articles by name

const q = (statement) => sql(srv.db, statement);

// The editor's fields for an article, as the form posts them.
function fields(over = {}) {
  return {
    headline: 'A feed headline', dek: 'A feed dek', byline: '', body_markdown: 'Some text.',
    section_id: section.id, publication_id: publication.id, access: 'free', tags: TAG, slug: '',
    seo_title: '', seo_description: '', editor_note: '', author_1: author.id, ...over,
  };
}
const version = (id) => Number(q(`SELECT version FROM articles WHERE id = ${id}`));
async function act(id, action, extra = {}) {
  const token = await editor.csrf('/newsroom');
  const url = action === 'save' ? `/newsroom/articles/${id}` : `/newsroom/articles/${id}/${action}`;
  const r = await editor.post(url, { ...extra, version: version(id) }, { csrf: token });
  assert.equal(r.status, 303, `${action} ${id}: ${r.status} ${textOf(r.body).slice(0, 400)}`);
}
// Creates a draft through the newsroom; returns its id.
async function draft(over) {
  const r = await editor.post('/newsroom/articles/new', fields(over), { from: '/newsroom/articles/new' });
  assert.equal(r.status, 303, `create: ${r.status} ${textOf(r.body).slice(0, 400)}`);
  return Number(/^\/newsroom\/articles\/(\d+)\?done=created$/.exec(r.location)[1]);
}
async function publish(over) {
  const id = await draft(over);
  await act(id, 'submit');
  await act(id, 'publish');
  return id;
}

// GET path: {status, headers, body}.
async function fetchFeed(path, headers = {}) {
  const res = await get(srv.url + path, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}
// The feed at path in format f, fetched and checked: 200, its Content-Type, parsed by
// feedparser without a bozo error and with every required element. Returns feedcheck's report
// with the raw body.
async function check(path, f) {
  const r = await fetchFeed(path);
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  assert.equal(r.headers.get('content-type'), `${f.type}; charset=utf-8`, path);
  const p = spawnSync('/usr/bin/python3', [FEEDCHECK, f.kind], { input: r.body, encoding: 'utf8', timeout: 30_000 });
  assert.equal(p.status, 0, `feedcheck ${path}: ${p.stderr}`);
  const report = JSON.parse(p.stdout);
  assert.equal(report.bozo, 0, `${path}: bozo: ${report.bozo_reason}`);
  assert.equal(report.version, { rss: 'rss20', atom: 'atom10', json: 'json11' }[f.kind], path);
  assert.deepEqual(report.missing, [], `${path}: required elements missing`);
  assert.ok(report.items.length <= 50, `${path}: ${report.items.length} items`);
  return { ...report, body: r.body, headers: r.headers };
}
// The bases of every feed the test's articles are in.
const bases = () => ['', `/sections/${section.slug}`, `/publications/${publication.slug}`,
  `/authors/${author.slug}`, `/tags/${tagSlug}`];

before(async () => {
  srv = await startServer();
  addUser(srv.db, 'feeds-editor@example.test', PASSWORD, { role: 'editor', name: 'Fee Editor' });
  editor = new Client(srv.url);
  await editor.signIn('feeds-editor@example.test', PASSWORD);
  const [sid, sslug] = q('SELECT id, slug FROM sections ORDER BY position, id LIMIT 1').split('|');
  section = { id: sid, slug: sslug };
  const [pid, pslug] = q('SELECT id, slug FROM publications ORDER BY is_host DESC, id LIMIT 1').split('|');
  publication = { id: pid, slug: pslug };
  q(`INSERT INTO authors (slug, name, created_at) VALUES ('feed-writer-${process.pid}', 'Zoë Feedwriter', 0)`);
  author = { id: q(`SELECT id FROM authors WHERE slug = 'feed-writer-${process.pid}'`), slug: `feed-writer-${process.pid}` };

  ids.free = await publish({ headline: `Free feed story ${process.pid}`, access: 'free',
    body_markdown: `Opening of the free story.\n\nMiddle paragraph.\n\nThe last paragraph says ${WORDS.freeLast}.` });
  ids.metered = await publish({ headline: `Metered feed story ${process.pid}`, access: 'metered',
    body_markdown: `The metered opening ${WORDS.meteredPreview} paragraph.\n\nThe withheld part: ${WORDS.meteredSecret} here.\n\nAnd more ${WORDS.meteredSecret}.` });
  ids.subscribers = await publish({ headline: `Subscribers feed story ${process.pid}`, access: 'subscribers',
    body_markdown: `The subscribers opening ${WORDS.subsPreview} paragraph.\n\n## A heading ${WORDS.subsSecret}\n\n> quoted ${WORDS.subsSecret}` });
  ids.special = await publish({ headline: HEADLINE, dek: 'Dek & <dek> “ok”', access: 'free',
    body_markdown: 'Body with & and < and “quotes”.' });
  tagSlug = q(`SELECT slug FROM tags WHERE name = '${TAG}'`);
  assert.ok(tagSlug, 'the tag was not made from the form');
});
after(async () => { await srv?.stop(); });

test('feeds: all fifteen parse with feedparser (no bozo), have their format\'s required elements and Content-Type, and list published articles newest first', { timeout: 120_000 }, async () => {
  const published = Number(q("SELECT count(*) FROM articles WHERE state = 'published'"));
  for (const base of bases()) {
    for (const f of FORMATS) {
      const feed = await check(`${base}/${f.file}`, f);
      assert.ok(feed.items.length >= 4, `${base}/${f.file}: ${feed.items.length} items`);
      const times = feed.items.map((it) => Date.parse(it.published));
      assert.ok(times.every((t) => !Number.isNaN(t)), `${base}/${f.file}: a date did not parse`);
      assert.deepEqual(times, [...times].sort((a, b) => b - a), `${base}/${f.file}: not newest first`);
      assert.equal(feed.items[0].id, `${srv.url}/articles/${ids.special}`, `${base}/${f.file}: newest`);
      assert.deepEqual(feed.items[0].authors, ['Zoë Feedwriter'], `${base}/${f.file}: authors`);
    }
  }
  const site = await check('/feed.xml', FORMATS[0]);
  assert.equal(site.items.length, Math.min(50, published));
  // the RSS dates are RFC 822, the Atom and JSON ones RFC 3339
  assert.match(site.body, /<pubDate>(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT<\/pubDate>/);
  const atom = await check('/atom.xml', FORMATS[1]);
  assert.match(atom.body, /<updated>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/updated>/);
  const json = JSON.parse((await fetchFeed('/feed.json')).body);
  assert.match(json.items[0].date_published, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('feeds: a word only in a withheld paragraph of a metered or subscribers-only article is in no feed; the preview paragraph and a free article\'s last paragraph are', { timeout: 120_000 }, async () => {
  for (const base of bases()) {
    for (const f of FORMATS) {
      const path = `${base}/${f.file}`;
      const feed = await check(path, f);
      for (const variant of [{}, { 'Accept-Encoding': 'gzip' }]) {
        const { body } = await fetchFeed(path, variant);
        assert.ok(!body.includes(WORDS.meteredSecret), `${path}: metered withheld text`);
        assert.ok(!body.includes(WORDS.subsSecret), `${path}: subscribers withheld text`);
      }
      const item = (id) => feed.items.find((it) => it.id === `${srv.url}/articles/${id}`);
      assert.ok(item(ids.free).content.includes(WORDS.freeLast), `${path}: the free article is not whole`);
      assert.ok(item(ids.metered).content.includes(WORDS.meteredPreview), `${path}: no metered preview`);
      assert.ok(item(ids.subscribers).content.includes(WORDS.subsPreview), `${path}: no subscribers preview`);
      for (const id of [ids.metered, ids.subscribers]) {
        assert.match(item(id).content, /Read the full article/, `${path}: no link to the article`);
        assert.ok(item(id).content.includes(`${srv.url}/articles/`), path);
      }
    }
  }
  // The control: the withheld words are in the articles, for a subscriber's eyes.
  const body = q(`SELECT body_markdown FROM articles WHERE id = ${ids.metered}`);
  assert.ok(body.includes(WORDS.meteredSecret));
});

test('feeds: a headline with & < > and non-ASCII comes out exactly in all three', { timeout: 60_000 }, async () => {
  for (const f of FORMATS) {
    const feed = await check(`/${f.file}`, f);
    const it = feed.items.find((i) => i.id === `${srv.url}/articles/${ids.special}`);
    assert.ok(it, `${f.file}: the item is missing`);
    assert.equal(it.title, HEADLINE, f.file);
    // the dek is Atom's summary and JSON Feed's (RSS has no place for it beside the body)
    if (f.kind !== 'rss') assert.ok(it.content.includes('Dek & <dek> “ok”'), `${f.file}: ${it.content}`);
    assert.ok(it.content.includes('Body with &amp; and &lt; and “quotes”.'), `${f.file}: ${it.content}`);
  }
  // escaped once on the wire: the ampersand as &amp; in XML, as itself in JSON
  assert.ok((await fetchFeed('/feed.xml')).body.includes('<title>Q&amp;A: &lt;Tags&gt; &amp; “Ünïcödé” café'));
  assert.ok((await fetchFeed('/feed.json')).body.includes('"title": "Q&A: <Tags> & “Ünïcödé” café'));
});

test('feeds: a draft and an article in review never appear', { timeout: 60_000 }, async () => {
  const word = `feeddraftonly${process.pid}`;
  const d = await draft({ headline: `Draft ${word}`, body_markdown: word });
  const r = await draft({ headline: `Review ${word}`, body_markdown: word });
  await act(r, 'submit');
  await new Promise((ok) => setTimeout(ok, 300)); // past the change log's tick
  for (const base of bases()) {
    for (const f of FORMATS) {
      const { body } = await fetchFeed(`${base}/${f.file}`);
      assert.ok(!body.includes(word), `${base}/${f.file} shows a draft`);
      assert.ok(!body.includes(`/articles/${d}<`) && !body.includes(`/articles/${r}<`));
    }
  }
});

test('feeds: the GUID stays when the headline and slug are edited; the link follows the slug', { timeout: 60_000 }, async () => {
  const id = ids.free;
  const before = {};
  for (const f of FORMATS) {
    const feed = await check(`/${f.file}`, f);
    before[f.kind] = feed.items.find((it) => it.id === `${srv.url}/articles/${id}`);
    assert.ok(before[f.kind], f.file);
  }
  const slug = `renamed-feed-story-${process.pid}`;
  await act(id, 'save', fields({ headline: `Renamed feed story ${process.pid}`, slug, access: 'free',
    body_markdown: `Opening of the free story.\n\nMiddle paragraph.\n\nThe last paragraph says ${WORDS.freeLast}.` }));
  for (const f of FORMATS) {
    const it = await poll(async () => {
      const feed = await check(`/${f.file}`, f);
      const found = feed.items.find((i) => i.id === before[f.kind].id);
      return found && found.title === `Renamed feed story ${process.pid}` ? found : null;
    });
    assert.ok(it, `${f.file}: the edit did not reach the feed, or the GUID changed`);
    assert.equal(it.id, `${srv.url}/articles/${id}`);
    assert.equal(it.link, `${srv.url}/articles/${slug}`);
    assert.notEqual(before[f.kind].link, it.link);
  }
});

test('feeds: a publish reaches every cached feed (the ETag changes), and an unpublish takes the item out', { timeout: 60_000 }, async () => {
  const paths = bases().flatMap((b) => FORMATS.map((f) => `${b}/${f.file}`));
  const etags = {};
  for (const p of paths) {
    const r = await fetchFeed(p);
    etags[p] = r.headers.get('etag');
    assert.ok(etags[p], `${p}: no ETag`);
    assert.equal((await fetchFeed(p)).headers.get('etag'), etags[p], `${p}: not served from the cache`);
  }
  const word = `feedfresh${process.pid}`;
  const id = await publish({ headline: `Fresh ${word}`, body_markdown: word });
  for (const p of paths) {
    const shown = await poll(async () => (await fetchFeed(p)).body.includes(word));
    assert.ok(shown, `${p}: the new article did not appear`);
    assert.notEqual((await fetchFeed(p)).headers.get('etag'), etags[p], p);
  }
  await act(id, 'unpublish');
  for (const p of paths) {
    const gone = await poll(async () => !(await fetchFeed(p)).body.includes(word));
    assert.ok(gone, `${p}: the unpublished article stayed`);
  }
});

test('feeds: 304 on If-None-Match and on If-Modified-Since (Last-Modified, no later), 200 otherwise', { timeout: 60_000 }, async () => {
  for (const base of ['', `/tags/${tagSlug}`]) {
    for (const f of FORMATS) {
      const path = `${base}/${f.file}`;
      const r = await fetchFeed(path);
      const etag = r.headers.get('etag');
      const modified = r.headers.get('last-modified');
      assert.match(modified ?? '', /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/, `${path}: Last-Modified`);
      const lm = Date.parse(modified);
      assert.ok(Math.abs(lm - Date.now()) < 3600_000, `${path}: Last-Modified ${modified}`);

      const byTag = await fetchFeed(path, { 'If-None-Match': etag });
      assert.equal(byTag.status, 304, `${path}: If-None-Match`);
      assert.equal(byTag.body, '');
      assert.equal(byTag.headers.get('last-modified'), modified);
      const byDate = await fetchFeed(path, { 'If-Modified-Since': modified });
      assert.equal(byDate.status, 304, `${path}: If-Modified-Since`);
      const later = new Date(lm + 60_000).toUTCString();
      assert.equal((await fetchFeed(path, { 'If-Modified-Since': later })).status, 304, `${path}: a later date`);
      const earlier = new Date(lm - 1000).toUTCString();
      assert.equal((await fetchFeed(path, { 'If-Modified-Since': earlier })).status, 200, `${path}: an earlier date`);
      assert.equal((await fetchFeed(path, { 'If-Modified-Since': 'yesterday' })).status, 200, `${path}: not a date`);
      // If-None-Match decides when both come (RFC 9110 13.2.2)
      assert.equal((await fetchFeed(path, { 'If-None-Match': '"other"', 'If-Modified-Since': modified })).status, 200,
        `${path}: a stale ETag with a current date`);
      // gzip too: its own ETag, the same Last-Modified
      const gz = await fetchFeed(path, { 'Accept-Encoding': 'gzip' });
      assert.equal(gz.headers.get('last-modified'), modified);
      assert.equal((await fetchFeed(path, { 'Accept-Encoding': 'gzip', 'If-Modified-Since': modified })).status, 304);
    }
  }
  // A page has no Last-Modified and answers If-Modified-Since in full.
  const home = await fetchFeed('/');
  assert.equal(home.headers.get('last-modified'), null);
  assert.equal((await fetchFeed('/', { 'If-Modified-Since': new Date(Date.now() + 86400_000).toUTCString() })).status, 200);
});

test('feeds: 404 for an unknown section, publication, author or tag, in every format', { timeout: 30_000 }, async () => {
  for (const kind of ['sections', 'publications', 'authors', 'tags']) {
    for (const f of FORMATS) {
      const r = await fetchFeed(`/${kind}/no-such-${kind}-here/${f.file}`);
      assert.equal(r.status, 404, `/${kind}/no-such/${f.file}`);
      assert.match(r.headers.get('content-type'), /^text\/html/);
    }
  }
});

test('feeds: the home, section, publication, author and tag pages name their three feeds in <link rel="alternate">, and the links work', { timeout: 60_000 }, async () => {
  const anonymous = new Client(srv.url);
  for (const base of bases()) {
    const page = await anonymous.get(base || '/');
    assert.equal(page.status, 200, base);
    const head = page.body.slice(0, page.body.indexOf('</head>'));
    const links = [...head.matchAll(/<link\b[^>]*>/g)].map((m) => m[0])
      .filter((tag) => attr(tag, 'rel') === 'alternate');
    assert.deepEqual(links.map((tag) => [attr(tag, 'type'), attr(tag, 'href')]),
      FORMATS.map((f) => [f.type, `${base}/${f.file}`]), `${base || '/'}: alternate links`);
    const title = /<title>([^<]*)<\/title>/.exec(head)[1];
    for (const tag of links) {
      assert.ok(attr(tag, 'title').startsWith(textOf(title)), `${base}: ${attr(tag, 'title')}`);
      assert.equal((await fetchFeed(attr(tag, 'href'))).status, 200, attr(tag, 'href'));
    }
  }
  // and a paged author page names the same feeds
  const older = await anonymous.get(`/authors/${author.slug}/before/${ids.special}`);
  assert.equal(older.status, 200);
  assert.match(older.body, new RegExp(`href="/authors/${author.slug}/feed.xml"`));
  // the article page does not
  const article = await anonymous.get(`/articles/${q(`SELECT slug FROM articles WHERE id = ${ids.metered}`)}`);
  assert.doesNotMatch(article.body, /rel="alternate" type="application\/rss\+xml"/);
});

test('feeds: a signed-in reader gets the same shared feed, never the page\'s account slot spliced in', { timeout: 30_000 }, async () => {
  for (const f of FORMATS) {
    const anonymous = await fetchFeed(`/${f.file}`);
    const mine = await editor.get(`/${f.file}`);
    assert.equal(mine.status, 200);
    assert.equal(mine.headers.get('content-type'), `${f.type}; charset=utf-8`);
    assert.equal(mine.body, anonymous.body, `${f.file}: differs for a signed-in reader`);
  }
});
