// Reader accounts, "Forgot your password?": the same answer whether or not the account exists
// (and no mail for an unknown address), a reset link that works once, an expired or altered
// link that changes nothing, and a reset that ends every session of the account.
//
// One server and SMTP sink for the file. /forgot allows 10 requests per client address and 3
// per address asked about per hour: this file makes 9, one per account but the first's 2.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMailServer, Client, freshEmail, sql, linkIn, linkPath, messagePage, csrfIn, fieldError,
  addUser, blake2b256, BAD_LOGIN,
} from '../lib/accounts.mjs';
import { attr, textOf } from '../lib/util.mjs';

const OLD = 'amber-kettle-highway';
const NEW = 'granite-swallow-notebook';
let env;

before(async () => { env = await startMailServer(); });
after(async () => { await env?.stop(); });

async function account(tag) {
  const email = freshEmail(tag);
  const c = new Client(env.srv.url);
  await c.register(email, OLD, 'Reset Reader');
  return { email, c };
}

const isReset = (m) => /\/reset\?token=/.test(m.text);
const hashOf = (email) => sql(env.srv.db, `SELECT password_hash FROM users WHERE email = '${email}'`);

// Asks for a reset link from an anonymous browser; returns the page.
async function forgot(email) {
  return new Client(env.srv.url).post('/forgot', { email }, { from: '/forgot' });
}

// Asks for a link and waits for it.
async function resetLink(email) {
  const r = await forgot(email);
  assert.equal(r.status, 200, `POST /forgot: ${r.status}`);
  return linkIn(await env.sink.waitFor(email, { pred: isReset }), '/reset');
}

// Opens the link and sets `password` through its form; returns the POST's response.
async function useLink(link, password, client = new Client(env.srv.url)) {
  const form = await client.get(linkPath(link));
  if (form.status !== 200) return form; // the GET already refused it
  const token = new URL(link).searchParams.get('token');
  const hidden = [...form.body.matchAll(/<input\b[^>]*>/gi)].map((m) => m[0])
    .find((t) => attr(t, 'name') === 'token');
  assert.equal(attr(hidden, 'value'), token, 'the reset form does not carry the token');
  return client.post('/reset', { token, password }, { csrf: csrfIn(form.body) });
}

async function canLogIn(email, password) {
  const r = await new Client(env.srv.url).login(email, password);
  if (r.status === 303) return true;
  assert.equal(r.status, 200, `log-in: status ${r.status}`);
  assert.match(textOf(r.body), new RegExp(BAD_LOGIN.replace('.', '\\.')));
  return false;
}

test('forgot: the same page for an existing and an unknown address, and no mail for the unknown one', { timeout: 30_000 }, async () => {
  const { email } = await account('forgot');
  const unknown = freshEmail('unknown');
  // The unknown address first: mail goes out in order, so once the known one's has arrived,
  // one for the unknown address would have too.
  const none = await forgot(unknown);
  const some = await forgot(email);
  assert.equal(none.status, some.status);
  assert.equal(some.status, 200);
  const [a, b] = [messagePage(some), messagePage(none)];
  assert.equal(a.title, 'Check your email');
  assert.equal(textOf(some.body), textOf(none.body), 'the two answers differ');
  // Two different browsers: set aside their CSRF tokens, should the page carry any.
  const strip = (html) => html.replace(/name="csrf" value="[^"]*"/g, 'name="csrf"');
  assert.equal(strip(some.body), strip(none.body), 'the two answers differ in their markup');
  assert.equal(b.title, a.title);
  await env.sink.waitFor(email, { pred: isReset });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(env.sink.mailTo(unknown), [], 'mail was sent to an address with no account');
});

test('forgot: a malformed address is a form error, not a mail', { timeout: 30_000 }, async () => {
  const r = await forgot('not-an-address');
  assert.equal(r.status, 422);
  assert.match(textOf(r.body), /valid email/);
});

