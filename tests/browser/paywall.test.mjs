// The metered paywall in Chromium (issue 4): an anonymous reader reads three metered demo
// articles in full, meets the prompt on the fourth (visible, with the withheld paragraphs absent
// from the DOM, not merely hidden), follows "Learn More »" to the offers page and sees the plans;
// then logs in through the prompt's "Already a subscriber? Log in" (an account made with
// `broadsheet user add` whose own allowance is spent, so the log-in alone opens nothing), and
// once `broadsheet subscription grant` has run, the same fourth article reads in full.
// Screenshots: test-output/browser/paywall-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, repoRoot } from '../lib/server.mjs';
import { addUser, freshEmail, sql } from '../lib/accounts.mjs';
import { METERED, PROMPT, PASSWORD, grant, withheld } from '../lib/paywall.mjs';

const OUT = path.join(repoRoot, 'test-output', 'browser');
const DESKTOP = { width: 1280, height: 900 };
const T = 10_000; // bound on every single browser wait

let srv;
let browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  srv = await startServer();
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

async function newBrowser() {
  const context = await browser.newContext({ viewport: DESKTOP });
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

async function shot(page, name, problems) {
  await page.screenshot({ path: path.join(OUT, `paywall-${name}.png`), fullPage: true });
  const csp = await page.evaluate(() => window.__cspViolations ?? []);
  assert.deepEqual([...problems, ...csp.map((v) => `CSP violation: ${v}`)], [], `errors on ${name}`);
}

async function clickAndWait(page, locator) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: T }), locator.click()]);
}

async function open(page, urlPath) {
  const res = await page.goto(srv.url + urlPath, { waitUntil: 'load', timeout: T });
  assert.equal(res.status(), 200, `GET ${urlPath}`);
}

// The text of the whole DOM (hidden elements included) and its markup.
const domText = (page) => page.evaluate(() => document.documentElement.textContent.replace(/\s+/g, ' '));

// Asserts the article is whole on the page: its last paragraph visible, no prompt.
async function assertWhole(page, a, what) {
  const last = a.plain.at(-1);
  await page.getByText(last.slice(0, 80)).first().waitFor({ state: 'visible' })
    .catch(() => assert.fail(`${what}: the last paragraph of ${a.slug} is not visible`));
  assert.equal(await page.getByText('Want access to this content?').count(), 0, `${what}: the prompt is shown`);
}

// Asserts the preview: the prompt and its links visible, the withheld paragraphs not in the DOM.
async function assertPrompt(page, a, what) {
  await page.getByText('Want access to this content?').first().waitFor({ state: 'visible' })
    .catch(() => assert.fail(`${what}: no visible "Want access to this content?"`));
  const learn = page.locator('a[href="/offers"]', { hasText: 'Learn More' });
  await learn.first().waitFor({ state: 'visible' });
  await page.locator(`a[href="/login?next=${a.path}"]`, { hasText: 'Log in' }).first().waitFor({ state: 'visible' });
  await page.getByText(a.plain[0].slice(0, 80)).first().waitFor({ state: 'visible' })
    .catch(() => assert.fail(`${what}: the first paragraph is not shown in the preview`));
  const text = await domText(page);
  assert.ok(text.replace(/\s+/g, ' ').includes(PROMPT), `${what}: the prompt does not read "${PROMPT}"`);
  const html = await page.content();
  for (const p of withheld(a)) {
    const phrase = p.text.slice(0, 60);
    assert.ok(!text.includes(phrase), `${what}: withheld paragraph ${p.index + 1} is in the DOM text`);
    assert.ok(!html.includes(phrase), `${what}: withheld paragraph ${p.index + 1} is in the page's markup`);
    const tail = p.text.slice(-60);
    assert.ok(!text.includes(tail) && !html.includes(tail), `${what}: the end of paragraph ${p.index + 1} is in the DOM`);
  }
}

const note = (page) => page.evaluate(() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_COMMENT);
  let open = null;
  const parts = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.nodeValue === 'reader-note') open = n;
    else if (n.nodeValue === '/reader-note' && open) {
      const range = document.createRange();
      range.setStartAfter(open);
      range.setEndBefore(n);
      parts.push(range.toString());
      open = null;
    }
  }
  return parts.join(' ').replace(/\s+/g, ' ').trim();
});

