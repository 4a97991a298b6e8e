// Starting the real server for the HTTP and browser tests, running the CLI, and talking raw HTTP
// over a TCP socket. Every wait here is bounded: a test may fail, but it never hangs.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const bin = process.env.BROADSHEET_BIN || path.join(repoRoot, 'build', 'broadsheet');
export const themeDir = path.join(repoRoot, 'themes', 'default');
export const demoDir = path.join(repoRoot, 'demo');

const SANITIZER_MARKERS = ['AddressSanitizer', 'LeakSanitizer', 'runtime error:'];

// Children still running when the test process exits are killed (the server also dies with its
// parent on its own, through BROADSHEET_DIE_WITH_PARENT).
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

export function tmpDir(prefix = 'broadsheet-test-') {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

// A fresh, empty database for one server: a new SQLite file in dir, or, when
// BROADSHEET_TEST_PG_DIR names a running throwaway PostgreSQL (scripts/pg-test-cluster, as
// `make pg-test` starts one), a new database on it, by its URL.
let databases = 0;
export function freshDatabase(dir) {
  const cluster = process.env.BROADSHEET_TEST_PG_DIR;
  if (!cluster) return path.join(dir, 'test.db');
  databases += 1;
  const name = `bt_${process.pid}_${databases}`;
  const r = spawnSync(path.join(repoRoot, 'scripts', 'pg-test-cluster'), ['createdb', cluster, name],
    { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`createdb ${name}: exit ${r.status}\n${r.stderr}`);
  return r.stdout.trim();
}

function assertBinary() {
  if (!existsSync(bin)) {
    throw new Error(`server binary not found: ${bin} (build it with \`make build/broadsheet\`, ` +
      'or set BROADSHEET_BIN)');
  }
}

function sanitizerCheck(stderr) {
  if (!process.env.BROADSHEET_SANITIZED) return;
  for (const marker of SANITIZER_MARKERS) {
    if (stderr.includes(marker)) {
      throw new Error(`sanitizer report (${marker}) in the server's stderr:\n${stderr}`);
    }
  }
}

// Starts `broadsheet serve` on a free port with a fresh database (or `db`, when given) and
// resolves once it prints `listening on http://127.0.0.1:PORT` on stderr. `wrapper`, when given,
// is a command and its arguments that run the server (e.g. setpriv, to drop capabilities).
// `metrics`: also serve /metrics on a free port of its own (metrics_address 127.0.0.1:0, or the
// address given as a string); the result's metricsUrl is where (from the server's own
// `metrics on http://…/metrics` line), else null. `staff`: with demo, also make the demo's
// staff accounts with new passwords (printed on stderr); without it the server starts with
// --demo-without-staff, which spares three password hashes (most of a start's time).
export async function startServer({ demo = true, staff = false, args = [], env = {}, db,
  wrapper = [], metrics = false } = {}) {
  assertBinary();
  const dir = tmpDir();
  const dbPath = db ?? freshDatabase(dir);
  const argv = ['serve', '--address', '127.0.0.1', '--port', '0', '--db', dbPath,
    '--theme', themeDir, '--demo-dir', demoDir];
  if (demo) argv.push('--demo');
  if (demo && !staff) argv.push('--demo-without-staff');
  // Uploads (ad images) and the mail outbox go to the test's own directory unless a test says
  // otherwise, so no test writes into the repository's data/.
  if (!args.includes('--uploads')) argv.push('--uploads', path.join(dir, 'uploads'));
  if (!args.includes('--outbox')) argv.push('--outbox', path.join(dir, 'outbox'));
  if (metrics) argv.push('--metrics-address', typeof metrics === 'string' ? metrics : '127.0.0.1:0');
  argv.push(...args);

  const child = spawn(wrapper.length ? wrapper[0] : bin,
    wrapper.length ? [...wrapper.slice(1), bin, ...argv] : argv, {
    cwd: repoRoot,
    env: { ...process.env, BROADSHEET_DIE_WITH_PARENT: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  let exit = null; // {code, signal} once exited
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      exit = { code, signal };
      live.delete(child);
      resolve(exit);
    });
  });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (s) => { stdout += s; });
  let onStderr = () => {};
  child.stderr.on('data', (s) => { stderr += s; onStderr(); });

  const describe = () => `command: ${[...wrapper, bin, ...argv].join(' ')}\n--- stderr so far ---\n${stderr}` +
    `\n--- stdout so far ---\n${stdout.slice(-4000)}`;

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`server did not print "listening on http://127.0.0.1:PORT" within 20 s\n` +
        describe()));
    }, 20_000);
    const onData = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) { cleanup(); resolve(Number(m[1])); }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`server exited (code ${code}, signal ${signal}) before listening\n` +
        describe()));
    };
    const onError = (err) => {
      cleanup();
      reject(new Error(`could not spawn the server: ${err.message}\n${describe()}`));
    };
    function cleanup() {
      clearTimeout(timer);
      onStderr = () => {};
      child.off('close', onExit);
      child.off('error', onError);
    }
    onStderr = onData;
    child.on('close', onExit);
    child.on('error', onError);
  }).catch((err) => {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });

  let stopped = false;
  async function stop() {
    if (stopped) return exit;
    stopped = true;
    try {
      if (exit === null) child.kill('SIGTERM');
      let timer;
      const result = await Promise.race([
        exited,
        new Promise((resolve) => { timer = setTimeout(() => resolve(null), 10_000); }),
      ]);
      clearTimeout(timer);
      if (result === null) {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`server did not exit within 10 s of SIGTERM (killed it)\n${describe()}`);
      }
      if (result.code !== 0) {
        throw new Error(`server exited with code ${result.code}, signal ${result.signal} ` +
          `(expected 0)\n${describe()}`);
      }
      sanitizerCheck(stderr);
      return result;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // Printed before the site's own line, so it is in stderr by now.
  const metricsUrl = /metrics on (http:\/\/\S+\/metrics)/.exec(stderr)?.[1] ?? null;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    metricsUrl,
    db: dbPath,
    dir,
    proc: child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    stop,
  };
}

