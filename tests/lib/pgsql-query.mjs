// One psql session per database URL, kept for the whole test process, so that a test's SQL
// costs a round trip instead of a new psql and a new server backend (about 90 ms each on the
// CI machine, which with thousands of statements was a fifth of the PostgreSQL lane).
//
// The API stays synchronous, as the tests use it: psql reads from one named pipe and writes to
// another, which this process opens with blocking file descriptors (fs.readSync on a child's
// ordinary pipe would not block). After each statement psql echoes a line made of a token of
// this process and the statement's error message, if any: what came before it is the result.
//
// Behaviour is that of a fresh `psql -X -q -A -t -c STATEMENT` per call, but for two things:
// statements in one call run one after another rather than in one implicit transaction, and a
// statement is cancelled after 15 s (statement_timeout; the one-shot psql was killed then).
// A session whose psql has gone (its server restarted, its database dropped) is replaced; a
// call whose psql ended without an answer is run once more by a one-shot psql, which reports
// a connection failure as before.

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const sessions = new Map(); // url → {child, w, r, dir}
const TOKEN = `__broadsheet_psql_${randomBytes(8).toString('hex')}__`;
const DONE = `${TOKEN}done\n`;

function open(url) {
  const dir = mkdtempSync(path.join(tmpdir(), 'broadsheet-psql-'));
  const input = path.join(dir, 'in');
  const output = path.join(dir, 'out');
  const made = spawnSync('mkfifo', [input, output]);
  if (made.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  // sh opens the pipes (input first, as this process does, so neither waits for ever) and
  // becomes psql.
  const child = spawn('sh', ['-c', 'exec psql -X -q -A -t -d "$0" <"$1" >"$2" 2>/dev/null',
    url, input, output], { stdio: 'ignore' });
  child.unref();
  const w = openSync(input, 'w');
  const r = openSync(output, 'r');
  const s = { child, w, r, dir };
  sessions.set(url, s);
  if (!send(s, "SET statement_timeout = '15s';")) {
    close(url);
    return null;
  }
  return s;
}

function close(url) {
  const s = sessions.get(url);
  if (!s) return;
  sessions.delete(url);
  try { closeSync(s.w); } catch { /* gone */ }
  try { closeSync(s.r); } catch { /* gone */ }
  try { s.child.kill(); } catch { /* gone */ }
  rmSync(s.dir, { recursive: true, force: true });
}

process.on('exit', () => { for (const url of [...sessions.keys()]) close(url); });

// Writes text, then reads up to the end marker. Returns {out, error}, or null when psql ended.
function send(s, text) {
  const script = `\\set LAST_ERROR_MESSAGE ''\n${text}\n\\echo ${TOKEN} :'LAST_ERROR_MESSAGE'\n\\echo ${TOKEN}done\n`;
  try {
    writeSync(s.w, script);
  } catch {
    return null; // EPIPE: psql has gone
  }
  const chunks = [];
  const buf = Buffer.alloc(65536);
  let got = '';
  for (;;) {
    const n = readSync(s.r, buf, 0, buf.length, null);
    if (n === 0) return null;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    got = Buffer.concat(chunks).toString('utf8');
    if (got.endsWith(DONE)) break;
  }
  const marker = got.lastIndexOf(`${TOKEN} `, got.length - DONE.length);
  const out = got.slice(0, marker);
  // :'LAST_ERROR_MESSAGE' is an SQL literal: '' when there was no error.
  const quoted = got.slice(marker + TOKEN.length + 1, got.length - DONE.length).trim();
  const error = quoted === "''" ? '' : quoted.replace(/^'|'$/g, '').replace(/''/g, "'");
  return { out, error };
}

// Runs statement on url. Returns {status, stdout, stderr} as spawnSync's result would be.
export function pgQuery(url, statement) {
  const s = sessions.get(url) ?? open(url);
  if (s) {
    const r = send(s, /;\s*$/.test(statement) ? statement : `${statement};`);
    if (r) return { status: r.error ? 1 : 0, stdout: r.out, stderr: r.error };
    close(url);
  }
  // psql ended (or could not start): a one-shot psql says why, or runs the statement on a
  // server that is back.
  const r = spawnSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', statement],
    { encoding: 'utf8', timeout: 15_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
