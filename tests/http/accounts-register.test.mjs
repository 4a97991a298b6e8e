// Reader accounts, registration: signing up signs in, the verification mail and its
// single-use link, the unverified reminder, every kind of bad input (error next to the field,
// form refilled but never with the password, no account created), duplicates (also when two
// registrations race), and names shown escaped everywhere.
//
// One server and one SMTP sink for the file. The server allows 10 registrations per address
// per hour; forms refused before the database is asked (422 for bad input) do not count, and
// this file makes fewer than 10 that do (a duplicate does count).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMailServer, Client, freshEmail, sql, csrfIn, inputTag, fieldError, accountSlot,
  linkIn, linkPath, messagePage, addUser, formPostingTo, blake2b256,
} from '../lib/accounts.mjs';
import { REFERENCE_PATH, attr, textOf } from '../lib/util.mjs';

const PASSWORD = 'violet-harbour-lantern';
let env; // {srv, sink, stop}

before(async () => { env = await startMailServer(); });
after(async () => { await env?.stop(); });

const userCount = () => Number(sql(env.srv.db, 'SELECT count(*) FROM users'));
const usersWith = (email) => Number(sql(env.srv.db,
  `SELECT count(*) FROM users WHERE lower(email) = lower('${email.replace(/'/g, "''")}')`));

// --- signing up -------------------------------------------------------------------------------

