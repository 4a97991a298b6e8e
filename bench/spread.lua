-- bench/spread.lua: wrk over many distinct URLs, for bench/scale and bench/run.
--
--   wrk -s bench/spread.lua URL -- FILE [random|crawl] [DELAY_MS]
--
-- FILE holds URL paths, one a line (bench/gen-articles writes DIR/urls). random (the default):
-- every request picks one of them uniformly at random, as readers spread over an archive do.
-- crawl: each thread walks the list in order from its own starting point, wrapping round, so
-- the threads together visit distinct pages the way a search engine's crawler does (thread k
-- starts at the fractional part of k times the golden ratio of the way through the list: wrk
-- calls setup and init thread by thread, so a thread cannot know how many will follow it, and
-- these points stay well apart for any number of threads). DELAY_MS (default 0): each connection waits that long after a
-- response before its next request, which caps a crawl's rate at about connections * 1000 /
-- (DELAY_MS + latency) requests a second.
--
-- The requests are formatted once per thread at start (a GET with no cookie and no gzip, as in
-- bench/run), so the run itself costs wrk as little as a single URL would.

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

local requests = {}
local count = 0
local mode = "random"
local next_index = 1
local wait = 0

function init(args)
  local file = args[1]
  if not file then error("spread.lua: give the URL list: wrk -s bench/spread.lua URL -- FILE") end
  mode = args[2] or "random"
  if mode ~= "random" and mode ~= "crawl" then error("spread.lua: mode is random or crawl") end
  wait = tonumber(args[3] or "0")
  for line in io.lines(file) do
    if line ~= "" then
      count = count + 1
      requests[count] = wrk.format("GET", line)
    end
  end
  if count == 0 then error("spread.lua: " .. file .. " has no URLs") end
  local golden = (math.sqrt(5) - 1) / 2
  next_index = math.floor(((thread_number - 1) * golden % 1) * count) + 1
  -- wrk asks delay() before every request when the script defines it, through a timer even for
  -- 0 ms, so it is defined only when there is a delay (wrk looks after the first init).
  if wait > 0 then
    delay = function() return wait end
  end
  math.randomseed(os.time() * 1000 + thread_number)
end

function request()
  if mode == "crawl" then
    local r = requests[next_index]
    next_index = next_index % count + 1
    return r
  end
  return requests[math.random(count)]
end
