/* systems.c: /v1/systems (SPEC §5). A system is created with a random signing secret for
 * end-user tokens, shown once in the creation response. */
#include <stdio.h>

#include "api/api.h"
#include "api/app.h"
#include "api/body.h"
#include "api/present.h"
#include "api/validate.h"
#include "core/b64.h"
#include "core/time.h"

#define SYSTEMS_LIST_MAX 1000
#define NAME_MAX_LEN     200

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

int hd_api_system_list(struct hd_req *req, struct hd_res *res)
{
    struct hd_app *app = hd_app_of(req);
    struct hd_system *list = hd_arena_alloc(req->arena, SYSTEMS_LIST_MAX * sizeof(*list));
    size_t n;
    int rc = hd_store_system_list(app->store, req->who.account_id, req->arena, list,
                                  SYSTEMS_LIST_MAX, &n);
    if (rc)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, hd_present_system(&list[i]));
    hd_res_json(res, 200, hd_present_page(items, NULL));
    return 0;
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
    if (rc == HD_E_NOT_FOUND) {
        char msg[200];
        snprintf(msg, sizeof(msg), "No system %.40s in this account.", id);
        hd_res_error(res, HD_E_NOT_FOUND, msg, NULL);
    }
    return rc;
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
