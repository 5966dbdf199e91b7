-- token.lua: wrk script for the OAuth2 token endpoint (client credentials, HTTP Basic).
-- HERALD_BASIC holds base64(clientId:clientSecret).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("HERALD_BASIC")
wrk.body = "grant_type=client_credentials"

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, non-2xx %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status))
end
