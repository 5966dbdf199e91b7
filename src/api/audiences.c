/* audiences.c: /v1/systems/{systemId}/audiences (SPEC §5): create (an explicit member list of up
 * to 100,000 end-user ids, or rules), list and get with their size, soft delete, add members
 * (bulk) and remove one, and preview rules (count and a sample) before saving them.
 *
 * Rules (the format is specified beside HD_RULES_* in store/store.h):
 *   {"all": [cond | group, …]}  every one holds      {"any": [cond | group, …]}  one holds
 *   cond = {"attribute": "department", "operator": "is" | "is not" | "like", "value": "Sales"}
 * attribute "id", "name" or "email" is the end user's own field, any other a key of their
 * attributes; `like` takes % and _ wildcards, case-insensitively. Groups nest 3 deep, with 20
 * conditions in all. Operators are accepted in any case and stored in lower case; a whole-number
 * value is stored as its text.
 *
 * A rule audience's members are the end users its rules match, materialized when it is created,
 * when a notification targets it, and for one user when that user is upserted or reads their
 * feed; it takes no explicit members (409). A deleted audience can no longer be targeted, read
 * or changed; what was already sent to it stays in its members' feeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/app.h"
#include "api/body.h"
#include "api/present.h"
#include "api/validate.h"
#include "core/time.h"

#define NAME_MAX_LEN       200
#define MEMBERS_MAX        100000
#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX     200
#define PREVIEW_SAMPLE     10

static const char *const create_fields[] = {"name", "endUsersIds", "rules", NULL};
static const char *const members_fields[] = {"endUsersIds", NULL};
static const char *const preview_fields[] = {"rules", NULL};
static const char *const group_keys[] = {"all", "any", NULL};
static const char *const cond_keys[] = {"attribute", "operator", "value", NULL};
static const char *const operators[] = {"is", "is not", "like", NULL};

#define RULES_EXAMPLE                                                                              \
    "{\"all\": [{\"attribute\": \"department\", \"operator\": \"is\", \"value\": \"Sales\"}]}"

/* ---- rules: every problem named by its path, e.g. rules.any[1].all[0].operator ---- */

struct rules_check {
    struct hd_problems *p;
    struct hd_arena *ar;
    int conds;
};

static json_t *check_node(struct rules_check *c, json_t *node, const char *field, int depth);

static const char *check_operator(struct rules_check *c, json_t *op, const char *field)
{
    const char *o = json_string_value(op), *guess;
    for (const char *const *k = operators; o && *k; k++)
        if (!strcasecmp(o, *k))
            return *k;
    if (o && (guess = hd_did_you_mean(o, operators)))
        hd_problem(c->p, field, "\"%.40s\" is not an operator; did you mean \"%s\"?", o, guess);
    else
        hd_problem(c->p, field, "must be \"is\", \"is not\" or \"like\"");
    return NULL;
}

static json_t *check_value(struct rules_check *c, json_t *v, const char *field)
{
    if (json_is_integer(v))
        return json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (!v || !json_is_string(v)) {
        hd_problem(c->p, field, "must be a string (or a whole number), e.g. \"Sales\"");
        return NULL;
    }
    const char *s = json_string_value(v);
    bool ctl = strlen(s) != json_string_length(v);
    for (; *s; s++)
        ctl |= (unsigned char)*s < 0x20 || *s == 0x7f;
    if (json_string_length(v) > HD_RULE_VALUE_MAX || ctl) {
        hd_problem(c->p, field, "must be at most %d bytes, without control characters",
                   HD_RULE_VALUE_MAX);
        return NULL;
    }
    return json_incref(v);
}

static bool check_attribute(struct rules_check *c, json_t *a, const char *field)
{
    const char *s = json_string_value(a);
    bool ok = s && json_string_length(a) >= 1 && json_string_length(a) <= HD_RULE_ATTRIBUTE_MAX &&
              strlen(s) == json_string_length(a);
    for (; ok && *s; s++)
        ok = (unsigned char)*s >= 0x20 && *s != 0x7f && *s != '"';
    if (!ok)
        hd_problem(c->p, field,
                   "must be \"id\", \"name\", \"email\" or an attribute name: 1 to %d bytes, "
                   "without control characters or '\"'",
                   HD_RULE_ATTRIBUTE_MAX);
    return ok;
}

