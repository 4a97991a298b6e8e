// A reader in Chromium: the skip link, the navigation button on a phone (with and without
// JavaScript), screenshots, and no console errors or CSP violations.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, repoRoot } from '../lib/server.mjs';
import { REFERENCE_PATH } from '../lib/util.mjs';

const OUT = path.join(repoRoot, 'test-output', 'browser');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 740 };
const T = 10_000; // bound on every single browser wait

let srv;
let browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  // The interstitial ad is a modal that takes focus first by design (tests/browser/ads.test.mjs
  // covers it and the focus it returns); this file is about the page's own chrome, so the
  // interstitial placement is left out here.
  srv = await startServer({ args: ['--ad-placements', 'leaderboard,in-article,sidebar'] });
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
    await srv?.stop();
  }
});

// A page that records console errors, page errors and CSP violations.
async function openPage(contextOptions, urlPath) {
  const context = await browser.newContext(contextOptions);
  context.setDefaultTimeout(T);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    // Chromium's own /favicon.ico probe happens at a moment of its choosing, so whether its
    // failure is seen would be a matter of timing: it is left out to keep the test deterministic.
    if (msg.type() === 'error' && !/\/favicon\.ico$/.test(msg.location().url)) problems.push(`console error: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  if (contextOptions.javaScriptEnabled !== false) {
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
  }
  const res = await page.goto(srv.url + urlPath, { waitUntil: 'load', timeout: T });
  assert.equal(res.status(), 200, `GET ${urlPath}`);
  return { context, page, problems };
}

const navLinks = (page) => page.locator('#site-nav a');
const navButton = (page) => page.locator('button[aria-controls="site-nav"]', { hasText: 'Reveal Navigation' });

test('desktop: Tab reaches the skip link first; Enter moves focus to main', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await openPage({ viewport: DESKTOP }, REFERENCE_PATH);
  try {
    await page.keyboard.press('Tab');
    const active = await page.evaluate(() => ({
      tag: document.activeElement?.tagName,
      cls: document.activeElement?.className,
      text: document.activeElement?.textContent?.trim(),
      href: document.activeElement?.getAttribute('href'),
    }));
    assert.deepEqual(active, { tag: 'A', cls: 'skip-link', text: 'Skip Navigation', href: '#main' },
      'the first Tab does not land on the skip link');
    await page.screenshot({ path: path.join(OUT, 'skip-link-focused.png') });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'main', null, { timeout: T })
      .catch(async () => {
        const id = await page.evaluate(() => `${document.activeElement?.tagName}#${document.activeElement?.id}`);
        assert.fail(`after Enter on the skip link, focus is on ${id}, not main#main`);
      });
    assert.equal(await page.evaluate(() => document.activeElement.tagName), 'MAIN');
    await page.screenshot({ path: path.join(OUT, 'article-desktop.png'), fullPage: true });
    const csp = await page.evaluate(() => window.__cspViolations);
    assert.deepEqual([...problems, ...csp.map((v) => `CSP violation: ${v}`)], [],
      'errors on the article page');
  } finally {
    await context.close();
  }
});

test('phone: the navigation is collapsed behind "Reveal Navigation"', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await openPage({ viewport: PHONE },
    REFERENCE_PATH);
  try {
    const links = navLinks(page);
    const button = navButton(page);
    assert.ok(await links.count() > 0, 'no #site-nav links');
    await button.waitFor({ state: 'visible', timeout: T });
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    for (let i = 0; i < await links.count(); i++) {
      assert.equal(await links.nth(i).isVisible(), false, `nav link ${i} is visible while collapsed`);
    }

    await button.click();
    await page.waitForFunction(() => document.querySelector('button[aria-controls="site-nav"]')
      ?.getAttribute('aria-expanded') === 'true', null, { timeout: T });
    await links.first().waitFor({ state: 'visible', timeout: T });
    await page.screenshot({ path: path.join(OUT, 'nav-open.png') });

    await button.click();
    await page.waitForFunction(() => document.querySelector('button[aria-controls="site-nav"]')
      ?.getAttribute('aria-expanded') === 'false', null, { timeout: T });
    await links.first().waitFor({ state: 'hidden', timeout: T });

    const csp = await page.evaluate(() => window.__cspViolations);
    assert.deepEqual([...problems, ...csp.map((v) => `CSP violation: ${v}`)], [], 'errors on the page');
  } finally {
    await context.close();
  }
});

test('phone without JavaScript: the navigation is shown, the button is not', { timeout: 60_000 }, async () => {
  const { context, page } = await openPage({ viewport: PHONE, javaScriptEnabled: false }, REFERENCE_PATH);
  try {
    const links = navLinks(page);
    assert.ok(await links.count() > 0, 'no #site-nav links');
    await links.first().waitFor({ state: 'visible', timeout: T });
    for (let i = 0; i < await links.count(); i++) {
      assert.equal(await links.nth(i).isVisible(), true, `nav link ${i} is hidden without JavaScript`);
    }
    assert.equal(await navButton(page).isVisible(), false,
      'the Reveal Navigation button shows without JavaScript (it can do nothing)');
    await page.screenshot({ path: path.join(OUT, 'nav-nojs-phone.png') });
  } finally {
    await context.close();
  }
});

test('home page screenshots, desktop and phone, without errors', { timeout: 60_000 }, async () => {
  for (const [viewport, file] of [[DESKTOP, 'home.png'], [PHONE, 'home-phone.png']]) {
    const { context, page, problems } = await openPage({ viewport }, '/');
    try {
      await page.screenshot({ path: path.join(OUT, file), fullPage: true });
      const csp = await page.evaluate(() => window.__cspViolations);
      assert.deepEqual([...problems, ...csp.map((v) => `CSP violation: ${v}`)], [], `errors on / (${file})`);
    } finally {
      await context.close();
    }
  }
});
