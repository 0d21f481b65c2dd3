-- wrk script: the one-click POST of link pages, as the page's script sends it from a browser.
--   wrk -s bench/oneclick.lua <url> -- <links file> <first line>
-- The links file has one line per invitation: "<token> <open id> <score>" (the open its
-- score link's GET left). Requests take the lines in turn from <first line>, so every request
-- answers a fresh invitation until the file runs out (then it wraps: later ones are edits).
-- Counts the answers the server said it recorded ({"recorded":true}).

local links = {}
local first = 0
counter = 0 -- globals: done() reads them through thread:get()
recorded = 0
local threads = {}

local headers = {
  -- What Chrome sends for survey.js's fetch(): a URLSearchParams body, same origin.
  ["Content-Type"] = "application/x-www-form-urlencoded;charset=UTF-8",
  ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " ..
    "Chrome/126.0.0.0 Safari/537.36",
  ["Accept"] = "*/*",
  ["Accept-Language"] = "en-US,en;q=0.9",
  ["Sec-Fetch-Site"] = "same-origin",
  ["Sec-Fetch-Mode"] = "cors",
  ["Sec-Fetch-Dest"] = "empty",
}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local token, open, score = line:match("^(%S+) (%S+) (%S+)$")
    if token then
      table.insert(links, {token, open, score})
    end
  end
  first = tonumber(args[2] or "0")
  headers["Origin"] = string.format("http://%s:%s", wrk.host, wrk.port)
end

function request()
  local link = links[(first + counter) % #links + 1]
  counter = counter + 1
  local body = "open=" .. link[2] .. "&score=" .. link[3] .. "&trigger=visible"
  return wrk.format("POST", "/s/" .. link[1] .. "/presence", headers, body)
end

function response(status, headers, body)
  if status == 200 and body:find('"recorded":true', 1, true) then
    recorded = recorded + 1
  end
end

function done(summary, latency, requests)
  local sent, answered = 0, 0
  for _, thread in ipairs(threads) do
    sent = sent + thread:get("counter")
    answered = answered + thread:get("recorded")
  end
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "errors": %d, "non2xx": %d, "sent": %d, "recorded": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status, sent, answered))
end
