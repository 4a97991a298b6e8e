// Advertising in Chromium (issue 5), against the demo newsroom's house campaign (a creative in
// every placement). The page is the same for every reader; static/ads.js asks /ads/slots and
// fills the slots. With Playwright's clock control (installed and paused before the page loads):
// the interstitial opens as a modal dialog with "This ad will end in 10 seconds" and focus on
// "Close X", counts down (7 seconds after 3), keeps Tab and Shift+Tab inside, and leaves at zero
// giving focus back; a reload within the frequency cap shows none; in fresh browsers "Close X" and
// Escape close it; without JavaScript there is none; a subscriber gets no ads at all. The
// leaderboard, sidebar and in-article creatives are linked images with alt text, and every
// creative shown sends its impression beacon. ads.js stays quiet when /ads/slots fails.
// Screenshots: test-output/browser/ads-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, repoRoot, tmpDir } from '../lib/server.mjs';
import { addUser, freshEmail } from '../lib/accounts.mjs';
import { grant, PASSWORD, SUBSCRIBERS } from '../lib/paywall.mjs';
import { REFERENCE_PATH } from '../lib/util.mjs';

const OUT = path.join(repoRoot, 'test-output', 'browser');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 360, height: 740 };
const T = 10_000; // bound on every single browser wait

let srv;
let uploads;
let browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  uploads = tmpDir('broadsheet-uploads-');
  srv = await startServer({ args: ['--uploads', uploads] });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    try { await srv?.stop(); } finally { rmSync(uploads, { recursive: true, force: true }); }
  }
});

// A fresh browser (its own cookies) whose pages record console errors, page errors, CSP
// violations and the ad requests. With `clock`, the page's timers are Playwright's, installed
// and paused before anything loads: time moves only when the test says so.
async function newBrowser({ viewport = DESKTOP, clock = true, javaScriptEnabled = true } = {}) {
  const context = await browser.newContext({ viewport, javaScriptEnabled });
  context.setDefaultTimeout(T);
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/\/favicon\.ico$/.test(msg.location().url)) {
      problems.push(`console error: ${msg.text()} (${msg.location().url})`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname.startsWith('/ads/')) requests.push({ method: req.method(), path: url.pathname, url });
  });
  if (javaScriptEnabled) {
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
  }
  if (clock) {
    const t0 = Date.now();
    await page.clock.install({ time: t0 });
    await page.clock.pauseAt(t0 + 1000);
  }
  return { context, page, problems, requests };
}

// ads.js marks #ad-config data-ads="done" once it has dealt with the answer (or its failure).
const adsDone = (page) => page.locator('#ad-config[data-ads="done"]').waitFor({ state: 'attached' })
  .catch(() => assert.fail('ads.js did not finish (no #ad-config[data-ads="done"])'));

// Opens a page and waits until ads.js has had its answer from /ads/slots and acted on it.
async function open(page, urlPath, { ads = true } = {}) {
  const slots = ads ? page.waitForResponse((r) => new URL(r.url()).pathname === '/ads/slots', { timeout: T }) : null;
  const res = await page.goto(srv.url + urlPath, { waitUntil: 'load', timeout: T });
  assert.equal(res.status(), 200, `GET ${urlPath}`);
  if (slots) {
    const r = await slots;
    assert.equal(r.status(), 200, `/ads/slots answered ${r.status()}`);
    const body = await r.json();
    await adsDone(page);
    return body.ads;
  }
  return null;
}

const dialog = (page) => page.getByRole('dialog', { name: 'Advertisement' });
const countdown = (page) => dialog(page).locator('.ad-countdown');
const closeButton = (page) => dialog(page).getByRole('button', { name: 'Close advertisement' });

// The text a reader sees in an element: its text with the strings CSS draws in ::before and
// ::after (the X of "Close X" is drawn, so that it stays out of the button's label), spaces
// collapsed. Runs in the page.
function seenText(el) {
  const drawn = (node, pseudo) => {
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(getComputedStyle(node, pseudo).content);
    return m ? m[1] : '';
  };
  const walk = (node) => (node.nodeType === Node.TEXT_NODE ? node.textContent
    : node.nodeType === Node.ELEMENT_NODE
      ? drawn(node, '::before') + [...node.childNodes].map(walk).join('') + drawn(node, '::after')
      : '');
  return el ? walk(el).replace(/\s+/g, ' ').trim() : '';
}

