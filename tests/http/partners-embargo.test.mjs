// Embargoes (issue 13, "Embargo, corrections, kills"), driven as the demo's editor drives them:
// scheduling with the editor's "Embargo" box sends the article to partners at once, with ninjs
// `embargoed` set to its time and pubstatus usable, while readers see nothing of it (404, and
// absent from the home page, its section and publication, every feed, the sitemaps, search, the
// archive and its tag) until the scheduler publishes it at that time; partners then get a new
// version without `embargoed`. Who may embargo is who may schedule; a time not in the future is
// refused with nothing changed; the newsroom's list and editor say "Embargoed until TIME", and
// those pages are valid HTML. On the backend BROADSHEET_TEST_PG_DIR picks, like the suite.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { HtmlValidate, FileSystemConfigLoader } from 'html-validate';
import { startServer, repoRoot } from '../lib/server.mjs';
import { Client, sql } from '../lib/accounts.mjs';
import { textOf } from '../lib/util.mjs';
import { demoKey, apiGet, walk, itemId } from '../lib/partner.mjs';
import {
  demoStaff, create, row, snapshot, act, fields, local, rfc3339, now, channels, listedAt,
  everywhere, eventually,
} from '../lib/partners-site.mjs';

let srv;
let editor;
let writer;
let key;

before(async () => {
  srv = await startServer({ staff: true }); // demoStaff signs in as the demo's editor and writer
  editor = await demoStaff(srv, 'editor');
  writer = await demoStaff(srv, 'writer');
  key = demoKey(srv);
});
after(async () => { await srv?.stop(); });

const tag = (word) => `Embargo ${word}`;
const tagSlug = (word) => `embargo-${word.toLowerCase()}`;

// The partner's items for article id after cursor (walks to the end).
async function itemsOf(id, after) {
  const { items, next } = await walk(srv.url, key, { after });
  return { items: items.filter((i) => itemId(i) === id), next };
}

