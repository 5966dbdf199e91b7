-- trigger.lua: wrk script for POST /v1/notifications, one recipient per trigger.
-- HERALD_TOKEN: a bearer token with notifications:write; HERALD_TEMPLATE: a template id.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("HERALD_TOKEN")
local template = os.getenv("HERALD_TEMPLATE")
local n = 0

function request()
  n = n + 1
  local body = '{"notification":{"templateId":"' .. template ..
    '","endUsersIds":["user-' .. (n % 1000) .. '@example.com"]}}'
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, non-2xx %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status))
end
