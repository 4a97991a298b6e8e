// Reader accounts, logging in and out: a failure never tells whether the email exists (same
// page, about the same time), a log-in always issues a new session token (no fixation),
// logging out ends the session on the server, and `next` only leads to local paths.
//
// One server for the file. Log-in is limited to 20 attempts per client address and 10 per
// account per 15 minutes, so this file makes at most 20, and at most 10 on any one account
// (registering, which signs in, does not count).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import {
  startMailServer, Client, freshEmail, sql, csrfIn, inputTag, blake2b256, BAD_LOGIN,
} from '../lib/accounts.mjs';
import { REFERENCE_PATH, attr, textOf } from '../lib/util.mjs';

const PASSWORD = 'copper-meadow-quartet';
let env;
let email; // the account of the failure tests (6 attempts)

// A new account, signed out again.
async function account(tag) {
  const address = freshEmail(tag);
  const c = new Client(env.srv.url);
  await c.register(address, PASSWORD, 'Login Reader');
  await c.logout();
  return address;
}

before(async () => {
  env = await startMailServer();
  email = await account('login');
});
after(async () => { await env?.stop(); });

const errorAlert = (html) => {
  const m = /<p class="alert alert-error"[^>]*>([\s\S]*?)<\/p>/.exec(html);
  return m ? textOf(m[1]) : null;
};

test('log-in failure: a wrong password and an unknown email get the same status and page', { timeout: 30_000 }, async () => {
  const c = new Client(env.srv.url);
  const token = await c.csrf('/login');
  const unknown = freshEmail('nobody');
  const wrong = await c.post('/login', { email, password: 'not-the-password-1' }, { csrf: token });
  const none = await c.post('/login', { email: unknown, password: 'not-the-password-1' }, { csrf: token });
  assert.equal(wrong.status, none.status, `status ${wrong.status} vs ${none.status}`);
  assert.equal(wrong.status, 200);
  assert.equal(errorAlert(wrong.body), BAD_LOGIN);
  assert.equal(errorAlert(none.body), BAD_LOGIN);
  // Byte for byte the same page, once each refilled address is set aside.
  assert.equal(wrong.body.replaceAll(email, 'EMAIL'), none.body.replaceAll(unknown, 'EMAIL'),
    'the two failure pages differ');
  assert.deepEqual(wrong.setCookies.filter((s) => s.startsWith('bs_session=')), []);
  assert.deepEqual(none.setCookies.filter((s) => s.startsWith('bs_session=')), []);
  // The password is never refilled.
  for (const r of [wrong, none]) {
    assert.ok(!attr(inputTag(r.body, 'password'), 'value'));
    assert.ok(!r.body.includes('not-the-password-1'));
    assert.equal(attr(inputTag(r.body, 'email'), 'value'), r === wrong ? email : unknown);
  }
});

