// Reader accounts, rate limits: log-in (10 attempts per account and 20 per client address per
// 15 minutes), "Forgot your password?" (3 links per account and 10 requests per client address
// per hour), registration (10 per client address per hour), the checks of the current password
// on My account (email, password and delete forms: the same 10 per account as log-in, and 20
// per client address, per 15 minutes) and the mails of email changes (5 per account and 3 per
// address mailed, per hour) answer 429 with a numeric Retry-After once spent. The limits live in
// the database (shared by every node: accounts-limits-nodes.test.mjs), so each test starts its
// own server on a fresh database and no test's attempts count against another's.
//
// Also here: a burst of concurrent log-ins (each an argon2id hash, which the server runs a few
// at a time) is all answered, and the server goes on serving.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMailServer, startQuietServer, Client, freshEmail, sql, addUser, fieldError, BAD_LOGIN,
  holdWriteLock,
} from '../lib/accounts.mjs';
import { textOf } from '../lib/util.mjs';

const PASSWORD = 'thimble-carousel-granite';

function retryAfter(r, max) {
  const v = r.headers.get('retry-after');
  assert.match(v ?? '', /^\d+$/, `Retry-After is not a number of seconds: ${v}`);
  const n = Number(v);
  assert.ok(n >= 1 && n <= max, `Retry-After ${n} is not within 1..${max}`);
  return n;
}

test('rate limit: the 11th log-in attempt for one account within 15 minutes → 429 with a numeric Retry-After (even with the right password)', { timeout: 60_000 }, async () => {
  const srv = await startQuietServer();
  try {
    const email = freshEmail('limited');
    addUser(srv.db, email, PASSWORD);
    const c = new Client(srv.url);
    const token = await c.csrf('/login');
    for (let i = 1; i <= 10; i++) {
      const r = await c.post('/login', { email, password: `wrong-password-${i}` }, { csrf: token });
      assert.equal(r.status, 200, `attempt ${i}: ${r.status}`);
      assert.ok(textOf(r.body).includes(BAD_LOGIN));
    }
    // The same account, in any case, from a new browser, with the right password.
    const other = new Client(srv.url);
    const r = await other.login(email.toUpperCase(), PASSWORD);
    assert.equal(r.status, 429, `attempt 11: ${r.status}`);
    retryAfter(r, 15 * 60);
    assert.ok(!r.setCookies.some((s) => s.startsWith('bs_session=')), 'the 429 signed in');
    // Another account is not affected.
    const second = freshEmail('unaffected');
    addUser(srv.db, second, PASSWORD);
    const ok = await new Client(srv.url).login(second, PASSWORD);
    assert.equal(ok.status, 303, `another account: ${ok.status}`);
  } finally {
    await srv.stop();
  }
});

test('rate limit: the 21st log-in attempt from one address within 15 minutes → 429, whatever the account', { timeout: 60_000 }, async () => {
  const srv = await startQuietServer();
  try {
    const c = new Client(srv.url);
    const token = await c.csrf('/login');
    for (let i = 1; i <= 20; i++) {
      const r = await c.post('/login', { email: freshEmail('spray'), password: 'spray-password-1' }, { csrf: token });
      assert.equal(r.status, 200, `attempt ${i}: ${r.status}`);
    }
    const r = await c.post('/login', { email: freshEmail('spray'), password: 'spray-password-1' }, { csrf: token });
    assert.equal(r.status, 429, `attempt 21: ${r.status}`);
    retryAfter(r, 15 * 60);
  } finally {
    await srv.stop();
  }
});

test('rate limit: the 4th /forgot for one address within an hour → 429 with Retry-After; only 3 links go out', { timeout: 60_000 }, async () => {
  const env = await startMailServer();
  try {
    const email = freshEmail('forgetful');
    addUser(env.srv.db, email, PASSWORD);
    for (let i = 1; i <= 3; i++) {
      const r = await new Client(env.srv.url).post('/forgot', { email }, { from: '/forgot' });
      assert.equal(r.status, 200, `request ${i}: ${r.status}`);
    }
    const r = await new Client(env.srv.url).post('/forgot', { email: email.toUpperCase() }, { from: '/forgot' });
    assert.equal(r.status, 429, `request 4: ${r.status}`);
    retryAfter(r, 3600);
    assert.equal(sql(env.srv.db, 'SELECT count(*) FROM tokens WHERE kind = \'reset\''), '3');
    // Another address from the same client is still served (the per-address limit is not
    // the per-client one).
    const other = await new Client(env.srv.url).post('/forgot', { email: freshEmail('x') }, { from: '/forgot' });
    assert.equal(other.status, 200);
  } finally {
    await env.stop();
  }
});

