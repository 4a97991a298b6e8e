// The partners' API (issue 13, docs/partners.md) against `serve --demo`, as a partner's client
// uses it (tests/lib/partner.mjs, which validates every item served against the official ninjs
// 2.2 schema): Bearer keys (missing, malformed, unknown, rotated and revoked keys get 401),
// product scoping (a partner without GSN sees nothing of it, by list or by id, and cannot tell
// it from an id that does not exist), the preview product carrying no withheld word, items by
// id and by version, ETag and 304, the per-key rate limit (429 and Retry-After), bad cursors and
// limits refused, and a partner paging through 1,300 new changes, in small pages, while two
// processes are still writing them, without missing or repeating one. On SQLite, or on PostgreSQL when
// BROADSHEET_TEST_PG_DIR is set.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startServer, runCli, tmpDir, bin, repoRoot } from '../lib/server.mjs';
import { sql, holdWriteLock } from '../lib/accounts.mjs';
import { PAYWALLED, leaks, withheld } from '../lib/paywall.mjs';
import { API, demoKey, addPartner, apiGet, walk, itemId } from '../lib/partner.mjs';

let server;
let key; // the demo partner NTI's: GSN in full
let dir;

before(async () => {
  dir = tmpDir('broadsheet-partners-api-');
  // a limit no test here reaches but the rate limit's own, which runs a server of its own
  server = await startServer({ args: ['--partner-rate-limit', '100000'] });
  key = demoKey(server);
});
after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const gsnIds = () => sql(server.db, `SELECT a.id FROM articles a JOIN publications p ON
  p.id = a.publication_id WHERE p.slug = 'gsn' AND a.state = 'published' ORDER BY a.id`)
  .split('\n').map(Number);
const njIds = () => sql(server.db, `SELECT a.id FROM articles a JOIN publications p ON
  p.id = a.publication_id WHERE p.slug = 'national-journal' AND a.state = 'published' ORDER BY a.id`)
  .split('\n').map(Number);

test('keys: none, malformed, unknown, rotated and revoked get 401; a good one 200', { timeout: 60_000 }, async () => {
  const none = await apiGet(server.url, null, '/items');
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="broadsheet"');
  assert.equal(none.json.error, 'unauthorized');
  for (const bad of ['Basic bnRpOnNlY3JldA==', 'Bearer', 'Bearer junk', `Bearer ${key}x`,
    `Bearer ${key.slice(0, -1)}`, `Bearer ${'bsk_' + 'A'.repeat(43)}`, `Token ${key}`]) {
    const r = await fetch(server.url + API + '/items', { headers: { authorization: bad } });
    const body = await r.text();
    assert.equal(r.status, 401, `${bad}: ${body}`);
    assert.match(r.headers.get('www-authenticate'), /^Bearer realm="broadsheet"/);
    assert.doesNotMatch(body, /bsk_/, 'a 401 never echoes a key');
  }
  const good = await apiGet(server.url, key, '/items');
  assert.equal(good.status, 200);
  assert.equal(good.headers.get('content-type'), 'application/json');
  assert.match(good.headers.get('cache-control'), /private/);

  // A second partner, rotated and then removed, with NTI unaffected.
  const old = addPartner(server.db, 'rotor', ['--publications', 'gsn']);
  assert.equal((await apiGet(server.url, old, '/items')).status, 200);
  const rot = runCli(['partner', 'key', 'rotate', 'rotor', '--db', server.db]);
  assert.equal(rot.status, 0, rot.stderr);
  const fresh = /API key: (bsk_[A-Za-z0-9_-]{43})/.exec(rot.stdout)[1];
  assert.equal((await apiGet(server.url, old, '/items')).status, 401, 'the rotated key still works');
  assert.equal((await apiGet(server.url, fresh, '/items')).status, 200);
  const rm = runCli(['partner', 'remove', 'rotor', '--db', server.db]);
  assert.equal(rm.status, 0, rm.stderr);
  assert.equal((await apiGet(server.url, fresh, '/items')).status, 401, 'a removed partner\'s key still works');
  assert.equal((await apiGet(server.url, key, '/items')).status, 200);
});

test('the product: NTI gets GSN in full and nothing else; a partner without GSN sees nothing of it', { timeout: 60_000 }, async () => {
  const { items } = await walk(server.url, key);
  const gsn = gsnIds();
  const seen = new Set(items.map(itemId));
  for (const id of gsn) assert.ok(seen.has(id), `NTI misses GSN article ${id}`);
  for (const id of seen) assert.ok(gsn.includes(id), `NTI got article ${id}, which is not GSN's`);
  for (const item of items) {
    assert.equal(item.bodies[0].role, 'main');
    assert.equal(item.pubstatus, 'usable');
    assert.match(item.usageterms, /Nuclear Threat Initiative/);
  }

  const nj = addPartner(server.db, 'njonly', ['--publications', 'national-journal', '--content', 'preview']);
  const njItems = (await walk(server.url, nj)).items;
  assert.ok(njItems.length > 0);
  for (const item of njItems) assert.ok(njIds().includes(itemId(item)), `njonly got ${item.uri}`);
  // By id: a GSN article answers exactly as an id that does not exist.
  const missing = await apiGet(server.url, nj, '/items/999999999');
  assert.equal(missing.status, 404);
  for (const id of gsn) {
    for (const p of [`/items/${id}`, `/items/${id}/versions/1`]) {
      const r = await apiGet(server.url, nj, p);
      assert.equal(r.status, 404, `${p} for a partner without GSN`);
      assert.equal(r.text, missing.text);
    }
    assert.equal((await apiGet(server.url, key, `/items/${id}`)).status, 200);
  }
});

