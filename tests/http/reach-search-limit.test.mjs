// The per-address limit on readers' searches (config search_rate_limit; page_search.c): each
// search costs the database real work, so a client address may run that many a minute, then
// gets 429 with Retry-After; the form without a query and a refused filter are not counted;
// other addresses (here: clients behind a trusted proxy, told apart by X-Forwarded-For) keep
// their own allowance. On SQLite, or on PostgreSQL when BROADSHEET_TEST_PG_DIR is set.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

const search = (srv, q, headers = {}) =>
  fetch(`${srv.url}/search?q=${encodeURIComponent(q)}`, { headers });

test('a client address gets search_rate_limit searches, then 429 with Retry-After', { timeout: 60_000 }, async () => {
  const srv = await startServer({
    args: ['--search-rate-limit', '3', '--trusted-proxies', '127.0.0.1/32'],
  });
  servers.push(srv);
  const from = (ip) => ({ 'x-forwarded-for': ip });
  // not counted: the empty form, a query with nothing to search for, a refused filter
  for (const path of ['/search', '/search?q=', '/search?q=-iran', '/search?q=iran&from=notadate']) {
    const r = await fetch(srv.url + path, { headers: from('192.0.2.1') });
    await r.text();
    assert.ok([200, 400].includes(r.status), `${path}: ${r.status}`);
  }
  for (let i = 0; i < 3; i++) {
    const r = await search(srv, 'iran', from('192.0.2.1'));
    assert.equal(r.status, 200, `search ${i + 1}`);
    assert.match(await r.text(), /result/i);
  }
  const over = await search(srv, 'nuclear', from('192.0.2.1'));
  assert.equal(over.status, 429);
  await over.text();
  const retry = Number(over.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${over.headers.get('retry-after')}`);
  // another address has its own allowance
  const other = await search(srv, 'iran', from('198.51.100.7'));
  assert.equal(other.status, 200);
  await other.text();
  // the site itself is not limited
  const home = await fetch(`${srv.url}/`, { headers: from('192.0.2.1') });
  assert.equal(home.status, 200);
  await home.text();
});

test('0 turns the limit off', { timeout: 60_000 }, async () => {
  const srv = await startServer({ args: ['--search-rate-limit', '0'] });
  servers.push(srv);
  for (let i = 0; i < 10; i++) {
    const r = await search(srv, 'iran');
    assert.equal(r.status, 200, `search ${i + 1}`);
    await r.text();
  }
});