test('rate limit: the 11th /forgot from one address within an hour → 429', { timeout: 60_000 }, async () => {
  const srv = await startQuietServer();
  try {
    const c = new Client(srv.url);
    const token = await c.csrf('/forgot');
    for (let i = 1; i <= 10; i++) {
      const r = await c.post('/forgot', { email: freshEmail('many') }, { csrf: token });
      assert.equal(r.status, 200, `request ${i}: ${r.status}`);
    }
    const r = await c.post('/forgot', { email: freshEmail('many') }, { csrf: token });
    assert.equal(r.status, 429, `request 11: ${r.status}`);
    retryAfter(r, 3600);
  } finally {
    await srv.stop();
  }
});

test('rate limit: the 11th registration from one address within an hour → 429, no account', { timeout: 90_000 }, async () => {
  const srv = await startQuietServer();
  try {
    for (let i = 1; i <= 10; i++) await new Client(srv.url).register(freshEmail('bulk'), PASSWORD, `Bulk ${i}`);
    const email = freshEmail('bulk');
    const r = await new Client(srv.url).post('/register', { email, name: 'Bulk 11', password: PASSWORD },
      { from: '/register' });
    assert.equal(r.status, 429, `registration 11: ${r.status}`);
    retryAfter(r, 3600);
    assert.equal(sql(srv.db, `SELECT count(*) FROM users WHERE email = '${email}'`), '0');
  } finally {
    await srv.stop();
  }
});

test('hashing is bounded, not refused: a burst of 12 concurrent log-ins is all answered and the site keeps serving', { timeout: 90_000 }, async () => {
  const srv = await startQuietServer({ args: ['--hash-threads', '2'] });
  try {
    const email = freshEmail('burst');
    addUser(srv.db, email, PASSWORD);
    const clients = Array.from({ length: 12 }, () => new Client(srv.url));
    const tokens = await Promise.all(clients.map((c) => c.csrf('/login')));
    const home = new Client(srv.url);
    const results = await Promise.all([
      ...clients.map((c, i) => c.post('/login', i === 0 ? { email, password: PASSWORD }
        : { email: freshEmail('burst'), password: 'burst-password-1' }, { csrf: tokens[i] })),
      home.get('/'),
    ]);
    const logins = results.slice(0, 12);
    assert.equal(logins[0].status, 303, 'the right password failed in the burst');
    for (const r of logins.slice(1)) {
      assert.equal(r.status, 200);
      assert.ok(textOf(r.body).includes(BAD_LOGIN));
    }
    assert.equal(results[12].status, 200, 'the home page was not served during the burst');
  } finally {
    await srv.stop();
  }
});

// The finding: 60 wrong guesses of the current password in parallel were all answered 422,
// none 429, while an anonymous log-in waited 3.7 s behind their hashes.
test('rate limit: guesses of the current password on My account are limited per account, in parallel too, and count with log-in', { timeout: 90_000 }, async () => {
  const srv = await startQuietServer();
  try {
    const email = freshEmail('guessed');
    addUser(srv.db, email, PASSWORD);
    const c = new Client(srv.url);
    await c.signIn(email, PASSWORD); // one log-in: it counts too
    const token = await c.csrf('/account');
    const hash = sql(srv.db, `SELECT password_hash FROM users WHERE email = '${email}'`);
    const forms = [
      ['/account/password', (i) => ({ current_password: `wrong-guess-${i}`, new_password: 'pelican-orchard-compass' })],
      ['/account/email', (i) => ({ email: freshEmail(`guess-${i}`), password: `wrong-guess-${i}` })],
      ['/account/delete', (i) => ({ password: `wrong-guess-${i}` })],
    ];
    const results = await Promise.all(Array.from({ length: 15 }, (_, i) => {
      const [path, fields] = forms[i % forms.length];
      return c.post(path, fields(i), { csrf: token });
    }));
    const statuses = results.map((r) => r.status);
    const wrong = statuses.filter((s) => s === 422).length;
    const limited = results.filter((r) => r.status === 429);
    assert.ok(wrong <= 9, `${wrong} guesses were checked (statuses ${statuses})`);
    assert.equal(wrong + limited.length, 15, `statuses ${statuses}`);
    for (const r of limited) retryAfter(r, 15 * 60);
    // The right password now waits too, on every form and at log-in.
    const right = await c.post('/account/delete', { password: PASSWORD }, { csrf: token });
    assert.equal(right.status, 429, `the right password after the guesses: ${right.status}`);
    assert.equal(sql(srv.db, `SELECT count(*) FROM users WHERE email = '${email}'`), '1');
    const login = await new Client(srv.url).login(email, PASSWORD);
    assert.equal(login.status, 429, `log-in after the guesses: ${login.status}`);
    assert.equal(sql(srv.db, `SELECT password_hash FROM users WHERE email = '${email}'`), hash);
    // Another account from the same address is not affected (17 of the address's 20 checks).
    const other = freshEmail('unguessed');
    addUser(srv.db, other, PASSWORD);
    const d = new Client(srv.url);
    await d.signIn(other, PASSWORD);
    const wrongOther = await d.account('/account/delete', { password: 'not-my-password-at-all' });
    assert.equal(wrongOther.status, 422);
    assert.match(fieldError(wrongOther.body, 'delete-error') ?? '', /not correct/);
  } finally {
    await srv.stop();
  }
});

