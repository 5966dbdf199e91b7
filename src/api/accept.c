/* accept.c: one trigger's trip through the group commit.
 *
 * The handler copies what it prepared into a job that owns its memory (an arena), suspends the
 * request and submits the job. On the writer thread the job records the Idempotency-Key (if any)
 * and the notification as one unit; a concurrent retry that recorded the same key first makes
 * this job undo itself. Once the commit is on disk the job is posted back to the loop that owns
 * the connection, which answers: 202, or the first answer to the key, or an error. */
#include "api/accept.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/events.h"
#include "auth/secret.h"
#include "core/jsonw.h"
#include "core/mem.h"
#include "core/time.h"
#include "http/http.h"
#include "store/writer.h"

struct job {
    struct hd_write_job write;
    struct hd_loop_task task;
    struct hd_app *app;
    struct hd_conn *conn;
    struct hd_arena *arena; /* owns every string below */
    struct hd_notification n;
    const char **users, **audiences;
    size_t n_users, n_audiences;
    const char *account_id, *idem_key; /* idem_key NULL without an Idempotency-Key */
    struct hd_idempotent record;       /* the 202 as it will be replayed */
    struct hd_throttle_state limit;    /* for the answer's RateLimit headers */
    int64_t seq;                       /* its start event, when it starts at once */
    int err;                           /* the writer's verdict */
};

static const char *idempotency_key(const struct hd_req *req, struct hd_res *res, int *err)
{
    struct hd_slice k = hd_slice_trim(hd_req_header(req, "idempotency-key"));
    *err = 0;
    if (!k.ptr)
        return NULL;
    bool ok = k.len >= 1 && k.len <= HD_IDEMPOTENCY_KEY_MAX;
    for (size_t i = 0; ok && i < k.len; i++)
        ok = k.ptr[i] > 0x20 && k.ptr[i] < 0x7f;
    if (ok)
        return hd_arena_slice(req->arena, k);
    if (res)
        hd_res_error(res, HD_E_BAD_REQUEST,
                     "Idempotency-Key must be 1 to 255 visible ASCII characters, e.g. a UUID.",
                     NULL);
    *err = HD_E_BAD_REQUEST;
    return NULL;
}

void hd_accept_limit_headers(struct hd_res *res, const struct hd_throttle_state *limit)
{
    if (!limit->limit)
        return;
    hd_res_header_uint(res, "RateLimit-Limit", limit->limit);
    hd_res_header_uint(res, "RateLimit-Remaining", limit->remaining);
    hd_res_header_uint(res, "RateLimit-Reset", limit->reset_s > 0 ? (uint64_t)limit->reset_s : 0);
}

/* Replays record, or refuses a key reused with another body. */
static void answer_from_record(struct hd_res *res, const struct hd_idempotent *r,
                               const unsigned char hash[HD_SHA256_LEN])
{
    if (memcmp(r->body_hash, hash, HD_SHA256_LEN) != 0) {
        hd_res_error(res, HD_E_CONFLICT,
                     "This Idempotency-Key was already used with a different body; use a new key "
                     "for a new notification.",
                     NULL);
        return;
    }
    json_t *j = json_loads(r->response, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "id"));
    if (id)
        hd_res_headerf(res, "Location", "/v1/notifications/%s", id);
    json_decref(j);
    hd_res_header(res, "Idempotent-Replayed", "true");
    hd_res_bytes(res, r->status, "application/json", r->response, strlen(r->response));
}

int hd_accept_replay(struct hd_req *req, struct hd_res *res)
{
    int err;
    const char *key = idempotency_key(req, res, &err);
    if (!key)
        return err;
    struct hd_idempotent r;
    int64_t since = hd_time_now_ms() - HD_IDEMPOTENCY_TTL_MS;
    err = hd_store_idempotency_get(hd_app_of(req)->store, req->who.account_id, key, since,
                                   req->arena, &r);
    if (err == HD_E_NOT_FOUND)
        return 0;
    if (err)
        return err;
    unsigned char hash[HD_SHA256_LEN];
    hd_sha256(req->body.ptr, req->body.len, hash);
    answer_from_record(res, &r, hash);
    return 1;
}

/* ---- the job ---- */

/* The 202's body, written directly (no printf: this is every trigger's answer): every value is
 * an id, a date, a count or a type herald checked, none needs escaping. */
static char *accepted_body(struct hd_arena *ar, const struct hd_notification *n, size_t n_users,
                           size_t n_audiences, size_t unknown)
{
    char start[HD_TIME_BUF], end[HD_TIME_BUF];
    char users[HD_U64_TEXT], audiences[HD_U64_TEXT], unknowns[HD_U64_TEXT];
    hd_time_format(n->start_at, start);
    hd_time_format(n->end_at, end);
    const char *parts[] = {"{\"id\":\"",
                           n->id,
                           "\",\"status\":\"",
                           n->start_at > n->created_at ? "scheduled" : "active",
                           "\",\"systemId\":\"",
                           n->system_id,
                           "\",\"templateId\":\"",
                           n->template_id,
                           "\",\"notificationType\":\"",
                           n->type,
                           "\",\"startAt\":\"",
                           start,
                           "\",\"endAt\":\"",
                           end,
                           "\",\"recipients\":{\"endUsers\":",
                           hd_u64_text(users, n_users),
                           ",\"audiences\":",
                           hd_u64_text(audiences, n_audiences),
                           ",\"unknownEndUsers\":",
                           hd_u64_text(unknowns, unknown),
                           "}}"};
    return hd_arena_concat(ar, parts, sizeof(parts) / sizeof(parts[0]));
}

