// The server process: the access log on stdout, shutdown on SIGTERM with a client mid-request,
// and a clean start and stop on an existing database.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { startServer, runCli, httpRequest, tmpDir, demoDir } from '../lib/server.mjs';
import { REFERENCE_PATH, escapeRegExp, poll } from '../lib/util.mjs';

let dir;
before(() => { dir = tmpDir('broadsheet-lifecycle-'); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

test('one access-log line per request on stdout, with path and status', async () => {
  const srv = await startServer();
  try {
    const requests = [['/publications/gsn', 200], [REFERENCE_PATH, 200], ['/lifecycle-no-such-page', 404]];
    for (const [p, status] of requests) {
      const r = await httpRequest(srv.port, 'GET', p);
      assert.equal(r.status, status, `GET ${p}`);
    }
    // Complete lines only: the last element after the split is a line still being written.
    const linesFor = (p) => srv.stdout().split('\n').slice(0, -1)
      .filter((l) => new RegExp(`(^|[\\s"'])${escapeRegExp(p)}([\\s"'?]|$)`).test(l));
    await poll(() => requests.every(([p]) => linesFor(p).length >= 1), { ms: 5000 });
    for (const [p, status] of requests) {
      const lines = linesFor(p);
      assert.equal(lines.length, 1, `expected one access-log line for ${p}, got ${lines.length}:\n` +
        srv.stdout());
      assert.match(lines[0], new RegExp(`(^|\\D)${status}(\\D|$)`),
        `the access-log line for ${p} lacks status ${status}: ${lines[0]}`);
    }
  } finally {
    await srv.stop();
  }
});

test('SIGTERM while a client is mid-request: the server exits 0 within 10 s', { timeout: 30_000 }, async () => {
  const srv = await startServer();
  const sock = net.connect({ port: srv.port, host: '127.0.0.1' });
  let received = '';
  sock.setEncoding('latin1');
  sock.on('data', (d) => { received += d; });
  sock.on('error', () => {}); // a reset is an acceptable way to be turned away
  const closed = new Promise((resolve) => sock.on('close', resolve));
  try {
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('connect timed out')), 5000);
      sock.once('connect', () => { clearTimeout(t); resolve(); });
    });
    // Headers without the final blank line: the request is in progress.
    sock.write(`GET ${REFERENCE_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nConnection: close\r\n`);
    // Give the server a moment to read the partial request (it has no way to tell us).
    await new Promise((r) => setTimeout(r, 200));
    srv.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    if (!sock.destroyed) sock.write('\r\n');
    let timer;
    const result = await Promise.race([
      srv.exited,
      new Promise((r) => { timer = setTimeout(() => r(null), 10_000); }),
    ]);
    clearTimeout(timer);
    assert.ok(result, `the server did not exit within 10 s of SIGTERM\n${srv.stderr()}`);
    assert.equal(result.code, 0, `exit code ${result.code}, signal ${result.signal}\n${srv.stderr()}`);
    // Either it answered the request or it closed the connection: both are fine, hanging is not.
    let t2;
    await Promise.race([closed, new Promise((r) => { t2 = setTimeout(r, 2000); })]);
    clearTimeout(t2);
    assert.ok(sock.destroyed || sock.readableEnded || /^HTTP\/1\.[01] \d{3}/.test(received),
      'the client connection was neither answered nor closed after the server exited');
  } finally {
    sock.destroy();
    await srv.stop(); // already exited: checks the exit code and the sanitizer output, cleans up
  }
});

test('a server started on an existing database stops with exit code 0', async () => {
  const db = path.join(dir, 'existing.db');
  const init = runCli(['init', '--db', db, '--demo', '--demo-without-staff', '--demo-dir', demoDir]);
  assert.equal(init.status, 0, `init: exit ${init.status}\n${init.stderr}`);
  for (const round of [1, 2]) {
    const srv = await startServer({ demo: false, db });
    try {
      const r = await httpRequest(srv.port, 'GET', REFERENCE_PATH);
      assert.equal(r.status, 200, `run ${round}: GET ${REFERENCE_PATH} from the existing database`);
    } finally {
      const result = await srv.stop();
      assert.equal(result.code, 0);
    }
  }
});