async function active(page) {
  const el = await page.evaluateHandle(() => document.activeElement);
  try {
    return {
      ...(await el.evaluate((e) => ({
        tag: e?.tagName, id: e?.id || null,
        label: e?.getAttribute('aria-label') ?? null,
        inDialog: !!e?.closest('[role="dialog"]'),
      }))),
      text: await el.evaluate(seenText),
    };
  } finally {
    await el.dispose();
  }
}

async function assertClean(page, problems, what) {
  const csp = await page.evaluate(() => window.__cspViolations ?? []);
  assert.deepEqual([...problems, ...csp.map((v) => `CSP violation: ${v}`)], [], `errors: ${what}`);
}

// Waits until the dialog is open and says "This ad will end in N seconds" with focus on Close X.
async function assertOpen(page, seconds, what) {
  await dialog(page).waitFor({ state: 'visible' }).catch(() => assert.fail(`${what}: no interstitial`));
  assert.equal(await dialog(page).getAttribute('aria-modal'), 'true');
  assert.equal(await countdown(page).innerText(), `This ad will end in ${seconds} seconds`);
  const close = closeButton(page);
  assert.equal(await close.evaluate(seenText), 'Close X');
  assert.equal(await close.getAttribute('aria-label'), 'Close advertisement');
  const a = await active(page);
  assert.deepEqual([a.tag, a.text, a.label], ['BUTTON', 'Close X', 'Close advertisement'],
    `${what}: focus is not on Close X: ${JSON.stringify(a)}`);
}

async function assertClosed(page, what) {
  await dialog(page).waitFor({ state: 'detached' }).catch(() => assert.fail(`${what}: the interstitial is still there`));
  assert.equal(await page.locator('[inert]').count(), 0, `${what}: parts of the page are still inert`);
  const a = await active(page);
  assert.equal(a.id, 'main', `${what}: focus did not return to the content: ${JSON.stringify(a)}`);
}

// The linked creative in a slot: an image with alt text and width/height, linking to
// /ads/click/ID. Returns its id.
async function assertCreative(page, slot, ad) {
  const aside = page.locator(`[data-slot="${slot}"] aside.ad`);
  assert.equal(await aside.count(), 1, `no <aside class="ad"> in the ${slot} slot`);
  assert.equal(await aside.getAttribute('aria-label'), 'Advertisement');
  assert.equal((await aside.locator('.ad-label').innerText()).trim().toLowerCase(), 'advertisement');
  assert.equal(ad.kind, 'image', `the house campaign's ${slot} creative is ${ad.kind}`);
  const link = aside.locator('a');
  assert.equal(await link.getAttribute('href'), `/ads/click/${ad.id}`);
  assert.match(await link.getAttribute('href'), /^\/ads\/click\/\d+$/);
  assert.equal(await link.getAttribute('rel'), 'sponsored noopener');
  const img = link.locator('img');
  assert.equal(await img.getAttribute('src'), `/ads/image/${ad.id}`);
  const alt = await img.getAttribute('alt');
  assert.ok(alt && alt.trim() && alt === ad.alt, `the ${slot} image's alt text is "${alt}"`);
  assert.equal(await img.getAttribute('width'), String(ad.width));
  assert.equal(await img.getAttribute('height'), String(ad.height));
  await img.waitFor({ state: 'visible' });
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return el && el.complete && el.naturalWidth > 0;
  }, `[data-slot="${slot}"] img`, { timeout: T }).catch(() => assert.fail(`the ${slot} image did not load`));
  return ad.id;
}

const beacons = (requests) => requests.filter((r) => r.method === 'POST' && /^\/ads\/impression\/\d+$/.test(r.path))
  .map((r) => Number(r.path.split('/').pop()));

