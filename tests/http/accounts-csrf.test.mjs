// Reader accounts, CSRF and form hardening: every state-changing form is refused with 403
// without a valid CSRF token — missing, malformed, or taken from another browser — and nothing
// changes; non-form bodies are 415 and oversized ones 413.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMailServer, Client, freshEmail, sql, linkIn, messagePage,
} from '../lib/accounts.mjs';
import { httpRequest } from '../lib/server.mjs';
import { textOf } from '../lib/util.mjs';

const PASSWORD = 'juniper-telegraph-canvas';
let env;
let victim; // {email, id, c (signed in), other (a second signed-in browser)}

before(async () => {
  env = await startMailServer();
  const email = freshEmail('victim');
  const c = new Client(env.srv.url);
  await c.register(email, PASSWORD, 'Victim Reader');
  const other = new Client(env.srv.url);
  await other.signIn(email, PASSWORD);
  const id = sql(env.srv.db, `SELECT id FROM users WHERE email = '${email}'`);
  victim = { email, id, c, other };
});
after(async () => { await env?.stop(); });

// What a forged request could change, read from the database.
function state() {
  const id = victim.id;
  return sql(env.srv.db, `SELECT u.email, u.display_name, u.password_hash, u.role,
    (SELECT count(*) FROM sessions WHERE user_id = ${id}),
    (SELECT count(*) FROM tokens WHERE user_id = ${id}),
    (SELECT count(*) FROM tokens WHERE user_id = ${id} AND used_at IS NOT NULL),
    (SELECT count(*) FROM users), (SELECT count(*) FROM mail_queue)
    FROM users u WHERE u.id = ${id}`);
}

// The POST routes an anonymous browser uses (the others need a signed-in reader).
const ANONYMOUS = ['/register', '/login', '/forgot', '/reset', '/verify', '/verify-email',
  '/restore-email'];

// Every POST route, with fields that would change something were the token valid.
const routes = () => [
  ['/register', { email: freshEmail('forged'), name: 'Forged', password: 'forged-password-123' }],
  ['/login', { email: victim.email, password: PASSWORD }],
  ['/logout', {}],
  ['/forgot', { email: victim.email }],
  ['/reset', { token: 'A'.repeat(43), password: 'forged-password-123' }],
  ['/verify', { token: 'A'.repeat(43) }],
  ['/verify-email', { token: 'A'.repeat(43) }],
  ['/restore-email', { token: 'A'.repeat(43) }],
  ['/account/name', { name: 'Forged Name' }],
  ['/account/email', { email: freshEmail('forged'), password: PASSWORD }],
  ['/account/password', { current_password: PASSWORD, new_password: 'forged-password-123' }],
  ['/account/verify', {}],
  ['/account/sessions/end', { session_id: 'others' }],
  ['/account/delete', { password: PASSWORD }],
];

async function expectRefused(client, path, fields, csrf, what) {
  const before = state();
  const session = client.jar.get('bs_session');
  const r = await client.post(path, fields, { csrf });
  const page = messagePage(r);
  assert.equal(r.status, 403, `POST ${path} ${what}: status ${r.status} ${page.text.slice(0, 200)}`);
  assert.match(page.text, /Nothing was changed/);
  assert.ok(!r.setCookies.some((s) => s.startsWith('bs_session=')), `POST ${path} ${what}: a session cookie was set or cleared`);
  assert.equal(client.jar.get('bs_session'), session);
  assert.equal(state(), before, `POST ${path} ${what}: the database changed`);
}

test('CSRF: every POST route without a csrf field → 403, nothing changed', { timeout: 60_000 }, async () => {
  for (const [path, fields] of routes()) {
    // Anonymous routes from an anonymous browser with its bs_anon; account routes signed in.
    const anonymous = ANONYMOUS.includes(path);
    const client = anonymous ? new Client(env.srv.url) : victim.c;
    if (anonymous) await client.get('/login'); // it has a bs_anon binding, just no token sent
    await expectRefused(client, path, fields, false, 'without csrf');
  }
  // Still signed in everywhere, same name, can still log in with the same password.
  assert.equal(await victim.c.signedIn(), true);
  assert.equal(await victim.other.signedIn(), true);
  assert.equal(sql(env.srv.db, `SELECT display_name FROM users WHERE id = ${victim.id}`), 'Victim Reader');
});

