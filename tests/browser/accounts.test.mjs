// A reader's account in Chromium, through the real forms: register, verify from the received
// email (the link's page and its button), log out, "Forgot your password?" and reset from the
// emailed link, log in with the new password (the old one fails, with the error shown), and
// from a second browser signed in as the same reader, sign out the other session from "Where
// you're signed in".
// A screenshot of each page is saved as test-output/browser/accounts-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from '../lib/server.mjs';
import { startMailServer, freshEmail, linkIn, BAD_LOGIN } from '../lib/accounts.mjs';

const OUT = path.join(repoRoot, 'test-output', 'browser');
const DESKTOP = { width: 1280, height: 900 };
const T = 10_000; // bound on every single browser wait

let env;
let browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  env = await startMailServer();
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

// A browser context whose pages record console errors, page errors and CSP violations.
async function newBrowser(userAgent) {
  const context = await browser.newContext({ viewport: DESKTOP, userAgent });
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
  await page.screenshot({ path: path.join(OUT, `accounts-${name}.png`), fullPage: true });
  const csp = await page.evaluate(() => window.__cspViolations ?? []);
  assert.deepEqual([...problems, ...csp.map((v) => `CSP violation: ${v}`)], [], `errors on ${name}`);
}

// Clicks and waits for the navigation it starts (a link or a form's submit button).
async function clickAndWait(page, locator) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: T }), locator.click()]);
}

const slot = (page) => page.locator('[data-slot="account"]');

