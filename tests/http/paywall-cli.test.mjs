// The paywall's operator commands: `broadsheet plan add|list|remove`, `subscription
// grant|revoke|list` and `org add|range add|range remove|list|remove`, run against a database made
// by `broadsheet init --demo` (which seeds the three demo plans). Exit status 0 for work done, 1
// for work that could not be done (an unknown account, plan or organisation), 2 for a usage error
// (a bad price, date or address range), always with a one-line message. The database is checked
// directly with sqlite3 where the listing alone could hide a wrong value (prices in cents, the
// end of a granted day).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { runCli, startServer, tmpDir, demoDir } from '../lib/server.mjs';
import { sql } from '../lib/accounts.mjs';
import { decodeEntities, get, poll } from '../lib/util.mjs';

const PASSWORD = 'walnut-cinema-lighthouse';

let dir;
before(() => { dir = tmpDir('broadsheet-paywall-cli-'); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function show(r) {
  return `exit ${r.status} (signal ${r.signal}, timed out ${r.timedOut})\n--- stdout ---\n${r.stdout}` +
    `\n--- stderr ---\n${r.stderr}`;
}

let dbCount = 0;
function initDemoDb() {
  const db = path.join(dir, `paywall-${++dbCount}.db`);
  const r = runCli(['init', '--db', db, '--demo', '--demo-without-staff', '--demo-dir', demoDir]);
  assert.equal(r.status, 0, `init --demo: ${show(r)}`);
  return db;
}

// Runs `broadsheet ...args --db db` and checks its exit status.
function cli(db, args, status = 0, opts = {}) {
  const r = runCli([...args, '--db', db], opts);
  assert.equal(r.status, status, `broadsheet ${args.join(' ')}: ${show(r)}`);
  return r;
}

// A failure's message: one line on stderr starting "broadsheet: " (a usage error then prints the
// usage, which starts with "usage:").
function errorLine(r) {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('broadsheet: '));
  assert.equal(lines.length, 1, `expected one "broadsheet: ..." line on stderr:\n${r.stderr}`);
  return lines[0];
}

function addUser(db, email) {
  cli(db, ['user', 'add', email, '--name', 'Paywall Reader'], 0, { input: `${PASSWORD}\n` });
}

const lineOf = (out, word) => out.split('\n').find((l) => l.includes(word)) ?? '';

// --- plans -------------------------------------------------------------------------------------

test('init --demo seeds the three demo plans, which `plan list` shows in order', () => {
  const db = initDemoDb();
  const r = cli(db, ['plan', 'list']);
  const slugs = r.stdout.split('\n').map((l) => /^\s+\d+\s+(\S+)/.exec(l)?.[1]).filter(Boolean);
  assert.deepEqual(slugs, ['monthly', 'annual', 'institutional'], r.stdout);
  assert.match(lineOf(r.stdout, ' monthly '), /12\.99 USD per month\s+National Journal Digital/);
  assert.match(lineOf(r.stdout, ' annual '), /129\.00 USD per year/);
  assert.match(lineOf(r.stdout, ' institutional '), /contact us/);
  assert.ok(r.stdout.includes("For organisations: access for everyone at your organisation's network"),
    r.stdout);
  assert.match(r.stdout, /^3 plans$/m);
  assert.equal(sql(db, "SELECT slug || ' ' || period || ' ' || price_cents || ' ' || currency || ' ' || active " +
    'FROM plans ORDER BY position'),
  'monthly month 1299 USD 1\nannual year 12900 USD 1\ninstitutional contact 0 USD 1');
  for (const slug of ['monthly', 'annual', 'institutional']) {
    const benefits = sql(db, `SELECT benefits FROM plans WHERE slug = '${slug}'`).split('\n');
    assert.ok(benefits.length >= 3 && benefits.every((b) => b.trim().length > 0),
      `${slug} should have at least three benefits: ${JSON.stringify(benefits)}`);
  }
});

test('plan add creates a plan: the price in cents, benefits one per line, placed last', () => {
  const db = initDemoDb();
  const r = cli(db, ['plan', 'add', 'student', '--name', 'Student', '--period', 'month',
    '--price', '4.5', '--currency', 'usd', '--description', 'For students.',
    '--benefit', 'Every article', '--benefit', 'Cancel at any time']);
  assert.match(r.stdout, /created plan student/);
  assert.equal(sql(db, "SELECT price_cents || ' ' || currency || ' ' || position || ' ' || description " +
    "FROM plans WHERE slug = 'student'"), '450 USD 4 For students.');
  assert.equal(sql(db, "SELECT hex(benefits) FROM plans WHERE slug = 'student'"),
    Buffer.from('Every article\nCancel at any time').toString('hex').toUpperCase());
  const list = cli(db, ['plan', 'list']);
  assert.match(lineOf(list.stdout, ' student '), /4\.50 USD per month\s+Student/);
  assert.ok(list.stdout.includes('- Every article') && list.stdout.includes('- Cancel at any time'),
    list.stdout);
  assert.match(list.stdout, /^4 plans$/m);
});

test('plan add parses prices strictly: "12.99" is 1299 cents, "12" is 1200', () => {
  const db = initDemoDb();
  for (const [price, cents] of [['12.99', 1299], ['12', 1200], ['0.5', 50], ['0', 0], ['1000.05', 100005]]) {
    cli(db, ['plan', 'add', 'p', '--name', 'P', '--period', 'year', '--price', price]);
    assert.equal(sql(db, "SELECT price_cents FROM plans WHERE slug = 'p'"), String(cents), `--price ${price}`);
  }
});

test('a bad price is exit 2 with a one-line error, and nothing is saved', () => {
  const db = initDemoDb();
  for (const price of ['-1', '-0.50', '12.999', 'abc', '12.', '.5', '1e3', '12,99', ' 12', '$12', '']) {
    const r = cli(db, ['plan', 'add', 'bad', '--name', 'Bad', '--period', 'month', '--price', price], 2);
    assert.ok(errorLine(r).includes('price'), `--price ${JSON.stringify(price)}: ${r.stderr}`);
    assert.match(r.stderr, /usage/i);
  }
  // Updating an existing plan with a bad price leaves it as it was.
  cli(db, ['plan', 'add', 'monthly', '--name', 'Changed', '--period', 'month', '--price', '9.999'], 2);
  assert.equal(sql(db, "SELECT COUNT(*) FROM plans WHERE slug = 'bad'"), '0');
  assert.equal(sql(db, "SELECT name || ' ' || price_cents FROM plans WHERE slug = 'monthly'"),
    'National Journal Digital 1299');
});

test('plan add: other usage errors are exit 2', () => {
  const db = initDemoDb();
  const cases = [
    [['plan', 'add', 'x', '--name', 'X', '--period', 'week', '--price', '1'], 'period'],
    [['plan', 'add', 'x', '--name', 'X', '--price', '1'], '--period'],
    [['plan', 'add', 'x', '--period', 'month', '--price', '1'], '--name'],
    [['plan', 'add', 'x', '--name', 'X', '--period', 'month'], '--price'],
    [['plan', 'add', 'x', '--name', 'X', '--period', 'contact', '--price', '5'], 'price'],
    [['plan', 'add', 'x', '--name', 'X', '--period', 'month', '--price', '1', '--currency', 'dollars'], 'currency'],
    [['plan', 'add', 'x', '--name', 'X', '--period', 'month', '--price', '1', '--position', 'first'], 'position'],
    [['plan', 'add', 'x', '--name', 'X', '--period', 'month', '--price', '1', '--stripe-price', 'prod_1'], 'Stripe'],
    [['plan', 'add', 'Not A Slug', '--name', 'X', '--period', 'contact'], 'slug'],
    [['plan', 'add', '--name', 'X', '--period', 'contact'], 'SLUG'],
    [['plan', 'add', 'x', '--name', 'X', '--period', 'contact', '--plan', 'y'], '--plan'],
    [['plan', 'frobnicate'], 'frobnicate'],
  ];
  for (const [args, word] of cases) {
    const r = cli(db, args, 2);
    assert.ok(errorLine(r).includes(word), `${args.join(' ')}: the error should mention ${word}:\n${r.stderr}`);
  }
  // A flag at the very end without its value.
  const r = runCli(['plan', 'add', 'x', '--db', db, '--period', 'contact', '--name']);
  assert.equal(r.status, 2, show(r));
  assert.ok(errorLine(r).includes('--name'), r.stderr);
  assert.equal(sql(db, "SELECT COUNT(*) FROM plans WHERE slug = 'x'"), '0');
});

test('plan add updates by slug: options left out keep their values; a contact plan needs no price', () => {
  const db = initDemoDb();
  const r = cli(db, ['plan', 'add', 'monthly', '--name', 'Digital Monthly', '--period', 'month',
    '--stripe-price', 'price_1Abc']);
  assert.match(r.stdout, /updated plan monthly/);
  assert.equal(sql(db, "SELECT name || '|' || price_cents || '|' || stripe_price_id || '|' || position " +
    "FROM plans WHERE slug = 'monthly'"), 'Digital Monthly|1299|price_1Abc|1');
  assert.ok(sql(db, "SELECT benefits FROM plans WHERE slug = 'monthly'").includes('Cancel at any time'),
    'the benefits were lost by an update that did not give any');
  cli(db, ['plan', 'add', 'monthly', '--name', 'Digital Monthly', '--period', 'month',
    '--benefit', 'Only this one', '--position', '7', '--price', '11']);
  assert.equal(sql(db, "SELECT benefits || '|' || position || '|' || price_cents FROM plans WHERE slug = 'monthly'"),
    'Only this one|7|1100');

  cli(db, ['plan', 'add', 'newsroom', '--name=Newsrooms', '--period=contact', '--description', 'Ask us.']);
  assert.equal(sql(db, "SELECT period || ' ' || price_cents FROM plans WHERE slug = 'newsroom'"), 'contact 0');
  assert.match(lineOf(cli(db, ['plan', 'list']).stdout, ' newsroom '), /contact us\s+Newsrooms/);
});

test('plan remove deletes a plan; an unknown plan is exit 1', () => {
  const db = initDemoDb();
  const r = cli(db, ['plan', 'remove', 'annual']);
  assert.match(r.stdout, /removed plan annual/);
  const list = cli(db, ['plan', 'list']);
  assert.ok(!/\bannual\b/.test(list.stdout.split('\n').filter((l) => /^\s*\d/.test(l)).join('\n')), list.stdout);
  assert.match(list.stdout, /^2 plans$/m);
  const again = cli(db, ['plan', 'remove', 'annual'], 1);
  assert.ok(errorLine(again).includes('annual'), again.stderr);
  assert.ok(!/usage/i.test(again.stderr), 'exit 1 should not print the usage');
  cli(db, ['plan', 'remove'], 2);
});

// --- subscriptions -------------------------------------------------------------------------------

test('subscription grant gives an account a plan until the end of that day (UTC); list shows it', () => {
  const db = initDemoDb();
  addUser(db, 'subscriber@example.test');
  const r = cli(db, ['subscription', 'grant', 'Subscriber@Example.test', '--plan', 'annual',
    '--until', '2027-12-31']);
  assert.match(r.stdout, /subscriber@example\.test/);
  const endOfDay = Date.UTC(2027, 11, 31, 23, 59, 59) / 1000;
  assert.equal(sql(db, "SELECT plan_slug || ' ' || status || ' ' || current_period_end || ' ' || source " +
    "FROM subscriptions JOIN users ON users.id = subscriptions.user_id WHERE users.email = 'subscriber@example.test'"),
  `annual active ${endOfDay} admin`);
  const list = cli(db, ['subscription', 'list']);
  const line = lineOf(list.stdout, 'subscriber@example.test');
  assert.match(line, /subscriber@example\.test\s+annual\s+active\s+2027-12-31\s+admin/, list.stdout);
  assert.match(list.stdout, /^1 subscription$/m);

  // A second grant replaces the first.
  cli(db, ['subscription', 'grant', 'subscriber@example.test', '--plan', 'monthly', '--until', '2028-02-29']);
  assert.equal(sql(db, 'SELECT COUNT(*) FROM subscriptions'), '1');
  assert.match(lineOf(cli(db, ['subscription', 'list']).stdout, 'subscriber@'),
    /monthly\s+active\s+2028-02-29\s+admin/);

  // A day already over is allowed (it makes a lapsed subscriber) and listed as ended.
  const past = cli(db, ['subscription', 'grant', 'subscriber@example.test', '--plan', 'monthly', '--until', '2020-01-31']);
  assert.match(past.stdout, /already ended/);
  assert.match(lineOf(cli(db, ['subscription', 'list']).stdout, 'subscriber@'), /monthly\s+ended\s+2020-01-31\s+admin/);
});

test('subscription grant: an unknown account or plan is exit 1; a bad date or missing option exit 2', () => {
  const db = initDemoDb();
  addUser(db, 'known@example.test');
  let r = cli(db, ['subscription', 'grant', 'nobody@example.test', '--plan', 'annual', '--until', '2027-12-31'], 1);
  assert.ok(errorLine(r).includes('nobody@example.test'), r.stderr);
  r = cli(db, ['subscription', 'grant', 'known@example.test', '--plan', 'platinum', '--until', '2027-12-31'], 1);
  assert.ok(errorLine(r).includes('platinum'), r.stderr);
  for (const until of ['2027-02-30', '2027-13-01', '31/12/2027', '2027-1-1', 'tomorrow', '']) {
    r = cli(db, ['subscription', 'grant', 'known@example.test', '--plan', 'annual', '--until', until], 2);
    assert.ok(errorLine(r).includes('date'), `--until ${JSON.stringify(until)}: ${r.stderr}`);
  }
  cli(db, ['subscription', 'grant', 'known@example.test', '--until', '2027-12-31'], 2);
  cli(db, ['subscription', 'grant', 'known@example.test', '--plan', 'annual'], 2);
  cli(db, ['subscription', 'grant', '--plan', 'annual', '--until', '2027-12-31'], 2);
  assert.equal(sql(db, 'SELECT COUNT(*) FROM subscriptions'), '0');
});

test('subscription revoke cancels a grant; revoking again or an unknown account is exit 1', () => {
  const db = initDemoDb();
  addUser(db, 'revoked@example.test');
  addUser(db, 'kept@example.test');
  cli(db, ['subscription', 'grant', 'revoked@example.test', '--plan', 'monthly', '--until', '2030-06-30']);
  cli(db, ['subscription', 'grant', 'kept@example.test', '--plan', 'annual', '--until', '2030-06-30']);
  const r = cli(db, ['subscription', 'revoke', 'revoked@example.test']);
  assert.match(r.stdout, /revoked/);
  const list = cli(db, ['subscription', 'list']);
  assert.match(lineOf(list.stdout, 'revoked@example.test'), /monthly\s+canceled\s+2030-06-30\s+admin/, list.stdout);
  assert.match(lineOf(list.stdout, 'kept@example.test'), /annual\s+active\s+2030-06-30\s+admin/, list.stdout);
  assert.match(list.stdout, /^2 subscriptions$/m);

  let again = cli(db, ['subscription', 'revoke', 'revoked@example.test'], 1);
  assert.ok(errorLine(again).includes('revoked@example.test'), again.stderr);
  again = cli(db, ['subscription', 'revoke', 'ghost@example.test'], 1);
  assert.ok(errorLine(again).includes('ghost@example.test'), again.stderr);
  cli(db, ['subscription', 'revoke'], 2);
  cli(db, ['subscription', 'cancel', 'kept@example.test'], 2);
});

// --- organisations -------------------------------------------------------------------------------

test('org add and org range add (IPv4 and IPv6, normalised); org list shows them with their ranges', () => {
  const db = initDemoDb();
  let r = cli(db, ['org', 'add', 'acme', '--name', 'Acme Policy Institute', '--until', '2027-06-30']);
  assert.match(r.stdout, /acme/);
  assert.equal(sql(db, "SELECT name || ' ' || ends_at FROM organisations WHERE slug = 'acme'"),
    `Acme Policy Institute ${Date.UTC(2027, 5, 30, 23, 59, 59) / 1000}`);
  r = cli(db, ['org', 'range', 'add', 'acme', '192.0.2.77/24']);
  assert.match(r.stdout, /192\.0\.2\.0\/24/, 'the range is reported normalised');
  cli(db, ['org', 'range', 'add', 'acme', '2001:DB8:0:0::/32']);
  cli(db, ['org', 'range', 'add', 'acme', '198.51.100.7']);
  cli(db, ['org', 'add', 'open', '--name', 'Open Library']);

  const list = cli(db, ['org', 'list']);
  const lines = list.stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('acme'));
  assert.ok(at >= 0, list.stdout);
  assert.match(lines[at], /until 2027-06-30\s+Acme Policy Institute/);
  assert.deepEqual(lines.slice(at + 1, at + 4).map((l) => l.trim()).sort(),
    ['192.0.2.0/24', '198.51.100.7/32', '2001:db8::/32'], list.stdout);
  assert.match(lineOf(list.stdout, 'open '), /no end date\s+Open Library/);
  assert.match(list.stdout, /^2 organisations$/m);

  // The same range in another spelling is the same range.
  r = cli(db, ['org', 'range', 'add', 'acme', '192.0.2.0/24'], 1);
  assert.ok(errorLine(r).includes('192.0.2.0/24'), r.stderr);
  // Renaming keeps the ranges; without --until the access has no end date.
  cli(db, ['org', 'add', 'acme', '--name', 'Acme Institute']);
  assert.equal(sql(db, "SELECT name || ' ' || ends_at FROM organisations WHERE slug = 'acme'"), 'Acme Institute 0');
  assert.equal(sql(db, 'SELECT COUNT(*) FROM organisation_ranges'), '3');
});

