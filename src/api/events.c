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

static const char **copy_ids(struct hd_arena *ar, const char *const *ids, size_t n)
{
    const char **out = hd_arena_alloc(ar, (n + 1) * sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = hd_arena_strdup(ar, ids[i]);
    return out;
}

static char *event_data(const char *kind, const struct hd_notification *n)
{
    struct hd_feed_item item = {.n = *n};
    json_t *j = strcmp(kind, "notification") != 0 ? json_pack("{s:s}", "id", n->id)
                                                  : hd_present_feed_item(&item, hd_time_now_ms());
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(j);
    return text;
}

struct hd_event *hd_events_build(const char *kind, int64_t seq, const struct hd_notification *n,
                                 const char *const *users, size_t n_users,
                                 const char *const *audiences, size_t n_audiences)
{
    struct hd_event *ev = hd_event_new();
    ev->seq = seq;
    memcpy(ev->system_id, n->system_id, sizeof(ev->system_id));
    ev->users = copy_ids(ev->arena, users, n_users);
    ev->audiences = copy_ids(ev->arena, audiences, n_audiences);
    ev->n_users = n_users;
    ev->n_audiences = n_audiences;
    ev->text = hd_events_format(ev->arena, kind, seq, n);
    ev->len = strlen(ev->text);
    return ev;
}

const char *hd_events_format(struct hd_arena *ar, const char *kind, int64_t seq,
                             const struct hd_notification *n)
{
    char *data = event_data(kind, n); /* compact JSON: one line, as SSE data needs */
    const char *text = hd_arena_printf(ar, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)seq,
                                       kind, data ? data : "{}");
    free(data);
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
};

/* Writer thread: the event row, then what the event needs to be routed (unless a relay
 * delivers every event: then only its end is scheduled, from its start). */
static int fire_run(struct hd_store *s, struct hd_write_job *w)
{
    struct fire *f = (struct fire *)w;
    int64_t seq = 0;
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
        hd_events_schedule(f->shared, f->id, n.end_at, false);
    hd_arena_destroy(ar);
    return err;
}

static void fire_done(struct hd_write_job *w, int err)
{
    struct fire *f = (struct fire *)w;
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

/* Schedules what is due within the horizon, from the store. */
static int schedule_pending(struct hd_app_shared *shared, struct hd_store *s)
{
    struct hd_due *due = hd_xcalloc(RESUME_MAX, sizeof(*due));
    size_t n = 0;
    int err = hd_store_schedule_pending(s, hd_time_now_ms() + HORIZON_MS, due, RESUME_MAX, &n);
    for (size_t i = 0; !err && i < n; i++)
        hd_events_schedule(shared, due[i].id, due[i].at, due[i].start);
    free(due);
    return err;
}

struct rescan {
    struct hd_write_job write;
    struct hd_app_shared *shared;
};

static int rescan_run(struct hd_store *s, struct hd_write_job *w)
{
    return schedule_pending(((struct rescan *)w)->shared, s);
}

static void rescan_done(struct hd_write_job *w, int err)
{
    struct rescan *r = (struct rescan *)w;
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

struct sweep {
    struct hd_write_job write;
    struct hd_app_shared *shared;
};

static int sweep_run(struct hd_store *s, struct hd_write_job *w)
{
    struct sweep *sw = (struct sweep *)w;
    struct hd_due *due = hd_xcalloc(SWEEP_MAX, sizeof(*due));
    size_t n = 0;
    int err = hd_store_schedule_pending(s, hd_time_now_ms() - SWEEP_GRACE_MS, due, SWEEP_MAX, &n);
    for (size_t i = 0; !err && i < n; i++)
        hd_events_schedule(sw->shared, due[i].id, due[i].at, due[i].start);
    free(due);
    return err;
}

static void sweep_done(struct hd_write_job *w, int err)
{
    struct sweep *sw = (struct sweep *)w;
    if (err == HD_E_STOPPING) {
        free(sw);
        return;
    }
    hd_writer_submit_at(sw->shared->writer, hd_time_now_ms() + SWEEP_MS, &sw->write);
}

static void start_sweep(struct hd_app_shared *shared)
{
    struct sweep *sw = hd_xcalloc(1, sizeof(*sw));
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
    struct rescan *r = hd_xcalloc(1, sizeof(*r));
    r->write.run = rescan_run;
    r->write.done = rescan_done;
    r->shared = shared;
    hd_writer_submit_at(shared->writer, hd_time_now_ms() + HORIZON_MS / 2, &r->write);
    return 0;
}
