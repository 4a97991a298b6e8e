// Authors and tags (issue 11), for the newsroom and for readers: editors and admins manage them
// at /newsroom/authors and /newsroom/tags (a writer gets 403 and changes nothing); the forms
// keep what was typed and say what is wrong; a deletion is refused while an article names the
// author or tag, with the count; /authors/SLUG and /tags/SLUG list the published articles only,
// newest first, in keyset pages (/…/before/ID), 404 for an unknown slug or a bad or spent
// cursor; the article page's byline and tags come from its authors and tags (the free-text
// byline of wire copy as before), its JSON-LD names Person authors; a rename shows at once on
// every cached page that shows the name; every new page is valid HTML.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { HtmlValidate, FileSystemConfigLoader } from 'html-validate';
import { repoRoot } from '../lib/server.mjs';
import { startQuietServer, Client, sql, addUser, fieldError, inputTag, freshEmail } from '../lib/accounts.mjs';
import { attr, decodeEntities, textOf, poll } from '../lib/util.mjs';

const PASSWORD = 'byline-ledger-harbour';
let srv;
let editor;
let admin;
let writer;
const pages = []; // [{name, body}] for html-validate

before(async () => {
  srv = await startQuietServer();
  const make = async (role, name) => {
    const email = freshEmail(role);
    addUser(srv.db, email, PASSWORD, { role, name });
    const c = new Client(srv.url);
    await c.signIn(email, PASSWORD);
    c.email = email;
    return c;
  };
  editor = await make('editor', 'Ed Itor');
  admin = await make('admin', 'Ad Min');
  writer = await make('writer', 'Wri Ter');
});
after(async () => { await srv?.stop(); });

const q = (statement) => sql(srv.db, statement);
const keep = (name, r) => { pages.push({ name, body: r.body }); return r; };
// POSTs a newsroom form as client c (its session's CSRF token, from /account).
const post = (c, at, fields) => c.post(at, fields, { from: '/account' });
const authorId = (slug) => q(`SELECT id FROM authors WHERE slug = '${slug}'`);
const tagId = (slug) => q(`SELECT id FROM tags WHERE slug = '${slug}'`);
const counts = () => q('SELECT (SELECT count(*) FROM authors) || \'/\' || (SELECT count(*) FROM tags) || \'/\' || (SELECT count(*) FROM audit_log)');
const value = (html, id) => attr(inputTag(html, id) ?? '', 'value');
const textarea = (html, id) => decodeEntities(new RegExp(`<textarea\\b[^>]*id="${id}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html)?.[1] ?? '');
const formError = (html) => textOf(/<p class="alert alert-error form-error"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '');

// Makes an author through the newsroom as client c; returns its id.
async function newAuthor(c, fields) {
  const r = await post(c, '/newsroom/authors/new', { slug: '', bio: '', links: '', account: '', ...fields });
  assert.equal(r.status, 303, `new author ${fields.name}: ${r.status}\n${textOf(r.body).slice(0, 800)}`);
  assert.equal(r.location, '/newsroom/authors?done=created');
  return q(`SELECT id FROM authors WHERE name = '${fields.name.replace(/'/g, "''")}'`);
}
async function newTag(c, fields) {
  const r = await post(c, '/newsroom/tags/new', { slug: '', ...fields });
  assert.equal(r.status, 303, `new tag ${fields.name}: ${r.status}\n${textOf(r.body).slice(0, 800)}`);
  return q(`SELECT id FROM tags WHERE name = '${fields.name}'`);
}
// Published articles that name no author and no tag yet, newest first: [{id, slug}].
function published(n) {
  return q(`SELECT id || ' ' || slug FROM articles WHERE state = 'published' AND id NOT IN
    (SELECT article_id FROM article_authors) AND id NOT IN (SELECT article_id FROM article_tags)
    ORDER BY published_at DESC, id DESC LIMIT ${n}`)
    .split('\n').map((l) => { const [id, slug] = l.split(' '); return { id, slug }; });
}
const link = (table, column, articleId, id, position = 0) =>
  q(`INSERT INTO ${table} (article_id, ${column}, position) VALUES (${articleId}, ${id}, ${position})`);

