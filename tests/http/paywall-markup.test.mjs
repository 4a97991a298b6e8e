// Honest with search engines, and still cached (issue 4, access rules 7 and 8):
//  - every variant of a metered or subscribers article (whole or preview; anonymous counted,
//    re-read or spent; signed in; subscriber; institution; gzip) carries NewsArticle JSON-LD
//    with isAccessibleForFree false and hasPart {WebPageElement, isAccessibleForFree false,
//    cssSelector ".paywalled"}, and an element with class "paywalled"; a free article has
//    isAccessibleForFree true and no hasPart;
//  - no bypass by User-Agent or Referer: Googlebot, Bingbot or a Google referrer with a spent
//    meter get the preview like anyone;
//  - pages still come from the page cache: a free article's anonymous copy is shared (one ETag,
//    304 on revalidation, no cookie, not private), while every personal response (a meter note,
//    a Set-Cookie, a signed-in reader) is private, no-store.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import {
  METERED, FREE, SUBSCRIBERS, GOOGLEBOT, METER_COOKIE, Reader, raw, assertFull, assertPreview,
  assertPaywallMarkup, newsArticleLd, meterKey, forgeMeter, now, signedInReader, grant, orgAdd,
  rangeAdd, eventually, readerNote,
} from '../lib/paywall.mjs';
import { textOf } from '../lib/util.mjs';

let srv;
let spentCookie;
before(async () => {
  srv = await startServer();
  spentCookie = forgeMeter(meterKey(srv.db), [1, 2, 3].map((n) => ({ id: 9_000_000 + n, at: now() - 60 })));
});
after(async () => { await srv?.stop(); });

const [A, B, C] = METERED;
const [S] = SUBSCRIBERS;

test('JSON-LD and .paywalled on every variant of a paywalled article; free articles are marked free', { timeout: 60_000 }, async () => {
  const variants = [];
  const fresh = new Reader(srv.url);
  variants.push(['anonymous, counted read (whole)', A, await fresh.read(A), 'full']);
  variants.push(['anonymous, re-read (whole)', A, await fresh.read(A), 'full']);
  variants.push(['anonymous, spent meter (preview)', B, await new Reader(srv.url, { meter: spentCookie }).read(B), 'preview']);
  variants.push(['anonymous, tampered meter (preview)', B, await new Reader(srv.url, { meter: 'x' }).read(B), 'preview']);
  variants.push(['anonymous, subscribers article (preview)', S, await new Reader(srv.url).read(S), 'preview']);
  const { reader: member } = await signedInReader(srv, 'ld-member');
  variants.push(['signed in, metered (whole)', C, await member.read(C), 'full']);
  variants.push(['signed in, subscribers article (preview)', S, await member.read(S), 'preview']);
  const { reader: sub, email } = await signedInReader(srv, 'ld-subscriber');
  grant(srv.db, email);
  variants.push(['subscriber, metered (whole)', B, await sub.read(B), 'full']);
  variants.push(['subscriber, subscribers article (whole)', S, await sub.read(S), 'full']);
  for (const a of FREE) {
    variants.push([`anonymous, free ${a.slug}`, a, await new Reader(srv.url).read(a), 'full']);
    variants.push([`subscriber, free ${a.slug}`, a, await sub.read(a), 'full']);
  }
  for (const enc of ['identity', 'gzip']) {
    for (const [a, cookie, kind] of [[S, '', 'preview'], [B, `${METER_COOKIE}=${spentCookie}`, 'preview'],
      [FREE[0], '', 'full']]) {
      const r = await raw(srv.port, 'GET', a.path, { 'Accept-Encoding': enc, ...(cookie ? { Cookie: cookie } : {}) });
      variants.push([`raw ${enc}, ${a.slug}${cookie ? ' (spent)' : ''}`, a, { status: r.status, body: r.html, headText: r.headText }, kind]);
    }
  }

  for (const [what, a, r, kind] of variants) {
    if (kind === 'full') assertFull(r, a, what);
    else assertPreview(r, a, what);
    assertPaywallMarkup(r.body, a, what);
  }
});

test('institutional readers get the same markup', { timeout: 30_000 }, async () => {
  const s = await startServer();
  try {
    orgAdd(s.db, 'acme', 'Acme Corp');
    rangeAdd(s.db, 'acme', '127.0.0.0/8');
    const r = await eventually(async () => {
      const x = await new Reader(s.url).read(S);
      return textOf(x.body).includes('Access provided by Acme Corp') ? x : null;
    }, 'the organisation never took effect');
    assertFull(r, S, 'institution');
    assertPaywallMarkup(r.body, S, 'institution, subscribers article');
    const m = await new Reader(s.url).read(A);
    assertPaywallMarkup(m.body, A, 'institution, metered article');
  } finally {
    await s.stop();
  }
});

test('the JSON-LD of a preview and of the whole article are the same apart from nothing personal', { timeout: 30_000 }, async () => {
  const full = await new Reader(srv.url).read(C);
  const preview = await new Reader(srv.url, { meter: spentCookie }).read(C);
  assertFull(full, C);
  assertPreview(preview, C);
  assert.deepEqual(newsArticleLd(preview.body), newsArticleLd(full.body),
    'the preview and the whole article describe the article differently');
});

