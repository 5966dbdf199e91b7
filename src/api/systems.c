/* systems.c: /v1/systems (SPEC §5). A system is created with a random signing secret for
 * end-user tokens, shown once in the creation response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/events.h"
#include "api/body.h"
#include "api/present.h"
#include "api/validate.h"
#include "core/b64.h"
#include "core/time.h"

#define NAME_MAX_LEN 200

static const char *const system_fields[] = {"name", NULL};

void hd_api_signing_key(const struct hd_system *sys, char out[HD_SIGNING_KEY_BUF])
{
    hd_b64url_encode(out, sys->signing_secret, HD_SECRET_LEN);
}

int hd_api_system_create(struct hd_req *req, struct hd_res *res)
{
    struct hd_app *app = hd_app_of(req);
    json_t *body;
    int rc;
    if ((rc = hd_body_json(req, res, &body)))
        return rc;
    struct hd_problems p = {0};
    hd_check_fields(&p, body, "", system_fields);
    const char *name = hd_get_string(&p, body, "", "name", true, 1, NAME_MAX_LEN);
    struct hd_system sys = {.name = name ? hd_arena_strdup(req->arena, name) : NULL,
                            .created_at = hd_time_now_ms()};
    json_decref(body);
    if (hd_problems_any(&p))
        return hd_problems_respond(&p, res);
    hd_id_hex(sys.id, 16);
    snprintf(sys.account_id, sizeof(sys.account_id), "%s", req->who.account_id);
    hd_random_bytes(sys.signing_secret, sizeof(sys.signing_secret));
    rc = hd_store_system_insert(app->store, &sys);
    if (rc)
        return rc;
    char secret[HD_SIGNING_KEY_BUF];
    hd_api_signing_key(&sys, secret);
    json_t *out = hd_present_system(&sys);
    json_object_set_new(out, "signingSecret", json_string(secret));
    hd_res_headerf(res, "Location", "/v1/systems/%s", sys.id);
    hd_res_json(res, 201, out);
    return 0;
}

void hd_api_page_query(struct hd_req *req, struct hd_problems *p,
                       bool (*cursor_ok)(struct hd_slice), size_t *limit, const char **cursor)
{
    const char *l = hd_req_query(req, "limit");
    *cursor = hd_req_query(req, "cursor");
    *limit = HD_API_LIMIT_DEFAULT;
    if (l) {
        char *end;
        long v = strtol(l, &end, 10);
        if (*l >= '0' && *l <= '9' && !*end && v >= 1 && v <= HD_API_LIMIT_MAX)
            *limit = (size_t)v;
        else
            hd_problem(p, "limit", "%s is not a whole number from 1 to %d (default %d)",
                       hd_shown(req->arena, l), HD_API_LIMIT_MAX, HD_API_LIMIT_DEFAULT);
    }
    if (*cursor && !cursor_ok(hd_slice_of(*cursor)))
        hd_problem(p, "cursor",
                   "%s is not a cursor; pass the nextCursor of the previous page as it is",
                   hd_shown(req->arena, *cursor));
}

int hd_api_query_bool(struct hd_req *req, struct hd_problems *p, const char *name, bool *out)
{
    const char *v = hd_req_query(req, name);
    *out = v && !strcmp(v, "true");
    if (v && !*out && strcmp(v, "false") != 0) {
        hd_problem(p, name, "%s is not true or false", hd_shown(req->arena, v));
        return HD_E_VALIDATION;
    }
    return 0;
}

/* Cursor pages, oldest first; the cursor is the last system id of the previous page. */
int hd_api_system_list(struct hd_req *req, struct hd_res *res)
{
    struct hd_problems p = {0};
    size_t limit, n;
    const char *cursor;
    hd_api_page_query(req, &p, hd_id_is_system_id, &limit, &cursor);
    if (hd_problems_any(&p))
        return hd_problems_respond(&p, res);
    /* one extra row tells whether another page exists */
    struct hd_system *list = hd_arena_alloc(req->arena, (limit + 1) * sizeof(*list));
    int rc = hd_store_system_page(hd_app_of(req)->store, req->who.account_id, cursor, limit + 1,
                                  req->arena, list, &n);
    if (rc)
        return rc;
    bool more = n > limit;
    n = more ? limit : n;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, hd_present_system(&list[i]));
    hd_res_json(res, 200, hd_present_page(items, more ? list[n - 1].id : NULL));
    return 0;
}

