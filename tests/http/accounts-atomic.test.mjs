// Reader accounts, all or nothing: registration (the account, its verification link, the mail
// carrying it and the session) is one transaction. A step that fails after the account row was
// written (made to fail here by a trigger the test installs on that step's table) leaves no
// account, no link, no mail and no session, and the reader is told the account could not be
// created; once the trigger is gone, registering the same address works.
//
// One server for the file; its own, because the triggers refuse every session or link while
// they are in place.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMailServer, Client, freshEmail, sql, fieldError, refuseInserts, allowInserts,
} from '../lib/accounts.mjs';
import { textOf } from '../lib/util.mjs';

const PASSWORD = 'quarry-lantern-meadow';
let env;

before(async () => { env = await startMailServer(); });
after(async () => { await env?.stop(); });

const q = (s) => `'${s.replace(/'/g, "''")}'`;
const count = (statement) => Number(sql(env.srv.db, statement));

// Registration steps after the account row, and the table each one writes.
for (const [step, table] of [['the verification link', 'tokens'], ['its mail', 'mail_queue'],
  ['the session', 'sessions']]) {
  test(`register is all or nothing: when ${step} cannot be stored, no account remains and the address can register again`, {
    timeout: 30_000,
  }, async () => {
    const email = freshEmail(`atomic-${table}`);
    const users = count('SELECT count(*) FROM users');
    const tokens = count('SELECT count(*) FROM tokens');
    const sessions = count('SELECT count(*) FROM sessions');
    refuseInserts(env.srv.db, table);
    let r;
    try {
      r = await new Client(env.srv.url).post('/register',
        { email, name: 'Atomic Reader', password: PASSWORD }, { from: '/register' });
    } finally {
      allowInserts(env.srv.db, table);
    }
    assert.equal(r.status, 500, `status ${r.status}: ${textOf(r.body).slice(0, 300)}`);
    assert.match(fieldError(r.body, 'form-error') ?? textOf(r.body), /could not be created/);
    assert.ok(!r.setCookies.some((c) => /^bs_session=[^;]/.test(c)), 'a session cookie was set');
    assert.equal(count(`SELECT count(*) FROM users WHERE email = ${q(email)}`), 0,
      'the account row stayed');
    assert.equal(count('SELECT count(*) FROM users'), users);
    assert.equal(count('SELECT count(*) FROM tokens'), tokens, 'a link stayed');
    assert.equal(count('SELECT count(*) FROM sessions'), sessions, 'a session stayed');
    assert.equal(count(`SELECT count(*) FROM mail_queue WHERE recipient = ${q(email)}`), 0,
      'a mail was queued');

    // Registering again is not "already exists".
    const again = new Client(env.srv.url);
    await again.register(email, PASSWORD, 'Atomic Reader');
    assert.equal(await again.signedIn(), true);
    assert.equal(count(`SELECT count(*) FROM users WHERE email = ${q(email)}`), 1);
    await env.sink.waitFor(email);
  });
}