test('people: an editor creates an author (the slug made from the name, the bio rendered safely, the links kept), listed and audited', async () => {
  const list = keep('newsroom authors, empty', await editor.get('/newsroom/authors'));
  assert.equal(list.status, 200);
  assert.match(list.headers.get('cache-control'), /no-store/);
  keep('newsroom new author', await editor.get('/newsroom/authors/new'));
  const id = await newAuthor(editor, {
    name: 'Jane Q. Doe', bio: 'Covers *energy*.\n\n<script>alert(1)</script>',
    links: '  https://example.com/jane  \n\nhttp://social.example/@jq\n', account: editor.email,
  });
  assert.equal(q(`SELECT slug || '|' || links || '|' || user_id FROM authors WHERE id = ${id}`),
    `jane-q-doe|https://example.com/jane\nhttp://social.example/@jq|${q(`SELECT id FROM users WHERE email = '${editor.email}'`)}`);
  const html = q(`SELECT bio_html FROM authors WHERE id = ${id}`);
  assert.match(html, /<em>energy<\/em>/);
  assert.ok(!/<script/i.test(html), `raw HTML survived: ${html}`);
  const after = keep('newsroom authors, one', await editor.get('/newsroom/authors?done=created'));
  assert.match(after.body, /The author was created\./);
  assert.match(after.body, /href="\/newsroom\/authors\/\d+">Jane Q\. Doe<\/a>/);
  assert.equal(q(`SELECT user_name || '|' || action || '|' || subject FROM audit_log WHERE action = 'author.create'`),
    'Ed Itor|author.create|author jane-q-doe');
  const edit = keep('newsroom edit author', await editor.get(`/newsroom/authors/${id}`));
  assert.equal(value(edit.body, 'name'), 'Jane Q. Doe');
  assert.equal(value(edit.body, 'account'), editor.email);
  assert.equal(textarea(edit.body, 'bio'), 'Covers *energy*.\n\n<script>alert(1)</script>');
});

test('people: an admin may manage authors and tags too, and every change is audited in its name', async () => {
  const id = await newAuthor(admin, { name: 'Adam Admin-Made' });
  const r = await post(admin, `/newsroom/authors/${id}`, { name: 'Adam Admin', slug: 'adam-admin', bio: '', links: '', account: '' });
  assert.equal(r.status, 303, textOf(r.body).slice(0, 500));
  assert.equal(r.location, '/newsroom/authors?done=saved');
  assert.equal(q(`SELECT slug || '|' || name FROM authors WHERE id = ${id}`), 'adam-admin|Adam Admin');
  const tag = await newTag(admin, { name: 'Nuclear Security' });
  assert.equal(q(`SELECT slug FROM tags WHERE id = ${tag}`), 'nuclear-security');
  keep('newsroom tags', await admin.get('/newsroom/tags?done=created'));
  keep('newsroom new tag', await admin.get('/newsroom/tags/new'));
  keep('newsroom edit tag', await admin.get(`/newsroom/tags/${tag}`));
  const rename = await post(admin, `/newsroom/tags/${tag}`, { name: 'Nuclear Arms', slug: '' });
  assert.equal(rename.status, 303);
  assert.equal(q(`SELECT slug || '|' || name FROM tags WHERE id = ${tag}`), 'nuclear-arms|Nuclear Arms');
  assert.equal(q(`SELECT user_name || '|' || action || '|' || detail FROM audit_log WHERE action = 'tag.edit'`),
    'Ad Min|tag.edit|Nuclear Security → Nuclear Arms');
  assert.equal(q("SELECT count(*) FROM audit_log WHERE action = 'author.edit' AND user_name = 'Ad Min'"), '1');
});