// Runs the binary synchronously (bounded by opts.timeout, default 30 s).
export function runCli(args, opts = {}) {
  assertBinary();
  const { env = {}, timeout = 30_000, input, cwd = repoRoot } = opts;
  const r = spawnSync(bin, args, {
    cwd,
    env: { ...process.env, BROADSHEET_DIE_WITH_PARENT: '1', ...env },
    encoding: 'utf8',
    timeout,
    input,
    killSignal: 'SIGKILL',
  });
  if (r.error && r.error.code !== 'ETIMEDOUT') throw r.error;
  const out = { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '',
    timedOut: r.error?.code === 'ETIMEDOUT' };
  sanitizerCheck(out.stderr);
  return out;
}

// --- raw HTTP ---------------------------------------------------------------------------------

// Parses one HTTP/1.x response at `offset` in `buf`. Returns {status, reason, headers, rawHeaders,
// body, end} (end = offset just past the response) or null when not complete yet. `head` means
// the response has no body whatever its headers say (a HEAD request).
// With neither Content-Length nor chunked encoding the body runs to the close: pass
// `closed` = true once the stream has ended to accept that.
export function parseResponse(buf, offset = 0, { head = false, closed = false } = {}) {
  const headEnd = buf.indexOf('\r\n\r\n', offset, 'latin1');
  if (headEnd < 0) return null;
  const headText = buf.subarray(offset, headEnd).toString('latin1');
  const lines = headText.split('\r\n');
  const m = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!m) throw new Error(`malformed status line: ${JSON.stringify(lines[0])}`);
  const status = Number(m[1]);
  const headers = {};
  const rawHeaders = [];
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    rawHeaders.push([name, value]);
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const bodyStart = headEnd + 4;
  const base = { status, reason: m[2] ?? '', headers, rawHeaders, headText };
  if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { ...base, body: Buffer.alloc(0), end: bodyStart };
  }
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
    const parts = [];
    let p = bodyStart;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', p, 'latin1');
      if (lineEnd < 0) return null;
      const size = parseInt(buf.subarray(p, lineEnd).toString('latin1').split(';')[0], 16);
      if (Number.isNaN(size)) throw new Error('malformed chunk size');
      p = lineEnd + 2;
      if (size === 0) {
        const trailerEnd = buf.indexOf('\r\n\r\n', p - 2, 'latin1');
        if (trailerEnd < 0) return null;
        return { ...base, body: Buffer.concat(parts), end: trailerEnd + 4 };
      }
      if (buf.length < p + size + 2) return null;
      parts.push(buf.subarray(p, p + size));
      p += size + 2;
    }
  }
  if ('content-length' in headers) {
    const len = Number(headers['content-length']);
    if (!Number.isInteger(len) || len < 0) throw new Error(`bad Content-Length ${headers['content-length']}`);
    if (buf.length < bodyStart + len) return null;
    return { ...base, body: buf.subarray(bodyStart, bodyStart + len), end: bodyStart + len };
  }
  if (!closed) return null;
  return { ...base, body: buf.subarray(bodyStart), end: buf.length };
}