test('org range add: a bad range is exit 2, an unknown organisation exit 1', () => {
  const db = initDemoDb();
  cli(db, ['org', 'add', 'acme', '--name', 'Acme']);
  for (const cidr of ['300.1.1.1/8', '10.0.0.0/33', '2001:db8::/129', 'example.com', '10.1',
    '192.0.2.0/', '192.0.2.0/024', ' 192.0.2.0/24', 'fe80::1%eth0', '']) {
    const r = cli(db, ['org', 'range', 'add', 'acme', cidr], 2);
    assert.ok(errorLine(r).includes('range'), `${JSON.stringify(cidr)}: ${r.stderr}`);
  }
  assert.equal(sql(db, 'SELECT COUNT(*) FROM organisation_ranges'), '0');
  let r = cli(db, ['org', 'range', 'add', 'nowhere', '10.0.0.0/8'], 1);
  assert.ok(errorLine(r).includes('nowhere'), r.stderr);
  cli(db, ['org', 'range', 'add', 'acme'], 2);
  cli(db, ['org', 'add', 'acme', '--name', 'Acme', '--until', '2027-02-29'], 2);
  cli(db, ['org', 'add', 'acme', '--name', 'Acme', '--price', '1'], 2);
  cli(db, ['org', 'add', 'acme'], 2);
  r = cli(db, ['org', 'range', 'frob', 'acme', '10.0.0.0/8'], 2);
  assert.ok(errorLine(r).includes('frob'), r.stderr);
});