test('people: a writer gets 403 on every page and action, and so does a POST without its CSRF token; nothing changes; anonymous is sent to log in', async () => {
  const author = await newAuthor(editor, { name: 'Untouchable Author' });
  const tag = await newTag(editor, { name: 'Untouchable Tag' });
  const was = counts();
  const before = q(`SELECT name FROM authors WHERE id = ${author}`) + q(`SELECT name FROM tags WHERE id = ${tag}`);
  for (const at of ['/newsroom/authors', '/newsroom/authors/new', `/newsroom/authors/${author}`,
    '/newsroom/tags', '/newsroom/tags/new', `/newsroom/tags/${tag}`]) {
    assert.equal((await writer.get(at)).status, 403, `GET ${at}`);
  }
  for (const [at, fields] of [
    ['/newsroom/authors/new', { name: 'By A Writer' }],
    [`/newsroom/authors/${author}`, { name: 'Renamed By A Writer' }],
    [`/newsroom/authors/${author}/delete`, {}],
    ['/newsroom/tags/new', { name: 'Writer Tag' }],
    [`/newsroom/tags/${tag}`, { name: 'Renamed Tag' }],
    [`/newsroom/tags/${tag}/delete`, {}],
  ]) {
    assert.equal((await post(writer, at, fields)).status, 403, `POST ${at}`);
  }
  // An editor's POST without its CSRF token, or with another's, is refused the same way.
  for (const csrf of [false, 'not-the-token']) {
    for (const [at, fields] of [['/newsroom/authors/new', { name: 'Forged Author' }],
      [`/newsroom/tags/${tag}`, { name: 'Forged Rename' }], [`/newsroom/authors/${author}/delete`, {}]]) {
      assert.equal((await editor.post(at, fields, { csrf })).status, 403, `POST ${at} with csrf ${csrf}`);
    }
  }
  assert.equal(counts(), was);
  assert.equal(q(`SELECT name FROM authors WHERE id = ${author}`) + q(`SELECT name FROM tags WHERE id = ${tag}`), before);
  const anon = new Client(srv.url);
  const r = await anon.get('/newsroom/authors');
  assert.equal(r.status, 303);
  assert.match(r.location, /^\/login\?next=/);
});

test('people: bad input gets its error next to the field, keeps what was typed, and saves nothing', async () => {
  const taken = await newAuthor(editor, { name: 'Taken Slug' });
  const reader = freshEmail('plainreader');
  addUser(srv.db, reader, PASSWORD, { role: 'reader', name: 'Plain Reader' });
  const was = counts();
  const cases = [
    [{ name: '', slug: 'kept-slug', bio: 'Kept *bio*', links: 'https://kept.example' }, 'name-error', /Enter the name/],
    [{ name: 'Bad Slug', slug: 'Bad Slug!', bio: '', links: '' }, 'slug-error', /lowercase letters/],
    [{ name: 'Taken', slug: 'taken-slug', bio: '', links: '' }, 'slug-error', /Another author has this slug/],
    [{ name: 'Script Link', slug: '', bio: '', links: 'https://ok.example\njavascript:alert(1)' }, 'links-error', /Line 2 is not a web address/],
    [{ name: 'Ftp Link', slug: '', bio: '', links: 'ftp://files.example/x' }, 'links-error', /Line 1/],
    [{ name: 'Reader Account', slug: '', bio: '', links: '', account: reader }, 'account-error', /No staff account/],
    [{ name: 'N'.repeat(101), slug: '', bio: '', links: '' }, 'name-error', /at most 100/],
    [{ name: '***', slug: '', bio: '', links: '' }, 'slug-error', /no letters or digits/],
    [{ name: 'Long Bio', slug: '', bio: 'b'.repeat(5001), links: '' }, 'bio-error', /at most 5,000/],
    [{ name: 'Cut Links', slug: '', bio: '', links: `https://a.example/\n${' '.repeat(9000)}` }, 'links-error', /too long/],
  ];
  for (const [fields, id, why] of cases) {
    const r = keep(`newsroom author form, ${id}`, await post(editor, '/newsroom/authors/new', { account: '', ...fields }));
    assert.equal(r.status, 422, `${JSON.stringify(fields)}: ${r.status}`);
    assert.match(fieldError(r.body, id) ?? '', why, `${JSON.stringify(fields)}: ${fieldError(r.body, id)}`);
    assert.match(r.body, /Please correct the fields marked below\. Nothing was saved\./);
    assert.equal(value(r.body, 'name'), fields.name);
    if (fields.slug) assert.equal(value(r.body, 'slug'), fields.slug);
    assert.equal(textarea(r.body, 'bio'), fields.bio);
    assert.equal(textarea(r.body, 'links'), fields.links.slice(0, 8192)); // a longer field is cut
  }
  // Editing: a taken slug is refused too, and the author keeps its own.
  const other = await newAuthor(editor, { name: 'Other Author' });
  const r = await post(editor, `/newsroom/authors/${other}`, { name: 'Other Author', slug: 'taken-slug', bio: '', links: '', account: '' });
  assert.equal(r.status, 422);
  assert.match(fieldError(r.body, 'slug-error'), /Another author has this slug/);
  assert.equal(q(`SELECT slug FROM authors WHERE id = ${other}`), 'other-author');
  assert.equal(q(`SELECT slug FROM authors WHERE id = ${taken}`), 'taken-slug');
  // Tags: the same rules.
  await newTag(editor, { name: 'Energy' });
  const dup = keep('newsroom tag form, slug taken', await post(editor, '/newsroom/tags/new', { name: 'Energy!', slug: '' }));
  assert.equal(dup.status, 422);
  assert.match(fieldError(dup.body, 'slug-error'), /Another tag has this slug/);
  assert.equal(value(dup.body, 'name'), 'Energy!');
  const empty = await post(editor, '/newsroom/tags/new', { name: '  ', slug: '' });
  assert.equal(empty.status, 422);
  assert.match(fieldError(empty.body, 'name-error'), /Enter the name/);
  assert.equal(q("SELECT count(*) FROM authors WHERE name IN ('Bad Slug', 'Script Link', 'Ftp Link', 'Reader Account', '***')"), '0');
  assert.equal(counts().split('/')[1], String(Number(was.split('/')[1]) + 1)); // only "Energy"
  // Unknown ids are 404.
  assert.equal((await editor.get('/newsroom/authors/999999')).status, 404);
  assert.equal((await editor.get('/newsroom/authors/abc')).status, 404);
  assert.equal((await post(editor, '/newsroom/tags/999999/delete', {})).status, 404);
});

