// The newsroom's management (issue 11, "Staff, sections and publications"): who may do what
// (every action for reader, writer, editor and admin: allowed, or 403 with nothing changed in
// the database), inviting staff by email end to end (the mail, its link, the password, log-in,
// the newsroom), an existing reader's address (asked, never changed silently), roles and the
// last admin, disabling (sessions end at once, log-in refused, a session made before refused),
// the staff's shorter idle limit, sections and publications (every field, reorder, slug
// redirects, deletions refused with the count), the audit log (an entry for every action,
// filters, paging, no secret in it), the demo's staff accounts, and html-validate on every new
// page. Runs on SQLite, and on PostgreSQL with BROADSHEET_TEST_PG_DIR.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { HtmlValidate, FileSystemConfigLoader } from 'html-validate';
import { repoRoot, startServer } from '../lib/server.mjs';
import {
  startMailServer, startQuietServer, Client, freshEmail, sql, linkIn, linkPath, csrfIn, addUser,
  BAD_LOGIN,
} from '../lib/accounts.mjs';
import { textOf, poll } from '../lib/util.mjs';

const PASSWORD = 'newsroom-desk-lamp-42';
let env;
let db;
const staff = {}; // role -> {email, password, client}
const pages = []; // [name, status, body] for html-validate

// The demo's staff accounts as `serve --demo` printed them.
function demoCredentials(stderr) {
  const found = {};
  for (const m of stderr.matchAll(/broadsheet:\s+(admin|editor|writer)\s+(\S+@\S+)\s+password: (\S+)/g)) {
    found[m[1]] = { email: m[2], password: m[3] };
  }
  return found;
}

before(async () => {
  env = await startMailServer({ staff: true }); // signs in as the demo's staff
  db = env.srv.db;
  const creds = demoCredentials(env.srv.stderr());
  for (const role of ['admin', 'editor', 'writer']) {
    assert.ok(creds[role], `the demo printed no ${role} account:\n${env.srv.stderr()}`);
    const client = new Client(env.srv.url);
    await client.signIn(creds[role].email, creds[role].password);
    staff[role] = { ...creds[role], client };
  }
  const readerEmail = freshEmail('reader');
  addUser(db, readerEmail, PASSWORD, { role: 'reader', name: 'Plain Reader' });
  const reader = new Client(env.srv.url);
  await reader.signIn(readerEmail, PASSWORD);
  staff.reader = { email: readerEmail, password: PASSWORD, client: reader };
});
after(async () => { await env?.stop(); });

