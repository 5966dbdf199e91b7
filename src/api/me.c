/* me.c: the end user's client API (SPEC §6): the notification list. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/present.h"
#include "core/time.h"

#define FEED_LIMIT_DEFAULT 50
#define FEED_LIMIT_MAX     200

static int read_limit(struct hd_req *req, struct hd_res *res, size_t *limit)
{
    const char *s = hd_req_query(req, "limit");
    *limit = FEED_LIMIT_DEFAULT;
    if (!s)
        return 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end && v >= 1 && v <= FEED_LIMIT_MAX) {
        *limit = (size_t)v;
        return 0;
    }
    hd_res_error(res, HD_E_VALIDATION, "limit must be a whole number from 1 to 200.", NULL);
    return HD_E_VALIDATION;
}

static int read_cursor(struct hd_req *req, struct hd_res *res, const char **before)
{
    *before = hd_req_query(req, "cursor");
    if (!*before || hd_id_is_uuid(hd_slice_of(*before)))
        return 0;
    hd_res_error(res, HD_E_VALIDATION, "cursor must be the nextCursor of a previous page.", NULL);
    return HD_E_VALIDATION;
}

/* The items the client is given now count as received (SPEC §4 stats), once each. */
static int mark_received(struct hd_req *req, struct hd_feed_item *items, size_t n, int64_t now)
{
    const char **ids = hd_arena_alloc(req->arena, (n + 1) * sizeof(*ids));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!items[i].received_at) {
            ids[k++] = items[i].n.id;
            items[i].received_at = now;
        }
    return hd_store_delivery_received(hd_app_of(req)->store, req->who.system_id,
                                      req->who.end_user_id, ids, k, now);
}

int hd_api_me_notifications(struct hd_req *req, struct hd_res *res)
{
    struct hd_app *app = hd_app_of(req);
    const char *unread = hd_req_query(req, "unread");
    struct hd_feed_query q = {
        .system_id = req->who.system_id,
        .end_user_id = req->who.end_user_id,
        .now = hd_time_now_ms(),
        .history_ms = app->shared->cfg->history_days * HD_MS_PER_DAY,
        .unread_only = unread && !strcmp(unread, "true"),
    };
    int rc;
    if ((rc = read_limit(req, res, &q.limit)) || (rc = read_cursor(req, res, &q.before)) ||
        (rc = hd_store_end_user_refresh_rules(app->store, q.system_id, q.end_user_id, q.now)))
        return rc;
    /* one extra row tells whether another page exists */
    struct hd_feed_item *items = hd_arena_alloc(req->arena, (q.limit + 1) * sizeof(*items));
    size_t n, unread_count;
    q.limit++;
    if ((rc = hd_store_feed(app->store, &q, req->arena, items, &n)) ||
        (rc = hd_store_feed_unread_count(app->store, &q, &unread_count)))
        return rc;
    q.limit--;
    bool more = n > q.limit;
    if (more)
        n = q.limit;
    if ((rc = mark_received(req, items, n, q.now)))
        return rc;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, hd_present_feed_item(&items[i], q.now));
    json_t *page = hd_present_page(list, more ? items[n - 1].n.id : NULL);
    json_object_set_new(page, "unreadCount", json_integer((json_int_t)unread_count));
    hd_res_json(res, 200, page);
    return 0;
}

/* POST /v1/me/notifications/{id}/seen|clicked|dismissed → 204, idempotent; shared by every
 * device of the user, and counted in the notification's stats. */
static int mark(struct hd_req *req, struct hd_res *res, enum hd_delivery what)
{
    struct hd_app *app = hd_app_of(req);
    int rc = hd_id_is_uuid(req->params[0])
                 ? hd_store_delivery_mark(app->store, req->who.system_id, req->who.end_user_id,
                                          req->params[0].ptr, what, hd_time_now_ms())
                 : HD_E_NOT_FOUND;
    if (rc == HD_E_NOT_FOUND)
        hd_res_error(res, rc, "No such notification in your list.", NULL);
    if (rc)
        return rc;
    hd_res_json(res, 204, NULL);
    return 0;
}

int hd_api_me_seen(struct hd_req *req, struct hd_res *res)
{
    return mark(req, res, HD_DELIVERY_SEEN);
}

int hd_api_me_clicked(struct hd_req *req, struct hd_res *res)
{
    return mark(req, res, HD_DELIVERY_CLICKED);
}

int hd_api_me_dismissed(struct hd_req *req, struct hd_res *res)
{
    return mark(req, res, HD_DELIVERY_DISMISSED);
}