test('register: success signs in with an HttpOnly, SameSite=Lax session cookie (no Secure by default)', { timeout: 30_000 }, async () => {
  const c = new Client(env.srv.url);
  const email = freshEmail('signup');
  const r = await c.register(email, PASSWORD, 'Signup Reader');
  const cookie = r.setCookies.find((s) => s.startsWith('bs_session='));
  assert.ok(cookie, `no bs_session Set-Cookie: ${JSON.stringify(r.setCookies)}`);
  const attrs = cookie.split(';').map((a) => a.trim().toLowerCase());
  assert.ok(attrs.includes('httponly'), `bs_session lacks HttpOnly: ${cookie}`);
  assert.ok(attrs.includes('samesite=lax'), `bs_session lacks SameSite=Lax: ${cookie}`);
  assert.ok(attrs.includes('path=/'), `bs_session lacks Path=/: ${cookie}`);
  assert.ok(attrs.some((a) => /^max-age=\d+$/.test(a)), `bs_session lacks Max-Age: ${cookie}`);
  assert.ok(!attrs.includes('secure'), `bs_session is Secure without --cookie-secure: ${cookie}`);
  // 256 bits from the random generator: 43 base64url characters.
  assert.match(c.jar.get('bs_session'), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(await c.signedIn(), true, 'the new account is not signed in');
  const page = await c.get('/account?done=welcome');
  assert.ok(textOf(page.body).includes('Signup Reader'), 'the account page lacks the name');
});

test('register: the verification link opens a page with a button; only the button verifies, once ("already been used" after)', { timeout: 30_000 }, async () => {
  const c = new Client(env.srv.url);
  const email = freshEmail('verify');
  await c.register(email, PASSWORD, 'Verify Reader');
  const mail = await env.sink.waitFor(email);
  const link = linkIn(mail, '/verify');
  assert.ok(link.startsWith(`${env.srv.url}/verify?token=`), `unexpected link ${link}`);
  const token = new URL(link).searchParams.get('token');
  const unverified = () => sql(env.srv.db, `SELECT CASE WHEN email_verified_at IS NULL THEN 1 ELSE 0 END FROM users WHERE email = '${email}'`);
  assert.equal(unverified(), '1');

  // Opening the link, as a mail scanner or a link preview does, changes nothing, however often.
  const anon = new Client(env.srv.url); // the link works from any browser (say, a phone's mail app)
  for (let i = 0; i < 2; i++) {
    const open = await anon.get(linkPath(link));
    assert.equal(open.status, 200, `opening the link: ${open.status}`);
    assert.equal(open.headers.get('referrer-policy'), 'no-referrer');
    const form = formPostingTo(open.body, '/verify');
    assert.ok(form, 'the page has no form posting to /verify');
    assert.equal(form.fields.token, token, 'the form does not carry the link\'s token');
    assert.ok(form.fields.csrf, 'the form has no csrf field');
    assert.equal(unverified(), '1', 'opening the link verified the address');
  }

  const first = messagePage(await anon.confirm(link));
  assert.equal(first.status, 200, `first confirmation: ${first.text.slice(0, 300)}`);
  assert.match(first.title, /verified/i);
  assert.equal(unverified(), '0');

  // Used: opening it says so at once, and so does posting it again.
  const second = messagePage(await anon.get(linkPath(link)));
  assert.equal(second.status, 410, `opening a used link: ${second.text.slice(0, 300)}`);
  assert.match(second.text, /already been used/i);
  const again = messagePage(await anon.post('/verify', { token }, { from: '/login' }));
  assert.equal(again.status, 410, `posting a used link: ${again.text.slice(0, 300)}`);

  const acct = await c.get('/account');
  assert.ok(!/Please verify your email address/.test(acct.body), 'still reminded after verifying');
  assert.ok(/\(verified\)/.test(acct.body), 'the account page does not say verified');
});

test('verify: an expired, unknown or malformed link says so when opened, with no button', { timeout: 30_000 }, async () => {
  const email = freshEmail('expired-verify');
  addUser(env.srv.db, email, PASSWORD);
  const id = sql(env.srv.db, `SELECT id FROM users WHERE email = '${email}'`);
  sql(env.srv.db, `UPDATE users SET email_verified_at = NULL WHERE id = ${id}`);
  const token = `Expired${'v'.repeat(36)}`;
  sql(env.srv.db, `INSERT INTO tokens (user_id, kind, token_hash, created_at, expires_at)
    VALUES (${id}, 'verify', '${blake2b256(token)}', ${Math.floor(Date.now() / 1000)} - 3600,
    ${Math.floor(Date.now() / 1000)} - 60)`);
  for (const [path, status, words] of [[`/verify?token=${token}`, 410, /expired/i],
    [`/verify?token=${'A'.repeat(43)}`, 400, /not valid/i], ['/verify?token=short', 400, /not valid/i],
    [`/verify-email?token=${'A'.repeat(43)}`, 400, /not valid/i]]) {
    const r = await new Client(env.srv.url).get(path);
    const page = messagePage(r);
    assert.equal(page.status, status, `GET ${path}: ${page.text.slice(0, 300)}`);
    assert.match(page.text, words, `GET ${path}`);
    assert.ok(!/<form\b[^>]*action="\/verify/.test(r.body), `GET ${path}: a confirm button is shown`);
  }
  assert.equal(sql(env.srv.db, `SELECT CASE WHEN email_verified_at IS NULL THEN 1 ELSE 0 END FROM users WHERE id = ${id}`), '1');
});

test('register: an unverified account is reminded on /account and can still sign in', { timeout: 30_000 }, async () => {
  const c = new Client(env.srv.url);
  const email = freshEmail('unverified');
  await c.register(email, PASSWORD, 'Unverified Reader');
  const acct = await c.get('/account');
  assert.equal(acct.status, 200);
  assert.match(textOf(acct.body), /Please verify your email address/);
  assert.match(accountSlot(acct.body) ?? '', /Verify your email/, 'no reminder in the masthead');

  const out = await c.logout();
  assert.equal(out.status, 303);
  assert.equal(await c.signedIn(), false, 'still signed in after logging out');
  const r = await c.login(email, PASSWORD);
  assert.equal(r.status, 303, `an unverified account cannot sign in: ${textOf(r.body).slice(0, 300)}`);
  assert.equal(await c.signedIn(), true);
  assert.match(textOf((await c.get('/account')).body), /Please verify your email address/);
});

// --- bad input --------------------------------------------------------------------------------

// Posts a registration that must be refused: 422, the error next to `field`, the form refilled
// (email and name, when they are readable) but never the password, and no account created.
async function refused({ email, name = 'Refused Reader', password = PASSWORD, field, message,
  body, refillEmail = true }) {
  const c = new Client(env.srv.url);
  const before = userCount();
  const r = body !== undefined
    ? await c.post('/register', body, { from: '/register' })
    : await c.post('/register', { email, name, password }, { from: '/register' });
  const what = `register ${JSON.stringify({ email, name, password: password.slice(0, 40) })}`;
  assert.equal(r.status, 422, `${what}: status ${r.status}\n${textOf(r.body).slice(0, 400)}`);
  const error = fieldError(r.body, `${field}-error`);
  assert.ok(error, `${what}: no error next to the ${field} field`);
  if (message) assert.match(error, message, `${what}: ${field} error "${error}"`);
  for (const other of ['email', 'name', 'password'].filter((f) => f !== field)) {
    assert.equal(fieldError(r.body, `${other}-error`), '', `${what}: unexpected ${other} error`);
  }
  // The input is tied to its error for screen readers.
  const input = inputTag(r.body, field);
  assert.ok(input && (attr(input, 'aria-describedby') ?? '').includes(`${field}-error`),
    `${what}: the ${field} input is not described by its error`);
  // Refilled: the email and name, never the password.
  const pw = inputTag(r.body, 'password');
  assert.ok(pw, 'no password input');
  assert.ok(!attr(pw, 'value'), `${what}: the password input is refilled: ${pw}`);
  if (password.length >= 4) {
    assert.ok(!r.body.includes(password) && !r.body.includes(encodeURIComponent(password)),
      `${what}: the password appears in the page`);
  }
  if (refillEmail && email !== undefined) {
    assert.equal(attr(inputTag(r.body, 'email'), 'value'), email.trim(), `${what}: email not refilled`);
  }
  if (name !== undefined && body === undefined && field !== 'name') {
    assert.equal(attr(inputTag(r.body, 'name'), 'value'), name, `${what}: name not refilled`);
  }
  assert.ok(csrfIn(r.body), 'the refilled form has no csrf field');
  assert.equal(userCount(), before, `${what}: an account was created`);
  if (email) assert.equal(usersWith(email), 0);
  return r;
}

test('register refused: a password under 10 characters', { timeout: 20_000 }, async () => {
  await refused({ email: freshEmail('short'), password: 'Tr0ub4dor', field: 'password',
    message: /at least 10/ });
  // 10 characters counted as characters, not bytes: 9 accented letters are still too short.
  await refused({ email: freshEmail('short'), password: 'ééééééééé', field: 'password',
    message: /at least 10/ });
});

test('register refused: a common password ("password123", "1234567890")', { timeout: 20_000 }, async () => {
  for (const password of ['password123', '1234567890']) {
    await refused({ email: freshEmail('common'), password, field: 'password',
      message: /common/i });
  }
});

test('register refused: overlong fields (name > 100 characters, password > 256 bytes, email > 254)', { timeout: 20_000 }, async () => {
  await refused({ email: freshEmail('long'), name: 'N'.repeat(101), field: 'name',
    message: /at most 100/ });
  await refused({ email: freshEmail('long'), password: 'p'.repeat(257), field: 'password',
    message: /at most 256|too long/i });
  // A password far beyond any field limit: still an error next to it, never a hash.
  await refused({ email: freshEmail('long'), password: 'q'.repeat(9000), field: 'password',
    message: /at most 256|too long/i });
  const local = 'a'.repeat(64);
  const domain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.test`;
  const email = `${local}@${domain}`;
  assert.equal(email.length, 255);
  await refused({ email, field: 'email' });
});

test('register refused: an invalid email address', { timeout: 20_000 }, async () => {
  for (const email of ['not-an-email', 'two@@example.test', 'a b@example.test', '@example.test',
    'reader@', '<script>@example.test']) {
    const r = await refused({ email, field: 'email', message: /valid email/ });
    assert.ok(!r.body.includes('<script>@'), 'the refilled email is not escaped');
  }
  await refused({ email: '', field: 'email', message: /Enter your email/ });
});

// The mailer sends to ASCII addresses only (no SMTPUTF8), so an address with other characters
// would register and never get its verification link, nor any other mail.
test('register refused: an address with non-ASCII characters, which no mail could reach, with a clear message', { timeout: 20_000 }, async () => {
  for (const email of [`j\u00fcrgen-${process.pid}@example.test`, `reader-${process.pid}@b\u00fccher.example`,
    `\u4f60\u597d-${process.pid}@example.test`]) {
    await refused({ email, field: 'email', message: /cannot send mail|ASCII/i });
  }
});

test('register refused: a non-UTF-8 email (raw bytes %FF%FE)', { timeout: 20_000 }, async () => {
  const password = PASSWORD;
  const r = await refused({
    body: `email=%FF%FEreader@example.test&name=Bytes+Reader&password=${encodeURIComponent(password)}`,
    email: undefined, name: 'Bytes Reader', password, field: 'email', message: /valid email/,
  });
  // Bytes that are not UTF-8 are not echoed into the page.
  assert.equal(attr(inputTag(r.body, 'email'), 'value'), '', 'the unreadable email was refilled');
  assert.ok(!r.body.includes('\ufffd'), 'a replacement character in the page');
  assert.equal(attr(inputTag(r.body, 'name'), 'value'), 'Bytes Reader');
});

test('register refused: a duplicate email, also differing in case', { timeout: 30_000 }, async () => {
  const email = freshEmail('dup');
  await new Client(env.srv.url).register(email, PASSWORD, 'First Owner');
  for (const again of [email.toUpperCase(), ` ${email.replace(/^d/, 'D')} `]) {
    const before = userCount();
    const r = await new Client(env.srv.url).post('/register',
      { email: again, name: 'Second Owner', password: 'another-fine-password' }, { from: '/register' });
    assert.equal(r.status, 422, `duplicate ${again}: status ${r.status}`);
    assert.match(fieldError(r.body, 'email-error') ?? '', /already exists/);
    assert.equal(attr(inputTag(r.body, 'email'), 'value').toLowerCase(), again.trim().toLowerCase());
    assert.equal(attr(inputTag(r.body, 'name'), 'value'), 'Second Owner');
    assert.ok(!attr(inputTag(r.body, 'password'), 'value'), 'password refilled');
    assert.ok(!r.body.includes('another-fine-password'), 'the password appears in the page');
    assert.ok(!r.setCookies.some((s) => s.startsWith('bs_session=')), 'the loser was signed in');
    assert.equal(userCount(), before, 'an account was created');
  }
  assert.equal(usersWith(email), 1);
  assert.equal(sql(env.srv.db, `SELECT display_name FROM users WHERE email = '${email}'`), 'First Owner');
});

test('register race: two registrations of one email at once → one 303, one 422 duplicate', { timeout: 30_000 }, async () => {
  const email = freshEmail('race');
  const a = new Client(env.srv.url);
  const b = new Client(env.srv.url);
  const [ta, tb] = [await a.csrf('/register'), await b.csrf('/register')];
  const results = await Promise.all([
    a.post('/register', { email, name: 'Racer A', password: PASSWORD }, { csrf: ta }),
    b.post('/register', { email: email.toUpperCase(), name: 'Racer B', password: PASSWORD },
      { csrf: tb }),
  ]);
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [303, 422], `statuses ${statuses}`);
  const loser = results.find((r) => r.status === 422);
  assert.match(fieldError(loser.body, 'email-error') ?? '', /already exists/);
  assert.equal(usersWith(email), 1, 'not exactly one account');
  const winner = results.find((r) => r.status === 303);
  assert.equal(winner.location, '/account?done=welcome');
});

test('register: HTML in the name is shown escaped everywhere (account page, masthead of home and article, refilled form)', { timeout: 30_000 }, async () => {
  const name = '<script>alert(1)</script>';
  const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;';
  // Refilled after another error: escaped in the value attribute.
  const bad = await refused({ email: freshEmail('html'), name, password: 'Sh0rt!pw', field: 'password' });
  assert.ok(!bad.body.includes(name), 'the refilled form has the raw name');
  assert.equal(attr(inputTag(bad.body, 'name'), 'value'), name);

  const c = new Client(env.srv.url);
  await c.register(freshEmail('html'), PASSWORD, name);
  for (const path of ['/account', '/', REFERENCE_PATH, '/login', '/forgot']) {
    const r = await c.get(path);
    assert.equal(r.status, 200, `GET ${path}`);
    assert.ok(!r.body.includes(name), `GET ${path}: the raw name is in the page`);
    const slot = accountSlot(r.body);
    assert.ok(slot, `GET ${path}: no account slot`);
    assert.ok(slot.includes(escaped), `GET ${path}: the masthead lacks the escaped name:\n${slot}`);
    assert.ok(slot.includes('My account'), `GET ${path}: no "My account"`);
  }
  const acct = (await c.get('/account')).body;
  assert.ok(acct.includes(`<strong>${escaped}</strong>`), 'the account page lacks the escaped name');
  assert.equal(attr(inputTag(acct, 'name'), 'value'), name);
});

// The confirmation page's own masthead must already count the address as verified.
test('verify: the "verified" page itself no longer shows the "Verify your email" reminder', {
  timeout: 30_000,
}, async () => {
  // An operator-made account (no registration: this file's registration budget is spent),
  // made unverified again, asking for a new link from My account.
  const email = freshEmail('stale');
  addUser(env.srv.db, email, PASSWORD);
  sql(env.srv.db, `UPDATE users SET email_verified_at = NULL WHERE email = '${email}'`);
  const c = new Client(env.srv.url);
  await c.signIn(email, PASSWORD);
  const r = await c.account('/account/verify', {});
  assert.equal(r.status, 303);
  assert.equal(r.location, '/account?done=verify-sent');
  const link = linkIn(await env.sink.waitFor(email), '/verify');
  const page = await c.confirm(link);
  assert.equal(page.status, 200);
  assert.match(messagePage(page).title, /verified/i);
  assert.ok(!/Verify your email/.test(accountSlot(page.body)), 'the masthead still says "Verify your email"');
});
