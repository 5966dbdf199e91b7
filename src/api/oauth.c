/* oauth.c: the OAuth 2.0 client credentials grant (RFC 6749 §4.4) at /accounts/connect/token
 * and /oauth/token, and the authorization server metadata (RFC 8414). Errors here use the OAuth
 * format {"error","error_description"} (RFC 6749 §5.2), not herald's own. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "auth/jwt.h"
#include "auth/scope.h"
#include "auth/secret.h"
#include "core/jsonw.h"
#include "core/time.h"
#include "http/form.h"

static int oauth_error(struct hd_res *res, int status, const char *error, const char *description)
{
    if (status == 401)
        hd_res_header(res, "WWW-Authenticate", "Basic realm=\"herald\"");
    hd_res_header(res, "Pragma", "no-cache");
    hd_res_json(res, status,
                json_pack("{s:s, s:s}", "error", error, "error_description", description));
    return 0;
}

static bool is_form(const struct hd_req *req)
{
    struct hd_slice ct = hd_slice_trim(hd_req_header(req, "content-type"));
    return ct.ptr && ct.len >= 33 && !strncasecmp(ct.ptr, "application/x-www-form-urlencoded", 33);
}

struct client_auth {
    const char *id, *secret;
};

/* RFC 6749 §2.3: Basic, or client_id + client_secret in the body; never both. */
static int read_client(const struct hd_req *req, struct hd_res *res, const struct hd_form *form,
                       struct client_auth *out)
{
    const char *why;
    const struct hd_form_field *id = hd_form_get(form, "client_id");
    const struct hd_form_field *secret = hd_form_get(form, "client_secret");
    int rc = hd_basic_parse(hd_req_header(req, "authorization"), req->arena, &out->id, &out->secret,
                            &why);
    if (rc == HD_E_BAD_REQUEST)
        return oauth_error(res, 400, "invalid_request", why), -1;
    if (rc == 0 && (id || secret))
        return oauth_error(res, 400, "invalid_request",
                           "Send the client credentials once: either HTTP Basic or "
                           "client_id/client_secret in the body, not both."),
               -1;
    if (rc == 0)
        return 0;
    if (!id || !secret)
        return oauth_error(res, 401, "invalid_client",
                           "Client authentication is missing: send HTTP Basic "
                           "base64(clientId:clientSecret), or client_id and client_secret in "
                           "the body."),
               -1;
    out->id = id->value;
    out->secret = secret->value;
    return 0;
}

/* Failures against one existing key are counted in the store, so every node (and process)
 * throttles the same count: at most KEY_FAILURES_MAX per KEY_WINDOW_MS window. */
#define KEY_FAILURES_MAX 10
#define KEY_WINDOW_MS    (60 * 1000)

/* Seconds to wait before retrying the key, or 0 while it is under its limit. */
static int key_throttle(struct hd_app *app, const char *client_id, int64_t now)
{
    int64_t window = now - now % KEY_WINDOW_MS, failures = 0;
    if (hd_store_key_auth_failed(app->store, client_id, window, &failures) ||
        failures <= KEY_FAILURES_MAX)
        return 0;
    return (int)((window + KEY_WINDOW_MS - now + 999) / 1000);
}

/* Verifies the key; failures count towards the throttle of the key (in the store, shared by
 * every node) or, for an unknown id, of the id, and of the address (per node). */
static int check_client(struct hd_req *req, struct hd_res *res, const struct client_auth *c,
                        struct hd_api_key *key)
{
    struct hd_app *app = hd_app_of(req);
    int found = strlen(c->id) <= HD_CLIENT_ID_MAX
                    ? hd_store_key_get(app->store, c->id, req->arena, key)
                    : HD_E_NOT_FOUND;
    if (found && found != HD_E_NOT_FOUND) { /* the store is down: say so, count nothing */
        hd_res_headerf(res, "Retry-After", "%d", 1);
        return oauth_error(res, 503, "temporarily_unavailable",
                           "The server cannot reach its database; retry shortly."),
               -1;
    }
    bool known = found == 0;
    bool ok = known && !key->revoked_at &&
              hd_secret_matches(c->secret, strlen(c->secret), key->secret_hash);
    if (ok)
        return 0;
    int64_t now = hd_time_now_ms();
    char addr_key[80];
    snprintf(addr_key, sizeof(addr_key), "addr:%s", req->remote);
    int wait_id =
        known ? key_throttle(app, c->id, now) : hd_throttle_fail(app->shared->throttle, c->id, now);
    int wait_addr = hd_throttle_fail(app->shared->throttle, addr_key, now);
    int wait = wait_id > wait_addr ? wait_id : wait_addr;
    if (wait) {
        hd_res_headerf(res, "Retry-After", "%d", wait);
        return oauth_error(res, 429, "slow_down",
                           "Too many failed authentications; wait before retrying."),
               -1;
    }
    return oauth_error(res, 401, "invalid_client", "Unknown client, revoked key, or wrong secret."),
           -1;
}

