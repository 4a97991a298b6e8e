// Findings of the hardening review that are about the request path as a whole: what a form body
// costs, what the logs and Referer headers may carry, what a cached error page may name, and
// that no HTTP thread waits on the database's write lock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startServer, httpRequest, rawExchange, tmpDir } from '../lib/server.mjs';
import { Client, freshEmail, sql, csrfIn, holdWriteLock } from '../lib/accounts.mjs';
import { REFERENCE_PATH } from '../lib/util.mjs';

// The server's peak resident memory so far, in bytes (VmHWM).
function peakMemory(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

test('finding 1: a form of 21,845 empty fields is refused (413), and 16 at once leave memory flat', { timeout: 60_000 }, async () => {
  const srv = await startServer();
  try {
    await httpRequest(srv.port, 'GET', '/'); // warm: the page cache, the threads' connections
    const before = peakMemory(srv.proc.pid);
    const body = 'a=&'.repeat(21845); // 65,535 bytes: within the size limit, far over the fields
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const results = await Promise.all(Array.from({ length: 16 }, () =>
      httpRequest(srv.port, 'POST', '/login', form, { body, timeout: 20_000 })));
    for (const r of results) assert.equal(r.status, 413, `status ${r.status}, timed out ${r.timedOut}`);
    const grew = peakMemory(srv.proc.pid) - before;
    assert.ok(grew < 48 * 1024 * 1024, `peak memory grew by ${(grew / 1048576).toFixed(1)} MiB`);

    // A route that takes no form never parses one: the beacon ignores its body, a page takes none.
    const beacon = await httpRequest(srv.port, 'POST', '/ads/impression/999999', form, { body });
    assert.equal(beacon.status, 404); // no such creative; the body was not parsed
    const page = await httpRequest(srv.port, 'POST', '/', form, { body });
    assert.equal(page.status, 405);
    assert.equal(page.headers.allow, 'GET, HEAD');
    // A form of fields within the limit is still read as it always was.
    const fine = await httpRequest(srv.port, 'POST', '/login', form,
      { body: 'email=a%40b.example&password=x' });
    assert.equal(fine.status, 403); // parsed; no CSRF token
  } finally {
    await srv.stop();
  }
});

test('finding 5: pages whose URL carries a token send no Referer, and the log never keeps a Referer\'s query', async () => {
  const dir = tmpDir('broadsheet-log-');
  const logFile = path.join(dir, 'access.log');
  const s = await startServer({ args: ['--access-log', logFile] });
  try {
    for (const p of ['/reset?token=not-a-real-token', '/verify?token=not-a-real-token',
      '/verify-email?token=not-a-real-token', '/restore-email?token=not-a-real-token']) {
      const r = await httpRequest(s.port, 'GET', p);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', `${p}: Referrer-Policy`);
    }
    const other = await httpRequest(s.port, 'GET', '/login');
    assert.equal(other.headers['referrer-policy'], 'strict-origin-when-cross-origin');

    const secret = 'SECRETTOKEN0123456789';
    const css = await httpRequest(s.port, 'GET', '/', {});
    const asset = /href="(\/static\/[^"]+\.css)"/.exec(css.body.toString())[1];
    const r = await httpRequest(s.port, 'GET', asset,
      { Referer: `http://127.0.0.1:${s.port}/reset?token=${secret}#frag` });
    assert.equal(r.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const log = readFileSync(logFile, 'utf8');
    assert.ok(log.includes(`http://127.0.0.1:${s.port}/reset`), 'the Referer is logged');
    assert.ok(!log.includes(secret), 'the Referer\'s query (a token) is in the access log');
    assert.ok(!log.includes('#frag'));
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('finding 11: the cached error page names no request path', async () => {
  const srv = await startServer();
  try {
    const mark = 'attacker-text-4c1e';
    const first = await httpRequest(srv.port, 'GET', `/${mark}/"><script>`);
    assert.equal(first.status, 404);
    assert.ok(!first.body.toString().includes(mark), 'the first 404 shows its path');
    const second = await httpRequest(srv.port, 'GET', '/another-missing-page');
    assert.equal(second.status, 404);
    assert.ok(!second.body.toString().includes(mark), 'a later 404 shows the first one\'s path');
    assert.ok(!/rel="canonical"/.test(second.body.toString()), 'an error page has no canonical link');
    assert.ok(!/og:url/.test(second.body.toString()));
  } finally {
    await srv.stop();
  }
});

test('finding 21: while another process holds the write lock, no HTTP thread waits on it', { timeout: 60_000 }, async () => {
  const srv = await startServer({ args: ['--threads', '2'] });
  try {
    const reader = new Client(srv.url);
    await reader.register(freshEmail('locked'), 'lantern-quarry-marmot-9');
    for (const p of ['/', REFERENCE_PATH, '/sections/politics']) await httpRequest(srv.port, 'GET', p);
    // The session's last-seen time is old: the next page view would write it.
    sql(srv.db, 'UPDATE sessions SET last_seen_at = last_seen_at - 3600');

    const { released } = await holdWriteLock(srv.db, 3000);
    // A signed-in page on an HTTP thread: its session touch must give up, not wait.
    let t = Date.now();
    const acct = await reader.get('/account');
    assert.equal(acct.status, 200);
    assert.ok(Date.now() - t < 1500, `the signed-in page took ${Date.now() - t} ms`);
    // A form that writes runs on the job pool, where it may wait for the lock; meanwhile the
    // HTTP threads serve cached pages at once.
    const token = csrfIn(acct.body);
    t = Date.now();
    const name = reader.post('/account/name', { name: 'Renamed While Locked' }, { csrf: token })
      .then((r) => ({ r, ms: Date.now() - t }));
    const pages = [];
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      pages.push(httpRequest(srv.port, 'GET', i % 2 ? '/' : REFERENCE_PATH)
        .then((r) => ({ r, ms: Date.now() - started })));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const { r, ms } of await Promise.all(pages)) {
      assert.equal(r.status, 200);
      assert.ok(ms < 1000, `a cached page took ${ms} ms while the lock was held`);
    }
    await released;
    const renamed = await name;
    assert.equal(renamed.r.status, 303, 'the form waited on the job pool and then went through');
    assert.equal(sql(srv.db, "SELECT display_name FROM users WHERE display_name = 'Renamed While Locked'"),
      'Renamed While Locked');
  } finally {
    await srv.stop();
  }
});

test('a malformed request on a keep-alive connection after a good one gets its own 400 (screening reaches every request)', async () => {
  const srv = await startServer();
  try {
    const host = `Host: 127.0.0.1:${srv.port}\r\n`;
    const x = await rawExchange(srv.port, `GET /healthz HTTP/1.1\r\n${host}\r\n` +
      `GET / HTTP/1.1\r\n${host}X-A: a\r\n b\r\n\r\n`);
    assert.deepEqual(x.responses.map((r) => r.status), [200, 400]);
  } finally {
    await srv.stop();
  }
});
