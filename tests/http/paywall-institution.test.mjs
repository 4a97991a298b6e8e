// Institutions (issue 4, access rule 5): an organisation's address ranges (IPv4 and IPv6) let
// every reader from them read everything, with "Access provided by NAME" on the page and no
// meter; an organisation whose access has ended gives nothing; ranges added or removed with the
// CLI take effect in the running server (it polls the store, so the tests poll too); and the
// client address comes from X-Forwarded-For only when the direct peer is a trusted proxy
// (--trusted-proxies), so a spoofed header from anyone else is ignored.
// The tests connect from 127.0.0.1 (and from ::1 to a server on the IPv6 loopback).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawRequest } from '../lib/server.mjs';
import {
  ARTICLES, METERED, SUBSCRIBERS, FREE, Reader, assertFull, assertPreview, assertPaywallMarkup,
  meterSetCookie, orgAdd, rangeAdd, rangeRemove, orgRemove, eventually, hasIpv6Loopback,
  startServerAt,
} from '../lib/paywall.mjs';
import { textOf } from '../lib/util.mjs';

const ACME = 'Access provided by Acme Corp';
const S = SUBSCRIBERS[0];

// 1 once an anonymous reader at base gets subscribers article S in full (institutional).
async function institutional(base, headers = {}) {
  const r = await new Reader(base).read(S, headers);
  return r.status === 200 && !textOf(r.body).includes('Want access to this content?') ? r : null;
}
async function notInstitutional(base, headers = {}) {
  return (await institutional(base, headers)) === null;
}

test('IPv4: an organisation with 127.0.0.0/8 opens every article to anonymous readers, with "Access provided by Acme Corp", no meter', { timeout: 60_000 }, async () => {
  const srv = await startServer();
  try {
    assertPreview(await new Reader(srv.url).read(S), S, 'before any organisation');
    orgAdd(srv.db, 'acme', 'Acme Corp');
    rangeAdd(srv.db, 'acme', '127.0.0.0/8');
    await eventually(() => institutional(srv.url), 'the new range never took effect');

    const reader = new Reader(srv.url);
    for (const a of ARTICLES) {
      const r = await reader.read(a);
      assertFull(r, a, `institutional ${a.access} ${a.slug}`);
      assertPaywallMarkup(r.body, a, `institutional ${a.slug}`);
      if (a.access !== 'free') {
        assert.ok((r.note ?? '').includes(ACME), `${a.slug}: reader note "${r.note}", expected "${ACME}"`);
        assert.ok(!/free article/i.test(r.note), `${a.slug}: an institutional reader sees the meter: "${r.note}"`);
        assert.equal(meterSetCookie(r), undefined, `${a.slug}: an institutional read was counted`);
        const cc = r.headers.get('cache-control') ?? '';
        assert.match(cc, /\bprivate\b/, `${a.slug}: the page with the organisation's name is Cache-Control "${cc}"`);
      }
    }

    // A spent and a tampered meter do not matter at the institution, and are not charged.
    const spent = new Reader(srv.url, { meter: 'garbage' });
    for (const a of [...METERED.slice(0, 4), ...SUBSCRIBERS]) {
      const r = await spent.read(a);
      assertFull(r, a, `institutional with a tampered cookie, ${a.slug}`);
      assert.equal(meterSetCookie(r), undefined);
    }
    assert.equal(spent.meter, 'garbage');

    // Removing the range closes it again, without a restart.
    rangeRemove(srv.db, 'acme', '127.0.0.0/8');
    await eventually(() => notInstitutional(srv.url), 'the removed range still opens articles');
    assertPreview(await new Reader(srv.url).read(S), S, 'after the range was removed');
    const m = await new Reader(srv.url).read(METERED[0]);
    assertFull(m, METERED[0]);
    assert.equal(m.note, '2 free articles left this month.', 'back on the meter after the range went');
  } finally {
    await srv.stop();
  }
});

