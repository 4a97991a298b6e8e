// Reader accounts, sessions: the signed-in masthead on cached pages without the shared cached
// copy ever leaking a reader's name, idle and absolute expiry (the cookie is cleared), an
// unknown token treated as anonymous, and Secure cookies behind HTTPS (--cookie-secure 1).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMailServer, startQuietServer, Client, freshEmail, sql, accountSlot,
} from '../lib/accounts.mjs';
import { REFERENCE_PATH, REFERENCE, decodeEntities, textOf } from '../lib/util.mjs';

const PASSWORD = 'saffron-tugboat-orbit';
let env;

before(async () => { env = await startMailServer(); });
after(async () => { await env?.stop(); });

// A signed-in reader (a fresh registration) and its user id.
async function reader(name = 'Session Reader') {
  const email = freshEmail('session');
  const c = new Client(env.srv.url);
  await c.register(email, PASSWORD, name);
  const id = sql(env.srv.db, `SELECT id FROM users WHERE email = '${email}'`);
  return { c, email, id };
}

test('signed-in masthead: / and the article show the name and "My account", private/no-store; the anonymous copy never has the name', { timeout: 30_000 }, async () => {
  const name = `Ada Quill ${process.pid}`;
  const { c } = await reader(name);
  const anon = new Client(env.srv.url);
  for (const path of ['/', REFERENCE_PATH]) {
    // Warm the shared cache anonymously first, so the signed-in answer comes from it.
    const warm = await anon.get(path);
    assert.equal(warm.status, 200);

    const mine = await c.get(path);
    assert.equal(mine.status, 200, `GET ${path} signed in`);
    const slot = accountSlot(mine.body);
    assert.ok(slot, `GET ${path}: no account slot`);
    assert.ok(decodeEntities(slot).includes(name), `GET ${path}: the masthead lacks the name:\n${slot}`);
    assert.match(slot, /<a href="\/account">My account<\/a>/);
    assert.ok(!/href="\/login"/.test(slot), `GET ${path}: "Log in" shown to a signed-in reader`);
    const cc = mine.headers.get('cache-control') ?? '';
    assert.match(cc, /\b(private|no-store)\b/, `GET ${path} signed in: Cache-Control "${cc}"`);
    assert.ok(!/\bpublic\b/.test(cc), `GET ${path} signed in: Cache-Control "${cc}"`);
    assert.match(mine.headers.get('vary') ?? '', /cookie/i, `GET ${path} signed in: no Vary: Cookie`);
    if (path === REFERENCE_PATH) {
      assert.ok(textOf(mine.body).includes(REFERENCE.headline), 'the article is not there');
    }

    // Right after, the shared copy: no name, log-in links.
    const again = await anon.get(path);
    assert.equal(again.status, 200);
    assert.ok(!decodeEntities(again.body).includes(name), `GET ${path} anonymous: the reader's name leaked`);
    const aslot = accountSlot(again.body);
    assert.match(aslot, /href="\/login"[^>]*>Log in</);
    assert.match(aslot, /href="\/register"[^>]*>Register</);
    assert.ok(!aslot.includes('My account'));
    assert.deepEqual(again.setCookies, [], `GET ${path} anonymous: the shared page sets a cookie`);
  }
});

test('pages with forms (a CSRF token, maybe a new bs_anon cookie) are never stored by caches: no-store', { timeout: 30_000 }, async () => {
  const { c } = await reader();
  const anon = new Client(env.srv.url);
  for (const [client, path] of [[anon, '/login'], [anon, '/register'], [anon, '/forgot'],
    [c, '/account'], [c, '/login']]) {
    const r = await client.get(path);
    assert.equal(r.status, 200, `GET ${path}`);
    assert.match(r.headers.get('cache-control') ?? '', /\bno-store\b/, `GET ${path}: Cache-Control ${r.headers.get('cache-control')}`);
  }
});

test('session idle expiry: last seen more than 14 days ago → anonymous, cookie cleared (Max-Age=0)', { timeout: 30_000 }, async () => {
  const { c, id } = await reader();
  const cookie = c.jar.get('bs_session');
  assert.equal(await c.signedIn(), true);
  sql(env.srv.db, `UPDATE sessions SET last_seen_at = last_seen_at - 15*86400, created_at = created_at - 15*86400 WHERE user_id = ${id}`);
  const r = await c.get('/account');
  assert.equal(r.status, 303, 'an idle session still opens /account');
  assert.equal(r.location, '/login?next=/account');
  const cleared = r.setCookies.find((s) => s.startsWith('bs_session='));
  assert.match(cleared ?? '', /^bs_session=;.*Max-Age=0/i, `the cookie is not cleared: ${cleared}`);
  assert.equal(sql(env.srv.db, `SELECT count(*) FROM sessions WHERE user_id = ${id}`), '0',
    'the idle session is still stored');
  // Not only /account: a cached page is anonymous too.
  const copy = new Client(env.srv.url);
  copy.jar.set('bs_session', cookie);
  const home = await copy.get('/');
  assert.ok(!accountSlot(home.body).includes('My account'), 'an idle session shows "My account"');
});

