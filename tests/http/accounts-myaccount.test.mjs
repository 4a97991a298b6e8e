// Reader accounts, "My account": display name (shown escaped), email (needs the password; takes
// effect only from the link sent to the new address), password (needs the current one; other
// sessions end, this one goes on with a new token), the sessions list (end one, end all others,
// never another account's), and deleting the account with its sessions and links.
//
// One server for the file; it allows 10 registrations per client address per hour, so the
// accounts that only need to exist are made with `broadsheet user add` instead.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMailServer, Client, freshEmail, sql, linkIn, linkPath, messagePage, accountSlot,
  inputTag, fieldError, addUser, formPostingTo, BAD_LOGIN,
} from '../lib/accounts.mjs';
import { REFERENCE_PATH, attr, decodeEntities, textOf } from '../lib/util.mjs';

const PASSWORD = 'walnut-cinema-lighthouse';
let env;

before(async () => { env = await startMailServer(); });
after(async () => { await env?.stop(); });

async function reader(tag = 'mine') {
  const email = freshEmail(tag);
  const c = new Client(env.srv.url, { userAgent: `Browser One (${tag})` });
  await c.register(email, PASSWORD, 'Account Reader');
  const id = sql(env.srv.db, `SELECT id FROM users WHERE email = '${email}'`);
  return { email, c, id };
}
const q = (s) => `'${s.replace(/'/g, "''")}'`;
const nameOf = (id) => sql(env.srv.db, `SELECT display_name FROM users WHERE id = ${id}`);
const emailOf = (id) => sql(env.srv.db, `SELECT email FROM users WHERE id = ${id}`);
const sessionsOf = (id) => Number(sql(env.srv.db, `SELECT count(*) FROM sessions WHERE user_id = ${id}`));

async function canLogIn(email, password) {
  const r = await new Client(env.srv.url).login(email, password);
  if (r.status === 303) return true;
  assert.equal(r.status, 200, `log-in: status ${r.status}`);
  assert.ok(textOf(r.body).includes(BAD_LOGIN), 'no log-in error shown');
  return false;
}

// The session ids listed on the account page, with which one is "This device".
function listedSessions(html) {
  return [...html.matchAll(/<li class="session( session-is-current)?">([\s\S]*?)<\/li>/g)].map((m) => ({
    current: Boolean(m[1]),
    id: /id="session-(\d+)"/.exec(m[2])?.[1],
    agent: textOf(/<p class="session-agent"[^>]*>([\s\S]*?)<\/p>/.exec(m[2])?.[1] ?? ''),
  }));
}

test('change name: saved, and shown escaped on the account page and in the masthead', { timeout: 30_000 }, async () => {
  const { c, id } = await reader('name');
  const name = '<b>Bold</b> & "Co" <img src=x onerror=alert(1)>';
  const r = await c.account('/account/name', { name });
  assert.equal(r.status, 303, textOf(r.body).slice(0, 300));
  assert.equal(r.location, '/account?done=name');
  assert.equal(nameOf(id), name);
  for (const path of ['/account?done=name', '/', REFERENCE_PATH]) {
    const page = await c.get(path);
    assert.ok(!page.body.includes('<b>Bold</b>') && !page.body.includes('<img src=x'),
      `GET ${path}: the name is not escaped`);
    assert.ok(accountSlot(page.body).includes('&lt;b&gt;Bold&lt;/b&gt; &amp;'), `GET ${path}: masthead`);
    assert.ok(decodeEntities(textOf(accountSlot(page.body))).includes(name), `GET ${path}: name missing`);
  }
  const acct = (await c.get('/account?done=name')).body;
  assert.match(acct, /Your name has been saved/);
  assert.equal(attr(inputTag(acct, 'name'), 'value'), name);

  // Bad names: an error next to the field, the name unchanged.
  for (const [bad, message] of [['   ', /Enter the name/], ['N'.repeat(101), /at most 100/],
    ['tab\there', /letters, numbers/]]) {
    const e = await c.account('/account/name', { name: bad });
    assert.equal(e.status, 422, `name ${JSON.stringify(bad.slice(0, 20))}: ${e.status}`);
    assert.match(fieldError(e.body, 'name-error') ?? '', message);
    assert.equal(nameOf(id), name, 'a refused name was saved');
  }
});

