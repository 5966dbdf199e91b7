/* app.h: what every handler can reach: the thread's store connection and the settings and
 * secrets shared by all threads. req->app points to a struct hd_app. */
#ifndef HD_API_APP_H
#define HD_API_APP_H

#include <stdatomic.h>

#include "auth/throttle.h"
#include "http/loop.h"
#include "notify/hub.h"
#include "store/writer.h"
#include "config.h"
#include "http/router.h"
#include "store/catalog.h"
#include "store/store.h"

/* Route auth kinds (struct hd_route.auth). */
enum hd_auth_kind {
    HD_AUTH_NONE,     /* public */
    HD_AUTH_API,      /* an API token with route.scope */
    HD_AUTH_END_USER, /* an end-user token (header or ?access_token=) */
};

struct hd_app;

/* Read-only after start, shared by every thread. */
struct hd_app_shared {
    const struct hd_config *cfg;
    struct hd_throttle *throttle;   /* failed authentications (SPEC §2) */
    struct hd_throttle *rate_limit; /* triggers per API key (SPEC §3); NULL: none */
    struct hd_writer *writer;       /* group commit of triggers */
    struct hd_relay *relay;         /* several nodes (PostgreSQL): delivers every node's events */
    unsigned char server_secret[HD_SECRET_LEN];
    char issuer[320];
    int64_t started_at;
    struct hd_app *apps; /* every thread's context, for /metrics */
    size_t napps;
    atomic_size_t *conns_open;
};

/* A trigger's trip from its hand-off to the writer to its answer (accept.c): waiting for the
 * writer, in its group commit, until the disk confirmed that commit, until its loop answered. */
enum hd_trigger_stage {
    HD_STAGE_QUEUE,
    HD_STAGE_COMMIT,
    HD_STAGE_SYNC,
    HD_STAGE_ANSWER,
    HD_STAGES
};

/* Counted by one thread, read by /metrics on any: no cache line is shared on the hot path. */
struct hd_app_counters {
    atomic_ullong requests, triggers;
    atomic_ullong staged;              /* triggers whose trip is summed in stage_us */
    atomic_ullong stage_us[HD_STAGES]; /* microseconds, per stage */
};

struct hd_app {
    struct hd_store *store;     /* this thread's connection */
    struct hd_catalog *catalog; /* keys, systems and templates in front of store (the guard
                                   of an API route syncs it) */
    struct hd_loop *loop;       /* this thread's event loop */
    struct hd_hub *hub;         /* this thread's connected end users */
    struct hd_app_shared *shared;
    struct hd_app_counters counters;
};

static inline void hd_app_count(atomic_ullong *counter)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

static inline void hd_app_add(atomic_ullong *counter, unsigned long long n)
{
    atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static inline struct hd_app *hd_app_of(const struct hd_req *req)
{
    return req->app;
}

/* The route table (routes.c) and the guard that enforces each row's auth and scope. */
extern const struct hd_router hd_api_router;

#endif
