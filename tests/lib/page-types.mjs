// Every kind of HTML document the server sends, fetched once each for the markup and
// accessibility checks (http/html-valid.test.mjs, browser/a11y.test.mjs): the reader pages, each
// paywall variant of the article, the offers, every account page and its error and notice states,
// the message pages (mailed links used, expired forms, rate limits…), the error pages for each
// status the server answers with a page of its own, the listener's answer to what is not HTTP,
// and an HTML creative's ad frame.
//
// startPageTypesServer() starts a demo server with an SMTP sink (for the mailed links) and online
// checkout configured (a Stripe key and prices, so the offers show their Subscribe forms; no call
// ever reaches Stripe). collectPageTypes(env) walks through the flows and resolves with one
// document per page type:
//
//   {name, template, path, status, headers: {lowercase name: value}, body (text),
//    cookies: [{name, value}]}
//
// where `template` is the theme's page template that made it (null for the two documents of
// their own: the listener's answer and the ad frame), `path` is where a browser would have been
// (the form's action for a POST's answer) and `cookies` the reader's cookies at that moment
// (signed in, the meter, …), so a browser can show the very same document with the same reader
// around it.

import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { httpRequest, rawRequest, runCli, tmpDir } from './server.mjs';
import {
  startMailServer, Client, freshEmail, addUser, sql, linkIn, linkPath,
} from './accounts.mjs';
import {
  FREE, METERED, SUBSCRIBERS, REFERENCE_ARTICLE, SECTION_SLUGS, grant, orgAdd, rangeAdd,
  orgRemove,
} from './paywall.mjs';

const PASSWORD = 'lantern-harbour-quill';
const STRIPE_KEY = 'sk_test_page_types';

// Starts the server the page types are collected from: {srv, sink, uploads, stop()}. `args`:
// more options for `broadsheet serve`.
export async function startPageTypesServer({ args = [] } = {}) {
  const uploads = tmpDir('broadsheet-page-types-');
  let env;
  try {
    // The API address is a closed port: showing the offers never calls Stripe.
    env = await startMailServer({ args: ['--uploads', uploads, '--stripe-secret-key', STRIPE_KEY,
      '--stripe-api-url', 'http://127.0.0.1:9', ...args] });
  } catch (err) {
    rmSync(uploads, { recursive: true, force: true });
    throw err;
  }
  return {
    ...env,
    uploads,
    async stop() {
      try { await env.stop(); } finally { rmSync(uploads, { recursive: true, force: true }); }
    },
  };
}

function headersOf(res) {
  const out = {};
  res.headers.forEach((v, k) => { out[k] = v; });
  return out;
}