const q = (statement) => sql(db, statement);
const esc = (s) => s.replace(/'/g, "''");
const idOf = (email) => q(`SELECT id FROM users WHERE email = '${esc(email)}'`);
const auditCount = (action) => Number(q(`SELECT count(*) FROM audit_log WHERE action = '${action}'`));

// Everything an action of this part could change, as text (one query: this runs twice per
// forbidden action).
function snapshot() {
  return q([
    "SELECT 'user ' || id || '|' || email || '|' || role || '|' || COALESCE(disabled_at, 0) || '|' || " +
      "password_hash || '|' || COALESCE(email_verified_at, 0) AS line FROM users",
    "SELECT 'tokens ' || count(*) FROM tokens",
    "SELECT 'section ' || id || '|' || slug || '|' || name || '|' || position || '|' || default_access FROM sections",
    "SELECT 'publication ' || id || '|' || slug || '|' || name || '|' || description || '|' || producer || '|' || " +
      "partner || '|' || partner_short || '|' || partner_url || '|' || partner_description || '|' || is_host || " +
      "'|' || default_access FROM publications",
    "SELECT 'redirect ' || path || '|' || target FROM redirects",
    "SELECT 'audit ' || count(*) FROM audit_log",
    "SELECT 'mail ' || count(*) FROM mail_queue",
  ].join(' UNION ALL ') + ' ORDER BY 1');
}

// A POST from a signed-in client with its own CSRF token (from /account, which every account
// can open).
async function post(who, path, fields = {}) {
  return staff[who].client.post(path, fields, { from: '/account' });
}

// Creates an account with the CLI and signs a new client in.
async function account(role, tag = role) {
  const email = freshEmail(tag);
  addUser(db, email, PASSWORD, { role, name: `Test ${role}` });
  const client = new Client(env.srv.url);
  await client.signIn(email, PASSWORD);
  return { email, id: idOf(email), client };
}

// The anonymous answer to GET path once pred(answer) holds: the page cache follows a change
// through the change log within a tick or two (app.c), not in the same instant. Asserts it
// does within 5 s.
async function eventually(path, pred, what) {
  let last;
  const ok = await poll(async () => {
    last = await new Client(env.srv.url).get(path);
    return pred(last);
  });
  assert.ok(ok, `${what}: GET ${path} answered ${last?.status} ${last?.location ?? ''}`);
  return last;
}

const sectionId = (slug) => q(`SELECT id FROM sections WHERE slug = '${slug}'`);
const publicationId = (slug) => q(`SELECT id FROM publications WHERE slug = '${slug}'`);

test('who may do what: every page and action for reader, writer, editor and admin (403 changes nothing)', { timeout: 120_000 }, async () => {
  // Targets that exist, so an allowed action would change something.
  const target = await account('writer', 'target');
  const emptySection = sectionId('energy');
  const pub = publicationId('gsn');
  const actions = [
    { need: 'admin', method: 'GET', path: '/newsroom/staff' },
    { need: 'admin', method: 'POST', path: '/newsroom/staff/invite', fields: { email: freshEmail('forbidden'), role: 'writer' } },
    { need: 'admin', method: 'POST', path: `/newsroom/staff/${target.id}/role`, fields: { role: 'editor' } },
    { need: 'admin', method: 'POST', path: `/newsroom/staff/${target.id}/disable` },
    { need: 'admin', method: 'POST', path: `/newsroom/staff/${target.id}/enable` },
    { need: 'editor', method: 'GET', path: '/newsroom/sections' },
    { need: 'editor', method: 'POST', path: '/newsroom/sections', fields: { name: 'Forbidden', slug: 'forbidden', default_access: '' } },
    { need: 'editor', method: 'GET', path: `/newsroom/sections/${emptySection}` },
    { need: 'editor', method: 'POST', path: `/newsroom/sections/${emptySection}`, fields: { name: 'Renamed', slug: 'renamed', position: '1', default_access: '' } },
    { need: 'editor', method: 'POST', path: `/newsroom/sections/${emptySection}/move`, fields: { direction: 'up' } },
    { need: 'editor', method: 'POST', path: `/newsroom/sections/${emptySection}/delete` },
    { need: 'admin', method: 'GET', path: '/newsroom/publications' },
    { need: 'admin', method: 'POST', path: '/newsroom/publications', fields: { name: 'Forbidden', slug: 'forbidden' } },
    { need: 'admin', method: 'GET', path: `/newsroom/publications/${pub}` },
    { need: 'admin', method: 'POST', path: `/newsroom/publications/${pub}`, fields: { name: 'Renamed', slug: 'renamed' } },
    { need: 'admin', method: 'POST', path: `/newsroom/publications/${pub}/delete` },
    { need: 'admin', method: 'GET', path: '/newsroom/audit' },
  ];
  const rank = { reader: 0, writer: 1, editor: 2, admin: 3 };
  for (const who of ['reader', 'writer', 'editor', 'admin']) {
    for (const a of actions) {
      const allowed = rank[who] >= rank[a.need];
      if (allowed && a.method === 'POST') continue; // the tests below make each of them
      const before = snapshot();
      const r = a.method === 'GET' ? await staff[who].client.get(a.path) : await post(who, a.path, a.fields);
      const what = `${who} ${a.method} ${a.path}`;
      if (allowed) {
        assert.equal(r.status, 200, what);
        assert.equal(r.headers.get('cache-control'), 'private, no-store', what);
        assert.equal(r.headers.get('x-robots-tag'), 'noindex', what);
      } else {
        assert.equal(r.status, 403, `${what}: ${r.status}`);
        assert.equal(snapshot(), before, `${what} changed the database`);
      }
    }
  }
  // An admin may do what an editor may: a section made and deleted by the admin.
  const made = await post('admin', '/newsroom/sections', { name: 'By Admin', slug: 'by-admin', default_access: '' });
  assert.equal(made.status, 303);
  assert.equal((await post('admin', `/newsroom/sections/${sectionId('by-admin')}/delete`)).status, 303);
  assert.equal(q("SELECT count(*) FROM sections WHERE slug = 'by-admin'"), '0');
  assert.equal(q("SELECT user_name FROM audit_log WHERE action = 'section.create' AND subject = 'section by-admin'"), 'Demo Admin');
  // Not signed in: sent to log in, nothing changed.
  const anonymous = new Client(env.srv.url);
  const r = await anonymous.get('/newsroom/staff');
  assert.equal(r.status, 303);
  assert.match(r.location, /^\/login\?next=/);
  // A POST without a CSRF token is refused too, even for an admin.
  const before = snapshot();
  const forged = await staff.admin.client.post(`/newsroom/staff/${target.id}/disable`, {}, { csrf: false });
  assert.equal(forged.status, 403);
  assert.equal(snapshot(), before);
});

test('invite: the account, the mail, the link that sets the password, log-in into the newsroom; once only', { timeout: 60_000 }, async () => {
  const email = freshEmail('invitee');
  const page = await staff.admin.client.get('/newsroom/staff');
  const r = await staff.admin.client.post('/newsroom/staff/invite',
    { email: email.toUpperCase(), name: 'New Editor', role: 'editor' }, { csrf: csrfIn(page.body) });
  assert.equal(r.status, 303, textOf(r.body).slice(0, 400));
  assert.equal(r.location, '/newsroom/staff?done=invited');
  assert.equal(q(`SELECT role || '|' || password_hash || '|' || display_name FROM users WHERE email = '${email}'`), 'editor||New Editor');
  assert.equal(q(`SELECT kind || '|' || payload FROM tokens WHERE user_id = ${idOf(email)}`), 'reset|invite');
  const life = Number(q(`SELECT expires_at - created_at FROM tokens WHERE user_id = ${idOf(email)}`));
  assert.equal(life, 7 * 86400);
  const list = await staff.admin.client.get('/newsroom/staff?done=invited');
  assert.match(textOf(list.body), /Invitation sent/);
  assert.match(list.body, new RegExp(`data-email="${email}"[\\s\\S]*?<td class="staff-state">invited</td>`));
  pages.push(['staff list', list.status, list.body]);
  assert.equal(q(`SELECT detail FROM audit_log WHERE action = 'staff.invite' AND subject = '${email}'`), 'invited as editor');

  const mail = await env.sink.waitFor(email, { pred: (m) => /\/reset\?token=/.test(m.text) });
  assert.match(mail.headers.subject, /Join the newsroom/);
  assert.match(mail.text, /set your password to join the newsroom/i);
  const link = linkIn(mail, '/reset');
  const token = new URL(link).searchParams.get('token');
  assert.ok(!q('SELECT subject || detail FROM audit_log').includes(token), 'the token is in the audit log');

  const invitee = new Client(env.srv.url);
  const form = await invitee.get(linkPath(link));
  assert.equal(form.status, 200);
  assert.match(textOf(form.body), /Set your password to join the newsroom/);
  pages.push(['invitation form', form.status, form.body]);
  const set = await invitee.post('/reset', { token, password: PASSWORD }, { csrf: csrfIn(form.body) });
  assert.equal(set.status, 303, textOf(set.body).slice(0, 400));
  assert.equal(set.location, '/login?done=invite&next=/newsroom');
  const login = await invitee.get(set.location);
  assert.match(textOf(login.body), /Your password is set\. Log in to open the newsroom\./);
  const signed = await invitee.post('/login', { email, password: PASSWORD, next: '/newsroom' }, { csrf: csrfIn(login.body) });
  assert.equal(signed.status, 303);
  assert.equal(signed.location, '/newsroom');
  // In the newsroom, with the invited role: an editor opens the sections, not the staff.
  assert.equal((await invitee.get('/newsroom/sections')).status, 200);
  assert.equal((await invitee.get('/newsroom/staff')).status, 403);
  assert.notEqual(q(`SELECT COALESCE(email_verified_at, 0) FROM users WHERE email = '${email}'`), '0',
    'the invitation did not verify the address');
  // Once only: the link now says so, as an invitation.
  const again = await new Client(env.srv.url).get(linkPath(link));
  assert.equal(again.status, 410);
  assert.match(textOf(again.body), /This invitation has already been used/);
});

test('invite: bad input, an address on the staff, and a reader\'s address (asked first, then made staff)', { timeout: 60_000 }, async () => {
  const reader = await account('reader', 'promoted');
  const before = snapshot();
  for (const [fields, status, why] of [
    [{ email: 'not-an-email', role: 'writer' }, 422, /valid email/],
    [{ email: '', role: 'writer' }, 422, /Enter the email/],
    [{ email: freshEmail('x'), role: 'reader' }, 422, /Choose a role/],
    [{ email: freshEmail('x'), role: 'superuser' }, 422, /Choose a role/],
    [{ email: freshEmail('x'), role: 'writer', name: 'Tab\there' }, 422, /letters, numbers/],
    [{ email: staff.editor.email, role: 'admin' }, 409, /already on the staff, as editor/],
  ]) {
    const r = await post('admin', '/newsroom/staff/invite', fields);
    assert.equal(r.status, status, JSON.stringify(fields));
    assert.match(textOf(r.body), why);
    assert.equal(snapshot(), before, `${JSON.stringify(fields)} changed something`);
  }
  // A reader's address: the question, and nothing changed.
  const asked = await post('admin', '/newsroom/staff/invite', { email: reader.email, role: 'writer', name: '' });
  assert.equal(asked.status, 409);
  assert.match(textOf(asked.body), /already has a reader's account.*Nothing was changed\. Make that account a writer\?/);
  pages.push(['staff: make a reader staff?', asked.status, asked.body]);
  assert.equal(snapshot(), before);
  // Yes: the confirmation's own form.
  const mailsBefore = env.sink.mailTo(reader.email).length;
  const yes = await staff.admin.client.post('/newsroom/staff/invite',
    { email: reader.email, name: '', role: 'writer', promote: '1' }, { csrf: csrfIn(asked.body) });
  assert.equal(yes.status, 303);
  assert.equal(yes.location, '/newsroom/staff?done=promoted');
  assert.equal(q(`SELECT role FROM users WHERE id = ${reader.id}`), 'writer');
  assert.equal(await reader.client.signedIn(), false, 'the promoted account kept its session');
  assert.equal(q(`SELECT detail FROM audit_log WHERE action = 'staff.role' AND subject = '${reader.email}'`), 'reader to writer');
  const told = await env.sink.waitFor(reader.email, { after: 0, pred: (m) => /joined the newsroom/.test(m.headers.subject) });
  assert.ok(env.sink.mailTo(reader.email).length > mailsBefore && told);
  // Its password still works, and now it opens the newsroom's pages for writers.
  const c = new Client(env.srv.url);
  await c.signIn(reader.email, PASSWORD);
  assert.equal((await c.get('/newsroom/sections')).status, 403); // sections are for editors
});

test('roles: changing one ends the account\'s sessions; the last enabled admin cannot demote or disable itself', { timeout: 60_000 }, async () => {
  const w = await account('writer', 'role');
  const r = await post('admin', `/newsroom/staff/${w.id}/role`, { role: 'editor' });
  assert.equal(r.status, 303);
  assert.equal(r.location, '/newsroom/staff?done=role');
  assert.equal(q(`SELECT role FROM users WHERE id = ${w.id}`), 'editor');
  assert.equal(Number(q(`SELECT count(*) FROM sessions WHERE user_id = ${w.id}`)), 0);
  assert.equal(await w.client.signedIn(), false);
  assert.equal(q(`SELECT detail FROM audit_log WHERE action = 'staff.role' AND subject = '${w.email}'`), 'writer to editor');
  const bad = await post('admin', `/newsroom/staff/${w.id}/role`, { role: 'owner' });
  assert.equal(bad.status, 422);
  assert.equal(q(`SELECT role FROM users WHERE id = ${w.id}`), 'editor');

  // A fresh admin, alone among enabled admins once the demo's is disabled by it.
  const boss = await account('admin', 'boss');
  const demoAdmin = idOf(staff.admin.email);
  const off = await boss.client.post(`/newsroom/staff/${demoAdmin}/disable`, {}, { from: '/account' });
  assert.equal(off.status, 303);
  for (const other of q("SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL").split('\n')) {
    if (other !== boss.id) {
      assert.equal((await boss.client.post(`/newsroom/staff/${other}/disable`, {}, { from: '/account' })).status, 303);
    }
  }
  assert.equal(q("SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL"), boss.id);
  let before = snapshot();
  const demote = await boss.client.post(`/newsroom/staff/${boss.id}/role`, { role: 'editor' }, { from: '/account' });
  assert.equal(demote.status, 409);
  assert.match(textOf(demote.body), /last enabled admin, so it cannot be demoted/);
  pages.push(['staff: refused', demote.status, demote.body]);
  const disable = await boss.client.post(`/newsroom/staff/${boss.id}/disable`, {}, { from: '/account' });
  assert.equal(disable.status, 409);
  assert.match(textOf(disable.body), /last enabled admin, so it cannot be disabled/);
  assert.equal(snapshot(), before, 'a refused change changed something');
  // Enabled again, the demo admin is another admin: now the boss may step down (and is signed
  // out, its session having ended with the role change).
  assert.equal((await boss.client.post(`/newsroom/staff/${demoAdmin}/enable`, {}, { from: '/account' })).status, 303);
  assert.equal(q(`SELECT COALESCE(disabled_at, 0) FROM users WHERE id = ${demoAdmin}`), '0');
  const down = await boss.client.post(`/newsroom/staff/${boss.id}/role`, { role: 'writer' }, { from: '/account' });
  assert.equal(down.status, 303);
  assert.equal(q(`SELECT role FROM users WHERE id = ${boss.id}`), 'writer');
  assert.equal(await boss.client.signedIn(), false);
  assert.ok(auditCount('staff.enable') >= 1);
  // The demo admin's own session ended when it was disabled: sign it in again for what follows.
  staff.admin.client = new Client(env.srv.url);
  await staff.admin.client.signIn(staff.admin.email, staff.admin.password);
});

test('disable: the sessions end at once, log-in is refused with a clear message and makes no session; enable undoes it', { timeout: 60_000 }, async () => {
  const w = await account('writer', 'disabled');
  const second = new Client(env.srv.url);
  await second.signIn(w.email, PASSWORD);
  assert.equal(Number(q(`SELECT count(*) FROM sessions WHERE user_id = ${w.id}`)), 2);
  const r = await post('admin', `/newsroom/staff/${w.id}/disable`);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/newsroom/staff?done=disabled');
  assert.equal(Number(q(`SELECT count(*) FROM sessions WHERE user_id = ${w.id}`)), 0);
  assert.equal(await w.client.signedIn(), false);
  assert.equal(await second.signedIn(), false);
  assert.notEqual(q(`SELECT COALESCE(disabled_at, 0) FROM users WHERE id = ${w.id}`), '0');
  assert.equal(q(`SELECT detail FROM audit_log WHERE action = 'staff.disable' AND subject = '${w.email}'`), 'sessions ended');
  const list = await staff.admin.client.get('/newsroom/staff');
  assert.match(list.body, new RegExp(`data-email="${w.email}"[\\s\\S]*?<td class="staff-state">disabled</td>`));

  const c = new Client(env.srv.url);
  const refused = await c.login(w.email, PASSWORD);
  assert.equal(refused.status, 403);
  assert.match(textOf(refused.body), /This account has been disabled/);
  assert.equal(c.jar.get('bs_session'), undefined);
  assert.equal(Number(q(`SELECT count(*) FROM sessions WHERE user_id = ${w.id}`)), 0);
  pages.push(['log-in refused: disabled', refused.status, refused.body]);
  // A wrong password hears what any wrong password hears: the state is not given away.
  const wrong = await c.login(w.email, 'not-the-password-at-all');
  assert.equal(wrong.status, 200);
  assert.match(textOf(wrong.body), new RegExp(BAD_LOGIN.replace('.', '\\.')));
  assert.doesNotMatch(textOf(wrong.body), /disabled/);

  const on = await post('admin', `/newsroom/staff/${w.id}/enable`);
  assert.equal(on.status, 303);
  assert.equal(q(`SELECT COALESCE(disabled_at, 0) FROM users WHERE id = ${w.id}`), '0');
  await c.signIn(w.email, PASSWORD);
  assert.equal(await c.signedIn(), true);
  assert.ok(auditCount('staff.enable') >= 1);
});

test('disable: a session of a disabled account that still exists (made on another node at that moment) is refused and ended', { timeout: 30_000 }, async () => {
  const w = await account('writer', 'late');
  assert.equal(await w.client.signedIn(), true);
  // Disabled behind the store's back, so the session row stays, as one made by a log-in that
  // raced the disable on another node would.
  q(`UPDATE users SET disabled_at = 1700000000 WHERE id = ${w.id}`);
  assert.equal(Number(q(`SELECT count(*) FROM sessions WHERE user_id = ${w.id}`)), 1);
  assert.equal(await w.client.signedIn(), false);
  assert.equal(Number(q(`SELECT count(*) FROM sessions WHERE user_id = ${w.id}`)), 0);
});

test('staff sessions end after staff_session_idle_minutes unused; a reader\'s follow session_idle_days', { timeout: 60_000 }, async () => {
  const quiet = await startQuietServer({ args: ['--staff-session-idle-minutes', '2'] });
  try {
    const people = {};
    for (const role of ['reader', 'writer', 'editor', 'admin']) {
      const email = freshEmail(`idle-${role}`);
      addUser(quiet.db, email, PASSWORD, { role });
      const c = new Client(quiet.url);
      await c.signIn(email, PASSWORD);
      people[role] = { email, c, id: sql(quiet.db, `SELECT id FROM users WHERE email = '${email}'`) };
    }
    const idle = (id, seconds) => sql(quiet.db,
      `UPDATE sessions SET last_seen_at = last_seen_at - ${seconds} WHERE user_id = ${id}`);
    // 100 s unused: within the 2 minutes; and the use refreshes last_seen_at (touched after a
    // quarter of the limit), so another 100 s later the session still lives.
    for (const role of ['writer', 'admin']) {
      idle(people[role].id, 100);
      assert.equal(await people[role].c.signedIn(), true, `${role} after 100 s`);
      idle(people[role].id, 100);
      assert.equal(await people[role].c.signedIn(), true, `${role} after 100 s more, used in between`);
    }
    // 130 s unused: every staff session has ended; a reader's (14 days) has not.
    for (const role of ['reader', 'writer', 'editor', 'admin']) idle(people[role].id, 130);
    assert.equal(await people.reader.c.signedIn(), true, 'the reader\'s session ended');
    for (const role of ['writer', 'editor', 'admin']) {
      assert.equal(await people[role].c.signedIn(), false, `the ${role}'s session outlived its idle limit`);
      assert.equal(Number(sql(quiet.db, `SELECT count(*) FROM sessions WHERE user_id = ${people[role].id}`)), 0);
    }
  } finally {
    await quiet.stop();
  }
});

test('sections: create (last in the navigation), refuse bad input, edit every field, reorder, slug change redirects, the nav follows', { timeout: 60_000 }, async () => {
  const before = snapshot();
  for (const [fields, status, why] of [
    [{ name: '', slug: 'x', default_access: '' }, 422, /Enter the name/],
    [{ name: 'X', slug: 'Bad Slug', default_access: '' }, 422, /lowercase letters/],
    [{ name: 'X', slug: '-x', default_access: '' }, 422, /Start and end/],
    [{ name: 'X', slug: 'x', default_access: 'premium' }, 422, /default access/],
    [{ name: 'X', slug: 'x', position: 'first', default_access: '' }, 422, /whole number/],
    [{ name: 'Politics again', slug: 'politics', default_access: '' }, 409, /Another section has the slug politics/],
  ]) {
    const r = await post('editor', '/newsroom/sections', fields);
    assert.equal(r.status, status, JSON.stringify(fields));
    assert.match(textOf(r.body), why);
    assert.equal(snapshot(), before);
  }
  const created = await post('editor', '/newsroom/sections', { name: 'World', slug: 'world', default_access: 'free' });
  assert.equal(created.status, 303);
  assert.equal(created.location, '/newsroom/sections?done=created');
  const max = q('SELECT max(position) FROM sections');
  assert.equal(q("SELECT name || '|' || position || '|' || default_access FROM sections WHERE slug = 'world'"), `World|${max}|free`);
  assert.equal(q("SELECT detail FROM audit_log WHERE action = 'section.create' AND subject = 'section world'"), 'World');
  const world = sectionId('world');
  const form = await staff.editor.client.get(`/newsroom/sections/${world}`);
  assert.equal(form.status, 200);
  pages.push(['section edit', form.status, form.body]);

  // Move it up: it trades places with the one before it; positions are numbered 1, 2, 3….
  const order = () => q('SELECT slug FROM sections ORDER BY position, id').split('\n');
  const was = order();
  const up = await post('editor', `/newsroom/sections/${world}/move`, { direction: 'up' });
  assert.equal(up.status, 303);
  const now = order();
  assert.deepEqual(now, [...was.slice(0, -2), 'world', was[was.length - 2]]);
  assert.equal(q('SELECT count(DISTINCT position) FROM sections'), q('SELECT count(*) FROM sections'));
  assert.equal(q("SELECT detail FROM audit_log WHERE action = 'section.move' ORDER BY id DESC LIMIT 1"), `up, to place ${now.length - 1} of ${now.length}`);
  assert.equal((await post('editor', `/newsroom/sections/${world}/move`, { direction: 'sideways' })).status, 422);
  // The home page's navigation shows it (the change log invalidates the nav).
  await eventually('/', (r) => /href="\/sections\/world"/.test(r.body), 'the new section in the nav');

  // Every field, and the slug: the old path redirects (also once its page was in the cache).
  assert.equal((await new Client(env.srv.url).get('/sections/world')).status, 200);
  const edit = await post('editor', `/newsroom/sections/${world}`, { name: 'World News', slug: 'world-news', position: '1', default_access: 'subscribers' });
  assert.equal(edit.status, 303);
  assert.equal(q(`SELECT slug || '|' || name || '|' || position || '|' || default_access FROM sections WHERE id = ${world}`), 'world-news|World News|1|subscribers');
  assert.equal(q("SELECT target FROM redirects WHERE path = '/sections/world'"), '/sections/world-news');
  assert.match(q(`SELECT detail FROM audit_log WHERE action = 'section.edit' AND subject = 'section world-news'`), /slug world to world-news/);
  await eventually('/', (r) => /href="\/sections\/world-news"[^>]*>World News</.test(r.body), 'the renamed section in the nav');
  await eventually('/sections/world', (r) => r.status === 301 && r.location === '/sections/world-news', 'the old path');
  assert.equal((await new Client(env.srv.url).get('/sections/world-news')).status, 200);
  assert.equal((await new Client(env.srv.url).get('/sections/never-was')).status, 404);
  // Moving back to the old slug drops the redirect that would now loop.
  assert.equal((await post('editor', `/newsroom/sections/${world}`, { name: 'World', slug: 'world', position: '1', default_access: '' })).status, 303);
  assert.equal(q("SELECT count(*) FROM redirects WHERE path = '/sections/world'"), '0');
  assert.equal(q("SELECT target FROM redirects WHERE path = '/sections/world-news'"), '/sections/world');
  await eventually('/sections/world', (r) => r.status === 200, 'the slug taken back');
  await eventually('/sections/world-news', (r) => r.status === 301 && r.location === '/sections/world', 'the second old path');
  // Another section's slug is refused.
  const taken = await post('editor', `/newsroom/sections/${world}`, { name: 'World', slug: 'politics', position: '1', default_access: '' });
  assert.equal(taken.status, 409);
  assert.equal(q(`SELECT slug FROM sections WHERE id = ${world}`), 'world');
  assert.equal((await staff.editor.client.get('/newsroom/sections/999999')).status, 404);
});

test('sections and publications: deleting one with articles is refused with the count; an empty one goes', { timeout: 60_000 }, async () => {
  const politics = sectionId('politics');
  const count = Number(q(`SELECT count(*) FROM articles WHERE section_id = ${politics}`));
  assert.ok(count > 1, 'the demo has no articles in politics');
  // A draft counts too.
  q(`INSERT INTO articles (slug, publication_id, section_id, published_at, updated_at, headline, body_markdown, body_html, state) VALUES ('a-draft-in-politics', ${publicationId('national-journal')}, ${politics}, 0, 1, 'Draft', 'x', '<p>x</p>', 'draft')`);
  let before = snapshot();
  const r = await post('editor', `/newsroom/sections/${politics}/delete`);
  assert.equal(r.status, 409);
  assert.match(textOf(r.body), new RegExp(`Politics has ${count + 1} articles: move or delete them first`));
  pages.push(['sections: refused delete', r.status, r.body]);
  assert.equal(snapshot(), before);

  const made = await post('editor', '/newsroom/sections', { name: 'Empty', slug: 'empty', default_access: '' });
  assert.equal(made.status, 303);
  const empty = sectionId('empty');
  const gone = await post('editor', `/newsroom/sections/${empty}/delete`);
  assert.equal(gone.status, 303);
  assert.equal(gone.location, '/newsroom/sections?done=deleted');
  assert.equal(q("SELECT count(*) FROM sections WHERE slug = 'empty'"), '0');
  assert.equal(Number(q("SELECT count(*) FROM audit_log WHERE action = 'section.delete' AND subject = 'section empty'")), 1);

  const gsn = publicationId('gsn');
  const pubCount = Number(q(`SELECT count(*) FROM articles WHERE publication_id = ${gsn}`));
  before = snapshot();
  const refused = await post('admin', `/newsroom/publications/${gsn}/delete`);
  assert.equal(refused.status, 409);
  assert.match(textOf(refused.body), new RegExp(`Global Security Newswire has ${pubCount} articles?: move or delete`));
  assert.equal(snapshot(), before);
  assert.equal((await post('admin', '/newsroom/publications', { name: 'Short Lived', slug: 'short-lived' })).status, 303);
  assert.equal((await post('admin', `/newsroom/publications/${publicationId('short-lived')}/delete`)).status, 303);
  assert.equal(q("SELECT count(*) FROM publications WHERE slug = 'short-lived'"), '0');
  assert.equal(auditCount('publication.delete'), 1);
});

test('publications: create and edit every field of the syndication footer; only http(s) partner sites; slug change redirects', { timeout: 60_000 }, async () => {
  const fields = {
    name: 'Energy Wire', slug: 'energy-wire', description: 'Daily energy news.\nTwo lines.',
    producer: 'National Journal Group', partner: 'Energy Institute', partner_short: 'EI',
    partner_url: 'https://energy.example.org/about', partner_description: 'EI is a nonprofit.',
    default_access: 'metered', is_host: '',
  };
  let before = snapshot();
  for (const [bad, why] of [
    [{ partner_url: 'javascript:alert(1)' }, /https:\/\/ or http:\/\//],
    [{ partner_url: 'https://' }, /whole address/],
    [{ partner_url: 'https://exa mple.org/' }, /without spaces/],
    [{ slug: 'Energy Wire' }, /lowercase letters/],
    [{ name: '' }, /Enter the name/],
    [{ default_access: 'paid' }, /default access/],
    [{ slug: 'gsn' }, /Another publication has the slug gsn/],
  ]) {
    const r = await post('admin', '/newsroom/publications', { ...fields, ...bad });
    assert.ok(r.status === 422 || r.status === 409, `${JSON.stringify(bad)}: ${r.status}`);
    assert.match(textOf(r.body), why);
    assert.equal(snapshot(), before);
  }
  const made = await post('admin', '/newsroom/publications', fields);
  assert.equal(made.status, 303);
  const id = publicationId('energy-wire');
  const row = () => q(`SELECT slug, name, description, producer, partner, partner_short, partner_url, partner_description, is_host, default_access FROM publications WHERE id = ${id}`);
  assert.equal(row(), 'energy-wire|Energy Wire|Daily energy news.\nTwo lines.|National Journal Group|Energy Institute|EI|https://energy.example.org/about|EI is a nonprofit.|0|metered');
  const form = await staff.admin.client.get(`/newsroom/publications/${id}`);
  assert.equal(form.status, 200);
  pages.push(['publication edit', form.status, form.body]);
  const list = await staff.admin.client.get('/newsroom/publications?done=created');
  pages.push(['publications list', list.status, list.body]);
  const edited = {
    name: 'Power Wire', slug: 'power-wire', description: 'Power.', producer: 'NJG',
    partner: 'Power Institute', partner_short: 'PI', partner_url: 'http://power.example.org/',
    partner_description: 'PI studies power.', default_access: 'subscribers', is_host: '0',
  };
  const r = await post('admin', `/newsroom/publications/${id}`, edited);
  assert.equal(r.status, 303);
  assert.equal(row(), 'power-wire|Power Wire|Power.|NJG|Power Institute|PI|http://power.example.org/|PI studies power.|0|subscribers');
  assert.equal(q("SELECT target FROM redirects WHERE path = '/publications/energy-wire'"), '/publications/power-wire');
  await eventually('/publications/energy-wire', (r) => r.status === 301 && r.location === '/publications/power-wire', 'the publication\'s old path');
  assert.equal(q("SELECT detail FROM audit_log WHERE action = 'publication.create' AND subject = 'publication energy-wire'"), 'Energy Wire');
  assert.match(q("SELECT detail FROM audit_log WHERE action = 'publication.edit' AND subject = 'publication power-wire'"), /slug energy-wire to power-wire/);
  // The publication's page shows the new footer fields.
  await eventually('/publications/power-wire', (r) => r.status === 200 && /Power Wire/.test(textOf(r.body)), 'the renamed publication');
  before = snapshot();
  const bad = await post('admin', `/newsroom/publications/${id}`, { ...edited, partner_url: 'ftp://power.example.org/' });
  assert.equal(bad.status, 422);
  assert.equal(snapshot(), before);
  pages.push(['publication: refused', bad.status, bad.body]);
});

test('audit log: an entry for every action, newest first, filters by action and article, keyset pages, no secret in it', { timeout: 60_000 }, async () => {
  for (const action of ['staff.invite', 'staff.role', 'staff.disable', 'staff.enable', 'section.create',
    'section.edit', 'section.move', 'section.delete', 'publication.create', 'publication.edit',
    'publication.delete']) {
    assert.ok(auditCount(action) >= 1, `no ${action} entry`);
  }
  // Who: the acting account's name.
  assert.equal(q("SELECT user_name FROM audit_log WHERE action = 'section.create' AND subject = 'section world'"), 'Demo Editor');
  const page = await staff.admin.client.get('/newsroom/audit');
  assert.equal(page.status, 200);
  pages.push(['audit log', page.status, page.body]);
  const ids = [...page.body.matchAll(/<tr id="audit-(\d+)"/g)].map((m) => Number(m[1]));
  assert.ok(ids.length > 5);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'not newest first');
  const staffOnly = await staff.admin.client.get('/newsroom/audit?action=staff.');
  const actions = [...staffOnly.body.matchAll(/<td class="audit-action">([^<]*)<\/td>/g)].map((m) => m[1]);
  assert.ok(actions.length > 0 && actions.every((a) => a.startsWith('staff.')), actions.join(','));
  assert.equal((await staff.admin.client.get('/newsroom/audit?action=DROP%20TABLE')).status, 400);
  assert.equal((await staff.admin.client.get('/newsroom/audit?article=abc')).status, 400);

  // By article, with a link to it; and paging by id over 60 entries of one article.
  const article = q("SELECT id FROM articles WHERE state = 'published' ORDER BY id LIMIT 1");
  const headline = q(`SELECT headline FROM articles WHERE id = ${article}`);
  const values = Array.from({ length: 60 }, (_, i) => `(${1700000000 + i}, 'Test Desk', 'article.test', ${article}, 'entry ${i}', '')`).join(', ');
  q(`INSERT INTO audit_log (at, user_name, action, article_id, subject, detail) VALUES ${values}`);
  const first = await staff.admin.client.get(`/newsroom/audit?article=${article}`);
  const firstIds = [...first.body.matchAll(/<tr id="audit-(\d+)"/g)].map((m) => Number(m[1]));
  assert.equal(firstIds.length, 50);
  assert.match(first.body, new RegExp(`href="/newsroom/articles/${article}"`));
  assert.ok(textOf(first.body).includes(headline));
  const older = /<a href="([^"]+)" rel="next">/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
  assert.ok(older, 'no link to older entries');
  assert.match(older, new RegExp(`before=${firstIds[49]}&article=${article}`));
  const second = await staff.admin.client.get(older);
  const secondIds = [...second.body.matchAll(/<tr id="audit-(\d+)"/g)].map((m) => Number(m[1]));
  assert.equal(secondIds.length, 10);
  assert.ok(Math.max(...secondIds) < Math.min(...firstIds));
  assert.doesNotMatch(second.body, /rel="next"/);

  // An entry whose article has been deleted since names it by number, not with an empty link.
  q("INSERT INTO audit_log (at, user_name, action, article_id, subject, detail) VALUES (1700000100, 'Test Desk', 'article.delete', 987654321, 'gone', '')");
  const gone = await staff.admin.client.get('/newsroom/audit?article=987654321');
  assert.match(gone.body, /<a href="\/newsroom\/articles\/987654321">#987654321 \(deleted\)<\/a>/);

  // No password and no token anywhere in the log.
  const log = q('SELECT subject || detail FROM audit_log');
  for (const p of [PASSWORD, staff.admin.password, staff.editor.password, staff.writer.password]) {
    assert.ok(!log.includes(p), 'a password is in the audit log');
  }
  for (const t of q('SELECT token_hash FROM tokens').split('\n').filter(Boolean)) {
    assert.ok(!log.includes(t), 'a token hash is in the audit log');
  }
});

test('two admins demoting each other at the same moment: never no enabled admin', { timeout: 60_000 }, async () => {
  // A server of its own: log-ins are limited per client address, and this makes six.
  // The demo's admin is disabled, so the two are the only enabled admins in each round.
  const duel = await startQuietServer();
  try {
    sql(duel.db, "UPDATE users SET disabled_at = 1 WHERE role = 'admin'");
    for (let round = 0; round < 3; round++) {
      const pair = [];
      for (const tag of ['x', 'y']) {
        const email = freshEmail(`duel-${tag}${round}`);
        addUser(duel.db, email, PASSWORD, { role: 'admin' });
        const client = new Client(duel.url);
        await client.signIn(email, PASSWORD);
        pair.push({ client, id: sql(duel.db, `SELECT id FROM users WHERE email = '${email}'`) });
      }
      const [x, y] = pair;
      const [tx, ty] = await Promise.all([x.client.csrf('/account'), y.client.csrf('/account')]);
      await Promise.all([
        x.client.post(`/newsroom/staff/${y.id}/role`, { role: 'writer' }, { csrf: tx }),
        y.client.post(`/newsroom/staff/${x.id}/role`, { role: 'writer' }, { csrf: ty }),
      ]);
      const left = Number(sql(duel.db, "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL"));
      assert.equal(left, 1, `round ${round}: ${left} enabled admins`);
      sql(duel.db, `UPDATE users SET disabled_at = 1 WHERE id IN (${x.id}, ${y.id})`);
    }
  } finally {
    await duel.stop();
  }
});

test('the demo: staff accounts with passwords printed for the demo only; no password printed anywhere else', { timeout: 30_000 }, async () => {
  const err = env.srv.stderr();
  assert.match(err, /FOR THE DEMO ONLY/);
  const creds = demoCredentials(err);
  assert.deepEqual(Object.keys(creds).sort(), ['admin', 'editor', 'writer']);
  for (const [role, c] of Object.entries(creds)) {
    assert.equal(q(`SELECT role FROM users WHERE email = '${c.email}'`), role);
    // Printed once, in the demo's block, and never in the access log.
    assert.equal(err.split(c.password).length - 1, 1, `${role}'s password printed more than once`);
    assert.ok(!env.srv.stdout().includes(c.password));
  }
  assert.ok(!err.includes(PASSWORD) && !env.srv.stdout().includes(PASSWORD), 'a typed password was printed');
  // Without --demo, no demo account is made and nothing about passwords is printed; nor with
  // --demo-without-staff (a readers' demo: startServer's default), which still seeds the rest.
  const plain = await startServer({ demo: false });
  const readers = await startServer();
  try {
    for (const s of [plain, readers]) {
      assert.equal(sql(s.db, "SELECT count(*) FROM users WHERE email LIKE '%@demo.broadsheet.test'"), '0');
      assert.doesNotMatch(s.stderr(), /password/i);
    }
    assert.ok(Number(sql(readers.db, "SELECT count(*) FROM articles WHERE state = 'published'")) > 0);
    assert.match(readers.stderr(), /demo partner nti: API key/);
  } finally {
    await plain.stop();
    await readers.stop();
  }
});

test('html-validate: every new page, with its notices and errors', { timeout: 60_000 }, async () => {
  const validator = new HtmlValidate(new FileSystemConfigLoader());
  const config = path.join(repoRoot, 'tests', 'page.html');
  const admin = staff.admin.client;
  for (const p of ['/newsroom/staff', '/newsroom/sections?done=moved', '/newsroom/publications', '/newsroom/audit?action=staff.']) {
    const r = await admin.get(p);
    pages.push([p, r.status, r.body]);
  }
  pages.push(['sections: bad slug', 0, (await post('admin', '/newsroom/sections', { name: 'X', slug: 'B A D' })).body]);
  pages.push(['audit: bad filter', 0, (await admin.get('/newsroom/audit?article=x')).body]);
  const failures = [];
  for (const [name, , body] of pages) {
    const report = await validator.validateString(body, config);
    if (!report.valid) {
      failures.push(`${name}:\n${report.results.flatMap((x) => x.messages).map((m) => `  ${m.line}:${m.column} ${m.ruleId}: ${m.message}`).join('\n')}`);
    }
  }
  assert.ok(pages.length >= 15, `only ${pages.length} pages were collected`);
  assert.deepEqual(failures, [], failures.join('\n\n'));
});
