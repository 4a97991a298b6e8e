// Reader accounts, what leaves the server and what it keeps: the format of the mail it sends,
// the session cookie's attributes, and the database (argon2id password hashes, no plaintext
// password, session and link tokens stored only as hashes).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import {
  startMailServer, Client, freshEmail, sql, linkIn, dbBytes, blake2b256, SITE_NAME, isPg,
} from '../lib/accounts.mjs';

const PASSWORD = 'violet-harbour-lantern';
let env; // {srv, sink, stop}

before(async () => { env = await startMailServer(); });
after(async () => { await env?.stop(); });

// --- the mail and the database ----------------------------------------------------------------

test('mail format: Date, Message-ID, From with the site name, text/plain and text/html parts with the link', { timeout: 30_000 }, async () => {
  const email = freshEmail('format');
  const sent = Date.now();
  await new Client(env.srv.url).register(email, PASSWORD, 'Format Reader');
  const m = await env.sink.waitFor(email);
  assert.equal(m.envelope.from, 'news@example.test');
  assert.deepEqual(m.envelope.to, [email]);
  const date = Date.parse(m.headers.date ?? '');
  assert.ok(Number.isFinite(date), `bad Date: ${m.headers.date}`);
  assert.match(m.headers.date, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/);
  assert.ok(Math.abs(date - sent) < 5 * 60_000, `Date ${m.headers.date} is not now`);
  assert.match(m.headers['message-id'] ?? '', /^<[^<>@\s]+@[^<>@\s]+>$/, 'bad Message-ID');
  assert.match(m.headers.from ?? '', new RegExp(`^"?${SITE_NAME}"? <news@example\\.test>$`),
    `From: ${m.headers.from}`);
  assert.equal(m.headers.to, email);
  assert.ok(m.headers.subject.length > 0, 'no Subject');
  assert.match(m.headers['mime-version'] ?? '', /^1\.0/);
  assert.match(m.headers['content-type'] ?? '', /^multipart\/alternative;/);
  const types = m.parts.map((p) => p.type);
  assert.deepEqual(types, ['text/plain', 'text/html'], `parts ${types}`);
  for (const p of m.parts) assert.match(p.headers['content-type'], /charset="?utf-8/i);
  const link = linkIn(m, '/verify');
  assert.ok(m.html.includes(`href="${link}"`), 'the HTML part lacks the same link');
  // CRLF line ends throughout, no line over 998 characters (RFC 5322 2.1.1).
  assert.ok(!/[^\r]\n/.test(m.raw), 'a bare LF in the message');
  assert.ok(m.raw.split('\r\n').every((l) => l.length <= 998), 'a line over 998 characters');
});

test('storage: passwords are argon2id hashes; no plaintext password anywhere in the database files', { timeout: 30_000 }, async () => {
  const password = `Plaintext-Canary-${process.pid}-${Date.now()}`;
  const email = freshEmail('storage');
  await new Client(env.srv.url).register(email, password, 'Storage Reader');
  const hash = sql(env.srv.db, `SELECT password_hash FROM users WHERE email = '${email}'`);
  assert.match(hash, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/, `not an argon2id string: ${hash}`);
  const hashes = sql(env.srv.db, 'SELECT password_hash FROM users').split('\n');
  assert.ok(hashes.every((h) => h.startsWith('$argon2id$')), `some hash is not argon2id:\n${hashes.join('\n')}`);
  const bytes = dbBytes(env.srv.db);
  for (const needle of [password, PASSWORD]) {
    assert.equal(bytes.indexOf(Buffer.from(needle)), -1, `the password "${needle}" is in the database files`);
  }
});

test('storage: session and link tokens are stored only as their BLAKE2b-256 hash', { timeout: 30_000 }, async () => {
  const c = new Client(env.srv.url);
  const email = freshEmail('tokens');
  await c.register(email, PASSWORD, 'Token Reader');
  const token = c.jar.get('bs_session');
  const stored = sql(env.srv.db, 'SELECT s.token_hash FROM sessions s JOIN users u ON u.id = s.user_id ' +
    `WHERE u.email = '${email}'`);
  assert.equal(stored, blake2b256(token), 'the stored session hash is not BLAKE2b-256 of the cookie');
  assert.equal(dbBytes(env.srv.db).indexOf(Buffer.from(token)), -1,
    'the session cookie value is in the database files');

  // The verification link's token: only its hash in the tokens table.
  const mail = await env.sink.waitFor(email);
  const linkToken = new URL(linkIn(mail, '/verify')).searchParams.get('token');
  assert.match(linkToken, /^[A-Za-z0-9_-]{43}$/);
  const rows = sql(env.srv.db, 'SELECT t.token_hash, t.payload FROM tokens t ' +
    `JOIN users u ON u.id = t.user_id WHERE u.email = '${email}'`);
  assert.equal(rows, `${blake2b256(linkToken)}|`, 'the tokens table holds more than the hash');
});

// An argon2id hash of `password` with weaker parameters than the server's (t=1, 8 MiB), made
// by libsodium itself through Python's ctypes.
function weakHash(password) {
  const r = spawnSync('/usr/bin/python3', ['-c', `
import ctypes, ctypes.util, sys
s = ctypes.CDLL(ctypes.util.find_library('sodium') or 'libsodium.so.23')
assert s.sodium_init() >= 0
out = ctypes.create_string_buffer(128)
pw = sys.stdin.buffer.read()
assert s.crypto_pwhash_str(out, pw, ctypes.c_ulonglong(len(pw)), ctypes.c_ulonglong(1),
                           ctypes.c_size_t(8 * 1024 * 1024)) == 0
print(out.value.decode())
`], { input: password, encoding: 'utf8', timeout: 15_000 });
  assert.equal(r.status, 0, `making a weak hash: ${r.stderr}`);
  return r.stdout.trim();
}

test('storage: a hash with old parameters is rehashed at the next log-in', { timeout: 30_000 }, async () => {
  const email = freshEmail('rehash');
  const c = new Client(env.srv.url);
  await c.register(email, PASSWORD, 'Rehash Reader');
  const current = sql(env.srv.db, `SELECT password_hash FROM users WHERE email = '${email}'`);
  const params = /^\$argon2id\$v=19\$(m=\d+,t=\d+,p=\d+)\$/.exec(current)[1];
  const weak = weakHash(PASSWORD);
  assert.match(weak, /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
  sql(env.srv.db, `UPDATE users SET password_hash = '${weak}' WHERE email = '${email}'`);
  await c.logout();
  await c.signIn(email, PASSWORD);
  const after = sql(env.srv.db, `SELECT password_hash FROM users WHERE email = '${email}'`);
  assert.notEqual(after, weak, 'the weak hash was kept');
  assert.ok(after.startsWith(`$argon2id$v=19$${params}$`), `rehashed to ${after}, expected ${params}`);
  await c.logout();
  await c.signIn(email, PASSWORD); // the new hash verifies
});

// A delivered message stays in mail_queue with its body, and so with the live link: a copy of
// the database then holds usable verification, reset and email-change links, which is what
// storing tokens only as hashes (migrations/sqlite/002_accounts.sql) is meant to prevent.
test('storage: a delivered mail does not keep its link in the database (mail_queue)', {
  timeout: 30_000,
}, async () => {
  const email = freshEmail('queue');
  await new Client(env.srv.url).register(email, PASSWORD, 'Queue Reader');
  const mail = await env.sink.waitFor(email);
  const linkToken = new URL(linkIn(mail, '/verify')).searchParams.get('token');
  // Delivered: the sink has it. Wait (bounded) for the mailer to mark it sent.
  const deadline = Date.now() + 5000;
  while (sql(env.srv.db, `SELECT count(*) FROM mail_queue WHERE sent_at IS NULL`) !== '0') {
    assert.ok(Date.now() < deadline, 'the mail was never marked sent');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(sql(env.srv.db, `SELECT count(*) FROM mail_queue WHERE body_text LIKE '%${linkToken}%'
    OR body_html LIKE '%${linkToken}%'`), '0', 'a delivered mail still holds its link');
  // What was overwritten is zeroed too (secure_delete): after a checkpoint folds the write-ahead
  // log into the database file, the file holds no copy of the token. (PostgreSQL has no
  // secure_delete: an old row version stays in the table's files until VACUUM reuses its space;
  // the rows themselves, checked above, hold no link.)
  if (isPg(env.srv.db)) return;
  sql(env.srv.db, 'PRAGMA wal_checkpoint(TRUNCATE)');
  assert.equal(fs.readFileSync(env.srv.db).indexOf(Buffer.from(linkToken)), -1,
    'the link token is in the database file after delivery');
});