test('people: deleting an author or a tag that an article names is refused with the count; unused, it goes', async () => {
  const author = await newAuthor(editor, { name: 'Busy Author' });
  const tag = await newTag(editor, { name: 'Busy Tag' });
  const three = published(3);
  for (const a of three) { link('article_authors', 'author_id', a.id, author); link('article_tags', 'tag_id', a.id, tag); }
  // A draft counts too: it would lose its byline.
  q(`INSERT INTO articles (slug, publication_id, section_id, published_at, updated_at, headline, body_markdown, body_html, state)
     VALUES ('busy-draft', (SELECT min(id) FROM publications), (SELECT min(id) FROM sections), 0, 1, 'Busy draft', 'x', '<p>x</p>', 'draft')`);
  link('article_authors', 'author_id', q("SELECT id FROM articles WHERE slug = 'busy-draft'"), author);
  const was = counts();
  const r = keep('newsroom author, deletion refused', await post(editor, `/newsroom/authors/${author}/delete`, {}));
  assert.equal(r.status, 409);
  assert.match(formError(r.body), /Not deleted: Busy Author is on 4 articles\./);
  const t = keep('newsroom tag, deletion refused', await post(editor, `/newsroom/tags/${tag}/delete`, {}));
  assert.equal(t.status, 409);
  assert.match(formError(t.body), /Not deleted: Busy Tag is on 3 articles\./);
  assert.equal(counts(), was);
  q(`DELETE FROM article_authors WHERE author_id = ${author}`);
  q(`DELETE FROM article_tags WHERE tag_id = ${tag}`);
  const gone = await post(editor, `/newsroom/authors/${author}/delete`, {});
  assert.equal(gone.status, 303);
  assert.equal(gone.location, '/newsroom/authors?done=deleted');
  assert.equal((await post(admin, `/newsroom/tags/${tag}/delete`, {})).status, 303);
  assert.equal(q(`SELECT count(*) FROM authors WHERE id = ${author}`), '0');
  assert.equal(q(`SELECT count(*) FROM tags WHERE id = ${tag}`), '0');
  assert.equal(q("SELECT user_name || '|' || subject FROM audit_log WHERE action = 'author.delete'"), 'Ed Itor|author busy-author');
  assert.equal(q("SELECT user_name || '|' || subject FROM audit_log WHERE action = 'tag.delete'"), 'Ad Min|tag busy-tag');
});

// Cards' article links, in order.
const cardSlugs = (html) => [...html.matchAll(/<h3 class="card-headline"><a href="\/articles\/([^"]+)"/g)].map((m) => m[1]);