static json_t *check_cond(struct rules_check *c, json_t *node, const char *field)
{
    hd_check_fields(c->p, node, field, cond_keys);
    json_t *attr = json_object_get(node, "attribute");
    const char *f_attr = hd_arena_printf(c->ar, "%s.attribute", field);
    const char *f_op = hd_arena_printf(c->ar, "%s.operator", field);
    bool attr_ok = check_attribute(c, attr, f_attr);
    const char *op = check_operator(c, json_object_get(node, "operator"), f_op);
    json_t *value =
        check_value(c, json_object_get(node, "value"), hd_arena_printf(c->ar, "%s.value", field));
    c->conds++;
    if (!attr_ok || !op || !value) {
        json_decref(value);
        return NULL;
    }
    return json_pack("{s:O, s:s, s:o}", "attribute", attr, "operator", op, "value", value);
}

static json_t *check_group(struct rules_check *c, json_t *node, const char *field, int depth)
{
    bool all = json_object_get(node, "all") != NULL;
    const char *key = all ? "all" : "any";
    json_t *list = json_object_get(node, key), *item, *out = json_array();
    const char *f = hd_arena_printf(c->ar, "%s.%s", field, key);
    size_t i;
    hd_check_fields(c->p, node, field, group_keys);
    if (all && json_object_get(node, "any"))
        hd_problem(c->p, field, "has both all and any; put one group inside the other");
    else if (depth > HD_RULES_MAX_DEPTH)
        hd_problem(c->p, field, "nests groups more than %d deep", HD_RULES_MAX_DEPTH);
    else if (!json_is_array(list) || !json_array_size(list))
        hd_problem(c->p, f, "must be a non-empty array of conditions or groups");
    else
        json_array_foreach(list, i, item)
        {
            json_t *one = check_node(c, item, hd_arena_printf(c->ar, "%s[%zu]", f, i), depth + 1);
            json_array_append_new(out, one ? one : json_null());
        }
    return json_pack("{s:o}", key, out);
}

static json_t *check_node(struct rules_check *c, json_t *node, const char *field, int depth)
{
    if (!json_is_object(node)) {
        hd_problem(c->p, field,
                   "must be a condition {\"attribute\", \"operator\", \"value\"} or a group "
                   "{\"all\": […]} / {\"any\": […]}");
        return NULL;
    }
    if (json_object_get(node, "all") || json_object_get(node, "any"))
        return check_group(c, node, field, depth);
    if (depth == 1) {
        hd_problem(c->p, field, "must be a group, e.g. %s", RULES_EXAMPLE);
        return NULL;
    }
    return check_cond(c, node, field);
}

/* The rules of body as canonical JSON text (in ar), or NULL: absent, or a problem. */
static const char *read_rules(struct hd_problems *p, json_t *body, struct hd_arena *ar)
{
    json_t *rules = json_object_get(body, "rules");
    if (!rules || json_is_null(rules))
        return NULL;
    struct rules_check c = {p, ar, 0};
    size_t before = json_array_size(p->details);
    json_t *canon = check_node(&c, rules, "rules", 1);
    if (c.conds > HD_RULES_MAX_CONDITIONS)
        hd_problem(p, "rules", "has %d conditions; at most %d", c.conds, HD_RULES_MAX_CONDITIONS);
    const char *out = NULL;
    if (canon && json_array_size(p->details) == before) {
        char *text = json_dumps(canon, JSON_COMPACT);
        out = hd_arena_strdup(ar, text);
        free(text);
    }
    json_decref(canon);
    return out;
}

/* ---- members ---- */

/* The endUsersIds of body (duplicates left to the store to fold); *n gets how many. */
static const char **read_members(struct hd_problems *p, json_t *body, struct hd_arena *ar,
                                 size_t *n)
{
    json_t *a = json_object_get(body, "endUsersIds"), *v;
    size_t i;
    *n = 0;
    if (!a || json_is_null(a))
        return NULL;
    if (!json_is_array(a) || json_array_size(a) > MEMBERS_MAX) {
        hd_problem(p, "endUsersIds", "must be an array of at most %d end-user ids", MEMBERS_MAX);
        return NULL;
    }
    const char **ids = hd_arena_alloc(ar, (json_array_size(a) + 1) * sizeof(*ids));
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(v);
        const char *why = s ? hd_api_end_user_id_problem(s, json_string_length(v))
                            : "must be a string: an end user's id";
        if (why)
            hd_problem(p, hd_arena_printf(ar, "endUsersIds[%zu]", i), "%s", why);
        else
            ids[(*n)++] = s;
    }
    return ids;
}

