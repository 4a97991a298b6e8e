// The change log's notifications and a PostgreSQL restart, end to end (issue 10).
//
// 1. A change committed by another process reaches a node's cached page at once through
//    LISTEN/NOTIFY (migrations/pgsql/011); with the listener's connection gone and refused (its
//    backend terminated, the server's role held at its connection limit) the node reads the
//    change log every tick and changes still arrive; when connections are allowed again the
//    listener comes back by itself.
// 2. PostgreSQL restarted while a bounded load runs: cached pages keep flowing (200, always),
//    pages that need the database answer 503 with Retry-After during the outage (never a reset
//    connection, never 500), serve again within seconds of the restart, and the server is alive
//    at the end; the log says once that the database is unavailable and once that it is back.
//
// Runs under `make pg-test` (BROADSHEET_TEST_PG_DIR names the throwaway cluster, which the
// second test restarts through scripts/pg-test-cluster restart). With BROADSHEET_BIN naming the
// sanitizer build and BROADSHEET_SANITIZED=1, any sanitizer report in the server's stderr fails
// the test (tests/lib/server.mjs checks it when the server stops).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

import { startServer, repoRoot } from '../lib/server.mjs';
import { addUser, Client, freshEmail, sql } from '../lib/accounts.mjs';
import { get, poll, REFERENCE_PATH } from '../lib/util.mjs';

const cluster = process.env.BROADSHEET_TEST_PG_DIR;
assert.ok(cluster,
  'BROADSHEET_TEST_PG_DIR must name a running test cluster (run these with `make pg-test`)');
const clusterScript = path.join(repoRoot, 'scripts', 'pg-test-cluster');

