// Mail with two app nodes on one PostgreSQL database (issue 10, "Several nodes, one site"): each
// queued message is delivered by exactly one node, and a node killed in the middle of a send
// leaves the message to the other, which delivers it once its lease (mail_lease) has run out.
// The SMTP server is tests/unit/smtp_sink.py, which counts a message only once it has answered
// its DATA: a message whose sender died before that answer was not delivered.
//
//   - many messages, queued through both nodes and straight into the queue, both nodes
//     delivering at once: every one arrives exactly once, and the nodes' logs split them;
//   - a node SIGKILLed while the server holds its DATA: the other node sends the message once,
//     not before the lease ends;
//   - a claim that had to wait for another node's claim of the same message takes nothing
//     (READ COMMITTED: the UPDATE evaluates its WHERE again on the row the other committed).
//
// Runs under `make pg-test` (BROADSHEET_TEST_PG_DIR names the throwaway cluster).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';

import { startServer, tmpDir, freshDatabase } from '../lib/server.mjs';
import { startSmtpSink } from '../lib/smtp.mjs';
import { Client, freshEmail, sql } from '../lib/accounts.mjs';
import { psqlSession, waitingForLocks } from '../lib/psql.mjs';
import { poll } from '../lib/util.mjs';

assert.ok(process.env.BROADSHEET_TEST_PG_DIR,
  'BROADSHEET_TEST_PG_DIR must name a running test cluster (run these with `make pg-test`)');

const dir = tmpDir('broadsheet-pgsql-mail-');
after(() => rmSync(dir, { recursive: true, force: true }));

const PASSWORD = 'harbour-quince-telescope';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => Math.floor(Date.now() / 1000);

// Two nodes on one new database, both sending to sink. A seeds the demo; B opens what A made.
async function twoNodes(sink, args = []) {
  const db = freshDatabase(dir);
  const common = ['--smtp-url', sink.url, '--mail-from', 'news@example.test',
    '--trusted-proxies', '127.0.0.1/32', ...args];
  const a = await startServer({ db, args: common });
  let b;
  try {
    b = await startServer({ db, demo: false, args: common });
  } catch (err) {
    await a.stop();
    throw err;
  }
  return { db, a, b };
}

// The queue ids a node's log says it delivered ("broadsheet: mail N delivered").
function delivered(node) {
  return [...node.stderr().matchAll(/^broadsheet: mail (\d+) delivered$/gm)].map((m) => Number(m[1]));
}

// How many messages the sink has stored per recipient: {address: count}.
function perRecipient(sink) {
  const counts = {};
  for (const m of sink.messages()) {
    for (const to of m.envelope.to) counts[to] = (counts[to] ?? 0) + 1;
  }
  return counts;
}

test('two nodes deliver every queued message exactly once between them', { timeout: 120_000 },
  async () => {
    // A slow server (50 ms a message), so that both nodes are sending for a few seconds.
    const sink = await startSmtpSink({ delayMs: 50 });
    let nodes;
    try {
      nodes = await twoNodes(sink);
      const { db, a, b } = nodes;
      // A backlog queued in one statement, all due in the same second: both mailers go for the
      // same first message every time they look together.
      const backlog = Array.from({ length: 60 }, (_, i) => `backlog-${i}-${process.pid}@example.test`);
      sql(db, 'INSERT INTO mail_queue (recipient, subject, body_text, created_at, ' +
        `next_attempt_at) SELECT 'backlog-' || g || '-${process.pid}@example.test', ` +
        `'Backlog ' || g, 'Message ' || g, ${now()}, ${now()} FROM generate_series(0, 59) g`);
      // And a registration's verification mail through each node, ten each at once: each wakes
      // its node's mailer at once.
      const register = async (node, tag) => {
        const emails = [];
        for (let i = 0; i < 10; i++) {
          const email = freshEmail(`mailnodes-${tag}`);
          await new Client(node.url, { forwardedFor: `198.51.100.${tag === 'a' ? 1 + i : 101 + i}` })
            .register(email, PASSWORD);
          emails.push(email);
        }
        return emails;
      };
      const [onA, onB] = await Promise.all([register(a, 'a'), register(b, 'b')]);
      const expected = [...backlog, ...onA, ...onB];

      await poll(() => sink.messages().length >= expected.length, { ms: 60_000, every: 100 });
      // A second copy would come at once (a claim both nodes won) or after a lease; by then
      // the queue says everything was sent, which is checked below. Give stragglers a moment.
      await sleep(2000);
      const counts = perRecipient(sink);
      const twice = Object.entries(counts).filter(([, n]) => n !== 1);
      assert.deepEqual(twice, [], 'a message was delivered more than once');
      assert.deepEqual(Object.keys(counts).sort(), expected.map((e) => e.toLowerCase()).sort(),
        'the sink did not receive exactly the queued messages');
      assert.equal(sql(db, 'SELECT count(*) FROM mail_queue WHERE sent_at IS NULL'), '0');
      assert.equal(sql(db, 'SELECT count(*) FROM mail_queue'), String(expected.length));

      // Both nodes delivered, and no message is in both logs.
      const byA = delivered(a);
      const byB = delivered(b);
      assert.ok(byA.length > 0 && byB.length > 0,
        `both nodes should have sent some: A ${byA.length}, B ${byB.length}`);
      assert.deepEqual(byA.filter((id) => byB.includes(id)), [], 'both nodes sent these');
      assert.equal(byA.length + byB.length, expected.length);
    } finally {
      await nodes?.b.stop();
      await nodes?.a.stop();
      await sink.stop();
    }
  });

