// The outdated-browser notice in Chromium (issue 5). The page is the same for everyone; the
// ES3 script static/browser-notice.js decides in the browser. With an old User-Agent (Chrome 90,
// Internet Explorer 11, …) the notice shows with the reference page's wording and the list of
// supported browsers; "Close and don't show again." hides it and a long-lived cookie keeps it
// hidden after a reload; with the real Chromium User-Agent, or a bot's, it never shows.
// Screenshots: test-output/browser/browser-notice-*.png.
//
// The server runs without ads (--ad-placements ""): this file is about the notice alone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, repoRoot, tmpDir } from '../lib/server.mjs';
import { REFERENCE_PATH } from '../lib/util.mjs';

const OUT = path.join(repoRoot, 'test-output', 'browser');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 360, height: 740 };
const T = 10_000; // bound on every single browser wait

const UA = {
  chrome90: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
    'Chrome/90.0.4430.212 Safari/537.36',
  ie11: 'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko',
  ie8: 'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)',
  edge18: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
    'Chrome/70.0.3538.102 Safari/537.36 Edge/18.19041',
  edge110: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
    'Chrome/110.0.0.0 Safari/537.36 Edg/110.0.1587.41',
  edge132: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
    'Chrome/132.0.0.0 Safari/537.36 Edg/132.0.2957.127',
  firefox115: 'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0',
  firefox134: 'Mozilla/5.0 (X11; Linux x86_64; rv:134.0) Gecko/20100101 Firefox/134.0',
  safari15: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
    'Version/15.6.1 Safari/605.1.15',
  safari18ios: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 ' +
    '(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  googlebot: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; ' +
    '+http://www.google.com/bot.html) Chrome/90.0.4430.212 Safari/537.36',
  curl: 'curl/8.5.0',
};

const WORDING = [
  'Your browser is out of date.',
  'You may not get the full experience here on National Journal.',
  'Please upgrade your browser to any of the following supported browsers:',
];
const BROWSERS = [
  ['Chrome', 'https://www.google.com/chrome/', 'version 131 or later'],
  ['Edge', 'https://www.microsoft.com/edge', 'version 131 or later'],
  ['Firefox', 'https://www.mozilla.org/firefox/new/', 'version 133 or later'],
  ['Safari', 'https://www.apple.com/safari/', 'version 18 or later'],
];
const CLOSE = "Close and don't show again.";

let srv;
let uploads;
let browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  uploads = tmpDir('broadsheet-uploads-');
  srv = await startServer({ args: ['--uploads', uploads, '--ad-placements', ''] });
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

