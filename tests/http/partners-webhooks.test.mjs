// Push to partners (issue 13, "Push"; src/webhook.h): a partner's webhook receives every change
// of its product as the item's ninjs, POSTed by the server's delivery worker from the item log,
// signed with Stripe's scheme. Receivers here are node http servers on loopback that check
// every signature with the partner's secret (and the check is shown to fail for a wrong secret
// or a changed body). Changes are made with `broadsheet article import` into the running
// server's database. Covered: a delivery's headers and body (a valid ninjs 2.2 item, the log's
// id, version and seq), several changes in log order, a partner outside GSN's product receiving
// nothing of it (and its own publication's change), retries after 500s with the same version
// and then the cursor, a receiver that hangs past webhook_timeout, a dead and a hanging partner
// not delaying another, a 302 not followed, the delivery log, and the SSRF rule: without
// webhook_allow_private a loopback URL is refused at registration and, registered anyway, at
// connect time, with the reason in the log. Both backends (BROADSHEET_TEST_PG_DIR).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runCli, startServer, tmpDir, demoDir } from '../lib/server.mjs';
import { scrape, value } from '../lib/metrics.mjs';
import { sql } from '../lib/accounts.mjs';
import { addPartner } from '../lib/partner.mjs';
import { assertNinjs } from '../lib/ninjs.mjs';

const TIMEOUT = 2; // webhook_timeout, seconds
const SECRET_LINE = /^Signing secret: (bsw_[A-Za-z0-9_-]{43})$/m;
const ANY_SECRET = /bsw_[A-Za-z0-9_-]{43}/g;

let dir;
let srv;
let imported = 0;
const secrets = [];

before(async () => {
  dir = tmpDir('broadsheet-webhooks-');
  srv = await startServer({
    args: ['--webhook-allow-private', '1', '--webhook-retry-base', '1',
      '--webhook-timeout', String(TIMEOUT)],
    metrics: true,
  });
});
after(async () => {
  if (srv) {
    await srv.stop();
    // The secrets are printed once, by the CLI, and never by the server.
    for (const s of secrets) assert.ok(!srv.stderr().includes(s), 'a signing secret in the log');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The demo's articles of a publication, as files.
const ARTICLES = readdirSync(path.join(demoDir, 'articles')).filter((f) => f.endsWith('.md'))
  .map((f) => readFileSync(path.join(demoDir, 'articles', f), 'utf8'));
const ofPublication = (slug) => ARTICLES.find((t) => t.includes(`\npublication: ${slug}\n`));

// Imports a new article of publication pub (a demo article's text with a new slug and
// headline) into db; returns its slug and headline.
function importArticle(db, pub) {
  imported += 1;
  const slug = `webhook-test-${process.pid}-${imported}`;
  const headline = `Webhook Test Story ${imported} & Co`;
  const text = ofPublication(pub).replace(/^slug:.*$/m, `slug: ${slug}`)
    .replace(/^headline:.*$/m, `headline: ${headline}`);
  const file = path.join(dir, `${slug}.md`);
  writeFileSync(file, text);
  const r = runCli(['article', 'import', '--db', db, file]);
  assert.equal(r.status, 0, `import: ${r.stderr}`);
  return { slug, headline };
}

const articleRow = (db, slug) => {
  const [id, version] = sql(db, `SELECT id, version FROM articles WHERE slug = '${slug}'`)
    .split('|').map(Number);
  return { id, version };
};
const seqOf = (db, id, version) =>
  Number(sql(db, `SELECT seq FROM item_log WHERE article_id = ${id} AND version = ${version}`));
const partnerId = (db, slug) => Number(sql(db, `SELECT id FROM partners WHERE slug = '${slug}'`));
const cursorOf = (db, slug) => Number(sql(db,
  `SELECT cursor_seq FROM partner_webhooks WHERE partner_id = ${partnerId(db, slug)}`));

// Stripe's check, as docs/partners.md shows it: the HMAC-SHA256 of "t.body" with the secret,
// compared in constant time, and a timestamp within five minutes.
function signatureValid(secret, header, body) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2], 'hex')) &&
    Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

