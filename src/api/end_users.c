/* end_users.c: /v1/systems/{systemId}/end-users (SPEC §5): upsert one, bulk upsert (up to
 * 10,000 in one transaction, each invalid item reported and skipped), list (id order, cursor,
 * search), get, delete (erases everything kept about them: see hd_store_end_user_delete), and
 * mint an end-user token for the workstation client (SPEC §6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/body.h"
#include "api/present.h"
#include "api/validate.h"
#include "auth/jwt.h"
#include "core/b64.h"
#include "core/time.h"

#define END_USER_ID_MAX      256
#define NAME_MAX_LEN         200
#define EMAIL_MAX_LEN        320
#define ATTRIBUTES_MAX_BYTES 8192
#define TOKEN_TTL_DEFAULT_S  86400
#define TOKEN_TTL_MAX_S      (30 * 86400)
#define BULK_MAX             10000
#define LIST_LIMIT_DEFAULT   50
#define LIST_LIMIT_MAX       200
#define SEARCH_MAX           256

static const char *const end_user_fields[] = {"name", "email", "attributes", NULL};
static const char *const bulk_item_fields[] = {"id", "name", "email", "attributes", NULL};
static const char *const bulk_fields[] = {"endUsers", NULL};
static const char *const token_fields[] = {"expiresIn", NULL};

const char *hd_api_end_user_id_problem(const char *s, size_t len)
{
    if (len < 1 || len > END_USER_ID_MAX)
        return "must be 1 to 256 bytes of UTF-8";
    if (strlen(s) != len)
        return "must not contain NUL characters";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return "must not contain control characters (a pasted newline or tab?)";
    if (s[0] == '<' && s[len - 1] == '>')
        return "is still a documentation sample such as \"<end user id>\"; put the real id";
    return NULL;
}

/* The id in v, or NULL after a problem for field. */
static const char *read_id(struct hd_problems *p, json_t *v, const char *field)
{
    const char *s = json_string_value(v), *why;
    if (!s)
        hd_problem(p, field, "must be a string: the end user's id, e.g. \"ada@example.com\"");
    else if ((why = hd_api_end_user_id_problem(s, json_string_length(v))))
        hd_problem(p, field, "%s", why);
    else
        return s;
    return NULL;
}

static int check_end_user_id(struct hd_res *res, struct hd_slice id)
{
    const char *why = hd_api_end_user_id_problem(id.ptr, id.len);
    if (!why)
        return 0;
    char msg[200];
    snprintf(msg, sizeof(msg), "The end-user id in the path %s.", why);
    hd_res_error(res, HD_E_VALIDATION, msg, NULL);
    return HD_E_VALIDATION;
}

static const char *read_attributes(struct hd_problems *p, json_t *body, const char *prefix,
                                   struct hd_arena *ar)
{
    const char *field = hd_arena_printf(ar, "%s%sattributes", prefix, *prefix ? "." : "");
    json_t *a = json_object_get(body, "attributes");
    if (!a || json_is_null(a))
        return "{}";
    if (!json_is_object(a)) {
        hd_problem(p, field, "must be an object of attribute names to values");
        return NULL;
    }
    char *text = json_dumps(a, JSON_COMPACT);
    const char *out = NULL;
    if (!text || strlen(text) > ATTRIBUTES_MAX_BYTES)
        hd_problem(p, field, "is larger than %d bytes", ATTRIBUTES_MAX_BYTES);
    else
        out = hd_arena_strdup(ar, text);
    free(text);
    return out;
}

/* name, email and attributes of obj into u (strings borrowed from obj or in ar). */
static void read_end_user(struct hd_problems *p, json_t *obj, const char *prefix,
                          struct hd_arena *ar, struct hd_end_user *u)
{
    u->name = hd_get_string(p, obj, prefix, "name", false, 0, NAME_MAX_LEN);
    u->email = hd_get_string(p, obj, prefix, "email", false, 0, EMAIL_MAX_LEN);
    u->attributes_json = read_attributes(p, obj, prefix, ar);
}

