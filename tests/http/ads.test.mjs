// Advertising (issue 5): the /ads/… endpoints and `broadsheet ads …`, against real servers whose
// demo newsroom seeds the house campaign (a GSN newsletter creative for every placement).
//
//   - /ads/slots answers the JSON contract the theme's ads.js reads, per placement asked for and
//     enabled, privately and never stored;
//   - campaigns are chosen by their dates and targeting, read from the database per request
//     (changes made with the CLI beside a running server show at once);
//   - the interstitial comes at most once per cap window (the bs_ad_cap cookie), never to a
//     subscriber when ad-free subscribers is on;
//   - a click redirects to the creative's stored URL and nowhere else;
//   - impressions (a beacon with any body or none) and clicks reach `ads report` within seconds;
//   - the image and frame routes carry their sandboxing Content-Security-Policy;
//   - the CLI refuses bad dates, URLs and images with exit 2, unknown things with exit 1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startServer, runCli, tmpDir, demoDir, httpRequest } from '../lib/server.mjs';
import { Client, addUser, freshEmail, blake2b256, sql } from '../lib/accounts.mjs';
import { get, poll } from '../lib/util.mjs';

const ALL = 'placements=interstitial,leaderboard,in-article,sidebar';
const PLACEMENTS = ['interstitial', 'leaderboard', 'in-article', 'sidebar'];
const PASSWORD = 'harbour-quince-telescope';
const HOUSE = 'gsn-newsletter';
const HOUSE_URL = 'https://www.nti.org/';
const HOUSE_ALT = 'Global Security Newswire — the daily briefing on nuclear, biological and ' +
  'chemical threats. Subscribe free »';
const BANNER = path.join(demoDir, 'ads', 'gsn-newsletter.svg');
const SQUARE = path.join(demoDir, 'ads', 'gsn-newsletter-square.svg');
const SIZES = { interstitial: [300, 250], leaderboard: [728, 90], 'in-article': [728, 90],
  sidebar: [300, 250] };
const IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
const FRAME_CSP = "sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox; " +
  "frame-ancestors 'self'";

// What a browser sends when a reader follows a link on one of our pages (Fetch Metadata).
const NAVIGATION = { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'navigate',
  'Sec-Fetch-Dest': 'document', 'Sec-Fetch-User': '?1' };

const now = () => Math.floor(Date.now() / 1000);
const day = (offset = 0) => new Date(Date.now() + offset * 86400_000).toISOString().slice(0, 10);

