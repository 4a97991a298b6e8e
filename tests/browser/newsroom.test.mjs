// The newsroom in Chromium (issue 11, "Articles"): a writer logs in, writes an article with the
// toolbar, finds the autosaved text after reloading, and submits it for review; an editor opens
// it from "Waiting for review", edits it and schedules it a few seconds ahead; it appears on the
// home page at its time. No console errors, no CSP violations (newsroom.js and newsroom.css are
// same-origin files: no inline script or style) and no serious accessibility violation (axe-core)
// on any page.
// Screenshots: test-output/browser/newsroom-*.png (the list, the editor, the restored autosave,
// the preview, the conflict).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from '../lib/server.mjs';
import { startQuietServer, addUser } from '../lib/accounts.mjs';

const OUT = path.join(repoRoot, 'test-output', 'browser');
const DESKTOP = { width: 1280, height: 900 };
const T = 10_000; // bound on every single browser wait
const PASSWORD = 'newsroom-browser-2014';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let srv;
let browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  srv = await startQuietServer();
  addUser(srv.db, 'writer@example.test', PASSWORD, { role: 'writer', name: 'Wanda Writer' });
  addUser(srv.db, 'editor@example.test', PASSWORD, { role: 'editor', name: 'Ed Itor' });
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

// A browser context whose pages record console errors, page errors and CSP violations.
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
  page.on('dialog', (d) => d.accept()); // a leave warning would block a reload
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { context, page, problems };
}

// Saves a screenshot of the page, and checks it: no console error, no CSP violation, and no
// serious or critical accessibility violation (axe-core, as browser/a11y.test.mjs runs it).
async function shot(page, name, problems) {
  await page.screenshot({ path: path.join(OUT, `newsroom-${name}.png`), fullPage: true });
  const csp = await page.evaluate(() => window.__cspViolations ?? []);
  assert.deepEqual([...problems, ...csp.map((v) => `CSP violation: ${v}`)], [], `errors on ${name}`);
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const severe = await page.evaluate(async () => {
    const result = await window.axe.run(document, { iframes: false, resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(severe, [], `accessibility of ${name}`);
}

async function clickAndWait(page, locator) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: T }), locator.click()]);
}

async function logIn(page, email) {
  await page.goto(`${srv.url}/login`, { waitUntil: 'load' });
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(PASSWORD);
  await clickAndWait(page, page.getByRole('button', { name: 'Log in' }));
}

