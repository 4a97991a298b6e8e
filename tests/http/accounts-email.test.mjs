// Reader accounts, changing the email address, thought through as an attack: someone who once
// had a reader's session and password (a shared computer, a phished password) asks to move the
// account to an address of their own.
//
// - The old address is told when a change is requested, and again when it takes effect, then
//   with an undo link (7 days, single use) that restores it, ends every session, voids every
//   pending link and has the reader choose a new password (the thief knows the old one).
// - A password reset or change voids every pending link of the account (an email-change link
//   among them), but not the undo links: whoever holds the new address can reset the password,
//   and the undo link is how the owner of the old one takes the account back.
// - A change that takes effect ends the account's other sessions.
// - While its undo link is pending, the old address cannot be taken by another account.
// - Undoing a later change (B → C, its undo link sent to B) cannot cancel the undo link of an
//   earlier one (A → B, sent to A): the first owner always gets the account back.
//
// One server for the file, which trusts 127.0.0.1 as its proxy so that each browser comes from
// an address of its own (X-Forwarded-For): the log-in limits are per client address.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMailServer, Client, freshEmail, sql, linkIn, linkPath, messagePage, addUser,
  formPostingTo, fieldError, BAD_LOGIN,
} from '../lib/accounts.mjs';
import { textOf } from '../lib/util.mjs';

const PASSWORD = 'orchard-ferry-candle';
const NEW = 'saltmarsh-violin-tower';
let env;

before(async () => {
  env = await startMailServer({ args: ['--trusted-proxies', '127.0.0.1/32'] });
});
after(async () => { await env?.stop(); });

let host = 0;
const browser = (tag = 'browser') => new Client(env.srv.url,
  { userAgent: `Browser ${tag}`, forwardedFor: `198.51.100.${(host += 1) % 250 + 1}` });
const q = (s) => `'${s.replace(/'/g, "''")}'`;
const db = (statement) => sql(env.srv.db, statement);
const emailOf = (id) => db(`SELECT email FROM users WHERE id = ${id}`);
const sessionsOf = (id) => Number(db(`SELECT count(*) FROM sessions WHERE user_id = ${id}`));

async function canLogIn(email, password) {
  const r = await browser('login-check').login(email, password);
  if (r.status === 303) return true;
  assert.equal(r.status, 200, `log-in: status ${r.status}`);
  assert.ok(textOf(r.body).includes(BAD_LOGIN), 'no log-in error shown');
  return false;
}

// An account made by the operator (verified), signed in in a browser of its own.
async function owner(tag) {
  const email = freshEmail(tag);
  addUser(env.srv.db, email, PASSWORD, { name: 'Owner Reader' });
  const id = db(`SELECT id FROM users WHERE email = ${q(email)}`);
  const c = browser(`${tag} owner`);
  await c.signIn(email, PASSWORD);
  return { email, id, c };
}

// Asks, as client c, to move the account to `to`; returns the link mailed to `to`.
async function requestChange(c, to, password = PASSWORD) {
  const r = await c.account('/account/email', { email: to, password });
  assert.equal(r.status, 303, `POST /account/email: ${r.status} ${textOf(r.body).slice(0, 300)}`);
  assert.equal(r.location, '/account?done=email-sent');
  return linkIn(await env.sink.waitFor(to, { pred: (m) => /\/verify-email\?token=/.test(m.text) }),
    '/verify-email');
}

// The undo link mailed to `address` when its account moved away from it.
async function undoLink(address) {
  return linkIn(await env.sink.waitFor(address, { pred: (m) => /\/restore-email\?token=/.test(m.text) }),
    '/restore-email');
}

// Asks for a reset link for `address` and returns it.
async function resetLink(address) {
  const seen = new Set(env.sink.mailTo(address).map((m) => m.file));
  const r = await browser('forgot').post('/forgot', { email: address }, { from: '/forgot' });
  assert.equal(r.status, 200, `POST /forgot: ${r.status}`);
  const m = await env.sink.waitFor(address,
    { pred: (x) => /\/reset\?token=/.test(x.text) && !seen.has(x.file) });
  return linkIn(m, '/reset');
}

// Sets `password` through a reset link's form, as client c.
async function resetWith(link, password, c = browser('reset')) {
  const form = await c.get(linkPath(link));
  assert.equal(form.status, 200, `GET ${link}: ${form.status} ${textOf(form.body).slice(0, 200)}`);
  const fields = formPostingTo(form.body, '/reset')?.fields;
  assert.ok(fields, 'no form posting to /reset');
  return c.post('/reset', { ...fields, password }, { csrf: false });
}

