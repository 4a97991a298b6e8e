// Kills and corrections (issue 13, "Embargo, corrections, kills"), driven as the demo's editor
// drives them. A kill, after a confirmation that says what it does and with a required reason:
// the article's page (viewed first, so cached) answers 410 Gone with a short notice and no word
// of it, on this node and on another one on the same database, again and again; it leaves the
// home page, its section and publication, every feed, the sitemaps, search, the archive, its tag
// and the most-read box; partners get a version with pubstatus canceled, an ednote with "Do not
// use" and the reason, and no body; and the killed article cannot be saved, published,
// unpublished, scheduled, sent back to draft, deleted or killed again (each refused, nothing
// changed). Bad input (no reason, only spaces, too long, not UTF-8, a stale version, a writer, no
// CSRF token) is refused with nothing changed. A correction gives partners a new version with
// ednote "Correction: …" while items/ID/versions/N keeps the older one as it was. The new pages
// and the 410 page are valid HTML. On the backend BROADSHEET_TEST_PG_DIR picks, like the suite.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { HtmlValidate, FileSystemConfigLoader } from 'html-validate';
import { startServer, repoRoot } from '../lib/server.mjs';
import { Client, sql } from '../lib/accounts.mjs';
import { textOf } from '../lib/util.mjs';
import { demoKey, apiGet, walk, itemId } from '../lib/partner.mjs';
import {
  demoStaff, create, row, snapshot, act, local, now, channels, listedAt, everywhere, eventually,
  linksTo,
} from '../lib/partners-site.mjs';

let srv;
let editor;
let writer;
let key;

before(async () => {
  // staff: demoStaff signs in as the demo's editor and writer
  srv = await startServer({ args: ['--most-read-refresh-seconds', '1'], staff: true });
  editor = await demoStaff(srv, 'editor');
  writer = await demoStaff(srv, 'writer');
  key = demoKey(srv);
});
after(async () => { await srv?.stop(); });

const WITHDRAWN = 'This article has been withdrawn';

// Creates and publishes an article in GSN whose headline, body and tag carry word; returns
// { id, slug, headline, body }.
async function published(word, over = {}) {
  const headline = `${word} inspectors report`;
  const body = `The ${word} inspectors filed their findings on Tuesday.\n\nThe ${word} report names three sites.`;
  const id = await create(editor, srv.db, { headline, body_markdown: body, tags: `Kill ${word}`, ...over });
  const r = await act(editor, srv.db, id, 'publish');
  assert.equal(r.status, 303, `publish: ${r.status}`);
  return { id, slug: row(srv.db, id).slug, headline, body };
}

// The home page's most-read box (between its splice markers), as a reader gets it.
async function mostReadBox(base = srv.url) {
  const html = (await new Client(base).get('/')).body;
  const m = /<!--most-read-->([\s\S]*?)<!--\/most-read-->/.exec(html);
  assert.ok(m, 'the home page has the most-read markers');
  return m[1];
}

// A reader's GET (or HEAD) of the article's page: { status, body }.
async function readerGet(slug, method = 'GET', base = srv.url) {
  const r = await new Client(base).request(method, `/articles/${slug}`);
  return { status: r.status, body: r.body };
}

// Asserts a 410 page says the article was withdrawn and nothing of it.
function assertGone(page, art, word, what) {
  assert.equal(page.status, 410, `${what}: ${page.status}`);
  const text = textOf(page.body);
  assert.match(text, new RegExp(`${WITHDRAWN}\\.?`), `${what}: the notice`);
  assert.ok(!page.body.includes(word), `${what}: a word of the article (${word}) is on the 410 page`);
  assert.ok(!linksTo(page.body, art.slug), `${what}: the 410 page links to the article`);
}