/* Writer thread: the notification, then its answer, which counts the unknown end users the
 * send found, then the Idempotency-Key with that answer. A concurrent retry that recorded the
 * same key first makes the key's insert fail, and the job is undone whole. It may run twice
 * (store/writer.h): it sets j->seq and the answer afresh and leaves the rest to job_done. */
static int job_run(struct hd_store *s, struct hd_write_job *w)
{
    struct job *j = (struct job *)w;
    size_t unknown = 0;
    /* rule audiences: their members as of now (explicit ones: one lookup each) */
    int err = hd_store_audiences_refresh(s, j->n.system_id, j->audiences, j->n_audiences,
                                         j->n.created_at);
    if (!err)
        err = hd_store_notification_send(s, &j->n, j->users, j->n_users, j->audiences,
                                         j->n_audiences, hd_time_now_ms(), &j->seq, &unknown);
    if (!err)
        j->record.response = accepted_body(j->arena, &j->n, j->n_users, j->n_audiences, unknown);
    if (!err && j->idem_key)
        err = hd_store_idempotency_put(s, j->account_id, j->idem_key, &j->record,
                                       j->record.created_at - HD_IDEMPOTENCY_TTL_MS);
    return err;
}

static void job_free(struct job *j)
{
    hd_arena_destroy(j->arena);
    free(j);
}

/* Loop thread: the answer, built after the commit. */
static void job_answer(struct hd_res *res, void *arg)
{
    struct job *j = arg;
    hd_accept_limit_headers(res, &j->limit);
    if (!j->err) {
        hd_app_count(&j->app->counters.triggers);
        static const char path[] = "/v1/notifications/";
        char location[sizeof(path) + HD_UUID_BUF];
        memcpy(location, path, sizeof(path) - 1);
        memcpy(location + sizeof(path) - 1, j->n.id, sizeof(j->n.id));
        hd_res_header(res, "Location", location);
        hd_res_bytes(res, 202, "application/json", j->record.response, strlen(j->record.response));
        return;
    }
    struct hd_idempotent first;
    int64_t since = j->record.created_at - HD_IDEMPOTENCY_TTL_MS;
    if (j->err == HD_E_CONFLICT && j->idem_key &&
        hd_store_idempotency_get(j->app->store, j->account_id, j->idem_key, since, j->arena,
                                 &first) == 0) {
        answer_from_record(res, &first, j->record.body_hash);
        return;
    }
    hd_res_error(res, j->err == HD_E_NOT_FOUND ? HD_E_CONFLICT : j->err,
                 j->err == HD_E_NOT_FOUND
                     ? "The system, template or an audience was deleted meanwhile; retry."
                     : NULL,
                 NULL);
}

/* Adds the trip of a trigger that the writer ran to its loop's counters (/metrics). */
static void count_stages(struct hd_app_counters *c, const struct hd_write_job *w)
{
    int64_t at[HD_STAGES + 1] = {w->queued_us, w->started_us, w->committed_us, w->durable_us,
                                 hd_time_mono_us()};
    for (int i = 0; i < HD_STAGES; i++)
        hd_app_add(&c->stage_us[i],
                   at[i + 1] > at[i] ? (unsigned long long)(at[i + 1] - at[i]) : 0);
    hd_app_count(&c->staged);
}

static void job_on_loop(struct hd_loop_task *t)
{
    struct job *j = (struct job *)((char *)t - offsetof(struct job, task));
    count_stages(&j->app->counters, &j->write);
    hd_http_resume(j->conn, job_answer, j);
    job_free(j);
}

/* Once the batch is durable (on the writer or its sync thread): schedule what is still to come,
 * and hand the verdict to the connection's own loop. */
static void job_done(struct hd_write_job *w, int err)
{
    struct job *j = (struct job *)w;
    struct hd_app_shared *shared = j->app->shared;
    struct hd_event *ev = NULL;
    j->err = err;
    if (!err) /* what is still to come: its start, or its end */
        hd_events_schedule(shared, j->n.id, j->seq ? j->n.end_at : j->n.start_at, !j->seq);
    if (!err && j->seq && !shared->relay) /* with a relay, it delivers the event */
        ev = hd_events_build("notification", j->seq, &j->n, j->users, j->n_users, j->audiences,
                             j->n_audiences);
    /* the answer first: the loop that owes it would otherwise write the whole fan-out to its
     * clients before the 202 (j is freed once answered, so nothing of it is used after) */
    j->task.run = job_on_loop;
    hd_loop_post(j->app->loop, &j->task);
    if (ev) {
        hd_events_publish(shared, ev);
        hd_event_unref(ev);
    }
}

int hd_accept_submit(struct hd_req *req, const struct hd_accept *a)
{
    struct job *j = hd_xcalloc(1, sizeof(*j));
    struct hd_app *app = hd_app_of(req);
    int err;
    j->arena = hd_arena_create();
    j->app = app;
    hd_notification_copy(j->arena, a->n, &j->n);
    j->users = hd_arena_strdup_list(j->arena, a->users, a->n_users);
    j->audiences = hd_arena_strdup_list(j->arena, a->audiences, a->n_audiences);
    j->n_users = a->n_users;
    j->n_audiences = a->n_audiences;
    j->account_id = hd_arena_strdup(j->arena, req->who.account_id);
    j->idem_key = hd_arena_strdup(j->arena, idempotency_key(req, NULL, &err));
    j->limit = a->limit;
    j->record.status = 202;
    j->record.created_at = a->n->created_at;
    if (j->idem_key) /* the hash is for the retries of this key alone */
        hd_sha256(req->body.ptr, req->body.len, j->record.body_hash);
    j->write.run = job_run;
    j->write.done = job_done;
    j->conn = hd_req_suspend(req);
    hd_writer_submit(app->shared->writer, &j->write);
    return HD_PENDING;
}
