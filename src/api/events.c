/* events.c: building, scheduling and publishing stream events. */
#include "api/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/present.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"
#include "store/writer.h"

#define RESUME_MAX 100000 /* pending starts and ends loaded at once */
/* Only what is due within the horizon waits in memory; a rescan every half horizon brings in
 * the next, so memory does not grow with notifications that end in a month. */
#define HORIZON_MS (3600 * 1000LL)

static char *event_data(const char *kind, const struct hd_notification *n)
{
    struct hd_feed_item item = {.n = *n};
    json_t *j = strcmp(kind, "notification") != 0 ? json_pack("{s:s}", "id", n->id)
                                                  : hd_present_feed_item(&item, hd_time_now_ms());
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(j);
    return text;
}

/* WHATWG SSE: the event id, its type and one data line (compact JSON has no newline). */
#define SSE_EVENT "id: %lld\nevent: %s\ndata: %s\n\n"

/* What an event's text is made of, copied into the event's arena. */
struct event_data {
    const char *kind;
    struct hd_notification n;
};

/* The SSE text of one event about n, malloc'd. */
static struct hd_event_text *event_text(const char *kind, int64_t seq,
                                        const struct hd_notification *n)
{
    char *data = event_data(kind, n); /* compact JSON: one line, as SSE data needs */
    const char *body = data ? data : "{}";
    int len = snprintf(NULL, 0, SSE_EVENT, (long long)seq, kind, body);
    struct hd_event_text *t = hd_xmalloc(sizeof(*t) + (size_t)len + 1);
    t->len = (size_t)len;
    snprintf(t->bytes, (size_t)len + 1, SSE_EVENT, (long long)seq, kind, body);
    free(data);
    return t;
}

static struct hd_event_text *format_event(const struct hd_event *ev)
{
    const struct event_data *d = ev->data;
    return event_text(d->kind, ev->seq, &d->n);
}

struct hd_event *hd_events_build(const char *kind, int64_t seq, const struct hd_notification *n,
                                 const char *const *users, size_t n_users,
                                 const char *const *audiences, size_t n_audiences)
{
    struct hd_event *ev = hd_event_new();
    ev->seq = seq;
    memcpy(ev->system_id, n->system_id, sizeof(ev->system_id));
    ev->users = hd_arena_strdup_list(ev->arena, users, n_users);
    ev->audiences = hd_arena_strdup_list(ev->arena, audiences, n_audiences);
    ev->n_users = n_users;
    ev->n_audiences = n_audiences;
    struct event_data *d = hd_arena_alloc(ev->arena, sizeof(*d));
    d->kind = hd_arena_strdup(ev->arena, kind);
    hd_notification_copy(ev->arena, n, &d->n);
    ev->data = d;
    ev->format = format_event;
    return ev;
}

const char *hd_events_format(struct hd_arena *ar, const char *kind, int64_t seq,
                             const struct hd_notification *n)
{
    struct hd_event_text *t = event_text(kind, seq, n);
    const char *text = hd_arena_strndup(ar, t->bytes, t->len);
    free(t);
    return text;
}

/* ---- publishing: one task per loop ---- */

struct delivery {
    struct hd_loop_task task;
    struct hd_app *app;
    struct hd_event *ev;
};

static void deliver_on_loop(struct hd_loop_task *t)
{
    struct delivery *d = (struct delivery *)t;
    hd_hub_deliver(d->app->hub, d->ev);
    hd_event_unref(d->ev);
    free(d);
}

void hd_events_publish(struct hd_app_shared *shared, struct hd_event *ev)
{
    for (size_t i = 0; i < shared->napps; i++) {
        struct delivery *d = hd_xmalloc(sizeof(*d));
        d->task.run = deliver_on_loop;
        d->app = &shared->apps[i];
        d->ev = ev;
        hd_event_ref(ev);
        hd_loop_post(d->app->loop, &d->task);
    }
}

/* ---- scheduled starts and ends ---- */

struct fire {
    struct hd_write_job write;
    struct hd_app_shared *shared;
    char id[HD_UUID_BUF];
    bool start;
    struct hd_event *ev; /* what to publish once committed */
    int64_t end_at;      /* a start's end, to schedule once committed; else 0 */
};

/* Writer thread: the event row, then what the event needs to be routed (unless a relay
 * delivers every event: then only its end is scheduled, from its start). It may run twice
 * (store/writer.h): each run starts afresh; publishing and scheduling wait for fire_done. */
static int fire_run(struct hd_store *s, struct hd_write_job *w)
{
    struct fire *f = (struct fire *)w;
    int64_t seq = 0;
    hd_event_unref(f->ev); /* from a run of a batch that was rolled back */
    f->ev = NULL;
    f->end_at = 0;
    int err = hd_store_event_record(s, f->id, f->start, hd_time_now_ms(), &seq);
    if (err || !seq)
        return err == HD_E_NOT_FOUND ? 0 : err;
    struct hd_arena *ar = hd_arena_create();
    struct hd_notification n;
    const char **users, **audiences;
    size_t nu, na;
    err = hd_store_notification_any(s, f->id, ar, &n);
    if (!err && !f->shared->relay) /* else the relay builds and delivers it */
        err = hd_store_notification_targets(s, f->id, ar, &users, &nu, &audiences, &na);
    if (!err && !f->shared->relay)
        f->ev = hd_events_build(f->start ? "notification" : "retract", seq, &n, users, nu,
                                audiences, na);
    if (!err && f->start)
        f->end_at = n.end_at;
    hd_arena_destroy(ar);
    return err;
}

