// "Learn More »" and the offers page (issue 4, "Learn More and subscribing" 1): the prompt's two
// links (Learn More » to /offers, Log in back to the article), the offers page listing the demo
// plans from the database in order with name, price, period and benefits (institutional:
// "Contact us"), a plan changed with `broadsheet plan …` showing up without a restart, and
// "Log in" from the prompt bringing the reader back to the article. Checkout with Stripe is
// tested in stripe*.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, demoDir } from '../lib/server.mjs';
import { csrfIn, inputTag } from '../lib/accounts.mjs';
import { textOf, attr, decodeEntities } from '../lib/util.mjs';
import {
  SUBSCRIBERS, METERED, PASSWORD, Reader, raw, anchors, assertPreview, assertFull, cli, grant,
  eventually, leaks,
} from '../lib/paywall.mjs';
import { addUser, freshEmail } from '../lib/accounts.mjs';

const PLANS = JSON.parse(readFileSync(path.join(demoDir, 'newsroom.json'), 'utf8')).plans;

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

function price(cents) { return `$${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`; }

test('the preview\'s "Learn More »" leads to the offers page, which lists the demo plans', { timeout: 30_000 }, async () => {
  const reader = new Reader(srv.url);
  const a = SUBSCRIBERS[0];
  const p = await reader.read(a);
  assertPreview(p, a);
  const learn = anchors(p.body).find((l) => l.text === 'Learn More »');
  assert.equal(learn?.href, '/offers');
  const offers = await reader.get(learn.href);
  assert.equal(offers.status, 200, `GET /offers: ${offers.status}`);
  assert.match(offers.headers.get('content-type') ?? '', /^text\/html/);
  const text = textOf(offers.body);
  assert.match(offers.body, /<h1\b[^>]*>/, 'no heading on the offers page');

  // Every demo plan, in the demo's order, with its price, period and benefits.
  let at = -1;
  for (const plan of PLANS) {
    const i = text.indexOf(plan.name, at + 1);
    assert.ok(i > at, `plan "${plan.name}" missing or out of order on /offers:\n${text.slice(0, 3000)}`);
    at = i;
    for (const b of plan.benefits) assert.ok(text.includes(b), `benefit "${b}" of ${plan.slug} missing`);
    assert.ok(text.includes(plan.description), `description of ${plan.slug} missing`);
  }
  assert.ok(text.includes('$12.99'), 'no "$12.99" on /offers');
  assert.ok(text.includes('per month'), 'no "per month" on /offers');
  assert.ok(text.includes('$129.00'), 'no "$129.00" on /offers');
  assert.ok(text.includes('per year'), 'no "per year" on /offers');
  assert.match(text, /Contact us/i, 'no "Contact us" for the institutional plan');
  for (const plan of PLANS.filter((x) => x.period !== 'contact')) {
    const period = plan.period === 'month' ? 'per month' : 'per year';
    const section = text.slice(text.indexOf(plan.name), text.indexOf(plan.name) + 600);
    assert.ok(section.includes(price(plan.price_cents)), `${plan.slug}: ${price(plan.price_cents)} not near its name: ${section}`);
    assert.ok(section.includes(period), `${plan.slug}: "${period}" not near its name: ${section}`);
  }
  const inst = PLANS.find((x) => x.period === 'contact');
  const instSection = text.slice(text.indexOf(inst.name));
  assert.match(instSection.slice(0, 800), /Contact us/i, 'the institutional plan has no "Contact us"');
  assert.ok(!/\$\d/.test(instSection.slice(0, instSection.indexOf(inst.benefits.at(-1)))),
    'the institutional plan shows a price');
  // Nothing paywalled on the offers page.
  for (const m of [...METERED, ...SUBSCRIBERS]) assert.deepEqual(leaks(offers.body, m), []);
});

test('/offers answers HEAD and gzip, for anonymous and signed-in readers', { timeout: 30_000 }, async () => {
  const h = await raw(srv.port, 'HEAD', '/offers');
  assert.equal(h.status, 200);
  assert.equal(h.body.length, 0);
  const gz = await raw(srv.port, 'GET', '/offers', { 'Accept-Encoding': 'gzip' });
  assert.equal(gz.status, 200);
  assert.ok(textOf(gz.html).includes('$12.99'));
  const email = freshEmail('offers');
  addUser(srv.db, email, PASSWORD);
  const reader = new Reader(srv.url);
  await reader.signIn(email, PASSWORD);
  const r = await reader.get('/offers');
  assert.equal(r.status, 200);
  assert.ok(textOf(r.body).includes('$12.99'));
});

test('plans edited with `broadsheet plan add` / `plan remove` show on /offers without a restart', { timeout: 30_000 }, async () => {
  cli(srv.db, ['plan', 'add', 'student', '--name', 'Student Digital', '--period', 'month', '--price', '4.99',
    '--description', 'For students with a school address.', '--benefit', 'Every article, at a student price']);
  const shown = await eventually(async () => {
    const r = await new Reader(srv.url).get('/offers');
    return textOf(r.body).includes('Student Digital') ? r : null;
  }, 'the new plan never showed on /offers');
  const text = textOf(shown.body);
  assert.ok(text.includes('$4.99'), 'the new plan\'s price is missing');
  assert.ok(text.includes('Every article, at a student price'));
  assert.ok(text.indexOf('Student Digital') > text.indexOf(PLANS.at(-1).name), 'a new plan does not go last');

  cli(srv.db, ['plan', 'add', 'monthly', '--name', 'National Journal Digital', '--period', 'month', '--price', '13.49']);
  await eventually(async () => textOf((await new Reader(srv.url).get('/offers')).body).includes('$13.49'),
    'the changed price never showed');
  cli(srv.db, ['plan', 'remove', 'student']);
  await eventually(async () => !textOf((await new Reader(srv.url).get('/offers')).body).includes('Student Digital'),
    'the removed plan is still on /offers');
  cli(srv.db, ['plan', 'add', 'monthly', '--name', 'National Journal Digital', '--period', 'month', '--price', '12.99']);
});

test('"Already a subscriber? Log in" goes to the log-in form with next=the article, and back to it in full', { timeout: 30_000 }, async () => {
  const email = freshEmail('prompt-login');
  addUser(srv.db, email, PASSWORD);
  grant(srv.db, email);
  const a = SUBSCRIBERS[1];
  const reader = new Reader(srv.url);
  const p = await reader.read(a);
  assertPreview(p, a);
  const link = anchors(p.body).find((l) => l.href?.startsWith('/login?next='));
  assert.equal(link?.href, `/login?next=${a.path}`);
  const form = await reader.get(link.href);
  assert.equal(form.status, 200);
  const next = inputTag(form.body, 'next') ?? [...form.body.matchAll(/<input\b[^>]*>/gi)]
    .map((m) => m[0]).find((t) => attr(t, 'name') === 'next');
  assert.ok(next, 'no next field on the log-in form');
  assert.equal(decodeEntities(attr(next, 'value') ?? ''), a.path, 'the log-in form lost the article');
  const r = await reader.post('/login', { email, password: PASSWORD, next: a.path }, { csrf: csrfIn(form.body) });
  assert.equal(r.status, 303, `log in: ${r.status}`);
  assert.equal(new URL(r.location, srv.url).pathname, a.path, `log in redirected to ${r.location}`);
  assertFull(await reader.read(a), a, 'back on the article as a subscriber');
});