// Opens a TCP connection, writes `bytes` (a Buffer, or a string taken byte for byte as latin1)
// and resolves — never rejects — with what came back: once a complete response has arrived, or
// at close, or at the timeout. Result: {status (null if no status line), headers, body (Buffer),
// text (the whole response as UTF-8), raw (Buffer), timedOut, closed, error}.
export function rawRequest(port, bytes, { timeout = 5000, head } = {}) {
  const data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1');
  const isHead = head ?? data.subarray(0, 5).toString('latin1') === 'HEAD ';
  return new Promise((resolve) => {
    const chunks = [];
    let done = false;
    let timedOut = false;
    let closed = false;
    let error = null;
    const sock = net.connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => { timedOut = true; finish(); }, timeout);
    function finish() {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const raw = Buffer.concat(chunks);
      let parsed = null;
      try { parsed = parseResponse(raw, 0, { head: isHead, closed: true }); } catch { /* raw */ }
      resolve({
        status: parsed?.status ?? null,
        reason: parsed?.reason ?? '',
        headers: parsed?.headers ?? {},
        rawHeaders: parsed?.rawHeaders ?? [],
        body: parsed?.body ?? Buffer.alloc(0),
        text: raw.toString('utf8'),
        raw,
        timedOut,
        closed,
        error,
      });
    }
    sock.on('connect', () => { sock.write(data, () => {}); });
    sock.on('data', (d) => {
      chunks.push(d);
      try {
        if (parseResponse(Buffer.concat(chunks), 0, { head: isHead })) finish();
      } catch { finish(); }
    });
    sock.on('end', () => { closed = true; finish(); });
    sock.on('close', () => { closed = true; finish(); });
    sock.on('error', (err) => { error = err; finish(); });
  });
}

// Sends `bytes` on one connection (in pieces with `gapMs` between them when `pieces` is given, an
// array of strings or buffers) and reads until the server closes it or `timeout` passes. Returns
// {responses, raw, closed, timedOut, ms}: every response in the bytes, parsed in order (a
// malformed one throws: the caller wants to know), and how long until the close.
export function rawExchange(port, bytes, { timeout = 5000, pieces, gapMs = 0 } = {}) {
  const parts = (pieces ?? [bytes]).map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1')));
  return new Promise((resolve) => {
    const chunks = [];
    let done = false;
    let timedOut = false;
    let closed = false;
    const started = Date.now();
    const sock = net.connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => { timedOut = true; finish(); }, timeout);
    let gap = null;
    function finish() {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(gap);
      sock.destroy();
      const raw = Buffer.concat(chunks);
      const responses = [];
      let offset = 0;
      while (offset < raw.length) {
        const r = parseResponse(raw, offset, { closed: true });
        if (!r) break;
        responses.push(r);
        offset = r.end;
      }
      resolve({ responses, raw, rest: raw.subarray(offset), closed, timedOut, ms: Date.now() - started });
    }
    function send(i) {
      if (done || i >= parts.length || sock.destroyed) return;
      sock.write(parts[i], () => {});
      if (i + 1 < parts.length) gap = setTimeout(() => send(i + 1), gapMs);
    }
    sock.on('connect', () => send(0));
    sock.on('data', (d) => { chunks.push(d); });
    sock.on('end', () => { closed = true; finish(); });
    sock.on('close', () => { closed = true; finish(); });
    sock.on('error', () => { closed = true; finish(); });
  });
}

// A well-formed request over rawRequest: identity encoding unless asked, Connection: close.
export function httpRequest(port, method, target, headers = {}, { body, timeout = 5000 } = {}) {
  const h = { Host: `127.0.0.1:${port}`, Connection: 'close', ...headers };
  if (body !== undefined) h['Content-Length'] = Buffer.byteLength(body);
  let text = `${method} ${target} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) if (v !== undefined && v !== null) text += `${k}: ${v}\r\n`;
  const bytes = Buffer.concat([Buffer.from(`${text}\r\n`, 'latin1'),
    body === undefined ? Buffer.alloc(0) : Buffer.from(body)]);
  return rawRequest(port, bytes, { timeout, head: method === 'HEAD' });
}