test('the interstitial: countdown, focus on Close X and trapped, gone at zero; capped on reload; the other slots and the beacons', { timeout: 120_000 }, async () => {
  const { context, page, problems, requests } = await newBrowser();
  try {
    const ads = await open(page, REFERENCE_PATH);
    for (const placement of ['interstitial', 'leaderboard', 'in-article', 'sidebar']) {
      assert.ok(ads[placement], `the house campaign has no ${placement} creative for a new reader: ${JSON.stringify(ads)}`);
    }
    const ask = requests.find((r) => r.path === '/ads/slots');
    assert.deepEqual(ask.url.searchParams.get('placements').split(',').sort(),
      ['in-article', 'interstitial', 'leaderboard', 'sidebar']);
    assert.ok(ask.url.searchParams.get('publication'), 'the article page does not send its publication');
    assert.ok(ask.url.searchParams.get('section'), 'the article page does not send its section');

    await assertOpen(page, 10, 'first visit');
    assert.equal(ads.interstitial.seconds, 10);
    // The dialog is labelled "Advertisement" by a heading, described by the countdown, and has
    // a polite live region; everything else is inert.
    assert.equal(await page.locator('[role="dialog"] [aria-live="polite"]').count(), 1);
    assert.equal(await dialog(page).getAttribute('aria-describedby'), await countdown(page).getAttribute('id'));
    assert.ok(await page.evaluate(() => !!document.querySelector('main').closest('[inert]')), 'the page behind is not inert');
    assert.ok(await page.evaluate(() => !!document.querySelector('.site-header').closest('[inert]')));
    const img = dialog(page).locator(`a[href="/ads/click/${ads.interstitial.id}"] img`);
    assert.equal(await img.getAttribute('alt'), ads.interstitial.alt);
    await img.waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.querySelector('[role="dialog"] img')?.complete);
    assert.ok(beacons(requests).includes(ads.interstitial.id), 'no impression beacon for the interstitial');
    await page.screenshot({ path: path.join(OUT, 'ads-interstitial.png') });

    await page.clock.runFor(1000);
    assert.equal(await countdown(page).innerText(), 'This ad will end in 9 seconds');
    await page.clock.runFor(2000);
    assert.equal(await countdown(page).innerText(), 'This ad will end in 7 seconds');

    // Focus stays in the dialog: Tab and Shift+Tab cycle through its controls.
    const seen = new Set();
    for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key);
      const a = await active(page);
      assert.ok(a.inDialog, `after ${key}, focus left the dialog: ${JSON.stringify(a)}`);
      seen.add(a.label ?? a.text);
    }
    assert.ok(seen.has('Close advertisement') && seen.size >= 2, `Tab only reached ${[...seen]}`);
    assert.equal(await countdown(page).innerText(), 'This ad will end in 7 seconds');

    await page.clock.runFor(6000);
    assert.equal(await countdown(page).innerText(), 'This ad will end in 1 second');
    await page.clock.runFor(1000);
    await assertClosed(page, 'at zero');

    // The rest of the page: the leaderboard, the sidebar, the in-article ad after paragraph 2.
    const ids = [ads.interstitial.id];
    ids.push(await assertCreative(page, 'ad-leaderboard', ads.leaderboard));
    ids.push(await assertCreative(page, 'ad-sidebar', ads.sidebar));
    ids.push(await assertCreative(page, 'ad-in-article', ads['in-article']));
    const after = await page.evaluate(() => {
      const slot = document.querySelector('[data-slot="ad-in-article"]');
      const paragraphs = [...document.querySelectorAll('.article-body > p, .article-body > .paywalled > p')];
      return { index: paragraphs.indexOf(slot.previousElementSibling), total: paragraphs.length };
    });
    assert.equal(after.index, 1, `the in-article ad does not follow paragraph 2: ${JSON.stringify(after)}`);
    assert.ok(after.total > 2);
    const sent = beacons(requests);
    for (const id of ids) assert.ok(sent.includes(id), `no impression beacon for creative ${id} (sent: ${sent})`);
    assert.equal(sent.length, 4, `impressions sent: ${sent}`);
    await page.screenshot({ path: path.join(OUT, 'ads-article.png'), fullPage: true });
    await assertClean(page, problems, 'the article with ads');

    // Within the cap, a reload brings the slots but no interstitial.
    requests.length = 0;
    const again = await open(page, REFERENCE_PATH);
    assert.equal(again.interstitial, undefined, 'the interstitial came back within the cap');
    assert.ok(again.leaderboard, 'no leaderboard after the reload');
    await page.locator('[data-slot="ad-leaderboard"] img').waitFor({ state: 'visible' });
    await page.clock.runFor(2000);
    assert.equal(await page.locator('[role="dialog"]').count(), 0, 'an interstitial shows after the reload');
    assert.equal(await page.locator('[inert]').count(), 0);
    assert.equal(beacons(requests).length, 3, `impressions after the reload: ${beacons(requests)}`);

    // Other pages have the leaderboard (no interstitial slot there).
    requests.length = 0;
    await open(page, '/');
    assert.ok(!requests.find((r) => r.path === '/ads/slots').url.searchParams.get('placements').includes('interstitial'));
    await page.locator('[data-slot="ad-leaderboard"] aside.ad img').waitFor({ state: 'visible' });
    await page.screenshot({ path: path.join(OUT, 'ads-home.png') });
    await assertClean(page, problems, 'the home page');

    // A subscribers-only article, anonymously: the one-paragraph preview and the prompt. The
    // in-article ad does not split them: it stays after the prompt.
    const locked = SUBSCRIBERS[0];
    assert.ok(locked, 'the demo has no subscribers-only article');
    const more = await open(page, locked.path);
    assert.ok(more['in-article'], 'no in-article creative on the preview');
    await page.locator('[data-slot="ad-in-article"] aside.ad img').waitFor({ state: 'visible' });
    const place = await page.evaluate(() => {
      const slot = document.querySelector('[data-slot="ad-in-article"]');
      return { inBody: !!slot.closest('.article-body'), after: slot.previousElementSibling?.getAttribute('data-slot'),
        paragraphs: document.querySelectorAll('.article-body p').length };
    });
    assert.deepEqual(place, { inBody: false, after: 'paywall', paragraphs: 1 }, 'the in-article ad on a preview');
    await page.screenshot({ path: path.join(OUT, 'ads-preview.png'), fullPage: true });
    await assertClean(page, problems, 'the preview');
  } finally {
    await context.close();
  }
});

