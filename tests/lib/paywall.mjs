// Helpers for the paywall's HTTP and browser tests: the demo articles by access level (read from
// demo/articles, so the tests follow the files), reading an article as a given reader and telling
// full from preview, a leak detector for withheld paragraphs, the JSON-LD paywall markup, the
// signed anonymous meter cookie (decoded, and forged with the server's key or another one), the
// operator's CLI (subscriptions, organisations, plans), and a server on another address (IPv6).
// Every wait is bounded.

import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import net from 'node:net';
import path from 'node:path';
import assert from 'node:assert/strict';
import {
  demoDir, themeDir, repoRoot, bin, runCli, httpRequest, tmpDir, freshDatabase,
} from './server.mjs';
import { articleParagraphs, decodeEntities, textOf, attr, poll } from './util.mjs';
import { sql, addUser, Client, freshEmail, isPg } from './accounts.mjs';

export const PROMPT = 'Want access to this content? Learn More »';
export const LOGIN_PROMPT = 'Already a subscriber? Log in';
export const METER_COOKIE = 'bs_meter';
export const PASSWORD = 'quarry-lantern-marmot';
export const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
export const DAY = 86400;

// --- the demo articles -------------------------------------------------------------------------

// Markdown inline syntax to the text a reader sees (links, emphasis, code): what textOf gives for
// cmark's HTML of the same paragraph (cmark runs without smart punctuation).
export function plainText(md) {
  return md
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/\*([^*]+)\*/g, '$1')
    .replace(/__([^_]+)__/g, '$1')
    .replace(/\b_([^_]+)_\b/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

// The body's blocks as articleParagraphs splits them (on blank lines), with each line's list
// marker ("- ", "1. ") or quote marker ("> ") dropped, lines joined with a space: the Markdown
// of what a reader sees of the block.
function bodyBlocks(file) {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  let fences = 0;
  let i = 0;
  for (; i < lines.length && fences < 2; i++) if (lines[i].trim() === '---') fences++;
  return lines.slice(i).join('\n').split(/\n\s*\n/)
    .map((b) => b.split('\n')
      .map((l) => l.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '').replace(/^\s*>\s?/, '').trim())
      .join(' ').trim())
    .filter(Boolean);
}