test('change email: the wrong password is an error and nothing is sent', { timeout: 30_000 }, async () => {
  const { email, c, id } = await reader('email-wrong');
  const target = freshEmail('new-wrong');
  const r = await c.account('/account/email', { email: target, password: 'not-my-password-at-all' });
  assert.equal(r.status, 422);
  assert.match(fieldError(r.body, 'email-error') ?? '', /password is not correct/);
  assert.equal(attr(inputTag(r.body, 'new-email'), 'value'), target, 'the new address is not refilled');
  assert.ok(!attr(inputTag(r.body, 'email-password'), 'value'), 'the password is refilled');
  assert.ok(!r.body.includes('not-my-password-at-all'));
  // A later, correct request proves the mailer ran past where a wrong one's mail would be.
  const other = freshEmail('new-right');
  const ok = await c.account('/account/email', { email: other, password: PASSWORD });
  assert.equal(ok.status, 303);
  await env.sink.waitFor(other);
  await new Promise((res) => setTimeout(res, 200));
  assert.deepEqual(env.sink.mailTo(target), [], 'a link went out despite the wrong password');
  assert.equal(emailOf(id), email);
});

test('change email: a link goes to the new address and the change applies only when it is followed', { timeout: 30_000 }, async () => {
  const { email, c, id } = await reader('email-old');
  const target = freshEmail('email-new');
  const r = await c.account('/account/email', { email: target, password: PASSWORD });
  assert.equal(r.status, 303, textOf(r.body).slice(0, 300));
  assert.equal(r.location, '/account?done=email-sent');
  const mail = await env.sink.waitFor(target);
  assert.deepEqual(mail.envelope.to, [target]);
  // Not yet: the old address is still the account's.
  assert.equal(emailOf(id), email);
  assert.match(textOf((await c.get('/account')).body), new RegExp(`Your address is ${email.replace(/\./g, '\\.')}`));
  assert.equal(await canLogIn(target, PASSWORD), false, 'the new address works before the link');

  // Opening the link (a mail scanner does) changes nothing; the page's button does.
  const link = linkIn(mail, '/verify-email');
  const opener = new Client(env.srv.url);
  const open = await opener.get(linkPath(link));
  assert.equal(open.status, 200);
  assert.equal(formPostingTo(open.body, '/verify-email')?.fields.token,
    new URL(link).searchParams.get('token'), 'no button posting the link\'s token to /verify-email');
  assert.equal(emailOf(id), email, 'opening the link changed the address');
  const page = messagePage(await opener.confirm(link));
  assert.equal(page.status, 200, page.text.slice(0, 300));
  assert.match(page.title, /changed/i);
  assert.equal(emailOf(id), target);
  assert.equal(await canLogIn(target, PASSWORD), true, 'the new address does not work');
  assert.equal(await canLogIn(email, PASSWORD), false, 'the old address still works');
  const again = messagePage(await new Client(env.srv.url).confirm(link));
  assert.equal(again.status, 410, 'the email-change link worked twice');
});

// No enumeration oracle: the answer is the same whether or not another account has the address;
// that address's owner is told someone tried (and nothing else), the requester learns nothing.
test('change email: the same answer whether or not another account has the address; its owner is told, with no link', { timeout: 30_000 }, async () => {
  const a = { email: freshEmail('taken-a') };
  addUser(env.srv.db, a.email, PASSWORD);
  const b = await reader('taken-b');
  const answers = [];
  for (const target of [a.email.toUpperCase(), freshEmail('free')]) {
    const r = await b.c.account('/account/email', { email: target, password: PASSWORD });
    const page = await b.c.get(r.location ?? '/account');
    answers.push({ status: r.status, location: r.location,
      page: textOf(page.body).replace(target.toLowerCase(), 'ADDRESS') });
  }
  assert.equal(answers[0].status, 303, `a taken address: ${answers[0].status}`);
  assert.deepEqual(answers[0], answers[1], 'a taken and a free address get different answers');
  assert.equal(emailOf(b.id), b.email);
  const told = await env.sink.waitFor(a.email);
  assert.match(told.text, /already/i, 'the owner of the address is not told it is in use');
  assert.ok(!/token=/.test(told.text), 'the owner of the address got a link');
  assert.ok(!told.text.includes(b.email), 'the owner of the address is told who asked');
});