test('email change: the old address is told when a change is requested, and how to stop it', { timeout: 30_000 }, async () => {
  const { email, c } = await owner('told');
  const target = freshEmail('told-new');
  await requestChange(c, target);
  const notice = await env.sink.waitFor(email, { pred: (m) => m.text.includes(target) });
  assert.match(notice.headers.subject, /email address/i);
  assert.match(notice.text, /\/forgot/, 'the notice does not say how to stop the change');
  assert.ok(!/token=/.test(notice.text), 'the notice carries a link token');
});

test('email change: a password reset voids a pending email-change link', { timeout: 30_000 }, async () => {
  const { email, id } = await owner('reset-voids');
  const thief = browser('thief');
  await thief.signIn(email, PASSWORD);
  const target = freshEmail('thiefs');
  const link = await requestChange(thief, target);
  // The owner notices and resets the password.
  assert.equal((await resetWith(await resetLink(email), NEW)).status, 303);
  const page = messagePage(await thief.confirm(link));
  assert.equal(page.status, 400, `the email-change link after a reset: ${page.status} ${page.text.slice(0, 200)}`);
  assert.match(page.text, /not valid/i);
  assert.equal(emailOf(id), email, 'the account moved to the thief\'s address after the reset');
});

test('email change: a password change voids every pending link (email change, verification, reset)', { timeout: 30_000 }, async () => {
  const { email, id, c } = await owner('change-voids');
  const target = freshEmail('change-voids-new');
  const change = await requestChange(c, target);
  const reset = await resetLink(email);
  db(`UPDATE users SET email_verified_at = NULL WHERE id = ${id}`);
  assert.equal((await c.account('/account/verify', {})).status, 303);
  const verify = linkIn(await env.sink.waitFor(email, { pred: (m) => /\/verify\?token=/.test(m.text) }), '/verify');
  const r = await c.account('/account/password', { current_password: PASSWORD, new_password: NEW });
  assert.equal(r.status, 303, textOf(r.body).slice(0, 300));
  for (const link of [change, reset, verify]) {
    const page = messagePage(await browser('late').confirm(link));
    assert.equal(page.status, 400, `${new URL(link).pathname} after a password change: ${page.status}`);
  }
  assert.equal(emailOf(id), email);
  assert.equal(db(`SELECT count(*) FROM tokens WHERE user_id = ${id} AND used_at IS NULL`), '0');
});

test('email change: when it takes effect, the other sessions end and the old address gets an undo link for 7 days', { timeout: 30_000 }, async () => {
  const { email, id, c } = await owner('effect');
  const other = browser('effect other');
  await other.signIn(email, PASSWORD);
  const target = freshEmail('effect-new');
  const link = await requestChange(c, target);
  const page = messagePage(await c.confirm(link));
  assert.equal(page.status, 200, page.text.slice(0, 300));
  assert.equal(emailOf(id), target);
  assert.equal(await c.signedIn(), true, 'the browser that confirmed was signed out');
  assert.equal(await other.signedIn(), false, 'another session survived the change of address');
  assert.equal(sessionsOf(id), 1);
  const mail = await env.sink.waitFor(email, { pred: (m) => /\/restore-email\?token=/.test(m.text) });
  assert.ok(mail.text.includes(target), 'the old address is not told the new one');
  assert.match(mail.text, /7 days/);
  const lives = db(`SELECT expires_at - created_at FROM tokens WHERE user_id = ${id} AND kind = 'email_undo'`);
  assert.equal(lives, String(7 * 86400));
});