test('a reader registers, verifies, resets the password from the email, and signs out another session', { timeout: 120_000 }, async () => {
  const email = freshEmail('browser');
  const name = 'Browser Reader';
  const oldPassword = 'mandolin-glacier-pepper';
  const newPassword = 'lagoon-violin-thistle';
  const one = await newBrowser('Browser One');
  const { page } = one;
  const { problems } = one;
  let two;
  try {
    // The front page, anonymous: "Log in" and "Register" in the masthead.
    let res = await page.goto(`${env.srv.url}/`, { waitUntil: 'load', timeout: T });
    assert.equal(res.status(), 200);
    await slot(page).getByRole('link', { name: 'Log in' }).waitFor({ state: 'visible' });
    await clickAndWait(page, slot(page).getByRole('link', { name: 'Log in' }));
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).waitFor({ state: 'visible' });
    await shot(page, 'login', problems);

    // "Don't have an account? Register »" under the log-in form.
    await clickAndWait(page, page.locator('.form-links').getByRole('link', { name: 'Register »' }));
    assert.equal(new URL(page.url()).pathname, '/register');
    await shot(page, 'register', problems);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Display name').fill(name);
    await page.getByLabel('Password').fill(oldPassword);
    await clickAndWait(page, page.getByRole('button', { name: 'Create account' }));
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/account?done=welcome');
    await page.getByText('Welcome! Your account is ready.').waitFor({ state: 'visible' });
    await page.getByText('Please verify your email address.').waitFor({ state: 'visible' });
    assert.match(await slot(page).locator('.account-name').textContent(), new RegExp(`^Signed in as ${name}$`),
      'the masthead does not show the name');
    await shot(page, 'welcome', problems);

    // The verification link, from the mail the SMTP server received: it opens a page whose
    // button verifies (opening it alone changes nothing: mail scanners open links).
    const verify = linkIn(await env.sink.waitFor(email), '/verify');
    res = await page.goto(verify, { waitUntil: 'load', timeout: T });
    assert.equal(res.status(), 200);
    await page.getByRole('heading', { name: 'Verify your email address' }).waitFor();
    await page.getByText(`Confirm that ${email} is your email address.`).waitFor();
    await shot(page, 'verify', problems);
    await clickAndWait(page, page.getByRole('button', { name: 'Verify my email address' }));
    await page.getByRole('heading', { name: 'Your email address is verified' }).waitFor();
    await shot(page, 'verified', problems);
    await page.goto(`${env.srv.url}/account`, { waitUntil: 'load', timeout: T });
    assert.equal(await page.getByText('Please verify your email address.').count(), 0, 'still asked to verify');
    await shot(page, 'account', problems);

    // Log out from the masthead.
    await clickAndWait(page, slot(page).getByRole('button', { name: 'Log out' }));
    assert.equal(new URL(page.url()).pathname, '/');
    await slot(page).getByRole('link', { name: 'Log in' }).waitFor({ state: 'visible' });
    assert.equal(await slot(page).getByText(name).count(), 0, 'the name is still shown after logging out');
    await shot(page, 'logged-out', problems);

    // "Forgot your password?"
    await page.goto(`${env.srv.url}/login`, { waitUntil: 'load', timeout: T });
    await clickAndWait(page, page.getByRole('link', { name: 'Forgot your password?' }));
    assert.equal(new URL(page.url()).pathname, '/forgot');
    await shot(page, 'forgot', problems);
    await page.getByLabel('Email address').fill(email);
    await clickAndWait(page, page.getByRole('button', { name: 'Send reset link' }));
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await shot(page, 'forgot-sent', problems);

    const reset = linkIn(await env.sink.waitFor(email, { pred: (m) => /\/reset\?token=/.test(m.text) }), '/reset');
    res = await page.goto(reset, { waitUntil: 'load', timeout: T });
    assert.equal(res.status(), 200);
    await shot(page, 'reset', problems);
    await page.getByLabel('New password').fill(newPassword);
    await clickAndWait(page, page.getByRole('button', { name: 'Set new password' }));
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/login?done=reset');
    await page.getByText('Your password has been changed.').waitFor({ state: 'visible' });
    await shot(page, 'reset-done', problems);

    // The old password fails, with the error shown.
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(oldPassword);
    await clickAndWait(page, page.getByRole('button', { name: 'Log in' }));
    await page.getByRole('alert').filter({ hasText: BAD_LOGIN }).waitFor({ state: 'visible' });
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password was refilled');
    await shot(page, 'login-failed', problems);

    // The new one works.
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(newPassword);
    await clickAndWait(page, page.getByRole('button', { name: 'Log in' }));
    assert.equal(new URL(page.url()).pathname, '/');
    await slot(page).getByRole('link', { name: 'My account' }).waitFor({ state: 'visible' });
    assert.equal(await slot(page).getByText(name).count(), 1, 'the name is not in the masthead');
    await shot(page, 'home-signed-in', problems);

    // A second browser signs in as the same reader.
    two = await newBrowser('Browser Two');
    await two.page.goto(`${env.srv.url}/login?next=/account`, { waitUntil: 'load', timeout: T });
    await two.page.getByLabel('Email address').fill(email);
    await two.page.getByLabel('Password').fill(newPassword);
    await clickAndWait(two.page, two.page.getByRole('button', { name: 'Log in' }));
    assert.equal(new URL(two.page.url()).pathname, '/account');
    await shot(two.page, 'second-browser', two.problems);

    // The first sees both under "Where you're signed in" and signs the other out.
    await page.goto(`${env.srv.url}/account`, { waitUntil: 'load', timeout: T });
    const sessions = page.locator('section[aria-labelledby="sessions-heading"] li.session');
    assert.equal(await sessions.count(), 2, 'not two sessions listed');
    const others = sessions.filter({ hasText: 'Browser Two' });
    assert.equal(await others.count(), 1, 'the second browser is not listed by its user agent');
    assert.equal(await sessions.filter({ hasText: 'This device' }).locator('.session-agent').innerText(), 'Browser One');
    await shot(page, 'sessions', problems);
    await clickAndWait(page, others.getByRole('button', { name: 'Sign out' }));
    await page.getByText('Done: that session has ended.').waitFor({ state: 'visible' });
    assert.equal(await page.locator('section[aria-labelledby="sessions-heading"] li.session').count(), 1);
    await shot(page, 'session-ended', problems);

    // The second browser is signed out.
    res = await two.page.goto(`${env.srv.url}/account`, { waitUntil: 'load', timeout: T });
    assert.equal(new URL(two.page.url()).pathname, '/login', 'the second browser is still signed in');
    await slot(two.page).getByRole('link', { name: 'Log in' }).waitFor({ state: 'visible' });
    const cookies = await two.context.cookies();
    assert.ok(!cookies.some((c) => c.name === 'bs_session'), 'the second browser kept its session cookie');
    await shot(two.page, 'second-browser-signed-out', two.problems);

    // The first is still signed in.
    await page.goto(`${env.srv.url}/account`, { waitUntil: 'load', timeout: T });
    assert.equal(new URL(page.url()).pathname, '/account');
  } finally {
    await two?.context.close();
    await one.context.close();
  }
});

test('the session cookie is HttpOnly: page scripts cannot read it', { timeout: 60_000 }, async () => {
  const { context, page } = await newBrowser('Browser Three');
  try {
    await page.goto(`${env.srv.url}/register`, { waitUntil: 'load', timeout: T });
    await page.getByLabel('Email address').fill(freshEmail('httponly'));
    await page.getByLabel('Display name').fill('Cookie Reader');
    await page.getByLabel('Password').fill('harbour-saffron-piano');
    await clickAndWait(page, page.getByRole('button', { name: 'Create account' }));
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'bs_session');
    assert.ok(session, 'no bs_session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    assert.equal(await page.evaluate(() => document.cookie.includes('bs_session')), false);
  } finally {
    await context.close();
  }
});