test('session idle expiry: a session seen 13 days ago is still valid', { timeout: 30_000 }, async () => {
  const { c, id } = await reader();
  sql(env.srv.db, `UPDATE sessions SET last_seen_at = last_seen_at - 13*86400 WHERE user_id = ${id}`);
  assert.equal(await c.signedIn(), true, 'a session 13 days idle has ended (idle limit is 14 days)');
});

test('session absolute expiry: expires_at in the past → anonymous, cookie cleared (Max-Age=0)', { timeout: 30_000 }, async () => {
  const { c, id } = await reader();
  assert.equal(await c.signedIn(), true);
  // Seen a moment ago, but past its absolute end.
  sql(env.srv.db, `UPDATE sessions SET expires_at = ${Math.floor(Date.now() / 1000)} - 1 WHERE user_id = ${id}`);
  const r = await c.get('/account');
  assert.equal(r.status, 303, 'an expired session still opens /account');
  const cleared = r.setCookies.find((s) => s.startsWith('bs_session='));
  assert.match(cleared ?? '', /^bs_session=;.*Max-Age=0/i, `the cookie is not cleared: ${cleared}`);
  assert.equal(await c.signedIn(), false);
});

test('session cookie Max-Age matches the absolute lifetime (30 days)', { timeout: 30_000 }, async () => {
  const again = new Client(env.srv.url);
  const email = freshEmail('maxage');
  const reg = await again.register(email, PASSWORD, 'Max Age');
  const cookie = reg.setCookies.find((s) => s.startsWith('bs_session='));
  const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie)?.[1]);
  assert.equal(maxAge, 30 * 86400, `Max-Age ${maxAge}`);
  const row = sql(env.srv.db, 'SELECT s.expires_at - s.created_at FROM sessions s JOIN users u ' +
    `ON u.id = s.user_id WHERE u.email = '${email}'`);
  assert.equal(Number(row), 30 * 86400);
});

test('an unknown or malformed bs_session cookie is treated as anonymous and cleared', { timeout: 30_000 }, async () => {
  for (const value of ['A'.repeat(43), 'not-a-token', 'x'.repeat(500)]) {
    const c = new Client(env.srv.url);
    c.jar.set('bs_session', value);
    const r = await c.get('/account');
    assert.equal(r.status, 303, `bs_session=${value.slice(0, 20)}…: status ${r.status}`);
    assert.match(r.setCookies.find((s) => s.startsWith('bs_session=')) ?? '', /^bs_session=;.*Max-Age=0/i,
      `bs_session=${value.slice(0, 20)}…: not cleared`);
    const home = await new Client(env.srv.url).get('/');
    assert.equal(home.status, 200);
  }
});

test('cookies Secure: with --cookie-secure 1, bs_session and bs_anon are Secure (and still HttpOnly, SameSite=Lax)', { timeout: 60_000 }, async () => {
  const srv = await startQuietServer({ args: ['--cookie-secure', '1'] });
  try {
    const c = new Client(srv.url);
    const form = await c.get('/register');
    const anon = form.setCookies.find((s) => s.startsWith('bs_anon='));
    assert.ok(anon, `GET /register set no bs_anon: ${JSON.stringify(form.setCookies)}`);
    const reg = await c.register(freshEmail('secure'), PASSWORD, 'Secure Reader');
    const session = reg.setCookies.find((s) => s.startsWith('bs_session='));
    assert.ok(session, 'no bs_session at registration');
    for (const cookie of [anon, session]) {
      const attrs = cookie.split(';').map((a) => a.trim().toLowerCase());
      assert.ok(attrs.includes('secure'), `not Secure: ${cookie}`);
      assert.ok(attrs.includes('httponly'), `not HttpOnly: ${cookie}`);
      assert.ok(attrs.includes('samesite=lax'), `not SameSite=Lax: ${cookie}`);
    }
    const out = await c.logout();
    const cleared = out.setCookies.find((s) => s.startsWith('bs_session='));
    assert.match(cleared ?? '', /;\s*Secure\b/i, `the clearing cookie is not Secure: ${cleared}`);
  } finally {
    await srv.stop();
  }
});

test('cookies: bs_anon without --cookie-secure is HttpOnly, SameSite=Lax, not Secure', { timeout: 30_000 }, async () => {
  const c = new Client(env.srv.url);
  const form = await c.get('/login');
  const anon = form.setCookies.find((s) => s.startsWith('bs_anon='));
  assert.ok(anon, 'GET /login set no bs_anon');
  const attrs = anon.split(';').map((a) => a.trim().toLowerCase());
  assert.ok(attrs.includes('httponly') && attrs.includes('samesite=lax') && !attrs.includes('secure'), anon);
});