test('a preview partner gets the preview and not one withheld word', { timeout: 60_000 }, async () => {
  const lic = addPartner(server.db, 'teaser', ['--publications', 'gsn,national-journal', '--content', 'preview']);
  const { items } = await walk(server.url, lic);
  let checked = 0;
  for (const a of PAYWALLED) {
    const item = items.find((i) => i.altids[0].value === a.slug);
    if (!item) continue;
    checked++;
    assert.equal(item.bodies[0].role, 'preview', a.slug);
    const text = JSON.stringify(item);
    assert.deepEqual(leaks(text, a), [], `${a.slug}: the preview item leaks`);
    const one = await apiGet(server.url, lic, `/items/${itemId(item)}`);
    assert.deepEqual(leaks(one.text, a), [], `${a.slug}: items/ID leaks`);
    // NTI's full item has every paragraph (the detector can see them)
    const full = await apiGet(server.url, key, `/items/${itemId(item)}`);
    if (full.status === 200) assert.equal(leaks(full.text, a).length, withheld(a).length);
  }
  assert.ok(checked >= 3, `only ${checked} paywalled demo articles in the teaser's product`);
});

test('items by id and by version; ETag and 304; bad cursors and limits refused', { timeout: 60_000 }, async () => {
  const id = gsnIds()[0];
  const cur = await apiGet(server.url, key, `/items/${id}`);
  assert.equal(cur.status, 200);
  assert.equal(itemId(cur.json), id);
  const v = cur.json.version;
  const byVersion = await apiGet(server.url, key, `/items/${id}/versions/${v}`);
  assert.equal(byVersion.status, 200);
  assert.deepEqual(byVersion.json, cur.json);
  for (const p of [`/items/${id}/versions/0`, `/items/${id}/versions/999`, `/items/${id}/versions/x`,
    '/items/0', '/items/abc', '/items/-1', '/items/01']) {
    assert.equal((await apiGet(server.url, key, p)).status, 404, p);
  }

  const etag = cur.headers.get('etag');
  assert.match(etag, /^"[^"]+"$/);
  const again = await apiGet(server.url, key, `/items/${id}`, { 'if-none-match': etag });
  assert.equal(again.status, 304);
  assert.equal(again.text, '');
  const list = await apiGet(server.url, key, '/items?limit=3');
  const listAgain = await apiGet(server.url, key, '/items?limit=3',
    { 'if-none-match': list.headers.get('etag') });
  assert.equal(listAgain.status, 304);

  for (const q of ['after=abc', 'after=-1', 'after=01', 'after=1.5', 'after=99999999999999999999',
    'limit=0', 'limit=101', 'limit=x', 'limit=-3', 'limit=']) {
    const r = await apiGet(server.url, key, `/items?${q}`);
    assert.equal(r.status, 400, `${q}: ${r.status} ${r.text}`);
    assert.match(r.json.error, /^bad_/);
    assert.ok(r.json.message.length > 10);
  }
  // Past the end: an empty page whose next is the cursor sent.
  const end = await walk(server.url, key);
  const past = await apiGet(server.url, key, `/items?after=${end.next}`);
  assert.deepEqual(past.json, { items: [], next: end.next, more: false });
});

