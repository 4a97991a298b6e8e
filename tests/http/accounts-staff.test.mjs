// Staff accounts from the shell: `broadsheet user add EMAIL --role admin` (password on standard
// input), `user list`, `user role` (which ends the account's sessions: a privilege change means
// a new token), the exit status of bad usage, and names and addresses checked as the web forms
// check them (a name that is not UTF-8 made the reader look signed out).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { bin, runCli } from '../lib/server.mjs';
import { startQuietServer, Client, sql, accountSlot, isPg } from '../lib/accounts.mjs';
import { textOf } from '../lib/util.mjs';

const ADMIN = 'admin@example.test';
const PASSWORD = 'editorial-board-2014';
let srv;

before(async () => { srv = await startQuietServer(); });
after(async () => { await srv?.stop(); });

function show(r) {
  return `exit ${r.status} (signal ${r.signal}, timed out ${r.timedOut})\n--- stdout ---\n${r.stdout}` +
    `\n--- stderr ---\n${r.stderr}`;
}
const list = () => {
  const r = runCli(['user', 'list', '--db', srv.db]);
  assert.equal(r.status, 0, show(r));
  return r.stdout;
};
const lineOf = (out, email) => out.split('\n').find((l) => l.includes(email)) ?? '';

test('staff: `user add EMAIL --role admin --name Editor` with the password on stdin creates an account that can log in', { timeout: 30_000 }, async () => {
  const r = runCli(['user', 'add', ADMIN, '--role', 'admin', '--name', 'Editor', '--db', srv.db],
    { input: `${PASSWORD}\n` });
  assert.equal(r.status, 0, show(r));
  assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), 'the password was printed');
  assert.equal(sql(srv.db, `SELECT role || ' ' || display_name FROM users WHERE email = '${ADMIN}'`), 'admin Editor');
  assert.match(sql(srv.db, `SELECT password_hash FROM users WHERE email = '${ADMIN}'`), /^\$argon2id\$/);

  const c = new Client(srv.url);
  await c.signIn(ADMIN, PASSWORD);
  const page = await c.get('/account');
  assert.equal(page.status, 200);
  assert.match(page.body, /<strong>Editor<\/strong>/);
  // Created by the operator: the address counts as verified.
  assert.ok(!/Please verify your email address/.test(page.body), 'an operator-made account is asked to verify');
});

test('staff: `user list` shows the account with its role', { timeout: 30_000 }, () => {
  const line = lineOf(list(), ADMIN);
  assert.match(line, /\badmin\b/, `user list: ${line}`);
  assert.match(line, /Editor/);
});

test('staff: `user role EMAIL reader` ends the account\'s sessions (its cookie stops working)', { timeout: 30_000 }, async () => {
  const c = new Client(srv.url);
  await c.signIn(ADMIN, PASSWORD);
  assert.equal(await c.signedIn(), true);
  const r = runCli(['user', 'role', ADMIN, 'reader', '--db', srv.db]);
  assert.equal(r.status, 0, show(r));
  assert.equal(await c.signedIn(), false, 'the session survived the role change');
  assert.match(lineOf(list(), ADMIN), /^\s*reader\b/);
  // Signing in again works, with a new token.
  const old = c.jar.get('bs_session');
  await c.signIn(ADMIN, PASSWORD);
  assert.notEqual(c.jar.get('bs_session'), old);
  // Back to admin for the remaining tests.
  assert.equal(runCli(['user', 'role', ADMIN, 'admin', '--db', srv.db]).status, 0);
});

test('staff: a bad role is exit 2 and changes nothing', { timeout: 30_000 }, () => {
  const add = runCli(['user', 'add', 'boss@example.test', '--role', 'superuser', '--db', srv.db],
    { input: `${PASSWORD}\n` });
  assert.equal(add.status, 2, show(add));
  assert.ok(add.stderr.trim(), 'no error message');
  assert.equal(sql(srv.db, "SELECT count(*) FROM users WHERE email = 'boss@example.test'"), '0');
  const role = runCli(['user', 'role', ADMIN, 'superuser', '--db', srv.db]);
  assert.equal(role.status, 2, show(role));
  assert.equal(sql(srv.db, `SELECT role FROM users WHERE email = '${ADMIN}'`), 'admin');
});