static int grant_scopes(struct hd_res *res, const struct hd_form *form, unsigned key_scopes,
                        unsigned *out)
{
    const struct hd_form_field *f = hd_form_get(form, "scope");
    if (!f || !*f->value) {
        *out = key_scopes;
        return 0;
    }
    struct hd_slice bad;
    unsigned want;
    char msg[200];
    if (hd_scope_parse(hd_slice_of(f->value), &want, &bad)) {
        snprintf(msg, sizeof(msg), "Unknown scope \"%.*s\".", (int)(bad.len > 64 ? 64 : bad.len),
                 bad.ptr);
        return oauth_error(res, 400, "invalid_scope", msg), -1;
    }
    if ((hd_scope_expand(want) & ~hd_scope_expand(key_scopes)) != 0)
        return oauth_error(res, 400, "invalid_scope",
                           "The requested scope exceeds the scopes of this API key."),
               -1;
    *out = want;
    return 0;
}

/* Every successful call ends here, so the claims and the answer are written directly
 * (core/jsonw.h) rather than through a JSON tree. */
static void issue(struct hd_req *req, struct hd_res *res, const struct hd_api_key *key,
                  unsigned scopes)
{
    struct hd_app *app = hd_app_of(req);
    int64_t now = hd_time_now_ms() / 1000, ttl = app->shared->cfg->token_ttl_s;
    char scope_text[128], jti[HD_UUID_BUF];
    hd_scope_format(scopes, scope_text, sizeof(scope_text));
    hd_id_uuid7(jti, hd_time_now_ms()); /* its time lets a rotation tell older tokens apart */
    struct hd_buf b = {0};
    hd_buf_puts(&b, "{\"iss\":");
    hd_jsonw_string(&b, app->shared->issuer);
    hd_buf_puts(&b, ",\"sub\":");
    hd_jsonw_string(&b, key->client_id);
    hd_buf_puts(&b, ",\"acc\":");
    hd_jsonw_string(&b, key->account_id);
    hd_buf_puts(&b, ",\"scope\":");
    hd_jsonw_string(&b, scope_text);
    hd_buf_puts(&b, ",\"iat\":");
    hd_jsonw_i64(&b, now);
    hd_buf_puts(&b, ",\"exp\":");
    hd_jsonw_i64(&b, now + ttl);
    hd_buf_puts(&b, ",\"jti\":");
    hd_jsonw_string(&b, jti);
    hd_buf_puts(&b, "}");
    char *token = hd_jwt_sign_payload(b.data, b.len, app->shared->server_secret, HD_SECRET_LEN);
    b.len = 0;
    hd_buf_puts(&b, "{\"access_token\":");
    hd_jsonw_string(&b, token);
    hd_buf_puts(&b, ",\"token_type\":\"bearer\",\"expires_in\":");
    hd_jsonw_i64(&b, ttl);
    hd_buf_puts(&b, ",\"scope\":");
    hd_jsonw_string(&b, scope_text);
    hd_buf_puts(&b, "}");
    free(token);
    hd_res_header(res, "Pragma", "no-cache");
    hd_res_bytes(res, 200, "application/json", b.data, b.len);
    hd_buf_free(&b);
}

int hd_api_token(struct hd_req *req, struct hd_res *res)
{
    struct hd_form form;
    const char *why;
    if (!is_form(req))
        return oauth_error(res, 400, "invalid_request",
                           "Send the body as application/x-www-form-urlencoded, e.g. "
                           "grant_type=client_credentials.");
    if (hd_form_parse(req->body, req->arena, &form, &why))
        return oauth_error(res, 400, "invalid_request", why);
    const struct hd_form_field *grant = hd_form_get(&form, "grant_type");
    if (!grant)
        return oauth_error(res, 400, "invalid_request",
                           "grant_type is missing; send grant_type=client_credentials.");
    if (strcmp(grant->value, "client_credentials") != 0)
        return oauth_error(res, 400, "unsupported_grant_type",
                           "Only grant_type=client_credentials is supported.");
    struct client_auth client;
    struct hd_api_key key;
    unsigned scopes;
    if (read_client(req, res, &form, &client) || check_client(req, res, &client, &key) ||
        grant_scopes(res, &form, key.scopes, &scopes))
        return 0;
    issue(req, res, &key, scopes);
    return 0;
}

/* RFC 8414 §3.2 */
int hd_api_oauth_metadata(struct hd_req *req, struct hd_res *res)
{
    const char *iss = hd_app_of(req)->shared->issuer;
    char token_url[400];
    snprintf(token_url, sizeof(token_url), "%s/oauth/token", iss);
    hd_res_json(res, 200,
                json_pack("{s:s, s:s, s:[s], s:[s, s], s:[s, s, s, s]}", "issuer", iss,
                          "token_endpoint", token_url, "grant_types_supported",
                          "client_credentials", "token_endpoint_auth_methods_supported",
                          "client_secret_basic", "client_secret_post", "scopes_supported",
                          "notifications:read", "notifications:write", "admin:read",
                          "admin:write"));
    res->no_store = false;
    return 0;
}
