// A small "browser" for the account tests: a cookie jar, form posts carrying the page's CSRF
// token, and the common steps (register, log in, read a mailed link). Every request is bounded
// (util.get's 10 s timeout).

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import { startServer, tmpDir, runCli } from './server.mjs';
import { startSmtpSink, linkIn } from './smtp.mjs';
import { get, attr, decodeEntities, textOf } from './util.mjs';
import { pgQuery } from './pgsql-query.mjs';

export const SITE_NAME = 'National Journal';
export const SQLITE = '/usr/bin/sqlite3';
export const BAD_LOGIN = 'The email or password is incorrect.';

// A server whose mail goes to a fresh SMTP sink. Resolves with {srv, sink, stop()}.
export async function startMailServer({ args = [], env = {}, staff = false } = {}) {
  const sink = await startSmtpSink();
  let srv;
  try {
    srv = await startServer({ args: ['--smtp-url', sink.url, '--mail-from', 'news@example.test',
      ...args], env, staff });
  } catch (err) {
    await sink.stop();
    throw err;
  }
  return {
    srv,
    sink,
    async stop() {
      try { await srv.stop(); } finally { await sink.stop(); }
    },
  };
}

// A server with no SMTP (mail to an outbox in a temporary directory).
export async function startQuietServer({ args = [], env = {} } = {}) {
  const outbox = tmpDir('broadsheet-outbox-');
  let srv;
  try {
    srv = await startServer({ args: ['--outbox', outbox, ...args], env });
  } catch (err) {
    rmSync(outbox, { recursive: true, force: true });
    throw err;
  }
  const stop = srv.stop;
  return { ...srv, outbox,
    async stop() {
      try { return await stop(); } finally { rmSync(outbox, { recursive: true, force: true }); }
    } };
}

// 1 if db is a PostgreSQL URL (the suite runs on both backends: `make pg-test`).
export const isPg = (db) => /^postgres(ql)?:\/\//.test(db);