test('a writer writes with the toolbar, finds the autosave after a reload, submits; an editor schedules it; it appears on the home page at its time', { timeout: 120_000 }, async () => {
  const headline = `Harbour bridge reopens ${process.pid}`;
  const writer = await newBrowser();
  const editor = await newBrowser();
  try {
    const { page, problems } = writer;
    await logIn(page, 'writer@example.test');
    await page.goto(`${srv.url}/newsroom/articles/new`, { waitUntil: 'load' });
    await page.locator('.editor-toolbar').waitFor({ state: 'visible' }); // the script shows it
    await page.locator('#headline').fill(headline);
    const body = page.locator('#body_markdown');
    await body.click();
    await page.keyboard.type('The bridge ');
    await page.getByRole('button', { name: 'Bold', exact: true }).click(); // wraps a placeholder, selected
    await page.keyboard.type('reopened today');
    await page.keyboard.press('End');
    await page.keyboard.type(' after ');
    await page.getByRole('button', { name: 'Italic', exact: true }).click();
    await page.keyboard.type('two years');
    await page.keyboard.press('End');
    await page.keyboard.type('.\nCommuters cheered');
    await page.getByRole('button', { name: 'Quote', exact: true }).click();
    await page.keyboard.press('End');
    await page.keyboard.type('\nWhat changes');
    await page.getByRole('button', { name: 'Heading', exact: true }).click();
    await page.keyboard.press('End');
    await page.keyboard.type('\nTolls');
    await page.getByRole('button', { name: 'List', exact: true }).click();
    const typed = await body.inputValue();
    assert.equal(typed, 'The bridge **reopened today** after _two years_.\n> Commuters cheered\n' +
      '## What changes\n- Tolls');

    // The first autosave makes the draft and moves the page to its address.
    await page.locator('#autosave-status').filter({ hasText: 'autosaved' }).waitFor({ timeout: 15_000 });
    const url = new URL(page.url());
    assert.match(url.pathname, /^\/newsroom\/articles\/\d+$/);
    const id = Number(url.pathname.split('/').pop());
    await shot(page, 'editor', problems);

    // Reloading finds the autosaved text.
    await page.reload({ waitUntil: 'load' });
    await page.getByText('Restored your unsaved changes from').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#headline').inputValue(), headline);
    assert.equal(await page.locator('#body_markdown').inputValue(), typed);
    await shot(page, 'editor-restored', problems);

    // The preview of the unsaved changes, rendered by the server as readers will see them.
    await clickAndWait(page, page.getByRole('link', { name: 'Preview my unsaved changes' }));
    assert.equal(new URL(page.url()).pathname, `/newsroom/articles/${id}/preview`);
    await page.locator('strong', { hasText: 'reopened today' }).first().waitFor({ state: 'visible' });
    assert.equal(await page.locator('em', { hasText: 'two years' }).count() > 0, true);
    assert.equal(await page.locator('blockquote', { hasText: 'Commuters cheered' }).count() > 0, true);
    assert.equal(await page.locator('h2', { hasText: 'What changes' }).count() > 0, true);
    assert.equal(await page.locator('li', { hasText: 'Tolls' }).count() > 0, true);
    // No ads in a staff preview: no interstitial over the article, no impression counted.
    assert.equal(await page.locator('#ad-config').count(), 0);
    assert.equal(await page.locator('script[src*="ads"]').count(), 0);
    await shot(page, 'preview', problems);
    await page.goBack({ waitUntil: 'load' });
    await page.getByText('Restored your unsaved changes from').waitFor({ state: 'visible' });

    // Submit for review (the button saves the form first).
    await clickAndWait(page, page.getByRole('button', { name: 'Submit for review' }));
    await page.getByText('Submitted for review.').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#article-state').textContent(), 'review');

    // The editor finds it under "Waiting for review".
    const ed = editor.page;
    await logIn(ed, 'editor@example.test');
    await ed.goto(`${srv.url}/newsroom`, { waitUntil: 'load' });
    await shot(ed, 'list', editor.problems);
    await clickAndWait(ed, ed.locator('#count-waiting'));
    await clickAndWait(ed, ed.getByRole('link', { name: headline }));
    assert.equal(new URL(ed.url()).pathname, `/newsroom/articles/${id}`);
    await ed.locator('#dek').fill('Two years of repairs are over.');
    const at = Math.floor(Date.now() / 1000) + 5;
    await ed.locator('#publish_at').fill(new Date(at * 1000).toISOString().slice(0, 19));
    await shot(ed, 'editor-editor', editor.problems);
    await clickAndWait(ed, ed.getByRole('button', { name: 'Schedule' }));
    await ed.getByText('Scheduled.').waitFor({ state: 'visible' });
    assert.equal(await ed.locator('#article-state').textContent(), 'scheduled');

    // A reader: not there before its time, on the home page within a second of it.
    const reader = await browser.newContext({ viewport: DESKTOP });
    try {
      const home = await reader.newPage();
      let seen = 0;
      while (Date.now() < at * 1000 + 1500) {
        await home.goto(`${srv.url}/`, { waitUntil: 'load' });
        if (await home.getByRole('link', { name: headline }).count()) {
          seen = Date.now();
          break;
        }
        await home.waitForTimeout(100);
      }
      assert.ok(seen, 'not on the home page within a second of its time');
      assert.ok(seen >= at * 1000 - 100, `on the home page ${at * 1000 - seen} ms before its time`);
      await clickAndWait(home, home.getByRole('link', { name: headline }).first());
      await home.getByText('reopened today').first().waitFor({ state: 'visible' });
      assert.equal(await home.locator('strong', { hasText: 'reopened today' }).count() > 0, true);
    } finally {
      await reader.close();
    }
  } finally {
    await writer.context.close();
    await editor.context.close();
  }
});

test('two people, one article: the second save shows who changed it, the stored text and the word diff, and keeps the text typed', { timeout: 60_000 }, async () => {
  const writer = await newBrowser();
  const editor = await newBrowser();
  try {
    await logIn(writer.page, 'writer@example.test');
    await writer.page.goto(`${srv.url}/newsroom/articles/new`, { waitUntil: 'load' });
    await writer.page.locator('#headline').fill(`Contested story ${process.pid}`);
    await writer.page.locator('#body_markdown').fill('The council approved the budget on Monday.');
    await clickAndWait(writer.page, writer.page.locator('#save'));
    const url = new URL(writer.page.url()).pathname;
    await logIn(editor.page, 'editor@example.test');
    await editor.page.goto(`${srv.url}${url}`, { waitUntil: 'load' });
    await editor.page.locator('#body_markdown').fill('The council rejected the budget on Monday.');
    await clickAndWait(editor.page, editor.page.locator('#save'));
    await writer.page.locator('#body_markdown').fill('The council approved the budget late on Monday.');
    // Ctrl-S saves (the form's Save button)
    await Promise.all([writer.page.waitForNavigation({ waitUntil: 'load', timeout: T }),
      writer.page.keyboard.press('Control+s')]);
    await writer.page.getByText('Changed by Ed Itor at').waitFor({ state: 'visible' });
    assert.equal(await writer.page.locator('#body_markdown').inputValue(),
      'The council approved the budget late on Monday.');
    assert.equal(await writer.page.locator('#body-diff del').first().textContent(), 'rejected');
    // Chromium logs the page's own status (409 Conflict) as a failed load: that one is expected.
    const problems = writer.problems.filter((p) => !/status of 409 \(Conflict\)/.test(p));
    await shot(writer.page, 'conflict', problems);
  } finally {
    await writer.context.close();
    await editor.context.close();
  }
});
