// Share metadata (issue 12, "Share metadata"), on both backends: an article page's OpenGraph,
// Twitter card, canonical link, NewsArticle JSON-LD (parsed with JSON.parse) and BreadcrumbList;
// og:type website and the canonical on the other pages; the paywall's rule in the head (a word
// and a picture of a withheld paragraph never appear in the head or the JSON-LD of either
// variant, and both variants carry the same head); a headline with </script> and <!-- that
// cannot break out of the JSON-LD; an article carried from another publisher naming its
// original as canonical; the editor refusing an "Originally published at" that is not an
// absolute http(s) URL (nothing saved); and the article page through html-validate.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { HtmlValidate, FileSystemConfigLoader } from 'html-validate';
import { startServer, repoRoot } from '../lib/server.mjs';
import { Client, addUser, sql, freshEmail } from '../lib/accounts.mjs';
import { grant } from '../lib/paywall.mjs';
import { attr, textOf } from '../lib/util.mjs';

const PASSWORD = 'share-metadata-2014';
const WITHHELD = 'Zanzibarquokka'; // a word only a withheld paragraph has
const SECRET_PICTURE = '/media/withheld-quokka.jpg'; // a picture only a withheld paragraph has

let srv;
let editor; // a signed-in editor's Client
let section; // {id, slug, name}
let publication; // {id, slug, name}
let author; // {id, slug, name}

before(async () => {
  srv = await startServer();
  addUser(srv.db, 'share-editor@example.test', PASSWORD, { role: 'editor', name: 'Ed Share' });
  editor = new Client(srv.url);
  await editor.signIn('share-editor@example.test', PASSWORD);
  const [sid, sslug, sname] = sql(srv.db, 'SELECT id, slug, name FROM sections ORDER BY position, id LIMIT 1').split('|');
  section = { id: sid, slug: sslug, name: sname };
  const [pid, pslug, pname] = sql(srv.db, 'SELECT id, slug, name FROM publications ORDER BY is_host DESC, id LIMIT 1').split('|');
  publication = { id: pid, slug: pslug, name: pname };
  sql(srv.db, "INSERT INTO authors (slug, name, created_at) VALUES ('ada-sharer', 'Ada Sharer', 0)");
  author = { id: sql(srv.db, "SELECT id FROM authors WHERE slug = 'ada-sharer'"), slug: 'ada-sharer', name: 'Ada Sharer' };
});
after(async () => { await srv?.stop(); });

let serial = 0;
const unique = (what) => `${what} ${process.pid} ${++serial}`;

// The editor's fields for an article, as its form posts them.
function fields(over = {}) {
  return {
    headline: unique('A shared story'), dek: 'What the story is about.', byline: '',
    body_markdown: 'Some **body** text.', section_id: section.id, publication_id: publication.id,
    access: 'free', tags: '', slug: '', seo_title: '', seo_description: '', editor_note: '',
    original_url: '', ...over,
  };
}

// Creates and publishes an article through the newsroom's forms; returns {id, slug, path}.
async function publish(over = {}) {
  const r = await editor.post('/newsroom/articles/new', fields(over), { from: '/newsroom/articles/new' });
  assert.equal(r.status, 303, `create: ${r.status} ${textOf(r.body).slice(0, 400)}`);
  const id = Number(/^\/newsroom\/articles\/(\d+)\?done=created$/.exec(r.location)[1]);
  const version = Number(sql(srv.db, `SELECT version FROM articles WHERE id = ${id}`));
  const p = await editor.post(`/newsroom/articles/${id}/publish`, { version }, { from: '/newsroom' });
  assert.equal(p.status, 303, `publish: ${p.status} ${textOf(p.body).slice(0, 400)}`);
  const slug = sql(srv.db, `SELECT slug FROM articles WHERE id = ${id}`);
  return { id, slug, path: `/articles/${slug}` };
}

// The page's head, its meta tags ({property or name: [contents]}), canonical link and JSON-LD
// blocks (each parsed).
function head(body) {
  const end = body.indexOf('</head>');
  assert.ok(end > 0, 'the page has a head');
  const text = body.slice(0, end);
  const meta = {};
  for (const m of text.matchAll(/<meta\b[^>]*>/gi)) {
    const key = attr(m[0], 'property') ?? attr(m[0], 'name');
    if (key) (meta[key] ??= []).push(attr(m[0], 'content'));
  }
  const canonical = [...text.matchAll(/<link\b[^>]*>/gi)].map((m) => m[0])
    .filter((t) => attr(t, 'rel') === 'canonical').map((t) => attr(t, 'href'));
  const scripts = [...text.matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)]
    .map((m) => m[1]);
  return { text, meta, canonical, scripts, ld: scripts.map((s) => JSON.parse(s)) };
}
const one = (meta, key) => {
  assert.equal(meta[key]?.length, 1, `exactly one ${key}: ${JSON.stringify(meta[key])}`);
  return meta[key][0];
};