test('undo: opening the link changes nothing; its button restores the old address, ends every session, voids pending links and asks for a new password', { timeout: 45_000 }, async () => {
  const { email, id, c } = await owner('undo');
  const thief = browser('undo thief');
  await thief.signIn(email, PASSWORD);
  const target = freshEmail('undo-thiefs');
  assert.equal((await thief.confirm(await requestChange(thief, target))).status, 200);
  assert.equal(emailOf(id), target);
  const undo = await undoLink(email);
  // The thief asks for a reset link to the new address, to use later.
  const thiefsReset = await resetLink(target);

  const owners = browser('undo owner again');
  const open = await owners.get(linkPath(undo));
  assert.equal(open.status, 200);
  assert.equal(open.headers.get('referrer-policy'), 'no-referrer');
  const form = formPostingTo(open.body, '/restore-email');
  assert.ok(form?.fields.token && form.fields.csrf, 'no button posting the undo link back');
  assert.ok(textOf(open.body).includes(email), 'the page does not name the address it restores');
  assert.equal(emailOf(id), target, 'opening the undo link changed the address');

  const r = await owners.post('/restore-email', form.fields, { csrf: false });
  assert.equal(r.status, 200, `the undo button: ${r.status} ${textOf(r.body).slice(0, 300)}`);
  assert.equal(emailOf(id), email, 'the old address is not restored');
  assert.notEqual(db(`SELECT CASE WHEN email_verified_at IS NULL THEN 1 ELSE 0 END FROM users WHERE id = ${id}`), '1');
  assert.equal(sessionsOf(id), 0, 'a session survived the undo');
  assert.equal(await thief.signedIn(), false);
  assert.equal(await c.signedIn(), false);
  assert.equal(await canLogIn(email, PASSWORD), false, 'the password the thief knows still works');
  assert.equal(await canLogIn(target, PASSWORD), false);
  const stale = messagePage(await browser('thief again').get(linkPath(thiefsReset)));
  assert.equal(stale.status, 400, 'the thief\'s reset link survived the undo');

  // The answer is the form choosing the new password, for this account.
  const choose = formPostingTo(r.body, '/reset');
  assert.ok(choose?.fields.token, 'the undo does not lead to choosing a new password');
  assert.match(textOf(r.body), /Choose a new password/);
  const set = await owners.post('/reset', { ...choose.fields, password: NEW }, { csrf: false });
  assert.equal(set.status, 303, textOf(set.body).slice(0, 300));
  assert.equal(await canLogIn(email, NEW), true);

  // Once.
  const again = messagePage(await browser('undo twice').get(linkPath(undo)));
  assert.equal(again.status, 410, `the undo link a second time: ${again.status}`);
});

test('undo: the link outlives a password reset made through the new address', { timeout: 30_000 }, async () => {
  const { email, id } = await owner('outlives');
  const thief = browser('outlives thief');
  await thief.signIn(email, PASSWORD);
  const target = freshEmail('outlives-thiefs');
  assert.equal((await thief.confirm(await requestChange(thief, target))).status, 200);
  const undo = await undoLink(email);
  assert.equal((await resetWith(await resetLink(target), NEW, thief)).status, 303);
  const owners = browser('outlives owner');
  const r = await owners.confirm(undo);
  assert.equal(r.status, 200, `the undo after the thief's reset: ${r.status} ${textOf(r.body).slice(0, 300)}`);
  assert.equal(emailOf(id), email);
  assert.equal(await canLogIn(target, NEW), false);
  assert.equal(await canLogIn(email, NEW), false);
});

test('undo: while the link is pending, the old address cannot be taken by another account', { timeout: 30_000 }, async () => {
  const { email, id, c } = await owner('held');
  const target = freshEmail('held-new');
  assert.equal((await c.confirm(await requestChange(c, target))).status, 200);
  await undoLink(email);
  const users = db('SELECT count(*) FROM users');
  const r = await browser('squatter').post('/register', { email, name: 'Squatter', password: NEW },
    { from: '/register' });
  assert.equal(r.status, 422, `registering the held address: ${r.status}`);
  assert.match(fieldError(r.body, 'email-error') ?? '', /already exists/);
  assert.equal(db('SELECT count(*) FROM users'), users);
  // Nor by another account changing its address to it.
  const other = await owner('held-other');
  const link = await requestChange(other.c, email).catch(() => null);
  if (link) {
    const page = messagePage(await other.c.confirm(link));
    assert.equal(page.status, 409, `moving another account to the held address: ${page.status}`);
  }
  assert.equal(emailOf(other.id), other.email);
  assert.equal(emailOf(id), target);
});

test('undo: each link works once, and undoing a later change does not cancel an earlier change\'s link', { timeout: 45_000 }, async () => {
  const { email: a, id } = await owner('chain');
  const thief = browser('chain thief');
  await thief.signIn(a, PASSWORD);
  const b = freshEmail('chain-b');
  const c = freshEmail('chain-c');
  assert.equal((await thief.confirm(await requestChange(thief, b))).status, 200);
  const undoA = await undoLink(a);
  assert.equal((await thief.confirm(await requestChange(thief, c))).status, 200);
  const undoB = await undoLink(b);
  assert.equal(emailOf(id), c);
  // The thief undoes the second change (to B, an address of theirs)…
  assert.equal((await browser('chain thief undo').confirm(undoB)).status, 200);
  assert.equal(emailOf(id), b);
  // … which leaves the first owner's link working.
  const r = await browser('chain owner').confirm(undoA);
  assert.equal(r.status, 200, `the first undo link after the second: ${r.status} ${textOf(r.body).slice(0, 300)}`);
  assert.equal(emailOf(id), a);
  const twice = messagePage(await browser('chain again').confirm(undoB));
  assert.ok([400, 410].includes(twice.status), `the second undo link again: ${twice.status}`);
  assert.equal(emailOf(id), a);
});