let dir;  // scratch files (bad images, ad tags)
let main; // the demo server with its house campaign untouched
before(async () => {
  dir = tmpDir('broadsheet-ads-');
  main = await startServer({ args: ['--uploads', path.join(dir, 'uploads-main')] });
});
after(async () => {
  await main?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function show(r) {
  return `exit ${r.status} (signal ${r.signal}, timed out ${r.timedOut})\n--- stdout ---\n` +
    `${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

// `broadsheet ads …` on a server's database (and uploads), asserting the exit status.
function ads(srv, uploads, args, status = 0) {
  const r = runCli(['ads', ...args, '--db', srv.db, '--uploads', uploads]);
  assert.equal(r.status, status, `broadsheet ads ${args.join(' ')}: ${show(r)}`);
  return r;
}

// The one "broadsheet: …" line of a failure (a usage error also prints the usage after it).
function errorLine(r) {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('broadsheet: '));
  assert.equal(lines.length, 1, `expected one "broadsheet: ..." line on stderr:\n${r.stderr}`);
  return lines[0];
}

// GET /ads/slots?query as client; checks the response's type and caching; adds .json.
async function slots(client, query = ALL) {
  const r = await client.get(`/ads/slots?${query}`);
  assert.equal(r.status, 200, `/ads/slots?${query}: ${r.body.slice(0, 300)}`);
  assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(r.headers.get('cache-control'), 'private, no-store');
  const json = JSON.parse(r.body);
  assert.deepEqual(Object.keys(json), ['ads'], r.body);
  return { ...r, json, ads: json.ads };
}

const capCookie = (r) => r.setCookies.find((c) => c.startsWith('bs_ad_cap='));

// Asserts an image creative's entry follows the contract.
function assertImageEntry(entry, placement, what) {
  assert.ok(Number.isInteger(entry.id) && entry.id > 0, `${what}: id ${entry.id}`);
  const id = entry.id;
  const expected = {
    id, kind: 'image', image: `/ads/image/${id}`, width: SIZES[placement][0],
    height: SIZES[placement][1], alt: HOUSE_ALT, href: `/ads/click/${id}`,
    beacon: `/ads/impression/${id}`,
  };
  if (placement === 'interstitial') expected.seconds = 10;
  assert.deepEqual(entry, expected, what);
}

// --- the contract -------------------------------------------------------------------------------

test('/ads/slots gives each placement a house creative in the contract\'s shape', async () => {
  const client = new Client(main.url);
  const r = await slots(client);
  assert.deepEqual(Object.keys(r.ads).sort(), [...PLACEMENTS].sort(), r.body);
  for (const p of PLACEMENTS) assertImageEntry(r.ads[p], p, p);
  // The interstitial starts the reader's cap window: a cookie holding the time, nothing else.
  const cookie = capCookie(r);
  assert.ok(cookie, `no bs_ad_cap cookie: ${r.setCookies}`);
  const m = /^bs_ad_cap=(\d+); Path=\/; Max-Age=21600; HttpOnly; SameSite=Lax$/.exec(cookie);
  assert.ok(m, `cap cookie ${cookie}`);
  assert.ok(Math.abs(Number(m[1]) - now()) <= 5, `cap time ${m[1]} vs now ${now()}`);
});

test('only the placements asked for are answered; no interstitial asked, no cap cookie', async () => {
  const client = new Client(main.url);
  let r = await slots(client, 'placements=leaderboard');
  assert.deepEqual(Object.keys(r.ads), ['leaderboard']);
  assert.equal(capCookie(r), undefined);
  r = await slots(client, 'placements=sidebar,in-article&publication=gsn&section=security');
  assert.deepEqual(Object.keys(r.ads).sort(), ['in-article', 'sidebar']);
  r = await slots(client, 'placements=popup,,%20');
  assert.deepEqual(r.ads, {});
  // HEAD answers like GET, without a body.
  const head = await get(`${main.url}/ads/slots?${ALL}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('cache-control'), 'private, no-store');
});