function frontMatter(file) {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  assert.equal(lines[0].trim(), '---', `${file}: no front matter`);
  const fm = {};
  for (const line of lines.slice(1)) {
    if (line.trim() === '---') break;
    const i = line.indexOf(':');
    if (i > 0) fm[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return fm;
}

// Every demo article: {file, slug, path, headline, dek, access, paragraphs (the Markdown, as
// util.mjs's articleParagraphs gives it), plain (the text a reader sees of each)}.
export const ARTICLES = readdirSync(path.join(demoDir, 'articles'))
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => {
    const file = path.join(demoDir, 'articles', f);
    const fm = frontMatter(file);
    assert.ok(fm.slug, `${file}: no slug in the front matter`);
    const paragraphs = articleParagraphs(file);
    const blocks = bodyBlocks(file);
    assert.equal(blocks.length, paragraphs.length, `${file}: blocks and paragraphs disagree`);
    return {
      file,
      slug: fm.slug,
      path: `/articles/${fm.slug}`,
      headline: fm.headline,
      dek: fm.dek,
      access: fm.access || 'metered',
      paragraphs,
      plain: blocks.map(plainText),
    };
  });

export const REFERENCE_SLUG = 'tehran-could-help-us-combat-militants-in-iraq-iranian-official';
// Metered articles, the reference article first (it has the most paragraphs).
export const METERED = ARTICLES.filter((a) => a.access === 'metered')
  .sort((a, b) => (b.slug === REFERENCE_SLUG) - (a.slug === REFERENCE_SLUG));
export const FREE = ARTICLES.filter((a) => a.access === 'free');
export const SUBSCRIBERS = ARTICLES.filter((a) => a.access === 'subscribers');
export const PAYWALLED = [...METERED, ...SUBSCRIBERS];
export const REFERENCE_ARTICLE = METERED[0];

export function article(slugPart) {
  const a = ARTICLES.find((x) => x.slug.includes(slugPart));
  assert.ok(a, `no demo article whose slug contains ${slugPart}`);
  return a;
}

// The demo newsroom's section and publication slugs (for the other channels).
const NEWSROOM = JSON.parse(readFileSync(path.join(demoDir, 'newsroom.json'), 'utf8'));
export const SECTION_SLUGS = NEWSROOM.sections.map((s) => s.slug);
export const PUBLICATION_SLUGS = NEWSROOM.publications.map((p) => p.slug);

// --- leak detection --------------------------------------------------------------------------

const WINDOW = 7; // words: a run this long of a withheld paragraph is a leak

function norm(s) {
  return s.replace(/\s+/g, ' ').trim().toLowerCase();
}

// Every run of WINDOW consecutive words of s (s itself when shorter).
function windows(s) {
  const words = norm(s).split(' ');
  if (words.length <= WINDOW) return [words.join(' ')];
  const out = [];
  for (let i = 0; i + WINDOW <= words.length; i++) out.push(words.slice(i, i + WINDOW).join(' '));
  return out;
}

// What the withheld paragraphs of `a` look like to the detector: for each paragraph index from
// `shown` on, its exact text and its word windows.
export function withheld(a, shown = 1) {
  return a.plain.slice(shown).map((text, k) => ({ index: shown + k, text, windows: windows(text) }));
}

// The forms of a response in which text is looked for: the visible text, the raw markup with
// entities decoded (attributes, comments, scripts), the strings of every JSON-LD block, and
// JSON's own escapes undone in the markup.
export function haystacks(html) {
  const raw = decodeEntities(html);
  const unescaped = raw.replace(/\\\//g, '/').replace(/\\u([0-9a-fA-F]{4})/g,
    (_, h) => String.fromCharCode(parseInt(h, 16))).replace(/\\"/g, '"');
  const ld = [];
  for (const block of ldBlocks(html)) {
    try { collectStrings(JSON.parse(block), ld); } catch { ld.push(block); }
  }
  return [textOf(html), raw, unescaped, ld.join('\n')].map(norm);
}

function collectStrings(v, out) {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => collectStrings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => collectStrings(x, out));
}

// The withheld paragraphs of `a` (index ≥ shown) with text in `content` (HTML or any text),
// as a list of human-readable findings; [] when nothing leaked.
export function leaks(content, a, shown = 1) {
  const hay = haystacks(content);
  const found = [];
  for (const p of withheld(a, shown)) {
    const whole = hay.some((h) => h.includes(norm(p.text)));
    const w = p.windows.find((x) => hay.some((h) => h.includes(x)));
    if (whole || w) {
      found.push(`${a.slug} paragraph ${p.index + 1}${whole ? ' (whole text)' : ''}: "${w ?? p.text.slice(0, 60)}"`);
    }
  }
  return found;
}

// The indexes of a's paragraphs whose whole text is in the page's visible text.
export function paragraphsShown(html, a) {
  const text = norm(textOf(html));
  return a.plain.map((p, i) => (text.includes(norm(p)) ? i : -1)).filter((i) => i >= 0);
}

// --- reading the page ------------------------------------------------------------------------

// The reader note: the text between <!--reader-note--> and <!--/reader-note-->, or null.
export function readerNote(html) {
  const m = /<!--reader-note-->([\s\S]*?)<!--\/reader-note-->/.exec(html);
  return m ? textOf(m[1]) : null;
}

// Every <a>: {href, text}.
export function anchors(html) {
  return [...html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/gi)]
    .map((m) => ({ href: attr(`<a ${m[1]}>`, 'href'), text: textOf(m[2]) }));
}

