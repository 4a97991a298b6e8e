// The reader-facing pages of the demo newsroom: home, navigation, the reference article,
// publications, and the not-found page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import {
  REFERENCE, REFERENCE_PATH, articleParagraphs, decodeEntities, textOf, attr, get,
} from '../lib/util.mjs';

let srv;
let home;
let article;

before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

async function page(path, expectStatus = 200) {
  const res = await get(srv.url + path);
  const body = await res.text();
  assert.equal(res.status, expectStatus, `GET ${path}: status ${res.status}, expected ${expectStatus}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html\b/i,
    `GET ${path}: content-type ${res.headers.get('content-type')}`);
  return { res, body };
}

async function homeHtml() {
  home ??= (await page('/')).body;
  return home;
}
async function articleHtml() {
  article ??= (await page(REFERENCE_PATH)).body;
  return article;
}

function navBlock(html) {
  const m = /<nav\b[^>]*\bid="site-nav"[^>]*>([\s\S]*?)<\/nav>/i.exec(html);
  assert.ok(m, 'no <nav id="site-nav"> … </nav> in the page');
  return m;
}

test('GET / is the home page, in UTF-8 HTML, with the reference headline', async () => {
  const { res, body } = await page('/');
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.ok(decodeEntities(body).includes(REFERENCE.headline),
    `home page lacks the headline "${REFERENCE.headline}"`);
});

test('the home page lists at least 12 articles', async () => {
  const hrefs = new Set();
  for (const m of (await homeHtml()).matchAll(/<a\b[^>]*\bhref="((?:https?:\/\/[^/"]+)?\/articles\/[^"#?]+)[^"]*"/gi)) {
    hrefs.add(new URL(m[1], srv.url).pathname);
  }
  assert.ok(hrefs.size >= 12, `home page links ${hrefs.size} distinct articles, expected >= 12: ` +
    `${[...hrefs].join(' ')}`);
});

test('every link in the site navigation answers 200 with HTML', async () => {
  const [, inner] = navBlock(await homeHtml());
  const hrefs = [...inner.matchAll(/<a\b[^>]*>/gi)].map((m) => attr(m[0], 'href')).filter(Boolean);
  assert.ok(hrefs.length > 0, 'the site navigation has no links');
  let followed = 0;
  for (const href of new Set(hrefs)) {
    const u = new URL(href, srv.url + '/');
    if (u.origin !== srv.url) continue; // an external link is not ours to check
    await page(u.pathname + u.search);
    followed++;
  }
  assert.ok(followed > 0, `no same-site links in the navigation: ${hrefs.join(' ')}`);
});

test('the reference article page: headline in <h1>, dek, every body paragraph', async () => {
  const html = await articleHtml();
  const h1s = [...html.matchAll(/<h1\b[^>]*>([\s\S]*?)<\/h1>/gi)].map((m) => textOf(m[1]));
  assert.ok(h1s.includes(REFERENCE.headline), `no <h1> with the headline; h1s: ${JSON.stringify(h1s)}`);
  const decoded = decodeEntities(html);
  assert.ok(decoded.includes(REFERENCE.dek), 'the dek is missing');
  const paragraphs = articleParagraphs(REFERENCE.file);
  assert.ok(paragraphs.length >= 6, `read ${paragraphs.length} paragraphs from ${REFERENCE.file}`);
  for (const p of paragraphs) {
    assert.ok(decoded.includes(p), `body paragraph missing from the page: "${p.slice(0, 80)}…"`);
  }
  const body = /<div\b[^>]*\bclass="[^"]*\barticle-body\b[^"]*"[^>]*>/i.exec(html);
  assert.ok(body, 'no <div class="article-body">');
});

test('the reference article cites its sources', async () => {
  const text = textOf(await articleHtml());
  for (const s of REFERENCE.sources) assert.ok(text.includes(s), `"${s}" missing`);
});

test('the reference article carries the syndication sentence', async () => {
  const html = await articleHtml();
  assert.ok(textOf(html).includes(REFERENCE.syndication), 'the syndication sentence is missing ' +
    'or differs');
  const footer = /<footer\b[^>]*\bclass="[^"]*\bsyndication\b[^"]*"[^>]*>([\s\S]*?)<\/footer>/i.exec(html);
  assert.ok(footer, 'no <footer class="syndication">');
  assert.ok(textOf(footer[1]).includes(REFERENCE.syndication),
    `the syndication footer says: "${textOf(footer[1])}"`);
});

test('the skip link is the first focusable element and leads to <main id="main">', async () => {
  const html = await articleHtml();
  const bodyAt = html.search(/<body\b/i);
  assert.ok(bodyAt >= 0, 'no <body>');
  const rest = html.slice(bodyAt);
  const focusable = /<a\b[^>]*\shref\b[^>]*>|<(?:button|select|textarea|iframe|summary)\b[^>]*>|<input\b(?![^>]*\btype="hidden")[^>]*>|<[a-z][a-z0-9-]*\b[^>]*\stabindex="(?!-)[^"]*"[^>]*>/i;
  const first = focusable.exec(rest);
  assert.ok(first, 'no focusable element in <body>');
  const skip = '<a class="skip-link" href="#main">Skip Navigation</a>';
  assert.equal(rest.slice(first.index, first.index + skip.length), skip,
    `the first focusable element is ${first[0]}`);
  assert.match(html, /<main\b[^>]*\bid="main"/i, 'no <main id="main">');
});

test('the navigation button: "Reveal Navigation", collapsed, controlling #site-nav', async () => {
  const html = await articleHtml();
  const m = /(<button\b[^>]*>)\s*Reveal Navigation\s*<\/button>/i.exec(html);
  assert.ok(m, 'no <button>Reveal Navigation</button>');
  assert.equal(attr(m[1], 'aria-expanded'), 'false', m[1]);
  assert.equal(attr(m[1], 'aria-controls'), 'site-nav', m[1]);
  assert.match(html, /<nav\b[^>]*\bid="site-nav"/i, 'no <nav id="site-nav">');
});

test('the page has its slots: account, paywall, ad-leaderboard, browser-notice', async () => {
  const html = await articleHtml();
  for (const slot of ['account', 'paywall', 'ad-leaderboard', 'browser-notice']) {
    assert.match(html, new RegExp(`\\sdata-slot="${slot}"`), `no data-slot="${slot}"`);
  }
});

test('publication pages', async () => {
  for (const [slug, name] of [['gsn', 'Global Security Newswire'], ['national-journal', 'National Journal']]) {
    const { body } = await page(`/publications/${slug}`);
    assert.ok(textOf(body).includes(name), `/publications/${slug} does not name "${name}"`);
  }
});

test('an unknown article is a 404 HTML page that still has the site navigation', async () => {
  const { body } = await page('/articles/no-such-article', 404);
  assert.match(textOf(body), /not found/i, 'the 404 page does not say "not found"');
  navBlock(body);
});

test('unknown paths and sections are 404', async () => {
  await page('/nope', 404);
  await page('/sections/nope', 404);
});
