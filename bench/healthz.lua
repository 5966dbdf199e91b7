-- healthz.lua: wrk script that reports latency percentiles and non-2xx answers.
function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, non-2xx %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status))
end