// A liveness check of the dummy-hash rule (an unknown email still costs one argon2id
// verification), not a performance target: without the dummy hash an unknown email answers
// in well under a millisecond against ~100 ms for a wrong password, far outside 0.33-3.
test('log-in failure timing: an unknown email takes about as long as a wrong password (median of 5, ratio 0.33-3)', { timeout: 60_000 }, async () => {
  const c = new Client(env.srv.url);
  const token = await c.csrf('/login');
  const times = { wrong: [], unknown: [] };
  const once = async (kind, address) => {
    const t0 = performance.now();
    const r = await c.post('/login', { email: address, password: 'wrong-password-xyz' }, { csrf: token });
    times[kind].push(performance.now() - t0);
    assert.equal(r.status, 200, `${kind}: status ${r.status}`);
    assert.equal(errorAlert(r.body), BAD_LOGIN);
  };
  for (let i = 0; i < 5; i++) { // interleaved, so that drift affects both alike
    await once('wrong', email);
    await once('unknown', freshEmail('ghost'));
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const ratio = median(times.unknown) / median(times.wrong);
  const show = `wrong password ${times.wrong.map((t) => t.toFixed(1)).join(' ')} ms; unknown ` +
    `email ${times.unknown.map((t) => t.toFixed(1)).join(' ')} ms; ratio of medians ${ratio.toFixed(2)}`;
  assert.ok(ratio >= 0.33 && ratio <= 3, show);
});

test('log-in issues a new session token: a planted bs_session is never adopted (no fixation)', { timeout: 30_000 }, async () => {
  const email = await account('fixation');
  // An attacker's own valid session, planted in the victim's browser, and a made-up one.
  const attacker = new Client(env.srv.url);
  await attacker.signIn(email, PASSWORD);
  const planted = attacker.jar.get('bs_session');

  const victim = new Client(env.srv.url);
  const token = await victim.csrf('/login');
  victim.jar.set('bs_session', planted);
  const r = await victim.post('/login', { email, password: PASSWORD }, { csrf: token });
  assert.equal(r.status, 303, textOf(r.body).slice(0, 300));
  const issued = victim.jar.get('bs_session');
  assert.ok(issued, 'no session cookie set at log-in');
  assert.notEqual(issued, planted, 'the log-in kept the planted session token');
  const set = r.setCookies.find((s) => s.startsWith('bs_session='));
  assert.ok(set && !set.startsWith(`bs_session=${planted}`), `Set-Cookie: ${set}`);
  // The planted token is not a way in any more either.
  const old = new Client(env.srv.url);
  old.jar.set('bs_session', planted);
  assert.equal(await old.signedIn(), false, 'the planted (pre-log-in) session still works');
  assert.equal(await victim.signedIn(), true);

  // A made-up token of the right shape: the log-in still sets its own.
  const made = randomBytes(32).toString('base64url');
  const c = new Client(env.srv.url);
  const t2 = await c.csrf('/login');
  c.jar.set('bs_session', made);
  const r2 = await c.post('/login', { email, password: PASSWORD }, { csrf: t2 });
  assert.equal(r2.status, 303);
  assert.ok(c.jar.get('bs_session') && c.jar.get('bs_session') !== made);
  assert.equal(sql(env.srv.db, `SELECT count(*) FROM sessions WHERE token_hash = '${blake2b256(made)}'`),
    '0', 'a session was stored under the made-up token');
});

test('log-out ends the session on the server: the old cookie no longer opens /account', { timeout: 30_000 }, async () => {
  const email = await account('logout');
  const c = new Client(env.srv.url);
  await c.signIn(email, PASSWORD);
  const cookie = c.jar.get('bs_session');
  const sessionsBefore = Number(sql(env.srv.db, 'SELECT count(*) FROM sessions'));
  const r = await c.logout();
  assert.equal(r.status, 303);
  assert.equal(r.location, '/');
  const cleared = r.setCookies.find((s) => s.startsWith('bs_session='));
  assert.match(cleared ?? '', /^bs_session=;.*Max-Age=0/i, `log-out does not clear the cookie: ${cleared}`);
  assert.equal(Number(sql(env.srv.db, 'SELECT count(*) FROM sessions')), sessionsBefore - 1);
  // Someone who kept a copy of the cookie.
  const copy = new Client(env.srv.url);
  copy.jar.set('bs_session', cookie);
  const acct = await copy.get('/account');
  assert.equal(acct.status, 303, 'the logged-out cookie still opens /account');
  assert.equal(acct.location, '/login?next=/account');
  const home = await copy.get('/');
  assert.ok(!(home.body.includes('My account')), 'the logged-out cookie still shows "My account"');
});

test('next: a log-in redirects only to local paths (https://evil.example and //evil.example → /)', { timeout: 30_000 }, async () => {
  const email = await account('next');
  const cases = [
    [REFERENCE_PATH, REFERENCE_PATH],
    ['https://evil.example/', '/'],
    ['//evil.example/', '/'],
  ];
  for (const [next, expected] of cases) {
    const c = new Client(env.srv.url);
    const r = await c.login(email, PASSWORD, next);
    assert.equal(r.status, 303, `next=${next}: status ${r.status}`);
    assert.equal(r.location, expected, `next=${next}: redirected to ${r.location}`);
  }
  // The form carries only a safe next, whatever the query said (no request needed to log in).
  const c = new Client(env.srv.url);
  for (const next of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
    const page = await c.get(`/login?next=${encodeURIComponent(next)}`);
    const hidden = [...page.body.matchAll(/<input\b[^>]*>/gi)].map((m) => m[0])
      .find((t) => attr(t, 'name') === 'next');
    assert.equal(attr(hidden, 'value'), '/', `GET /login?next=${next}: next field ${hidden}`);
    assert.ok(csrfIn(page.body));
  }
  const local = await c.get('/login?next=/account');
  const hidden = [...local.body.matchAll(/<input\b[^>]*>/gi)].map((m) => m[0])
    .find((t) => attr(t, 'name') === 'next');
  assert.equal(attr(hidden, 'value'), '/account');
});