/* ---- handlers ---- */

/* The system of the path, and the audience id of parameter 1 (404 unless a UUID). */
static int load(struct hd_req *req, struct hd_res *res, struct hd_system *sys)
{
    int rc = hd_api_load_system(req, res, sys);
    if (!rc && req->nparams > 1 && !hd_id_is_uuid(req->params[1]))
        rc = HD_E_NOT_FOUND;
    if (rc == HD_E_NOT_FOUND && res->status == 0)
        hd_res_error(res, rc, "No such audience in this system: audience ids are UUIDs.", NULL);
    return rc;
}

static int not_found(struct hd_res *res, int rc)
{
    if (rc == HD_E_NOT_FOUND)
        hd_res_error(res, rc, "No such audience in this system (or it was deleted).", NULL);
    return rc;
}

static int rules_own_members(struct hd_res *res)
{
    hd_res_error(res, HD_E_CONFLICT,
                 "This audience's members are the end users its rules match; it takes no "
                 "explicit members. Change its rules or the end users' attributes instead.",
                 NULL);
    return HD_E_CONFLICT;
}

static int answer_audience(struct hd_req *req, struct hd_res *res, const char *system_id,
                           const char *id, int status)
{
    struct hd_audience a;
    int rc = hd_store_audience_get(hd_app_of(req)->store, system_id, id, req->arena, &a);
    if (rc)
        return not_found(res, rc);
    if (status == 201)
        hd_res_headerf(res, "Location", "/v1/systems/%s/audiences/%s", system_id, id);
    hd_res_json(res, status, hd_present_audience(&a));
    return 0;
}

/* The body of a create into a (strings in the arena) and its members. */
static int read_create(struct hd_req *req, struct hd_res *res, struct hd_audience *a,
                       const char ***members, size_t *n)
{
    json_t *body;
    int rc = hd_body_json(req, res, &body);
    if (rc)
        return rc;
    struct hd_problems p = {0};
    hd_check_fields(&p, body, "", create_fields);
    a->name =
        hd_arena_strdup(req->arena, hd_get_string(&p, body, "", "name", true, 1, NAME_MAX_LEN));
    a->rules_json = read_rules(&p, body, req->arena);
    *members = read_members(&p, body, req->arena, n);
    for (size_t i = 0; i < *n; i++)
        (*members)[i] = hd_arena_strdup(req->arena, (*members)[i]);
    if (*n && json_object_get(body, "rules") && !json_is_null(json_object_get(body, "rules")))
        hd_problem(&p, "endUsersIds",
                   "an audience with rules takes its members from them; send rules or "
                   "endUsersIds, not both");
    json_decref(body);
    return hd_problems_any(&p) ? hd_problems_respond(&p, res) : 0;
}

int hd_api_audience_create(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    struct hd_audience a = {.created_at = hd_time_now_ms()};
    const char **members;
    size_t n;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)) || (rc = read_create(req, res, &a, &members, &n)))
        return rc;
    hd_id_uuid7(a.id, a.created_at);
    memcpy(a.system_id, sys.id, sizeof(a.system_id));
    rc = hd_store_audience_insert(hd_app_of(req)->store, &a, members, n);
    return rc ? rc : answer_audience(req, res, sys.id, a.id, 201);
}

int hd_api_audience_get(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    int rc = load(req, res, &sys);
    return rc ? rc : answer_audience(req, res, sys.id, req->params[1].ptr, 200);
}

int hd_api_audience_delete(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    int rc = load(req, res, &sys);
    if (rc)
        return rc;
    rc = hd_store_audience_delete(hd_app_of(req)->store, sys.id, req->params[1].ptr,
                                  hd_time_now_ms());
    if (!rc)
        hd_res_json(res, 204, NULL);
    return not_found(res, rc);
}

