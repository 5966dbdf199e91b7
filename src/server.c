/* server.c: starts herald. The main thread prepares the store (migrations, the server secret,
 * the first account), opens the listening sockets, starts one event-loop thread per core and
 * then only waits for SIGINT/SIGTERM; each worker thread owns its loop, its connections and its
 * store connection, so no lock is taken on the request path. */
#include "server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/app.h"
#include "api/events.h"
#include "api/relay.h"
#include "auth/keys.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"
#include "http/http.h"

#define TICK_MS      250
#define WORKERS_MAX  256
#define HEARTBEAT_MS 20000

struct worker {
    pthread_t thread;
    int listen_fd;
    struct hd_loop *loop;
    struct hd_http *http;
    struct hd_app *app; /* one of shared->apps */
    int64_t stop_deadline;
    int64_t next_heartbeat;
};

static atomic_bool stopping;
static atomic_size_t conns_open;

static bool worker_tick(void *arg)
{
    struct worker *w = arg;
    hd_http_tick(w->http);
    int64_t now = hd_time_mono_ms();
    if (now >= w->next_heartbeat) { /* SPEC §6: a comment at least every 25 s */
        hd_hub_heartbeat(w->app->hub);
        w->next_heartbeat = now + HEARTBEAT_MS;
    }
    if (!atomic_load(&stopping))
        return true;
    if (!w->stop_deadline) {
        w->stop_deadline = hd_time_mono_ms() + w->app->shared->cfg->shutdown_grace_ms;
        hd_http_shutdown(w->http);
    }
    if (hd_time_mono_ms() >= w->stop_deadline)
        hd_http_close_all(w->http);
    return !hd_http_done(w->http);
}

static void worker_after_turn(void *arg)
{
    struct worker *w = arg;
    hd_http_after_turn(w->http);
    hd_log_flush();
}

static void worker_wake(void *arg)
{
    struct worker *w = arg;
    if (atomic_load(&stopping))
        hd_http_shutdown(w->http);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    const struct hd_config *cfg = w->app->shared->cfg;
    struct hd_http_config hc = {
        .router = &hd_api_router,
        .request_timeout_ms = cfg->request_timeout_ms,
        .idle_timeout_ms = cfg->idle_timeout_ms,
        .write_timeout_ms = cfg->write_timeout_ms,
        .max_conns = (size_t)cfg->max_conns,
        .conns_open = &conns_open,
        .app = w->app,
    };
    w->http = hd_http_create(w->loop, w->listen_fd, &hc);
    if (!w->http) {
        hd_log(HD_LOG_ERROR, "cannot start an event loop");
        exit(1);
    }
    struct hd_loop_hooks hooks = {worker_tick, worker_after_turn, worker_wake, w};
    hd_loop_run(w->loop, TICK_MS, &hooks);
    hd_http_destroy(w->http);
    hd_log_flush();
    hd_log_thread_end();
    return NULL;
}

/* On first start there is no account: create one with an owner key and show its credentials
 * (the only time the secret is ever shown). */
static int first_start(struct hd_store *s, const char *base_url)
{
    struct hd_arena *ar = hd_arena_create();
    struct hd_account acc;
    int rc = hd_store_account_first(s, ar, &acc);
    hd_arena_destroy(ar);
    if (rc != HD_E_NOT_FOUND)
        return rc;
    bool claimed = false; /* of several nodes starting at once, one creates it */
    if ((rc = hd_store_first_start_claim(s, &claimed)) || !claimed)
        return rc;
    char account_id[HD_UUID_BUF];
    struct hd_new_key key;
    if ((rc = hd_keys_create_account(s, "default", account_id, &key)))
        return rc;
    printf("\nFirst start: created account %s with an owner API key (all scopes).\n"
           "  Client ID:     %s\n"
           "  Client secret: %s\n"
           "Save the secret now: it is stored hashed and never shown again.\n\n"
           "  Console:     %s/console\n"
           "  Workstation: %s/workstation\n"
           "  Token:       curl -u '%s:%s' -d grant_type=client_credentials %s/oauth/token\n\n",
           account_id, key.client_id, key.secret, base_url, base_url, key.client_id, key.secret,
           base_url);
    return 0;
}

