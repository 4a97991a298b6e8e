// The newsroom's scheduler on two nodes of one PostgreSQL database (issue 11, "Articles"): both
// run store_articles_publish_due every tick; a scheduled article is published once (one
// revision, one audit entry), and both nodes serve it within a second of its time.
// Runs under `make pg-test` (BROADSHEET_TEST_PG_DIR).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';

import { startServer, tmpDir, freshDatabase } from '../lib/server.mjs';
import { addUser, Client, sql } from '../lib/accounts.mjs';

assert.ok(process.env.BROADSHEET_TEST_PG_DIR,
  'BROADSHEET_TEST_PG_DIR must name a running test cluster (run these with `make pg-test`)');

const dir = tmpDir('broadsheet-pgsql-');
after(() => rmSync(dir, { recursive: true, force: true }));
const PASSWORD = 'two-nodes-one-newsroom';

test('two nodes: a scheduled article is published once, and both serve it within a second of its time', { timeout: 60_000 }, async () => {
  const db = freshDatabase(dir);
  const a = await startServer({ db });
  const b = await startServer({ db, demo: false });
  try {
    addUser(db, 'ed@example.test', PASSWORD, { role: 'editor', name: 'Ed Itor' });
    const ed = new Client(a.url);
    await ed.signIn('ed@example.test', PASSWORD);
    const token = await ed.csrf('/newsroom/articles/new');
    const [section] = sql(db, 'SELECT id FROM sections ORDER BY position, id LIMIT 1').split('\n');
    const [publication] = sql(db, 'SELECT id FROM publications ORDER BY is_host DESC, id LIMIT 1').split('\n');
    const made = await ed.post('/newsroom/articles/new', {
      headline: 'Two Nodes One Schedule', dek: '', byline: '', body_markdown: 'Once.', section_id: section,
      publication_id: publication, access: 'free', tags: '', slug: '', seo_title: '', seo_description: '',
      editor_note: '',
    }, { csrf: token });
    assert.equal(made.status, 303);
    const id = Number(/(\d+)/.exec(made.location)[1]);
    const at = Math.floor(Date.now() / 1000) + 2;
    const scheduled = await ed.post(`/newsroom/articles/${id}/schedule`,
      { publish_at: new Date(at * 1000).toISOString().slice(0, 19), version: 1 }, { csrf: token });
    assert.equal(scheduled.status, 303);
    for (const node of [a, b]) {
      assert.equal((await new Client(node.url).get('/articles/two-nodes-one-schedule')).status, 404);
    }
    const seen = {};
    while (Date.now() < at * 1000 + 1000 && Object.keys(seen).length < 2) {
      for (const [name, node] of [['a', a], ['b', b]]) {
        if (!seen[name] && (await new Client(node.url).get('/articles/two-nodes-one-schedule')).status === 200) {
          seen[name] = Date.now();
        }
      }
      await new Promise((ok) => setTimeout(ok, 50));
    }
    assert.ok(seen.a && seen.b, `not served by both within a second of its time: ${JSON.stringify(seen)}`);
    assert.equal(sql(db, `SELECT count(*) FROM audit_log WHERE article_id = ${id} AND action = 'article.publish'`), '1');
    assert.equal(sql(db, `SELECT count(*) FROM article_revisions WHERE article_id = ${id} AND state = 'published'`), '1');
  } finally {
    await b.stop();
    await a.stop();
  }
});
