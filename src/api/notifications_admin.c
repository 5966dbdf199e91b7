/* notifications_admin.c: managing notifications (SPEC §4): the account's notification table
 * (filters, cursor pages, newest first), one notification with its stats, and cancel.
 *
 * Every store call takes the caller's account, so another account's notification is a 404, never
 * a 403; so is an id that is not a UUID. A bad query parameter is a 422 naming the parameter and
 * the values it takes. A systemId filter of a system the account does not have lists nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "api/api.h"
#include "api/app.h"
#include "api/events.h"
#include "api/present.h"
#include "api/validate.h"
#include "core/time.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX     200

static const char *const statuses[] = {"scheduled", "active", "completed", "cancelled", NULL};
#define STATUS_VALUES "use scheduled, active, completed or cancelled"

/* The status named by s in any case (static), or NULL. */
static const char *status_named(const char *s)
{
    for (const char *const *st = statuses; *st; st++)
        if (!strcasecmp(s, *st))
            return *st;
    return NULL;
}

static void check_status(struct hd_problems *p, struct hd_arena *ar, const char *s,
                         const char **out)
{
    *out = s ? status_named(s) : NULL;
    if (!s || *out)
        return;
    const char *guess = hd_did_you_mean(s, statuses);
    if (guess)
        hd_problem(p, "status", "%s is not a status; did you mean %s? (%s)", hd_shown(ar, s), guess,
                   STATUS_VALUES);
    else
        hd_problem(p, "status", "%s is not a status; %s", hd_shown(ar, s), STATUS_VALUES);
}

static void check_limit(struct hd_problems *p, struct hd_arena *ar, const char *s, size_t *out)
{
    *out = LIST_LIMIT_DEFAULT;
    if (!s)
        return;
    char *end;
    long v = strtol(s, &end, 10);
    if (*s >= '0' && *s <= '9' && !*end && v >= 1 && v <= LIST_LIMIT_MAX)
        *out = (size_t)v;
    else
        hd_problem(p, "limit", "%s is not a whole number from 1 to %d (default %d)",
                   hd_shown(ar, s), LIST_LIMIT_MAX, LIST_LIMIT_DEFAULT);
}

/* The query of GET /v1/notifications, every problem collected and answered at once. */
static int read_filter(struct hd_req *req, struct hd_res *res, struct hd_notification_filter *f)
{
    struct hd_problems p = {0};
    const char *sys = hd_req_query(req, "systemId"), *cursor = hd_req_query(req, "cursor");
    if (sys && !hd_id_is_system_id(hd_slice_of(sys)))
        hd_problem(&p, "systemId", "%s is not a system id (32 hexadecimal characters)",
                   hd_shown(req->arena, sys));
    check_status(&p, req->arena, hd_req_query(req, "status"), &f->status);
    check_limit(&p, req->arena, hd_req_query(req, "limit"), &f->limit);
    if (cursor && !hd_id_is_uuid(hd_slice_of(cursor)))
        hd_problem(&p, "cursor",
                   "%s is not a cursor; pass the nextCursor of the previous page as it is",
                   hd_shown(req->arena, cursor));
    f->system_id = sys;
    f->before = cursor;
    f->now = hd_time_now_ms();
    return hd_problems_any(&p) ? hd_problems_respond(&p, res) : 0;
}

int hd_api_notification_list(struct hd_req *req, struct hd_res *res)
{
    struct hd_notification_filter f;
    int rc = read_filter(req, res, &f);
    if (rc)
        return rc;
    /* one extra row tells whether another page exists */
    struct hd_notification *list = hd_arena_alloc(req->arena, (f.limit + 1) * sizeof(*list));
    size_t n, limit = f.limit++;
    rc = hd_store_notification_list(hd_app_of(req)->store, req->who.account_id, &f, req->arena,
                                    list, &n);
    if (rc)
        return rc;
    bool more = n > limit;
    if (more)
        n = limit;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, hd_present_notification(&list[i], NULL, f.now));
    hd_res_json(res, 200, hd_present_page(items, more ? list[n - 1].id : NULL));
    return 0;
}

static int not_found(struct hd_req *req, struct hd_res *res)
{
    char msg[128];
    if (hd_id_is_uuid(req->params[0]))
        snprintf(msg, sizeof(msg), "No notification %s in this account.", req->params[0].ptr);
    else
        snprintf(msg, sizeof(msg), "No such notification: ids are UUIDs.");
    hd_res_error(res, HD_E_NOT_FOUND, msg, NULL);
    return HD_E_NOT_FOUND;
}

/* The notification of path parameter 0, or a 404 answered. */
static int load(struct hd_req *req, struct hd_res *res, struct hd_notification *out)
{
    int rc = hd_id_is_uuid(req->params[0])
                 ? hd_store_notification_get(hd_app_of(req)->store, req->who.account_id,
                                             req->params[0].ptr, req->arena, out)
                 : HD_E_NOT_FOUND;
    return rc == HD_E_NOT_FOUND ? not_found(req, res) : rc;
}

int hd_api_notification_get(struct hd_req *req, struct hd_res *res)
{
    struct hd_notification n;
    struct hd_notification_stats stats;
    int rc = load(req, res, &n);
    if (rc)
        return rc;
    rc = hd_store_notification_stats(hd_app_of(req)->store, req->who.account_id, n.id, &stats);
    if (rc)
        return rc == HD_E_NOT_FOUND ? not_found(req, res) : rc;
    hd_res_json(res, 200, hd_present_notification(&n, &stats, hd_time_now_ms()));
    return 0;
}

/* 409 saying why: already cancelled, or already over. */
static int conflict(struct hd_req *req, struct hd_res *res)
{
    struct hd_notification n;
    int rc = load(req, res, &n);
    if (rc)
        return rc;
    char msg[200], when[HD_TIME_BUF];
    bool cancelled = n.cancelled_at != 0;
    hd_time_format(cancelled ? n.cancelled_at : n.end_at, when);
    if (cancelled)
        snprintf(msg, sizeof(msg), "Notification %s was already cancelled at %s.", n.id, when);
    else
        snprintf(msg, sizeof(msg),
                 "Notification %s completed at %s (its endAt); only a scheduled or active one "
                 "can be cancelled.",
                 n.id, when);
    hd_res_error(res, HD_E_CONFLICT, msg, NULL);
    return HD_E_CONFLICT;
}

/* Cancelled at once: it leaves every user's list (the feed skips cancelled notifications). */
int hd_api_notification_cancel(struct hd_req *req, struct hd_res *res)
{
    int64_t now = hd_time_now_ms();
    int rc = hd_id_is_uuid(req->params[0])
                 ? hd_store_notification_cancel(hd_app_of(req)->store, req->who.account_id,
                                                req->params[0].ptr, now)
                 : HD_E_NOT_FOUND;
    if (rc == HD_E_NOT_FOUND)
        return not_found(req, res);
    if (rc == HD_E_CONFLICT)
        return conflict(req, res);
    if (rc)
        return rc;
    /* open clients are told at once: the retract is recorded and published by the writer */
    hd_events_schedule(hd_app_of(req)->shared, req->params[0].ptr, now, false);
    hd_res_json(res, 204, NULL);
    return 0;
}
