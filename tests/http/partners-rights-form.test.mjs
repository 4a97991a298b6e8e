// A publication's rights for partners (issue 13, migration 019) in the newsroom's publication
// form: the four fields shown with what is stored (the demo's for GSN), saved with the rest,
// checked (an http(s) rights URL or none, bounded lengths, no control characters: a refusal is
// 422 with the reason and changes nothing), and what the ninjs item then carries. The form's
// markup passes html-validate. Runs on SQLite, and on PostgreSQL with BROADSHEET_TEST_PG_DIR.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { HtmlValidate, FileSystemConfigLoader } from 'html-validate';
import { repoRoot, runCli, demoDir } from '../lib/server.mjs';
import { startMailServer, Client, sql, inputTag } from '../lib/accounts.mjs';
import { textOf } from '../lib/util.mjs';
import { assertNinjs } from '../lib/ninjs.mjs';

const GSN = JSON.parse(readFileSync(path.join(demoDir, 'newsroom.json'), 'utf8'))
  .publications.find((p) => p.slug === 'gsn');
let env;
let db;
let admin;

before(async () => {
  env = await startMailServer({ staff: true }); // signs in as the demo's staff
  db = env.srv.db;
  const m = /broadsheet:\s+admin\s+(\S+@\S+)\s+password: (\S+)/.exec(env.srv.stderr());
  assert.ok(m, `the demo printed no admin account:\n${env.srv.stderr()}`);
  admin = new Client(env.srv.url);
  await admin.signIn(m[1], m[2]);
});
after(async () => { await env?.stop(); });

const q = (statement) => sql(db, statement);
const gsnId = () => q("SELECT id FROM publications WHERE slug = 'gsn'");
const row = () => q("SELECT copyright_holder || '|' || copyright_notice || '|' || usage_terms || '|' || rights_url FROM publications WHERE slug = 'gsn'");
const everything = () => q("SELECT slug || '|' || name || '|' || producer || '|' || partner || '|' || copyright_holder || '|' || copyright_notice || '|' || usage_terms || '|' || rights_url FROM publications ORDER BY id");
const attrValue = (tag) => /\bvalue="([^"]*)"/.exec(tag ?? '')?.[1];
const decode = (s) => s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