static int read_list(struct hd_req *req, struct hd_res *res, size_t *limit, const char **after)
{
    struct hd_problems p = {0};
    const char *s = hd_req_query(req, "limit");
    char *end;
    long v = s ? strtol(s, &end, 10) : LIST_LIMIT_DEFAULT;
    if (s && !(*s >= '0' && *s <= '9' && !*end && v >= 1 && v <= LIST_LIMIT_MAX))
        hd_problem(&p, "limit", "must be a whole number from 1 to %d (default %d)", LIST_LIMIT_MAX,
                   LIST_LIMIT_DEFAULT);
    *limit = (size_t)v;
    *after = hd_req_query(req, "cursor");
    if (*after && !hd_id_is_uuid(hd_slice_of(*after)))
        hd_problem(&p, "cursor",
                   "is not a cursor; pass the nextCursor of the previous page as it is");
    return hd_problems_any(&p) ? hd_problems_respond(&p, res) : 0;
}

int hd_api_audience_list(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    size_t limit, n;
    const char *after;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)) || (rc = read_list(req, res, &limit, &after)))
        return rc;
    /* one extra row tells whether another page exists */
    struct hd_audience *list = hd_arena_alloc(req->arena, (limit + 1) * sizeof(*list));
    rc = hd_store_audience_list(hd_app_of(req)->store, sys.id, after, req->arena, list, limit + 1,
                                &n);
    if (rc)
        return rc;
    bool more = n > limit;
    if (more)
        n = limit;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, hd_present_audience(&list[i]));
    hd_res_json(res, 200, hd_present_page(items, more ? list[n - 1].id : NULL));
    return 0;
}

int hd_api_audience_members_add(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    json_t *body;
    int rc;
    if ((rc = load(req, res, &sys)) || (rc = hd_body_json(req, res, &body)))
        return rc;
    struct hd_problems p = {0};
    size_t n, added;
    int64_t size;
    hd_check_fields(&p, body, "", members_fields);
    if (!json_object_get(body, "endUsersIds"))
        hd_problem(&p, "endUsersIds", "is required: {\"endUsersIds\": [\"ada@example.com\"]}");
    const char **ids = read_members(&p, body, req->arena, &n);
    if (!hd_problems_any(&p))
        rc = hd_store_audience_add_members(hd_app_of(req)->store, sys.id, req->params[1].ptr, ids,
                                           n, hd_time_now_ms(), &added, &size);
    json_decref(body);
    if (hd_problems_any(&p))
        return hd_problems_respond(&p, res);
    if (rc == HD_E_CONFLICT)
        return rules_own_members(res);
    if (!rc)
        hd_res_json(res, 200,
                    json_pack("{s:I, s:I}", "added", (json_int_t)added, "size", (json_int_t)size));
    return not_found(res, rc);
}

int hd_api_audience_member_remove(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    struct hd_audience a;
    struct hd_store *st = hd_app_of(req)->store;
    int rc = load(req, res, &sys);
    if (rc)
        return rc;
    if ((rc = hd_store_audience_get(st, sys.id, req->params[1].ptr, req->arena, &a)))
        return not_found(res, rc);
    struct hd_slice uid = req->params[2];
    rc = hd_api_end_user_id_problem(uid.ptr, uid.len)
             ? HD_E_NOT_FOUND
             : hd_store_audience_remove_member(st, sys.id, a.id, uid.ptr, hd_time_now_ms());
    if (rc == HD_E_CONFLICT)
        return rules_own_members(res);
    if (rc == HD_E_NOT_FOUND)
        hd_res_error(res, rc, "This end user is not a member of this audience.", NULL);
    else if (!rc)
        hd_res_json(res, 204, NULL);
    return rc;
}

int hd_api_audience_preview(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    json_t *body;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)) || (rc = hd_body_json(req, res, &body)))
        return rc;
    struct hd_problems p = {0};
    hd_check_fields(&p, body, "", preview_fields);
    const char *rules = read_rules(&p, body, req->arena);
    if (!rules && !hd_problems_any(&p))
        hd_problem(&p, "rules", "is required, e.g. %s", RULES_EXAMPLE);
    json_decref(body);
    if (hd_problems_any(&p))
        return hd_problems_respond(&p, res);
    struct hd_end_user sample[PREVIEW_SAMPLE];
    int64_t count;
    size_t n;
    rc = hd_store_audience_preview(hd_app_of(req)->store, sys.id, rules, req->arena, &count, sample,
                                   PREVIEW_SAMPLE, &n);
    if (rc)
        return rc;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, hd_present_end_user(&sample[i]));
    hd_res_json(res, 200, json_pack("{s:I, s:o}", "count", (json_int_t)count, "sample", list));
    return 0;
}
