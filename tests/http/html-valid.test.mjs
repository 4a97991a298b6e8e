// Every page type's HTML through a real validator (npm's html-validate, with the rules of
// tests/.htmlvalidate.mjs): the reader pages, each variant of the article, the offers, every
// account page with its errors and notices, the message pages, the error pages, the listener's
// answer to what is not HTTP, and an HTML creative's frame (lib/page-types.mjs lists them). A
// page passes with no error at all; a failure prints the validator's messages with the lines
// they point at.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HtmlValidate, FileSystemConfigLoader } from 'html-validate';
import { repoRoot, themeDir } from '../lib/server.mjs';
import { startPageTypesServer, collectPageTypes } from '../lib/page-types.mjs';

const CONFIG = path.join(repoRoot, 'tests', '.htmlvalidate.mjs');

let env;
let pages = [];
let validator;
before(async () => {
  validator = new HtmlValidate(new FileSystemConfigLoader());
  env = await startPageTypesServer();
  pages = await collectPageTypes(env);
});
after(async () => { await env?.stop(); });

// The validator's messages for a document, one per line, with the offending source line.
function describe(report, body) {
  const lines = body.split('\n');
  return report.results.flatMap((r) => r.messages).map((m) => {
    const source = (lines[m.line - 1] ?? '').slice(Math.max(0, m.column - 60), m.column + 60);
    return `  ${m.line}:${m.column} ${m.ruleId}: ${m.message}\n      ${source}`;
  }).join('\n');
}

test('every page type is valid HTML (html-validate, tests/.htmlvalidate.mjs)', { timeout: 120_000 }, async () => {
  // Every page template of the theme is among them (a page template starts with the header).
  const templates = readdirSync(themeDir).filter((f) => f.endsWith('.mustache'))
    .filter((f) => readFileSync(path.join(themeDir, f), 'utf8').startsWith('{{> header}}'))
    .map((f) => f.replace(/\.mustache$/, ''));
  const shown = new Set(pages.map((p) => p.template));
  assert.deepEqual(templates.filter((t) => !shown.has(t)), [], 'page templates no page type shows');
  const failures = [];
  for (const p of pages) {
    // The file name makes the validator look for the configuration next to the tests.
    const report = await validator.validateString(p.body, path.join(path.dirname(CONFIG), 'page.html'));
    if (!report.valid) failures.push(`${p.name} (${p.status} ${p.path}):\n${describe(report, p.body)}`);
  }
  assert.deepEqual(failures, [], `${failures.length} of ${pages.length} page types are not valid HTML:\n\n` +
    `${failures.join('\n\n')}`);
});