// `broadsheet ads …` on the server's database and uploads.
function ads(env, args) {
  const r = runCli(['ads', ...args, '--db', env.srv.db, '--uploads', env.uploads]);
  assert.equal(r.status, 0, `broadsheet ads ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r;
}

// Collects the documents; see the file's header.
export async function collectPageTypes(env) {
  const { srv, sink } = env;
  const pages = [];
  const names = new Set();

  // Records a Client response (or a raw one) as page type `name`, a page of `template` (null:
  // a document of its own), asserting its status.
  function keep(name, template, client, r, status, at) {
    assert.ok(!names.has(name), `page type ${name} twice`);
    names.add(name);
    const body = r.body === undefined ? '' : String(r.body);
    assert.equal(r.status, status, `${name}: status ${r.status}, expected ${status}\n${body.slice(0, 400)}`);
    const headers = r.res ? headersOf(r.res) : { ...r.headers };
    assert.match(headers['content-type'] ?? '', /^text\/html/, `${name}: Content-Type ${headers['content-type']}`);
    pages.push({ name, template, path: at, status, headers, body,
      cookies: client ? [...client.jar].map(([k, v]) => ({ name: k, value: v })) : [] });
  }
  // GETs `at` as `client` and keeps the answer.
  async function page(name, template, client, at, status = 200) {
    keep(name, template, client, await client.get(at), status, at);
  }
  // POSTs a form as `client` and keeps the answer, as the browser would show it at `at`.
  async function post(name, template, client, at, fields, status, options) {
    keep(name, template, client, await client.post(at, fields, options), status, at);
  }
  // A request over a raw socket (what fetch will not send), kept under `name`.
  async function raw(name, template, method, target, headers, body, status) {
    const r = await httpRequest(srv.port, method, target, headers, { body });
    keep(name, template, null, { status: r.status, headers: r.headers, body: r.body.toString('utf8') },
      status, target.length > 200 ? '/' : target);
  }

  // The monthly and annual plans sold online (a Stripe price each), the institutional one not.
  sql(srv.db, "UPDATE plans SET stripe_price_id = 'price_page_types' WHERE slug IN ('monthly', 'annual')");

  // --- reader pages, anonymous -------------------------------------------------------------------
  const anon = new Client(srv.url);
  await page('home', 'home', anon, '/');
  await page('section', 'section', anon, `/sections/${SECTION_SLUGS[0]}`);
  await page('publication (host)', 'publication', anon, '/publications/national-journal');
  await page('publication (syndicated)', 'publication', anon, '/publications/gsn');
  // The date archive (issue 12): its months, a year's, and a month's articles.
  {
    const month = /<a href="(\/archive\/\d{4}\/\d{2}\/)">/.exec((await anon.get('/archive/')).body)?.[1];
    assert.ok(month, 'the archive lists no month');
    await page('archive', 'archive', anon, '/archive/');
    await page('archive, a year', 'archive', anon, month.slice(0, '/archive/YYYY/'.length));
    await page('archive, a month', 'archive-month', anon, month);
  }
  await page('article, free', 'article', anon, FREE[0].path);
  await page('offers', 'offers', anon, '/offers');
  await page('offers, checkout canceled', 'offers', anon, '/offers?done=canceled');

  // The meter: the first metered read is in full with the meter's note, the fourth a preview.
  const metered = new Client(srv.url);
  await page('article, metered, in full (meter note)', 'article', metered, REFERENCE_ARTICLE.path);
  for (const a of METERED.slice(1, 3)) assert.equal((await metered.get(a.path)).status, 200);
  await page('article, metered, preview with the paywall', 'article', metered, METERED[3].path);
  await page('article, subscribers only, preview', 'article', new Client(srv.url), SUBSCRIBERS[0].path);

  // Authors and tags (issue 11): an author with a bio and links and a tag, both on a free
  // article, so that the article shows its byline's links and its tags.
  const tagged = FREE[1] ?? FREE[0];
  sql(srv.db, "INSERT INTO authors (slug, name, bio, bio_html, links, created_at) VALUES ('page-types-author', " +
    "'Page Types Author', 'Writes *tests*.', '<p>Writes <em>tests</em>.</p>', 'https://example.com/author', 1)");
  sql(srv.db, "INSERT INTO tags (slug, name, created_at) VALUES ('page-types-tag', 'Page Types Tag', 1)");
  sql(srv.db, `INSERT INTO article_authors (article_id, author_id) SELECT a.id, au.id FROM articles a, authors au
    WHERE a.slug = '${tagged.slug}' AND au.slug = 'page-types-author'`);
  sql(srv.db, `INSERT INTO article_tags (article_id, tag_id) SELECT a.id, t.id FROM articles a, tags t
    WHERE a.slug = '${tagged.slug}' AND t.slug = 'page-types-tag'`);
  await page('author', 'author', anon, '/authors/page-types-author');
  await page('tag', 'tag', anon, '/tags/page-types-tag');
  await page('article, free, with authors and tags', 'article', anon, tagged.path);

  // Readers' search (issue 12): the form, results with snippets and a pager, a message, a 400.
  await page('search, the form', 'search', anon, '/search');
  await page('search, results', 'search', anon, '/search?q=the&section=' + SECTION_SLUGS[0]);
  await page('search, nothing to search for', 'search', anon, '/search?q=%22');
  await page('search, a bad filter', 'search', anon, '/search?q=iran&from=2014-13-01', 400);

  // --- the account pages -------------------------------------------------------------------------
  await page('log in', 'login', anon, '/login');
  await page('log in, after a password reset', 'login', anon, '/login?done=reset&next=/account');
  await post('log in, wrong password', 'login', new Client(srv.url), '/login',
    { email: freshEmail('nobody'), password: 'not-the-password' }, 200);
  await page('register', 'register', anon, '/register');
  await post('register, with errors', 'register', new Client(srv.url), '/register',
    { email: 'not-an-address', name: '', password: 'short' }, 422, { from: '/register' });
  await page('forgot', 'forgot', anon, '/forgot');
  await post('forgot, invalid address', 'forgot', new Client(srv.url), '/forgot', { email: 'nope' }, 422,
    { from: '/forgot' });

  // Registering signs in and mails a verification link.
  const email = freshEmail('pages');
  const reader = new Client(srv.url, { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) page-types' });
  await reader.register(email, PASSWORD, 'Page Types Reader');
  await page('account, just registered (unverified)', 'account', reader, '/account?done=welcome');
  const verify = linkIn(await sink.waitFor(email, { pred: (m) => /\/verify\?token=/.test(m.text) }), '/verify');
  await page('verify, the confirm button', 'confirm', reader, linkPath(verify));
  await post('verify, done', 'message', reader, '/verify', { token: new URL(verify).searchParams.get('token') },
    200, { from: linkPath(verify) });
  await page('verify, link already used', 'message', reader, linkPath(verify), 410);
  await page('verify, link not valid', 'message', new Client(srv.url), '/verify?token=not-a-token', 400);
  await post('account, with a form error', 'account', reader, '/account/email',
    { email: freshEmail('other'), password: 'wrong-password-1' }, 422, { from: '/account' });
  await page('offers, signed in (Subscribe forms)', 'offers', reader, '/offers');
  await post('subscribe, plan not sold online', 'message', reader, '/subscribe', { plan: 'institutional' }, 400,
    { from: '/offers' });

  // A subscriber with a Stripe customer (so "Manage billing"), signed in on two devices.
  const subscriberEmail = freshEmail('subscriber');
  addUser(srv.db, subscriberEmail, PASSWORD, { name: 'Page Types Subscriber' });
  grant(srv.db, subscriberEmail, { plan: 'annual' });
  sql(srv.db, `UPDATE subscriptions SET stripe_customer_id = 'cus_page_types' WHERE user_id =
    (SELECT id FROM users WHERE email = '${subscriberEmail}')`);
  await new Client(srv.url, { userAgent: 'Other device' }).signIn(subscriberEmail, PASSWORD);
  const subscriber = new Client(srv.url, { userAgent: 'This device' });
  await subscriber.signIn(subscriberEmail, PASSWORD);
  await page('account, subscriber, two sessions', 'account', subscriber, '/account?done=name');
  await page('article, subscribers only, in full', 'article', subscriber, SUBSCRIBERS[0].path);

  // Resetting a password.
  const forgetful = freshEmail('forgetful');
  addUser(srv.db, forgetful, PASSWORD);
  await post('forgot, check your email', 'message', new Client(srv.url), '/forgot', { email: forgetful }, 200,
    { from: '/forgot' });
  const reset = linkPath(linkIn(await sink.waitFor(forgetful,
    { pred: (m) => /\/reset\?token=/.test(m.text) }), '/reset'));
  const resetter = new Client(srv.url);
  await page('reset, valid link', 'reset', resetter, reset);
  const token = new URL(reset, srv.url).searchParams.get('token');
  await post('reset, password too short', 'reset', resetter, '/reset', { token, password: 'short' }, 422,
    { from: reset });
  assert.equal((await resetter.post('/reset', { token, password: `${PASSWORD}-new` }, { from: reset })).status, 303);
  await post('reset, link already used', 'message', resetter, '/reset', { token, password: `${PASSWORD}-2` }, 410,
    { from: '/forgot' });
  await page('reset, link already used (opened)', 'message', resetter, reset, 410);
  // A token of the right shape that was never issued: "not valid", opened or posted.
  const unknown = 'A'.repeat(token.length);
  await page('reset, unknown token (opened)', 'message', new Client(srv.url), `/reset?token=${unknown}`, 400);
  await post('reset, unknown token (posted)', 'message', new Client(srv.url), '/reset',
    { token: unknown, password: `${PASSWORD}-3` }, 400, { from: '/forgot' });
  await page('reset, malformed link', 'message', new Client(srv.url), '/reset?token=not-a-token', 400);

  // Changing the email address: the new address's link opens a confirm page; the old address
  // then gets an undo link, whose button ends on the reset form with a notice.
  const mover = freshEmail('mover');
  addUser(srv.db, mover, PASSWORD);
  const moving = new Client(srv.url);
  await moving.signIn(mover, PASSWORD);
  const moved = freshEmail('moved');
  assert.equal((await moving.post('/account/email', { email: moved, password: PASSWORD },
    { from: '/account' })).status, 303);
  const change = linkPath(linkIn(await sink.waitFor(moved,
    { pred: (m) => /\/verify-email\?token=/.test(m.text) }), '/verify-email'));
  await page('email change, the confirm button', 'confirm', moving, change);
  await post('email change, done', 'message', moving, '/verify-email',
    { token: new URL(change, srv.url).searchParams.get('token') }, 200, { from: change });
  const undo = linkPath(linkIn(await sink.waitFor(mover,
    { pred: (m) => /\/restore-email\?token=/.test(m.text) }), '/restore-email'));
  const restorer = new Client(srv.url);
  await page('restore email, the confirm button', 'confirm', restorer, undo);
  await post('restore email, choose a new password', 'reset', restorer, '/restore-email',
    { token: new URL(undo, srv.url).searchParams.get('token') }, 200, { from: undo });

  // Deleting an account.
  const leaving = freshEmail('leaving');
  addUser(srv.db, leaving, PASSWORD);
  const leaver = new Client(srv.url);
  await leaver.signIn(leaving, PASSWORD);
  await post('account deleted', 'message', leaver, '/account/delete', { password: PASSWORD }, 200,
    { from: '/account' });

  // An institution's reader (this address, signed in without a subscription of their own), on
  // the article and the account page; then the institution goes, so that it changes nothing else.
  const memberEmail = freshEmail('member');
  addUser(srv.db, memberEmail, PASSWORD, { name: 'Page Types Member' });
  orgAdd(srv.db, 'page-types-org', 'Page Types Institute');
  rangeAdd(srv.db, 'page-types-org', '127.0.0.1/32');
  const member = new Client(srv.url);
  await member.signIn(memberEmail, PASSWORD);
  let r;
  for (let i = 0; i < 50; i++) { // the server picks the change up within a second
    r = await member.get(METERED[4].path);
    if (r.body.includes('Access provided by')) break;
    await new Promise((done) => setTimeout(done, 100));
  }
  keep('article, institution note', 'article', member, r, 200, METERED[4].path);
  await page('account, institution', 'account', member, '/account');
  orgRemove(srv.db, 'page-types-org');

  // --- message and error pages -------------------------------------------------------------------
  await post('403, expired form', 'message', new Client(srv.url), '/login',
    { email: 'a@example.test', password: PASSWORD }, 403, { csrf: 'stale-token' });
  // Three reset links per address asked about an hour; the fourth request is refused.
  const limited = new Client(srv.url);
  const asked = freshEmail('limited');
  for (let i = 0; i < 3; i++) {
    assert.equal((await limited.post('/forgot', { email: asked }, { from: '/forgot' })).status, 200);
  }
  await post('429, too many requests', 'error', limited, '/forgot', { email: asked }, 429, { from: '/forgot' });
  await page('404, no such page', 'error', anon, '/no/such/page', 404);
  await page('404, no such article', 'error', anon, '/articles/no-such-article', 404);
  const host = `127.0.0.1:${srv.port}`;
  await raw('400, bad percent-encoding', 'error', 'GET', '/articles/%zz', {}, undefined, 400);
  await raw('405, method not allowed', 'error', 'POST', '/', { 'Content-Type': 'application/x-www-form-urlencoded' },
    'a=1', 405);
  await raw('413, form too large', 'error', 'POST', '/login',
    { 'Content-Type': 'application/x-www-form-urlencoded' }, `a=${'x'.repeat(70_000)}`, 413);
  await raw('414, address too long', 'error', 'GET', `/articles/${'a'.repeat(3000)}`, {}, undefined, 414);
  await raw('415, form encoding not accepted', 'error', 'POST', '/login', { 'Content-Type': 'text/plain' },
    'a=1', 415);
  await raw('501, unknown method', 'error', 'BREW', '/', {}, undefined, 501);
  // Not HTTP at all: the listener's own answer.
  const garbage = await rawRequest(srv.port, `GARBAGE\r\nHost: ${host}\r\n\r\n`);
  keep('400, not an HTTP request', null, null,
    { status: garbage.status, headers: garbage.headers, body: garbage.body.toString('utf8') }, 400, '/');

  // --- an HTML creative's frame ------------------------------------------------------------------
  // A campaign that has not started: its frame is served, but no page shows it.
  const day = (offset) => new Date(Date.now() + offset * 86400_000).toISOString().slice(0, 10);
  ads(env, ['campaign', 'add', 'page-types-tag', '--name', 'An ad tag', '--start', day(300),
    '--end', day(400)]);
  const tagFile = path.join(env.uploads, 'tag.html');
  writeFileSync(tagFile, '<p class="tag">An ad tag\'s own markup. ' +
    '<a href="https://example.org/" target="_blank" rel="noopener">Find out more</a></p>');
  const added = ads(env, ['creative', 'add', 'page-types-tag', '--placement', 'sidebar',
    '--html-file', tagFile, '--width', '300', '--height', '250']);
  const id = Number(/added creative (\d+)/.exec(added.stdout)?.[1]);
  assert.ok(id > 0, added.stdout);
  await page('ad frame (HTML creative)', null, new Client(srv.url), `/ads/frame/${id}`);

  // The variants are what their names say.
  const SHOWS = {
    offers: 'Log in to subscribe',
    'offers, checkout canceled': 'Checkout was canceled',
    'author': '<p>Writes <em>tests</em>.</p>',
    'article, free, with authors and tags': 'rel="tag">Page Types Tag</a>',
    'offers, signed in (Subscribe forms)': '<button type="submit">Subscribe</button>',
    'article, metered, in full (meter note)': 'free articles left this month',
    'article, metered, preview with the paywall': 'You have reached your limit of free articles.',
    'article, subscribers only, preview': 'This article is for subscribers.',
    'article, subscribers only, in full': '<div class="paywalled">',
    'article, institution note': 'Access provided by Page Types Institute',
    'account, just registered (unverified)': 'Please verify your email address.',
    'account, subscriber, two sessions': 'Sign out everywhere else',
    'account, institution': 'Your organisation, Page Types Institute, provides your access.',
    'account, with a form error': 'class="alert alert-error"',
    'register, with errors': 'Please correct the fields marked below.',
    'log in, wrong password': 'The email or password is incorrect.',
    'restore email, choose a new password': 'email address again, and every device',
  };
  for (const [name, text] of Object.entries(SHOWS)) {
    const p = pages.find((x) => x.name === name);
    assert.ok(p?.body.includes(text), `page type ${name}: no ${JSON.stringify(text)} in it`);
  }
  return pages;
}

// Runs the ad tag campaign of collectPageTypes from yesterday and removes the demo's house
// campaign, so that the sidebar of every article holds the HTML creative, in its frame, and the
// other slots stay empty. For the end of a test file: it changes every page's ads.
export function runAdTagOnly(env) {
  const day = (offset) => new Date(Date.now() + offset * 86400_000).toISOString().slice(0, 10);
  ads(env, ['campaign', 'add', 'page-types-tag', '--start', day(-1), '--end', day(1)]);
  ads(env, ['campaign', 'remove', 'gsn-newsletter']);
}