// The cluster's own database, as its superuser (for roles and pg_stat_activity).
function adminUrl() {
  const r = spawnSync(clusterScript, ['url', cluster], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const LISTENING = `query = 'LISTEN "broadsheet_changes"' AND backend_type = 'client backend'`;

// The pid of the backend listening for db's server (role), or '' when there is none.
function listenerPid(admin, role) {
  return sql(admin, `SELECT pid FROM pg_stat_activity WHERE usename = '${role}' AND ${LISTENING}`);
}

// Sets the reference article's headline in db (another process's write: psql) and returns how
// many milliseconds pass until the server at base shows it on the cached article page.
async function headlineDelay(db, base, headline) {
  sql(db, `UPDATE articles SET headline = '${headline}' WHERE slug = '${REFERENCE_PATH.split('/').pop()}'`);
  const started = Date.now();
  const seen = await poll(async () => (await (await get(base + REFERENCE_PATH)).text()).includes(headline),
    { ms: 5000, every: 10 });
  assert.ok(seen, `"${headline}" not on the page after 5 s`);
  return Date.now() - started;
}

test('notifications bring a change at once; without the listener the poll does, and it comes back',
  { timeout: 90_000 }, async () => {
    const admin = adminUrl();
    // A role of the server's own, so that its connections can be counted and capped; superusers
    // (the CLI and psql here) are not capped.
    const role = `bt_outage_${process.pid}`;
    sql(admin, `CREATE ROLE ${role} LOGIN`);
    sql(admin, `CREATE DATABASE ${role} OWNER ${role}`);
    const db = admin.replace(/postgres@/, `${role}@`).replace(/\/postgres$/, `/${role}`);
    const superDb = admin.replace(/\/postgres$/, `/${role}`);
    // One HTTP thread, which has its connection before the cap: the cap then refuses only the
    // listener's new one.
    const srv = await startServer({ db, args: ['--threads', '1'] });
    try {
      assert.equal((await get(srv.url + REFERENCE_PATH)).status, 200);
      const first = await poll(() => listenerPid(admin, role), { ms: 5000 });
      assert.ok(first, 'no backend LISTENs on broadsheet_changes for the server');

      // Listening: the poll runs only every second then, so five changes each seen within
      // 400 ms are the notifications' doing (by the poll alone: one chance in about 100).
      const listened = [];
      for (let i = 0; i < 5; i++) listened.push(await headlineDelay(superDb, srv.url, `Notified ${i}`));
      assert.ok(listened.every((ms) => ms < 400), `with LISTEN: ${listened.join(', ')} ms`);

      // The listener's backend terminated, and the role capped at the connections it has left:
      // the server cannot listen again, and follows the change log every 100 ms meanwhile.
      sql(admin, `SELECT pg_terminate_backend(${first}, 5000)`);
      sql(admin, `DO $$ BEGIN EXECUTE format('ALTER ROLE ${role} CONNECTION LIMIT %s',
        (SELECT count(*) FROM pg_stat_activity WHERE usename = '${role}')); END $$`);
      assert.ok(await poll(() => /change notifications: lost/.test(srv.stderr()), { ms: 5000 }),
        srv.stderr());
      const lostAt = Date.now();
      const polled = [];
      for (let i = 0; i < 3; i++) polled.push(await headlineDelay(superDb, srv.url, `Polled ${i}`));
      // The server tries to listen again every second: past that, still refused.
      await new Promise((r) => setTimeout(r, Math.max(0, lostAt + 1500 - Date.now())));
      assert.equal(listenerPid(admin, role), '', 'a listener despite the cap');
      assert.doesNotMatch(srv.stderr(), /listening again/);
      assert.ok(polled.every((ms) => ms < 1000), `without LISTEN: ${polled.join(', ')} ms`);

      // Allowed again: the listener is back within a few seconds, and so are quick changes.
      sql(admin, `ALTER ROLE ${role} CONNECTION LIMIT -1`);
      const again = await poll(() => listenerPid(admin, role), { ms: 5000 });
      assert.ok(again && again !== first, `listener after the cap: '${again}' (was ${first})`);
      assert.ok(await poll(() => /change notifications: listening again/.test(srv.stderr()),
        { ms: 2000 }), srv.stderr());
      const back = await headlineDelay(superDb, srv.url, 'Notified Again');
      assert.ok(back < 400, `back with LISTEN: ${back} ms`);
      assert.equal((await get(`${srv.url}/healthz`)).status, 200);
    } finally {
      await srv.stop();
      sql(admin, `DROP DATABASE ${role} WITH (FORCE)`);
      sql(admin, `DROP ROLE ${role}`);
    }
  });

// Runs `scripts/pg-test-cluster restart` (PAUSE seconds with the server down) in the background;
// resolves with the time it returned (the server accepting connections again).
function restartCluster(pause) {
  return new Promise((resolve, reject) => {
    const child = spawn(clusterScript, ['restart', cluster, String(pause)],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (s) => { stderr += s; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Date.now());
      else reject(new Error(`pg-test-cluster restart: exit ${code}\n${stderr}`));
    });
  });
}

// Requests path on base with headers over and over until stop() is true, recording each answer
// as {at, status, retryAfter} or {at, error} (a reset, a refused connection, a timeout).
async function loop(base, pathname, headers, stop, out) {
  while (!stop()) {
    const at = Date.now();
    try {
      const res = await get(base + pathname, { headers, signal: AbortSignal.timeout(8000) });
      await res.arrayBuffer();
      out.push({ at, done: Date.now(), status: res.status, retryAfter: res.headers.get('retry-after') });
    } catch (err) {
      out.push({ at, done: Date.now(), error: String(err.cause ?? err) });
    }
    await new Promise((r) => setTimeout(r, 15));
  }
}

test('PostgreSQL restarted under load: cached pages flow, the others get 503 and recover',
  { timeout: 120_000 }, async (t) => {
    const srv = await startServer({ args: ['--threads', '4'] });
    const { db } = srv;
    try {
      // A signed-in reader on a metered article: the session and the meter are read from the
      // database at every request. A missing article: looked up at every request.
      const email = freshEmail('outage');
      addUser(db, email, 'a-long-enough-password-1');
      const reader = new Client(srv.url);
      const login = await reader.post('/login', { email, password: 'a-long-enough-password-1' });
      assert.equal(login.status, 303);
      const metered = sql(db, "SELECT slug FROM articles WHERE access = 'metered' ORDER BY id LIMIT 1");
      assert.ok(metered, 'the demo has a metered article');
      const signedIn = { Cookie: reader.cookieHeader() };
      const cached = ['/', REFERENCE_PATH];
      for (const p of cached) assert.equal((await get(srv.url + p)).status, 200); // now cached
      assert.equal((await get(`${srv.url}/articles/${metered}`, { headers: signedIn })).status, 200);

      let stopping = false;
      const stop = () => stopping;
      const results = { home: [], article: [], metered: [], missing: [] };
      const loops = [
        loop(srv.url, '/', {}, stop, results.home),
        loop(srv.url, REFERENCE_PATH, {}, stop, results.article),
        loop(srv.url, `/articles/${metered}`, signedIn, stop, results.metered),
        loop(srv.url, '/articles/no-such-article-here', {}, stop, results.missing),
      ];
      await new Promise((r) => setTimeout(r, 1000));
      const restartedAt = await restartCluster(2);
      await new Promise((r) => setTimeout(r, 5000));
      stopping = true;
      await Promise.all(loops);

      const describe = (list) => JSON.stringify(list.filter((x) => x.error || x.status !== 200).slice(0, 10));
      for (const name of ['home', 'article']) {
        const bad = results[name].filter((x) => x.error || x.status !== 200);
        assert.equal(bad.length, 0, `cached ${name}: ${describe(results[name])}`);
        assert.ok(results[name].length > 20, `cached ${name}: only ${results[name].length} requests`);
        const during = results[name].filter((x) => x.at > restartedAt - 2000 && x.at < restartedAt);
        assert.ok(during.length > 0, `cached ${name}: no request while PostgreSQL was down`);
      }
      for (const [name, ok] of [['metered', 200], ['missing', 404]]) {
        const list = results[name];
        const errors = list.filter((x) => x.error);
        assert.equal(errors.length, 0, `${name}: ${JSON.stringify(errors.slice(0, 5))}`);
        const statuses = new Set(list.map((x) => x.status));
        assert.deepEqual([...statuses].filter((s) => s !== ok && s !== 503), [],
          `${name}: statuses ${[...statuses]}`);
        const unavailable = list.filter((x) => x.status === 503);
        assert.ok(unavailable.length > 0, `${name}: no 503 while PostgreSQL was down`);
        assert.ok(unavailable.every((x) => x.retryAfter === '5'), `${name}: 503 without Retry-After`);
        // Served again within seconds of the restart, and from then on.
        const firstOk = list.find((x) => x.status === ok && x.at >= restartedAt);
        assert.ok(firstOk && firstOk.done - restartedAt < 3000,
          `${name}: first ${ok} ${firstOk ? firstOk.done - restartedAt : 'never'} ms after the restart`);
        const lateFailures = list.filter((x) => x.at > restartedAt + 3000 && x.status !== ok);
        assert.equal(lateFailures.length, 0, `${name}: ${JSON.stringify(lateFailures.slice(0, 5))}`);
        // Nothing waited on the database: every answer came within a few seconds.
        const slowest = Math.max(...list.map((x) => x.done - x.at));
        assert.ok(slowest < 5000, `${name}: a request took ${slowest} ms`);
      }

      for (const [name, list] of Object.entries(results)) {
        const counts = {};
        for (const x of list) counts[x.status ?? 'error'] = (counts[x.status ?? 'error'] ?? 0) + 1;
        t.diagnostic(`${name}: ${JSON.stringify(counts)}`);
      }
      assert.equal((await get(`${srv.url}/healthz`)).status, 200);
      assert.equal(srv.proc.exitCode, null, 'the server is still running');
      const log = srv.stderr();
      assert.equal(log.match(/the database is unavailable/g)?.length, 1, log);
      assert.equal(log.match(/the database is available again/g)?.length, 1, log);
      const lines = log.split('\n').filter((l) => l.startsWith('broadsheet: store:')).length;
      assert.ok(lines < 20, `${lines} store lines in the log: a flood\n${log}`);
      assert.ok((log.match(/mailer: the database failed/g)?.length ?? 0) <= 1, log);
      t.diagnostic(log.split('\n').filter((l) => /store:|notifications|mailer/.test(l)).join('\n'));
    } finally {
      await srv.stop();
    }
  });
