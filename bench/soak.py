#!/usr/bin/env python3
"""bench/soak.py: the reader's side of bench/soak, in Python's standard library only.

  soak.py discover BASE DIR
      Browses the running site as a reader would and writes what the load needs: the home page's
      links, every section and publication page's article links, each article classified by what
      an anonymous reader gets (free; metered, with the meter cookie of a first visit; for
      subscribers only), a meter cookie already spent, the /static/ assets and ad slot queries
      the pages name, the ad creatives' images and beacons, and a log-in form's CSRF token with
      its bs_anon cookie. Writes DIR/urls.lua (a Lua table for bench/soak.lua) and DIR/site.json
      (for the journeys). Nothing is hard-coded but the entry points a browser would know: "/",
      "/register" and "/login".

  soak.py journeys BASE DIR
      Repeats the reader journey until SIGTERM or SIGINT: register through the web form, read
      the verification mail in the outbox (DIR/outbox, .eml files), verify, log out, log in,
      read a metered article in full, open "My account", log out. After each journey it rewrites
      DIR/journeys ("OK FAILED MILLISECONDS": the counts and the total time of the good ones) so
      bench/soak can read the counts at any moment; a failed journey prints why to stderr.

Each journey comes from an address of its own (198.18.0.0/15, the range set aside for
benchmarks) in X-Forwarded-For, which bench/soak's server believes from 127.0.0.1
(--trusted-proxies), as it would from a real reverse proxy. Without that, registration's limit
per address (10 an hour) would end the journeys after ten, and wrk's wrong passwords, which come
from 127.0.0.1 itself, would rate-limit the journeys' log-ins.
"""
import email
import email.policy
import html.parser
import http.client
import json
import os
import re
import signal
import sys
import time
import urllib.parse

# The placements ads.js knows and the slot each fills (themes/default/static/ads.js, SLOTS).
AD_SLOTS = {
    "interstitial": "ad-interstitial",
    "leaderboard": "ad-leaderboard",
    "in-article": "ad-in-article",
    "sidebar": "ad-sidebar",
}
PAYWALL_PROMPT = "paywall-prompt"  # the class of the prompt a reader who is not entitled gets
FULL_BODY = 'class="paywalled"'  # the withheld part's wrapper, only in the full variant
MAIL_WAIT = 15  # seconds a journey waits for its verification mail
TIMEOUT = 30  # seconds any one request may take


class Failure(Exception):
    """A journey step that did not go as a reader would expect; the message says why."""


