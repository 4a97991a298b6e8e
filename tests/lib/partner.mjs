// A partner's client of the partners' API (issue 13, docs/partners.md), for the tests: every
// item it receives is checked against the official ninjs 2.2 schema (ninjs.mjs), so each test
// that reads the API also proves what it served is valid. Also: the demo partner's key from a
// server's stderr, and adding partners with the CLI.

import assert from 'node:assert/strict';
import { runCli } from './server.mjs';
import { assertNinjs } from './ninjs.mjs';

export const API = '/api/ninjs/2.2';
export const KEY_LINE = /demo partner nti: API key (bsk_[A-Za-z0-9_-]{43})/;
const PRINTED_KEY = /^API key: (bsk_[A-Za-z0-9_-]{43})$/m;

// The demo partner's key, as `serve --demo` printed it on stderr (server: startServer's result).
export function demoKey(server) {
  const m = KEY_LINE.exec(server.stderr());
  assert.ok(m, `the demo printed no partner key:\n${server.stderr()}`);
  return m[1];
}

// `broadsheet partner add SLUG ...args --db db`: the new partner's key.
export function addPartner(db, slug, args) {
  const r = runCli(['partner', 'add', slug, '--name', `Partner ${slug}`, ...args, '--db', db]);
  assert.equal(r.status, 0, `partner add ${slug}: exit ${r.status}\n${r.stderr}`);
  const m = PRINTED_KEY.exec(r.stdout);
  assert.ok(m, `partner add printed no key:\n${r.stdout}`);
  return m[1];
}

// GET base+path with key (null: no Authorization), and extra headers. Resolves to
// { status, headers, text, json } (json: the parsed body, or undefined). Every item in a 200's
// body is validated against the schema.
export async function apiGet(base, key, path, headers = {}) {
  const h = { ...headers };
  if (key !== null) h.authorization = `Bearer ${key}`;
  let res;
  for (let attempt = 0; ; attempt++) {
    try {
      res = await fetch(base + API + path, { headers: h });
      break;
    } catch (err) { // a keep-alive socket the server had closed: once more, as browsers do
      if (attempt > 0) throw err;
    }
  }
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  if (res.status === 200) {
    assert.ok(json, `${path}: a 200 whose body is not JSON: ${text.slice(0, 200)}`);
    const items = Array.isArray(json.items) ? json.items : [json];
    for (const [i, item] of items.entries()) assertNinjs(item, `${path} item ${i}`);
  }
  return { status: res.status, headers: res.headers, text, json };
}

// Walks the whole log from cursor `after` (default: the start) in pages of limit; returns
// { items, next } (next: the cursor to poll from). Asserts each page is a 200.
export async function walk(base, key, { after = '', limit = 100 } = {}) {
  const items = [];
  let cursor = after;
  for (let page = 0; page < 100_000; page++) {
    const q = `?limit=${limit}${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`;
    const r = await apiGet(base, key, `/items${q}`);
    assert.equal(r.status, 200, `items${q}: ${r.status} ${r.text}`);
    items.push(...r.json.items);
    assert.equal(typeof r.json.next, 'string');
    cursor = r.json.next;
    if (!r.json.more) return { items, next: cursor };
  }
  throw new Error('the log never ended');
}

// The article id an item's uri names (SITE/articles/ID).
export const itemId = (item) => Number(/\/articles\/(\d+)$/.exec(item.uri)[1]);
