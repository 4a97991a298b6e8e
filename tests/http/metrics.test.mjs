// /metrics: off by default (nothing more listens); with metrics_address, Prometheus' text format
// on a port of its own and never on the site's; requests counted under their route's pattern and
// status; and the page cache seen working through it: a repeated page is a hit, and an edit
// invalidates the edited article's pages while other articles stay cached.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer, runCli, tmpDir, demoDir } from '../lib/server.mjs';
import { get, poll, textOf } from '../lib/util.mjs';
import { parseExposition, scrape, value } from '../lib/metrics.mjs';

// The TCP ports pid listens on: its socket descriptors matched against the LISTEN (0A) rows of
// its network namespace's tables.
function listeningPorts(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch { /* closed meanwhile */ }
  }
  const ports = [];
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try { text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) {
        ports.push(parseInt(f[1].split(':').pop(), 16));
      }
    }
  }
  return ports.sort((a, b) => a - b);
}

const SYRIA = '/articles/syria-chemical-removal-enters-final-phase-watchdog-says'; // gsn, security
const EPA = '/articles/epa-unveils-proposed-carbon-limits-for-existing-power-plants'; // energy

let srv;
let dir;
before(async () => {
  dir = tmpDir('broadsheet-metrics-');
  srv = await startServer({ metrics: true });
});
after(async () => {
  await srv?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function fetchOk(url) {
  const res = await get(url);
  const body = await res.text();
  assert.equal(res.status, 200, `GET ${url}: ${res.status}`);
  return body;
}

test('off by default: no metrics line, one listening socket, /metrics on the site is 404', async () => {
  const plain = await startServer();
  try {
    assert.equal(plain.metricsUrl, null);
    assert.doesNotMatch(plain.stderr(), /metrics on/);
    assert.deepEqual(listeningPorts(plain.proc.pid), [plain.port]);
    const res = await get(`${plain.url}/metrics`);
    await res.text();
    assert.equal(res.status, 404);
  } finally {
    await plain.stop();
  }
});

test('metrics_address: a port of its own, never the site\'s', async () => {
  assert.ok(srv.metricsUrl, `no "metrics on" line:\n${srv.stderr()}`);
  const metricsPort = Number(new URL(srv.metricsUrl).port);
  assert.notEqual(metricsPort, srv.port);
  assert.deepEqual(listeningPorts(srv.proc.pid), [srv.port, metricsPort].sort((a, b) => a - b));
  const res = await get(`${srv.url}/metrics`);
  const body = await res.text();
  assert.equal(res.status, 404, 'the site\'s own port must not serve /metrics');
  assert.doesNotMatch(body, /broadsheet_/);
});

test('GET /metrics: the text format, every line valid; other paths 404, other methods 405', async () => {
  const m = await scrape(srv.metricsUrl);
  assert.equal(m.res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  for (const [name, type] of [
    ['broadsheet_cache_hits_total', 'counter'], ['broadsheet_cache_misses_total', 'counter'],
    ['broadsheet_cache_evictions_total', 'counter'], ['broadsheet_cache_invalidations_total', 'counter'],
    ['broadsheet_cache_bytes', 'gauge'], ['broadsheet_cache_budget_bytes', 'gauge'],
    ['broadsheet_change_seq', 'gauge'], ['broadsheet_jobs_queued', 'gauge'],
    ['broadsheet_mail_waiting', 'gauge'], ['broadsheet_db_errors_total', 'counter'],
    ['broadsheet_requests_total', 'counter'], ['broadsheet_request_duration_seconds', 'histogram'],
    ['broadsheet_connections', 'gauge'],
  ]) {
    assert.equal(m.types.get(name), type, `${name} is not declared a ${type}`);
  }
  assert.equal(value(m, 'broadsheet_cache_budget_bytes', { cache: 'pages' }), 256 * 1024 * 1024);
  assert.equal(value(m, 'broadsheet_db_errors_total'), 0);
  assert.ok(value(m, 'broadsheet_change_seq') > 0, 'the demo newsroom\'s writes are in the change log');

  const base = new URL(srv.metricsUrl);
  const other = await get(new URL('/', base));
  await other.text();
  assert.equal(other.status, 404);
  const post = await get(srv.metricsUrl, { method: 'POST', body: 'x' });
  await post.text();
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
});

test('the parser refuses what the format does not allow', () => {
  assert.throws(() => parseExposition('a_total 1'), /line feed/);
  assert.throws(() => parseExposition('a-b 1\n'), /bad metric name|not a sample/);
  assert.throws(() => parseExposition('a{x="\\t"} 1\n'), /bad escape/);
  assert.throws(() => parseExposition('a 1\nb 1\na 2\n'), /not together|twice/);
  assert.throws(() => parseExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\n' +
    'h_sum 1\nh_count 1\n'), /cumulative/);
  assert.throws(() => parseExposition('# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'),
    /_count/);
  assert.equal(parseExposition('a{x="q\\"\\\\\\n"} 1\n').samples[0].labels.x, 'q"\\\n');
});

test('requests are counted under their route\'s pattern and status, with latency', async () => {
  const m0 = await scrape(srv.metricsUrl);
  await fetchOk(`${srv.url}/`);
  await fetchOk(`${srv.url}${EPA}`);
  const missing = await get(`${srv.url}/no/such/page?x=1`);
  await missing.text();
  assert.equal(missing.status, 404);
  const m1 = await scrape(srv.metricsUrl);
  const delta = (labels) => value(m1, 'broadsheet_requests_total', labels) -
    value(m0, 'broadsheet_requests_total', labels);
  assert.equal(delta({ route: '/', status: '200' }), 1);
  assert.equal(delta({ route: '/articles/:slug', status: '200' }), 1);
  assert.equal(delta({ route: 'notfound', status: '404' }), 1);
  // Never the raw path: every route label is a pattern of the table or one of the three others.
  for (const s of m1.samples.filter((x) => x.name === 'broadsheet_requests_total')) {
    assert.ok(['notfound', 'notallowed', 'invalid'].includes(s.labels.route) ||
      (s.labels.route.startsWith('/') && !s.labels.route.includes('no/such') &&
        !s.labels.route.includes('epa-')), `unexpected route label ${s.labels.route}`);
  }
  const count = (m) => value(m, 'broadsheet_request_duration_seconds_count', { route: '/' });
  assert.equal(count(m1) - count(m0), 1);
  assert.ok(value(m1, 'broadsheet_request_duration_seconds_sum', { route: '/' }) > 0);
});

test('a repeated page is a cache hit', async () => {
  const m0 = await scrape(srv.metricsUrl);
  await fetchOk(`${srv.url}/sections/policy`); // first time: rendered and kept
  const m1 = await scrape(srv.metricsUrl);
  await fetchOk(`${srv.url}/sections/policy`);
  const m2 = await scrape(srv.metricsUrl);
  const pages = { cache: 'pages' };
  const d = (a, b, name) => value(b, name, pages) - value(a, name, pages);
  assert.equal(d(m0, m1, 'broadsheet_cache_misses_total'), 1);
  assert.equal(d(m0, m1, 'broadsheet_cache_inserts_total'), 1);
  assert.ok(d(m0, m1, 'broadsheet_cache_bytes') > 0, 'the new page takes bytes');
  assert.equal(d(m1, m2, 'broadsheet_cache_hits_total'), 1);
  assert.equal(d(m1, m2, 'broadsheet_cache_misses_total'), 0);
});

test('an edit invalidates the edited article\'s pages; another article and its section stay cached', { timeout: 30_000 }, async () => {
  for (const p of [SYRIA, EPA, '/sections/energy', '/sections/security', '/']) await fetchOk(`${srv.url}${p}`);
  const m0 = await scrape(srv.metricsUrl);

  // The same article, re-imported by another process with a new headline.
  const source = readFileSync(path.join(demoDir, 'articles', '2014-06-04-syria-chemical-removal-final-phase.md'), 'utf8');
  const headline = 'Syria Chemical Removal: Metrics Test Headline';
  const file = path.join(dir, 'syria.md');
  writeFileSync(file, source.replace(/^headline: .*$/m, `headline: ${headline}`));
  const r = runCli(['article', 'import', '--db', srv.db, file]);
  assert.equal(r.status, 0, r.stderr);
  const shown = await poll(async () => textOf(await fetchOk(`${srv.url}${SYRIA}`)).includes(headline),
    { ms: 5000, every: 50 });
  assert.ok(shown, 'the edit did not show within 5 s');
  const m1 = await scrape(srv.metricsUrl);
  assert.ok(value(m1, 'broadsheet_change_seq') > value(m0, 'broadsheet_change_seq'));
  const pages = { cache: 'pages' };
  const invalidated = value(m1, 'broadsheet_cache_invalidations_total', pages) -
    value(m0, 'broadsheet_cache_invalidations_total', pages);
  assert.ok(invalidated >= 3, `the article, its section and the home page: ${invalidated} dropped`);
  assert.equal(value(m1, 'broadsheet_cache_flushes_total', pages), value(m0, 'broadsheet_cache_flushes_total', pages));

  // What does not show the edited article is still served from the cache.
  await fetchOk(`${srv.url}${EPA}`);
  await fetchOk(`${srv.url}/sections/energy`);
  const m2 = await scrape(srv.metricsUrl);
  assert.equal(value(m2, 'broadsheet_cache_hits_total', pages) - value(m1, 'broadsheet_cache_hits_total', pages), 2);
  assert.equal(value(m2, 'broadsheet_cache_misses_total', pages) - value(m1, 'broadsheet_cache_misses_total', pages), 0);
});

test('open connections to the site are shown', async () => {
  // Two keep-alive connections, each having had its answer, held open while we scrape.
  const open = await Promise.all([0, 1].map(() => new Promise((resolve, reject) => {
    const sock = net.connect({ port: srv.port, host: '127.0.0.1' }, () => {
      sock.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`);
    });
    sock.once('data', () => resolve(sock));
    sock.once('error', reject);
  })));
  try {
    const m = await scrape(srv.metricsUrl);
    assert.ok(value(m, 'broadsheet_connections') >= 2, `connections: ${value(m, 'broadsheet_connections')}`);
  } finally {
    for (const sock of open) sock.destroy();
  }
});

test('an IPv6 metrics address in brackets', async (t) => {
  const hasV6 = Object.values(os.networkInterfaces()).flat().some((i) => i?.address === '::1');
  if (!hasV6) { t.skip('no IPv6 loopback here'); return; }
  const v6 = await startServer({ demo: false, metrics: '[::1]:0' });
  try {
    assert.match(v6.metricsUrl ?? '', /^http:\/\/\[::1\]:\d+\/metrics$/);
    const m = await scrape(v6.metricsUrl);
    assert.ok(m.types.has('broadsheet_cache_hits_total'));
  } finally {
    await v6.stop();
  }
});

test('a metrics address that is malformed or taken keeps the server from starting', async () => {
  const bad = runCli(['serve', '--port', '0', '--metrics-address', '9100']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /metrics_address.*HOST:PORT/);
  // The site's own port, once it is taken by the site.
  await assert.rejects(startServer({ demo: false, metrics: `127.0.0.1:${srv.port}` }),
    /cannot serve metrics|exited/);
});