test('three metered articles in full, the prompt on the fourth, Learn More to the plans; logged in and granted, the fourth in full', { timeout: 120_000 }, async () => {
  const [A, B, C, D] = METERED;
  const email = freshEmail('browser-paywall');
  addUser(srv.db, email, PASSWORD);
  // The account's own allowance of ten is spent (read on another device: ten metered articles
  // other than D), so that only the subscription can open D once signed in.
  const id = sql(srv.db, `SELECT id FROM users WHERE email = '${email}'`);
  const others = METERED.filter((a) => a !== D).slice(0, 10).map((a) => `'${a.slug}'`).join(',');
  sql(srv.db, `INSERT INTO meter_reads (user_id, article_id, read_at) SELECT ${id}, id, ` +
    `CAST(strftime('%s','now') AS INTEGER) - 60 FROM articles WHERE slug IN (${others})`);
  assert.equal(sql(srv.db, `SELECT count(*) FROM meter_reads WHERE user_id = ${id}`), '10');

  const { context, page, problems } = await newBrowser();
  try {
    const notes = ['2 free articles left this month.', '1 free article left this month.',
      'This is your last free article this month.'];
    for (const [i, a] of [A, B, C].entries()) {
      await open(page, a.path);
      await assertWhole(page, a, `anonymous read ${i + 1}`);
      assert.equal(await note(page), notes[i], `anonymous read ${i + 1}: the meter's note`);
      await page.getByText(notes[i]).first().waitFor({ state: 'visible' })
        .catch(() => assert.fail(`anonymous read ${i + 1}: "${notes[i]}" is not visible`));
      await shot(page, `${i + 1}-article`, problems);
    }
    const cookies = await context.cookies();
    const meter = cookies.find((c) => c.name === 'bs_meter');
    assert.ok(meter, 'no bs_meter cookie in the browser');
    assert.equal(meter.httpOnly, true);
    assert.equal(meter.sameSite, 'Lax');
    assert.equal(await page.evaluate(() => document.cookie.includes('bs_meter')), false);

    await open(page, D.path);
    await assertPrompt(page, D, 'the fourth article');
    assert.equal(await note(page), 'You have read your 3 free articles this month.');
    await shot(page, '4-prompt', problems);

    await clickAndWait(page, page.locator('a[href="/offers"]', { hasText: 'Learn More' }).first());
    assert.equal(new URL(page.url()).pathname, '/offers');
    for (const text of ['National Journal Digital', '$12.99', 'National Journal Digital, Annual',
      '$129.00', 'Institutional access']) {
      await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible' })
        .catch(() => assert.fail(`the offers page does not show "${text}"`));
    }
    await page.getByText(/contact us/i).first().waitFor({ state: 'visible' })
      .catch(() => assert.fail('the offers page has no visible "Contact us"'));
    await shot(page, 'offers', problems);

    // Back to the article, and "Already a subscriber? Log in" with the account.
    await page.goBack({ waitUntil: 'load', timeout: T });
    assert.equal(new URL(page.url()).pathname, D.path);
    await assertPrompt(page, D, 'back on the fourth article');
    await clickAndWait(page, page.locator(`a[href="/login?next=${D.path}"]`, { hasText: 'Log in' }).first());
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await shot(page, 'login', problems);
    await clickAndWait(page, page.getByRole('button', { name: 'Log in' }));
    assert.equal(new URL(page.url()).pathname, D.path, 'the log-in did not return to the article');
    await page.locator('[data-slot="account"]').getByRole('link', { name: 'My account' }).waitFor({ state: 'visible' });
    // Signed in, the allowance spent, no subscription yet: still the prompt.
    await assertPrompt(page, D, 'signed in without a subscription');
    assert.equal(await note(page), 'You have read your 10 free articles this month.');
    await shot(page, 'signed-in-prompt', problems);

    grant(srv.db, email, { plan: 'annual', until: '2099-12-31' });
    await page.reload({ waitUntil: 'load', timeout: T });
    await assertWhole(page, D, 'after the subscription grant');
    assert.ok(!/free article/i.test(await note(page)), `a subscriber sees the meter: "${await note(page)}"`);
    await shot(page, 'subscriber', problems);
  } finally {
    await context.close();
  }
});
