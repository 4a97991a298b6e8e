// Webhooks with two app nodes on one PostgreSQL database (issue 13, "Push"): both nodes' workers
// claim due partners, and the lease keeps a partner's deliveries to one node at a time. Four
// partners, each with a receiver that takes a while to answer and counts the requests it holds
// at once; six changes imported in one transaction: every partner receives each change exactly
// once (no duplicate in the normal course, where at least once could allow one), in the log's
// order, never two requests at once, and its delivery log has one 200 per change.
//
// Runs under `make pg-test` (BROADSHEET_TEST_PG_DIR names the throwaway cluster).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import { startServer, runCli, tmpDir, freshDatabase, demoDir } from '../lib/server.mjs';
import { sql } from '../lib/accounts.mjs';
import { addPartner } from '../lib/partner.mjs';

assert.ok(process.env.BROADSHEET_TEST_PG_DIR,
  'BROADSHEET_TEST_PG_DIR must name a running test cluster (run these with `make pg-test`)');

const dir = tmpDir('broadsheet-pgsql-webhooks-');
after(() => rmSync(dir, { recursive: true, force: true }));

const GSN = readdirSync(path.join(demoDir, 'articles')).filter((f) => f.endsWith('.md'))
  .map((f) => readFileSync(path.join(demoDir, 'articles', f), 'utf8'))
  .find((t) => t.includes('\npublication: gsn\n'));

// A receiver that answers 200 after ms, checking each signature, counting requests held at once.
async function receiver(ms) {
  const r = { hits: [], open: 0, maxOpen: 0, secret: null, bad: 0 };
  const server = http.createServer((req, res) => {
    const chunks = [];
    r.open += 1;
    r.maxOpen = Math.max(r.maxOpen, r.open);
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(req.headers['broadsheet-signature'] ?? '');
      if (!m || createHmac('sha256', r.secret).update(`${m[1]}.${body}`).digest('hex') !== m[2]) r.bad += 1;
      r.hits.push(Number(req.headers['broadsheet-delivery']));
      setTimeout(() => { r.open -= 1; res.end('ok'); }, ms);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${server.address().port}/hook`;
  r.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
  return r;
}

test('two nodes deliver each change to each partner once, in order, one request at a time', { timeout: 120_000 }, async () => {
  const db = freshDatabase(dir);
  const args = ['--webhook-allow-private', '1', '--webhook-retry-base', '1', '--webhook-timeout', '5'];
  const a = await startServer({ db, args });
  let b;
  const receivers = [];
  try {
    b = await startServer({ db, demo: false, args });
    for (let i = 0; i < 4; i++) {
      const slug = `hook-${i}`;
      addPartner(db, slug, ['--publications', 'gsn', '--content', 'full']);
      const r = await receiver(150);
      const out = runCli(['partner', 'webhook', 'set', slug, r.url, '--webhook-allow-private', '1', '--db', db]);
      assert.equal(out.status, 0, out.stderr);
      r.secret = /^Signing secret: (\S+)$/m.exec(out.stdout)[1];
      r.slug = slug;
      receivers.push(r);
    }
    const files = [];
    for (let i = 0; i < 6; i++) {
      const file = path.join(dir, `nodes-${i}.md`);
      writeFileSync(file, GSN.replace(/^slug:.*$/m, `slug: webhook-nodes-${i}`)
        .replace(/^headline:.*$/m, `headline: Two Nodes ${i}`));
      files.push(file);
    }
    const imp = runCli(['article', 'import', '--db', db, ...files]);
    assert.equal(imp.status, 0, imp.stderr);
    const seqs = sql(db, "SELECT l.seq FROM item_log l JOIN articles x ON x.id = l.article_id " +
      "WHERE x.slug LIKE 'webhook-nodes-%' ORDER BY l.seq").split('\n').map(Number);
    assert.equal(seqs.length, 6);
    const end = Date.now() + 60_000;
    while (receivers.some((r) => r.hits.length < 6)) {
      assert.ok(Date.now() < end, `deliveries: ${receivers.map((r) => r.hits.length)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000)); // room for a duplicate to show
    for (const r of receivers) {
      assert.deepEqual(r.hits, seqs, `${r.slug}: each change once, in order`);
      assert.equal(r.maxOpen, 1, `${r.slug}: two requests at once`);
      assert.equal(r.bad, 0, `${r.slug}: a bad signature`);
      const id = sql(db, `SELECT id FROM partners WHERE slug = '${r.slug}'`);
      assert.equal(sql(db, `SELECT count(*), min(status), max(status) FROM webhook_deliveries WHERE partner_id = ${id}`),
        '6|200|200');
      assert.equal(Number(sql(db, `SELECT cursor_seq FROM partner_webhooks WHERE partner_id = ${id}`)), seqs[5]);
    }
  } finally {
    for (const r of receivers) await r.close();
    if (b) await b.stop();
    await a.stop();
  }
});
