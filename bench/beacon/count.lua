-- wrk script for the baselines: counts answers like beacon.lua and prints the same JSON line.
local threads = {}
function setup(thread) thread:set("tid", #threads + 1); table.insert(threads, thread) end
function init(args) ok, busy, other = 0, 0, 0 end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 elseif status == 503 then busy = busy + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local o, b, x = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("busy"); x = x + t:get("other") end
  local e = summary.errors
  io.write(string.format('{"requests":%d,"ok":%d,"busy":%d,"other":%d,"p50_us":%d,"p99_us":%d,"duration_us":%d,"socket_errors":%d}\n',
    summary.requests, o, b, x, latency:percentile(50), latency:percentile(99), summary.duration, e.connect + e.read + e.write + e.timeout))
end