test('a fresh reader closes the interstitial with "Close X"', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await newBrowser();
  try {
    await open(page, REFERENCE_PATH);
    await assertOpen(page, 10, 'Close X');
    await page.clock.runFor(2000);
    assert.equal(await countdown(page).innerText(), 'This ad will end in 8 seconds');
    await closeButton(page).click();
    await assertClosed(page, 'after Close X');
    // Its timer is gone with it: time passing changes nothing.
    await page.clock.runFor(10_000);
    assert.equal(await page.locator('[role="dialog"]').count(), 0);
    await assertClean(page, problems, 'Close X');
  } finally {
    await context.close();
  }
});

test('a fresh reader on a phone closes the interstitial with Escape', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await newBrowser({ viewport: PHONE });
  try {
    await open(page, REFERENCE_PATH);
    await assertOpen(page, 10, 'Escape');
    await page.waitForFunction(() => document.querySelector('[role="dialog"] img')?.complete);
    const overflow = await page.evaluate(() => {
      const card = document.querySelector('.ad-interstitial-card').getBoundingClientRect();
      return Math.max(0, card.right - window.innerWidth, -card.left);
    });
    assert.equal(overflow, 0, 'the interstitial card is wider than a 360px screen');
    await page.screenshot({ path: path.join(OUT, 'ads-interstitial-phone.png') });
    await page.keyboard.press('Escape');
    await assertClosed(page, 'after Escape');
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(sideways <= 0, `the page scrolls sideways by ${sideways}px with the ads in it`);
    await page.screenshot({ path: path.join(OUT, 'ads-article-phone.png'), fullPage: true });
    await assertClean(page, problems, 'phone');
  } finally {
    await context.close();
  }
});

test('without JavaScript there is no interstitial and no ad: straight to the article', { timeout: 60_000 }, async () => {
  const { context, page, requests } = await newBrowser({ clock: false, javaScriptEnabled: false });
  try {
    await open(page, REFERENCE_PATH, { ads: false });
    assert.equal(await page.locator('[role="dialog"]').count(), 0);
    assert.equal(await page.locator('aside.ad').count(), 0);
    assert.ok(await page.locator('h1.headline').isVisible());
    assert.deepEqual(requests, []);
  } finally {
    await context.close();
  }
});