// A context (with the given User-Agent, or Chromium's own) whose pages record console errors,
// page errors and CSP violations.
async function newBrowser({ userAgent, viewport = DESKTOP } = {}) {
  const context = await browser.newContext({ viewport, ...(userAgent ? { userAgent } : {}) });
  context.setDefaultTimeout(T);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/\/favicon\.ico$/.test(msg.location().url)) {
      problems.push(`console error: ${msg.text()} (${msg.location().url})`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { context, page, problems };
}

// Loads a page; once 'load' has fired every deferred script (browser-notice.js among them) has
// run, so the notice is in its final state.
async function open(page, urlPath = '/') {
  const res = await page.goto(srv.url + urlPath, { waitUntil: 'load', timeout: T });
  assert.equal(res.status(), 200, `GET ${urlPath}`);
  assert.equal(await page.evaluate(() => document.readyState), 'complete');
}

const notice = (page) => page.locator('[data-slot="browser-notice"]');

async function assertClean(page, problems, what) {
  const csp = await page.evaluate(() => window.__cspViolations ?? []);
  assert.deepEqual([...problems, ...csp.map((v) => `CSP violation: ${v}`)], [], `errors: ${what}`);
}

async function assertShown(page, what) {
  const n = notice(page);
  await n.waitFor({ state: 'visible' }).catch(() => assert.fail(`${what}: the notice is not shown`));
  const text = (await n.innerText()).replace(/\s+/g, ' ');
  for (const sentence of WORDING) {
    assert.ok(text.includes(sentence), `${what}: the notice does not say "${sentence}": ${text}`);
  }
  for (const [name, url, version] of BROWSERS) {
    const link = n.getByRole('link', { name, exact: true });
    assert.equal(await link.count(), 1, `${what}: no "${name}" link`);
    assert.equal(await link.getAttribute('href'), url, `${what}: the ${name} link`);
    assert.ok(await link.isVisible(), `${what}: the ${name} link is not visible`);
    assert.ok(text.includes(`${name} ${version}`), `${what}: no "${name} ${version}" in ${text}`);
  }
  const button = n.getByRole('button', { name: CLOSE, exact: true });
  assert.ok(await button.isVisible(), `${what}: no visible "${CLOSE}" button`);
  assert.equal((await button.innerText()).trim(), CLOSE);
  // The notice is the region named by its first sentence, right at the top of the page.
  assert.equal(await page.getByRole('region', { name: 'Your browser is out of date.' }).count(), 1);
  const box = await n.boundingBox();
  assert.ok(box && box.y < 1, `${what}: the notice is not at the top of the page (y = ${box?.y})`);
}

async function assertHidden(page, what) {
  const n = notice(page);
  assert.equal(await n.count(), 1, `${what}: no notice element in the page`);
  assert.equal(await n.isVisible(), false, `${what}: the notice is shown`);
  assert.notEqual(await n.getAttribute('hidden'), null, `${what}: the notice lost its hidden attribute`);
}

test('an old Chrome sees the notice; "Close and don\'t show again." keeps it away after a reload', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await newBrowser({ userAgent: UA.chrome90 });
  try {
    await open(page, REFERENCE_PATH);
    await assertShown(page, 'Chrome 90');
    assert.equal(await page.evaluate(() => navigator.userAgent), UA.chrome90);

    // The skip link is still the first stop of the keyboard; the notice's links come next.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Chrome');
    await page.evaluate(() => document.activeElement.blur());
    await page.screenshot({ path: path.join(OUT, 'browser-notice-chrome90.png') });

    await notice(page).getByRole('button', { name: CLOSE }).click();
    await notice(page).waitFor({ state: 'hidden' });
    await assertHidden(page, 'after "Close and don\'t show again."');

    const cookie = (await context.cookies()).find((c) => c.name === 'bs_browser_notice');
    assert.ok(cookie, 'no bs_browser_notice cookie');
    assert.equal(cookie.value, 'dismissed');
    assert.equal(cookie.path, '/');
    assert.equal(cookie.sameSite, 'Lax');
    const days = (cookie.expires - Date.now() / 1000) / 86400;
    assert.ok(days > 364 && days <= 366, `the cookie lasts ${days} days, not a year`);
    assert.equal(await page.evaluate(() => localStorage.getItem('bs_browser_notice')), 'dismissed');
    await page.screenshot({ path: path.join(OUT, 'browser-notice-dismissed.png') });

    await page.reload({ waitUntil: 'load', timeout: T });
    await assertHidden(page, 'after a reload');
    await open(page, '/');
    await assertHidden(page, 'on another page');

    // The cookie alone is enough (storage may be off in an old browser).
    await page.evaluate(() => localStorage.clear());
    await page.reload({ waitUntil: 'load', timeout: T });
    await assertHidden(page, 'with the cookie only');
    await assertClean(page, problems, 'Chrome 90');
  } finally {
    await context.close();
  }
});

test('Internet Explorer is always too old: IE 11 and IE 8 see the notice', { timeout: 60_000 }, async () => {
  for (const [name, ua] of [['ie11', UA.ie11], ['ie8', UA.ie8]]) {
    const { context, page, problems } = await newBrowser({ userAgent: ua });
    try {
      await open(page, '/');
      await assertShown(page, name);
      if (name === 'ie11') await page.screenshot({ path: path.join(OUT, 'browser-notice-ie11.png'), fullPage: true });
      await assertClean(page, problems, name);
    } finally {
      await context.close();
    }
  }
});

test('on a phone the notice fits 360px', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await newBrowser({ userAgent: UA.safari15, viewport: PHONE });
  try {
    await open(page, REFERENCE_PATH);
    await assertShown(page, 'Safari 15 on a phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: path.join(OUT, 'browser-notice-phone.png') });
    await assertClean(page, problems, 'phone');
  } finally {
    await context.close();
  }
});

test('the real Chromium never sees the notice', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await newBrowser();
  try {
    const ua = await page.evaluate(() => navigator.userAgent);
    const major = Number(/(?:Headless)?Chrome\/(\d+)/.exec(ua)?.[1]);
    assert.ok(major >= 131, `this Chromium (${ua}) is older than the default minimum, 131`);
    for (const urlPath of ['/', REFERENCE_PATH]) {
      await open(page, urlPath);
      await assertHidden(page, `Chromium's own User-Agent on ${urlPath}`);
    }
    await page.screenshot({ path: path.join(OUT, 'browser-notice-current.png') });
    await assertClean(page, problems, 'current Chromium');
  } finally {
    await context.close();
  }
});

test('each browser against its own minimum; unknown browsers and bots never see it', { timeout: 120_000 }, async () => {
  const cases = [
    ['edge18', true], ['edge110', true], ['edge132', false], ['firefox115', true],
    ['firefox134', false], ['safari15', true], ['safari18ios', false], ['googlebot', false],
    ['curl', false],
  ];
  for (const [name, shown] of cases) {
    const { context, page, problems } = await newBrowser({ userAgent: UA[name] });
    try {
      await open(page, '/');
      if (shown) await assertShown(page, name);
      else await assertHidden(page, name);
      await assertClean(page, problems, name);
    } finally {
      await context.close();
    }
  }
});