test('an organisation whose access has ended (--until in the past) gives nothing; extended, it does; ended again, it stops', { timeout: 60_000 }, async () => {
  const srv = await startServer();
  try {
    orgAdd(srv.db, 'oldco', 'Old Co', '2020-06-30');
    rangeAdd(srv.db, 'oldco', '127.0.0.1');
    // A marker: another organisation on the client's addresses, added after; once it shows, the
    // ended one's range is loaded too, and it must be the marker that is named, not Old Co.
    orgAdd(srv.db, 'marker', 'Marker Org');
    rangeAdd(srv.db, 'marker', '127.0.0.0/8');
    const m = await eventually(() => institutional(srv.url), 'the marker range never took effect');
    assert.ok((m.note ?? '').includes('Access provided by Marker Org'), `an ended organisation is named: ${m.note}`);
    rangeRemove(srv.db, 'marker', '127.0.0.0/8');
    await eventually(() => notInstitutional(srv.url), 'the ended organisation still opens articles');
    const r = await new Reader(srv.url).read(S);
    assertPreview(r, S, 'ended organisation');
    assert.ok(!textOf(r.body).includes('Access provided by'), 'an ended organisation is named on the page');

    orgAdd(srv.db, 'oldco', 'Old Co', '2099-12-31');
    const open = await eventually(() => institutional(srv.url), 'extending the organisation did not open it');
    assert.ok((open.note ?? '').includes('Access provided by Old Co'), `note: ${open.note}`);

    orgAdd(srv.db, 'oldco', 'Old Co', '2021-01-01');
    await eventually(() => notInstitutional(srv.url), 'ending the organisation did not close it');

    orgAdd(srv.db, 'oldco', 'Old Co', '2099-12-31');
    await eventually(() => institutional(srv.url), 'reopening');
    orgRemove(srv.db, 'oldco');
    await eventually(() => notInstitutional(srv.url), 'removing the organisation did not close it');
  } finally {
    await srv.stop();
  }
});

test('a range that does not hold the client gives nothing (10.0.0.0/8, 127.0.0.2/32, ::1/128 for an IPv4 client)', { timeout: 30_000 }, async () => {
  const srv = await startServer();
  try {
    orgAdd(srv.db, 'elsewhere', 'Elsewhere Inc');
    for (const range of ['10.0.0.0/8', '127.0.0.2/32', '::1/128', '::/0']) rangeAdd(srv.db, 'elsewhere', range);
    // A marker range that does hold the client, on another organisation, added last: once it
    // works, the ranges above are loaded too.
    orgAdd(srv.db, 'here', 'Here Ltd');
    rangeAdd(srv.db, 'here', '127.0.0.1/32');
    const r = await eventually(() => institutional(srv.url), 'the marker range never took effect');
    assert.ok(r.note.includes('Access provided by Here Ltd'), `the wrong organisation: ${r.note}`);
    rangeRemove(srv.db, 'here', '127.0.0.1/32');
    await eventually(() => notInstitutional(srv.url), 'a range that does not hold 127.0.0.1 opens articles');
  } finally {
    await srv.stop();
  }
});

test('IPv6: a server on ::1 and an organisation with ::1/128 (an IPv4 range does not count for an IPv6 client)', { timeout: 60_000 }, async (t) => {
  if (!(await hasIpv6Loopback())) {
    t.skip('this machine has no IPv6 loopback (::1): IPv6 ranges not tested');
    return;
  }
  const srv = await startServerAt('::1');
  try {
    assert.match(srv.url, /^http:\/\/\[::1\]:\d+$/, `server URL ${srv.url}`);
    assertPreview(await new Reader(srv.url).read(S), S, 'IPv6, before any organisation');
    orgAdd(srv.db, 'v4', 'Four Corp');
    rangeAdd(srv.db, 'v4', '127.0.0.0/8');
    rangeAdd(srv.db, 'v4', '0.0.0.0/0');
    orgAdd(srv.db, 'v6other', 'Other Six');
    rangeAdd(srv.db, 'v6other', '2001:db8::/32');
    orgAdd(srv.db, 'v6', 'Six Corp');
    rangeAdd(srv.db, 'v6', '::1/128');
    const r = await eventually(() => institutional(srv.url), 'the ::1/128 range never took effect');
    assert.ok((r.note ?? '').includes('Access provided by Six Corp'), `note: ${r.note}`);
    const reader = new Reader(srv.url);
    for (const a of [...SUBSCRIBERS, ...METERED.slice(0, 5)]) {
      const x = await reader.read(a);
      assertFull(x, a, `IPv6 institutional ${a.slug}`);
      assert.equal(meterSetCookie(x), undefined);
    }
    rangeRemove(srv.db, 'v6', '::1/128');
    await eventually(() => notInstitutional(srv.url),
      'without ::1/128, the IPv4 ranges (or 2001:db8::/32) open articles to ::1');

    // A wider IPv6 range holding ::1.
    rangeAdd(srv.db, 'v6', '::/64');
    await eventually(() => institutional(srv.url), '::/64 does not hold ::1');
  } finally {
    await srv.stop();
  }
});