static int system_not_found(struct hd_req *req, struct hd_res *res)
{
    char msg[200];
    snprintf(msg, sizeof(msg), "No system %s in this account.",
             hd_shown(req->arena, req->params[0].ptr));
    hd_res_error(res, HD_E_NOT_FOUND, msg, NULL);
    return HD_E_NOT_FOUND;
}

/* Loads the system named by the first path parameter, answering 404 when it is not the
 * caller's. Shared by every /v1/systems/{id}/... handler. */
int hd_api_load_system(struct hd_req *req, struct hd_res *res, struct hd_system *out)
{
    struct hd_app *app = hd_app_of(req);
    const char *id = req->params[0].ptr;
    int rc = hd_id_is_system_id(req->params[0])
                 ? hd_store_system_get(app->store, req->who.account_id, id, req->arena, out)
                 : HD_E_NOT_FOUND;
    return rc == HD_E_NOT_FOUND ? system_not_found(req, res) : rc;
}

int hd_api_system_get(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    int rc = hd_api_load_system(req, res, &sys);
    if (rc)
        return rc;
    hd_res_json(res, 200, hd_present_system(&sys));
    return 0;
}

/* SPEC §5 DELETE: refused while the system has scheduled or active notifications, unless
 * ?cascade=true, which cancels them in the same transaction. */
int hd_api_system_delete(struct hd_req *req, struct hd_res *res)
{
    struct hd_problems p = {0};
    bool cascade;
    if (hd_api_query_bool(req, &p, "cascade", &cascade))
        return hd_problems_respond(&p, res);
    struct hd_app *app = hd_app_of(req);
    int64_t live = 0, now = hd_time_now_ms();
    const char **cancelled;
    int rc = hd_id_is_system_id(req->params[0])
                 ? hd_store_system_delete(app->store, req->who.account_id, req->params[0].ptr,
                                          cascade, now, req->arena, &live, &cancelled)
                 : HD_E_NOT_FOUND;
    if (rc == HD_E_NOT_FOUND)
        return system_not_found(req, res);
    if (rc == HD_E_CONFLICT) {
        char msg[300];
        snprintf(msg, sizeof(msg),
                 "System %s has %lld scheduled or active notification(s); cancel them first, or "
                 "pass ?cascade=true to cancel them and delete the system.",
                 req->params[0].ptr, (long long)live);
        hd_res_error(res, HD_E_CONFLICT, msg, NULL);
    }
    if (rc)
        return rc;
    /* open clients are told at once, as for a cancel (the CLI has no writer and no clients) */
    for (int64_t i = 0; app->shared->writer && i < live; i++)
        hd_events_schedule(app->shared, cancelled[i], now, false);
    hd_res_json(res, 204, NULL);
    return 0;
}

/* POST /v1/systems/{id}/signing-secret: a new secret for end-user tokens, shown once; tokens
 * signed with the old one (by herald or by the customer's backend) stop working at once. */
int hd_api_system_rotate_secret(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)))
        return rc;
    hd_random_bytes(sys.signing_secret, sizeof(sys.signing_secret));
    if ((rc = hd_store_system_rotate_secret(hd_app_of(req)->store, req->who.account_id, sys.id,
                                            sys.signing_secret)))
        return rc;
    char secret[HD_SIGNING_KEY_BUF];
    hd_api_signing_key(&sys, secret);
    hd_res_json(res, 200, json_pack("{s:s, s:s}", "id", sys.id, "signingSecret", secret));
    return 0;
}
