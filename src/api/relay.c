/* relay.c: a thread with its own store connection, listening for other nodes' commits of
 * events (hd_store_events_wait: LISTEN/NOTIFY on PostgreSQL). On each notification, after a
 * reconnect, and once a second in any case, it reads the events after the last one it relayed
 * (hd_store_events_page) and hands them to every event loop, in seq order. The events of this
 * node take the same path, so all clients see one order; a client's own Last-Event-ID replay and
 * the hub's seq check make the hand-over from replay to live exact. */
#include "api/relay.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/events.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#define WAIT_MS  250  /* how long one wait lasts: bounds the time to stop */
#define POLL_MS  1000 /* reads the table at least this often, notified or not */
#define PAGE_MAX 256  /* events read at once */

struct hd_relay {
    pthread_t thread;
    bool running;
    atomic_bool stopping;
    struct hd_app_shared *shared;
    struct hd_store *store;
    int64_t last; /* seq of the last event handed on */
};

/* Builds and hands on one event; false when the store fails (it is retried next time). */
static bool relay_one(struct hd_relay *r, const struct hd_stream_event *e, struct hd_arena *ar)
{
    const char **users, **audiences;
    size_t nu, na;
    int err = hd_store_notification_targets(r->store, e->n.id, ar, &users, &nu, &audiences, &na);
    if (err) {
        hd_log(HD_LOG_WARN, "relay: the targets of %s: %s", e->n.id, hd_err_message(err));
        return false;
    }
    struct hd_event *ev = hd_events_build(e->kind, e->seq, &e->n, users, nu, audiences, na);
    hd_events_publish(r->shared, ev);
    hd_event_unref(ev);
    r->last = e->seq;
    return true;
}

/* Hands on every event after r->last. */
static void catch_up(struct hd_relay *r)
{
    struct hd_stream_event *page = hd_xcalloc(PAGE_MAX, sizeof(*page));
    size_t n = PAGE_MAX;
    while (n == PAGE_MAX && !atomic_load(&r->stopping)) {
        struct hd_arena *ar = hd_arena_create();
        int err = hd_store_events_page(r->store, r->last, ar, page, PAGE_MAX, &n);
        for (size_t i = 0; !err && i < n; i++)
            if (!relay_one(r, &page[i], ar))
                err = HD_E_STORAGE;
        hd_arena_destroy(ar);
        if (err)
            break;
    }
    free(page);
}

static void *relay_main(void *arg)
{
    struct hd_relay *r = arg;
    int64_t next_poll = 0;
    while (!atomic_load(&r->stopping)) {
        bool notified = false;
        int err = hd_store_events_wait(r->store, WAIT_MS, &notified);
        int64_t now = hd_time_mono_ms();
        if (!err && (notified || now >= next_poll)) {
            catch_up(r);
            next_poll = now + POLL_MS;
        }
        hd_log_flush();
    }
    hd_log_thread_end();
    return NULL;
}

struct hd_relay *hd_relay_open(struct hd_app_shared *shared, const char *location, char *errbuf,
                               size_t errlen)
{
    struct hd_relay *r = hd_xcalloc(1, sizeof(*r));
    r->shared = shared;
    if (hd_store_open(location, &r->store, errbuf, errlen)) {
        free(r);
        return NULL;
    }
    /* clients that connect from now on replay what came before from the store */
    int err = hd_store_events_last(r->store, &r->last);
    if (err) {
        snprintf(errbuf, errlen, "cannot read the latest event: %s", hd_err_message(err));
        hd_store_close(r->store);
        free(r);
        return NULL;
    }
    return r;
}

int hd_relay_run(struct hd_relay *r)
{
    if (pthread_create(&r->thread, NULL, relay_main, r) != 0)
        return HD_E_INTERNAL;
    pthread_setname_np(r->thread, "relay");
    r->running = true;
    return 0;
}

void hd_relay_stop(struct hd_relay *r)
{
    if (!r)
        return;
    atomic_store(&r->stopping, true);
    if (r->running)
        pthread_join(r->thread, NULL);
    hd_store_close(r->store);
    free(r);
}