test('change email: an address with non-ASCII characters is refused next to the field (no mail could reach it)', { timeout: 30_000 }, async () => {
  const { email, c, id } = await reader('email-ascii');
  const target = `j\u00fcrgen-${process.pid}@example.test`;
  const r = await c.account('/account/email', { email: target, password: PASSWORD });
  assert.equal(r.status, 422);
  assert.match(fieldError(r.body, 'email-error') ?? '', /cannot send mail|ASCII/i);
  assert.equal(attr(inputTag(r.body, 'new-email'), 'value'), target, 'the address is not refilled');
  assert.equal(emailOf(id), email);
});

test('change password: needs the current one; other sessions end; this one continues with a new cookie', { timeout: 30_000 }, async () => {
  const { email, c, id } = await reader('password');
  const other = new Client(env.srv.url, { userAgent: 'Browser Two' });
  await other.signIn(email, PASSWORD);
  const NEW = 'pelican-orchard-compass';
  const hash = sql(env.srv.db, `SELECT password_hash FROM users WHERE id = ${id}`);

  const wrong = await c.account('/account/password', { current_password: 'not-the-current-one', new_password: NEW });
  assert.equal(wrong.status, 422);
  assert.match(fieldError(wrong.body, 'password-error') ?? '', /not correct/);
  assert.ok(!wrong.body.includes(NEW) && !wrong.body.includes('not-the-current-one'), 'a password is echoed');
  assert.equal(sql(env.srv.db, `SELECT password_hash FROM users WHERE id = ${id}`), hash);
  assert.equal(await other.signedIn(), true, 'a refused change ended the other session');

  const weak = await c.account('/account/password', { current_password: PASSWORD, new_password: 'short' });
  assert.equal(weak.status, 422);
  assert.match(fieldError(weak.body, 'password-error') ?? '', /at least 10/);

  const before = c.jar.get('bs_session');
  const r = await c.account('/account/password', { current_password: PASSWORD, new_password: NEW });
  assert.equal(r.status, 303, textOf(r.body).slice(0, 300));
  assert.equal(r.location, '/account?done=password');
  const after = c.jar.get('bs_session');
  assert.ok(after && after !== before, 'the session cookie was not renewed');
  assert.equal(await c.signedIn(), true, 'this session ended');
  assert.equal(await other.signedIn(), false, 'the other session survived the change');
  const stale = new Client(env.srv.url);
  stale.jar.set('bs_session', before);
  assert.equal(await stale.signedIn(), false, 'the pre-change token still works');
  assert.equal(sessionsOf(id), 1);
  assert.equal(await canLogIn(email, PASSWORD), false, 'the old password still works');
  assert.equal(await canLogIn(email, NEW), true, 'the new password does not work');
});

test('sessions: two log-ins are listed; "Sign out" ends the other one', { timeout: 30_000 }, async () => {
  const { email, c, id } = await reader('sessions');
  await c.logout();
  await c.signIn(email, PASSWORD);
  const other = new Client(env.srv.url, { userAgent: 'Browser Two <script>' });
  await other.signIn(email, PASSWORD);
  const page = await c.get('/account');
  const listed = listedSessions(page.body);
  assert.equal(listed.length, 2, `listed: ${JSON.stringify(listed)}`);
  assert.equal(listed.filter((s) => s.current).length, 1);
  assert.ok(listed.some((s) => !s.current && s.agent === 'Browser Two <script>'), JSON.stringify(listed));
  assert.ok(!page.body.includes('Browser Two <script>'), 'the user agent is not escaped');
  const theirs = listed.find((s) => !s.current);
  const r = await c.account('/account/sessions/end', { session_id: theirs.id });
  assert.equal(r.status, 303);
  assert.equal(r.location, '/account?done=sessions');
  assert.equal(await other.signedIn(), false, 'the other session was not ended');
  assert.equal(await c.signedIn(), true, 'this session ended');
  assert.equal(listedSessions((await c.get('/account')).body).length, 1);
  assert.equal(sessionsOf(id), 1);
});

