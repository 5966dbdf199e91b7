/* end_users.c: /v1/systems/{systemId}/end-users (SPEC §5): upsert one end user, and mint an
 * end-user token for the workstation client (SPEC §6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/body.h"
#include "api/present.h"
#include "api/validate.h"
#include "auth/jwt.h"
#include "core/time.h"

#define END_USER_ID_MAX      256
#define NAME_MAX_LEN         200
#define EMAIL_MAX_LEN        320
#define ATTRIBUTES_MAX_BYTES 8192
#define TOKEN_TTL_DEFAULT_S  86400
#define TOKEN_TTL_MAX_S      (30 * 86400)

static const char *const end_user_fields[] = {"name", "email", "attributes", NULL};
static const char *const token_fields[] = {"expiresIn", NULL};

static int check_end_user_id(struct hd_res *res, struct hd_slice id)
{
    if (id.len >= 1 && id.len <= END_USER_ID_MAX)
        return 0;
    hd_res_error(res, HD_E_VALIDATION, "An end-user id is 1 to 256 bytes of UTF-8.", NULL);
    return HD_E_VALIDATION;
}

static const char *read_attributes(struct hd_problems *p, json_t *body, struct hd_arena *ar)
{
    json_t *a = json_object_get(body, "attributes");
    if (!a || json_is_null(a))
        return "{}";
    if (!json_is_object(a)) {
        hd_problem(p, "attributes", "must be an object of attribute names to values");
        return NULL;
    }
    char *text = json_dumps(a, JSON_COMPACT);
    const char *out = NULL;
    if (strlen(text) > ATTRIBUTES_MAX_BYTES)
        hd_problem(p, "attributes", "is larger than %d bytes", ATTRIBUTES_MAX_BYTES);
    else
        out = hd_arena_strdup(ar, text);
    free(text);
    return out;
}

int hd_api_end_user_put(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    json_t *body;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)) ||
        (rc = check_end_user_id(res, req->params[1])) || (rc = hd_body_json(req, res, &body)))
        return rc;
    struct hd_problems p = {0};
    hd_check_fields(&p, body, "", end_user_fields);
    int64_t now = hd_time_now_ms();
    struct hd_end_user u = {
        .id = req->params[1].ptr,
        .name = hd_arena_strdup(req->arena,
                                hd_get_string(&p, body, "", "name", false, 0, NAME_MAX_LEN)),
        .email = hd_arena_strdup(req->arena,
                                 hd_get_string(&p, body, "", "email", false, 0, EMAIL_MAX_LEN)),
        .attributes_json = read_attributes(&p, body, req->arena),
        .created_at = now,
        .updated_at = now,
    };
    json_decref(body);
    if (hd_problems_any(&p))
        return hd_problems_respond(&p, res);
    memcpy(u.system_id, sys.id, sizeof(u.system_id));
    bool created;
    rc = hd_store_end_user_upsert(hd_app_of(req)->store, &u, &created);
    if (rc)
        return rc;
    json_t *attrs = json_loads(u.attributes_json, 0, NULL);
    hd_res_json(res, created ? 201 : 200,
                json_pack("{s:s, s:s, s:s?, s:s?, s:o}", "id", u.id, "systemId", sys.id, "name",
                          u.name, "email", u.email, "attributes", attrs ? attrs : json_object()));
    return 0;
}

/* The optional body {"expiresIn": seconds}. */
static int read_ttl(struct hd_req *req, struct hd_res *res, int64_t *ttl)
{
    *ttl = TOKEN_TTL_DEFAULT_S;
    if (req->body.len == 0)
        return 0;
    json_t *body;
    if (hd_body_json(req, res, &body))
        return HD_E_BAD_REQUEST;
    struct hd_problems p = {0};
    hd_check_fields(&p, body, "", token_fields);
    json_t *v = json_object_get(body, "expiresIn");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 60 ||
              json_integer_value(v) > TOKEN_TTL_MAX_S))
        hd_problem(&p, "expiresIn", "must be a whole number of seconds from 60 to %d",
                   TOKEN_TTL_MAX_S);
    else if (v)
        *ttl = json_integer_value(v);
    json_decref(body);
    return hd_problems_any(&p) ? hd_problems_respond(&p, res) : 0;
}

/* The same token a customer's backend can mint with the system's signing secret. */
int hd_api_end_user_token(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    int64_t ttl;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)) ||
        (rc = check_end_user_id(res, req->params[1])) || (rc = read_ttl(req, res, &ttl)))
        return rc;
    int64_t now = hd_time_now_ms() / 1000;
    json_t *claims = json_pack("{s:s, s:s, s:I, s:I}", "sub", req->params[1].ptr, "sys", sys.id,
                               "iat", (json_int_t)now, "exp", (json_int_t)(now + ttl));
    char key[HD_SIGNING_KEY_BUF];
    hd_api_signing_key(&sys, key);
    char *token = hd_jwt_sign(claims, (const unsigned char *)key, strlen(key));
    json_decref(claims);
    hd_res_json(
        res, 201,
        json_pack("{s:s, s:o}", "token", token, "expiresAt", hd_present_time((now + ttl) * 1000)));
    free(token);
    return 0;
}