test('a subscriber sees no interstitial and no ads', { timeout: 90_000 }, async () => {
  const email = freshEmail('ads-subscriber');
  addUser(srv.db, email, PASSWORD);
  grant(srv.db, email, { plan: 'annual', until: '2099-12-31' });
  const { context, page, problems } = await newBrowser();
  try {
    await open(page, `/login?next=${encodeURIComponent(REFERENCE_PATH)}`);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    const slots = page.waitForResponse((r) => new URL(r.url()).pathname === '/ads/slots', { timeout: T });
    await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: T }),
      page.getByRole('button', { name: 'Log in' }).click()]);
    assert.equal(new URL(page.url()).pathname, REFERENCE_PATH, 'the log-in did not return to the article');
    await page.locator('[data-slot="account"]').getByRole('link', { name: 'My account' }).waitFor({ state: 'visible' });
    const r = await slots;
    assert.deepEqual(await r.json(), { ads: {} }, 'the server offered a subscriber ads');
    await adsDone(page);
    await page.clock.runFor(1000);
    assert.equal(await page.locator('[role="dialog"]').count(), 0, 'a subscriber sees the interstitial');
    for (const slot of ['ad-leaderboard', 'ad-in-article', 'ad-sidebar', 'ad-interstitial']) {
      assert.equal(await page.locator(`[data-slot="${slot}"]`).evaluate((el) => el.childNodes.length), 0,
        `the ${slot} slot is filled for a subscriber`);
    }
    await page.screenshot({ path: path.join(OUT, 'ads-subscriber.png') });
    await assertClean(page, problems, 'subscriber');
  } finally {
    await context.close();
  }
});

test('ads.js fails quietly: a 404, an error, garbage or an empty answer leave the slots empty', { timeout: 90_000 }, async () => {
  const answers = [
    { status: 404, body: 'Not Found', contentType: 'text/plain' },
    { status: 500, body: '{"ads":', contentType: 'application/json' },
    { status: 200, body: 'not json', contentType: 'application/json' },
    { status: 200, body: '{"ads":null}', contentType: 'application/json' },
    { status: 200, body: '{"ads":{"leaderboard":{"kind":"image","image":"https://evil.example/x.png","width":728,"height":90},"sidebar":"nope","interstitial":{"kind":"html","frame":"//evil.example/"}}}', contentType: 'application/json' },
  ];
  for (const answer of answers) {
    const { context, page, problems } = await newBrowser();
    try {
      await page.route('**/ads/slots?*', (route) => route.fulfill(answer));
      await page.goto(srv.url + REFERENCE_PATH, { waitUntil: 'load', timeout: T });
      await adsDone(page);
      await page.clock.runFor(1000);
      assert.equal(await page.locator('[role="dialog"]').count(), 0, `${answer.body}: an interstitial`);
      assert.equal(await page.locator('aside.ad').count(), 0, `${answer.body}: an ad`);
      // Chromium itself reports a 4xx/5xx answer as "Failed to load resource" (no script can
      // prevent that); ads.js adds nothing of its own: no errors, no exceptions.
      const own = problems.filter((p) => !/^console error: Failed to load resource: the server responded with a status of (404|500)\b.*\/ads\/slots\?/.test(p));
      assert.deepEqual(own, [], `${answer.body}: errors`);
      const csp = await page.evaluate(() => window.__cspViolations ?? []);
      assert.deepEqual(csp, [], `${answer.body}: CSP violations`);
    } finally {
      await context.close();
    }
  }
});

test('with --ad-placements "" pages carry no ad configuration, load no ads.js and ask nothing', { timeout: 60_000 }, async () => {
  const dir = tmpDir('broadsheet-uploads-');
  const quiet = await startServer({ args: ['--uploads', dir, '--ad-placements', ''] });
  const { context, page, requests } = await newBrowser({ clock: false });
  try {
    for (const urlPath of ['/', REFERENCE_PATH]) {
      const res = await page.goto(quiet.url + urlPath, { waitUntil: 'load', timeout: T });
      const html = await res.text();
      assert.ok(!/id="ad-config"/.test(html), `${urlPath}: #ad-config without ads`);
      assert.ok(!/\/static\/ads\.[0-9a-f]+\.js/.test(html), `${urlPath}: ads.js without ads`);
      await page.waitForLoadState('networkidle', { timeout: T });
    }
    assert.deepEqual(requests, []);
  } finally {
    await context.close();
    try { await quiet.stop(); } finally { rmSync(dir, { recursive: true, force: true }); }
  }
});