test('org range remove and org remove; unknown ones are exit 1', () => {
  const db = initDemoDb();
  cli(db, ['org', 'add', 'acme', '--name', 'Acme']);
  cli(db, ['org', 'range', 'add', 'acme', '192.0.2.0/24']);
  cli(db, ['org', 'range', 'add', 'acme', '2001:db8::/48']);
  let r = cli(db, ['org', 'range', 'remove', 'acme', '192.0.2.9/24']); // any spelling of the range
  assert.match(r.stdout, /removed 192\.0\.2\.0\/24 from acme/);
  r = cli(db, ['org', 'range', 'remove', 'acme', '192.0.2.0/24'], 1);
  assert.ok(errorLine(r).includes('192.0.2.0/24'), r.stderr);
  cli(db, ['org', 'range', 'remove', 'acme', 'not-a-range'], 2);
  const list = cli(db, ['org', 'list']);
  assert.ok(list.stdout.includes('2001:db8::/48') && !list.stdout.includes('192.0.2.0/24'), list.stdout);

  r = cli(db, ['org', 'remove', 'acme']);
  assert.match(r.stdout, /removed organisation acme/);
  assert.equal(sql(db, 'SELECT COUNT(*) FROM organisation_ranges'), '0');
  assert.match(cli(db, ['org', 'list']).stdout, /^0 organisations$/m);
  r = cli(db, ['org', 'remove', 'acme'], 1);
  assert.ok(errorLine(r).includes('acme'), r.stderr);
});

