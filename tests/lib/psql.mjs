// A psql session kept open across a test's steps, for tests that play another node on a
// PostgreSQL database: take a row lock in a transaction, leave it open while the server runs into
// it, then commit. And a look at which of the database's backends are waiting for a lock.
//
// Every wait here is bounded; the session is ended (its transaction rolled back) by end(), or by
// the process's exit at the latest.

import { spawn } from 'node:child_process';
import { sql } from './accounts.mjs';
import { poll } from './util.mjs';

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
});

// Opens a session on db. Resolves with {run(statements), end()}: run sends the statements (one
// string, `;`-terminated) and resolves with what they printed once psql has run them all; the
// first error fails it (ON_ERROR_STOP ends the session).
export async function psqlSession(db) {
  const child = spawn('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  let exit = null;
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (s) => { out += s; });
  child.stderr.on('data', (s) => { err += s; });
  const exited = new Promise((resolve) => {
    child.on('close', (code) => { exit = { code }; live.delete(child); resolve(exit); });
  });
  child.on('error', (e) => { err += `spawn error: ${e.message}\n`; });
  let serial = 0;

  async function run(statements, { ms = 15_000 } = {}) {
    serial += 1;
    const marker = `-- psql-session done ${serial} --`;
    const from = out.length;
    child.stdin.write(`${statements}\n\\echo '${marker}'\n`);
    const done = await poll(() => exit || out.includes(marker, from), { ms, every: 10 });
    if (!done || exit) {
      throw new Error(`psql did not run ${JSON.stringify(statements)} within ${ms} ms ` +
        `(exit ${JSON.stringify(exit)}):\n${err}`);
    }
    return out.slice(from, out.indexOf(marker, from)).trim();
  }

  async function end() {
    if (!exit) child.stdin.end();
    let timer;
    const r = await Promise.race([exited,
      new Promise((resolve) => { timer = setTimeout(() => resolve(null), 5000); })]);
    clearTimeout(timer);
    if (r === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  return { run, end };
}

// The statements (pg_stat_activity's query, on one line each) of db's backends that are waiting
// for a lock.
export function waitingForLocks(db) {
  const rows = sql(db, "SELECT regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_activity " +
    "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
  return rows ? rows.split('\n') : [];
}