test('an image creative is served with its type, a day\'s caching and a sandboxing CSP', async () => {
  const { ads: entries } = await slots(new Client(main.url));
  for (const [placement, file] of [['leaderboard', BANNER], ['sidebar', SQUARE]]) {
    const res = await get(main.url + entries[placement].image);
    assert.equal(res.status, 200, placement);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=86400');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('content-security-policy'), IMAGE_CSP);
    const body = Buffer.from(await res.arrayBuffer());
    assert.ok(body.equals(readFileSync(file)), `${placement}: not the demo file's bytes`);
    // Named by content: the ETag is the file's BLAKE2b, and a revalidation is a 304.
    const etag = res.headers.get('etag');
    assert.equal(etag, `"${blake2b256(readFileSync(file, 'utf8'))}"`);
    const again = await get(main.url + entries[placement].image, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
  }
});

test('the seeded images were copied into the uploads directory under their BLAKE2b names', () => {
  for (const file of [BANNER, SQUARE]) {
    const hash = blake2b256(readFileSync(file, 'utf8'));
    const stored = path.join(dir, 'uploads-main', 'ads', `${hash}.svg`);
    assert.ok(existsSync(stored), `${stored} is missing`);
    assert.ok(readFileSync(stored).equals(readFileSync(file)));
  }
});

// --- the interstitial's cap ------------------------------------------------------------------

test('the interstitial comes once per cap window: the cookie holds it back, an old one does not', async () => {
  const client = new Client(main.url);
  let r = await slots(client);
  assert.ok(r.ads.interstitial, 'first request: no interstitial');
  assert.ok(client.jar.get('bs_ad_cap'), 'the cap cookie was not kept');
  // Second (and third) request with the cookie: no interstitial, the other slots as before.
  for (let i = 0; i < 2; i++) {
    r = await slots(client);
    assert.equal(r.ads.interstitial, undefined, `request ${i + 2}: interstitial again: ${r.body}`);
    assert.deepEqual(Object.keys(r.ads).sort(), ['in-article', 'leaderboard', 'sidebar']);
    assert.equal(capCookie(r), undefined, 'the window must not restart without an interstitial');
  }
  // Past the window (six hours by default): the interstitial again, and a new window.
  client.jar.set('bs_ad_cap', String(now() - 6 * 3600 - 5));
  r = await slots(client);
  assert.ok(r.ads.interstitial, 'an old cap cookie still held the interstitial back');
  assert.ok(capCookie(r));
  // Just inside the window, and a little ahead of the server's clock: held back.
  for (const shown of [now() - 6 * 3600 + 60, now() + 30]) {
    client.jar.set('bs_ad_cap', String(shown));
    r = await slots(client);
    assert.equal(r.ads.interstitial, undefined, `cap time ${shown}`);
  }
  // Far in the future or not a time at all: not believed.
  for (const value of [String(now() + 3600), 'tomorrow', '']) {
    client.jar.set('bs_ad_cap', value);
    r = await slots(client);
    assert.ok(r.ads.interstitial, `cap cookie "${value}" held the interstitial back`);
  }
});

// --- subscribers ------------------------------------------------------------------------------

async function subscriber(srv, { subscribed = true } = {}) {
  const email = freshEmail('ads');
  addUser(srv.db, email, PASSWORD);
  if (subscribed) {
    const g = runCli(['subscription', 'grant', email, '--plan', 'monthly', '--until', '2099-12-31',
      '--db', srv.db]);
    assert.equal(g.status, 0, show(g));
  }
  const client = new Client(srv.url);
  await client.signIn(email, PASSWORD);
  return client;
}

test('a signed-in subscriber gets no ads at all when ad-free subscribers is on (the default)', async () => {
  const client = await subscriber(main);
  const r = await slots(client);
  assert.deepEqual(r.json, { ads: {} });
  assert.equal(capCookie(r), undefined);
  // Signed in without a subscription: ads as anyone.
  const reader = await subscriber(main, { subscribed: false });
  const plain = await slots(reader);
  assert.deepEqual(Object.keys(plain.ads).sort(), [...PLACEMENTS].sort());
});

// --- counting and redirecting -------------------------------------------------------------------

test('a click redirects to the stored URL only, whatever the query says', async () => {
  const { ads: entries } = await slots(new Client(main.url));
  for (const p of PLACEMENTS) {
    for (const query of ['', '?url=https://evil.example', '?url=https%3A%2F%2Fevil.example%2F',
      '?next=//evil.example&redirect=https://evil.example&to=javascript:alert(1)']) {
      const res = await get(main.url + entries[p].href + query);
      assert.equal(res.status, 302, `${p} ${query}`);
      assert.equal(res.headers.get('location'), HOUSE_URL, `${p} ${query}`);
      assert.equal(res.headers.get('cache-control'), 'no-store');
    }
  }
});

test('unknown or malformed ids are 404; the beacon takes POST only', async () => {
  const { ads: entries } = await slots(new Client(main.url));
  for (const target of ['/ads/image/99999', '/ads/frame/99999', '/ads/click/99999', '/ads/image/0',
    '/ads/image/abc', '/ads/click/-1', '/ads/click/1e3', `/ads/image/0${entries.leaderboard.id}`,
    // An image creative has no frame.
    `/ads/frame/${entries.leaderboard.id}`]) {
    const res = await get(main.url + target);
    assert.equal(res.status, 404, target);
    assert.match(res.headers.get('content-type'), /^text\/html/, target);
  }
  const res = await get(`${main.url}/ads/impression/99999`, { method: 'POST' });
  assert.equal(res.status, 404);
  const wrong = await get(main.url + entries.leaderboard.beacon);
  assert.equal(wrong.status, 405);
  assert.match(wrong.headers.get('allow'), /POST/);
});

test('the impression beacon is 204 with no body, text/plain, a form or JSON', async () => {
  const { ads: entries } = await slots(new Client(main.url));
  const beacon = main.url + entries.sidebar.beacon;
  const bodies = [
    {}, // navigator.sendBeacon(url): no Content-Type, no body
    { body: '', headers: { 'Content-Length': '0' } },
    { body: 'shown', headers: { 'Content-Type': 'text/plain;charset=UTF-8' } },
    { body: 'a=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
    { body: '{"shown":true}', headers: { 'Content-Type': 'application/json' } },
    { body: Buffer.from([0, 1, 2]), headers: { 'Content-Type': 'application/octet-stream' } },
  ];
  for (const init of bodies) {
    const res = await get(beacon, { method: 'POST', ...init });
    assert.equal(res.status, 204, `beacon with ${JSON.stringify(init.headers ?? {})}`);
    assert.equal(await res.text(), '');
  }
  // Only the site's own pages report impressions.
  const cross = await get(beacon, { method: 'POST', headers: { 'Sec-Fetch-Site': 'cross-site' } });
  assert.equal(cross.status, 403);
});

test('impressions and clicks reach `ads report` within seconds, with the CTR', async () => {
  // A creative of its own, so no other test's beacons or clicks are in its row.
  const uploads = path.join(dir, 'uploads-main');
  ads(main, uploads, ['campaign', 'add', 'report-test', '--name', 'Report test', '--start',
    day(-1), '--end', day(1), '--section', 'energy']);
  const added = ads(main, uploads, ['creative', 'add', 'report-test', '--placement', 'sidebar',
    '--image', SQUARE, '--alt', 'Report test', '--url', 'https://example.org/report']);
  const id = Number(/added creative (\d+)/.exec(added.stdout)?.[1]);
  assert.ok(id > 0, added.stdout);
  for (let i = 0; i < 4; i++) {
    const res = await get(`${main.url}/ads/impression/${id}`, { method: 'POST' });
    assert.equal(res.status, 204);
  }
  // A click is a reader following the link on one of our pages: a top-level navigation.
  const click = await httpRequest(main.port, 'GET', `/ads/click/${id}?url=https://evil.example`,
    NAVIGATION);
  assert.equal(click.status, 302);
  assert.equal(click.headers.location, 'https://example.org/report');
  // A HEAD of the click link counts nothing.
  assert.equal((await get(`${main.url}/ads/click/${id}`, { method: 'HEAD' })).status, 302);

  const today = day(0);
  let line;
  await poll(() => {
    const r = ads(main, uploads, ['report', '--from', today, '--to', today]);
    line = r.stdout.split('\n').find((l) => l.split(/\s+/)[2] === String(id));
    return line && /\s4\s+1\s+25\.00%$/.test(line);
  }, { ms: 10_000, every: 250 });
  assert.ok(line, `no report line for creative ${id}`);
  assert.deepEqual(line.trim().split(/\s+/), [today, 'report-test', String(id), 'sidebar', '4', '1',
    '25.00%']);
  const all = ads(main, uploads, ['report']);
  assert.match(all.stdout, /^day\s+campaign\s+creative\s+placement\s+impressions\s+clicks\s+CTR$/m);
  assert.match(all.stdout, /^total\s+\d+\s+\d+\s+(\d+\.\d\d%|-)$/m);
  // Nothing for a day with no counts.
  const none = ads(main, uploads, ['report', '--from', '2015-01-01', '--to', '2015-01-31']);
  assert.doesNotMatch(none.stdout, /^2015-/m);
  assert.match(none.stdout, /^total\s+0\s+0\s+-$/m);
});

// --- counting only what a reader did, and only so much of it (issue 8, finding 13) ---------------

// Adds a campaign (slug) with one sidebar creative on srv; returns the creative's id.
function ownCreative(srv, uploads, slug) {
  ads(srv, uploads, ['campaign', 'add', slug, '--name', `Campaign ${slug}`, '--start', day(-1),
    '--end', day(1), '--section', 'energy']);
  const added = ads(srv, uploads, ['creative', 'add', slug, '--placement', 'sidebar', '--image',
    SQUARE, '--alt', `Ad ${slug}`, '--url', `https://example.org/${slug}`]);
  const id = Number(/added creative (\d+)/.exec(added.stdout)?.[1]);
  assert.ok(id > 0, added.stdout);
  return id;
}

// Today's counts of creative id on srv, from `ads report`: {impressions, clicks}.
function todays(srv, uploads, id) {
  const r = ads(srv, uploads, ['report', '--from', day(0), '--to', day(0)]);
  const line = r.stdout.split('\n').find((l) => l.split(/\s+/)[2] === String(id));
  if (!line) return { impressions: 0, clicks: 0 };
  const f = line.trim().split(/\s+/);
  return { impressions: Number(f[4]), clicks: Number(f[5]) };
}

// Waits until the counts of every creative in `expected` ({id: {impressions, clicks}}) reach
// what is expected, then two flush intervals more, and asserts they are exactly that.
async function assertCounts(srv, uploads, expected) {
  const reached = () => Object.entries(expected).every(([id, e]) => {
    const c = todays(srv, uploads, id);
    return c.impressions >= e.impressions && c.clicks >= e.clicks;
  });
  await poll(reached, { ms: 10_000, every: 250 });
  await new Promise((resolve) => setTimeout(resolve, 1200));
  for (const [id, e] of Object.entries(expected)) {
    assert.deepEqual(todays(srv, uploads, id), e, `creative ${id}`);
  }
}

test('finding 13: a click counts only for a top-level navigation from this site; the redirect happens either way', async () => {
  const uploads = path.join(dir, 'uploads-main');
  const id = ownCreative(main, uploads, 'navigation-test');
  const target = `/ads/click/${id}`;
  for (const [what, headers] of [
    ['an <img> on another site', { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors',
      'Sec-Fetch-Dest': 'image' }],
    ['an <img> on our own page', { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'no-cors',
      'Sec-Fetch-Dest': 'image' }],
    ['fetch() from our page', { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'cors',
      'Sec-Fetch-Dest': 'empty' }],
    ['a frame navigated to it', { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'navigate',
      'Sec-Fetch-Dest': 'iframe' }],
    ['another site navigating a window to it', { 'Sec-Fetch-Site': 'cross-site',
      'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document', 'Sec-Fetch-User': '?1' }],
    ['no Fetch Metadata (a script, a link scanner, a browser older than any supported)', {}],
  ]) {
    const res = await httpRequest(main.port, 'GET', target, headers);
    assert.equal(res.status, 302, what);
    assert.equal(res.headers.location, 'https://example.org/navigation-test', what);
  }
  // A reader following the link: counted (also from a sibling host of the same site).
  for (const site of ['same-origin', 'same-site']) {
    const res = await httpRequest(main.port, 'GET', target, { ...NAVIGATION, 'Sec-Fetch-Site': site });
    assert.equal(res.status, 302);
  }
  await assertCounts(main, uploads, { [id]: { impressions: 0, clicks: 2 } });
});

test('finding 13: impressions and clicks are capped per client (IPv6 by /64) per creative per UTC day: 100 and 10 by default', { timeout: 120_000 }, async () => {
  const uploads = path.join(dir, 'uploads-capped');
  const srv = await startServer({ args: ['--uploads', uploads, '--trusted-proxies', '127.0.0.1/32'] });
  try {
    const [a, b, c] = ['cap-a', 'cap-b', 'cap-c'].map((slug) => ownCreative(srv, uploads, slug));
    const beacon = async (id, client, times) => {
      for (let i = 0; i < times; i++) {
        const res = await httpRequest(srv.port, 'POST', `/ads/impression/${id}`,
          { 'X-Forwarded-For': client, 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'no-cors',
            'Sec-Fetch-Dest': 'empty' }, { body: '' });
        assert.equal(res.status, 204, `beacon ${i + 1} of ${client}: always answered`);
      }
    };
    const clicks = async (id, client, times) => {
      for (let i = 0; i < times; i++) {
        const res = await httpRequest(srv.port, 'GET', `/ads/click/${id}`,
          { 'X-Forwarded-For': client, ...NAVIGATION });
        assert.equal(res.status, 302, `click ${i + 1} of ${client}: always redirected`);
      }
    };
    await beacon(a, '198.51.100.1', 105);     // 100 counted
    await beacon(a, '198.51.100.2', 3);       // another client: 3
    await beacon(b, '198.51.100.1', 4);       // another creative: 4
    await beacon(c, '2001:db8:1:2::1', 60);   // one /64 ...
    await beacon(c, '2001:db8:1:2::ffff', 60); // ... shares its 100
    await beacon(c, '2001:db8:1:3::1', 3);    // another /64: 3
    await clicks(a, '198.51.100.1', 12);      // 10 counted
    await clicks(a, '198.51.100.2', 1);
    await assertCounts(srv, uploads, {
      [a]: { impressions: 103, clicks: 11 },
      [b]: { impressions: 4, clicks: 0 },
      [c]: { impressions: 103, clicks: 0 },
    });
  } finally {
    await srv.stop();
  }
});

test('finding 16: a kill -9 loses at most the last tick\'s counts; a SIGTERM loses none', { timeout: 60_000 }, async () => {
  const impressions = (db, id) => Number(sql(db,
    `SELECT coalesce(sum(impressions), 0) FROM ad_stats WHERE creative_id = ${id}`));
  const beacons = async (srv, id, n) => {
    for (let i = 0; i < n; i++) {
      assert.equal((await get(`${srv.url}/ads/impression/${id}`, { method: 'POST' })).status, 204);
    }
  };
  for (const signal of ['SIGKILL', 'SIGTERM']) {
    const srv = await startServer();
    try {
      const { ads: entries } = await slots(new Client(srv.url), 'placements=sidebar');
      const id = entries.sidebar.id;
      await beacons(srv, id, 5);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // three ticks
      await beacons(srv, id, 3); // within the last tick, maybe
      srv.proc.kill(signal);
      await srv.exited;
      const kept = impressions(srv.db, id);
      if (signal === 'SIGKILL') {
        assert.ok(kept >= 5 && kept <= 8, `after kill -9: ${kept} impressions kept, expected 5 to 8`);
      } else {
        assert.equal(kept, 8, 'after SIGTERM every impression is kept');
      }
    } finally {
      await srv.stop().catch(() => {}); // a killed server's exit is not a clean one
    }
  }
});

// --- choosing by dates and targeting, on a server whose house campaign is removed ----------------

let side;       // a server for campaigns made by the CLI
let sideUploads;
before(async () => {
  sideUploads = path.join(dir ?? tmpDir('broadsheet-ads-'), 'uploads-side');
  side = await startServer({ args: ['--uploads', sideUploads] });
  ads(side, sideUploads, ['campaign', 'remove', HOUSE]);
});
after(async () => { await side?.stop(); });

// Adds a campaign with one banner creative for placement; returns the creative's id.
function campaignWith(slug, placement, { start = day(-30), end = day(30), extra = [] } = {}) {
  ads(side, sideUploads, ['campaign', 'add', slug, '--name', `Campaign ${slug}`, '--start', start,
    '--end', end, ...extra]);
  const r = ads(side, sideUploads, ['creative', 'add', slug, '--placement', placement, '--image',
    BANNER, '--alt', `Ad of ${slug}`, '--url', `https://example.com/${slug}`]);
  return Number(/added creative (\d+)/.exec(r.stdout)[1]);
}

// The ids /ads/slots gives placement over `times` requests (each a fresh reader), as a Set.
async function idsFor(placement, query = '', times = 12) {
  const seen = new Set();
  for (let i = 0; i < times; i++) {
    const r = await slots(new Client(side.url), `placements=${placement}${query}`);
    if (r.ads[placement]) seen.add(r.ads[placement].id);
  }
  return seen;
}

test('dates: a campaign that ended yesterday or starts tomorrow is never chosen', async () => {
  campaignWith('ended-yesterday', 'leaderboard', { start: day(-30), end: day(-1) });
  campaignWith('starts-tomorrow', 'leaderboard', { start: day(1), end: day(30) });
  assert.deepEqual([...await idsFor('leaderboard')], []);
  // One running today only (start and end the same day): chosen at once, every time.
  const today = campaignWith('today-only', 'leaderboard', { start: day(0), end: day(0) });
  assert.deepEqual([...await idsFor('leaderboard')], [today]);
  // Moved into the past with `campaign add` (an update keeps its creatives): gone at once.
  ads(side, sideUploads, ['campaign', 'add', 'today-only', '--start', day(-9), '--end', day(-1)]);
  assert.deepEqual([...await idsFor('leaderboard')], []);
  const list = ads(side, sideUploads, ['campaign', 'list']).stdout;
  assert.match(list, /^today-only\s+\S+ to \S+\s+ended\s/m);
  assert.match(list, /^starts-tomorrow\s+\S+ to \S+\s+scheduled\s/m);
});

test('targeting: by publication, by section, by both', async () => {
  const gsn = campaignWith('gsn-only', 'sidebar', { extra: ['--publication', 'gsn'] });
  const security = campaignWith('security-only', 'in-article', { extra: ['--section', 'security'] });
  const both = campaignWith('gsn-security', 'interstitial',
    { extra: ['--publication', 'gsn', '--section', 'security'] });
  assert.deepEqual([...await idsFor('sidebar', '&publication=gsn&section=politics')], [gsn]);
  assert.deepEqual([...await idsFor('sidebar', '&publication=national-journal&section=politics')], []);
  assert.deepEqual([...await idsFor('sidebar')], []);
  assert.deepEqual([...await idsFor('in-article', '&publication=national-journal&section=security')],
    [security]);
  assert.deepEqual([...await idsFor('in-article', '&section=energy')], []);
  assert.deepEqual([...await idsFor('interstitial', '&publication=gsn&section=security')], [both]);
  assert.deepEqual([...await idsFor('interstitial', '&publication=gsn&section=energy')], []);
  assert.deepEqual([...await idsFor('interstitial', '&publication=national-journal&section=security')], []);
});

test('weights: a campaign of weight 9 beside one of weight 1 fills most slots', async () => {
  const light = campaignWith('light', 'leaderboard', { extra: ['--section', 'congress'] });
  const heavy = campaignWith('heavy', 'leaderboard', { extra: ['--section', 'congress',
    '--weight', '9'] });
  const counts = { [light]: 0, [heavy]: 0 };
  for (let i = 0; i < 200; i++) {
    const r = await slots(new Client(side.url), 'placements=leaderboard&section=congress');
    counts[r.ads.leaderboard.id] += 1;
  }
  // Expected 20 and 180; five standard deviations (about 21) either way.
  assert.ok(counts[light] >= 1 && counts[light] <= 45, JSON.stringify(counts));
  assert.equal(counts[light] + counts[heavy], 200);
});

test('an HTML creative: the contract\'s frame entry, and a sandboxed frame framed only by the site', async () => {
  ads(side, sideUploads, ['campaign', 'add', 'tag', '--name', 'An ad tag', '--start', day(-1),
    '--end', day(1), '--section', 'policy']);
  const tagFile = path.join(dir, 'tag.html');
  const tag = '<div id="ad">An ad <script>document.getElementById("ad").dataset.ran = "1"</script></div>';
  writeFileSync(tagFile, tag);
  const r = ads(side, sideUploads, ['creative', 'add', 'tag', '--placement', 'sidebar',
    '--html-file', tagFile]);
  const id = Number(/added creative (\d+)/.exec(r.stdout)[1]);
  const { ads: entries } = await slots(new Client(side.url), 'placements=sidebar&section=policy');
  assert.deepEqual(entries.sidebar, { id, kind: 'html', frame: `/ads/frame/${id}`, width: 300,
    height: 250, href: null, beacon: `/ads/impression/${id}` });

  const res = await get(side.url + entries.sidebar.frame);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(res.headers.get('content-security-policy'), FRAME_CSP);
  assert.equal(res.headers.get('x-frame-options'), null, 'X-Frame-Options would forbid the frame');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('referrer-policy'), 'strict-origin-when-cross-origin');
  const body = await res.text();
  assert.ok(body.includes(tag), body);
  assert.match(body, /^<!DOCTYPE html>/);
  // An HTML creative has no image and no click-through.
  assert.equal((await get(`${side.url}/ads/image/${id}`)).status, 404);
  assert.equal((await get(`${side.url}/ads/click/${id}`)).status, 404);
  assert.equal((await get(`${side.url}/ads/impression/${id}`, { method: 'POST' })).status, 204);
});

// --- configuration ----------------------------------------------------------------------------

test('ad_placements limits the placements; ad_free_subscribers 0 shows a subscriber ads; cookie_secure', async () => {
  const srv = await startServer({ args: ['--uploads', path.join(dir, 'uploads-config'),
    '--ad-placements', 'leaderboard', '--ad-free-subscribers', '0'] });
  try {
    const r = await slots(new Client(srv.url));
    assert.deepEqual(Object.keys(r.ads), ['leaderboard']);
    assertImageEntry(r.ads.leaderboard, 'leaderboard', 'leaderboard only');
    const sub = await subscriber(srv);
    const s = await slots(sub);
    assert.deepEqual(Object.keys(s.ads), ['leaderboard'], 'a subscriber, ad-free off');
  } finally {
    await srv.stop();
  }
  const secure = await startServer({ args: ['--uploads', path.join(dir, 'uploads-config'),
    '--cookie-secure', '1', '--ad-interstitial-cap-hours', '2', '--ad-interstitial-seconds', '7'] });
  try {
    const r = await slots(new Client(secure.url));
    assert.equal(r.ads.interstitial.seconds, 7);
    assert.equal(capCookie(r), `bs_ad_cap=${/bs_ad_cap=(\d+)/.exec(capCookie(r))[1]}; Path=/; ` +
      'Max-Age=7200; HttpOnly; SameSite=Lax; Secure');
  } finally {
    await secure.stop();
  }
  const none = await startServer({ args: ['--uploads', path.join(dir, 'uploads-config'),
    '--ad-placements', ''] });
  try {
    assert.deepEqual((await slots(new Client(none.url))).json, { ads: {} });
  } finally {
    await none.stop();
  }
});

// --- the CLI's refusals --------------------------------------------------------------------------

test('the CLI refuses bad dates, URLs, placements and images (exit 2) and unknown things (exit 1)', () => {
  const uploads = path.join(dir, 'uploads-cli');
  const notImage = path.join(dir, 'page.png');
  writeFileSync(notImage, '<html><script>alert(1)</script></html>');
  const big = path.join(dir, 'big.svg');
  writeFileSync(big, `<svg width="1" height="1">${' '.repeat(2 * 1024 * 1024)}</svg>`);
  const cases = [
    [2, ['campaign', 'add', 'x', '--name', 'X', '--start', '2024-02-30', '--end', '2024-03-31'],
      /not a date/],
    [2, ['campaign', 'add', 'x', '--name', 'X', '--start', '2024-03-01', '--end', '2024-02-01'],
      /would end \(2024-02-01\) before it starts \(2024-03-01\)/],
    [2, ['campaign', 'add', 'x', '--name', 'X', '--start', 'soon', '--end', '2024-02-01'],
      /not a date/],
    [2, ['campaign', 'add', 'Bad Slug', '--name', 'X', '--start', '2024-01-01', '--end', '2024-02-01'],
      /not a valid campaign slug/],
    [2, ['campaign', 'add', 'x', '--name', 'X', '--start', '2024-01-01', '--end', '2024-02-01',
      '--weight', '0'], /not a weight/],
    [2, ['campaign', 'add', 'x', '--name', 'X'], /needs --name, --start and --end/],
    [1, ['campaign', 'add', 'x', '--name', 'X', '--start', '2024-01-01', '--end', '2024-02-01',
      '--publication', 'no-such-paper'], /no publication no-such-paper/],
    [1, ['campaign', 'remove', 'no-such-campaign'], /no campaign no-such-campaign/],
    [2, ['creative', 'add', HOUSE, '--placement', 'leaderboard', '--image', BANNER, '--alt', 'A',
      '--url', 'javascript:alert(1)'], /not an http:\/\/ or https:\/\/ address/],
    [2, ['creative', 'add', HOUSE, '--placement', 'leaderboard', '--image', BANNER, '--alt', 'A',
      '--url', 'ftp://example.com/'], /not an http:\/\/ or https:\/\/ address/],
    [2, ['creative', 'add', HOUSE, '--placement', 'popup', '--image', BANNER, '--alt', 'A',
      '--url', HOUSE_URL], /unknown placement 'popup'/],
    [2, ['creative', 'add', HOUSE, '--placement', 'leaderboard', '--image', BANNER, '--url',
      HOUSE_URL], /needs --alt/],
    [2, ['creative', 'add', HOUSE, '--placement', 'leaderboard', '--image', notImage, '--alt', 'A',
      '--url', HOUSE_URL], /not a PNG, JPEG, GIF, WebP or SVG image/],
    [2, ['creative', 'add', HOUSE, '--placement', 'leaderboard', '--image', big, '--alt', 'A',
      '--url', HOUSE_URL], /larger than 2 MiB/],
    [1, ['creative', 'add', HOUSE, '--placement', 'leaderboard', '--image',
      path.join(dir, 'missing.png'), '--alt', 'A', '--url', HOUSE_URL], /cannot read/],
    [1, ['creative', 'add', 'no-such-campaign', '--placement', 'leaderboard', '--image', BANNER,
      '--alt', 'A', '--url', HOUSE_URL], /no campaign no-such-campaign/],
    [2, ['creative', 'add', HOUSE, '--placement', 'leaderboard'], /either --image FILE or --html-file/],
    [1, ['creative', 'remove', '99999'], /no creative 99999/],
    [2, ['report', '--from', '2024-13-01'], /not a date/],
  ];
  for (const [status, args, message] of cases) {
    const r = ads(main, uploads, args, status);
    assert.match(errorLine(r), message, `ads ${args.join(' ')}`);
  }
  // Nothing was copied for the refused images, and the house campaign is as it was.
  assert.ok(!existsSync(path.join(uploads, 'ads')), 'refused files were stored');
  const list = ads(main, uploads, ['creative', 'list']).stdout;
  assert.equal((list.match(new RegExp(`^\\s+\\d+\\s+${HOUSE}\\s`, 'gm')) ?? []).length, 4, list);
});