static int split_listen(const char *listen, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(listen, ':');
    char *end;
    if (!colon || colon == listen)
        return HD_E_VALIDATION;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535 || (size_t)(colon - listen) >= hostlen)
        return HD_E_VALIDATION;
    snprintf(host, hostlen, "%.*s", (int)(colon - listen), listen);
    if (host[0] == '[') { /* [::1]:8080 */
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    *port = (int)p;
    return 0;
}

/* Opens one SO_REUSEPORT socket per worker, all on the port the first one got. */
static int open_listeners(const struct hd_config *cfg, struct worker *w, int n, int *port)
{
    char host[256], err[256];
    if (split_listen(cfg->listen, host, sizeof(host), port)) {
        hd_log(HD_LOG_ERROR, "--listen: expected HOST:PORT, got \"%s\"", cfg->listen);
        return HD_E_VALIDATION;
    }
    for (int i = 0; i < n; i++) {
        w[i].listen_fd = hd_http_listen(host, *port, port, err, sizeof(err));
        if (w[i].listen_fd < 0) {
            hd_log(HD_LOG_ERROR, "%s", err);
            return HD_E_INTERNAL;
        }
    }
    return 0;
}

static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int start_workers(struct worker *w, int n, struct hd_app_shared *shared,
                         const char *location, int *started)
{
    char err[256];
    for (int i = 0; i < n; i++) {
        w[i].app = &shared->apps[i];
        w[i].app->shared = shared;
        w[i].loop = hd_loop_create();
        w[i].app->loop = w[i].loop;
        w[i].app->hub = hd_hub_create();
        w[i].app->catalog = hd_catalog_create();
        if (!w[i].loop || hd_store_open(location, &w[i].app->store, err, sizeof(err))) {
            hd_log(HD_LOG_ERROR, "worker %d: %s", i, w[i].loop ? err : "no event loop");
            return HD_E_INTERNAL;
        }
        if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0)
            return HD_E_INTERNAL;
        char name[16]; /* shown by top -H and perf */
        snprintf(name, sizeof(name), "loop-%d", i);
        pthread_setname_np(w[i].thread, name);
        *started = i + 1;
    }
    return 0;
}

static int start_writer(const struct hd_config *cfg, struct hd_app_shared *shared)
{
    char err[256];
    shared->writer = hd_writer_start(hd_config_store_location(cfg), err, sizeof(err));
    if (shared->writer)
        return 0;
    hd_log(HD_LOG_ERROR, "cannot start the store writer: %s", err);
    return HD_E_STORAGE;
}

/* Several nodes on one database: this node's clients hear every node's events through a relay,
 * opened before the loops start (so no event is missed) and run once they exist. */
static int open_relay(const struct hd_config *cfg, struct hd_app_shared *shared)
{
    if (!hd_store_is_postgres_url(hd_config_store_location(cfg)))
        return 0;
    char err[256];
    shared->relay = hd_relay_open(shared, hd_config_store_location(cfg), err, sizeof(err));
    if (shared->relay)
        return 0;
    hd_log(HD_LOG_ERROR, "cannot start the event relay: %s", err);
    return HD_E_STORAGE;
}

/* Starts and ends that were due while the server was down, and those still to come. */
static int resume_schedule(const struct hd_config *cfg, struct hd_app_shared *shared)
{
    char err[256];
    struct hd_store *s;
    if (hd_store_open(hd_config_store_location(cfg), &s, err, sizeof(err))) {
        hd_log(HD_LOG_ERROR, "cannot open the store: %s", err);
        return HD_E_STORAGE;
    }
    int rc = hd_events_resume(shared, s);
    hd_store_close(s);
    return rc;
}

static void wait_for_signal(const sigset_t *set, struct worker *w, int n)
{
    int sig;
    sigwait(set, &sig);
    hd_log(HD_LOG_INFO, "%s received: draining connections", sig == SIGINT ? "SIGINT" : "SIGTERM");
    atomic_store(&stopping, true);
    for (int i = 0; i < n; i++)
        hd_loop_wake(w[i].loop);
}

