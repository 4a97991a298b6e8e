// A real SMTP server on loopback for the account tests (tests/unit/smtp_sink.py on aiosmtpd,
// Debian's python3-aiosmtpd, run with /usr/bin/python3), and a small reader for the messages it
// received: headers, multipart/alternative parts, quoted-printable bodies, links.
//
// Every wait here is bounded. The sink exits by itself when our end of its standard input
// closes (this process ended) or after its lifetime.

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, tmpDir } from './server.mjs';
import { poll } from './util.mjs';

const PYTHON = '/usr/bin/python3';
const SINK = path.join(repoRoot, 'tests', 'unit', 'smtp_sink.py');

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
});

// Starts the sink. Resolves with {port, url, maildir, messages(), stalled(), waitFor(), stop()}.
// `lifetime` (seconds) bounds how long it lives if nobody stops it. `stall`: the first this many
// messages are held, never answered nor stored, until their client goes away (stalled() lists
// them). `delayMs`: every other message is stored and answered this many milliseconds after
// its DATA ends (a slow server).
export async function startSmtpSink({ lifetime = 900, stall = 0, delayMs = 0 } = {}) {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: the SMTP sink needs it`);
  const dir = tmpDir('broadsheet-smtp-');
  const portFile = path.join(dir, 'port');
  const maildir = path.join(dir, 'mail');
  const child = spawn(PYTHON, [SINK, portFile, maildir, '--lifetime', String(lifetime),
    '--stall', String(stall), '--delay-ms', String(delayMs)], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  let exit = null;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => { stderr += s; });
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => { exit = { code, signal }; live.delete(child); resolve(exit); });
  });
  child.on('error', (err) => { stderr += `spawn error: ${err.message}\n`; });

  const port = await poll(() => {
    if (exit) return -1;
    try {
      const n = Number(readFileSync(portFile, 'utf8').trim());
      return n > 0 ? n : null;
    } catch { return null; }
  }, { ms: 15_000, every: 20 });
  if (!port || port < 0) {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
    const why = exit?.code === 77 ? 'aiosmtpd is not installed for /usr/bin/python3 ' +
      '(apt-get install python3-aiosmtpd)' : 'it did not write its port within 15 s';
    throw new Error(`the SMTP sink did not start: ${why}\n--- stderr ---\n${stderr}`);
  }

  // Every stored message, oldest first: {file, envelope: {from, to[]}, raw, ...parseMail(raw)}.
  function messages() {
    let names;
    try { names = readdirSync(maildir); } catch { return []; }
    return names.filter((n) => n.endsWith('.eml')).sort().map((n) => {
      const raw = readFileSync(path.join(maildir, n), 'latin1');
      const env = readFileSync(path.join(maildir, n.replace(/\.eml$/, '.envelope')), 'utf8');
      const from = /^MAIL FROM:<(.*)>$/m.exec(env)?.[1] ?? '';
      const to = [...env.matchAll(/^RCPT TO:<(.*)>$/gm)].map((m) => m[1]);
      return { file: n, envelope: { from, to }, raw, ...parseMail(raw) };
    });
  }

  // The messages held so far (stall), oldest first: {file, envelope: {from, to[]}}. Never
  // delivered: a held message is not among messages().
  function stalled() {
    let names;
    try { names = readdirSync(maildir); } catch { return []; }
    return names.filter((n) => n.endsWith('.stalled')).sort().map((n) => {
      const env = readFileSync(path.join(maildir, n), 'utf8');
      const from = /^MAIL FROM:<(.*)>$/m.exec(env)?.[1] ?? '';
      const to = [...env.matchAll(/^RCPT TO:<(.*)>$/gm)].map((m) => m[1]);
      return { file: n, envelope: { from, to } };
    });
  }

  // Waits (bounded) for a message to `to` (case-insensitive) received after the first `skip`
  // of all messages, matching `pred` if given; resolves with it or throws.
  async function waitFor(to, { pred = () => true, ms = 10_000, after = 0 } = {}) {
    const want = to.toLowerCase();
    const found = await poll(() => messages().slice(after)
      .find((m) => m.envelope.to.some((t) => t.toLowerCase() === want) && pred(m)),
    { ms, every: 25 });
    if (!found) {
      const seen = messages().map((m) => `${m.file} to ${m.envelope.to.join(',')}: ` +
        `${m.headers.subject}`).join('\n  ');
      throw new Error(`no mail to ${to} within ${ms} ms; the sink has:\n  ${seen || '(nothing)'}`);
    }
    return found;
  }

  // Mail to `to` (case-insensitive) so far.
  function mailTo(to) {
    const want = to.toLowerCase();
    return messages().filter((m) => m.envelope.to.some((t) => t.toLowerCase() === want));
  }

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    try {
      child.stdin.end();
      let timer;
      const r = await Promise.race([exited,
        new Promise((resolve) => { timer = setTimeout(() => resolve(null), 5000); })]);
      clearTimeout(timer);
      if (r === null) {
        child.kill('SIGKILL');
        await exited;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  return { port, url: `smtp://127.0.0.1:${port}`, maildir, messages, stalled, mailTo, waitFor, stop,
    stderr: () => stderr };
}