// The form's fields as a browser would post them back.
function formFields(html) {
  const fields = {};
  for (const name of ['name', 'slug', 'producer', 'partner', 'partner_short', 'partner_url',
    'copyright_holder', 'copyright_notice', 'rights_url']) {
    const tag = [...html.matchAll(/<input\b[^>]*>/g)].map((x) => x[0]).find((t) => t.includes(`name="${name}"`));
    fields[name] = decode(attrValue(tag) ?? '');
  }
  for (const name of ['description', 'partner_description', 'usage_terms']) {
    const m = new RegExp(`<textarea[^>]*name="${name}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html);
    fields[name] = decode(m ? m[1] : '');
  }
  fields.default_access = '';
  fields.is_host = '0';
  return fields;
}

test('the publication form shows, saves and checks the rights; the item carries them', { timeout: 60_000 }, async () => {
  const form = await admin.get(`/newsroom/publications/${gsnId()}`);
  assert.equal(form.status, 200);
  assert.equal(decode(attrValue(inputTag(form.body, 'publication-copyright-holder'))), GSN.copyright_holder);
  assert.equal(decode(attrValue(inputTag(form.body, 'publication-copyright-notice'))), GSN.copyright_notice);
  assert.equal(attrValue(inputTag(form.body, 'publication-rights-url')), '');
  const fields = formFields(form.body);
  assert.equal(fields.usage_terms, GSN.usage_terms);

  const htmlvalidate = new HtmlValidate(new FileSystemConfigLoader());
  const report = await htmlvalidate.validateString(form.body, path.join(repoRoot, 'tests', 'publication-form.html'));
  assert.ok(report.valid, JSON.stringify(report.results.flatMap((r) => r.messages.map((m) => `${m.ruleId}: ${m.message}`))));

  // Saving the form unchanged keeps the rights.
  assert.equal((await admin.post(`/newsroom/publications/${gsnId()}`, fields, { from: '/account' })).status, 303);
  assert.equal(row(), `${GSN.copyright_holder}|${GSN.copyright_notice}|${GSN.usage_terms}|`);

  // Refusals: 422 with the reason, nothing changed.
  const before = everything();
  for (const [bad, why] of [
    [{ rights_url: 'ftp://example.org/terms' }, /https:\/\/ or http:\/\//],
    [{ rights_url: 'javascript:alert(1)' }, /https:\/\/ or http:\/\//],
    [{ rights_url: 'https://exa mple.org/' }, /without spaces/],
    [{ rights_url: `https://example.org/${'x'.repeat(500)}` }, /whole address/],
    [{ copyright_holder: 'h'.repeat(201) }, /too long/],
    [{ usage_terms: 't'.repeat(2001) }, /too long/],
    [{ copyright_notice: 'a\u0007b' }, /control character/],
  ]) {
    const r = await admin.post(`/newsroom/publications/${gsnId()}`, { ...fields, ...bad }, { from: '/account' });
    assert.equal(r.status, 422, `${JSON.stringify(bad).slice(0, 80)}: ${r.status}`);
    assert.match(textOf(r.body), why);
    assert.equal(everything(), before, `${JSON.stringify(bad).slice(0, 80)} changed something`);
  }

  // Setting them: the item carries what was typed, the URL as rightsinfo.linkedrights.
  const set = { ...fields, copyright_holder: 'NTI & NJG', copyright_notice: '© NTI “2014”',
    usage_terms: 'Run in full.\r\nCredit GSN.', rights_url: 'https://www.example.org/gsn-terms' };
  assert.equal((await admin.post(`/newsroom/publications/${gsnId()}`, set, { from: '/account' })).status, 303);
  assert.equal(row(), 'NTI & NJG|© NTI “2014”|Run in full.\r\nCredit GSN.|https://www.example.org/gsn-terms');
  const slug = q("SELECT a.slug FROM articles a JOIN publications p ON p.id = a.publication_id WHERE p.slug = 'gsn' ORDER BY a.id LIMIT 1");
  const r = runCli(['article', 'ninjs', slug, '--db', db, '--site_url', 'https://news.example.com']);
  assert.equal(r.status, 0, r.stderr);
  const item = JSON.parse(r.stdout);
  assertNinjs(item, slug);
  assert.equal(item.copyrightholder, 'NTI & NJG');
  assert.equal(item.copyrightnotice, '© NTI “2014”');
  assert.equal(item.usageterms, 'Run in full.\r\nCredit GSN.');
  assert.deepEqual(item.rightsinfo, { linkedrights: 'https://www.example.org/gsn-terms' });
  // The edit form shows them back, escaped.
  const again = await admin.get(`/newsroom/publications/${gsnId()}`);
  assert.ok(again.body.includes('value="NTI &amp; NJG"'), 'the holder, escaped');

  // Empty fields: unset, and the item falls back to the defaults.
  const cleared = { ...set, copyright_holder: '', copyright_notice: '', usage_terms: '', rights_url: '' };
  assert.equal((await admin.post(`/newsroom/publications/${gsnId()}`, cleared, { from: '/account' })).status, 303);
  assert.equal(row(), '|||');
  const def = JSON.parse(runCli(['article', 'ninjs', slug, '--db', db, '--site_url', 'https://news.example.com']).stdout);
  assert.equal(def.copyrightholder, fields.producer);
  assert.match(def.usageterms, /^This article was published in Global Security Newswire, which is produced independently by National Journal Group under contract with the Nuclear Threat Initiative\. Credit line: /);
  assert.equal(def.rightsinfo, undefined);
});

test('a new publication can be made with rights', { timeout: 30_000 }, async () => {
  const r = await admin.post('/newsroom/publications', {
    name: 'Rights Wire', slug: 'rights-wire', description: '', producer: 'NJG', partner: '',
    partner_short: '', partner_url: '', partner_description: '', default_access: '', is_host: '0',
    copyright_holder: 'RW', copyright_notice: '', usage_terms: '', rights_url: 'http://rw.example.org/r',
  }, { from: '/account' });
  assert.equal(r.status, 303);
  assert.equal(q("SELECT copyright_holder || '|' || rights_url FROM publications WHERE slug = 'rights-wire'"), 'RW|http://rw.example.org/r');
});
