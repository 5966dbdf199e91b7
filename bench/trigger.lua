-- trigger.lua: wrk script for POST /v1/notifications, one recipient per trigger.
-- HERALD_TOKEN: a bearer token with notifications:write; HERALD_TEMPLATE: a template id.
-- The 1,000 requests (one per recipient) are built once, so that the loader, which shares the
-- machine with the server, spends its time sending rather than formatting.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("HERALD_TOKEN")
local template = os.getenv("HERALD_TEMPLATE")
local requests = {}
local n = 0

function init(args)
  for i = 0, 999 do
    local body = '{"notification":{"templateId":"' .. template ..
      '","endUsersIds":["user-' .. i .. '@example.com"]}}'
    requests[i] = wrk.format(nil, nil, nil, body)
  end
end

function request()
  n = n + 1
  return requests[n % 1000]
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, non-2xx %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status))
end