test('a node killed while the server holds its DATA leaves the message to the other, which sends it once after the lease', { timeout: 120_000 }, async () => {
  const LEASE = 10; // the shortest mail_lease allowed
  const sink = await startSmtpSink({ stall: 1 }); // holds the first message's DATA for ever
  let nodes;
  try {
    nodes = await twoNodes(sink, ['--mail-lease', String(LEASE)]);
    const { db, a, b } = nodes;
    const email = freshEmail('mailnodes-kill');
    await new Client(a.url, { forwardedFor: '198.51.100.7' }).register(email, PASSWORD);

    // Whichever node claimed the message is in the middle of sending it now.
    await poll(() => sink.stalled().length === 1, { ms: 15_000, every: 20 });
    assert.deepEqual(sink.stalled()[0].envelope.to, [email]);
    const [id, owner, leaseUntil] = sql(db, 'SELECT id, lease_owner, next_attempt_at FROM ' +
      `mail_queue WHERE recipient = '${email}'`).split('|');
    const pid = Number(owner.split('/')[1]);
    const victim = [a, b].find((n) => n.proc.pid === pid);
    assert.ok(victim, `the lease's owner ${owner} is neither node (pids ${a.proc.pid}, ${b.proc.pid})`);
    const survivor = victim === a ? b : a;
    victim.proc.kill('SIGKILL');
    await victim.exited;
    assert.deepEqual(sink.messages(), [], 'the held message must not count as delivered');

    // The survivor takes it over once the lease has run out (it looks every 5 s), not before.
    const arrived = await poll(() => sink.mailTo(email).length > 0 && Date.now(),
      { ms: (LEASE + 15) * 1000, every: 20 });
    assert.ok(arrived, `no delivery within ${LEASE + 15} s of the kill\n${survivor.stderr()}`);
    assert.ok(arrived >= Number(leaseUntil) * 1000,
      `delivered at ${arrived}, before the lease ran out at ${Number(leaseUntil) * 1000}`);
    assert.deepEqual(delivered(survivor), [Number(id)]);
    assert.deepEqual(sql(db, 'SELECT sent_at IS NOT NULL, lease_owner, attempts FROM mail_queue ' +
      `WHERE id = ${id}`), 't||0');

    // Nothing more: not at the survivor's next looks, nor when it stops.
    await sleep(6000);
    await survivor.stop();
    assert.equal(sink.mailTo(email).length, 1);
    assert.equal(sink.messages().length, 1);
    assert.equal(sink.stalled().length, 1);
  } finally {
    await nodes?.b.stop().catch(() => {}); // the killed node's exit is not a clean one
    await nodes?.a.stop().catch(() => {});
    await sink.stop();
  }
});

test('a claim that waited for another node\'s claim of the same message takes nothing', { timeout: 60_000 }, async () => {
  const sink = await startSmtpSink();
  const db = freshDatabase(dir);
  const node = await startServer({ db, args: ['--smtp-url', sink.url, '--mail-from',
    'news@example.test'] });
  const other = await psqlSession(db); // plays another node's mailer
  try {
    const email = freshEmail('mailnodes-race');
    // Due in two seconds; meanwhile the other node claims it in a transaction it leaves open,
    // so the node, seeing the message due, runs into that claim's row lock.
    const id = await other.run('INSERT INTO mail_queue (recipient, subject, body_text, ' +
      `created_at, next_attempt_at) VALUES ('${email}', 'Race', 'Text', ${now()}, ${now() + 2}) ` +
      'RETURNING id;');
    await other.run('BEGIN; UPDATE mail_queue SET next_attempt_at = ' +
      `${now() + 3600}, lease_owner = 'the-other-node' WHERE id = ${id};`);
    const blocked = await poll(() => waitingForLocks(db).some((q) => /^UPDATE mail_queue/.test(q)),
      { ms: 15_000, every: 20 });
    assert.ok(blocked, `the node's claim never waited for the other's:\n${node.stderr()}`);
    await other.run('COMMIT;');

    await sleep(2000);
    assert.deepEqual(sink.messages(), [], 'the node sent a message the other node had claimed');
    assert.equal(sql(db, `SELECT lease_owner, attempts, sent_at IS NULL FROM mail_queue WHERE id = ${id}`),
      'the-other-node|0|t');
    assert.doesNotMatch(node.stderr(), new RegExp(`mail ${id}\\b|mailer: the database failed`));
  } finally {
    await other.end();
    await node.stop();
    await sink.stop();
  }
});