/* Answers 200 (201 when created) with the end user as stored. */
static int answer_end_user(struct hd_req *req, struct hd_res *res, const char *system_id,
                           const char *id, int status)
{
    struct hd_end_user u;
    int rc = hd_store_end_user_get(hd_app_of(req)->store, system_id, id, req->arena, &u);
    if (!rc)
        hd_res_json(res, status, hd_present_end_user(&u));
    return rc;
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
    struct hd_end_user u = {.id = req->params[1].ptr, .created_at = now, .updated_at = now};
    read_end_user(&p, body, "", req->arena, &u);
    u.name = hd_arena_strdup(req->arena, u.name);
    u.email = hd_arena_strdup(req->arena, u.email);
    json_decref(body);
    if (hd_problems_any(&p))
        return hd_problems_respond(&p, res);
    memcpy(u.system_id, sys.id, sizeof(u.system_id));
    bool created;
    struct hd_store *st = hd_app_of(req)->store;
    if ((rc = hd_store_end_user_upsert(st, &u, &created)) ||
        (rc = hd_store_end_user_refresh_rules(st, sys.id, u.id, now)))
        return rc;
    return answer_end_user(req, res, sys.id, u.id, created ? 201 : 200);
}

int hd_api_end_user_get(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)) || (rc = check_end_user_id(res, req->params[1])))
        return rc;
    rc = answer_end_user(req, res, sys.id, req->params[1].ptr, 200);
    if (rc == HD_E_NOT_FOUND)
        hd_res_error(res, rc, "No end user with this id in this system.", NULL);
    return rc;
}

int hd_api_end_user_delete(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)) || (rc = check_end_user_id(res, req->params[1])))
        return rc;
    rc = hd_store_end_user_delete(hd_app_of(req)->store, sys.id, req->params[1].ptr);
    if (rc == HD_E_NOT_FOUND)
        hd_res_error(res, rc, "No end user with this id in this system.", NULL);
    else if (!rc)
        hd_res_json(res, 204, NULL);
    return rc;
}

/* ---- list ---- */

struct list_query {
    const char *search, *after;
    size_t limit;
};

static void read_limit(struct hd_problems *p, const char *s, size_t *out)
{
    *out = LIST_LIMIT_DEFAULT;
    char *end;
    long v = s ? strtol(s, &end, 10) : 0;
    if (s && *s >= '0' && *s <= '9' && !*end && v >= 1 && v <= LIST_LIMIT_MAX)
        *out = (size_t)v;
    else if (s)
        hd_problem(p, "limit", "must be a whole number from 1 to %d (default %d)", LIST_LIMIT_MAX,
                   LIST_LIMIT_DEFAULT);
}

/* The cursor is the base64url of the last id of the previous page (ids may hold any byte). */
static const char *read_cursor(struct hd_problems *p, struct hd_arena *ar, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s), len = 0;
    unsigned char *id = hd_arena_alloc(ar, HD_B64_DECODED_SIZE(n) + 1);
    if (!n || n > 400 || hd_b64url_decode(s, n, id, &len) ||
        hd_api_end_user_id_problem((char *)id, len)) {
        hd_problem(p, "cursor",
                   "is not a cursor; pass the nextCursor of the previous page as it is");
        return NULL;
    }
    id[len] = '\0';
    return (const char *)id;
}

static int read_list_query(struct hd_req *req, struct hd_res *res, struct list_query *q)
{
    struct hd_problems p = {0};
    q->search = hd_req_query(req, "search");
    if (q->search && !*q->search)
        q->search = NULL; /* ?search= lists everyone */
    bool bad = q->search && strlen(q->search) > SEARCH_MAX;
    for (const char *c = q->search; c && *c; c++)
        bad |= (unsigned char)*c < 0x20 || *c == 0x7f;
    if (bad)
        hd_problem(&p, "search", "must be at most %d bytes, without control characters",
                   SEARCH_MAX);
    read_limit(&p, hd_req_query(req, "limit"), &q->limit);
    q->after = read_cursor(&p, req->arena, hd_req_query(req, "cursor"));
    return hd_problems_any(&p) ? hd_problems_respond(&p, res) : 0;
}

static const char *cursor_of(struct hd_arena *ar, const char *id)
{
    size_t n = strlen(id);
    char *out = hd_arena_alloc(ar, HD_B64_ENCODED_SIZE(n));
    hd_b64url_encode(out, (const unsigned char *)id, n);
    return out;
}

int hd_api_end_user_list(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    struct list_query q;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)) || (rc = read_list_query(req, res, &q)))
        return rc;
    /* one extra row tells whether another page exists */
    struct hd_end_user *list = hd_arena_alloc(req->arena, (q.limit + 1) * sizeof(*list));
    size_t n;
    rc = hd_store_end_user_list(hd_app_of(req)->store, sys.id, q.search, q.after, req->arena, list,
                                q.limit + 1, &n);
    if (rc)
        return rc;
    bool more = n > q.limit;
    if (more)
        n = q.limit;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, hd_present_end_user(&list[i]));
    hd_res_json(res, 200,
                hd_present_page(items, more ? cursor_of(req->arena, list[n - 1].id) : NULL));
    return 0;
}

