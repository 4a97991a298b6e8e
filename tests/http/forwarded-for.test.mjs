// The client's address behind a trusted proxy that appends an X-Forwarded-For line of its own
// (issue 8, finding 2). A proxy may add its own header line rather than extend the client's; the
// two lines are one list (RFC 9110), and only the entries our proxies added may decide. When only
// the first line counted, which is the one the client wrote, a client chose its own address: it
// claimed an institution's (paywall-institution.test.mjs tests that) and, here, dodged the
// per-address log-in limit by writing a new address into each attempt.
//
// The requests go over raw sockets, since fetch joins header lines of one name into one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest } from '../lib/server.mjs';
import { startQuietServer, Client, freshEmail } from '../lib/accounts.mjs';

// POSTs a wrong log-in for a fresh email, as browser c (its cookies and CSRF token), with the
// given extra header lines as they are. Returns the status.
async function wrongLogin(srv, c, token, lines) {
  const body = new URLSearchParams({ csrf: token, email: freshEmail('xff'),
    password: 'spray-password-1' }).toString();
  const head = [`POST /login HTTP/1.1`, `Host: 127.0.0.1:${srv.port}`, 'Connection: close',
    `Cookie: ${c.cookieHeader()}`, 'Content-Type: application/x-www-form-urlencoded',
    `Content-Length: ${Buffer.byteLength(body)}`, ...lines];
  const r = await rawRequest(srv.port, `${head.join('\r\n')}\r\n\r\n${body}`, { timeout: 15_000 });
  assert.ok(r.status !== null, `no answer to a log-in (timed out ${r.timedOut})`);
  return r.status;
}

test('finding 2: the per-address log-in limit holds when the client writes a new X-Forwarded-For line before the proxy\'s', { timeout: 90_000 }, async () => {
  const srv = await startQuietServer({ args: ['--trusted-proxies', '127.0.0.1/32'] });
  try {
    const c = new Client(srv.url);
    const token = await c.csrf('/login');
    // Each attempt claims another address in its own line; the proxy's line says the real one.
    for (let i = 1; i <= 20; i++) {
      const status = await wrongLogin(srv, c, token,
        [`X-Forwarded-For: 192.0.2.${i}`, 'X-Forwarded-For: 198.51.100.20']);
      assert.equal(status, 200, `attempt ${i}: ${status}`);
    }
    const status = await wrongLogin(srv, c, token,
      ['X-Forwarded-For: 192.0.2.99', 'x-forwarded-for: 198.51.100.20']);
    assert.equal(status, 429, 'attempt 21 from 198.51.100.20, with a new address of the client\'s own before it');
    // Another real address (the proxy's line) is another client, still served.
    const other = await wrongLogin(srv, c, token,
      ['X-Forwarded-For: 192.0.2.99', 'X-Forwarded-For: 198.51.100.21']);
    assert.equal(other, 200, 'another client behind the proxy');
  } finally {
    await srv.stop();
  }
});