test('reset: the link sets the new password once; a second use says "already been used" and changes nothing', { timeout: 30_000 }, async () => {
  const { email } = await account('once');
  const link = await resetLink(email);
  const r = await useLink(link, NEW);
  assert.equal(r.status, 303, `first use: ${r.status} ${textOf(r.body).slice(0, 300)}`);
  assert.equal(r.location, '/login?done=reset');
  const done = await new Client(env.srv.url).get('/login?done=reset');
  assert.match(textOf(done.body), /Your password has been changed/);
  const hash = hashOf(email);

  const again = await useLink(link, 'a-third-password-entirely');
  const page = messagePage(again);
  assert.equal(page.status, 410, `second use: ${page.status} ${page.text.slice(0, 300)}`);
  assert.match(page.text, /already been used/i);
  assert.equal(hashOf(email), hash, 'the second use changed the password');
  assert.equal(await canLogIn(email, NEW), true, 'the new password does not work');
  assert.equal(await canLogIn(email, OLD), false, 'the old password still works');
});

test('reset: an expired link says "expired" and leaves the password unchanged', { timeout: 30_000 }, async () => {
  const { email } = await account('expired');
  const link = await resetLink(email);
  const hash = hashOf(email);
  const id = sql(env.srv.db, `SELECT id FROM users WHERE email = '${email}'`);
  sql(env.srv.db, `UPDATE tokens SET expires_at = ${Math.floor(Date.now() / 1000)} - 60 WHERE user_id = ${id} AND kind = 'reset'`);
  const r = await useLink(link, NEW);
  const page = messagePage(r);
  assert.equal(page.status, 410, `expired link: ${page.status} ${page.text.slice(0, 300)}`);
  assert.match(page.text, /expired/i);
  assert.equal(hashOf(email), hash, 'an expired link changed the password');
  assert.equal(await canLogIn(email, OLD), true, 'the old password no longer works');
});

test('reset: an altered link says "not valid" and changes nothing (the real link still works)', { timeout: 30_000 }, async () => {
  const { email } = await account('altered');
  const link = await resetLink(email);
  const token = new URL(link).searchParams.get('token');
  const hash = hashOf(email);
  const flip = (t, i) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
  const altered = [flip(token, 0), flip(token, token.length - 1), token.slice(0, -1),
    `${token}A`, token.replace(/^./, '%')];
  const c = new Client(env.srv.url);
  for (const bad of altered) {
    // Through the form, as if the page had been opened from the altered link.
    const r = await c.post('/reset', { token: bad, password: NEW }, { from: '/forgot' });
    const page = messagePage(r);
    assert.equal(page.status, 400, `token ${bad}: ${page.status} ${page.text.slice(0, 200)}`);
    assert.match(page.text, /not valid/i);
    // And opening it: the page says so, or (for a well-formed token) shows the form, whose
    // POST above was refused.
    const open = await c.get(`/reset?token=${encodeURIComponent(bad)}`);
    assert.ok(open.status === 400 || (open.status === 200 && /Choose a new password/.test(open.body)),
      `GET /reset?token=${bad}: ${open.status}`);
  }
  assert.equal(hashOf(email), hash, 'an altered link changed the password');
  const ok = await useLink(link, NEW);
  assert.equal(ok.status, 303, 'the real link stopped working after the altered ones');
});

test('reset: a weak new password is a form error next to the field; the link stays usable', { timeout: 30_000 }, async () => {
  const { email } = await account('weak');
  const link = await resetLink(email);
  const r = await useLink(link, 'password123');
  assert.equal(r.status, 422);
  assert.match(fieldError(r.body, 'password-error') ?? '', /common/i);
  assert.ok(!r.body.includes('password123'), 'the password is echoed');
  assert.equal((await useLink(link, NEW)).status, 303, 'the link was used up by the refused form');
});

