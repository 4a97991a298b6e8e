// Accessibility of every page type in Chromium, checked by axe-core (npm's, injected into the
// page): no violation of impact "serious" or "critical" is allowed; the others are printed as
// diagnostics. The page types are lib/page-types.mjs's (the same documents the HTML test
// validates), each shown in a browser with the reader's cookies, so the scripts run and the ads
// come from /ads/slots as usual (the interstitial is capped for these, so the page itself is
// checked). Then the states scripts make: the interstitial open (its dialog, the inert page
// behind it), the outdated-browser notice shown, the navigation open on a phone, and an HTML
// creative in its sandboxed frame on an article. Screenshots: test-output/browser/a11y-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from '../lib/server.mjs';
import { startPageTypesServer, collectPageTypes, runAdTagOnly } from '../lib/page-types.mjs';
import { REFERENCE_PATH } from '../lib/util.mjs';

const OUT = path.join(repoRoot, 'test-output', 'browser');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 360, height: 740 };
const T = 10_000; // bound on every single browser wait
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const OLD_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/90.0.4430.212 Safari/537.36';
// Page types photographed (the name's words joined by dashes: a11y-home.png, …).
const SHOTS = ['home', 'article, metered, preview with the paywall', 'account, subscriber, two sessions',
  'register, with errors', '404, no such page', '403, expired form'];
// Headers of a captured response that must not be replayed as they were.
const DROP = ['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive',
  'date', 'set-cookie'];

let env;
let pages = [];
let browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  // The interstitial's countdown at its longest (60 s), so that it is still open while axe runs.
  env = await startPageTypesServer({ args: ['--ad-interstitial-seconds', '60'] });
  pages = await collectPageTypes(env);
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
    await env?.stop();
  }
});

const slug = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

// A fresh browser; `userAgent` to pretend to be another browser.
async function newBrowser({ viewport = DESKTOP, userAgent } = {}) {
  const context = await browser.newContext({ viewport, ...(userAgent ? { userAgent } : {}) });
  context.setDefaultTimeout(T);
  return { context, page: await context.newPage() };
}

// Gives the browser exactly `cookies` ({name, value}) for the site; `capped` adds a cap cookie
// that says the interstitial was just shown, so that no page opens it.
async function setCookies(context, cookies, { capped = true } = {}) {
  await context.clearCookies();
  const all = [...cookies];
  if (capped) all.push({ name: 'bs_ad_cap', value: String(Math.floor(Date.now() / 1000)) });
  if (all.length) await context.addCookies(all.map((c) => ({ ...c, url: env.srv.url })));
}

// Once the page has loaded (deferred scripts have run), waits for ads.js to have filled the
// slots, when the page has ads, and for every image to have loaded.
async function settle(page) {
  if (await page.locator('#ad-config').count()) {
    await page.locator('#ad-config[data-ads="done"]').waitFor({ state: 'attached' })
      .catch(() => assert.fail('ads.js did not finish (no #ad-config[data-ads="done"])'));
  }
  await page.waitForFunction(() => [...document.images].every((i) => i.complete), null, { timeout: T });
}

// Runs axe-core in the document of `page` (a Page, or a Frame: frames are checked on their own,
// see the HTML creative's test). Resolves with its violations.
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { iframes: false, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html, summary: n.failureSummary })),
    }));
  });
}

function describe(violations) {
  return violations.map((v) => `  [${v.impact}] ${v.id}: ${v.help} (${v.url})\n` +
    v.nodes.map((n) => `    ${n.target}\n      ${n.html.slice(0, 200)}\n      ${(n.summary ?? '').replace(/\n/g, '\n      ')}`)
      .join('\n')).join('\n');
}

const SEVERE = new Set(['serious', 'critical']);

// Checks the page as it is now: returns the serious and critical violations as text ('' when
// none) and reports the others as diagnostics of test context t.
async function check(t, page, what) {
  const violations = await axe(page);
  const minor = violations.filter((v) => !SEVERE.has(v.impact));
  if (minor.length) t.diagnostic(`${what}: lesser axe findings\n${describe(minor)}`);
  const severe = violations.filter((v) => SEVERE.has(v.impact));
  return severe.length ? `${what}:\n${describe(severe)}` : '';
}

// Shows captured page type p in browser b ({context, page}) at its own address: the document is
// the captured one (a POST's answer or a used link cannot be asked for again), everything it
// loads comes from the server, with the reader's cookies.
async function show(b, p) {
  await setCookies(b.context, p.cookies);
  const target = new URL(p.path, env.srv.url).href;
  const headers = Object.fromEntries(Object.entries(p.headers).filter(([k]) => !DROP.includes(k)));
  let served = false;
  await b.page.route((u) => u.href === target, (route) => {
    served = true;
    return route.fulfill({ status: p.status, headers, body: p.body });
  }, { times: 1 });
  await b.page.goto(target, { waitUntil: 'load', timeout: T });
  assert.ok(served, `${p.name}: the browser did not ask for ${target}`);
  await settle(b.page);
}

