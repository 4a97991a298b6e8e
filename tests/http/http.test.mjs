// HTTP semantics: HEAD, ETags and conditional requests, gzip, security headers, fingerprinted
// static assets, and methods. Requests go over raw sockets (httpRequest) so that the bytes on
// the wire are what is checked: fetch would ask for gzip and decompress behind our back.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { startServer, httpRequest, rawRequest } from '../lib/server.mjs';
import { REFERENCE_PATH, attr } from '../lib/util.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

const req = (method, path, headers, opts) => httpRequest(srv.port, method, path, headers, opts);

function ok(r, what) {
  assert.ok(r.status !== null, `${what}: no response (timed out: ${r.timedOut}, error: ${r.error?.code}); ` +
    `got ${JSON.stringify(r.text.slice(0, 200))}`);
}

test('HEAD / has the same status and headers as GET /, and no body', async () => {
  const g = await req('GET', '/');
  ok(g, 'GET /');
  assert.equal(g.status, 200);
  const h = await req('HEAD', '/');
  ok(h, 'HEAD /');
  assert.equal(h.status, g.status);
  for (const name of ['content-type', 'etag']) {
    assert.equal(h.headers[name], g.headers[name], `HEAD and GET differ in ${name}`);
  }
  assert.equal(Number(g.headers['content-length']), g.body.length, 'GET content-length vs body');
  assert.equal(h.headers['content-length'], String(g.body.length),
    'HEAD content-length differs from the length of the GET body');
  // Nothing may follow the header block of a HEAD response.
  const headEnd = h.raw.indexOf('\r\n\r\n');
  assert.equal(h.raw.length, headEnd + 4, `HEAD response has ${h.raw.length - headEnd - 4} body bytes`);
});

test('ETag is strong; If-None-Match revalidates to 304 with no body', async () => {
  const g = await req('GET', '/');
  const etag = g.headers.etag;
  assert.ok(etag, 'no ETag on GET /');
  assert.match(etag, /^"[^"]+"$/, `ETag ${etag} is not a strong (quoted) tag`);

  const c = await req('GET', '/', { 'If-None-Match': etag });
  ok(c, 'conditional GET');
  assert.equal(c.status, 304, 'If-None-Match with the current ETag');
  const headEnd = c.raw.indexOf('\r\n\r\n');
  assert.equal(c.raw.length, headEnd + 4, '304 response carries a body');

  const d = await req('GET', '/', { 'If-None-Match': '"not-the-current-etag"' });
  assert.equal(d.status, 200, 'If-None-Match with another ETag');
  assert.equal(d.body.length, g.body.length);
});

// The shared, cached page (the front page): its gzip body is made once, with its own ETag.
// (A metered article is personal for an anonymous reader: see paywall-cache.test.mjs.)
test('gzip: Content-Encoding, Vary, same bytes decompressed, its own ETag', async () => {
  const REFERENCE_PATH = '/';
  const plain = await req('GET', REFERENCE_PATH);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'] ?? 'identity', 'identity',
    'a response to a request without Accept-Encoding is compressed');
  const gz = await req('GET', REFERENCE_PATH, { 'Accept-Encoding': 'gzip' });
  ok(gz, 'gzip GET');
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.match(gz.headers.vary ?? '', /accept-encoding/i, `Vary: ${gz.headers.vary}`);
  assert.ok(gz.body.length < plain.body.length, 'the gzip body is not smaller');
  const unzipped = gunzipSync(gz.body);
  assert.ok(unzipped.equals(plain.body), 'gunzip(gzip body) differs from the identity body');
  assert.ok(gz.headers.etag, 'no ETag on the gzip variant');
  assert.notEqual(gz.headers.etag, plain.headers.etag, 'the gzip and identity variants share an ETag');

  const c = await req('GET', REFERENCE_PATH, { 'Accept-Encoding': 'gzip', 'If-None-Match': gz.headers.etag });
  assert.equal(c.status, 304, 'If-None-Match with the gzip ETag');
});