test('people: /authors/SLUG and /tags/SLUG list the published articles only, newest first, in keyset pages; bad pages are 404', async () => {
  // 25 more published articles, so that there are two pages, and a draft newer than all.
  const rows = Array.from({ length: 25 }, (_, i) =>
    `('paged-${i}', (SELECT min(id) FROM publications), (SELECT min(id) FROM sections), ${1500000000 + i * 60}, 1, 'Paged ${i}', 'x', '<p>x</p>')`);
  q(`INSERT INTO articles (slug, publication_id, section_id, published_at, updated_at, headline, body_markdown, body_html) VALUES ${rows.join(', ')}`);
  q(`INSERT INTO articles (slug, publication_id, section_id, published_at, updated_at, headline, body_markdown, body_html, state)
     VALUES ('secret-draft', (SELECT min(id) FROM publications), (SELECT min(id) FROM sections), 2000000000, 1, 'Secret draft headline', 'x', '<p>x</p>', 'draft')`);
  const author = await newAuthor(editor, { name: 'Pager Person', bio: 'Writes **a lot**.', links: 'https://pager.example/me' });
  const tag = await newTag(editor, { name: 'Paged Topic' });
  const ids = q("SELECT id FROM articles WHERE slug LIKE 'paged-%' OR slug = 'secret-draft'").split('\n');
  for (const id of ids) { link('article_authors', 'author_id', id, author); link('article_tags', 'tag_id', id, tag); }
  const want = q("SELECT slug FROM articles WHERE slug LIKE 'paged-%' ORDER BY published_at DESC, id DESC").split('\n');
  assert.equal(want.length, 25);

  for (const [base, name] of [['/authors/pager-person', 'author'], ['/tags/paged-topic', 'tag']]) {
    const anon = new Client(srv.url);
    const first = keep(`${name} page, first`, await anon.get(base));
    assert.equal(first.status, 200, `${base}: ${first.status}`);
    assert.ok(!first.body.includes('Secret draft'), `${base} shows a draft`);
    assert.deepEqual(cardSlugs(first.body), want.slice(0, 20));
    const older = /<a href="([^"]+)" rel="next">Older articles/.exec(first.body)?.[1];
    const lastId = q(`SELECT id FROM articles WHERE slug = '${want[19]}'`);
    assert.equal(older, `${base}/before/${lastId}`);
    const second = keep(`${name} page, older`, await anon.get(older));
    assert.equal(second.status, 200);
    assert.deepEqual(cardSlugs(second.body), want.slice(20));
    assert.ok(!/rel="next"/.test(second.body), 'a next link on the last page');
    assert.match(second.body, new RegExp(`<a href="${base}" rel="prev"><span aria-hidden="true">&laquo;</span> Newer articles</a>`));
    // 404: past the end, a cursor that is not this list's (a draft, someone else's, none), junk.
    const draftId = q("SELECT id FROM articles WHERE slug = 'secret-draft'");
    const notTheirs = q("SELECT id FROM articles WHERE slug NOT LIKE 'paged-%' AND state = 'published' LIMIT 1");
    for (const bad of [want[24], draftId, notTheirs, '999999999', 'abc', '0', '-1']) {
      const id = /^paged-/.test(bad) ? q(`SELECT id FROM articles WHERE slug = '${bad}'`) : bad;
      assert.equal((await anon.get(`${base}/before/${id}`)).status, 404, `${base}/before/${id}`);
    }
  }
  const page = (await new Client(srv.url).get('/authors/pager-person')).body;
  assert.match(page, /<h1 class="page-title">Pager Person<\/h1>/);
  assert.match(page, /<strong>a lot<\/strong>/);
  assert.match(page, /<a href="https:\/\/pager\.example\/me" rel="me nofollow">pager\.example\/me<\/a>/);
  assert.equal((await new Client(srv.url).get('/authors/no-such-author')).status, 404);
  assert.equal((await new Client(srv.url).get('/tags/no-such-tag')).status, 404);
  // An author or tag with no published article has an empty page, not an error.
  await newAuthor(editor, { name: 'Fresh Face' });
  const fresh = keep('author page, no articles', await new Client(srv.url).get('/authors/fresh-face'));
  assert.equal(fresh.status, 200);
  assert.match(fresh.body, /There are no articles by Fresh Face yet\./);
  assert.equal((await new Client(srv.url).get('/authors/fresh-face/before/1')).status, 404);
});

// The article page's byline (text) and JSON-LD.
const bylineOf = (html) => textOf(/<span class="byline">([\s\S]*?)<\/span> <span class="sep"/.exec(html)?.[1] ?? '');
const ldOf = (html) => JSON.parse(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(html)[1]);

