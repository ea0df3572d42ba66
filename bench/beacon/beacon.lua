-- wrk script for the beacon benchmark (bench/beacon/run.sh): realistic widget beacons to /beacon.php.
-- Environment: SITE_KEY, RUN (a prefix that makes event ids unique across runs), EVENTS (events per
-- beacon, default 1), VISITORS (distinct visitor ids, default 50000).
-- Counts answers per thread and prints one JSON line at the end:
--   {"requests", "ok" (2xx: events committed), "busy" (503), "other", "p50_us", "p99_us", "duration_us", "socket_errors"}
local threads = {}
local site = os.getenv("SITE_KEY") or "site_missing"
local run = os.getenv("RUN") or "r"
local per = tonumber(os.getenv("EVENTS") or "1")
local visitors = tonumber(os.getenv("VISITORS") or "50000")
local pages = { "/", "/pricing", "/features", "/blog/how-to-start", "/blog/release-notes", "/docs/install", "/signup", "/contact" }
local refs = { "", "https://www.google.com/", "https://news.ycombinator.com/item?id=1", "https://twitter.com/", "" }

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  ok, busy, other, counter = 0, 0, 0, 0
  math.randomseed(tid * 7919 + os.time())
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
  wrk.headers["Origin"] = "https://bench.example.com"
  wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
end

function request()
  local now = os.time() * 1000
  local v = math.random(1, visitors)
  local evs = {}
  for i = 1, per do
    counter = counter + 1
    local p = pages[math.random(1, #pages)]
    evs[i] = string.format('{"id":"%s%02d%012d","type":"pageview","ts":%d,"url":"https://bench.example.com%s?utm_source=news","path":"%s","title":"Bench page","referrer":"%s","screen":"1920x1080","lang":"en-US","tz":"Europe/Berlin"}',
      run, tid, counter, now, p, p, refs[math.random(1, #refs)])
  end
  local body = string.format('{"site_key":"%s","visitor_id":"v%031d","session_hint":"s%031d","sent_at":%d,"events":[%s]}',
    site, v, v, now, table.concat(evs, ","))
  return wrk.format(nil, "/beacon.php", nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1
  elseif status == 503 then busy = busy + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local o, b, x = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok"); b = b + t:get("busy"); x = x + t:get("other")
  end
  local e = summary.errors
  io.write(string.format('{"requests":%d,"ok":%d,"busy":%d,"other":%d,"p50_us":%d,"p99_us":%d,"duration_us":%d,"socket_errors":%d}\n',
    summary.requests, o, b, x, latency:percentile(50), latency:percentile(99), summary.duration, e.connect + e.read + e.write + e.timeout))
end
