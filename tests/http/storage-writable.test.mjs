// The database becoming unwritable for a while (permissions after a restore, a disk remounted
// read-only) must not leave the server broken once it is writable again (issue 8, finding 18).
// SQLite opens a file it may not write read-only, without an error; a thread that kept such a
// connection failed every registration until a restart. Now the thread's next request opens a new
// connection.
//
// The server runs with one HTTP thread and one job thread, so the registration after the outage
// runs on the very thread that first needed the database during it. As root (CI), file modes
// would not stop the server, so it runs under setpriv without CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH, and then meets the files' modes like any other owner. On PostgreSQL the
// database is made read-only instead, and the server's sessions ended, so that it reconnects into
// a read-only session; the error that refuses the write (25006) replaces the connection as
// SQLite's READONLY does.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync } from 'node:fs';
import { startServer } from '../lib/server.mjs';
import { Client, freshEmail, sql, isPg } from '../lib/accounts.mjs';
import { textOf } from '../lib/util.mjs';

const PASSWORD = 'violet-harbour-lantern';
const SETPRIV = '/usr/bin/setpriv';
const asRoot = process.getuid?.() === 0;
let srv;

before(async () => {
  if (asRoot) assert.ok(existsSync(SETPRIV), `${SETPRIV} (util-linux) is needed to run this test as root`);
  const wrapper = asRoot ? [SETPRIV, '--inh-caps=-dac_override,-dac_read_search',
    '--bounding-set=-dac_override,-dac_read_search', '--'] : [];
  srv = await startServer({ args: ['--threads', '1', '--hash-threads', '1'], wrapper });
});
after(async () => { await srv?.stop(); });

const pg = () => isPg(srv.db);

// PostgreSQL's counterpart of a file made unwritable: the database made read-only for new
// sessions, and the server's sessions ended so that it reconnects into one (or, writable again,
// out of one).
function readOnlyDatabase(on) {
  const name = srv.db.slice(srv.db.lastIndexOf('/') + 1);
  // from another database: a read-only one could not undo it
  const url = { href: `${srv.db.slice(0, srv.db.lastIndexOf('/'))}/postgres` };
  sql(url.href, `ALTER DATABASE ${name} ${on ? 'SET default_transaction_read_only = on'
    : 'RESET default_transaction_read_only'}`);
  const pids = sql(url.href, 'SELECT string_agg(pid::text, \',\') FROM pg_stat_activity ' +
    `WHERE datname = '${name}'`);
  if (pids) {
    sql(url.href, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid IN (${pids})`);
  }
  // pg_terminate_backend only signals: wait until those sessions are gone (the server's
  // background threads may already have opened new ones)
  const until = Date.now() + 10_000;
  while (pids && sql(url.href, `SELECT count(*) FROM pg_stat_activity WHERE pid IN (${pids})`) !== '0') {
    assert.ok(Date.now() < until, 'the server\'s sessions did not end within 10 s');
  }
}

// Sets the mode of the database and its write-ahead log and shared-memory files.
function chmodDatabase(mode) {
  if (pg()) {
    readOnlyDatabase(mode === 0o444);
    return;
  }
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(srv.db + suffix)) chmodSync(srv.db + suffix, mode);
  }
}

test('storage: registrations work again once the database is writable again, without a restart', { timeout: 60_000 }, async () => {
  const c = new Client(srv.url);
  const csrf = await c.csrf('/register');
  chmodDatabase(0o444);
  let failed;
  try {
    failed = await c.post('/register', { email: freshEmail('readonly'), name: 'Read Only',
      password: PASSWORD }, { csrf });
  } finally {
    chmodDatabase(0o644);
  }
  // The first write a registration makes is its rate limit's count (they live in the database):
  // a database that cannot count the attempt refuses it, 503 with Retry-After, and creates
  // nothing (accounts-limits.test.mjs has the same for a locked database).
  assert.equal(failed.status, 503, `while unwritable: ${failed.status} ${failed.headers.get("location")}\n${textOf(failed.body).slice(0, 400)}`);
  assert.match(failed.headers.get('retry-after') ?? '', /^\d+$/, 'no Retry-After');
  assert.ok(!failed.setCookies.some((s) => s.startsWith('bs_session=')), 'the 503 signed in');

  // The same job thread and HTTP thread, now with a writable file.
  const email = freshEmail('writable');
  await c.register(email, PASSWORD, 'Writable Again');
  const home = await c.get('/account');
  assert.equal(home.status, 200);
  assert.ok(home.body.includes(email), 'the new account is not signed in');
  assert.match(srv.stderr(), /not keeping the connection|opened a new one/,
    'the server did not say why the write failed');
});
