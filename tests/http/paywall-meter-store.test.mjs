// The signed-in reader's meter when the database is busy (issue 8, finding 9).
//
//   - Parallel reads: deciding and recording a read must be one step. When counting and recording
//     were two statements, a reader's parallel requests for different articles all saw the same
//     count under the allowance and were all served in full (12 full reads against 10).
//   - A locked database: another process holds the write lock (BEGIN IMMEDIATE in python3's
//     sqlite3). A read the meter would have to record cannot be recorded, so it is the preview,
//     with a note saying why, at once: the HTTP thread waits at most HTTP_DB_WAIT_MS for the
//     lock. It used to be served in full, unrecorded. A re-read (nothing to record) and a spent
//     meter (nothing to record either) are answered as usual.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { startServer, tmpDir, parseResponse } from '../lib/server.mjs';
import { sql, holdWriteLock } from '../lib/accounts.mjs';
import {
  METERED, Reader, assertFull, assertPreview, cli, signedInReader, PROMPT,
} from '../lib/paywall.mjs';
import { textOf } from '../lib/util.mjs';

const UNAVAILABLE = 'We could not check your free articles just now, so this is a preview. ' +
  'Please reload the page in a moment.';

const reads = (db, id) => Number(sql(db, `SELECT count(*) FROM meter_reads WHERE user_id = ${id}`));
const isFull = (r) => r.status === 200 && !textOf(r.body).includes(PROMPT);

test('a locked database: a read that must be recorded is the preview with a note, at once; re-reads and a spent meter as usual', { timeout: 60_000 }, async () => {
  const srv = await startServer({ args: ['--threads', '2', '--meter-signed-in-limit', '3'] });
  try {
    const { reader, id } = await signedInReader(srv, 'locked-meter');
    assertFull(await reader.read(METERED[0]), METERED[0], 'first read, before the lock');
    const spent = await signedInReader(srv, 'locked-spent');
    for (const a of METERED.slice(0, 3)) assertFull(await spent.reader.read(a), a);

    const { released } = await holdWriteLock(srv.db, 3000);
    let t = Date.now();
    const r = await reader.read(METERED[1]);
    const ms = Date.now() - t;
    assertPreview(r, METERED[1], 'a new article while the database is locked');
    assert.equal(r.note, UNAVAILABLE);
    assert.ok(ms < 1500, `the locked read took ${ms} ms`);
    assert.match(r.headers.get('cache-control') ?? '', /\bno-store\b/);

    // Nothing to record: a re-read is whole, a spent meter is the usual preview.
    t = Date.now();
    const again = await reader.read(METERED[0]);
    assertFull(again, METERED[0], 'a re-read while the database is locked');
    assert.equal(again.note, '2 free articles left this month.');
    const over = await spent.reader.read(METERED[5]);
    assertPreview(over, METERED[5], 'a spent meter while the database is locked');
    assert.equal(over.note, 'You have read your 3 free articles this month.');
    assert.ok(Date.now() - t < 1500, `two reads that record nothing took ${Date.now() - t} ms`);

    await released;
    assert.equal(reads(srv.db, id), 1, 'the read while locked was recorded');
    const after = await reader.read(METERED[1]);
    assertFull(after, METERED[1], 'the same article once the lock is gone');
    assert.equal(after.note, '1 free article left this month.');
    assert.equal(reads(srv.db, id), 2);
  } finally {
    await srv.stop();
  }
});

// Parallel reads: more articles than the demo has, imported once.
const EXTRA = 32;
let srv;
let dir;
before(async () => {
  dir = tmpDir('broadsheet-meter-');
  srv = await startServer({ args: ['--threads', '16', '--meter-signed-in-limit', '5'] });
  const files = [];
  for (let i = 0; i < EXTRA; i++) {
    const file = path.join(dir, `parallel-${i}.md`);
    writeFileSync(file, `---\nheadline: Parallel Story ${i}\ndek: A story for the parallel meter test.\n` +
      `publication: gsn\nsection: security\npublished: 2014-06-0${1 + (i % 9)}T10:00:00Z\n` +
      `access: metered\nslug: parallel-story-${i}\n---\nThe first paragraph of story ${i}.\n\n` +
      `The second paragraph of story ${i}, which the preview withholds.\n`);
    files.push(file);
  }
  cli(srv.db, ['article', 'import', ...files]);
});
after(async () => {
  await srv?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// GETs every path at once as one browser with cookie header `cookie`: a connection per path is
// opened first, and once all are open every request is written in the same tick, so they reach
// the server's threads together. Resolves with [{status, body}] in the order of paths.
async function getAllAtOnce(port, paths, cookie) {
  const sockets = await Promise.all(paths.map(() => new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' }, () => resolve(sock));
    sock.once('error', reject);
  })));
  const answers = sockets.map((sock) => new Promise((resolve) => {
    const chunks = [];
    const timer = setTimeout(() => sock.destroy(), 15_000);
    sock.on('data', (d) => chunks.push(d));
    sock.on('close', () => {
      clearTimeout(timer);
      const r = parseResponse(Buffer.concat(chunks), 0, { closed: true });
      resolve({ status: r?.status ?? null, body: r ? r.body.toString('utf8') : '' });
    });
  }));
  sockets.forEach((sock, i) => sock.write(`GET ${paths[i]} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    `Cookie: ${cookie}\r\nConnection: close\r\n\r\n`));
  return Promise.all(answers);
}

test('parallel reads of 32 articles by one signed-in reader with an allowance of 5: never more than 5 in full or recorded', { timeout: 120_000 }, async () => {
  const paths = Array.from({ length: EXTRA }, (_, i) => `/articles/parallel-story-${i}`);
  // The server notices the import within a tick; then both variants of every page are cached,
  // so that the trials race on the meter and not on rendering.
  const probe = new Reader(srv.url);
  for (let i = 0; i < 50; i++) {
    if ((await probe.get(paths[EXTRA - 1])).status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const p of paths) {
    assert.equal((await new Reader(srv.url).get(p)).status, 200);
    assert.equal((await new Reader(srv.url, { meter: 'spent' }).get(p)).status, 200);
  }
  const overruns = [];
  const fulls = [];
  for (let trial = 0; trial < 10; trial++) {
    const { reader, id } = await signedInReader(srv, `parallel${trial}`);
    const results = await getAllAtOnce(srv.port, paths, reader.cookieHeader());
    for (const r of results) assert.equal(r.status, 200);
    const full = results.filter(isFull).length;
    const recorded = reads(srv.db, id);
    fulls.push(full);
    if (full > 5 || recorded > 5) overruns.push(`trial ${trial + 1}: ${full} full, ${recorded} recorded`);
    assert.equal(full, recorded, `trial ${trial + 1}: ${full} full reads, ${recorded} recorded`);
    // The rest are previews that say the meter is spent; or, for a request that could not have
    // the write lock within the HTTP thread's short wait (a loaded machine, 32 writers at
    // once), that the meter could not be checked: never a full read.
    const notes = results.filter((r) => !isFull(r)).map((r) => textOf(r.body));
    assert.ok(notes.every((t) => t.includes('You have read your 5 free articles this month.') ||
      t.includes(UNAVAILABLE)), `trial ${trial + 1}: a preview without the spent-meter note`);
  }
  assert.deepEqual(overruns, [], 'parallel reads went past the allowance');
  // The race was run at the allowance's edge: some trial spent it all.
  assert.ok(fulls.includes(5), `full reads per trial: ${fulls.join(', ')}`);
});
