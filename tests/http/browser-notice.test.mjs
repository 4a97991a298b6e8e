// The outdated-browser notice in the HTML (issue 5): pages never vary by User-Agent (the check
// runs in the browser, so pages stay cacheable), every page carries the notice hidden with the
// configured browsers as links to their vendors, and --supported-browsers changes the list
// (unknown names and malformed entries are skipped). The browser side is
// tests/browser/browser-notice.test.mjs.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, tmpDir } from '../lib/server.mjs';
import { REFERENCE_PATH, attr, textOf, get } from '../lib/util.mjs';

const UAS = {
  chrome90: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
    'Chrome/90.0.4430.212 Safari/537.36',
  ie11: 'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko',
  firefox130: 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0',
  bot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
};

const DEFAULT_BROWSERS = [
  { key: 'chrome', name: 'Chrome', version: '131', url: 'https://www.google.com/chrome/' },
  { key: 'edge', name: 'Edge', version: '131', url: 'https://www.microsoft.com/edge' },
  { key: 'firefox', name: 'Firefox', version: '133', url: 'https://www.mozilla.org/firefox/new/' },
  { key: 'safari', name: 'Safari', version: '18', url: 'https://www.apple.com/safari/' },
];

const servers = [];
const dirs = [];
after(async () => {
  for (const srv of servers) await srv.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(args = []) {
  const uploads = tmpDir('broadsheet-uploads-');
  dirs.push(uploads);
  const srv = await startServer({ args: ['--uploads', uploads, ...args] });
  servers.push(srv);
  return srv;
}

async function fetchPage(srv, path, userAgent) {
  const res = await get(srv.url + path, { headers: { 'User-Agent': userAgent } });
  assert.equal(res.status, 200, `GET ${path} as ${userAgent}`);
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

// The notice element: its opening tag and its inner HTML (up to the slot's closing tag, which is
// the first "</section>" at the nesting depth of the element).
function notice(html) {
  const open = /<section\b[^>]*\bdata-slot="browser-notice"[^>]*>/i.exec(html);
  assert.ok(open, 'no <section data-slot="browser-notice"> element');
  let depth = 1;
  const re = /<(\/?)section\b[^>]*>/gi;
  re.lastIndex = open.index + open[0].length;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) return { tag: open[0], inner: html.slice(open.index + open[0].length, m.index) };
  }
  return assert.fail('the browser-notice element is not closed');
}

// The list items: [{name, url, text}].
function browsersIn(inner) {
  return [...inner.matchAll(/<li\b[^>]*>([\s\S]*?)<\/li>/gi)].map((m) => {
    const a = /<a\b[^>]*>([\s\S]*?)<\/a>/i.exec(m[1]);
    assert.ok(a, `a browser without a link: ${m[1]}`);
    return { name: textOf(a[1]), url: attr(a[0], 'href'), text: textOf(m[1]) };
  });
}

function assertNotice(html, browsers, what) {
  const { tag, inner } = notice(html);
  assert.notEqual(attr(tag, 'hidden'), null, `${what}: the notice is not hidden in the HTML: ${tag}`);
  assert.equal(attr(tag, 'id'), 'browser-notice', tag);
  const text = textOf(inner);
  for (const sentence of ['Your browser is out of date.',
    'You may not get the full experience here on National Journal.',
    'Please upgrade your browser to any of the following supported browsers:']) {
    assert.ok(text.includes(sentence), `${what}: the notice does not say "${sentence}": ${text}`);
  }
  const button = /<button\b[^>]*>([\s\S]*?)<\/button>/i.exec(inner);
  assert.ok(button, `${what}: no button in the notice`);
  assert.equal(textOf(button[1]), "Close and don't show again.");
  assert.equal(attr(button[0], 'type'), 'button');
  assert.deepEqual(browsersIn(inner), browsers.map((b) => ({
    name: b.name, url: b.url, text: `${b.name} version ${b.version} or later`,
  })), `${what}: the list of browsers`);
  // The minimum versions the script compares against, one data attribute per browser.
  const mins = {};
  for (const m of tag.matchAll(/\sdata-min-([a-z]+)="(\d+)"/g)) mins[m[1]] = m[2];
  assert.deepEqual(mins, Object.fromEntries(browsers.map((b) => [b.key, b.version])),
    `${what}: data-min-* on ${tag}`);
}

test('pages are byte-identical for very different User-Agents, and never Vary on it', async () => {
  const srv = await start();
  for (const path of ['/', REFERENCE_PATH, '/login']) {
    const pages = [];
    for (const ua of Object.values(UAS)) pages.push(await fetchPage(srv, path, ua));
    for (const [i, p] of pages.entries()) {
      assert.ok(!/user-agent/i.test(p.res.headers.get('vary') ?? ''),
        `GET ${path}: Vary: ${p.res.headers.get('vary')}`);
      if (path === '/login') continue; // carries a per-visitor CSRF token; compared below
      assert.ok(p.body.equals(pages[0].body),
        `GET ${path} differs between "${Object.values(UAS)[0]}" and "${Object.values(UAS)[i]}"`);
    }
    if (path === '/login') {
      // Apart from the CSRF token, the log-in page is the same for everyone too.
      const strip = (b) => b.toString('utf8').replace(/value="[^"]{20,}"/g, 'value="TOKEN"');
      for (const p of pages) assert.equal(strip(p.body), strip(pages[0].body), `GET ${path}`);
    }
  }
});

test('every page has the notice, hidden, with the configured browsers and the script', async () => {
  const srv = await start();
  for (const path of ['/', REFERENCE_PATH, '/offers', '/login', '/no-such-page']) {
    const res = await get(srv.url + path);
    const html = await res.text();
    assertNotice(html, DEFAULT_BROWSERS, `GET ${path}`);
    // Right after the skip link, the first thing in <body>.
    const body = html.slice(html.search(/<body\b/i));
    assert.match(body, /^<body\b[^>]*>\s*<a class="skip-link" href="#main">Skip Navigation<\/a>\s*<section\b[^>]*data-slot="browser-notice"/,
      `GET ${path}: the notice does not follow the skip link`);
    // A classic deferred script from a fingerprinted URL (no module: it is for old browsers).
    const script = [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0])
      .find((t) => /\/static\/browser-notice\.[0-9a-f]+\.js$/.test(attr(t, 'src') ?? ''));
    assert.ok(script, `GET ${path}: no <script src="/static/browser-notice.HASH.js">`);
    assert.notEqual(attr(script, 'defer'), null, script);
    assert.equal(attr(script, 'type'), null, script);
    const js = await get(srv.url + attr(script, 'src'));
    assert.equal(js.status, 200);
    const source = await js.text();
    // ES3: no arrow functions, let/const, template strings, classList or JSON.
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/'(?:[^'\\\n]|\\.)*'/g, "''");
    for (const [re, what] of [[/=>/, 'an arrow function'], [/\b(?:let|const|class)\s/, 'let/const/class'],
      [/`/, 'a template string'], [/\.classList\b/, 'classList'], [/\bJSON\./, 'JSON'],
      [/\bfetch\(/, 'fetch']]) {
      assert.ok(!re.test(code), `browser-notice.js uses ${what}`);
    }
  }
});

test('--supported-browsers sets the list; unknown names and bad entries are skipped', async () => {
  const one = await start(['--supported-browsers', 'firefox 130']);
  assertNotice(await (await get(one.url + '/')).text(),
    [{ key: 'firefox', name: 'Firefox', version: '130', url: 'https://www.mozilla.org/firefox/new/' }],
    'firefox 130');

  const mixed = await start(['--supported-browsers',
    'Safari 16,netscape 4, chrome x, edge, firefox 12a, chrome   125 ,safari 18, opera 100']);
  assertNotice(await (await get(mixed.url + REFERENCE_PATH)).text(), [
    { key: 'safari', name: 'Safari', version: '16', url: 'https://www.apple.com/safari/' },
    { key: 'chrome', name: 'Chrome', version: '125', url: 'https://www.google.com/chrome/' },
  ], 'a list with bad entries');
});
