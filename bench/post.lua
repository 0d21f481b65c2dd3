-- wrk script: POST answers with varied bodies; optional fixed offered load.
--   wrk -s bench/post.lua <url> -- <path> <token> [rate per second, 0 = as fast as possible]
-- With a rate, each thread sends on a schedule (requests wait for their slot), so latency
-- is measured at a fixed offered load rather than at saturation.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } timespec;
  int clock_gettime(int clk_id, timespec *tp);
]]
local ts = ffi.new("timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local segments = {"smb", "mid_market", "enterprise", "public_sector", "startup", "education",
                  "health", "retail", "finance", "media", "travel", "other"}
local touchpoints = {"checkout", "support_chat", "onboarding", "delivery", "billing",
                     "returns", "mobile_app", "website"}
local scores = {0, 1, 2, 3, 4, 5, 6, 6, 7, 7, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 10}

local path, token, rate = "/", nil, 0
local interval, next_at = 0, 0
local counter = 0
local run_id = ""

function init(args)
  path = args[1]
  token = args[2]
  rate = tonumber(args[3] or "0")
  if rate > 0 then
    interval = 1000 / rate -- per thread: wrk passes the per-thread rate
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  run_id = string.format("%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
end

function delay()
  if interval == 0 then return 0 end
  local now = now_ms()
  if next_at < now then next_at = now end
  local wait = next_at - now
  next_at = next_at + interval
  return wait
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"score": %d, "segment": "%s", "touchpoint": "%s", "channel": "email", ' ..
    '"customer_id": "cust-%d", "locale": "en"}',
    scores[math.random(#scores)], segments[math.random(#segments)],
    touchpoints[math.random(#touchpoints)], math.random(1, 1000000))
  local headers = {["Content-Type"] = "application/json"}
  if token and token ~= "-" then
    headers["Authorization"] = "Bearer " .. token
    -- Every request carries its own Idempotency-Key, as a careful client sends it.
    headers["Idempotency-Key"] = run_id .. "-" .. counter
  end
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, non2xx))
end