test('X-Forwarded-For from an untrusted peer is ignored: 203.0.113.7 claimed from 127.0.0.1 is not the institution', { timeout: 30_000 }, async () => {
  const srv = await startServer();
  try {
    orgAdd(srv.db, 'xff', 'Proxy Org');
    rangeAdd(srv.db, 'xff', '203.0.113.0/24');
    // A marker on the client's own address, to know the ranges are loaded, then removed.
    orgAdd(srv.db, 'marker', 'Marker Org');
    rangeAdd(srv.db, 'marker', '127.0.0.1');
    await eventually(() => institutional(srv.url), 'the marker range never took effect');
    rangeRemove(srv.db, 'marker', '127.0.0.1');
    await eventually(() => notInstitutional(srv.url), 'the marker range never went');

    for (const headers of [
      { 'X-Forwarded-For': '203.0.113.7' },
      { 'X-Forwarded-For': '203.0.113.7, 203.0.113.8' },
      { 'X-Forwarded-For': '127.0.0.1, 203.0.113.7' },
      { 'X-Real-IP': '203.0.113.7' },
      { Forwarded: 'for=203.0.113.7' },
      { 'X-Forwarded-For': '203.0.113.7', 'X-Real-IP': '203.0.113.7', Forwarded: 'for=203.0.113.7', 'True-Client-IP': '203.0.113.7', 'CF-Connecting-IP': '203.0.113.7' },
    ]) {
      const r = await new Reader(srv.url).read(S, headers);
      assertPreview(r, S, `spoofed ${JSON.stringify(headers)}`);
      assert.ok(!textOf(r.body).includes('Access provided by'), `spoofed ${JSON.stringify(headers)}: named`);
    }
  } finally {
    await srv.stop();
  }
});

test('X-Forwarded-For from a trusted proxy (--trusted-proxies 127.0.0.1/32) is believed, hop by hop from the right', { timeout: 30_000 }, async () => {
  const srv = await startServer({ args: ['--trusted-proxies', '127.0.0.1/32,10.0.0.0/8'] });
  try {
    orgAdd(srv.db, 'xff', 'Proxy Org');
    rangeAdd(srv.db, 'xff', '203.0.113.0/24');
    const yes = { 'X-Forwarded-For': '203.0.113.7' };
    const r = await eventually(() => institutional(srv.url, yes), 'XFF 203.0.113.7 through the trusted proxy is not institutional');
    assert.ok(r.note.includes('Access provided by Proxy Org'), `note: ${r.note}`);

    // The proxy's own address is not in the range: no header, no institution.
    assertPreview(await new Reader(srv.url).read(S), S, 'trusted proxy, no X-Forwarded-For');
    // Through another trusted hop: still the client on the right.
    assert.ok(await institutional(srv.url, { 'X-Forwarded-For': '203.0.113.7, 10.1.2.3' }),
      'client, trusted hop: the client is 203.0.113.7');
    // The client claims 203.0.113.7; our proxy appends the real address: not institutional.
    for (const xff of ['203.0.113.7, 198.51.100.9', '203.0.113.7, 198.51.100.9, 10.1.2.3']) {
      const x = await new Reader(srv.url).read(S, { 'X-Forwarded-For': xff });
      assertPreview(x, S, `X-Forwarded-For: ${xff}`);
    }
    // And the other way round: the real client is in the range.
    assert.ok(await institutional(srv.url, { 'X-Forwarded-For': '198.51.100.9, 203.0.113.7' }),
      'XFF "198.51.100.9, 203.0.113.7": the client (rightmost untrusted) is 203.0.113.7');
    for (const a of [...FREE, ...METERED.slice(0, 2)]) {
      assertFull(await new Reader(srv.url).read(a, yes), a, `through the proxy, ${a.slug}`);
    }
  } finally {
    await srv.stop();
  }
});

