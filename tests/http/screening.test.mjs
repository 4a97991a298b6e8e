// The request screen (src/screen.c, src/screen_io.c): every request on a connection, not just the
// first, is checked before libmicrohttpd parses it. Each malformed request gets exactly one
// well-formed answer, with our security headers and Connection: close, and nothing after it:
// no second response smuggled out of the same bytes. Slow clients are cut off by the head
// deadline and the minimum body rate.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawExchange, httpRequest } from '../lib/server.mjs';

let srv;
before(async () => {
  srv = await startServer({ args: ['--header-timeout', '2', '--body-min-rate', '1000'] });
});
after(async () => { await srv?.stop(); });

const host = () => `Host: 127.0.0.1:${srv.port}\r\n`;
const good = () => `GET /healthz HTTP/1.1\r\n${host()}\r\n`;

// The one answer to a refused request: status, well formed (parseResponse throws otherwise),
// our headers, the connection closed, nothing else sent.
function assertRefused(x, status, what, { after = 0 } = {}) {
  assert.ok(!x.timedOut, `${what}: no answer within the timeout`);
  assert.equal(x.responses.length, after + 1,
    `${what}: expected ${after + 1} response(s), got ${x.responses.length}: ` +
    JSON.stringify(x.raw.toString('latin1').slice(0, 400)));
  assert.equal(x.rest.length, 0, `${what}: bytes after the last response: ` +
    JSON.stringify(x.rest.toString('latin1').slice(0, 200)));
  for (const r of x.responses.slice(0, after)) assert.equal(r.status, 200, `${what}: earlier request`);
  const r = x.responses[after];
  assert.equal(r.status, status, `${what}: status`);
  assert.equal(r.headers.connection, 'close', `${what}: Connection`);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', `${what}: security headers`);
  assert.match(r.headers['content-security-policy'] ?? '', /default-src 'self'/, `${what}: CSP`);
  assert.equal(r.headers['x-frame-options'], 'DENY', `${what}: X-Frame-Options`);
  assert.equal(r.rawHeaders.filter(([n]) => n === 'content-length').length, 1,
    `${what}: one Content-Length (no status line and headers twice)`);
  assert.equal(r.body.length, Number(r.headers['content-length']), `${what}: body length`);
  assert.ok(x.closed, `${what}: the connection stays open`);
}