test('no bypass by User-Agent or Referer: crawlers and search referrals with a spent meter get the preview', { timeout: 30_000 }, async () => {
  const agents = [GOOGLEBOT,
    'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/120.0.0.0 Safari/537.36',
    'Googlebot-News', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    'facebookexternalhit/1.1', 'Twitterbot/1.0'];
  const referers = ['https://www.google.com/', 'https://news.google.com/articles/x',
    'https://www.bing.com/search?q=x', 'https://t.co/abc', 'https://www.facebook.com/'];
  const cases = [
    ...agents.map((ua) => [{ 'User-Agent': ua }, `UA ${ua}`]),
    ...referers.map((ref) => [{ Referer: ref }, `Referer ${ref}`]),
    [{ 'User-Agent': GOOGLEBOT, Referer: 'https://www.google.com/' }, 'Googlebot from Google'],
    [{ 'User-Agent': GOOGLEBOT, From: 'googlebot(at)googlebot.com', 'X-Forwarded-For': '66.249.66.1' }, 'Googlebot with From and a Google address'],
  ];
  for (const [headers, what] of cases) {
    for (const meter of [spentCookie, 'garbage']) {
      const r = await raw(srv.port, 'GET', B.path, { ...headers, Cookie: `${METER_COOKIE}=${meter}` });
      assertPreview({ status: r.status, body: r.html, headText: r.headText }, B, `${what}, ${meter === 'garbage' ? 'tampered' : 'spent'} meter`);
    }
    // A subscribers article, without a cookie at all.
    const s = await raw(srv.port, 'GET', S.path, headers);
    assertPreview({ status: s.status, body: s.html, headText: s.headText }, S, `${what}, subscribers article`);
  }
  // And the crawler is metered like anyone: its fourth distinct article is the preview.
  const bot = new Reader(srv.url, { userAgent: GOOGLEBOT });
  for (const a of METERED.slice(3, 6)) assertFull(await bot.read(a, { Referer: 'https://www.google.com/' }), a, `Googlebot, ${a.slug}`);
  assertPreview(await bot.read(METERED[6], { Referer: 'https://www.google.com/' }), METERED[6], 'Googlebot, fourth');
});

test('cache: a free article\'s anonymous copy is shared: same ETag twice, 304 on revalidation, no cookie, not private', { timeout: 30_000 }, async () => {
  for (const a of FREE) {
    const one = await raw(srv.port, 'GET', a.path);
    const two = await raw(srv.port, 'GET', a.path);
    assert.equal(one.status, 200);
    assertFull({ status: two.status, body: two.html }, a, `free ${a.slug}`);
    assert.ok(one.headers.etag, `free ${a.slug}: no ETag`);
    assert.equal(two.headers.etag, one.headers.etag, `free ${a.slug}: the ETag changed between two anonymous requests`);
    assert.ok(two.body.equals(one.body), `free ${a.slug}: two anonymous copies differ`);
    assert.equal(one.headers['set-cookie'], undefined, `free ${a.slug} sets ${one.headers['set-cookie']}`);
    const cc = one.headers['cache-control'] ?? '';
    assert.ok(!/\b(private|no-store)\b/.test(cc), `free ${a.slug}: Cache-Control "${cc}" on the shared copy`);
    assert.equal(readerNote(one.html) ?? '', '', `free ${a.slug}: a reader note in the shared copy`);
    const c = await raw(srv.port, 'GET', a.path, { 'If-None-Match': one.headers.etag });
    assert.equal(c.status, 304, `free ${a.slug}: revalidation with the ETag gave ${c.status}`);
    assert.equal(c.body.length, 0);
    // The same with a meter cookie: a free article is the same shared page.
    const m = await raw(srv.port, 'GET', a.path, { Cookie: `${METER_COOKIE}=${spentCookie}`, 'If-None-Match': one.headers.etag });
    assert.equal(m.status, 304, `free ${a.slug} with a meter cookie: revalidation gave ${m.status}`);
  }
});

test('cache: personal responses (meter note, Set-Cookie, signed in, subscriber) are private, no-store, Vary: Cookie, without an ETag that could be shared', { timeout: 30_000 }, async () => {
  const fresh = new Reader(srv.url);
  const cases = [
    ['counted read (Set-Cookie)', await fresh.read(METERED[7])],
    ['re-read (note)', await fresh.read(METERED[7])],
    ['spent preview (note)', await new Reader(srv.url, { meter: spentCookie }).read(METERED[7])],
  ];
  const { reader, email } = await signedInReader(srv, 'cache-personal');
  cases.push(['signed-in read', await reader.read(METERED[8])]);
  grant(srv.db, email);
  cases.push(['subscriber read', await reader.read(S)]);
  for (const [what, r] of cases) {
    assert.equal(r.status, 200, what);
    const cc = r.headers.get('cache-control') ?? '';
    assert.match(cc, /\bprivate\b/, `${what}: Cache-Control "${cc}"`);
    assert.match(cc, /\bno-store\b/, `${what}: Cache-Control "${cc}"`);
    assert.ok(!/\bpublic\b/.test(cc), `${what}: Cache-Control "${cc}"`);
    assert.match(r.headers.get('vary') ?? '', /\bcookie\b/i, `${what}: Vary "${r.headers.get('vary')}"`);
  }
  // Another reader's note never appears in a copy served to someone else.
  const spent = await new Reader(srv.url, { meter: spentCookie }).read(METERED[9]);
  assert.equal(spent.note, 'You have read your 3 free articles this month.');
  const sub = await reader.read(METERED[9]);
  assert.ok(!/free article/i.test(sub.note ?? ''), `the subscriber sees a meter note: ${sub.note}`);
  const other = await new Reader(srv.url).read(METERED[9]);
  assert.equal(other.note, '2 free articles left this month.');
});