// --- reading a message ------------------------------------------------------------------------

// Splits a header block into {name(lowercase): value} (the first of each, unfolded) and
// `all` ([name, value] in order).
function parseHeaders(block) {
  const headers = {};
  const all = [];
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    all.push([name, value]);
    if (!(name in headers)) headers[name] = value;
  }
  return { headers, all };
}

// Decodes quoted-printable (RFC 2045 6.7) into a Buffer.
export function decodeQuotedPrintable(s) {
  const bytes = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(text.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

// Decodes RFC 2047 encoded-words in a header value.
export function decodeHeader(v) {
  return v.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=\s*(?==\?)/g, '=?$1?$2?$3?=')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (all, charset, enc, data) => {
      const buf = enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64')
        : decodeQuotedPrintable(data.replace(/_/g, ' '));
      return buf.toString('utf8');
    });
}

function decodeBody(body, encoding) {
  const e = (encoding ?? '').toLowerCase();
  if (e === 'quoted-printable') return decodeQuotedPrintable(body).toString('utf8');
  if (e === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return Buffer.from(body, 'latin1').toString('utf8');
}

// Parses a raw message (as latin1 text, CRLF line ends) into {headers, headerList, parts:
// [{type, headers, text}], text (the text/plain part), html (the text/html part)}.
export function parseMail(raw) {
  const cut = raw.indexOf('\r\n\r\n');
  const head = cut < 0 ? raw : raw.slice(0, cut);
  const body = cut < 0 ? '' : raw.slice(cut + 4);
  const { headers, all } = parseHeaders(head);
  const parts = [];
  const ctype = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(ctype)?.[1];
  if (/^multipart\//i.test(ctype) && boundary) {
    const pieces = body.split(`--${boundary}`);
    for (const piece of pieces.slice(1)) {
      if (piece.startsWith('--')) break;
      const p = piece.replace(/^\r\n/, '');
      const pc = p.indexOf('\r\n\r\n');
      const ph = parseHeaders(pc < 0 ? p : p.slice(0, pc)).headers;
      const pb = pc < 0 ? '' : p.slice(pc + 4).replace(/\r\n$/, '');
      parts.push({ type: (ph['content-type'] ?? 'text/plain').split(';')[0].trim().toLowerCase(),
        headers: ph, text: decodeBody(pb, ph['content-transfer-encoding']) });
    }
  } else {
    parts.push({ type: ctype.split(';')[0].trim().toLowerCase(), headers,
      text: decodeBody(body, headers['content-transfer-encoding']) });
  }
  const subject = decodeHeader(headers.subject ?? '');
  return {
    headers: { ...headers, subject },
    headerList: all,
    parts,
    text: parts.find((p) => p.type === 'text/plain')?.text ?? '',
    html: parts.find((p) => p.type === 'text/html')?.text ?? '',
  };
}

// The first link to `route` (e.g. '/verify') in a message's text part, as a URL string.
export function linkIn(msg, route) {
  const re = new RegExp(`https?://[^\\s<>"]+${route.replace(/[/?]/g, '\\$&')}\\?token=[A-Za-z0-9_%=-]+`);
  const m = re.exec(msg.text);
  if (!m) throw new Error(`no ${route}?token= link in the mail's text part:\n${msg.text}`);
  return m[0];
}
