// Malformed and hostile requests over raw sockets. Each must be refused with the right 4xx, and
// the server must go on serving afterwards.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawRequest, httpRequest } from '../lib/server.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => {
  try {
    if (srv) await stillServing('at the end');
  } finally {
    await srv?.stop();
  }
});

async function stillServing(when) {
  const r = await httpRequest(srv.port, 'GET', '/');
  assert.equal(r.status, 200, `GET / ${when}: got ${r.status} (timed out: ${r.timedOut}, ` +
    `error: ${r.error?.code}); the server stopped serving`);
}

function show(r) {
  return `status ${r.status}, timed out ${r.timedOut}, error ${r.error?.code ?? 'none'}, ` +
    `response ${JSON.stringify(r.text.slice(0, 300))}`;
}

// Sends `bytes`, expects one of `statuses`, then checks that GET / still works.
async function refused(bytes, statuses, what) {
  const r = await rawRequest(srv.port, bytes, { timeout: 5000 });
  assert.ok(statuses.includes(r.status), `${what}: expected ${statuses.join(' or ')}; ${show(r)}`);
  await stillServing(`after ${what}`);
  return r;
}

const host = () => `Host: 127.0.0.1:${srv.port}\r\n`;

// libmicrohttpd (Debian 12's 0.9.75) would close a connection whose request line has no space
// without any answer; the request screen (src/screen.c) refuses it with a 400 first.
test('a garbage request line is 400', async () => {
  await refused('GARBAGE\r\n\r\n', [400], 'GARBAGE');
});

test('a lone method is 400', async () => {
  await refused('GET\r\n\r\n', [400], 'GET alone');
});

test('a request line without a version is 400', async () => {
  await refused('GET /\r\n\r\n', [400], 'GET / without a version');
});

test('a request line with a bad version token is 400', async () => {
  await refused(`GET / FOO\r\n${host()}\r\n`, [400], 'GET / FOO');
});

test('a header value with a control character is 400', async () => {
  await refused(`GET / HTTP/1.1\r\n${host()}X-Bad: a\x01b\r\n\r\n`, [400], 'control character');
});

test('a 20000-byte path is refused (414, 431 or 400)', async () => {
  await refused(`GET /${'a'.repeat(20000)} HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`,
    [414, 431, 400], '20000-byte path');
});

test('100 KB of headers is refused (431, 413 or 400)', async () => {
  let headers = '';
  for (let i = 0; headers.length < 100 * 1024; i++) headers += `X-Padding-${i}: ${'p'.repeat(200)}\r\n`;
  await refused(`GET / HTTP/1.1\r\n${host()}Connection: close\r\n${headers}\r\n`,
    [431, 413, 400], '100 KB of headers');
});

for (const target of ['/articles/%zz', '/articles/%00', '/articles/%ff%fe', '/articles/%c3%28',
  '/articles/%e2%82']) {
  test(`a bad percent-encoding (${target}) is 400`, async () => {
    await refused(`GET ${target} HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`, [400], target);
  });
}

test('a raw 0xFF byte in the path is 400', async () => {
  const bytes = Buffer.concat([Buffer.from('GET /articles/a', 'latin1'), Buffer.from([0xff]),
    Buffer.from(`b HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`, 'latin1')]);
  await refused(bytes, [400], 'raw 0xFF in the path');
});

test('HTTP/1.1 without Host is 400', async () => {
  await refused('GET / HTTP/1.1\r\n\r\n', [400], 'no Host');
});

test('two different Content-Length headers are 400', async () => {
  await refused(`POST / HTTP/1.1\r\n${host()}Connection: close\r\nContent-Type: text/plain\r\n` +
    'Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', [400], 'conflicting Content-Length');
});

test('Content-Length together with Transfer-Encoding: chunked is 400', async () => {
  await refused(`POST / HTTP/1.1\r\n${host()}Connection: close\r\nContent-Type: text/plain\r\n` +
    'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', [400], 'Content-Length + chunked');
});