/* ---- bulk upsert ---- */

/* Each item's problems as one sentence: "endUsers[3].email: is 400 bytes long…; …". */
static json_t *item_error(struct hd_problems *p, size_t index, const char *id)
{
    json_t *d, *msg = json_string("");
    size_t i;
    json_array_foreach(p->details, i, d)
    {
        json_t *m = json_sprintf("%s%s%s: %s", json_string_value(msg), i ? "; " : "",
                                 json_string_value(json_object_get(d, "field")),
                                 json_string_value(json_object_get(d, "message")));
        json_decref(msg);
        msg = m;
    }
    hd_problems_free(p);
    return json_pack("{s:I, s:s?, s:o}", "index", (json_int_t)index, "id", id, "message", msg);
}

/* Item index of the array into u, or an error appended to errors. seen: ids so far. */
static bool read_item(struct hd_arena *ar, json_t *item, size_t index, json_t *seen, json_t *errors,
                      struct hd_end_user *u)
{
    struct hd_problems p = {0};
    const char *prefix = hd_arena_printf(ar, "endUsers[%zu]", index), *id = NULL;
    if (!json_is_object(item)) {
        hd_problem(&p, prefix, "must be an object {\"id\", \"name\", \"email\", \"attributes\"}");
    } else {
        hd_check_fields(&p, item, prefix, bulk_item_fields);
        json_t *v = json_object_get(item, "id");
        if (!v)
            hd_problem(&p, hd_arena_printf(ar, "%s.id", prefix), "is required");
        else
            id = read_id(&p, v, hd_arena_printf(ar, "%s.id", prefix));
        read_end_user(&p, item, prefix, ar, u);
    }
    json_t *first = id ? json_object_get(seen, id) : NULL;
    if (first)
        hd_problem(&p, hd_arena_printf(ar, "%s.id", prefix),
                   "appears again (first at index %" JSON_INTEGER_FORMAT
                   "); list each end user once per call",
                   json_integer_value(first));
    if (hd_problems_any(&p)) {
        json_array_append_new(
            errors, item_error(&p, index, json_string_value(json_object_get(item, "id"))));
        return false;
    }
    json_object_set_new(seen, id, json_integer((json_int_t)index));
    u->id = id;
    return true;
}

/* The endUsers array of body, or NULL after answering 422. */
static json_t *bulk_array(json_t *body, struct hd_res *res)
{
    struct hd_problems p = {0};
    hd_check_fields(&p, body, "", bulk_fields);
    json_t *a = json_object_get(body, "endUsers");
    if (!a)
        hd_problem(&p, "endUsers", "is required: {\"endUsers\": [{\"id\": \"ada@example.com\"}]}");
    else if (!json_is_array(a))
        hd_problem(&p, "endUsers",
                   "must be an array of end users {\"id\", \"name\", \"email\", "
                   "\"attributes\"}");
    else if (json_array_size(a) > BULK_MAX)
        hd_problem(&p, "endUsers", "has %zu entries; at most %d per call", json_array_size(a),
                   BULK_MAX);
    if (hd_problems_any(&p)) {
        (void)hd_problems_respond(&p, res);
        return NULL;
    }
    return a;
}

int hd_api_end_user_bulk(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    json_t *body, *a, *item;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)) || (rc = hd_body_json(req, res, &body)))
        return rc;
    if (!(a = bulk_array(body, res))) {
        json_decref(body);
        return HD_E_VALIDATION;
    }
    struct hd_end_user *users =
        hd_arena_alloc(req->arena, (json_array_size(a) + 1) * sizeof(*users));
    json_t *seen = json_object(), *errors = json_array();
    int64_t now = hd_time_now_ms();
    size_t n = 0, i, created = 0, updated = 0;
    json_array_foreach(a, i, item)
    {
        users[n] = (struct hd_end_user){.created_at = now, .updated_at = now};
        memcpy(users[n].system_id, sys.id, sizeof(users[n].system_id));
        n += read_item(req->arena, item, i, seen, errors, &users[n]);
    }
    rc =
        n ? hd_store_end_users_upsert_many(hd_app_of(req)->store, users, n, &created, &updated) : 0;
    json_decref(seen);
    json_decref(body);
    if (rc) {
        json_decref(errors);
        return rc;
    }
    hd_res_json(res, 200,
                json_pack("{s:I, s:I, s:o}", "created", (json_int_t)created, "updated",
                          (json_int_t)updated, "errors", errors));
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