test('CSRF: an empty or malformed csrf → 403, nothing changed', { timeout: 60_000 }, async () => {
  for (const bad of ['', 'x', 'A'.repeat(43), `${'A'.repeat(42)}=`, 'A'.repeat(5000)]) {
    await expectRefused(victim.c, '/account/name', { name: 'Forged Name' }, bad, `csrf=${bad.slice(0, 10)}…`);
    await expectRefused(victim.c, '/account/delete', { password: PASSWORD }, bad, `csrf=${bad.slice(0, 10)}…`);
  }
  assert.equal(await victim.c.signedIn(), true);
});

test('CSRF: a token from a different browser (another cookie jar) → 403, nothing changed', { timeout: 60_000 }, async () => {
  // The attacker's own signed-in browser and an anonymous one: neither token binds to the victim.
  const attacker = new Client(env.srv.url);
  await attacker.register(freshEmail('attacker'), PASSWORD, 'Attacker');
  const theirs = await attacker.csrf('/account');
  const anon = new Client(env.srv.url);
  const anonToken = await anon.csrf('/login');
  for (const [path, fields] of routes()) {
    if (ANONYMOUS.includes(path)) {
      const fresh = new Client(env.srv.url);
      await fresh.get('/login'); // its own bs_anon
      await expectRefused(fresh, path, fields, anonToken, 'with another browser\'s token');
    } else {
      await expectRefused(victim.c, path, fields, theirs, 'with the attacker\'s token');
      await expectRefused(victim.c, path, fields, anonToken, 'with an anonymous browser\'s token');
      // The victim's other browser's token is not this browser's either.
      await expectRefused(victim.c, path, fields, await victim.other.csrf('/account'), 'with the victim\'s other browser\'s token');
    }
  }
  assert.equal(await victim.c.signedIn(), true);
  assert.equal(await victim.other.signedIn(), true);
});

test('CSRF: a real reset link posted without csrf is refused; the link stays unused and the password unchanged', { timeout: 30_000 }, async () => {
  const c = new Client(env.srv.url);
  const r = await c.post('/forgot', { email: victim.email }, { from: '/forgot' });
  assert.equal(r.status, 200);
  const link = linkIn(await env.sink.waitFor(victim.email, { pred: (m) => /\/reset\?token=/.test(m.text) }), '/reset');
  const token = new URL(link).searchParams.get('token');
  const anon = new Client(env.srv.url);
  await anon.get(`/reset?token=${token}`);
  await expectRefused(anon, '/reset', { token, password: 'forged-password-123' }, false, 'real token, no csrf');
  const hash = sql(env.srv.db, `SELECT password_hash FROM users WHERE id = ${victim.id}`);
  assert.equal(sql(env.srv.db, `SELECT count(*) FROM tokens WHERE user_id = ${victim.id} AND kind = 'reset' AND used_at IS NULL`), '1',
    'the refused request used the link up');
  assert.equal(sql(env.srv.db, `SELECT password_hash FROM users WHERE id = ${victim.id}`), hash);
});

test('forms: a non-form body is 415 and a body over 64 KiB is 413; nothing changes', { timeout: 30_000 }, async () => {
  const before = state();
  const cookie = victim.c.cookieHeader();
  const csrf = await victim.c.csrf('/account');
  for (const type of ['application/json', 'text/plain', undefined]) {
    const body = type === 'application/json' ? JSON.stringify({ csrf, name: 'JSON Name' })
      : `csrf=${csrf}&name=Plain+Name`;
    const r = await httpRequest(env.srv.port, 'POST', '/account/name',
      { Cookie: cookie, 'Content-Type': type }, { body });
    assert.equal(r.status, 415, `Content-Type ${type}: ${r.status}`);
  }
  const big = `csrf=${csrf}&name=Big+Name&pad=${'x'.repeat(70 * 1024)}`;
  const r = await httpRequest(env.srv.port, 'POST', '/account/name',
    { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, { body: big, timeout: 10_000 });
  assert.equal(r.status, 413, `70 KiB form: ${r.status} ${textOf(r.text).slice(0, 200)}`);
  assert.equal(state(), before, 'a refused body changed the database');
  // A correct request with the same token does work (the refusals above were not about it).
  const ok = await victim.c.post('/account/name', { name: 'Victim Reader' }, { csrf });
  assert.equal(ok.status, 303);
});
