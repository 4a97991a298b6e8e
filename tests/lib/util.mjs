// Small helpers shared by the HTTP and browser tests: the reference article, HTML text
// extraction, bounded fetch and polling.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './server.mjs';

export const REFERENCE = {
  slug: 'tehran-could-help-us-combat-militants-in-iraq-iranian-official',
  file: path.join(repoRoot, 'demo', 'articles', '2014-06-13-tehran-could-help.md'),
  headline: 'Tehran Could Help U.S. Combat Militants in Iraq: Iranian Official',
  dek: 'Iran is so worried by the territory gains made by militants in Iraq that ' +
    'anti-insurgency cooperation with Washington is possible, an Iranian official said.',
  syndication: 'This article was published in Global Security Newswire, which is produced ' +
    'independently by National Journal Group under contract with the Nuclear Threat Initiative. ' +
    'NTI is a nonprofit, nonpartisan group working to reduce global threats from nuclear, ' +
    'biological, and chemical weapons.',
  sources: ['told Reuters', 'the New York Times reported', 'the Times of Israel reports'],
};
export const REFERENCE_PATH = `/articles/${REFERENCE.slug}`;

// The body paragraphs of a Markdown article file: everything after the second `---` line,
// split on blank lines, each paragraph's lines joined with a space.
export function articleParagraphs(file) {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  let fences = 0;
  let i = 0;
  for (; i < lines.length && fences < 2; i++) if (lines[i].trim() === '---') fences++;
  if (fences < 2) throw new Error(`${file}: no front matter`);
  return lines.slice(i).join('\n').split(/\n\s*\n/)
    .map((p) => p.split('\n').map((l) => l.trim()).join(' ').trim())
    .filter(Boolean);
}

const NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) ? String.fromCodePoint(n) : all;
    }
    return NAMED[e.toLowerCase()] ?? all;
  });
}

// The visible-ish text of an HTML fragment: scripts and styles dropped, tags stripped, entities
// decoded, whitespace collapsed.
export function textOf(html) {
  return decodeEntities(html
    .replace(/<script\b[\s\S]*?<\/script>/gi, ' ')
    .replace(/<style\b[\s\S]*?<\/style>/gi, ' ')
    // Inline elements join their text to the words around them; other tags separate words.
    .replace(/<\/?(?:a|abbr|b|cite|code|em|i|mark|q|s|small|span|strong|sub|sup|time|u)\b[^>]*>/gi, '')
    .replace(/<[^>]*>/g, ' '))
    .replace(/\u00a0/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

// The value of attribute `name` in an opening tag's text, or null.
export function attr(tag, name) {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  if (!m) {
    return new RegExp(`\\s${name}(?=[\\s>/])`, 'i').test(tag) ? '' : null;
  }
  return decodeEntities(m[1] ?? m[2] ?? m[3]);
}

// fetch with a bound: no request in these tests may wait forever. A GET or HEAD that fails
// because the kept-alive connection it went out on had been closed by the server is sent once
// more on a new one, as browsers do: while a test blocks the event loop (spawnSync of the CLI,
// sqlite3 or psql, 28 s in one test under load), undici's 4-second idle timer cannot run, and
// the next request reuses a socket the server closed meanwhile ("fetch failed", seen once in
// CI). A server that is down fails the second attempt too.
export async function get(url, init = {}) {
  const opts = () => ({ redirect: 'manual', signal: AbortSignal.timeout(10_000), ...init });
  try {
    return await fetch(url, opts());
  } catch (err) {
    const method = (init.method ?? 'GET').toUpperCase();
    if ((method === 'GET' || method === 'HEAD') && closedConnection(err)) return fetch(url, opts());
    throw err;
  }
}

// Whether a fetch failed because the server had closed the connection it was sent on.
function closedConnection(err) {
  const cause = err?.cause;
  return err?.name === 'TypeError' && cause != null &&
    ['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'].includes(cause.code);
}

// Calls `fn` until it returns a truthy value or `ms` pass; resolves with the last value.
export async function poll(fn, { ms = 5000, every = 50 } = {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() >= deadline) return v;
    await new Promise((r) => setTimeout(r, every));
  }
}

export function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
