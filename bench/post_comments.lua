-- wrk script: POST answers with a comment each, taken in turn from a file of comments.
--   wrk -s bench/post_comments.lua <url> -- <path> <token> <comments file>
local path, token = "/", nil
local comments = {}
local counter = 0
local run_id = ""

local function json_string(s)
  s = s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\n', '\\n'):gsub('\r', '\\r'):gsub('\t', '\\t')
  return '"' .. s .. '"'
end

function init(args)
  path = args[1]
  token = args[2]
  for line in io.lines(args[3]) do
    comments[#comments + 1] = json_string(line)
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  run_id = string.format("%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
end

function request()
  counter = counter + 1
  local body = string.format('{"score": %d, "comment": %s, "channel": "email", "locale": "en"}',
    math.random(0, 10), comments[1 + (counter % #comments)])
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token,
                   ["Idempotency-Key"] = run_id .. "-" .. counter}
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status))
end