test('sessions: "others" ends every other session and keeps this one', { timeout: 30_000 }, async () => {
  const { email, c, id } = await reader('others');
  const b = new Client(env.srv.url, { userAgent: 'Browser B' });
  const d = new Client(env.srv.url, { userAgent: 'Browser D' });
  await b.signIn(email, PASSWORD);
  await d.signIn(email, PASSWORD);
  assert.equal(listedSessions((await c.get('/account')).body).length, 3);
  assert.match((await c.get('/account')).body, /Sign out everywhere else/);
  const r = await c.account('/account/sessions/end', { session_id: 'others' });
  assert.equal(r.status, 303);
  assert.equal(await b.signedIn(), false);
  assert.equal(await d.signedIn(), false);
  assert.equal(await c.signedIn(), true);
  assert.equal(sessionsOf(id), 1);
});

test('sessions: another account\'s session cannot be ended (404), and it goes on', { timeout: 30_000 }, async () => {
  const mine = await reader('idor-a');
  const theirs = { email: freshEmail('idor-b'), c: new Client(env.srv.url) };
  addUser(env.srv.db, theirs.email, PASSWORD);
  await theirs.c.signIn(theirs.email, PASSWORD);
  theirs.id = sql(env.srv.db, `SELECT id FROM users WHERE email = '${theirs.email}'`);
  const theirId = sql(env.srv.db, `SELECT id FROM sessions WHERE user_id = ${theirs.id}`);
  const r = await mine.c.account('/account/sessions/end', { session_id: theirId });
  assert.equal(r.status, 404);
  assert.equal(await theirs.c.signedIn(), true, 'another account\'s session was ended');
  for (const bad of ['', 'abc', '-1', '0', '1e3']) {
    const e = await mine.c.account('/account/sessions/end', { session_id: bad });
    assert.ok([400, 404].includes(e.status), `session_id=${bad}: ${e.status}`);
  }
  assert.equal(await mine.c.signedIn(), true);
});

test('delete account: the wrong password is an error and the account remains; the right one removes it with its sessions and links', { timeout: 30_000 }, async () => {
  const { email, c, id } = await reader('delete');
  const other = new Client(env.srv.url);
  await other.signIn(email, PASSWORD);
  await env.sink.waitFor(email); // the verification link, still pending
  assert.ok(Number(sql(env.srv.db, `SELECT count(*) FROM tokens WHERE user_id = ${id}`)) >= 1);

  const wrong = await c.account('/account/delete', { password: 'not-my-password-at-all' });
  assert.equal(wrong.status, 422);
  assert.match(fieldError(wrong.body, 'delete-error') ?? '', /not correct/);
  assert.equal(sql(env.srv.db, `SELECT count(*) FROM users WHERE id = ${id}`), '1');
  assert.equal(await c.signedIn(), true);
  assert.equal(await other.signedIn(), true);

  const r = await c.account('/account/delete', { password: PASSWORD });
  const page = messagePage(r);
  assert.equal(page.status, 200, page.text.slice(0, 300));
  assert.match(page.title, /deleted/i);
  assert.match(r.setCookies.find((s) => s.startsWith('bs_session=')) ?? '', /^bs_session=;.*Max-Age=0/i);
  assert.ok(!(accountSlot(r.body) ?? '').includes('My account'), 'the goodbye page shows "My account"');
  assert.equal(sql(env.srv.db, `SELECT count(*) FROM users WHERE email = ${q(email)}`), '0');
  assert.equal(sessionsOf(id), 0, 'sessions remain');
  assert.equal(sql(env.srv.db, `SELECT count(*) FROM tokens WHERE user_id = ${id}`), '0', 'links remain');
  assert.equal(await other.signedIn(), false, 'another session of the deleted account still works');
  assert.equal(await canLogIn(email, PASSWORD), false, 'the deleted account can log in');
});

test('account pages need a signed-in reader: /account and its forms send anonymous readers to log in', { timeout: 30_000 }, async () => {
  const anon = new Client(env.srv.url);
  const r = await anon.get('/account');
  assert.equal(r.status, 303);
  assert.equal(r.location, '/login?next=/account');
  const token = await anon.csrf('/login');
  for (const path of ['/account/name', '/account/email', '/account/password', '/account/verify',
    '/account/sessions/end', '/account/delete']) {
    const p = await anon.post(path, { name: 'x', email: 'x@example.test', password: 'x', session_id: 'others' },
      { csrf: token });
    assert.equal(p.status, 303, `POST ${path} anonymous: ${p.status}`);
    assert.equal(p.location, '/login?next=/account');
  }
});