// Runs a statement (or query) on the server's database, with the sqlite3 CLI for a file or
// psql for a PostgreSQL URL; returns stdout, each row's columns joined by '|' either way.
// On PostgreSQL through a session kept open (pgsql-query.mjs).
export function sql(db, statement) {
  const pg = isPg(db);
  const r = pg
    ? pgQuery(db, statement)
    : spawnSync(SQLITE, ['-batch', '-cmd', '.timeout 5000', db, statement],
      { encoding: 'utf8', timeout: 15_000 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `${pg ? 'psql' : 'sqlite3'} ${statement}: exit ${r.status}\n${r.stderr}`);
  return r.stdout.trim();
}

// Makes every INSERT into table fail (a fault for a test), and takes that back: a trigger that
// raises, in each backend's dialect.
export function refuseInserts(db, table) {
  sql(db, isPg(db)
    ? `CREATE FUNCTION refuse_${table}() RETURNS trigger LANGUAGE plpgsql AS
        $$BEGIN RAISE EXCEPTION 'refused by the test'; END$$;
      CREATE TRIGGER refuse_${table} BEFORE INSERT ON ${table} FOR EACH ROW
        EXECUTE FUNCTION refuse_${table}()`
    : `CREATE TRIGGER refuse_${table} BEFORE INSERT ON ${table}
      BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
}
export function allowInserts(db, table) {
  sql(db, isPg(db) ? `DROP TRIGGER refuse_${table} ON ${table}; DROP FUNCTION refuse_${table}()`
    : `DROP TRIGGER refuse_${table}`);
}

// Holds the database's write lock from another process for ms milliseconds; resolves once it is
// held, with {released}: a promise of its release (wrapped, or awaiting this would wait for the
// release too). SQLite: BEGIN IMMEDIATE (python3's sqlite3). PostgreSQL, where no one lock stops
// every writer: every table a request writes locked EXCLUSIVE (reads go on, writes wait), from
// psql, and held once pg_locks shows it granted.
const WRITTEN_BY_REQUESTS = 'users, sessions, tokens, mail_queue, meter_reads, ad_stats, ' +
  'subscriptions, stripe_events, rate_limits';
export async function holdWriteLock(db, ms) {
  const pg = isPg(db);
  const child = pg
    ? spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', 'BEGIN',
      '-c', `LOCK TABLE ${WRITTEN_BY_REQUESTS} IN EXCLUSIVE MODE`,
      '-c', `SELECT pg_sleep(${ms / 1000})`, '-c', 'COMMIT'], { stdio: ['ignore', 'ignore', 'inherit'] })
    : spawn('python3', ['-c', `
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute('BEGIN IMMEDIATE')
print('locked', flush=True)
time.sleep(float(sys.argv[2]) / 1000)
c.execute('COMMIT')
`, db, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`lock holder exited ${code}`)));
    if (!pg) {
      child.stdout.on('data', (d) => { if (String(d).includes('locked')) resolve(); });
      return;
    }
    const started = Date.now();
    const look = () => {
      const held = sql(db, "SELECT count(*) FROM pg_locks WHERE relation = 'meter_reads'::regclass " +
        "AND mode = 'ExclusiveLock' AND granted");
      if (held === '1') resolve();
      else if (Date.now() - started > 10_000) reject(new Error('the lock was not taken within 10 s'));
      else setTimeout(look, 20);
    };
    look();
  });
  return { released: exited };
}

// Every byte the database holds on disk: the file and its WAL and shared-memory files.
export function dbBytes(db) {
  return Buffer.concat(['', '-wal', '-shm', '-journal'].map((suffix) => {
    try { return readFileSync(db + suffix); } catch { return Buffer.alloc(0); }
  }));
}

// Hex BLAKE2b-256 of a string (what the server stores for a session or link token), computed
// by Python's hashlib, since node's crypto has no BLAKE2b with a 32-byte digest.
export function blake2b256(s) {
  const r = spawnSync('/usr/bin/python3', ['-c',
    'import hashlib,sys; print(hashlib.blake2b(sys.stdin.buffer.read(), digest_size=32).hexdigest())'],
  { input: s, encoding: 'utf8', timeout: 15_000 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// Creates an account with `broadsheet user add` (the password on standard input), straight in
// the database: no registration, so no registration rate limit. Returns the CLI's result.
export function addUser(db, email, password, { role = 'reader', name = 'CLI Reader' } = {}) {
  const r = runCli(['user', 'add', email, '--role', role, '--name', name, '--db', db],
    { input: `${password}\n` });
  assert.equal(r.status, 0, `user add ${email}: exit ${r.status}\n${r.stderr}`);
  return r;
}

// A unique address per call, so the tests in one file never collide.
let serial = 0;
export function freshEmail(tag = 'reader') {
  serial += 1;
  return `${tag}-${process.pid}-${serial}-${Date.now() % 100000}@example.test`;
}

// The value of the hidden csrf field in a page (the first one), or null.
export function csrfIn(html) {
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    if (attr(m[0], 'name') === 'csrf') return attr(m[0], 'value');
  }
  return null;
}

// The first <form method="post"> in a page whose action is `action`, as {action, fields}: the
// names and values of its inputs (hidden ones included), or null when there is none.
export function formPostingTo(html, action) {
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const open = `<form${m[1]}>`;
    if ((attr(open, 'method') ?? '').toLowerCase() !== 'post' || attr(open, 'action') !== action) continue;
    const fields = {};
    for (const input of m[2].matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (name) fields[name] = attr(input[0], 'value') ?? '';
    }
    return { action, fields };
  }
  return null;
}

// The opening tag of the <input> with id `id`, or null.
export function inputTag(html, id) {
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    if (attr(m[0], 'id') === id) return m[0];
  }
  return null;
}

// The text of <p class="field-error" id="ID"> (decoded), or null when there is no such element.
export function fieldError(html, id) {
  const m = new RegExp(`<p\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</p>`, 'i').exec(html);
  return m ? textOf(m[1]) : null;
}

// The masthead's account slot (the markup between <!--account--> and <!--/account-->), or
// null when the page has none.
export function accountSlot(html) {
  const m = /<!--account-->([\s\S]*?)<!--\/account-->/.exec(html);
  return m ? m[1] : null;
}

// A client with its own cookie jar: one browser.
export class Client {
  // `forwardedFor`: an address sent as X-Forwarded-For with every request, so that a server
  // that trusts 127.0.0.1 as its proxy (--trusted-proxies) takes this browser to come from it.
  constructor(base, { userAgent = 'accounts-test', forwardedFor } = {}) {
    this.base = base;
    this.jar = new Map();
    this.userAgent = userAgent;
    this.forwardedFor = forwardedFor;
    this.last = null; // {res, body, setCookies}
  }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  // Stores the Set-Cookie headers of a response (Max-Age=0 or an empty value deletes).
  absorb(res) {
    const set = res.headers.getSetCookie();
    for (const c of set) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const maxAge = attrs.map((a) => /^\s*max-age\s*=\s*(-?\d+)/i.exec(a)).find(Boolean);
      if (!value || (maxAge && Number(maxAge[1]) <= 0)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return set;
  }

  async request(method, path, { body, headers = {} } = {}) {
    const h = { 'User-Agent': this.userAgent, ...headers };
    if (this.forwardedFor) h['X-Forwarded-For'] = this.forwardedFor;
    if (this.jar.size) h.Cookie = this.cookieHeader();
    const res = await get(this.base + path, { method, headers: h, body });
    const text = await res.text();
    const setCookies = this.absorb(res);
    this.last = { res, body: text, setCookies };
    return { status: res.status, res, body: text, setCookies,
      location: res.headers.get('location'), headers: res.headers };
  }

  get(path) { return this.request('GET', path); }

  // A CSRF token for this browser, from the page at `from` (a page with a form).
  async csrf(from = '/login') {
    const r = await this.get(from);
    const token = csrfIn(r.body);
    assert.ok(token, `GET ${from} (status ${r.status}) has no csrf field`);
    return token;
  }

  // POSTs a urlencoded form. `csrf`: true (fetch one from `from` first), false (none), or a
  // token string. `fields` may be an object or a ready body string (raw bytes with %XX).
  async post(path, fields = {}, { csrf = true, from = '/login' } = {}) {
    let body;
    if (typeof fields === 'string') {
      body = fields;
      if (csrf !== false) {
        const token = csrf === true ? await this.csrf(from) : csrf;
        body = `csrf=${encodeURIComponent(token)}&${body}`;
      }
    } else {
      const p = new URLSearchParams();
      if (csrf !== false) p.set('csrf', csrf === true ? await this.csrf(from) : csrf);
      for (const [k, v] of Object.entries(fields)) p.set(k, v);
      body = p.toString();
    }
    return this.request('POST', path, { body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  }

  // Registers; asserts the 303 to /account?done=welcome.
  async register(email, password, name = 'Test Reader') {
    const r = await this.post('/register', { email, name, password }, { from: '/register' });
    assert.equal(r.status, 303, `register ${email}: status ${r.status}\n${textOf(r.body).slice(0, 600)}`);
    assert.equal(r.location, '/account?done=welcome');
    return r;
  }

  async login(email, password, next) {
    const fields = { email, password };
    if (next !== undefined) fields.next = next;
    return this.post('/login', fields, { from: '/login' });
  }

  // Logs in; asserts the 303.
  async signIn(email, password) {
    const r = await this.login(email, password);
    assert.equal(r.status, 303, `log in ${email}: status ${r.status}\n${textOf(r.body).slice(0, 600)}`);
    assert.ok(this.jar.get('bs_session'), 'no bs_session cookie after log-in');
    return r;
  }

  async logout() {
    return this.post('/logout', {}, { from: '/account' });
  }

  // 1 when /account shows the account page (signed in), 0 when it redirects to log-in.
  async signedIn() {
    const r = await this.get('/account');
    if (r.status === 200 && /<h1[^>]*>My account<\/h1>/.test(r.body)) return true;
    assert.equal(r.status, 303, `GET /account: unexpected status ${r.status}`);
    assert.equal(r.location, '/login?next=/account');
    return false;
  }

  // Follows a mailed link as a reader does: opens it, and presses the button of the page's form
  // that posts back to the link's path (the link's token and this browser's CSRF token in its
  // fields). Returns the answer to the POST, or to the GET when the page has no such form (a
  // link that can no longer be used says so at once).
  async confirm(link) {
    const path = new URL(link, this.base).pathname;
    const page = await this.get(linkPath(new URL(link, this.base).href));
    const form = page.status === 200 ? formPostingTo(page.body, path) : null;
    if (!form) return page;
    return this.post(path, form.fields, { csrf: false });
  }

  // POSTs a form from the account page (with this session's CSRF token).
  async account(path, fields) {
    return this.post(path, fields, { from: '/account' });
  }
}

// The path and query of a mailed link, for a client of the same server.
export function linkPath(link) {
  const u = new URL(link);
  return u.pathname + u.search;
}

// The message in a mail page: {status, title, body}.
export function messagePage(r) {
  const title = /<h1\b[^>]*>([\s\S]*?)<\/h1>/i.exec(r.body)?.[1];
  return { status: r.status, title: title ? textOf(title) : null, text: textOf(r.body) };
}

export { linkIn, decodeEntities };