// --- the commands in the help, and a running server -------------------------------------------

test('--help lists the paywall commands', () => {
  const r = runCli(['--help']);
  assert.equal(r.status, 0, show(r));
  for (const words of ['plan add', 'plan list', 'plan remove', 'subscription grant',
    'subscription revoke', 'subscription list', 'org add', 'org range add', 'org range remove',
    'org list', 'org remove', '--stripe-price', '--benefit']) {
    assert.ok(r.stdout.includes(words), `--help does not mention "${words}"`);
  }
});

test('a running server shows a plan added by the CLI on the offers page', { timeout: 60_000 }, async () => {
  const srv = await startServer();
  try {
    cli(srv.db, ['plan', 'add', 'weekend', '--name', 'Weekend Reader Plan', '--period', 'month',
      '--price', '3.25', '--benefit', 'Saturday and Sunday editions']);
    const shown = await poll(async () => {
      const res = await get(`${srv.url}/offers`);
      const html = decodeEntities(await res.text());
      return res.status === 200 && html.includes('Weekend Reader Plan') &&
        html.includes('Saturday and Sunday editions');
    }, { ms: 5000, every: 100 });
    assert.ok(shown, 'the new plan did not appear on /offers within 5 s');
    cli(srv.db, ['plan', 'remove', 'weekend']);
    const gone = await poll(async () => {
      const res = await get(`${srv.url}/offers`);
      return !decodeEntities(await res.text()).includes('Weekend Reader Plan');
    }, { ms: 5000, every: 100 });
    assert.ok(gone, 'the removed plan was still on /offers after 5 s');
  } finally {
    await srv.stop();
  }
});