test('rate limit: email-change mails: 5 per account and 3 per address mailed per hour; a refused request mails nothing', { timeout: 90_000 }, async () => {
  const env = await startMailServer();
  try {
    const mailCount = () => Number(sql(env.srv.db, 'SELECT count(*) FROM mail_queue'));
    const email = freshEmail('mover');
    addUser(env.srv.db, email, PASSWORD);
    const c = new Client(env.srv.url);
    await c.signIn(email, PASSWORD);
    for (let i = 1; i <= 5; i++) {
      const r = await c.account('/account/email', { email: freshEmail(`target-${i}`), password: PASSWORD });
      assert.equal(r.status, 303, `request ${i}: ${r.status}`);
    }
    const before = mailCount();
    const sixth = await c.account('/account/email', { email: freshEmail('target-6'), password: PASSWORD });
    assert.equal(sixth.status, 429, `request 6 from one account: ${sixth.status}`);
    retryAfter(sixth, 3600);
    assert.equal(mailCount(), before, 'the refused request queued mail');

    // One address mailed by three accounts; the fourth is refused.
    const target = freshEmail('popular');
    for (let i = 1; i <= 4; i++) {
      const mover = freshEmail(`mover-${i}`);
      addUser(env.srv.db, mover, PASSWORD);
      const m = new Client(env.srv.url);
      await m.signIn(mover, PASSWORD);
      const r = await m.account('/account/email', { email: target.toUpperCase(), password: PASSWORD });
      assert.equal(r.status, i <= 3 ? 303 : 429, `account ${i} to one address: ${r.status}`);
      if (i === 4) retryAfter(r, 3600);
    }
    assert.equal(Number(sql(env.srv.db, `SELECT count(*) FROM mail_queue WHERE recipient = '${target}'`)), 3);
  } finally {
    await env.stop();
  }
});

// A client on IPv6 usually has a whole /64 to itself, so keying the limits by the full address
// gave it 2^64 allowances: one per address it chose to send from.
test('rate limit: an IPv6 client is counted by its /64: the 11th /forgot from one /64 → 429, another /64 is served', { timeout: 60_000 }, async () => {
  const srv = await startQuietServer({ args: ['--trusted-proxies', '127.0.0.1/32'] });
  try {
    const from = (address) => new Client(srv.url, { forwardedFor: address });
    for (let i = 1; i <= 10; i++) {
      const r = await from(`2001:db8:1:2::${i.toString(16)}`).post('/forgot', { email: freshEmail('v6') },
        { from: '/forgot' });
      assert.equal(r.status, 200, `request ${i}: ${r.status}`);
    }
    for (const address of ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:DB8:1:2:0:0:0:99']) {
      const r = await from(address).post('/forgot', { email: freshEmail('v6') }, { from: '/forgot' });
      assert.equal(r.status, 429, `${address}, in the same /64: ${r.status}`);
      retryAfter(r, 3600);
    }
    const other = await from('2001:db8:1:3::1').post('/forgot', { email: freshEmail('v6') }, { from: '/forgot' });
    assert.equal(other.status, 200, `another /64: ${other.status}`);
    // IPv4 clients are still counted one address each.
    const v4 = await from('203.0.113.9').post('/forgot', { email: freshEmail('v4') }, { from: '/forgot' });
    assert.equal(v4.status, 200);
  } finally {
    await srv.stop();
  }
});

// The limits are counted in the database (store_limit_hit). When it cannot count an attempt
// (here its write lock is held by another process for longer than a log-in waits for it: 5 s on
// the job pool, where log-in forms run), the attempt is refused with the error page, 503 with
// Retry-After, before any hashing: a limiter that let attempts through while the database
// fails would let an unlimited stream of guesses through. Nothing was counted, so once the
// database is back the account logs in.
test('rate limit: a database that cannot count a log-in attempt refuses it (503 with Retry-After), never lets it through', { timeout: 60_000 }, async () => {
  const srv = await startQuietServer();
  try {
    const email = freshEmail('unlimited');
    addUser(srv.db, email, PASSWORD);
    const c = new Client(srv.url);
    const token = await c.csrf('/login');
    const { released } = await holdWriteLock(srv.db, 8000);
    const r = await c.post('/login', { email, password: PASSWORD }, { csrf: token });
    assert.equal(r.status, 503, `a log-in while the database is locked: ${r.status}`);
    retryAfter(r, 60);
    assert.ok(!r.setCookies.some((s) => s.startsWith('bs_session=')), 'the 503 signed in');
    await released;
    const ok = await c.post('/login', { email, password: PASSWORD }, { csrf: token });
    assert.equal(ok.status, 303, `once the database is back: ${ok.status}`);
  } finally {
    await srv.stop();
  }
});