static int prepare(const struct hd_config *cfg, struct hd_app_shared *shared, int port)
{
    char err[256], base[300];
    struct hd_store *s;
    if (hd_store_open(hd_config_store_location(cfg), &s, err, sizeof(err))) {
        hd_log(HD_LOG_ERROR, "cannot open the store: %s", err);
        return HD_E_STORAGE;
    }
    char host[256];
    int ignored;
    (void)split_listen(cfg->listen, host, sizeof(host), &ignored);
    if (cfg->public_url[0])
        snprintf(base, sizeof(base), "%s", cfg->public_url);
    else
        snprintf(base, sizeof(base), "http://%s%s%s:%d", strchr(host, ':') ? "[" : "", host,
                 strchr(host, ':') ? "]" : "", port);
    snprintf(shared->issuer, sizeof(shared->issuer), "%s", base);
    int rc = hd_store_server_secret(s, shared->server_secret);
    if (!rc)
        rc = first_start(s, base);
    hd_store_close(s);
    if (rc)
        hd_log(HD_LOG_ERROR, "cannot prepare the store: %s", hd_err_message(rc));
    return rc;
}

int hd_server_run(const struct hd_config *cfg)
{
    int n = cfg->workers > 0 ? cfg->workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
    n = n < 1 ? 1 : n > WORKERS_MAX ? WORKERS_MAX : n;
    struct worker *w = hd_xcalloc((size_t)n, sizeof(*w));
    struct hd_app_shared shared = {
        .cfg = cfg, .started_at = hd_time_now_ms(), .conns_open = &conns_open, .napps = (size_t)n};
    shared.apps = hd_xcalloc((size_t)n, sizeof(*shared.apps));
    shared.throttle = hd_throttle_create(10, 60 * 1000);
    if (cfg->rate_limit)
        shared.rate_limit = hd_throttle_create((unsigned)cfg->rate_limit, 60 * 1000);
    sigset_t set;
    block_signals(&set);
    int port = 0, started = 0, rc = open_listeners(cfg, w, n, &port);
    if (!rc)
        rc = prepare(cfg, &shared, port);
    if (!rc)
        rc = start_writer(cfg, &shared);
    if (!rc)
        rc = open_relay(cfg, &shared);
    if (!rc)
        rc = start_workers(w, n, &shared, hd_config_store_location(cfg), &started);
    if (!rc && shared.relay)
        rc = hd_relay_run(shared.relay);
    if (!rc)
        rc = resume_schedule(cfg, &shared);
    if (!rc) {
        printf("herald %s listening on %s (%d threads)\n", HD_VERSION, shared.issuer, n);
        fflush(stdout);
        wait_for_signal(&set, w, n);
    } else {
        atomic_store(&stopping, true);
        for (int i = 0; i < started; i++)
            hd_loop_wake(w[i].loop);
    }
    for (int i = 0; i < started; i++)
        pthread_join(w[i].thread, NULL);
    hd_writer_stop(shared.writer); /* after the workers: every job has been answered */
    hd_relay_stop(shared.relay);   /* before the loops are drained of what it handed them */
    for (int i = 0; i < n; i++) {
        if (w[i].app)
            hd_store_close(w[i].app->store);
        if (w[i].loop)
            hd_loop_drain(w[i].loop); /* events published after the loop ended */
        hd_loop_destroy(w[i].loop);
        if (w[i].app) {
            hd_hub_destroy(w[i].app->hub);
            hd_catalog_destroy(w[i].app->catalog);
        }
        if (i >= started && w[i].listen_fd > 0)
            close(w[i].listen_fd);
    }
    hd_throttle_destroy(shared.throttle);
    hd_throttle_destroy(shared.rate_limit);
    free(shared.apps);
    free(w);
    hd_log(HD_LOG_INFO, "stopped");
    return rc ? 1 : 0;
}