test('reset: every session of the account ends; the old password fails and the new one works', { timeout: 30_000 }, async () => {
  const { email, c: first } = await account('sessions');
  const second = new Client(env.srv.url);
  await second.signIn(email, OLD);
  assert.equal(await first.signedIn(), true);
  assert.equal(await second.signedIn(), true);
  const link = await resetLink(email);
  // Reset from a third browser (the mail app's).
  const r = await useLink(link, NEW);
  assert.equal(r.status, 303);
  assert.equal(await first.signedIn(), false, 'the first session survived the reset');
  assert.equal(await second.signedIn(), false, 'the second session survived the reset');
  const id = sql(env.srv.db, `SELECT id FROM users WHERE email = '${email}'`);
  assert.equal(sql(env.srv.db, `SELECT count(*) FROM sessions WHERE user_id = ${id}`), '0');
  assert.equal(await canLogIn(email, OLD), false, 'the old password still works');
  assert.equal(await canLogIn(email, NEW), true, 'the new password does not work');
});

test('reset: resetting from a signed-in browser signs that browser out too', { timeout: 30_000 }, async () => {
  const { email, c } = await account('self');
  const link = await resetLink(email);
  const r = await useLink(link, NEW, c);
  assert.equal(r.status, 303);
  assert.match(r.setCookies.find((s) => s.startsWith('bs_session=')) ?? '', /^bs_session=;.*Max-Age=0/i);
  assert.equal(await c.signedIn(), false);
});

// One password policy everywhere: registration and "change password" refuse the account's own
// email address or name as its password, and so does the reset form.
test('reset: the account\'s email address or name is refused as the new password; the link stays usable', { timeout: 30_000 }, async () => {
  const email = freshEmail('policy');
  const name = 'Lighthouse Keeper';
  addUser(env.srv.db, email, OLD, { name });
  const link = await resetLink(email);
  const hash = hashOf(email);
  for (const [password, message] of [[email, /email address/], [email.toUpperCase(), /email address/],
    [email.split('@')[0], /email address/], [name.toLowerCase(), /name/]]) {
    const r = await useLink(link, password);
    assert.equal(r.status, 422, `${password}: ${r.status} ${textOf(r.body).slice(0, 300)}`);
    assert.match(fieldError(r.body, 'password-error') ?? '', message, password);
    assert.equal(hashOf(email), hash, `${password} was set as the password`);
  }
  assert.equal((await useLink(link, NEW)).status, 303, 'the link was used up by a refused form');
  assert.equal(await canLogIn(email, NEW), true);
});

// Opening a link that can no longer be used says so at once, with a way to ask for a new one,
// instead of showing a form that can only fail.
test('reset: opening a used or an expired link says so and offers a new link, without the form', { timeout: 30_000 }, async () => {
  const email = freshEmail('stale');
  addUser(env.srv.db, email, OLD);
  const used = await resetLink(email);
  assert.equal((await useLink(used, NEW)).status, 303);
  // An expired link, stored as the server stores one (this file's /forgot budget is spent).
  const token = `Expired${'x'.repeat(36)}`;
  const id = sql(env.srv.db, `SELECT id FROM users WHERE email = '${email}'`);
  sql(env.srv.db, `INSERT INTO tokens (user_id, kind, token_hash, created_at, expires_at)
    VALUES (${id}, 'reset', '${blake2b256(token)}', ${Math.floor(Date.now() / 1000)} - 3660,
    ${Math.floor(Date.now() / 1000)} - 60)`);
  const expired = `${env.srv.url}/reset?token=${token}`;
  for (const [link, status, words] of [[used, 410, /already been used/i], [expired, 410, /expired/i],
    [`${env.srv.url}/reset?token=${'A'.repeat(43)}`, 400, /not valid/i]]) {
    const r = await new Client(env.srv.url).get(linkPath(link));
    const page = messagePage(r);
    assert.equal(page.status, status, `GET ${link}: ${page.status} ${page.text.slice(0, 300)}`);
    assert.match(page.text, words);
    assert.ok(!/<input\b[^>]*name="password"/.test(r.body), `GET ${link}: the password form is shown`);
    assert.match(r.body, /<a class="button" href="\/forgot">/, `GET ${link}: no link to ask for a new one`);
  }
});
