/* health.c: GET /healthz (liveness, cheap enough to benchmark the HTTP path) and GET /metrics
 * (Prometheus text exposition format 0.0.4). */
#include <stdio.h>

#include "api/api.h"
#include "api/app.h"
#include "core/buf.h"
#include "core/time.h"

int hd_api_healthz(struct hd_req *req, struct hd_res *res)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    hd_res_bytes(res, 200, "application/json", ok, sizeof(ok) - 1);
    return 0;
}

int hd_api_metrics(struct hd_req *req, struct hd_res *res)
{
    struct hd_app_shared *s = hd_app_of(req)->shared;
    unsigned long long requests = 0, triggers = 0;
    for (size_t i = 0; i < s->napps; i++) {
        requests += atomic_load_explicit(&s->apps[i].counters.requests, memory_order_relaxed);
        triggers += atomic_load_explicit(&s->apps[i].counters.triggers, memory_order_relaxed);
    }
    struct hd_buf b = {0};
    hd_buf_printf(&b,
                  "# HELP herald_api_requests_total Requests that matched a route.\n"
                  "# TYPE herald_api_requests_total counter\n"
                  "herald_api_requests_total %llu\n"
                  "# HELP herald_triggers_total Notifications accepted.\n"
                  "# TYPE herald_triggers_total counter\n"
                  "herald_triggers_total %llu\n"
                  "# HELP herald_uptime_seconds Seconds since the server started.\n"
                  "# TYPE herald_uptime_seconds gauge\n"
                  "herald_uptime_seconds %lld\n"
                  "# HELP herald_connections_open Client connections open now.\n"
                  "# TYPE herald_connections_open gauge\n"
                  "herald_connections_open %zu\n",
                  requests, triggers, (long long)((hd_time_now_ms() - s->started_at) / 1000),
                  atomic_load(s->conns_open));
    hd_res_bytes(res, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
    hd_buf_free(&b);
    return 0;
}