test('people: an author and a tag whose 100-character names, and an article whose 300-character headline, are 3 or 4 bytes a character have their pages (the title and description are never cut inside a character)', async () => {
  const [art] = published(1);
  const was = q(`SELECT headline FROM articles WHERE id = ${art.id}`);
  for (const [ch, slug] of [['\u6587', 'wide-three'], ['\u{1F4F0}', 'wide-four']]) {
    const name = ch.repeat(100);
    await newAuthor(editor, { name, slug });
    const a = await editor.get(`/authors/${slug}`);
    assert.equal(a.status, 200, `/authors/${slug}: ${a.status}`);
    assert.ok(a.body.includes(`Articles by ${name}.`));
    await newTag(editor, { name, slug });
    const t = await editor.get(`/tags/${slug}`);
    assert.equal(t.status, 200, `/tags/${slug}: ${t.status}`);
    assert.ok(t.body.includes(`Articles about ${name}.`));
    const headline = ch.repeat(300);
    q(`UPDATE articles SET headline = '${headline}' WHERE id = ${art.id}`);
    const r = await poll(async () => {
      const p = await editor.get(`/articles/${art.slug}`);
      return p.status !== 200 || p.body.includes(`<title>${headline} | `) ? p : null;
    });
    assert.equal(r?.status, 200, `/articles/${art.slug}: ${r?.status}`);
  }
  q(`UPDATE articles SET headline = '${was.replace(/'/g, "''")}' WHERE id = ${art.id}`);
});

test('people: the article page builds its byline from the authors ("By A", "By A and B", "By A, B and C"), shows the tags, and names Person authors in its JSON-LD', async () => {
  const [one, two, three, none] = published(4).map((a) => a);
  const ids = {};
  for (const name of ['Alice Able', 'Bob Baker', 'Cleo Cole']) ids[name] = await newAuthor(editor, { name });
  link('article_authors', 'author_id', one.id, ids['Alice Able']);
  link('article_authors', 'author_id', two.id, ids['Bob Baker'], 1);
  link('article_authors', 'author_id', two.id, ids['Alice Able'], 0);
  link('article_authors', 'author_id', three.id, ids['Cleo Cole'], 2);
  link('article_authors', 'author_id', three.id, ids['Alice Able'], 0);
  link('article_authors', 'author_id', three.id, ids['Bob Baker'], 1);
  const t1 = await newTag(editor, { name: 'Zeta Topic' });
  const t2 = await newTag(editor, { name: 'Alpha Topic' });
  link('article_tags', 'tag_id', three.id, t1, 0);
  link('article_tags', 'tag_id', three.id, t2, 1);
  const anon = new Client(srv.url);
  const get = async (a) => { const r = await anon.get(`/articles/${a.slug}`); assert.equal(r.status, 200); return r.body; };
  assert.equal(bylineOf(await get(one)), 'By Alice Able');
  assert.equal(bylineOf(await get(two)), 'By Alice Able and Bob Baker');
  const page = keep('article with authors and tags', { body: await get(three) }).body;
  assert.equal(bylineOf(page), 'By Alice Able, Bob Baker and Cleo Cole');
  assert.match(page, /By <span class="author"><a href="\/authors\/alice-able" rel="author">Alice Able<\/a>, <a href="\/authors\/bob-baker" rel="author">Bob Baker<\/a> and <a href="\/authors\/cleo-cole" rel="author">Cleo Cole<\/a><\/span>/);
  assert.match(page, /<nav class="article-tags" aria-label="Tags"><ul class="tag-list"><li><a href="\/tags\/zeta-topic" rel="tag">Zeta Topic<\/a><\/li><li><a href="\/tags\/alpha-topic" rel="tag">Alpha Topic<\/a><\/li><\/ul><\/nav>/);
  const ld = ldOf(page);
  assert.deepEqual(ld.author.map((p) => [p['@type'], p.name, new URL(p.url).pathname]), [
    ['Person', 'Alice Able', '/authors/alice-able'], ['Person', 'Bob Baker', '/authors/bob-baker'],
    ['Person', 'Cleo Cole', '/authors/cleo-cole']]);
  // No authors: the free-text byline and the Organization, as before.
  const plain = await get(none);
  const byline = q(`SELECT byline FROM articles WHERE id = ${none.id}`);
  assert.ok(!/article-tags/.test(plain));
  assert.equal(ldOf(plain).author['@type'], 'Organization');
  if (byline) assert.equal(bylineOf(plain), `By ${byline}`);
  // A draft's authors never reach a page: the draft is not there at all.
  assert.equal((await anon.get('/articles/secret-draft')).status, 404);
  // … but the newsroom's preview of it shows them, as readers will see them once it is out.
  const draftId = q("SELECT id FROM articles WHERE slug = 'secret-draft'");
  const preview = await editor.get(`/newsroom/articles/${draftId}/preview`);
  assert.equal(preview.status, 200);
  assert.equal(bylineOf(preview.body), 'By Pager Person');
  assert.match(preview.body, /rel="tag">Paged Topic<\/a>/);
});

