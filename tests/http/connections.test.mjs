// Exactly 128 and 256 keep-alive connections, all asking at once.
//
// libmicrohttpd 0.9.75 (and upstream 1.0.x) in epoll mode calls epoll_wait again with the full
// timeout when the previous call returned exactly 128 events, so 128 or 256 ready connections can
// sit unserved until the connection timeout (see DESIGN.md). The 5-second bound below is a
// liveness bound that catches that stall, not a performance target: on loopback every answer
// normally arrives in milliseconds.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, httpRequest, parseResponse } from '../lib/server.mjs';
import { REFERENCE_PATH } from '../lib/util.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

const BOUND_MS = 5000;

// A keep-alive connection that parses responses off the stream by Content-Length.
function connect(port) {
  return new Promise((resolve, reject) => {
    const c = { buf: Buffer.alloc(0), responses: [], closed: false, error: null, waiters: [] };
    const sock = net.connect({ port, host: '127.0.0.1' });
    c.sock = sock;
    sock.setNoDelay(true);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('connect timed out')); }, BOUND_MS);
    sock.once('connect', () => { clearTimeout(timer); resolve(c); });
    sock.on('error', (err) => { c.error = err; clearTimeout(timer); reject(err); wake(); });
    sock.on('close', () => { c.closed = true; wake(); });
    sock.on('data', (d) => {
      c.buf = Buffer.concat([c.buf, d]);
      for (;;) {
        let r;
        try { r = parseResponse(c.buf, 0); } catch (err) { c.error = err; break; }
        if (!r) break;
        c.responses.push(r);
        c.buf = c.buf.subarray(r.end);
      }
      wake();
    });
    function wake() {
      for (const w of c.waiters.splice(0)) w();
    }
  });
}

// Resolves when every connection has `n` responses, or rejects at the bound with a count.
function allAnswered(conns, n, what) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setTimeout(() => {
      const answered = conns.filter((c) => c.responses.length >= n).length;
      const closed = conns.filter((c) => c.closed && c.responses.length < n).length;
      reject(new Error(`${what}: ${answered} of ${conns.length} connections answered within ` +
        `${BOUND_MS} ms (${closed} closed unanswered)`));
    }, BOUND_MS);
    const check = () => {
      const bad = conns.find((c) => c.responses.length < n && (c.closed || c.error));
      if (bad) {
        clearTimeout(timer);
        reject(new Error(`${what}: a connection was ${bad.error ? `broken (${bad.error.message})` : 'closed'} ` +
          `after ${bad.responses.length} responses`));
        return true;
      }
      if (conns.every((c) => c.responses.length >= n)) {
        clearTimeout(timer);
        resolve(Date.now() - started);
        return true;
      }
      return false;
    };
    if (check()) return;
    for (const c of conns) {
      const again = () => { if (!check() && c.responses.length < n) c.waiters.push(again); };
      c.waiters.push(again);
    }
  });
}

for (const N of [128, 256]) {
  test(`${N} keep-alive connections asking at once are all answered promptly`, { timeout: 30_000 }, async () => {
    const settled = await Promise.allSettled(Array.from({ length: N }, () => connect(srv.port)));
    const conns = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) {
      for (const c of conns) c.sock.destroy();
      assert.fail(`could open only ${conns.length} of ${N} connections: ${failed.reason.message}`);
    }
    try {
      const request = Buffer.from(`GET ${REFERENCE_PATH} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1');
      for (const round of [1, 2]) {
        for (const c of conns) c.sock.write(request);
        await allAnswered(conns, round, `request ${round} on ${N} connections`);
        for (const c of conns) {
          const r = c.responses[round - 1];
          assert.equal(r.status, 200, `request ${round}: status ${r.status}`);
          assert.ok(r.body.length > 0, `request ${round}: empty body`);
          assert.doesNotMatch(r.headers.connection ?? '', /close/i,
            `request ${round}: the server closes keep-alive connections`);
        }
      }
    } finally {
      for (const c of conns) c.sock.destroy();
    }
    const r = await httpRequest(srv.port, 'GET', '/');
    assert.equal(r.status, 200, `GET / after ${N} connections: ${r.status}`);
  });
}
