/* guard.c: authentication and scope checks for every route, driven by the route table's auth
 * and scope columns (RFC 6750 bearer tokens). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "auth/jwt.h"
#include "auth/scope.h"
#include "core/time.h"

#define END_USER_ID_MAX 256

static int deny(struct hd_res *res, const char *why)
{
    /* RFC 6750 §3 */
    hd_res_header(res, "WWW-Authenticate", "Bearer realm=\"herald\", error=\"invalid_token\"");
    hd_res_error(res, HD_E_UNAUTHORIZED, why, NULL);
    return HD_E_UNAUTHORIZED;
}

/* The token from "Authorization: Bearer …", or from ?access_token= (RFC 6750 §2.3) when the
 * route allows it. */
static struct hd_slice bearer(const struct hd_req *req, bool query_ok)
{
    struct hd_slice h = hd_slice_trim(hd_req_header(req, "authorization"));
    if (h.ptr && h.len > 7 && !strncasecmp(h.ptr, "bearer ", 7))
        return hd_slice_trim((struct hd_slice){h.ptr + 7, h.len - 7});
    if (query_ok && !h.ptr) {
        const char *q = hd_req_query(req, "access_token");
        if (q)
            return hd_slice_of(q);
    }
    return (struct hd_slice){NULL, 0};
}

static const char *claim_string(json_t *claims, const char *name)
{
    return json_string_value(json_object_get(claims, name));
}

static int check_scope(struct hd_req *req, struct hd_res *res, unsigned have)
{
    unsigned need = req->route->scope;
    if (hd_scope_allows(have, need))
        return 0;
    char names[128], msg[256];
    hd_scope_format(need, names, sizeof(names));
    snprintf(msg, sizeof(msg), "This call needs the scope %s; ask an admin for a key with it.",
             names);
    hd_res_error(res, HD_E_FORBIDDEN, msg, NULL);
    return HD_E_FORBIDDEN;
}

/* When the token was issued, in ms: from a UUIDv7 jti when it is one (exact), else the end of
 * the second of iat (a token issued in the same second as a rotation is taken as newer). */
static int64_t issued_ms(json_t *claims)
{
    const char *jti = claim_string(claims, "jti");
    if (jti && hd_id_is_uuid(hd_slice_of(jti)) && jti[14] == '7') {
        char hex[13];
        memcpy(hex, jti, 8);
        memcpy(hex + 8, jti + 9, 4);
        hex[12] = '\0';
        return (int64_t)strtoll(hex, NULL, 16);
    }
    return (int64_t)json_integer_value(json_object_get(claims, "iat")) * 1000 + 999;
}

/* The key behind the token must still exist and not be revoked: revocation is immediate; so is
 * a rotation of its secret for the tokens issued before it. */
static int api_token(struct hd_req *req, struct hd_res *res)
{
    struct hd_app *app = hd_app_of(req);
    struct hd_slice tok = bearer(req, false);
    if (!tok.ptr || tok.len == 0)
        return deny(res, "Send an API token as Authorization: Bearer <token>; get one from "
                         "POST /oauth/token.");
    json_t *claims;
    const char *why;
    if (hd_jwt_verify(tok.ptr, tok.len, app->shared->server_secret, HD_SECRET_LEN,
                      hd_time_now_ms() / 1000, &claims, &why))
        return deny(res, why);
    const char *sub = claim_string(claims, "sub"), *scope = claim_string(claims, "scope");
    struct hd_key_state state;
    const struct hd_api_key *key = &state.key;
    int rc = !sub || !scope || json_object_get(claims, "sys")
                 ? HD_E_NOT_FOUND
                 : hd_catalog_sync(app->catalog, app->store);
    if (!rc)
        rc = hd_catalog_key_state(app->catalog, app->store, sub, req->arena, &state);
    if (rc && rc != HD_E_NOT_FOUND) /* the store is down: not the caller's fault */
        hd_res_error(res, rc, NULL, NULL);
    else if (rc || key->revoked_at)
        rc = deny(res, "The token's API key is unknown or revoked.");
    else if (state.secret_rotated_at && issued_ms(claims) < state.secret_rotated_at)
        rc = deny(res, "The token was issued before its API key's secret was rotated; get a new "
                       "one with the new secret.");
    unsigned granted = 0;
    struct hd_slice bad;
    if (!rc && hd_scope_parse(hd_slice_of(scope), &granted, &bad))
        rc = deny(res, "The token carries an unknown scope.");
    json_decref(claims);
    if (rc)
        return rc;
    req->who.account_id = hd_arena_strdup(req->arena, key->account_id);
    req->who.client_id = hd_arena_strdup(req->arena, key->client_id);
    req->who.scopes = hd_scope_expand(granted) & hd_scope_expand(key->scopes);
    return check_scope(req, res, req->who.scopes);
}

static int end_user_token(struct hd_req *req, struct hd_res *res)
{
    struct hd_app *app = hd_app_of(req);
    struct hd_slice tok = bearer(req, true);
    if (!tok.ptr || tok.len == 0)
        return deny(res, "Send an end-user token as Authorization: Bearer <token> or "
                         "?access_token=<token>.");
    json_t *peek, *claims;
    const char *why;
    if (hd_jwt_peek(tok.ptr, tok.len, &peek))
        return deny(res, "The token is not a JWT.");
    const char *sys = claim_string(peek, "sys");
    struct hd_system system;
    int found = sys && hd_id_is_system_id(hd_slice_of(sys))
                    ? hd_store_system_get_any(app->store, sys, req->arena, &system)
                    : HD_E_NOT_FOUND;
    json_decref(peek);
    if (found && found != HD_E_NOT_FOUND) {
        hd_res_error(res, found, NULL, NULL);
        return found;
    }
    if (found)
        return deny(res, "The token names no known system (claim `sys`).");
    char key[HD_SIGNING_KEY_BUF];
    hd_api_signing_key(&system, key);
    if (hd_jwt_verify(tok.ptr, tok.len, (const unsigned char *)key, strlen(key),
                      hd_time_now_ms() / 1000, &claims, &why))
        return deny(res, why);
    const char *sub = claim_string(claims, "sub");
    size_t len = sub ? strlen(sub) : 0;
    if (len == 0 || len > END_USER_ID_MAX) {
        json_decref(claims);
        return deny(res, "The token's `sub` must be the end-user id (1 to 256 bytes).");
    }
    req->who.system_id = hd_arena_strdup(req->arena, system.id);
    req->who.end_user_id = hd_arena_strdup(req->arena, sub);
    req->who.account_id = hd_arena_strdup(req->arena, system.account_id);
    json_decref(claims);
    return 0;
}

static int authenticate(struct hd_req *req, struct hd_res *res)
{
    switch (req->route->auth) {
    case HD_AUTH_API: return api_token(req, res);
    case HD_AUTH_END_USER: return end_user_token(req, res);
    default: return 0;
    }
}

int hd_api_guard(struct hd_req *req, struct hd_res *res)
{
    hd_app_count(&hd_app_of(req)->counters.requests);
    return authenticate(req, res);
}