test('people: renaming an author or a tag shows at once on the cached article, author and tag pages; a new link shows on the list', async () => {
  const [art, other] = published(2);
  const author = await newAuthor(editor, { name: 'Old Name' });
  const tag = await newTag(editor, { name: 'Old Topic' });
  link('article_authors', 'author_id', art.id, author);
  link('article_tags', 'tag_id', art.id, tag);
  const anon = new Client(srv.url);
  const shows = async (at, text) => (await anon.get(at)).body.includes(text);
  // Rendered, then cached.
  for (const at of [`/articles/${art.slug}`, '/authors/old-name', '/tags/old-topic']) {
    assert.ok(await poll(() => shows(at, 'Old')), `${at} before`);
    assert.equal((await anon.get(at)).status, 200);
  }
  const r = await post(editor, `/newsroom/authors/${author}`, { name: 'New Name', slug: 'old-name', bio: '', links: '', account: '' });
  assert.equal(r.status, 303);
  assert.ok(await poll(() => shows(`/articles/${art.slug}`, 'New Name')), 'the article page kept the old name');
  assert.ok(await poll(() => shows('/authors/old-name', '<h1 class="page-title">New Name</h1>')), 'the author page kept the old name');
  const t = await post(editor, `/newsroom/tags/${tag}`, { name: 'New Topic', slug: 'old-topic' });
  assert.equal(t.status, 303);
  assert.ok(await poll(() => shows(`/articles/${art.slug}`, '>New Topic</a>')), 'the article page kept the old tag');
  assert.ok(await poll(() => shows('/tags/old-topic', '<h1 class="page-title">New Topic</h1>')));
  // A slug change: the old address is gone, the new one works, the article links to it.
  const s = await post(editor, `/newsroom/authors/${author}`, { name: 'New Name', slug: 'new-name', bio: '', links: '', account: '' });
  assert.equal(s.status, 303);
  assert.ok(await poll(async () => (await anon.get('/authors/old-name')).status === 404), '/authors/old-name still answers');
  assert.ok(await poll(() => shows(`/articles/${art.slug}`, 'href="/authors/new-name"')));
  // Another article gains the author: its list shows it at once.
  assert.ok(!(await shows('/authors/new-name', `/articles/${other.slug}"`)));
  link('article_authors', 'author_id', other.id, author);
  assert.ok(await poll(() => shows('/authors/new-name', `/articles/${other.slug}"`)), 'the author page missed the new article');
});

test('people: the newsroom and reader pages of authors and tags are valid HTML (html-validate)', { timeout: 60_000 }, async () => {
  const validator = new HtmlValidate(new FileSystemConfigLoader());
  const config = path.join(repoRoot, 'tests', '.htmlvalidate.mjs');
  const names = pages.map((p) => p.name);
  for (const want of ['newsroom authors, one', 'newsroom edit author', 'newsroom author form, name-error',
    'newsroom tags', 'newsroom edit tag', 'newsroom author, deletion refused', 'author page, first',
    'tag page, older', 'article with authors and tags']) {
    assert.ok(names.includes(want), `no page ${want} (the tests before this one did not run?)`);
  }
  const failures = [];
  for (const p of pages) {
    const report = await validator.validateString(p.body, path.join(path.dirname(config), 'page.html'));
    if (!report.valid) {
      failures.push(`${p.name}:\n${report.results.flatMap((x) => x.messages).map((m) => `  ${m.line}:${m.column} ${m.ruleId}: ${m.message}`).join('\n')}`);
    }
  }
  assert.deepEqual(failures, []);
});