// A receiver on loopback: answer(hit, n) answers the n-th request (1, 2, …) through hit.res;
// every request is kept in hits with its headers, raw body, arrival time and whether its
// signature checked out with the secret (set once the webhook is registered).
async function receiver(answer = (hit) => hit.res.end('ok')) {
  const hits = [];
  const sockets = new Set();
  const r = { hits, secret: null };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const hit = { method: req.method, url: req.url, headers: req.headers, body, res,
        at: Date.now(), closedAt: null };
      hit.signed = r.secret !== null && signatureValid(r.secret, req.headers['broadsheet-signature'], body);
      res.on('close', () => { hit.closedAt = Date.now(); });
      hits.push(hit);
      if (!hit.signed) { res.statusCode = 401; res.end('bad signature'); return; }
      answer(hit, hits.length);
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.port = server.address().port;
  r.url = `http://127.0.0.1:${r.port}/hooks/broadsheet?x=1`;
  r.close = () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(resolve);
  });
  // Resolves once n requests have come (fails after ms).
  r.waitFor = async (n, ms = 15_000) => {
    const end = Date.now() + ms;
    while (hits.length < n) {
      if (Date.now() > end) assert.fail(`${hits.length} of ${n} requests came in ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return hits;
  };
  return r;
}

// A port nothing listens on.
async function closedPort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

// `partner webhook set SLUG URL` (allowed to reach loopback); the secret it printed, which the
// receiver r (when given) then checks with.
function setWebhook(db, slug, url, r = null, extra = ['--webhook-allow-private', '1']) {
  const out = runCli(['partner', 'webhook', 'set', slug, url, ...extra, '--db', db]);
  assert.equal(out.status, 0, `webhook set: ${out.stderr}`);
  const secret = SECRET_LINE.exec(out.stdout)?.[1];
  assert.ok(secret, `no secret printed:\n${out.stdout}`);
  secrets.push(secret);
  if (r) r.secret = secret;
  return secret;
}
function removeWebhook(db, slug) {
  const out = runCli(['partner', 'webhook', 'remove', slug, '--db', db]);
  assert.equal(out.status, 0, out.stderr);
}

// The delivery log of slug, newest first, as `partner deliveries` prints it: rows of
// { item, version, delivery, attempt, status, error }.
function deliveries(db, slug) {
  const out = runCli(['partner', 'deliveries', slug, '--limit', '50', '--db', db]);
  assert.equal(out.status, 0, out.stderr);
  assert.doesNotMatch(out.stdout, ANY_SECRET, 'the deliveries show a secret');
  return out.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\d /.test(l)).map((l) => {
    const f = l.slice(20).split(/\s+/);
    return { item: Number(f[0]), version: Number(f[1]), delivery: Number(f[2]),
      attempt: Number(f[3]), status: f[4] === '-' ? 0 : Number(f[4]), error: f.slice(6).join(' ') };
  });
}

async function until(what, check, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a change is POSTed, signed, as a valid ninjs item with its id, version and seq; in log order; a partner outside the product receives nothing of it', { timeout: 60_000 }, async () => {
  const nti = await receiver();
  const other = await receiver();
  addPartner(srv.db, 'nj-only', ['--publications', 'national-journal', '--content', 'preview']);
  setWebhook(srv.db, 'nti', nti.url, nti);
  setWebhook(srv.db, 'nj-only', other.url, other);
  try {
    const { slug, headline } = importArticle(srv.db, 'gsn');
    const [hit] = await nti.waitFor(1);
    const { id, version } = articleRow(srv.db, slug);
    const seq = seqOf(srv.db, id, version);
    assert.equal(hit.method, 'POST');
    assert.equal(hit.url, '/hooks/broadsheet?x=1');
    assert.equal(hit.headers['content-type'], 'application/json');
    assert.ok(hit.signed, 'the signature checks out with the secret');
    // The check can fail: another secret, a changed body, a changed timestamp.
    const sig = hit.headers['broadsheet-signature'];
    assert.equal(signatureValid(`${nti.secret}x`, sig, hit.body), false);
    assert.equal(signatureValid(nti.secret, sig, hit.body.replace('Webhook', 'Webhoof')), false);
    assert.equal(signatureValid(nti.secret, sig.replace(/t=(\d+)/, (_, t) => `t=${Number(t) + 1}`), hit.body), false);
    assert.equal(Number(hit.headers['broadsheet-item']), id);
    assert.equal(Number(hit.headers['broadsheet-version']), version);
    assert.equal(Number(hit.headers['broadsheet-delivery']), seq);
    const item = JSON.parse(hit.body);
    assertNinjs(item, 'the pushed item');
    assert.equal(item.uri, `${srv.url}/articles/${id}`);
    assert.equal(item.version, String(version));
    assert.equal(item.pubstatus, 'usable');
    assert.equal(item.headlines[0].value, headline);
    assert.equal(item.bodies[0].role, 'main', 'NTI receives GSN in full');
    await until('the cursor to move', () => cursorOf(srv.db, 'nti') === seq);
    const [row] = deliveries(srv.db, 'nti');
    assert.deepEqual(row, { item: id, version, delivery: seq, attempt: 1, status: 200, error: 'delivered' });

    // Three more changes: delivered in the log's order.
    const more = [1, 2, 3].map(() => importArticle(srv.db, 'gsn'));
    const hits = await nti.waitFor(4);
    const seqs = hits.slice(1).map((h) => Number(h.headers['broadsheet-delivery']));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.deepEqual(hits.slice(1).map((h) => JSON.parse(h.body).headlines[0].value),
      more.map((m) => m.headline));
    assert.ok(hits.every((h) => h.signed));

    // The partner without GSN got none of it, and has moved past it; its own publication's
    // change reaches it, as the preview its product is.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(other.hits.length, 0, 'a GSN story reached a partner without GSN');
    const nj = importArticle(srv.db, 'national-journal');
    const [njHit] = await other.waitFor(1);
    assert.ok(njHit.signed);
    const njItem = JSON.parse(njHit.body);
    assertNinjs(njItem, 'the national journal item');
    assert.equal(njItem.headlines[0].value, nj.headline);
    assert.equal(njItem.bodies[0].role, 'preview');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(nti.hits.length, 4, 'a national-journal story reached NTI');
  } finally {
    removeWebhook(srv.db, 'nti');
    removeWebhook(srv.db, 'nj-only');
    await nti.close();
    await other.close();
  }
});

test('500 twice then 200: three attempts of the same version in the delivery log, then the cursor moves', { timeout: 60_000 }, async () => {
  const r = await receiver((hit, n) => { hit.res.statusCode = n <= 2 ? 500 : 200; hit.res.end(); });
  const counted = async () => {
    const m = await scrape(srv.metricsUrl);
    return [value(m, 'broadsheet_webhook_deliveries_total', { outcome: 'delivered' }),
      value(m, 'broadsheet_webhook_deliveries_total', { outcome: 'failed' })];
  };
  const [delivered0, failed0] = await counted();
  addPartner(srv.db, 'flaky', ['--publications', 'gsn', '--content', 'full']);
  setWebhook(srv.db, 'flaky', r.url, r);
  try {
    const before = cursorOf(srv.db, 'flaky');
    const { slug } = importArticle(srv.db, 'gsn');
    const { id, version } = articleRow(srv.db, slug);
    const seq = seqOf(srv.db, id, version);
    const hits = await r.waitFor(3, 20_000);
    for (const h of hits) {
      assert.ok(h.signed);
      assert.equal(Number(h.headers['broadsheet-item']), id);
      assert.equal(Number(h.headers['broadsheet-version']), version);
      assert.equal(Number(h.headers['broadsheet-delivery']), seq);
      assert.equal(JSON.parse(h.body).version, String(version));
    }
    // The retries waited: about 1 s, then about 2 s (webhook_retry_base 1, doubling, less jitter).
    assert.ok(hits[1].at - hits[0].at >= 700, `first retry after ${hits[1].at - hits[0].at} ms`);
    assert.ok(hits[2].at - hits[1].at >= 1400, `second retry after ${hits[2].at - hits[1].at} ms`);
    await until('the cursor to move', () => cursorOf(srv.db, 'flaky') === seq);
    assert.ok(before < seq);
    const log = deliveries(srv.db, 'flaky').reverse();
    assert.deepEqual(log.map((d) => [d.item, d.version, d.delivery, d.attempt, d.status]),
      [[id, version, seq, 1, 500], [id, version, seq, 2, 500], [id, version, seq, 3, 200]]);
    assert.equal(log[0].error, 'HTTP status 500');
    assert.equal(log[2].error, 'delivered');
    const w = sql(srv.db, `SELECT attempts, last_status FROM partner_webhooks WHERE partner_id = ${partnerId(srv.db, 'flaky')}`);
    assert.equal(w, '0|200');
    // /metrics counted them: two failed attempts and one delivered (other partners of this file
    // are done with theirs, so the counters moved by these only)
    const [delivered1, failed1] = await counted();
    assert.equal(failed1 - failed0, 2, `failed ${failed0} → ${failed1}`);
    assert.equal(delivered1 - delivered0, 1, `delivered ${delivered0} → ${delivered1}`);
  } finally {
    removeWebhook(srv.db, 'flaky');
    await r.close();
  }
});

test('a receiver that hangs past webhook_timeout is retried; a dead and a hanging partner do not delay another', { timeout: 60_000 }, async () => {
  // "slow" never answers its first request (held open) and answers the next.
  const slow = await receiver((hit, n) => { if (n > 1) hit.res.end('ok'); });
  const fast = await receiver();
  addPartner(srv.db, 'slow', ['--publications', 'gsn', '--content', 'full']);
  addPartner(srv.db, 'dead', ['--publications', 'gsn', '--content', 'full']);
  addPartner(srv.db, 'fast', ['--publications', 'gsn', '--content', 'full']);
  setWebhook(srv.db, 'slow', slow.url, slow);
  setWebhook(srv.db, 'dead', `http://127.0.0.1:${await closedPort()}/hook`);
  setWebhook(srv.db, 'fast', fast.url, fast);
  try {
    const { slug } = importArticle(srv.db, 'gsn');
    const { id, version } = articleRow(srv.db, slug);
    const [fastHit] = await fast.waitFor(1);
    const [slowFirst] = await slow.waitFor(1);
    // The fast partner got its item before the hanging request to the slow one ended.
    await until('the hanging request to end', () => slowFirst.closedAt);
    assert.ok(fastHit.at < slowFirst.closedAt,
      `fast partner served ${fastHit.at - slowFirst.closedAt} ms after the slow one's timeout`);
    assert.ok(slowFirst.closedAt - slowFirst.at >= TIMEOUT * 1000 - 300,
      `the slow request was dropped after ${slowFirst.closedAt - slowFirst.at} ms`);
    const hits = await slow.waitFor(2, 20_000);
    assert.equal(hits[1].headers['broadsheet-version'], String(version));
    const seq = seqOf(srv.db, id, version);
    await until('the slow cursor', () => cursorOf(srv.db, 'slow') === seq);
    const log = deliveries(srv.db, 'slow').reverse();
    assert.deepEqual(log.map((d) => [d.attempt, d.status]), [[1, 0], [2, 200]]);
    assert.equal(log[0].error, `no answer within ${TIMEOUT} s (webhook_timeout)`);
    // The dead partner: connection refused, logged, retried, its cursor unmoved.
    const dead = await until('two attempts to the dead partner',
      () => { const l = deliveries(srv.db, 'dead'); return l.length >= 2 && l; });
    assert.ok(dead.every((d) => d.status === 0 && d.item === id && /connect|refused/i.test(d.error)),
      JSON.stringify(dead));
    assert.ok(cursorOf(srv.db, 'dead') < seq);
  } finally {
    for (const p of ['slow', 'dead', 'fast']) removeWebhook(srv.db, p);
    await slow.close();
    await fast.close();
  }
});

test('a 302 to another address is not followed: a failed attempt, retried', { timeout: 60_000 }, async () => {
  const elsewhere = await receiver();
  let redirect = true;
  const r = await receiver((hit) => {
    if (redirect) {
      hit.res.writeHead(302, { location: `${elsewhere.url}&from=redirect` });
      hit.res.end();
    } else {
      hit.res.end('ok');
    }
  });
  addPartner(srv.db, 'mover', ['--publications', 'gsn', '--content', 'full']);
  elsewhere.secret = setWebhook(srv.db, 'mover', r.url, r);
  try {
    const { slug } = importArticle(srv.db, 'gsn');
    const { id, version } = articleRow(srv.db, slug);
    await r.waitFor(2, 20_000);
    redirect = false;
    await r.waitFor(3, 20_000);
    await until('the cursor', () => cursorOf(srv.db, 'mover') === seqOf(srv.db, id, version));
    assert.equal(elsewhere.hits.length, 0, 'the redirect was followed');
    const log = deliveries(srv.db, 'mover').reverse();
    assert.deepEqual(log.slice(0, 2).map((d) => [d.attempt, d.status, d.error]),
      [[1, 302, 'redirect not followed (HTTP 302)'], [2, 302, 'redirect not followed (HTTP 302)']]);
    assert.equal(log[2].status, 200);
  } finally {
    removeWebhook(srv.db, 'mover');
    await r.close();
    await elsewhere.close();
  }
});

test('webhook commands: bad input is refused with nothing changed; set moves a webhook keeping its secret; rotate-secret', { timeout: 60_000 }, () => {
  addPartner(srv.db, 'cli-partner', ['--publications', 'gsn']);
  const table = () => sql(srv.db, 'SELECT partner_id, url, secret, cursor_seq FROM partner_webhooks ORDER BY partner_id');
  const beforeRows = table();
  const refused = [
    ['partner', 'webhook', 'set', 'cli-partner', 'http://127.0.0.1:9/hook'],
    ['partner', 'webhook', 'set', 'cli-partner', 'http://localhost/hook'],
    ['partner', 'webhook', 'set', 'cli-partner', 'http://[::1]:8080/'],
    ['partner', 'webhook', 'set', 'cli-partner', 'http://169.254.169.254/latest/meta-data'],
    ['partner', 'webhook', 'set', 'cli-partner', 'http://[::ffff:192.168.1.1]/'],
    ['partner', 'webhook', 'set', 'cli-partner', 'http://10.1.2.3/'],
    ['partner', 'webhook', 'set', 'cli-partner', 'ftp://hooks.example.com/'],
    ['partner', 'webhook', 'set', 'cli-partner', 'https://user:pw@hooks.example.com/'],
    ['partner', 'webhook', 'set', 'cli-partner', `https://hooks.example.com/${'a'.repeat(2000)}`],
    ['partner', 'webhook', 'set', 'cli-partner', 'hooks.example.com/x'],
    ['partner', 'webhook', 'set', 'Bad Slug', 'https://hooks.example.com/'],
    ['partner', 'webhook', 'set', 'cli-partner'],
    ['partner', 'deliveries', 'cli-partner', '--limit', '0'],
  ];
  for (const args of refused) {
    const r = runCli([...args, '--db', srv.db]);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, /^broadsheet: /, args.join(' '));
  }
  for (const args of [['partner', 'webhook', 'set', 'no-such', 'https://hooks.example.com/'],
    ['partner', 'webhook', 'remove', 'cli-partner'],
    ['partner', 'webhook', 'rotate-secret', 'cli-partner'],
    ['partner', 'deliveries', 'no-such']]) {
    const r = runCli([...args, '--db', srv.db]);
    assert.equal(r.status, 1, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.equal(table(), beforeRows, 'a refused command changed the webhooks');

  const secret = setWebhook(srv.db, 'cli-partner', 'https://hooks.example.com/a', null, []);
  const id = partnerId(srv.db, 'cli-partner');
  const row = () => sql(srv.db, `SELECT url, secret, cursor_seq FROM partner_webhooks WHERE partner_id = ${id}`).split('|');
  assert.equal(row()[1], secret);
  assert.equal(Number(row()[2]), Number(sql(srv.db, 'SELECT COALESCE(MAX(seq), 0) FROM item_log')),
    'a new webhook starts at the log\'s end');
  const moved = runCli(['partner', 'webhook', 'set', 'cli-partner', 'https://hooks.example.com/b', '--db', srv.db]);
  assert.equal(moved.status, 0, moved.stderr);
  assert.doesNotMatch(moved.stdout, ANY_SECRET);
  assert.deepEqual(row().slice(0, 2), ['https://hooks.example.com/b', secret]);
  const rotated = runCli(['partner', 'webhook', 'rotate-secret', 'cli-partner', '--db', srv.db]);
  assert.equal(rotated.status, 0, rotated.stderr);
  const fresh = SECRET_LINE.exec(rotated.stdout)[1];
  secrets.push(fresh);
  assert.notEqual(fresh, secret);
  assert.equal(row()[1], fresh);
  const shown = runCli(['partner', 'deliveries', 'cli-partner', '--db', srv.db]);
  assert.equal(shown.status, 0);
  assert.match(shown.stdout, /webhook https:\/\/hooks\.example\.com\/b; delivered up to \d+/);
  assert.doesNotMatch(shown.stdout, ANY_SECRET);
  removeWebhook(srv.db, 'cli-partner');
  assert.equal(sql(srv.db, `SELECT count(*) FROM partner_webhooks WHERE partner_id = ${id}`), '0');
});

test('a partner whose product is a sliver of a long log: 12,000 versions of others walked past, its own delivered', { timeout: 60_000 }, async () => {
  const r = await receiver();
  addPartner(srv.db, 'sliver', ['--publications', 'gsn', '--content', 'full']);
  setWebhook(srv.db, 'sliver', r.url, r);
  try {
    // 12,000 versions of a national-journal article (more than two of the API's windows of
    // 5,000 rows), none in the partner's product, then one GSN change.
    const nj = sql(srv.db, "SELECT a.id, a.publication_id, a.section_id FROM articles a JOIN publications p " +
      "ON p.id = a.publication_id WHERE p.slug = 'national-journal' ORDER BY a.id LIMIT 1").split('|');
    sql(srv.db, 'INSERT INTO item_log (article_id, version, publication_id, section_id, pubstatus, created_at) ' +
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) SELECT ${nj[0]}, ` +
      `1000000 + i, ${nj[1]}, ${nj[2]}, 'usable', 1700000000 FROM n`);
    const started = Date.now();
    const { slug } = importArticle(srv.db, 'gsn');
    const { id, version } = articleRow(srv.db, slug);
    const [hit] = await r.waitFor(1, 15_000);
    assert.ok(Date.now() - started < 10_000, `delivered after ${Date.now() - started} ms`);
    assert.equal(Number(hit.headers['broadsheet-item']), id);
    assert.equal(Number(hit.headers['broadsheet-delivery']), seqOf(srv.db, id, version));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(r.hits.length, 1);
    assert.deepEqual(deliveries(srv.db, 'sliver').map((d) => [d.item, d.status]), [[id, 200]]);
  } finally {
    removeWebhook(srv.db, 'sliver');
    await r.close();
  }
});

test('without webhook_allow_private a loopback address is refused at connect time, and the log says why', { timeout: 90_000 }, async () => {
  const guarded = await startServer({ args: ['--webhook-retry-base', '1'] });
  const r = await receiver();
  try {
    // Registered with the setting (as an operator could, or a name that resolves to loopback).
    setWebhook(guarded.db, 'nti', r.url, r);
    const { slug } = importArticle(guarded.db, 'gsn');
    const { id } = articleRow(guarded.db, slug);
    const log = await until('two refused attempts', () => {
      const l = deliveries(guarded.db, 'nti');
      return l.length >= 2 && l;
    });
    for (const d of log) {
      assert.equal(d.item, id);
      assert.equal(d.status, 0);
      assert.equal(d.error, 'address 127.0.0.1 refused: loopback (webhook_allow_private is 0)');
    }
    assert.equal(r.hits.length, 0, 'a refused address was connected to');
    assert.match(guarded.stderr(), /webhook nti: .*address 127\.0\.0\.1 refused: loopback/);
  } finally {
    await r.close();
    await guarded.stop();
  }
});