static void fire_done(struct hd_write_job *w, int err)
{
    struct fire *f = (struct fire *)w;
    if (f->end_at && !err)
        hd_events_schedule(f->shared, f->id, f->end_at, false);
    if (f->ev && !err)
        hd_events_publish(f->shared, f->ev);
    else if (err && err != HD_E_STOPPING)
        hd_log(HD_LOG_ERROR, "scheduler: recording an event of %s failed: %s", f->id,
               hd_err_message(err));
    hd_event_unref(f->ev);
    free(f);
}

void hd_events_schedule(struct hd_app_shared *shared, const char *id, int64_t at, bool start)
{
    if (at > hd_time_now_ms() + HORIZON_MS)
        return; /* a later rescan schedules it */
    struct fire *f = hd_xcalloc(1, sizeof(*f));
    f->write.run = fire_run;
    f->write.done = fire_done;
    f->shared = shared;
    f->start = start;
    snprintf(f->id, sizeof(f->id), "%s", id);
    hd_writer_submit_at(shared->writer, at, &f->write);
}

/* What a scan of the store found due, kept from its run to its done(). */
struct scan {
    struct hd_write_job write;
    struct hd_app_shared *shared;
    struct hd_due *due;
    size_t n;
};

/* Loads into sc what is due before `before` (at most max); a second run replaces the first. */
static int scan_pending(struct hd_store *s, struct scan *sc, int64_t before, size_t max)
{
    if (!sc->due)
        sc->due = hd_xcalloc(max, sizeof(*sc->due));
    sc->n = 0;
    return hd_store_schedule_pending(s, before, sc->due, max, &sc->n);
}

/* Once committed: schedules what the scan found, and forgets it. */
static void schedule_scanned(struct scan *sc, int err)
{
    for (size_t i = 0; !err && i < sc->n; i++)
        hd_events_schedule(sc->shared, sc->due[i].id, sc->due[i].at, sc->due[i].start);
    free(sc->due);
    sc->due = NULL;
    sc->n = 0;
}

/* Schedules what is due within the horizon, from the store. */
static int schedule_pending(struct hd_app_shared *shared, struct hd_store *s)
{
    struct scan sc = {.shared = shared};
    int err = scan_pending(s, &sc, hd_time_now_ms() + HORIZON_MS, RESUME_MAX);
    schedule_scanned(&sc, err);
    return err;
}

static int rescan_run(struct hd_store *s, struct hd_write_job *w)
{
    return scan_pending(s, (struct scan *)w, hd_time_now_ms() + HORIZON_MS, RESUME_MAX);
}

static void rescan_done(struct hd_write_job *w, int err)
{
    struct scan *r = (struct scan *)w;
    schedule_scanned(r, err);
    if (err == HD_E_STOPPING) {
        free(r);
        return;
    }
    hd_writer_submit_at(r->shared->writer, hd_time_now_ms() + HORIZON_MS / 2, &r->write);
}

/* ---- several nodes: what another node should have fired ---- */

/* A node fires what it accepted at its time; the others sweep for what is overdue by more than
 * SWEEP_GRACE_MS (its node died, or was down at that time) and fire it. Recording is claimed in
 * the database (hd_store_event_record), so whichever node comes first records it, once. */
#define SWEEP_MS       1000
#define SWEEP_GRACE_MS 1000
#define SWEEP_MAX      1000

static int sweep_run(struct hd_store *s, struct hd_write_job *w)
{
    return scan_pending(s, (struct scan *)w, hd_time_now_ms() - SWEEP_GRACE_MS, SWEEP_MAX);
}

static void sweep_done(struct hd_write_job *w, int err)
{
    struct scan *sw = (struct scan *)w;
    schedule_scanned(sw, err);
    if (err == HD_E_STOPPING) {
        free(sw);
        return;
    }
    hd_writer_submit_at(sw->shared->writer, hd_time_now_ms() + SWEEP_MS, &sw->write);
}

static void start_sweep(struct hd_app_shared *shared)
{
    struct scan *sw = hd_xcalloc(1, sizeof(*sw));
    sw->write.run = sweep_run;
    sw->write.done = sweep_done;
    sw->shared = shared;
    hd_writer_submit_at(shared->writer, hd_time_now_ms() + SWEEP_MS, &sw->write);
}

int hd_events_resume(struct hd_app_shared *shared, struct hd_store *s)
{
    int err = schedule_pending(shared, s);
    if (err)
        return err;
    if (hd_store_is_shared(s))
        start_sweep(shared);
    struct scan *r = hd_xcalloc(1, sizeof(*r));
    r->write.run = rescan_run;
    r->write.done = rescan_done;
    r->shared = shared;
    hd_writer_submit_at(shared->writer, hd_time_now_ms() + HORIZON_MS / 2, &r->write);
    return 0;
}
