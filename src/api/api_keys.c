/* api_keys.c: /v1/api-keys (SPEC §5). The secret is shown once, in the creation response; a key
 * can grant only scopes its caller holds; revoking kills the key's tokens at once (the guard
 * checks the key on every call). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/body.h"
#include "api/present.h"
#include "api/validate.h"
#include "auth/keys.h"
#include "auth/scope.h"
#include "core/time.h"

#define KEYS_LIST_MAX 1000
#define NAME_MAX_LEN  200

static const char *const key_fields[] = {"name", "scopes", NULL};

static json_t *scope_list(unsigned scopes)
{
    char names[128];
    hd_scope_format(scopes, names, sizeof(names));
    json_t *list = json_array();
    for (char *save, *tok = strtok_r(names, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        json_array_append_new(list, json_string(tok));
    return list;
}

static json_t *present_key(const struct hd_api_key *k)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "clientId", k->client_id, "name", k->name,
                     "scopes", scope_list(k->scopes), "createdAt", hd_present_time(k->created_at),
                     "revokedAt", hd_present_time(k->revoked_at));
}

static unsigned read_scopes(struct hd_problems *p, json_t *body)
{
    json_t *a = json_object_get(body, "scopes"), *v;
    unsigned scopes = 0, one;
    size_t i;
    struct hd_slice bad;
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 8) {
        hd_problem(p, "scopes", "must be a non-empty array such as [\"notifications:write\"]");
        return 0;
    }
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(v);
        if (!s || hd_scope_parse(hd_slice_of(s), &one, &bad) || !one)
            hd_problem(p, "scopes",
                       "\"%.64s\" is not a scope; use notifications:write, "
                       "notifications:read, admin:write or admin:read",
                       s ? s : "(not a string)");
        else
            scopes |= one;
    }
    return scopes;
}

int hd_api_key_create(struct hd_req *req, struct hd_res *res)
{
    json_t *body;
    int rc;
    if ((rc = hd_body_json(req, res, &body)))
        return rc;
    struct hd_problems p = {0};
    hd_check_fields(&p, body, "", key_fields);
    const char *name =
        hd_arena_strdup(req->arena, hd_get_string(&p, body, "", "name", true, 1, NAME_MAX_LEN));
    unsigned scopes = read_scopes(&p, body);
    json_decref(body);
    if (hd_problems_any(&p))
        return hd_problems_respond(&p, res);
    if (hd_scope_expand(scopes) & ~req->who.scopes) {
        hd_res_error(res, HD_E_FORBIDDEN, "A key can only grant scopes that the caller holds.",
                     NULL);
        return HD_E_FORBIDDEN;
    }
    struct hd_new_key key;
    if ((rc = hd_keys_create(hd_app_of(req)->store, req->who.account_id, name, scopes, &key)))
        return rc;
    hd_res_headerf(res, "Location", "/v1/api-keys/%s", key.client_id);
    hd_res_json(res, 201,
                json_pack("{s:s, s:s, s:s, s:o}", "clientId", key.client_id, "clientSecret",
                          key.secret, "name", name, "scopes", scope_list(scopes)));
    return 0;
}

int hd_api_key_list(struct hd_req *req, struct hd_res *res)
{
    struct hd_api_key *keys = hd_arena_alloc(req->arena, KEYS_LIST_MAX * sizeof(*keys));
    size_t n;
    int rc = hd_store_key_list(hd_app_of(req)->store, req->who.account_id, req->arena, keys,
                               KEYS_LIST_MAX, &n);
    if (rc)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, present_key(&keys[i]));
    hd_res_json(res, 200, hd_present_page(items, NULL));
    return 0;
}

int hd_api_key_revoke(struct hd_req *req, struct hd_res *res)
{
    int rc = hd_store_key_revoke(hd_app_of(req)->store, req->who.account_id, req->params[0].ptr,
                                 hd_time_now_ms());
    if (rc == HD_E_NOT_FOUND)
        hd_res_error(res, rc, "No active API key with this client id in this account.", NULL);
    if (rc)
        return rc;
    hd_res_json(res, 204, NULL);
    return 0;
}

/* POST /v1/api-keys/{clientId}/rotate: a new secret, shown once. The old secret stops working
 * for the token endpoint at once, and so do the tokens issued before (the guard compares their
 * issue time with the rotation). A caller may rotate only a key whose scopes it holds, since the
 * new secret grants them. */
int hd_api_key_rotate(struct hd_req *req, struct hd_res *res)
{
    struct hd_app *app = hd_app_of(req);
    struct hd_api_key key;
    const char *id = req->params[0].ptr;
    int rc = req->params[0].len <= HD_CLIENT_ID_MAX
                 ? hd_store_key_get(app->store, id, req->arena, &key)
                 : HD_E_NOT_FOUND;
    if (rc == 0 && (strcmp(key.account_id, req->who.account_id) != 0 || key.revoked_at))
        rc = HD_E_NOT_FOUND;
    if (rc == 0 && (hd_scope_expand(key.scopes) & ~req->who.scopes))
        return hd_res_error(res, HD_E_FORBIDDEN,
                            "Only a caller that holds every scope of a key may rotate its secret.",
                            NULL),
               HD_E_FORBIDDEN;
    struct hd_new_key fresh;
    unsigned char hash[HD_SECRET_HASH_LEN];
    if (rc == 0) {
        hd_secret_new(fresh.secret);
        hd_secret_hash(fresh.secret, strlen(fresh.secret), hash);
        rc = hd_store_key_rotate(app->store, req->who.account_id, key.client_id, hash,
                                 hd_time_now_ms());
    }
    if (rc == HD_E_NOT_FOUND)
        hd_res_error(res, rc, "No active API key with this client id in this account.", NULL);
    if (rc)
        return rc;
    hd_res_json(res, 200,
                json_pack("{s:s, s:s, s:s, s:o}", "clientId", key.client_id, "clientSecret",
                          fresh.secret, "name", key.name, "scopes", scope_list(key.scopes)));
    return 0;
}
