-- bench/soak.lua: wrk's side of bench/soak, a news site's mix of requests.
--
--   wrk -s bench/soak.lua --latency URL -- URLS.lua
--
-- URLS.lua is the table bench/soak.py discover wrote from the running site (no slug is
-- hard-coded here). Each request picks a kind by the weights below, then one of that kind's
-- URLs at random; the requests are built once per thread at start. Like most readers, requests
-- ask for gzip; like a browser without its cookies (wrk keeps none), anonymous readers with a
-- meter send the cookie of their first visit.
--
-- At the end (done) it prints one line per status seen, "soak-status CODE COUNT", summed over
-- wrk's threads, which bench/soak sorts into expected answers and errors.

-- The mix, in requests per 1000: mostly cached home and article reads, as on a news site.
local weights = {
  {"home", 140},             -- the home page (shared cached page)
  {"home_revalidate", 40},   -- the home page again with If-None-Match: 304
  {"section", 60},           -- /sections/SLUG
  {"publication", 20},       -- /publications/SLUG
  {"free", 150},             -- free articles, anonymous
  {"metered_fresh", 70},     -- metered article, no cookie: counts the read, sets the meter
  {"metered_reread", 160},   -- metered article with its first visit's meter cookie
  {"metered_spent", 40},     -- metered article with a spent meter: the preview and prompt
  {"subscribers", 20},       -- subscribers-only article, anonymous: the preview
  {"static", 110},           -- /static/ assets and ad images (most browsers have them cached)
  {"ad_slots", 100},         -- /ads/slots, once per page view with JavaScript
  {"beacon", 60},            -- POST /ads/impression/ID
  {"not_found", 20},         -- unknown articles and paths: 404
  {"login_csrf", 5},         -- wrong password with a valid CSRF token: 200 (form again) or 429
  {"login_no_csrf", 5},      -- wrong password without one: 403
}

local requests = {}   -- kind -> list of ready request strings
local cumulative = {} -- {upper bound, kind} in order, over the kinds that have requests
local total = 0

-- The threads, kept by setup so done can sum their counts; each gets a number for its seed.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_number)
  local site = dofile(args[1])
  local function get(path, extra)
    local headers = {["Accept-Encoding"] = "gzip"}
    for k, v in pairs(extra or {}) do headers[k] = v end
    return wrk.format("GET", path, headers)
  end
  local function add(kind, req)
    requests[kind] = requests[kind] or {}
    table.insert(requests[kind], req)
  end

  add("home", get(site.home))
  if site.home_etag ~= "" then add("home_revalidate", get(site.home, {["If-None-Match"] = site.home_etag})) end
  for _, p in ipairs(site.sections) do add("section", get(p)) end
  for _, p in ipairs(site.publications) do add("publication", get(p)) end
  for _, p in ipairs(site.free) do add("free", get(p)) end
  for _, m in ipairs(site.metered) do
    add("metered_fresh", get(m.path))
    add("metered_reread", get(m.path, {Cookie = m.cookie}))
    if site.spent_meter ~= "" then add("metered_spent", get(m.path, {Cookie = site.spent_meter})) end
  end
  for _, p in ipairs(site.subscribers) do add("subscribers", get(p)) end
  for _, p in ipairs(site.static) do add("static", get(p)) end
  for _, q in ipairs(site.ad_slots) do add("ad_slots", get(q, {Accept = "application/json"})) end
  for _, b in ipairs(site.beacons) do add("beacon", wrk.format("POST", b, {["Content-Length"] = "0"})) end
  for i = 1, 20 do
    add("not_found", get("/articles/no-such-story-" .. i))
    add("not_found", get("/no-such-page-" .. i))
  end
  local form = {["Content-Type"] = "application/x-www-form-urlencoded"}
  for i = 1, 10 do
    local creds = "email=nobody-" .. i .. "%40example.org&password=not-the-password-" .. i
    add("login_no_csrf", wrk.format("POST", "/login", form, creds))
    add("login_csrf", wrk.format("POST", "/login", {
      ["Content-Type"] = form["Content-Type"], Cookie = site.login_cookie,
    }, "csrf=" .. site.login_csrf .. "&next=%2F&" .. creds))
  end

  for _, w in ipairs(weights) do
    if requests[w[1]] then
      total = total + w[2]
      table.insert(cumulative, {total, w[1]})
    end
  end
  statuses = {} -- global, so that done can read it from each thread (thread:get)
end

function request()
  local r = math.random(total)
  for _, c in ipairs(cumulative) do
    if r <= c[1] then
      local list = requests[c[2]]
      return list[math.random(#list)]
    end
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, reqs)
  local sum = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses") or {}) do sum[status] = (sum[status] or 0) + n end
  end
  for status, n in pairs(sum) do io.write(string.format("soak-status %d %d\n", status, n)) end
end