test('security headers on pages', async () => {
  for (const path of ['/', REFERENCE_PATH, '/no-such-page']) {
    const r = await req('GET', path);
    ok(r, `GET ${path}`);
    const csp = r.headers['content-security-policy'];
    assert.ok(csp, `${path}: no Content-Security-Policy`);
    assert.ok(!csp.includes("'unsafe-inline'"), `${path}: CSP allows 'unsafe-inline': ${csp}`);
    assert.match(csp, /frame-ancestors/, `${path}: CSP lacks frame-ancestors: ${csp}`);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', `${path}: x-content-type-options`);
    assert.ok(r.headers['referrer-policy'], `${path}: no Referrer-Policy`);
  }
});

test('static assets are fingerprinted, typed and cached for a year', async () => {
  const page = await req('GET', REFERENCE_PATH);
  const html = page.body.toString('utf8');
  const link = [...html.matchAll(/<link\b[^>]*>/gi)].map((m) => m[0])
    .find((t) => /\bstylesheet\b/i.test(attr(t, 'rel') ?? ''));
  assert.ok(link, 'no <link rel="stylesheet">');
  const css = attr(link, 'href');
  const script = [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => attr(m[0], 'src')).find(Boolean);
  assert.ok(script, 'no <script src>');

  for (const [path, type] of [[css, /^text\/css;\s*charset=utf-8$/i],
    [script, /^(?:text|application)\/javascript(?:;\s*charset=utf-8)?$/i]]) {
    const u = new URL(path, srv.url);
    assert.equal(u.origin, srv.url, `${path} is not served by us`);
    assert.match(u.pathname, /^\/static\//, `${path} is not under /static/`);
    const r = await req('GET', u.pathname + u.search);
    ok(r, `GET ${path}`);
    assert.equal(r.status, 200, `GET ${path}`);
    assert.match(r.headers['content-type'] ?? '', type, `${path}: content-type ${r.headers['content-type']}`);
    const cc = r.headers['cache-control'] ?? '';
    assert.match(cc, /max-age=31536000/, `${path}: cache-control ${cc}`);
    assert.match(cc, /immutable/, `${path}: cache-control ${cc}`);
    assert.ok(r.body.length > 0, `${path} is empty`);
  }

  const wrong = await req('GET', '/static/site.0000000000.css');
  assert.equal(wrong.status, 404, '/static/site.0000000000.css');
  // The real stylesheet's name with another fingerprint of the same shape.
  const m = /^(.*\.)([0-9a-f]{6,})(\.css)$/i.exec(new URL(css, srv.url).pathname);
  if (m) {
    const other = m[2].replace(/./g, (c) => (c === '0' ? '1' : '0'));
    const r = await req('GET', m[1] + other + m[3]);
    assert.equal(r.status, 404, `${m[1] + other + m[3]} (a wrong fingerprint)`);
  }
});

test('POST / is 405 with Allow', async () => {
  const r = await req('POST', '/', { 'Content-Type': 'application/x-www-form-urlencoded' }, { body: 'a=b' });
  ok(r, 'POST /');
  assert.equal(r.status, 405);
  assert.ok(r.headers.allow, '405 without an Allow header');
  assert.match(r.headers.allow, /\bGET\b/);
});

test('an unknown method (BREW) is 501', async () => {
  const r = await rawRequest(srv.port, `BREW / HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nConnection: close\r\n\r\n`);
  ok(r, 'BREW /');
  assert.equal(r.status, 501);
});

test('OPTIONS / is not a server error', async () => {
  const r = await req('OPTIONS', '/');
  ok(r, 'OPTIONS /');
  assert.ok(r.status < 500, `OPTIONS / answered ${r.status}`);
  if (r.status >= 200 && r.status < 300) assert.ok(r.headers.allow, `OPTIONS / ${r.status} without Allow`);
  else assert.equal(r.status, 405, `OPTIONS / answered ${r.status}`);
});