class Forms(html.parser.HTMLParser):
    """Collects a page's forms: [{"action", "method", "inputs": {name: value}}], with the values
    of every named <input> (hidden ones included), entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "inputs": {},
            }
            self.forms.append(self.current)
        elif tag == "input" and self.current is not None and a.get("name"):
            self.current["inputs"][a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def forms_in(body):
    parser = Forms()
    parser.feed(body)
    return parser.forms


def form_posting_to(body, path):
    """The first form in body that POSTs to path (its action's path), or None."""
    for form in forms_in(body):
        if form["method"] == "post" and urllib.parse.urlsplit(form["action"]).path == path:
            return form
    return None


class Client:
    """One browser: a keep-alive connection to BASE and a cookie jar (name -> value; a cookie
    set empty or with Max-Age=0 is removed). Redirects are not followed: each step checks the
    status and Location it expects, then asks for the next page itself."""

    def __init__(self, base, forwarded_for=None):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.forwarded_for = forwarded_for
        self.cookies = {}
        self.conn = None

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def request(self, method, path, form=None, cookies=True, extra=None):
        """Sends a request and returns (status, headers, body as text). form (a dict) is sent
        as application/x-www-form-urlencoded; extra headers are added. cookies=False sends none
        and keeps none."""
        headers = {"User-Agent": "broadsheet-soak/1 (reader journey)", "Accept": "text/html"}
        headers.update(extra or {})
        if cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # A kept-alive connection the server has since closed fails on first use: retry once on a
        # new one. Requests here are idempotent or fail harmlessly when repeated (a CSRF token
        # may be reused), and a reset connection never reached the handler anyway.
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        if resp.will_close:
            self.close()
        if cookies:
            for line in resp.headers.get_all("Set-Cookie") or []:
                pair, _, attrs = line.partition(";")
                name, _, value = pair.strip().partition("=")
                if not value or re.search(r"(?i)max-age=0\b", attrs):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        return resp.status, resp.headers, data

    def expect(self, method, path, statuses, form=None, step=""):
        """request() that fails the journey unless the status is one of statuses."""
        status, headers, body = self.request(method, path, form)
        if status not in statuses:
            want = " or ".join(str(s) for s in statuses)
            raise Failure(f"{step}: {method} {path} answered {status} (expected {want})")
        return status, headers, body


# ---- discovery -------------------------------------------------------------------------------


def links(body, prefix):
    """The distinct local links (href or src) in body that start with prefix, in page order."""
    seen = []
    for m in re.finditer(r'(?:href|src)="(' + re.escape(prefix) + r'[^"#?]*)"', body):
        if m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


def ad_slot_query(body):
    """The /ads/slots request ads.js would make on this page, or None if it asks for nothing:
    the configured placements whose empty slot the page has, and its publication and section."""
    m = re.search(r'<[^>]*id="ad-config"[^>]*>', body)
    if not m:
        return None
    tag = m.group(0)

    def attr(name):
        a = re.search(r'\s' + name + r'="([^"]*)"', tag)
        return a.group(1) if a else ""

    wanted = []
    for p in attr("data-placements").split(","):
        p = p.strip().lower()
        if p in AD_SLOTS and p not in wanted and f'data-slot="{AD_SLOTS[p]}"' in body:
            wanted.append(p)
    if not wanted:
        return None
    params = {"placements": ",".join(wanted)}
    for name in ("publication", "section"):
        if attr("data-" + name):
            params[name] = attr("data-" + name)
    return "/ads/slots?" + urllib.parse.urlencode(params)


def get_ok(client, path):
    status, headers, body = client.request("GET", path, cookies=False)
    if status != 200:
        sys.exit(f"soak: discovery: GET {path} answered {status}")
    return headers, body


def meter_cookie(headers):
    for line in headers.get_all("Set-Cookie") or []:
        pair = line.split(";", 1)[0].strip()
        if pair.startswith("bs_meter="):
            return pair
    return None


def discover(base, out_dir):
    c = Client(base)
    _, home = get_ok(c, "/")
    # The ETag a browser asking for gzip (as soak.lua's requests do) holds for the home page.
    _, home_headers, _ = c.request("HEAD", "/", cookies=False, extra={"Accept-Encoding": "gzip"})
    lists = links(home, "/sections/") + links(home, "/publications/")
    articles = links(home, "/articles/")
    pages = {"/": home}
    for path in lists:
        _, body = get_ok(c, path)
        pages[path] = body
        articles += [a for a in links(body, "/articles/") if a not in articles]

    # What an anonymous reader with no cookie gets decides the class: a metered article counts
    # the read and sets the meter cookie (kept: re-reading with it costs nothing); a
    # subscribers-only one shows the prompt; a free one neither.
    free, metered, subscribers = [], [], []
    for path in articles:
        headers, body = get_ok(c, path)
        pages[path] = body
        cookie = meter_cookie(headers)
        if cookie:
            metered.append({"path": path, "cookie": cookie})
        elif PAYWALL_PROMPT in body:
            subscribers.append(path)
        else:
            free.append(path)
    if not metered or not free:
        sys.exit(f"soak: discovery found {len(free)} free and {len(metered)} metered articles")

    # A spent meter: read metered articles one after another with the cookie each read sets,
    # until one answers with the prompt. None if the meter outlasts them.
    spent, cookie = None, None
    for m in metered:
        c.cookies = dict([cookie.split("=", 1)]) if cookie else {}
        _, headers, body = c.request("GET", m["path"])
        if PAYWALL_PROMPT in body:
            spent = cookie
            break
        cookie = meter_cookie(headers) or cookie
    c.cookies = {}

    assets = []
    for body in pages.values():
        assets += [a for a in links(body, "/static/") if a not in assets]
    slot_queries = []
    for body in pages.values():
        q = ad_slot_query(body)
        if q and q not in slot_queries:
            slot_queries.append(q)
    ad_images, beacons = [], []
    for q in slot_queries:
        _, body = get_ok(c, q)
        for ad in json.loads(body).get("ads", {}).values():
            for key, into in (("image", ad_images), ("beacon", beacons)):
                if isinstance(ad.get(key), str) and ad[key].startswith("/") and ad[key] not in into:
                    into.append(ad[key])

    # The log-in form as a browser gets it: its CSRF token is bound to the bs_anon cookie.
    login = Client(base)
    _, _, body = login.expect("GET", "/login", (200,), step="discovery")
    form = form_posting_to(body, "/login")
    if not form or "bs_anon" not in login.cookies:
        sys.exit("soak: discovery: /login has no log-in form or sets no bs_anon cookie")

    site = {
        "home": "/",
        "home_etag": home_headers.get("ETag") or "",
        "sections": links(home, "/sections/"),
        "publications": links(home, "/publications/"),
        "free": free,
        "metered": metered,
        "spent_meter": spent or "",
        "subscribers": subscribers,
        "static": assets + ad_images,
        "ad_slots": slot_queries,
        "beacons": beacons,
        "login_csrf": form["inputs"].get("csrf", ""),
        "login_cookie": "bs_anon=" + login.cookies["bs_anon"],
    }
    with open(os.path.join(out_dir, "site.json"), "w") as f:
        json.dump(site, f, indent=1)
    with open(os.path.join(out_dir, "urls.lua"), "w") as f:
        f.write("-- written by bench/soak.py discover from " + base + "\nreturn " + lua(site) + "\n")
    print(
        f"soak: found {len(free)} free, {len(metered)} metered and {len(subscribers)} "
        f"subscriber articles, {len(site['sections'])} sections, {len(site['publications'])} "
        f"publications, {len(site['static'])} static files and ad images, "
        f"{len(slot_queries)} ad slot queries, {len(beacons)} beacons"
        + ("" if spent else "; no spent meter (the meter outlasts the metered articles)")
    )


def lua(value):
    """value (dicts, lists, strings, numbers) as a Lua expression."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(lua(v) for v in value) + "}"
    if isinstance(value, (int, float)):
        return repr(value)
    # A Lua string: everything but printable ASCII (and the quote and backslash) as \ddd.
    return '"' + "".join(
        ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "".join(f"\\{b:03d}" for b in ch.encode())
        for ch in value
    ) + '"'


# ---- the reader journey ----------------------------------------------------------------------


def read_verification_link(outbox, address, deadline):
    """The path and query of the verification link in the mail to address, waiting for the
    mailer until deadline. The message's file is removed once read, so the outbox stays small
    over a long run."""
    while True:
        try:
            names = sorted(n for n in os.listdir(outbox) if n.endswith(".eml"))
        except FileNotFoundError:
            names = []
        for name in names:
            path = os.path.join(outbox, name)
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            if address not in str(msg["To"]):
                continue
            text = msg.get_body(preferencelist=("plain",)).get_content()
            os.remove(path)
            m = re.search(r"https?://\S+?(/verify\S*)", text)
            if not m:
                raise Failure(f"verification mail: no /verify link in {name}")
            return m.group(1)
        if time.monotonic() > deadline:
            raise Failure(f"verification mail: none to {address} within {MAIL_WAIT} s")
        time.sleep(0.1)


def csrf_of(body, action, step):
    form = form_posting_to(body, action)
    if not form or not form["inputs"].get("csrf"):
        raise Failure(f"{step}: no form posting to {action} with a CSRF token")
    return form["inputs"]["csrf"]


def log_out(c, step):
    """Logs out with the masthead's form on /account; checks the session cookie is gone."""
    _, _, body = c.expect("GET", "/account", (200,), step=step)
    csrf = csrf_of(body, "/logout", step)
    c.expect("POST", "/logout", (303,), {"csrf": csrf}, step=step)
    if "bs_session" in c.cookies:
        raise Failure(f"{step}: the session cookie survived log-out")
    status, headers, _ = c.request("GET", "/account")
    if status != 303 or "/login" not in (headers.get("Location") or ""):
        raise Failure(f"{step}: /account after log-out answered {status}, not a redirect to /login")


def journey(base, outbox, site, n, run_id):
    """One reader's visit, from registration to log-out. Raises Failure with the reason."""
    i = n % 131072  # an address of 198.18.0.0/15 per journey
    c = Client(base, forwarded_for=f"198.{18 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}")
    address = f"soak-{run_id}-{n}@example.org"
    password = f"soak reader {n} of {run_id}"
    try:
        # Register: the form's token is bound to the bs_anon cookie its page set.
        _, _, body = c.expect("GET", "/register", (200,), step="register")
        csrf = csrf_of(body, "/register", "register")
        _, headers, _ = c.expect(
            "POST", "/register", (303,),
            {"csrf": csrf, "email": address, "name": f"Soak Reader {n}", "password": password},
            step="register",
        )
        if "bs_session" not in c.cookies:
            raise Failure("register: no session cookie after registering")

        # Verify from the mail. The link either verifies at once (GET) or shows a page whose form
        # POSTs to /verify to confirm; both are handled.
        link = read_verification_link(outbox, address, time.monotonic() + MAIL_WAIT)
        _, _, body = c.expect("GET", link, (200, 303), step="verify")
        form = form_posting_to(body, "/verify")
        if form:
            c.expect("POST", form["action"], (200, 303), form["inputs"], step="verify (confirm)")

        log_out(c, "log out")

        # Log in again, from the form as a reader would.
        _, _, body = c.expect("GET", "/login", (200,), step="log in")
        csrf = csrf_of(body, "/login", "log in")
        _, headers, _ = c.expect(
            "POST", "/login", (303,),
            {"csrf": csrf, "next": "/", "email": address, "password": password},
            step="log in",
        )
        if "bs_session" not in c.cookies:
            raise Failure("log in: no session cookie after logging in")

        # A signed-in reader's first metered article comes from the meter (10 free): in full.
        article = site["metered"][n % len(site["metered"])]["path"]
        _, _, body = c.expect("GET", article, (200,), step="read")
        if PAYWALL_PROMPT in body or FULL_BODY not in body:
            raise Failure(f"read: {article} was not served in full to a signed-in reader")

        _, _, body = c.expect("GET", "/account", (200,), step="account")
        if address not in body:
            raise Failure("account: /account does not show the reader's address")
        if form_posting_to(body, "/account/verify"):
            raise Failure("account: the address is still unverified (the resend form is shown)")

        log_out(c, "log out at the end")
    finally:
        c.close()


def journeys(base, out_dir):
    with open(os.path.join(out_dir, "site.json")) as f:
        site = json.load(f)
    outbox = os.path.join(out_dir, "outbox")
    state = os.path.join(out_dir, "journeys")
    run_id = f"{int(time.time())}-{os.getpid()}"
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt  # abandon the journey in flight: it is neither done nor failed

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ok = failed = 0
    ok_ms = 0
    n = 0
    try:
        while not stopping:
            n += 1
            started = time.monotonic()
            try:
                journey(base, outbox, site, n, run_id)
                ok += 1
                ok_ms += int((time.monotonic() - started) * 1000)
            except Exception as e:  # anything unexpected is a failed journey too, with its why
                failed += 1
                why = str(e) if isinstance(e, Failure) else f"{type(e).__name__}: {e}"
                print(f"soak: journey {n} failed: {why}", file=sys.stderr, flush=True)
                time.sleep(1)  # a broken server should not be hammered by failures
            tmp = state + ".tmp"
            with open(tmp, "w") as f:
                f.write(f"{ok} {failed} {ok_ms}\n")
            os.replace(tmp, state)
    except KeyboardInterrupt:
        pass


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("discover", "journeys"):
        sys.exit("usage: bench/soak.py discover|journeys BASE_URL DIR")
    try:
        {"discover": discover, "journeys": journeys}[sys.argv[1]](sys.argv[2], sys.argv[3])
    except Failure as e:
        sys.exit(f"soak: discovery: {e}")


if __name__ == "__main__":
    main()