// A GET of article a over a raw socket with the header lines given as they are (so a name can
// appear twice, as a proxy that appends its own line sends it); {status, body} for assertFull
// and assertPreview.
async function readWithLines(port, a, lines) {
  const head = [`GET ${a.path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...lines];
  const r = await rawRequest(port, `${head.join('\r\n')}\r\n\r\n`);
  assert.equal(r.status, 200, `${lines.join(' | ')}: status ${r.status}: ${r.text.slice(0, 200)}`);
  return { status: r.status, body: r.body.toString('utf8') };
}

test('finding 2: X-Forwarded-For on two lines (the client\'s, then the trusted proxy\'s) is one list, walked from the right', { timeout: 30_000 }, async () => {
  const srv = await startServer({ args: ['--trusted-proxies', '127.0.0.1/32,10.0.0.0/8'] });
  try {
    orgAdd(srv.db, 'xff', 'Proxy Org');
    rangeAdd(srv.db, 'xff', '203.0.113.0/24');
    // Wait until the range is loaded (one line: the proxy's own, naming a client in the range).
    await eventually(async () => {
      const r = await readWithLines(srv.port, S, ['X-Forwarded-For: 203.0.113.7']);
      return !textOf(r.body).includes('Want access to this content?');
    }, 'the range never took effect');

    // The client wrote the first line claiming the institution's address; the proxy appended a
    // line of its own with the real peer. Only the proxy's line may decide: not institutional.
    for (const lines of [
      ['X-Forwarded-For: 203.0.113.5', 'X-Forwarded-For: 198.51.100.9'],
      ['X-Forwarded-For: 203.0.113.5', 'x-forwarded-for: 198.51.100.9'],
      ['x-forwarded-for: 203.0.113.5, 203.0.113.6', 'X-FORWARDED-FOR: 198.51.100.9'],
      // Another header between the two lines, and a trusted hop appended by a second proxy.
      ['X-Forwarded-For: 203.0.113.5', 'Accept: text/html', 'X-Forwarded-For: 198.51.100.9',
        'X-Forwarded-For: 10.1.2.3'],
      // The proxy's line empty: the rightmost entry is empty, which is malformed, so the walk
      // stops at once and the client is the peer itself (the proxy, not in the range).
      ['X-Forwarded-For: 203.0.113.5', 'X-Forwarded-For: '],
    ]) {
      const r = await readWithLines(srv.port, S, lines);
      assertPreview(r, S, `lines ${JSON.stringify(lines)}`);
      assert.ok(!textOf(r.body).includes('Access provided by'), `lines ${JSON.stringify(lines)}: named`);
    }

    // And the other way round: the real client (the proxy's line) is in the range.
    for (const lines of [
      ['X-Forwarded-For: 198.51.100.9', 'X-Forwarded-For: 203.0.113.7'],
      ['X-Forwarded-For: 198.51.100.9', 'x-forwarded-for: 203.0.113.7', 'X-Forwarded-For: 10.9.9.9'],
    ]) {
      const r = await readWithLines(srv.port, S, lines);
      assertFull(r, S, `lines ${JSON.stringify(lines)}`);
      assert.ok(textOf(r.body).includes('Access provided by Proxy Org'), `lines ${JSON.stringify(lines)}: not named`);
    }
  } finally {
    await srv.stop();
  }
});