test('every page type: no serious or critical axe-core violation (desktop)', { timeout: 300_000 }, async (t) => {
  assert.ok(pages.length > 0);
  const failures = [];
  const b = await newBrowser(); // one browser for all, its cookies set for each page type
  try {
    for (const p of pages) {
      await show(b, p);
      const found = await check(t, b.page, `${p.name} (${p.status} ${p.path})`);
      if (found) failures.push(found);
      if (SHOTS.includes(p.name)) {
        await b.page.screenshot({ path: path.join(OUT, `a11y-${slug(p.name)}.png`), fullPage: true });
      }
    }
  } finally {
    await b.context.close();
  }
  assert.equal(failures.length, 0, `${failures.length} of ${pages.length} page types have serious ` +
    `or critical accessibility violations:\n\n${failures.join('\n\n')}`);
});

test('phone width, the navigation closed and open: no serious or critical violation', { timeout: 120_000 }, async (t) => {
  const failures = [];
  const b = await newBrowser({ viewport: PHONE });
  try {
    for (const name of ['home', 'article, metered, preview with the paywall', 'account, subscriber, two sessions']) {
      const p = pages.find((x) => x.name === name);
      await show(b, p);
      failures.push(await check(t, b.page, `${name}, phone`));
      const toggle = b.page.getByRole('button', { name: 'Reveal Navigation' });
      await toggle.click();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      failures.push(await check(t, b.page, `${name}, phone, navigation open`));
      if (name === 'home') await b.page.screenshot({ path: path.join(OUT, 'a11y-phone-nav-open.png') });
    }
  } finally {
    await b.context.close();
  }
  assert.deepEqual(failures.filter(Boolean), []);
});

test('the interstitial open: no serious or critical violation', { timeout: 60_000 }, async (t) => {
  const { context, page } = await newBrowser();
  try {
    await setCookies(context, [], { capped: false });
    await page.goto(env.srv.url + REFERENCE_PATH, { waitUntil: 'load', timeout: T });
    const dialog = page.getByRole('dialog', { name: 'Advertisement' });
    await dialog.waitFor({ state: 'visible' }).catch(() => assert.fail('no interstitial'));
    await settle(page);
    const found = await check(t, page, 'the interstitial open');
    // Still open: the result is about the dialog, not the page after it.
    assert.ok(await dialog.isVisible(), 'the interstitial closed while axe ran');
    await page.screenshot({ path: path.join(OUT, 'a11y-interstitial.png') });
    assert.equal(found, '', found);
  } finally {
    await context.close();
  }
});

test('the outdated-browser notice shown: no serious or critical violation', { timeout: 60_000 }, async (t) => {
  const failures = [];
  for (const [urlPath, viewport] of [['/', DESKTOP], [REFERENCE_PATH, DESKTOP], ['/', PHONE]]) {
    const { context, page } = await newBrowser({ userAgent: OLD_CHROME, viewport });
    try {
      await setCookies(context, []);
      await page.goto(env.srv.url + urlPath, { waitUntil: 'load', timeout: T });
      await page.getByRole('region', { name: 'Your browser is out of date.' }).waitFor({ state: 'visible' })
        .catch(() => assert.fail(`${urlPath}: the notice is not shown to Chrome 90`));
      await settle(page);
      failures.push(await check(t, page, `the notice on ${urlPath} (${viewport.width}px)`));
      if (viewport === PHONE) await page.screenshot({ path: path.join(OUT, 'a11y-browser-notice-phone.png') });
    } finally {
      await context.close();
    }
  }
  assert.deepEqual(failures.filter(Boolean), []);
});

// Last: it ends the house campaign for every page of this server.
test('an HTML creative in its frame on an article: no serious or critical violation, in the page or the frame', { timeout: 60_000 }, async (t) => {
  runAdTagOnly(env);
  const { context, page } = await newBrowser();
  try {
    await setCookies(context, []);
    await page.goto(env.srv.url + REFERENCE_PATH, { waitUntil: 'load', timeout: T });
    await settle(page);
    const frame = page.locator('[data-slot="ad-sidebar"] iframe.ad-frame');
    await frame.waitFor({ state: 'attached' }).catch(() => assert.fail('no HTML creative in the sidebar'));
    const failures = [await check(t, page, 'the article with an HTML creative')];
    const inner = await (await frame.elementHandle()).contentFrame();
    await inner.waitForLoadState('load');
    failures.push(await check(t, inner, 'the creative in its frame'));
    assert.deepEqual(failures.filter(Boolean), []);
  } finally {
    await context.close();
  }
});