// Each malformed head, as the first request of a connection and as the second (after a good
// request on the same keep-alive connection: a proxy's reused upstream connection).
const malformed = [
  ['white space before the colon', (h) => `GET / HTTP/1.1\r\n${h}Transfer-Encoding : chunked\r\n\r\n`, 400],
  ['white space inside a header name', (h) => `GET / HTTP/1.1\r\n${h}Content Length: 0\r\n\r\n`, 400],
  ['an obs-fold continuation line', (h) => `GET / HTTP/1.1\r\n${h}X-A: one\r\n two\r\n\r\n`, 400],
  ['NUL in a header value', (h) => `GET / HTTP/1.1\r\n${h}X-A: a\x00b\r\n\r\n`, 400],
  ['a bare LF ending a header', (h) => `GET / HTTP/1.1\r\n${h}X-A: a\n\r\n`, 400],
  ['a bare CR inside a value', (h) => `GET / HTTP/1.1\r\n${h}X-A: a\rb\r\n\r\n`, 400],
  ['a header line without a colon', (h) => `GET / HTTP/1.1\r\n${h}NoColon\r\n\r\n`, 400],
  ['a missing Host', () => 'GET / HTTP/1.1\r\n\r\n', 400],
  ['two Hosts', (h) => `GET / HTTP/1.1\r\n${h}${h}\r\n`, 400],
  ['a Content-Length that is not a number', (h) => `POST /login HTTP/1.1\r\n${h}Content-Length: 4x\r\n\r\n`, 400],
  ['a Content-Length list', (h) => `POST /login HTTP/1.1\r\n${h}Content-Length: 4, 4\r\n\r\n`, 400],
  ['two Content-Lengths', (h) => `POST /login HTTP/1.1\r\n${h}Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd`, 400],
  ['Transfer-Encoding: xchunked', (h) => `POST /login HTTP/1.1\r\n${h}Transfer-Encoding: xchunked\r\n\r\n`, 501],
  ['Transfer-Encoding: chunked, identity', (h) => `POST /login HTTP/1.1\r\n${h}Transfer-Encoding: chunked, identity\r\n\r\n`, 400],
  ['Transfer-Encoding: gzip, chunked', (h) => `POST /login HTTP/1.1\r\n${h}Transfer-Encoding: gzip, chunked\r\n\r\n`, 501],
  ['Content-Length with Transfer-Encoding', (h) => `POST /login HTTP/1.1\r\n${h}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['Transfer-Encoding in HTTP/1.0', (h) => `POST /login HTTP/1.0\r\n${h}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['a header line over 8 KiB', (h) => `GET / HTTP/1.1\r\n${h}X-Big: ${'a'.repeat(9000)}\r\n\r\n`, 431],
  ['a head over 16 KiB', (h) => `GET / HTTP/1.1\r\n${h}${`X-A: ${'a'.repeat(4000)}\r\n`.repeat(5)}\r\n`, 431],
  ['a request line over 8 KiB', (h) => `GET /${'a'.repeat(9000)} HTTP/1.1\r\n${h}\r\n`, 414],
  ['HTTP/2.0', (h) => `GET / HTTP/2.0\r\n${h}\r\n`, 505],
  ['a garbage line', () => 'GARBAGE\r\n\r\n', 400],
  ['two spaces in the request line', (h) => `GET  / HTTP/1.1\r\n${h}\r\n`, 400],
  ['a bad chunk size', (h) => `POST /login HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nzz\r\nab\r\n0\r\n\r\n`, 400],
  ['a chunk without its CRLF', (h) => `POST /login HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n2\r\nabXY0\r\n\r\n`, 400],
  ['Content-Length in the trailers', (h) => `POST /login HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n0\r\nContent-Length: 5\r\n\r\n`, 400],
];

for (const [what, make, status] of malformed) {
  test(`screened, first on its connection: ${what} → ${status}`, async () => {
    assertRefused(await rawExchange(srv.port, make(host())), status, what);
  });
  test(`screened, second on a keep-alive connection: ${what} → ${status}`, async () => {
    assertRefused(await rawExchange(srv.port, good() + make(host())), status, `${what} (second)`,
      { after: 1 });
  });
}

test('the smuggling attempt of the report: CL 4 and "Transfer-Encoding : chunked" give one 400 and nothing more', async () => {
  const smuggled = `GET /healthz HTTP/1.1\r\n${host()}\r\n`;
  const bytes = `POST /login HTTP/1.1\r\n${host()}Content-Length: 4\r\nTransfer-Encoding : chunked\r\n\r\n` +
    `0\r\n\r\n${smuggled}`;
  assertRefused(await rawExchange(srv.port, bytes), 400, 'smuggling');
  assertRefused(await rawExchange(srv.port, good() + bytes), 400, 'smuggling (second)', { after: 1 });
});

test('well-formed requests pass the screen: pipelined, chunked with extensions and trailers, HTTP/1.0', async () => {
  const body = 'email=a%40b.example&password=x';
  const chunked = `POST /login HTTP/1.1\r\n${host()}Transfer-Encoding: chunked\r\n` +
    'Content-Type: application/x-www-form-urlencoded\r\n\r\n' +
    `${body.length.toString(16)};ext=1\r\n${body}\r\n0\r\nX-Trailer: yes\r\n\r\n`;
  const x = await rawExchange(srv.port, `\r\n${good()}${good()}${chunked}` +
    `GET /healthz HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`);
  assert.equal(x.responses.length, 4, x.raw.toString('latin1').slice(0, 300));
  assert.deepEqual(x.responses.map((r) => r.status), [200, 200, 403, 200]); // 403: no CSRF token
  const old = await rawExchange(srv.port, 'GET /healthz HTTP/1.0\r\n\r\n');
  assert.equal(old.responses[0]?.status, 200);
});

test('a head sent a byte at a time stops at the deadline: 408, closed', { timeout: 20_000 }, async () => {
  const head = `GET / HTTP/1.1\r\n${host()}X-Slow: ${'a'.repeat(40)}\r\n\r\n`;
  const pieces = head.match(/.{1,2}/gs); // two bytes every 250 ms: ~6 s for the whole head
  const x = await rawExchange(srv.port, null, { pieces, gapMs: 250, timeout: 10_000 });
  assertRefused(x, 408, 'slow head');
  assert.ok(x.ms < 5_000, `closed after ${x.ms} ms; the deadline is 2 s`);
});

test('many slow heads at once are all cut off, and the site goes on serving', { timeout: 30_000 }, async () => {
  const head = `GET / HTTP/1.1\r\n${host()}X-Slow: ${'a'.repeat(60)}\r\n\r\n`;
  const pieces = head.match(/.{1}/gs);
  const slow = Array.from({ length: 40 }, () =>
    rawExchange(srv.port, null, { pieces, gapMs: 300, timeout: 15_000 }));
  const meanwhile = await httpRequest(srv.port, 'GET', '/healthz');
  assert.equal(meanwhile.status, 200);
  const results = await Promise.all(slow);
  for (const x of results) {
    assert.ok(x.closed && !x.timedOut, 'a slow connection was still open');
    assert.ok(x.ms < 8_000, `a slow connection lasted ${x.ms} ms`);
  }
});

test('a body that trickles below the minimum rate is cut off with 408', { timeout: 30_000 }, async () => {
  // 1000 bytes a second are required after the grace (header_timeout, 2 s here); this body
  // sends 10 bytes every 500 ms.
  const bodyLength = 60_000;
  const head = `POST /login HTTP/1.1\r\n${host()}Content-Type: application/x-www-form-urlencoded\r\n` +
    `Content-Length: ${bodyLength}\r\n\r\n`;
  const pieces = [head, ...Array.from({ length: 40 }, () => 'a'.repeat(10))];
  const x = await rawExchange(srv.port, null, { pieces, gapMs: 500, timeout: 20_000 });
  assert.ok(!x.timedOut, 'the trickling body was never cut off');
  assert.equal(x.responses[0]?.status, 408, x.raw.toString('latin1').slice(0, 200));
  assert.ok(x.ms < 10_000, `cut off after ${x.ms} ms`);
});