test('an embargoed article: partners have it at once with embargoed set; readers nothing until its time, then everything', { timeout: 90_000 }, async () => {
  const word = `Quokka${process.pid}`;
  const { next: start } = await walk(srv.url, key);
  const id = await create(editor, srv.db, {
    headline: `${word} treaty talks resume`, tags: tag(word), access: 'metered',
    body_markdown: `The ${word} delegations met again.\n\nA second paragraph of the story.`,
  });
  const { slug } = row(srv.db, id);
  const list = channels(srv.db, { tagSlug: tagSlug(word), word });

  const at = now() + 8;
  const r = await act(editor, srv.db, id, 'schedule', { ...fields(srv.db, {
    headline: `${word} treaty talks resume`, tags: tag(word), access: 'metered',
    body_markdown: `The ${word} delegations met again.\n\nA second paragraph of the story.`,
  }), publish_at: local(at), embargo: '1' });
  assert.equal(r.status, 303, `embargo: ${r.status} ${textOf(r.body).slice(0, 400)}`);
  assert.equal(r.location, `/newsroom/articles/${id}?done=embargoed`);
  const stored = row(srv.db, id);
  assert.equal(stored.state, 'scheduled');
  assert.equal(stored.embargoed, 1);
  assert.equal(stored.publishedAt, at);
  assert.equal(sql(srv.db, `SELECT count(*) FROM audit_log WHERE article_id = ${id} AND action = 'article.embargo'`), '1');

  // The newsroom says so, in the editor (with the box ticked) and in the list.
  const page = await editor.get(r.location);
  assert.equal(page.status, 200);
  const until = /<span class="embargo-note" id="article-embargo">Embargoed until ([^<]+)<\/span>/.exec(page.body);
  assert.ok(until, 'the editor says "Embargoed until"');
  assert.match(until[1], / UTC$/);
  assert.match(page.body, /<input type="checkbox" id="embargo" name="embargo" value="1"[^>]* checked>/);
  assert.match(textOf(page.body), /Embargoed: partners have it now/);
  const nr = await editor.get(`/newsroom?q=${word}`);
  assert.match(nr.body, new RegExp(`data-article="${id}"[\\s\\S]*?Embargoed until ${until[1]}`));

  // Readers: nothing, anywhere, before its time.
  assert.equal((await new Client(srv.url).get(`/articles/${slug}`)).status, 404);
  assert.equal((await new Client(srv.url).request('HEAD', `/articles/${slug}`)).status, 404);
  assert.deepEqual(await listedAt(srv.url, list, slug), everywhere(list, false));
  assert.ok(now() < at, 'the checks before the embargo ran before its time (make it later if this fails)');

  // The partner: at once, usable, embargoed until the time, in full (NTI's product is GSN).
  const early = await itemsOf(id, start);
  assert.equal(early.items.length, 1, `one version so far: ${JSON.stringify(early.items)}`);
  const [first] = early.items;
  assert.equal(first.pubstatus, 'usable');
  assert.equal(first.embargoed, rfc3339(at));
  assert.equal(first.version, String(stored.version));
  assert.equal(first.headlines[0].value, `${word} treaty talks resume`);
  assert.match(first.bodies[0].value, /A second paragraph of the story/);
  const byId = await apiGet(srv.url, key, `/items/${id}`);
  assert.equal(byId.status, 200);
  assert.equal(byId.json.embargoed, rfc3339(at));
  assert.equal(byId.json.version, first.version);

  // At its time the scheduler (the server's tick) publishes it: the page, then every list.
  const shown = await eventually(async () => (await new Client(srv.url).get(`/articles/${slug}`)).status,
    200, (at - now() + 10) * 1000);
  assert.equal(shown, 200, 'published at its time');
  assert.ok(now() >= at, 'not before its time');
  const published = row(srv.db, id);
  assert.equal(published.state, 'published');
  assert.equal(published.embargoed, 0);
  assert.equal(published.publishedAt, at);
  const want = everywhere(list, true);
  assert.deepEqual(await eventually(() => listedAt(srv.url, list, slug), want), want);

  // The partner: a new version, usable, without embargoed.
  const later = await itemsOf(id, early.next);
  assert.equal(later.items.length, 1, `one new version: ${JSON.stringify(later.items)}`);
  const [second] = later.items;
  assert.equal(second.pubstatus, 'usable');
  assert.equal(second.embargoed, undefined);
  assert.equal(second.version, String(published.version));
  assert.ok(Number(second.version) > Number(first.version));
  const latest = await apiGet(srv.url, key, `/items/${id}`);
  assert.equal(latest.json.version, second.version);
  assert.equal(latest.json.embargoed, undefined);
  // The embargoed version stays as it was.
  const old = await apiGet(srv.url, key, `/items/${id}/versions/${first.version}`);
  assert.equal(old.status, 200);
  assert.equal(old.json.embargoed, rfc3339(at));
});

test('scheduling without the box is no embargo: partners get nothing before it is published', { timeout: 30_000 }, async () => {
  const word = `Wombat${process.pid}`;
  const { next: start } = await walk(srv.url, key);
  const id = await create(editor, srv.db, { headline: `${word} plain schedule` });
  const r = await act(editor, srv.db, id, 'schedule', { publish_at: local(now() + 3600) });
  assert.equal(r.status, 303);
  assert.equal(r.location, `/newsroom/articles/${id}?done=scheduled`);
  assert.equal(row(srv.db, id).embargoed, 0);
  assert.deepEqual((await walk(srv.url, key, { after: start })).items.filter((i) => itemId(i) === id), []);
  assert.equal((await apiGet(srv.url, key, `/items/${id}`)).status, 404);
  const page = await editor.get(`/newsroom/articles/${id}`);
  assert.doesNotMatch(page.body, /Embargoed until/);
  assert.doesNotMatch(page.body, /name="embargo" value="1"[^>]* checked/);
});