async function page(p, client = new Client(srv.url)) {
  const r = await client.get(p);
  assert.equal(r.status, 200, `GET ${p}: ${r.status}`);
  return r;
}

// Polls until the page's head satisfies ok (a change reaches cached pages within a tick).
async function eventually(p, ok, ms = 2000) {
  const until = Date.now() + ms;
  for (;;) {
    const h = head((await page(p)).body);
    if (ok(h) || Date.now() > until) return h;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('an article: OpenGraph, Twitter card, canonical and complete NewsArticle JSON-LD with BreadcrumbList', { timeout: 60_000 }, async () => {
  const a = await publish({
    author_1: author.id, seo_description: 'The search-engine description of it.',
    body_markdown: 'First paragraph with ![a chart](/media/chart.png?w=1&h=2).\n\nSecond ![another](https://cdn.example.com/b.jpg).',
  });
  const h = head((await page(a.path)).body);
  const url = `${srv.url}${a.path}`;
  const { meta } = h;
  assert.deepEqual(h.canonical, [url]);
  assert.equal(one(meta, 'og:type'), 'article');
  assert.equal(one(meta, 'og:title'), sql(srv.db, `SELECT headline FROM articles WHERE id = ${a.id}`));
  assert.equal(one(meta, 'og:url'), url);
  assert.equal(one(meta, 'og:site_name'), 'National Journal');
  assert.equal(one(meta, 'og:description'), 'The search-engine description of it.', 'the SEO description is preferred to the dek');
  assert.equal(one(meta, 'description'), 'The search-engine description of it.');
  assert.equal(one(meta, 'og:image'), `${srv.url}/media/chart.png?w=1&h=2`, 'the first picture, made absolute');
  const published = Number(sql(srv.db, `SELECT published_at FROM articles WHERE id = ${a.id}`));
  const iso = new Date(published * 1000).toISOString().replace(/\.000Z$/, 'Z');
  assert.equal(one(meta, 'article:published_time'), iso);
  assert.equal(one(meta, 'article:modified_time'), iso, 'not updated since: modified is published');
  assert.equal(one(meta, 'article:section'), section.name);
  assert.deepEqual(meta['article:author'], [`${srv.url}/authors/${author.slug}`]);
  assert.equal(one(meta, 'twitter:card'), 'summary_large_image', 'a picture: the large card');
  assert.equal(one(meta, 'twitter:title'), one(meta, 'og:title'));
  assert.equal(one(meta, 'twitter:description'), 'The search-engine description of it.');
  assert.equal(one(meta, 'twitter:image'), one(meta, 'og:image'));

  assert.equal(h.ld.length, 2, 'a NewsArticle and a BreadcrumbList');
  const [article, crumbs] = h.ld;
  assert.equal(article['@context'], 'https://schema.org');
  assert.equal(article['@type'], 'NewsArticle');
  assert.equal(article.headline, one(meta, 'og:title'));
  assert.equal(article.description, 'The search-engine description of it.');
  assert.equal(article.datePublished, iso);
  assert.equal(article.dateModified, iso);
  assert.equal(article.url, url);
  assert.deepEqual(article.mainEntityOfPage, { '@type': 'WebPage', '@id': url });
  assert.deepEqual(article.author, [{ '@type': 'Person', name: author.name, url: `${srv.url}/authors/${author.slug}` }]);
  assert.equal(article.publisher['@type'], 'Organization');
  assert.equal(article.publisher.name, 'National Journal');
  assert.equal(article.publisher.logo['@type'], 'ImageObject');
  assert.match(article.publisher.logo.url, new RegExp(`^${srv.url}/static/logo\\.[0-9a-f]+\\.png$`));
  const logo = await new Client(srv.url).get(new URL(article.publisher.logo.url).pathname);
  assert.equal(logo.status, 200, 'the logo is served');
  assert.equal(logo.headers.get('content-type'), 'image/png');
  assert.deepEqual(article.isPartOf, { '@type': 'Periodical', name: publication.name, url: `${srv.url}/publications/${publication.slug}` });
  assert.equal(article.articleSection, section.name);
  assert.equal(article.inLanguage, 'en');
  assert.deepEqual(article.image, [`${srv.url}/media/chart.png?w=1&h=2`]);
  assert.equal(article.isAccessibleForFree, true);
  assert.equal(article.hasPart, undefined, 'a free article has no paywalled part');
  assert.equal(article.articleBody, undefined, 'never the body');
  assert.equal(article.isBasedOn, undefined);
  assert.deepEqual(crumbs, {
    '@context': 'https://schema.org', '@type': 'BreadcrumbList', itemListElement: [
      { '@type': 'ListItem', position: 1, name: 'National Journal', item: `${srv.url}/` },
      { '@type': 'ListItem', position: 2, name: section.name, item: `${srv.url}/sections/${section.slug}` },
      { '@type': 'ListItem', position: 3, name: article.headline, item: url },
    ],
  });
});

test('an article with no author, no picture and no SEO description: the byline as an Organization, the dek, the summary card', { timeout: 60_000 }, async () => {
  const a = await publish({ byline: 'By Line Person', dek: 'Just the dek.', body_markdown: 'No pictures here.' });
  const h = head((await page(a.path)).body);
  assert.equal(one(h.meta, 'og:description'), 'Just the dek.');
  assert.equal(h.meta['og:image'], undefined);
  assert.equal(h.meta['article:author'], undefined, 'no author pages: no article:author');
  assert.equal(one(h.meta, 'twitter:card'), 'summary');
  assert.deepEqual(h.ld[0].author, { '@type': 'Organization', name: 'By Line Person' });
  assert.equal(h.ld[0].description, 'Just the dek.');
  assert.equal(h.ld[0].image, undefined);
});

test('the other pages: og:type website, their canonical as og:url, a summary card, no article tags', { timeout: 60_000 }, async () => {
  const authorSlug = author.slug;
  await publish({ author_1: author.id }); // the author page needs an article
  for (const p of ['/', `/sections/${section.slug}`, `/publications/${publication.slug}`, `/authors/${authorSlug}`]) {
    const h = head((await page(p)).body);
    const canonical = `${srv.url}${p}`;
    assert.deepEqual(h.canonical, [canonical], p);
    assert.equal(one(h.meta, 'og:type'), 'website', p);
    assert.equal(one(h.meta, 'og:url'), canonical, p);
    assert.equal(one(h.meta, 'twitter:card'), 'summary', p);
    assert.equal(h.meta['article:published_time'], undefined, p);
    assert.equal(h.ld.length, 0, `${p}: no article JSON-LD`);
  }
});

test('paywall: a withheld word or picture never reaches the head or the JSON-LD, in either variant; both variants carry the same head', { timeout: 60_000 }, async () => {
  const body = `The preview paragraph ![seen](/media/preview.jpg) everyone reads.\n\nThe withheld paragraph about the ${WITHHELD} ![secret](${SECRET_PICTURE}).\n\nMore withheld text on the ${WITHHELD}.`;
  const email = freshEmail('share-subscriber');
  addUser(srv.db, email, PASSWORD);
  grant(srv.db, email);
  const subscriber = new Client(srv.url);
  await subscriber.signIn(email, PASSWORD);
  const spend = [];
  for (let i = 0; i < 3; i++) spend.push(await publish({ access: 'metered' }));
  for (const access of ['subscribers', 'metered']) {
    const a = await publish({ access, body_markdown: body, dek: `A ${access} story.` });
    const full = await page(a.path, subscriber);
    assert.ok(full.body.includes(WITHHELD), `${access}: control: the subscriber's page has the withheld word`);
    // A metered article's preview: an anonymous reader whose meter (3 a month) is spent on
    // three other metered articles; a subscribers article's: anyone not subscribed.
    const anon = new Client(srv.url);
    if (access === 'metered') for (const other of spend) await page(other.path, anon);
    const preview = await page(a.path, anon);
    assert.ok(!preview.body.includes(WITHHELD), `${access}: the preview variant`);
    const hf = head(full.body), hp = head(preview.body);
    assert.equal(hp.text, hf.text, `${access}: the two variants' heads differ`);
    for (const [variant, h] of [['full', hf], ['preview', hp]]) {
      assert.ok(!h.text.includes(WITHHELD), `${access} ${variant}: the withheld word in the head`);
      assert.ok(!h.text.includes('withheld-quokka'), `${access} ${variant}: the withheld picture in the head`);
      assert.ok(!JSON.stringify(h.ld).includes(WITHHELD), `${access} ${variant}: the withheld word in the JSON-LD`);
      assert.equal(one(h.meta, 'og:image'), `${srv.url}/media/preview.jpg`, 'the preview\'s picture');
      const [article] = h.ld;
      assert.equal(article.isAccessibleForFree, false);
      assert.deepEqual(article.hasPart, { '@type': 'WebPageElement', isAccessibleForFree: false, cssSelector: '.paywalled' });
      assert.equal(article.articleBody, undefined);
      assert.equal(article.description, `A ${access} story.`);
    }
    assert.match(full.body, /class="paywalled"/, 'the full variant marks the withheld part');
    assert.match(preview.body, /class="[^"]*\bpaywalled\b/, 'the preview marks the prompt');
  }
});

test('a headline with </script> and <!-- cannot break out of the JSON-LD', { timeout: 60_000 }, async () => {
  const headline = `Breakout </script><script>alert(1)</script> <!-- x ${process.pid}`;
  const a = await publish({ headline, dek: 'A </SCRIPT > and <!-- in the dek', byline: '</script>' });
  const r = await page(a.path);
  const h = head(r.body);
  assert.equal(h.scripts.length, 2);
  for (const s of h.scripts) {
    assert.ok(!/<\/script/i.test(s) && !s.includes('<!--') && !s.includes('<'), `a raw < in the JSON-LD: ${s}`);
  }
  assert.equal(h.ld[0].headline, headline, 'JSON.parse gives the headline back');
  assert.equal(h.ld[0].description, 'A </SCRIPT > and <!-- in the dek');
  assert.equal(h.ld[0].author.name, '</script>');
  assert.equal(h.ld[1].itemListElement[2].name, headline);
  assert.ok(!r.body.includes('<script>alert(1)'), 'no script element from the headline');
  assert.equal(one(h.meta, 'og:title'), headline, 'the meta tag escapes it and gives it back');
});

test('an article carried from another publisher names its original as canonical; og:url and the JSON-LD\'s url stay ours', { timeout: 60_000 }, async () => {
  const original = 'https://example.org/2014/06/original-story?ref=a&b=c';
  const a = await publish({ original_url: original });
  assert.equal(sql(srv.db, `SELECT original_url FROM articles WHERE id = ${a.id}`), original);
  const url = `${srv.url}${a.path}`;
  let h = head((await page(a.path)).body);
  assert.deepEqual(h.canonical, [original]);
  assert.equal(one(h.meta, 'og:url'), url);
  assert.equal(h.ld[0].isBasedOn, original);
  assert.equal(h.ld[0].url, url);
  assert.deepEqual(h.ld[0].mainEntityOfPage, { '@type': 'WebPage', '@id': url });
  // The revision keeps it; clearing it in the editor makes the page ours again.
  assert.equal(sql(srv.db, `SELECT original_url FROM article_revisions WHERE article_id = ${a.id} ORDER BY version DESC LIMIT 1`), original);
  const version = Number(sql(srv.db, `SELECT version FROM articles WHERE id = ${a.id}`));
  const headline = sql(srv.db, `SELECT headline FROM articles WHERE id = ${a.id}`);
  const r = await editor.post(`/newsroom/articles/${a.id}`, fields({ headline, original_url: '', version }), { from: '/newsroom' });
  assert.equal(r.status, 303, `save: ${r.status} ${textOf(r.body).slice(0, 300)}`);
  h = await eventually(a.path, (x) => x.canonical[0] === url);
  assert.deepEqual(h.canonical, [url]);
  assert.equal(h.ld[0].isBasedOn, undefined);
  // The revisions' diff shows the change; restoring the revision brings the original back.
  const cleared = version + 1;
  const diff = await editor.get(`/newsroom/articles/${a.id}/revisions/diff?from=${version}&to=${cleared}`);
  assert.equal(diff.status, 200);
  assert.match(textOf(diff.body), /Originally published at/);
  assert.ok(textOf(diff.body).includes(original), 'the diff shows the old address');
  const token = await editor.csrf(`/newsroom/articles/${a.id}`);
  const restored = await editor.post(`/newsroom/articles/${a.id}/revisions/${version}/restore`, { version: String(cleared) }, { csrf: token });
  assert.equal(restored.status, 303, `restore: ${restored.status} ${textOf(restored.body).slice(0, 300)}`);
  assert.equal(sql(srv.db, `SELECT original_url FROM articles WHERE id = ${a.id}`), original);
  h = await eventually(a.path, (x) => x.canonical[0] === original);
  assert.deepEqual(h.canonical, [original]);
});

test('the editor refuses an "Originally published at" that is not an absolute http(s) URL: the form again with the error, nothing saved', { timeout: 60_000 }, async () => {
  const a = await publish({ original_url: 'http://example.com/first' });
  const before = sql(srv.db, `SELECT version, original_url, headline FROM articles WHERE id = ${a.id}`);
  const version = Number(before.split('|')[0]);
  const headline = before.split('|')[2];
  const bad = {
    'javascript:alert(1)': /full http:\/\/ or https:\/\//,
    'JaVaScRiPt:alert(1)//http://x': /full http:\/\/ or https:\/\//,
    '/relative/path': /full http:\/\/ or https:\/\//,
    'example.com/story': /full http:\/\/ or https:\/\//,
    '//example.com/story': /full http:\/\/ or https:\/\//,
    'https://': /full http:\/\/ or https:\/\//,
    'ftp://example.com/x': /full http:\/\/ or https:\/\//,
    'data:text/html,hi': /full http:\/\/ or https:\/\//,
    'https://example.com/a b': /spaces or control characters/,
    'https://example.com/a\r\nSet-Cookie: x=1': /spaces or control characters/,
    [`https://example.com/${'x'.repeat(2000)}`]: /too long/,
  };
  for (const [value, message] of Object.entries(bad)) {
    const r = await editor.post(`/newsroom/articles/${a.id}`, fields({ headline, original_url: value, version, dek: 'Changed dek' }), { from: '/newsroom' });
    assert.equal(r.status, 422, `${JSON.stringify(value.slice(0, 40))}: ${r.status}`);
    assert.match(textOf(r.body), message, JSON.stringify(value.slice(0, 40)));
    assert.equal(sql(srv.db, `SELECT version, original_url, headline FROM articles WHERE id = ${a.id}`), before, 'nothing saved');
  }
  // An autosave keeps a half-typed address (it is being typed), and changes no article.
  const saved = await editor.post(`/newsroom/articles/${a.id}/autosave`, fields({ headline, original_url: 'https://exa', version }), { from: '/newsroom' });
  assert.equal(saved.status, 200, `autosave: ${saved.status} ${saved.body.slice(0, 200)}`);
  assert.equal(JSON.parse(sql(srv.db, `SELECT fields FROM autosaves WHERE article_id = ${a.id}`)).original_url, 'https://exa');
  assert.equal(sql(srv.db, `SELECT version, original_url, headline FROM articles WHERE id = ${a.id}`), before);
  // The boundary: 2,000 bytes is accepted.
  const longest = `https://example.com/${'y'.repeat(2000 - 'https://example.com/'.length)}`;
  const ok = await editor.post(`/newsroom/articles/${a.id}`, fields({ headline, original_url: longest, version }), { from: '/newsroom' });
  assert.equal(ok.status, 303, `2,000 bytes: ${ok.status} ${textOf(ok.body).slice(0, 300)}`);
  assert.equal(sql(srv.db, `SELECT original_url FROM articles WHERE id = ${a.id}`), longest);
  // The editor shows the stored value.
  const form = await editor.get(`/newsroom/articles/${a.id}`);
  const input = [...form.body.matchAll(/<input\b[^>]*>/gi)].find((m) => attr(m[0], 'id') === 'original_url');
  assert.equal(attr(input[0], 'value'), longest);
});

test('html-validate: the article page with all its share metadata is valid HTML', { timeout: 60_000 }, async () => {
  const a = await publish({
    author_1: author.id, access: 'subscribers', original_url: 'https://example.org/x?a=1&b=2',
    // A picture (og:image, twitter:image, the JSON-LD image) and cmark's XHTML-style void
    // elements in the body (<img … />, <br />, <hr />).
    headline: unique('Valid </script> & "quoted"'),
    body_markdown: '![A chart](/static/logo.png "Chart") A paragraph here,  \nwith a break.\n\n***\n\nWithheld.',
  });
  const validator = new HtmlValidate(new FileSystemConfigLoader());
  const config = path.join(repoRoot, 'tests', '.htmlvalidate.mjs');
  for (const p of [a.path, '/']) {
    const r = await page(p);
    const report = await validator.validateString(r.body, path.join(path.dirname(config), 'page.html'));
    const messages = report.results.flatMap((x) => x.messages).map((m) => `${m.line}:${m.column} ${m.ruleId}: ${m.message}`);
    assert.deepEqual(messages, [], `${p} is not valid HTML`);
  }
});