function ldBlocks(html) {
  return [...html.matchAll(/<script\b[^>]*type\s*=\s*["']?application\/ld\+json["']?[^>]*>([\s\S]*?)<\/script>/gi)]
    .map((m) => m[1]);
}

// The page's NewsArticle JSON-LD object (asserts there is exactly one and that it parses).
export function newsArticleLd(html, what = 'page') {
  const found = [];
  for (const block of ldBlocks(html)) {
    let v;
    try { v = JSON.parse(block); } catch (err) {
      assert.fail(`${what}: a JSON-LD block does not parse (${err.message}): ${block.slice(0, 300)}`);
    }
    for (const item of Array.isArray(v) ? v : (v['@graph'] ?? [v])) {
      if (item && item['@type'] === 'NewsArticle') found.push(item);
    }
  }
  assert.equal(found.length, 1, `${what}: ${found.length} NewsArticle JSON-LD objects, expected 1`);
  return found[0];
}

// 1 if some element's class attribute holds the token `cls`.
export function hasClass(html, cls) {
  for (const m of html.matchAll(/<[a-z][a-z0-9-]*\b[^>]*>/gi)) {
    const c = attr(m[0], 'class');
    if (c && c.split(/\s+/).includes(cls)) return true;
  }
  return false;
}

// Google's paywall markup on a page of article a (every variant of a paywalled article; the
// plain free markup for a free one).
export function assertPaywallMarkup(html, a, what) {
  const ld = newsArticleLd(html, what);
  assert.equal(ld['@type'], 'NewsArticle', `${what}: @type`);
  assert.equal(ld.headline, a.headline, `${what}: JSON-LD headline`);
  if (a.access === 'free') {
    assert.equal(ld.isAccessibleForFree, true, `${what}: a free article has isAccessibleForFree ${ld.isAccessibleForFree}`);
    assert.equal(ld.hasPart, undefined, `${what}: a free article has hasPart ${JSON.stringify(ld.hasPart)}`);
    return ld;
  }
  assert.equal(ld.isAccessibleForFree, false, `${what}: isAccessibleForFree is ${JSON.stringify(ld.isAccessibleForFree)}`);
  const parts = Array.isArray(ld.hasPart) ? ld.hasPart : [ld.hasPart];
  assert.ok(ld.hasPart, `${what}: no hasPart in the JSON-LD: ${JSON.stringify(ld)}`);
  const part = parts.find((p) => p && p.cssSelector === '.paywalled');
  assert.ok(part, `${what}: no hasPart with cssSelector ".paywalled": ${JSON.stringify(ld.hasPart)}`);
  assert.equal(part['@type'], 'WebPageElement', `${what}: hasPart @type`);
  assert.equal(part.isAccessibleForFree, false, `${what}: hasPart isAccessibleForFree`);
  assert.ok(hasClass(html, 'paywalled'), `${what}: no element with class "paywalled" in the page`);
  return ld;
}

function show(r) {
  return `status ${r.status}; note ${JSON.stringify(readerNote(r.body ?? ''))}\n` +
    `${textOf(r.body ?? '').slice(0, 1500)}`;
}

// Asserts r (a Client response or {status, body}) is article a in full.
export function assertFull(r, a, what = a.slug) {
  assert.equal(r.status, 200, `${what}: status ${r.status}`);
  const text = textOf(r.body);
  assert.ok(text.includes(a.headline), `${what}: no headline\n${show(r)}`);
  const shown = paragraphsShown(r.body, a);
  const missing = a.plain.map((_, i) => i).filter((i) => !shown.includes(i));
  assert.deepEqual(missing.map((i) => i + 1), [],
    `${what}: expected the whole article, paragraphs ${missing.map((i) => i + 1).join(', ')} of ` +
    `${a.plain.length} missing\n${show(r)}`);
  assert.ok(!text.includes('Want access to this content?'),
    `${what}: the whole article, and the paywall prompt too\n${show(r)}`);
}

// Asserts r is the preview of a: headline, dek, the first `shown` paragraphs, the prompt with
// its two links, and none of the withheld text anywhere in the body or the headers.
export function assertPreview(r, a, what = a.slug, { shown = 1 } = {}) {
  assert.equal(r.status, 200, `${what}: status ${r.status}`);
  const text = textOf(r.body);
  assert.ok(text.includes(a.headline), `${what}: no headline in the preview\n${show(r)}`);
  assert.ok(text.includes(a.dek), `${what}: no dek in the preview\n${show(r)}`);
  for (let i = 0; i < shown; i++) {
    assert.ok(text.includes(a.plain[i]), `${what}: the preview lacks paragraph ${i + 1}\n${show(r)}`);
  }
  assert.ok(text.includes(PROMPT), `${what}: no "${PROMPT}" in the preview\n${show(r)}`);
  assert.ok(text.includes(LOGIN_PROMPT), `${what}: no "${LOGIN_PROMPT}" in the preview\n${show(r)}`);
  const links = anchors(r.body);
  assert.ok(links.some((l) => l.href === '/offers' && l.text === 'Learn More »'),
    `${what}: no <a href="/offers">Learn More »</a>; links: ${JSON.stringify(links.filter((l) => /learn|offers/i.test(l.text + l.href)))}`);
  assert.ok(links.some((l) => l.href === `/login?next=${a.path}` && l.text === 'Log in'),
    `${what}: no <a href="/login?next=${a.path}">Log in</a>; links: ${JSON.stringify(links.filter((l) => /login/i.test(l.href)))}`);
  assert.deepEqual(leaks(r.body, a, shown), [], `${what}: withheld text in the preview`);
  const headers = headerText(r);
  assert.deepEqual(leaks(headers, a, shown), [], `${what}: withheld text in the headers`);
}

// All the response's headers as text (a fetch Response's or a rawRequest result's).
export function headerText(r) {
  if (r.headText) return r.headText;
  if (r.headers && typeof r.headers.forEach === 'function' && !r.rawHeaders) {
    const lines = [];
    r.headers.forEach((v, k) => lines.push(`${k}: ${v}`));
    return lines.join('\n');
  }
  if (r.rawHeaders) return r.rawHeaders.map(([k, v]) => `${k}: ${v}`).join('\n');
  return '';
}

// The bs_meter Set-Cookie of a response (a Client response), or undefined.
export function meterSetCookie(r) {
  return r.setCookies.find((c) => c.startsWith(`${METER_COOKIE}=`));
}

// A Client of the paywall tests: a browser with its own cookie jar.
export class Reader extends Client {
  constructor(base, { userAgent = 'paywall-test', meter } = {}) {
    super(base, { userAgent });
    if (meter !== undefined) this.jar.set(METER_COOKIE, meter);
  }

  get meter() { return this.jar.get(METER_COOKIE); }

  // GETs article a; the response with its reader note.
  async read(a, headers = {}) {
    const r = await this.request('GET', a.path, { headers });
    return { ...r, note: readerNote(r.body) };
  }
}

// --- raw requests ------------------------------------------------------------------------------

// A GET or HEAD over a raw socket; a gzip body is decompressed into .html (the wire body is
// .body). `host` for a server on another address.
export async function raw(port, method, target, headers = {}) {
  const r = await httpRequest(port, method, target, headers);
  assert.ok(r.status !== null, `${method} ${target}: no response (timed out ${r.timedOut}, ` +
    `error ${r.error?.code}): ${JSON.stringify(r.text.slice(0, 200))}`);
  let html = '';
  if (r.body.length) {
    html = (r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body).toString('utf8');
  }
  return { ...r, html, headText: r.text.slice(0, r.text.indexOf('\r\n\r\n')) };
}

// --- the meter cookie --------------------------------------------------------------------------

// The server's meter key (secrets table, made at start).
export function meterKey(db) {
  const pg = isPg(db);
  const hex = sql(db, pg ? "SELECT upper(encode(value, 'hex')) FROM secrets WHERE name = 'meter'"
    : "SELECT hex(value) FROM secrets WHERE name = 'meter'");
  assert.match(hex, /^[0-9A-F]{64}$/, `no 32-byte meter secret in the database: ${hex}`);
  return Buffer.from(hex, 'hex');
}

export function articleId(db, slug) {
  const id = sql(db, `SELECT id FROM articles WHERE slug = '${slug}'`);
  assert.match(id, /^\d+$/, `no article ${slug} in the database`);
  return Number(id);
}

// A meter cookie value in meter.h's format: base64url(payload || HMAC-SHA256(key, payload)),
// payload = version || (article id: 8 bytes BE, read_at: 4 bytes BE)*.
export function forgeMeter(key, reads, { version = 1 } = {}) {
  const payload = Buffer.alloc(1 + 12 * reads.length);
  payload[0] = version;
  reads.forEach(({ id, at }, i) => {
    payload.writeBigUInt64BE(BigInt(id), 1 + 12 * i);
    payload.writeUInt32BE(at, 9 + 12 * i);
  });
  const mac = createHmac('sha256', key).update(payload).digest();
  return Buffer.concat([payload, mac]).toString('base64url');
}

// Decodes a meter cookie value (without checking the MAC): {version, reads: [{id, at}]}.
export function decodeMeter(value) {
  const b = Buffer.from(value, 'base64url');
  assert.ok(b.length >= 33 && (b.length - 33) % 12 === 0, `meter cookie of ${b.length} bytes`);
  const reads = [];
  for (let p = 1; p + 12 <= b.length - 32; p += 12) {
    reads.push({ id: Number(b.readBigUInt64BE(p)), at: b.readUInt32BE(p + 8) });
  }
  return { version: b[0], reads };
}

export function randomKey() { return randomBytes(32); }
export const now = () => Math.floor(Date.now() / 1000);

// --- the operator's CLI ------------------------------------------------------------------------

export function cli(db, args, { input } = {}) {
  const r = runCli([...args, '--db', db], { input });
  assert.equal(r.status, 0, `broadsheet ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}
export const grant = (db, email, { plan = 'monthly', until = '2099-12-31' } = {}) =>
  cli(db, ['subscription', 'grant', email, '--plan', plan, '--until', until]);
export const revoke = (db, email) => cli(db, ['subscription', 'revoke', email]);
export function orgAdd(db, slug, name, until) {
  return cli(db, ['org', 'add', slug, '--name', name, ...(until ? ['--until', until] : [])]);
}
export const rangeAdd = (db, slug, range) => cli(db, ['org', 'range', 'add', slug, range]);
export const rangeRemove = (db, slug, range) => cli(db, ['org', 'range', 'remove', slug, range]);
export const orgRemove = (db, slug) => cli(db, ['org', 'remove', slug]);

// A reader account made with `user add`, signed in from a fresh Reader: {reader, email, id}.
export async function signedInReader(srv, tag = 'paywall', email = freshEmail(tag)) {
  addUserOnce(srv.db, email);
  const reader = new Reader(srv.url);
  await reader.signIn(email, PASSWORD);
  const id = Number(sql(srv.db, `SELECT id FROM users WHERE email = '${email}'`));
  return { reader, email, id };
}

const made = new Set();
function addUserOnce(db, email) {
  if (made.has(`${db}\n${email}`)) return;
  addUser(db, email, PASSWORD);
  made.add(`${db}\n${email}`);
}

// Polls fn (async, truthy when done) for up to ms; asserts it got there.
export async function eventually(fn, what, ms = 5000) {
  const v = await poll(fn, { ms, every: 100 });
  assert.ok(v, `${what} (waited ${ms} ms)`);
  return v;
}

// --- a server on another address ---------------------------------------------------------------

// 1 if this machine can listen on the IPv6 loopback.
export function hasIpv6Loopback() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '::1', port: 0 }, () => s.close(() => resolve(true)));
  });
}

// `broadsheet serve --demo` listening on `address` (e.g. "::1"), with a fresh database. Resolves
// with {url, port, db, stop()}; stop asserts a clean exit (and no sanitizer report when
// BROADSHEET_SANITIZED is set), like server.mjs's startServer.
export async function startServerAt(address, { args = [] } = {}) {
  const dir = tmpDir('broadsheet-paywall-');
  const db = freshDatabase(dir);
  const argv = ['serve', '--address', address, '--port', '0', '--db', db, '--theme', themeDir,
    '--demo-dir', demoDir, '--demo', ...args];
  const child = spawn(bin, argv, {
    cwd: repoRoot,
    env: { ...process.env, BROADSHEET_DIE_WITH_PARENT: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" within 20 s\n${stderr}`)), 20_000);
    child.stderr.on('data', (s) => {
      stderr += s;
      const m = /listening on (http:\/\/\S+?)\/? \(/.exec(stderr);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}, ${signal}) before listening\n${stderr}`));
    });
  }).catch((err) => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    db,
    stderr: () => stderr,
    async stop() {
      try {
        child.kill('SIGTERM');
        let timer;
        const r = await Promise.race([exited,
          new Promise((resolve) => { timer = setTimeout(() => resolve(null), 10_000); })]);
        clearTimeout(timer);
        if (!r) {
          child.kill('SIGKILL');
          assert.fail(`the server at ${url} did not stop within 10 s of SIGTERM\n${stderr}`);
        }
        assert.equal(r.code, 0, `the server at ${url} exited with ${r.code} (${r.signal})\n${stderr}`);
        if (process.env.BROADSHEET_SANITIZED) {
          for (const marker of ['AddressSanitizer', 'LeakSanitizer', 'runtime error:']) {
            assert.ok(!stderr.includes(marker), `sanitizer report (${marker}):\n${stderr}`);
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