test('the rate limit: 429 with Retry-After past the key\'s allowance, other keys unaffected', { timeout: 60_000 }, async () => {
  const s = await startServer({ args: ['--partner-rate-limit', '3'] });
  try {
    const k = demoKey(s);
    for (let i = 0; i < 3; i++) assert.equal((await apiGet(s.url, k, '/items?limit=1')).status, 200);
    const r = await apiGet(s.url, k, '/items?limit=1');
    assert.equal(r.status, 429);
    assert.equal(r.json.error, 'rate_limited');
    const retry = Number(r.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${r.headers.get('retry-after')}`);
    const other = addPartner(s.db, 'other', ['--publications', 'gsn']);
    assert.equal((await apiGet(s.url, other, '/items?limit=1')).status, 200);
    // a request of an unknown key is not counted against anyone, and still 401
    assert.equal((await apiGet(s.url, 'bsk_' + 'A'.repeat(43), '/items')).status, 401);
  } finally {
    await s.stop();
  }
});

// The limit's count is a write; the answer is a read. While another process holds the
// database's write lock past the store's wait (a long import does on SQLite), the request is
// served uncounted: a partner's poll, and a reader's search, do not fail for as long as an
// import runs. (Found by CI: under ASan two imports starved the limiter's write and the API
// answered 503.)
test('a request the database cannot count (its write lock held) is served, not refused', { timeout: 60_000 }, async () => {
  const HOLD = 14_000; // past two waits of the store's (5 s each) for the write lock
  const { released } = await holdWriteLock(server.db, HOLD);
  const t0 = Date.now();
  const items = await apiGet(server.url, key, '/items?limit=1');
  assert.equal(items.status, 200, `items while the database is locked: ${items.status} ${items.text}`);
  const search = await fetch(`${server.url}/search?q=iran`);
  await search.text();
  assert.equal(search.status, 200, `a search while the database is locked: ${search.status}`);
  assert.ok(Date.now() - t0 < HOLD, 'the lock was released before the answers');
  await released;
});

// Writes n GSN article files under dir/name/, slugs prefix-0 … prefix-(n-1); returns the folder.
function articleFiles(name, prefix, n, headline = (i) => `Paging story ${i}`) {
  const folder = path.join(dir, name);
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < n; i++) {
    writeFileSync(path.join(folder, `${String(i).padStart(5, '0')}.md`), '---\n' +
      `headline: ${headline(i)}\n` +
      'publication: gsn\n' +
      'section: security\n' +
      'published: 2014-06-14T09:00:00Z\n' +
      'access: free\n' +
      `slug: ${prefix}-${i}\n` +
      '---\n' +
      `Paragraph of story ${i}.\n`);
  }
  return folder;
}

// `broadsheet article import --batch BATCH FOLDER` against the server's database, without
// blocking the event loop (the walker keeps paging meanwhile). Resolves to its exit code.
function importAsync(folder, batch) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['article', 'import', '--db', server.db, '--batch', String(batch),
      folder], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(code)
      : reject(new Error(`import exited ${code}: ${err}`))));
  });
}

test('paging through 1,300 changes while two writers write them: none missed, none repeated', { timeout: 300_000 }, async () => {
  const start = (await walk(server.url, key)).next;
  // 1,000 changes: 700 new stories, then 300 new versions of the first 300, written in
  // batches of 25 (many in one second) while the partner pages 7 at a time.
  // A second writer meanwhile, in another process, adds 300 more in batches of 10: two
  // transactions at once, whose versions must come out in the order they were committed (on
  // PostgreSQL, the item log's lock: migration 021).
  const fresh = articleFiles('paging-new', 'paging', 700);
  const again = articleFiles('paging-again', 'paging', 300, (i) => `Paging story ${i}, updated`);
  const other = articleFiles('paging-other', 'other', 300);
  const writing = Promise.all([
    (async () => {
      await importAsync(fresh, 25);
      await importAsync(again, 25);
    })(),
    importAsync(other, 10),
  ]);
  let done = false;
  writing.finally(() => { done = true; });
  const got = [];
  let cursor = start;
  let pages = 0;
  for (;;) {
    const wasDone = done;
    const r = await apiGet(server.url, key, `/items?after=${cursor}&limit=7`);
    assert.equal(r.status, 200, r.text);
    pages++;
    got.push(...r.json.items);
    assert.ok(r.json.items.length <= 7);
    if (r.json.items.length) assert.notEqual(r.json.next, cursor);
    cursor = r.json.next;
    if (!r.json.more && wasDone) break; // a page asked after the writer had finished, and empty
    if (!r.json.items.length) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await writing;
  const keys = got.map((i) => `${i.altids[0].value}@${i.version}`);
  assert.equal(new Set(keys).size, keys.length, 'an item was repeated');
  const ours = keys.filter((k) => k.startsWith('paging-'));
  assert.equal(ours.length, 1000, `${ours.length} of the 1,000 changes, in ${pages} pages`);
  const others = keys.filter((k) => k.startsWith('other-'));
  assert.equal(others.length, 300, `${others.length} of the second writer's 300`);
  for (let i = 0; i < 700; i++) assert.ok(keys.includes(`paging-${i}@1`), `paging-${i}@1 missed`);
  for (let i = 0; i < 300; i++) assert.ok(keys.includes(`paging-${i}@2`), `paging-${i}@2 missed`);
  // Each article's versions in order, and the updated headline on the second.
  const second = got.find((i) => i.altids[0].value === 'paging-0' && i.version === '2');
  assert.equal(second.headlines[0].value, 'Paging story 0, updated');
  assert.ok(got.indexOf(second) > got.findIndex((i) => i.altids[0].value === 'paging-0'));
  // …and a fresh walk from the same start gives the same sequence: every version kept, also an
  // imported one its re-import replaced.
  const replay = (await walk(server.url, key, { after: start })).items
    .map((i) => `${i.altids[0].value}@${i.version}`).filter((k) => k.startsWith('paging-'));
  assert.deepEqual(replay, ours);
  const first = await apiGet(server.url, key, `/items/${itemId(second)}/versions/1`);
  assert.equal(first.json.headlines[0].value, 'Paging story 0');
});