test('scheduling an embargoed article again without the box lifts the embargo: partners are told to withhold it', { timeout: 30_000 }, async () => {
  const word = `Dingo${process.pid}`;
  const { next: start } = await walk(srv.url, key);
  const id = await create(editor, srv.db, { headline: `${word} lifted` });
  assert.equal((await act(editor, srv.db, id, 'schedule', { publish_at: local(now() + 3600), embargo: '1' })).status, 303);
  const r = await act(editor, srv.db, id, 'schedule', { publish_at: local(now() + 7200) });
  assert.equal(r.location, `/newsroom/articles/${id}?done=scheduled`);
  assert.equal(row(srv.db, id).embargoed, 0);
  const told = (await walk(srv.url, key, { after: start })).items.filter((i) => itemId(i) === id);
  assert.deepEqual(told.map((i) => i.pubstatus), ['usable', 'withheld']);
  assert.equal(told[1].embargoed, undefined);
  assert.equal(told[1].bodies, undefined);
  assert.doesNotMatch((await editor.get(`/newsroom/articles/${id}`)).body, /Embargoed until/);
  assert.equal((await new Client(srv.url).get(`/articles/${row(srv.db, id).slug}`)).status, 404);
});

test('who may embargo is who may schedule; a time not in the future is refused; nothing changes', { timeout: 30_000 }, async () => {
  const word = `Numbat${process.pid}`;
  // A writer's own draft: a writer schedules nothing, so embargoes nothing.
  const own = await create(writer, srv.db, { headline: `${word} by the writer` });
  let before = snapshot(srv.db, own);
  let r = await act(writer, srv.db, own, 'schedule', { publish_at: local(now() + 3600), embargo: '1' });
  assert.equal(r.status, 403);
  assert.equal(snapshot(srv.db, own), before);
  // The writer's editor page offers no box.
  assert.doesNotMatch((await writer.get(`/newsroom/articles/${own}`)).body, /name="embargo"/);

  // An editor, with a time in the past, or none, or not a time.
  const id = await create(editor, srv.db, { headline: `${word} by the editor` });
  before = snapshot(srv.db, id);
  for (const publishAt of [local(now() - 60), '', 'tomorrow']) {
    r = await act(editor, srv.db, id, 'schedule', { publish_at: publishAt, embargo: '1' });
    assert.equal(r.status, 422, `publish_at ${JSON.stringify(publishAt)}: ${r.status}`);
    assert.match(textOf(r.body), /Give the time to publish it at|Choose a time in the future/);
    assert.equal(snapshot(srv.db, id), before);
  }
  // A stale version: 409, nothing done.
  r = await act(editor, srv.db, id, 'schedule', { publish_at: local(now() + 3600), embargo: '1', version: 99 });
  assert.equal(r.status, 409);
  assert.equal(snapshot(srv.db, id), before);
  // A published article is not scheduled again (publish first: the rule is schedule's).
  assert.equal((await act(editor, srv.db, id, 'publish')).status, 303);
  before = snapshot(srv.db, id);
  r = await act(editor, srv.db, id, 'schedule', { publish_at: local(now() + 3600), embargo: '1' });
  assert.equal(r.status, 403);
  assert.equal(snapshot(srv.db, id), before);
});

test('the embargoed editor and list are valid HTML (html-validate)', { timeout: 30_000 }, async () => {
  const validator = new HtmlValidate(new FileSystemConfigLoader());
  const word = `Bilby${process.pid}`;
  const id = await create(editor, srv.db, { headline: `${word} valid` });
  assert.equal((await act(editor, srv.db, id, 'schedule', { publish_at: local(now() + 3600), embargo: '1' })).status, 303);
  const pages = {
    'embargo-editor': (await editor.get(`/newsroom/articles/${id}?done=embargoed`)).body,
    'embargo-list': (await editor.get(`/newsroom?q=${word}`)).body,
    'embargo-writer-editor': (await writer.get(`/newsroom/articles/${id}`)).body,
  };
  assert.match(pages['embargo-list'], /Embargoed until/);
  for (const [name, body] of Object.entries(pages)) {
    const report = await validator.validateString(body, path.join(repoRoot, 'tests', `${name}.html`));
    const messages = report.results.flatMap((x) => x.messages).map((m) => `${m.line}:${m.column} ${m.ruleId}: ${m.message}`);
    assert.equal(report.valid, true, `${name}:\n${messages.join('\n')}`);
  }
});