test('a kill: 410 at once and for good, gone from every list and the most-read box, canceled for partners, and read-only after', { timeout: 90_000 }, async () => {
  const word = `Pangolin${process.pid}`;
  const art = await published(word);
  const list = channels(srv.db, { tagSlug: `kill-${word.toLowerCase()}`, word });

  // Readers have it everywhere, and its page and the home page are cached (viewed twice), and
  // it is read enough to be in the most-read box.
  for (let i = 0; i < 3; i++) assert.equal((await readerGet(art.slug)).status, 200);
  assert.deepEqual(await eventually(() => listedAt(srv.url, list, art.slug), everywhere(list, true)),
    everywhere(list, true));
  assert.equal(await eventually(async () => linksTo(await mostReadBox(), art.slug), true, 5000), true,
    'the most-read box shows it');
  const { next: cursor, items: before } = await walk(srv.url, key);
  const usable = before.filter((i) => itemId(i) === art.id).at(-1);
  assert.equal(usable.pubstatus, 'usable');
  assert.ok(usable.bodies[0].value.includes('names three sites'));

  // The confirmation says what a kill does, and asks why.
  const confirm = await editor.get(`/newsroom/articles/${art.id}/kill`);
  assert.equal(confirm.status, 200);
  const said = textOf(confirm.body);
  assert.match(said, /410 Gone/);
  assert.match(said, /leaves every listing/);
  assert.match(said, /canceled/);
  assert.match(said, /no longer be edited, published, unpublished or deleted/);
  assert.match(confirm.body, /<textarea id="kill_note" name="kill_note"[^>]*required>/);
  // The editor links to it.
  assert.match((await editor.get(`/newsroom/articles/${art.id}`)).body,
    new RegExp(`href="/newsroom/articles/${art.id}/kill" id="kill-link"`));

  // Bad input: refused, nothing changed.
  const was = snapshot(srv.db, art.id);
  const version = row(srv.db, art.id).version;
  const refusals = [
    [{ kill_note: '' }, 422, /Say why it is killed/],
    [{ kill_note: ' \n\t ' }, 422, /Say why it is killed/],
    [{ kill_note: 'é'.repeat(500) + 'x' }, 422, /too long/],
    [{ kill_note: 'Legal', version: version - 1 }, 409, /Changed by .* since you opened it: nothing was done/],
    [{ kill_note: 'Legal', version: 'x' }, 400, null],
  ];
  for (const [extra, status, words] of refusals) {
    const r = await act(editor, srv.db, art.id, 'kill', extra);
    assert.equal(r.status, status, `${JSON.stringify(extra).slice(0, 80)}: ${r.status}`);
    if (words) assert.match(textOf(r.body), words);
    assert.equal(snapshot(srv.db, art.id), was);
  }
  // Not UTF-8 (a raw form body), no CSRF token, a writer: refused too.
  const token = await editor.csrf('/newsroom');
  let r = await editor.post(`/newsroom/articles/${art.id}/kill`, `version=${version}&kill_note=Legal%FF%FE`, { csrf: token });
  assert.equal(r.status, 422);
  assert.match(textOf(r.body), /not valid text/);
  r = await editor.post(`/newsroom/articles/${art.id}/kill`, { version, kill_note: 'Legal' }, { csrf: false });
  assert.equal(r.status, 403);
  r = await act(writer, srv.db, art.id, 'kill', { kill_note: 'Legal' });
  assert.equal(r.status, 403);
  assert.equal((await writer.get(`/newsroom/articles/${art.id}/kill`)).status, 403);
  assert.equal(snapshot(srv.db, art.id), was);
  assert.equal((await readerGet(art.slug)).status, 200, 'still on the site after the refusals');

  // The kill.
  const reason = `A court order of ${now()} bars publication; the ${word} sources are at risk.`;
  r = await act(editor, srv.db, art.id, 'kill', { kill_note: reason });
  assert.equal(r.status, 303, `kill: ${r.status} ${textOf(r.body).slice(0, 300)}`);
  assert.equal(r.location, `/newsroom/articles/${art.id}?done=killed`);
  const killed = row(srv.db, art.id);
  assert.equal(killed.state, 'unpublished');
  assert.ok(killed.killedAt > 0);
  assert.equal(killed.killNote, reason);
  assert.equal(sql(srv.db, `SELECT count(*) FROM audit_log WHERE article_id = ${art.id} AND action = 'article.kill'`), '1');

  // Readers: 410 within a tick (the cached page and facts are dropped), with the notice and
  // nothing of the article; again on the next request, and to HEAD.
  assert.equal(await eventually(async () => (await readerGet(art.slug)).status, 410, 2000), 410);
  assertGone(await readerGet(art.slug), art, word, 'the first 410');
  assertGone(await readerGet(art.slug), art, word, 'the second 410');
  assert.equal((await readerGet(art.slug, 'HEAD')).status, 410);
  assert.deepEqual(await eventually(() => listedAt(srv.url, list, art.slug), everywhere(list, false)),
    everywhere(list, false));
  assert.equal(await eventually(async () => linksTo(await mostReadBox(), art.slug), false, 5000), false,
    'the most-read box dropped it');
  // An article that never existed is still 404.
  assert.equal((await readerGet(`no-such-${word.toLowerCase()}`)).status, 404);

  // Partners: the next page holds a canceled version saying why, with no body; items/ID is it.
  const after = (await walk(srv.url, key, { after: cursor })).items.filter((i) => itemId(i) === art.id);
  assert.equal(after.length, 1, JSON.stringify(after));
  const [canceled] = after;
  assert.equal(canceled.pubstatus, 'canceled');
  assert.equal(canceled.version, String(killed.version));
  assert.match(canceled.ednote, /Do not use/);
  assert.ok(canceled.ednote.includes(reason), canceled.ednote);
  assert.equal(canceled.bodies, undefined);
  assert.ok(!JSON.stringify(canceled).includes('names three sites'));
  const current = await apiGet(srv.url, key, `/items/${art.id}`);
  assert.equal(current.status, 200);
  assert.equal(current.json.version, canceled.version);
  assert.equal(current.json.pubstatus, 'canceled');

  // The newsroom: "Killed" with when, by whom and why, in the editor (read-only) and the list.
  const page = await editor.get(r.location);
  assert.equal(page.status, 200);
  assert.match(page.body, /<span class="state-badge state-badge-killed" id="article-state">killed<\/span>/);
  const note = textOf(/<div class="alert alert-error" role="status" id="article-killed">([\s\S]*?)<\/div>/.exec(page.body)?.[1] ?? '');
  assert.match(note, /Killed .* UTC by Demo Editor\. Why, as partners were told:/);
  assert.ok(note.includes(reason), note);
  assert.match(page.body, /<fieldset class="editor-fields" disabled>/);
  assert.doesNotMatch(page.body, /id="save"|formaction=|\/delete"|id="kill-link"/);
  assert.match(textOf(page.body), /Killed: its page answers 410 Gone/);
  const nr = await editor.get(`/newsroom?q=${word}`);
  assert.match(nr.body, new RegExp(`data-article="${art.id}"[\\s\\S]*?state-badge-killed">killed</span>`));

  // Nothing more can be done to it: each refused, nothing changed.
  const dead = snapshot(srv.db, art.id);
  for (const [action, extra] of [['save', {}], ['publish', {}], ['unpublish', {}], ['draft', {}],
    ['schedule', { publish_at: local(now() + 3600) }], ['schedule', { publish_at: local(now() + 3600), embargo: '1' }],
    ['delete', {}], ['kill', { kill_note: 'Again' }]]) {
    const refused = await act(editor, srv.db, art.id, action, extra);
    assert.equal(refused.status, 403, `${action} of a killed article: ${refused.status}`);
    assert.equal(snapshot(srv.db, art.id), dead, `${action} changed the killed article`);
  }
  // Nor is an older revision restored onto it: no restore button, and the POST refused.
  const revisions = await editor.get(`/newsroom/articles/${art.id}/revisions`);
  assert.equal(revisions.status, 200);
  assert.doesNotMatch(revisions.body, /\/restore"/);
  r = await editor.post(`/newsroom/articles/${art.id}/revisions/1/restore`, { version: String(killed.version) },
    { csrf: await editor.csrf('/newsroom') });
  assert.equal(r.status, 403, `restore onto a killed article: ${r.status}`);
  assert.equal(snapshot(srv.db, art.id), dead);
  // A correction is for a published article only.
  r = await editor.post(`/newsroom/articles/${art.id}/corrections`, { text: 'Fixed a name.' },
    { from: `/newsroom/articles/${art.id}/corrections` });
  assert.equal(r.status, 409);
  assert.equal(snapshot(srv.db, art.id), dead);
  assert.equal((await readerGet(art.slug)).status, 410);
});

test('a kill reaches another node on the same database: its cached page answers 410', { timeout: 60_000 }, async () => {
  const word = `Okapi${process.pid}`;
  const art = await published(word);
  const other = await startServer({ db: srv.db, demo: false });
  try {
    for (let i = 0; i < 2; i++) assert.equal((await readerGet(art.slug, 'GET', other.url)).status, 200);
    assert.ok(linksTo((await new Client(other.url).get('/')).body, art.slug), 'the other node lists it');
    const r = await act(editor, srv.db, art.id, 'kill', { kill_note: 'Withdrawn: a factual error we cannot correct.' });
    assert.equal(r.status, 303);
    assert.equal(await eventually(async () => (await readerGet(art.slug, 'GET', other.url)).status, 410, 5000), 410);
    assertGone(await readerGet(art.slug, 'GET', other.url), art, word, 'the other node');
    assert.equal(await eventually(async () => linksTo((await new Client(other.url).get('/')).body, art.slug), false, 5000),
      false, 'the other node no longer lists it');
  } finally {
    await other.stop();
  }
});

test('a kill of a scheduled article under embargo: partners are told; a plain scheduled one they never had', { timeout: 30_000 }, async () => {
  const word = `Tapir${process.pid}`;
  const { next: cursor } = await walk(srv.url, key);
  const embargoed = await create(editor, srv.db, { headline: `${word} embargoed` });
  assert.equal((await act(editor, srv.db, embargoed, 'schedule', { publish_at: local(now() + 3600), embargo: '1' })).status, 303);
  const plain = await create(editor, srv.db, { headline: `${word} scheduled` });
  assert.equal((await act(editor, srv.db, plain, 'schedule', { publish_at: local(now() + 3600) })).status, 303);
  for (const id of [embargoed, plain]) {
    assert.equal((await editor.get(`/newsroom/articles/${id}/kill`)).status, 200);
    const r = await act(editor, srv.db, id, 'kill', { kill_note: 'Spiked before release.' });
    assert.equal(r.status, 303);
    assert.equal((await readerGet(row(srv.db, id).slug)).status, 410);
  }
  const items = (await walk(srv.url, key, { after: cursor })).items;
  const told = items.filter((i) => itemId(i) === embargoed);
  assert.deepEqual(told.map((i) => i.pubstatus), ['usable', 'canceled']);
  assert.match(told[1].ednote, /Spiked before release\./);
  assert.deepEqual(items.filter((i) => itemId(i) === plain), []);
  // A draft was never published: there is nothing to kill.
  const draft = await create(editor, srv.db, { headline: `${word} draft` });
  const was = snapshot(srv.db, draft);
  assert.equal((await editor.get(`/newsroom/articles/${draft}/kill`)).status, 403);
  assert.equal((await act(editor, srv.db, draft, 'kill', { kill_note: 'No.' })).status, 403);
  assert.equal(snapshot(srv.db, draft), was);
});

test('a correction is a new version for partners, with its ednote; the older versions stay as they were', { timeout: 30_000 }, async () => {
  const word = `Axolotl${process.pid}`;
  const art = await published(word);
  const { next: cursor, items: before } = await walk(srv.url, key);
  const original = before.filter((i) => itemId(i) === art.id).at(-1);
  assert.equal(original.pubstatus, 'usable');
  assert.equal(original.ednote, undefined);

  // The editor fixes the text, then adds the correction that says so.
  let r = await act(editor, srv.db, art.id, 'save', {
    headline: art.headline, tags: `Kill ${word}`,
    body_markdown: art.body.replace('three sites', 'four sites'),
  });
  assert.equal(r.status, 303);
  const text = `An earlier version said three sites; the report names four.`;
  r = await editor.post(`/newsroom/articles/${art.id}/corrections`, { text },
    { from: `/newsroom/articles/${art.id}/corrections` });
  assert.equal(r.status, 303, `correction: ${r.status} ${textOf(r.body).slice(0, 300)}`);

  const versions = (await walk(srv.url, key, { after: cursor })).items.filter((i) => itemId(i) === art.id);
  const corrected = versions.at(-1);
  assert.equal(corrected.pubstatus, 'usable');
  assert.equal(corrected.ednote, `Correction: ${text}`);
  assert.ok(corrected.bodies[0].value.includes('four sites'));
  assert.ok(Number(corrected.version) > Number(original.version));
  const current = await apiGet(srv.url, key, `/items/${art.id}`);
  assert.equal(current.json.version, corrected.version);
  assert.equal(current.json.ednote, `Correction: ${text}`);
  // The version partners had before is served as it was: its text, no ednote.
  const old = await apiGet(srv.url, key, `/items/${art.id}/versions/${original.version}`);
  assert.equal(old.status, 200);
  assert.equal(old.json.version, original.version);
  assert.equal(old.json.ednote, undefined);
  assert.ok(old.json.bodies[0].value.includes('three sites'));
  assert.ok(!old.json.bodies[0].value.includes('four sites'));
  assert.deepEqual(old.json.headlines, original.headlines);
  // The reader's page shows the correction.
  assert.match(textOf((await readerGet(art.slug)).body), new RegExp(text.replace(/[.;]/g, '.')));
});

test('the kill pages, the killed editor and list, and the 410 page are valid HTML (html-validate)', { timeout: 30_000 }, async () => {
  const validator = new HtmlValidate(new FileSystemConfigLoader());
  const word = `Quoll${process.pid}`;
  const art = await published(word);
  const pages = {};
  pages['kill-confirm'] = (await editor.get(`/newsroom/articles/${art.id}/kill`)).body;
  const refused = await act(editor, srv.db, art.id, 'kill', { kill_note: '' });
  assert.equal(refused.status, 422);
  pages['kill-refused'] = refused.body;
  const stale = await act(editor, srv.db, art.id, 'kill', { kill_note: 'Why', version: 1 });
  assert.equal(stale.status, 409);
  pages['kill-stale'] = stale.body;
  assert.equal((await act(editor, srv.db, art.id, 'kill', { kill_note: 'Legal advice.' })).status, 303);
  pages['killed-editor'] = (await editor.get(`/newsroom/articles/${art.id}?done=killed`)).body;
  pages['killed-list'] = (await editor.get(`/newsroom?q=${word}`)).body;
  assert.match(pages['killed-list'], /state-badge-killed/);
  const gone = await eventually(async () => (await readerGet(art.slug)).status, 410, 2000);
  assert.equal(gone, 410);
  pages['article-410'] = (await readerGet(art.slug)).body;
  for (const [name, body] of Object.entries(pages)) {
    const report = await validator.validateString(body, path.join(repoRoot, 'tests', `${name}.html`));
    const messages = report.results.flatMap((x) => x.messages).map((m) => `${m.line}:${m.column} ${m.ruleId}: ${m.message}`);
    assert.equal(report.valid, true, `${name}:\n${messages.join('\n')}`);
  }
});