test('staff: user add refuses a weak password, an invalid email and a duplicate, creating nothing', { timeout: 30_000 }, () => {
  const before = sql(srv.db, 'SELECT count(*) FROM users');
  const weak = runCli(['user', 'add', 'weak@example.test', '--db', srv.db], { input: 'password123\n' });
  assert.notEqual(weak.status, 0, show(weak));
  assert.match(weak.stderr, /common/i);
  const bad = runCli(['user', 'add', 'not-an-email', '--db', srv.db], { input: `${PASSWORD}\n` });
  assert.equal(bad.status, 2, show(bad));
  const dup = runCli(['user', 'add', ADMIN.toUpperCase(), '--db', srv.db], { input: `${PASSWORD}\n` });
  assert.notEqual(dup.status, 0, show(dup));
  assert.match(dup.stderr, /already exists/);
  const none = runCli(['user', 'add', 'nopw@example.test', '--db', srv.db], { input: '' });
  assert.notEqual(none.status, 0, show(none));
  assert.equal(sql(srv.db, 'SELECT count(*) FROM users'), before);
});

// `broadsheet user add` with arguments as raw bytes (node passes strings as UTF-8 only), the
// password on standard input. Returns spawnSync's result.
function addRaw(db, email, name) {
  const hex = (b) => [...Buffer.from(b, 'latin1')].map((c) => `\\x${c.toString(16).padStart(2, '0')}`).join('');
  return spawnSync('/bin/bash', ['-c',
    `exec "$0" user add "$(printf '${hex(email)}')" --name "$(printf '${hex(name)}')" --db "$1"`, bin, db],
  { input: `${PASSWORD}-raw\n`, encoding: 'utf8', timeout: 30_000 });
}

test('staff: user add refuses a name the web forms refuse (not UTF-8, control characters, over 100 characters) and a non-ASCII address, creating nothing', { timeout: 30_000 }, () => {
  const before = sql(srv.db, 'SELECT count(*) FROM users');
  for (const [email, name, why] of [
    ['bytes@example.test', 'Bad\xffName', /letters, numbers/],
    ['tab@example.test', 'Tab\there', /letters, numbers/],
    ['long@example.test', 'N'.repeat(101), /at most 100/],
    ['blank@example.test', '   ', /Enter the name/],
    ['j\xc3\xbcrgen@example.test', 'Juergen', /ASCII/],
  ]) {
    const r = addRaw(srv.db, email, name);
    assert.equal(r.status, 2, `user add ${JSON.stringify(name.slice(0, 20))}: ${show(r)}`);
    assert.match(r.stderr, why, show(r));
  }
  assert.equal(sql(srv.db, 'SELECT count(*) FROM users'), before, 'an account was created');
  const ok = addRaw(srv.db, 'accented@example.test', 'Ren\xc3\xa9e  ');
  assert.equal(ok.status, 0, show(ok));
  assert.equal(sql(srv.db, "SELECT display_name FROM users WHERE email = 'accented@example.test'"), 'Ren\u00e9e');
});

// An account whose stored name is not UTF-8 (made by an older `user add`) still signs in and
// sees itself signed in, its name shown with U+FFFD where the bad bytes were, and can fix it.
test('staff: a stored name that is not UTF-8 does not make the reader look signed out', { timeout: 30_000 }, async () => {
  const email = 'legacy@example.test';
  assert.equal(runCli(['user', 'add', email, '--name', 'Legacy', '--db', srv.db], { input: `${PASSWORD}\n` }).status, 0);
  if (isPg(srv.db)) {
    // PostgreSQL checks every text it stores against the database's encoding: such a name
    // cannot be stored there at all.
    assert.throws(() => sql(srv.db, `UPDATE users SET display_name = convert_from('\\x4c6567ff616379', 'UTF8') WHERE email = '${email}'`),
      /invalid byte sequence for encoding "UTF8"/);
    return;
  }
  sql(srv.db, `UPDATE users SET display_name = CAST(X'4C6567FF616379' AS TEXT) WHERE email = '${email}'`);
  const c = new Client(srv.url);
  await c.signIn(email, PASSWORD);
  for (const path of ['/', '/account', '/offers']) {
    const r = await c.get(path);
    assert.equal(r.status, 200, `GET ${path}: ${r.status}`);
    const slot = accountSlot(r.body) ?? '';
    assert.ok(slot.includes('My account'), `GET ${path}: the masthead shows the reader signed out:\n${slot}`);
    assert.ok(slot.includes('Leg\ufffdacy'), `GET ${path}: the name is not in the masthead:\n${slot}`);
  }
  assert.match(textOf((await c.get('/account')).body), /Leg\ufffdacy/);
  const fixed = await c.account('/account/name', { name: 'Legacy Reader' });
  assert.equal(fixed.status, 303);
  assert.equal(sql(srv.db, `SELECT display_name FROM users WHERE email = '${email}'`), 'Legacy Reader');
});
