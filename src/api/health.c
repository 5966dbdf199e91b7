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

/* Where triggers spent their time, as one Prometheus summary (sums and counts, no quantiles). */
static void print_stages(struct hd_buf *b, const struct hd_app_shared *s)
{
    static const char *const names[HD_STAGES] = {"queue", "commit", "sync", "answer"};
    unsigned long long staged = 0, us[HD_STAGES] = {0};
    for (size_t i = 0; i < s->napps; i++) {
        staged += atomic_load_explicit(&s->apps[i].counters.staged, memory_order_relaxed);
        for (int k = 0; k < HD_STAGES; k++)
            us[k] += atomic_load_explicit(&s->apps[i].counters.stage_us[k], memory_order_relaxed);
    }
    hd_buf_printf(b, "# HELP herald_trigger_stage_seconds Time triggers spent from their hand-off"
                     " to the writer to their answer: queue (waiting for the writer), commit (their"
                     " group commit), sync (until the disk confirmed it), answer (until their event"
                     " loop took the answer up).\n"
                     "# TYPE herald_trigger_stage_seconds summary\n");
    for (int k = 0; k < HD_STAGES; k++)
        hd_buf_printf(b,
                      "herald_trigger_stage_seconds_sum{stage=\"%s\"} %llu.%06llu\n"
                      "herald_trigger_stage_seconds_count{stage=\"%s\"} %llu\n",
                      names[k], us[k] / 1000000, us[k] % 1000000, names[k], staged);
}

/* The writer's group commits and disk syncs. */
static void print_writer(struct hd_buf *b, struct hd_writer *w)
{
    struct hd_writer_stats st = {0};
    if (w)
        hd_writer_stats(w, &st);
    hd_buf_printf(b,
                  "# HELP herald_store_group_commits_total Group commits of triggers.\n"
                  "# TYPE herald_store_group_commits_total counter\n"
                  "herald_store_group_commits_total %llu\n"
                  "# HELP herald_store_group_commit_writes_total Writes those commits held.\n"
                  "# TYPE herald_store_group_commit_writes_total counter\n"
                  "herald_store_group_commit_writes_total %llu\n"
                  "# HELP herald_store_log_syncs_total Disk syncs of SQLite's write-ahead log,"
                  " each making every commit before it durable.\n"
                  "# TYPE herald_store_log_syncs_total counter\n"
                  "herald_store_log_syncs_total %llu\n"
                  "# HELP herald_store_log_sync_seconds_total Time spent in those syncs.\n"
                  "# TYPE herald_store_log_sync_seconds_total counter\n"
                  "herald_store_log_sync_seconds_total %llu.%06llu\n",
                  (unsigned long long)st.commits, (unsigned long long)st.writes,
                  (unsigned long long)st.syncs, (unsigned long long)(st.sync_us / 1000000),
                  (unsigned long long)(st.sync_us % 1000000));
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
    print_stages(&b, s);
    print_writer(&b, s->writer);
    hd_res_bytes(res, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
    hd_buf_free(&b);
    return 0;
}
