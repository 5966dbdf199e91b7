/* templates.c: /v1/systems/{systemId}/templates (SPEC §5). Placeholders are extracted from the
 * title, description, button text and button URL when the template is created or replaced.
 * A template used by a notification is locked (SPEC §1): replacing it is a 409 that says to
 * duplicate it. Archived templates stay readable here but no trigger can use them. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/body.h"
#include "api/payload.h"
#include "api/present.h"
#include "api/validate.h"
#include "core/time.h"
#include "core/url.h"
#include "notify/render.h"
#include "notify/trigger.h"

#define NAME_MAX_LEN        200
#define TITLE_MAX_LEN       500
#define DESCRIPTION_MAX_LEN 4000
#define BUTTON_TEXT_MAX_LEN 100
#define URL_MAX_LEN         2000
#define COPY_SUFFIX         " (copy)"

static const char *const template_fields[] = {
    "name", "title", "description", "button", "notificationType", NULL};
static const char *const button_fields[] = {"text", "url", NULL};
static const char *const duplicate_fields[] = {"name", NULL};
static const char *const preview_fields[] = {"override", NULL};

/* "push" or "popup", case-insensitive (the original documentation writes "Push"). */
const char *hd_api_notification_type(const char *s)
{
    if (!strcasecmp(s, "push"))
        return "push";
    if (!strcasecmp(s, "popup"))
        return "popup";
    return NULL;
}

/* A button URL is an http(s) URL once its placeholders are filled, or a placeholder alone. */
static bool button_url_ok(struct hd_arena *ar, const char *url)
{
    struct hd_placeholders ph = {0};
    if (hd_render_extract(url, strlen(url), &ph))
        return false;
    struct hd_override ov[HD_PLACEHOLDERS_MAX];
    bool whole = ph.n == 1 && strlen(url) == strlen(ph.names[0]) + 6;
    for (size_t i = 0; i < ph.n; i++)
        ov[i] = (struct hd_override){hd_slice_of(ph.names[i]), HD_SLICE_LIT("x")};
    if (whole)
        return true;
    const char *sample = hd_render(ar, url, strlen(url), ov, ph.n);
    return sample && hd_url_is_http(sample);
}

static void read_button(struct hd_problems *p, json_t *body, struct hd_arena *ar,
                        struct hd_template *t)
{
    json_t *b = json_object_get(body, "button");
    if (!b || json_is_null(b))
        return;
    if (!json_is_object(b)) {
        hd_problem(p, "button", "must be an object {\"text\": \"…\", \"url\": \"https://…\"}");
        return;
    }
    hd_check_fields(p, b, "button", button_fields);
    t->button_text = hd_get_string(p, b, "button", "text", true, 1, BUTTON_TEXT_MAX_LEN);
    t->button_url = hd_get_string(p, b, "button", "url", true, 1, URL_MAX_LEN);
    if (t->button_url && !button_url_ok(ar, t->button_url))
        hd_problem(p, "button.url",
                   "must be an absolute http:// or https:// URL, or a placeholder such as "
                   "###URL###; the button's only action is opening a link");
}

static void read_template(struct hd_problems *p, json_t *body, struct hd_arena *ar,
                          struct hd_template *t)
{
    hd_check_fields(p, body, "", template_fields);
    t->name = hd_get_string(p, body, "", "name", true, 1, NAME_MAX_LEN);
    t->title = hd_get_string(p, body, "", "title", true, 1, TITLE_MAX_LEN);
    t->description = hd_get_string(p, body, "", "description", false, 0, DESCRIPTION_MAX_LEN);
    if (!t->description)
        t->description = "";
    const char *type = hd_get_string(p, body, "", "notificationType", false, 1, 16);
    t->type = type ? hd_api_notification_type(type) : "push";
    if (!t->type)
        hd_problem(p, "notificationType", "must be \"push\" or \"popup\", not \"%s\"", type);
    read_button(p, body, ar, t);
}

/* Fills placeholders_json from every text of the template. */
static int extract_all(struct hd_problems *p, struct hd_arena *ar, struct hd_template *t)
{
    struct hd_placeholders ph = {0};
    const char *texts[] = {t->title, t->description, t->button_text, t->button_url};
    for (size_t i = 0; i < 4; i++)
        if (texts[i] && hd_render_extract(texts[i], strlen(texts[i]), &ph)) {
            hd_problem(p, "placeholders", "a template may use at most %d distinct placeholders",
                       HD_PLACEHOLDERS_MAX);
            return HD_E_VALIDATION;
        }
    json_t *names = json_array();
    for (size_t i = 0; i < ph.n; i++)
        json_array_append_new(names, json_string(ph.names[i]));
    char *text = json_dumps(names, JSON_COMPACT);
    t->placeholders_json = hd_arena_strdup(ar, text);
    free(text);
    json_decref(names);
    return 0;
}

/* Copies every string of t into the arena, so the request body can be released. */
static void own_strings(struct hd_arena *ar, struct hd_template *t)
{
    const char **fields[] = {&t->name, &t->title, &t->description, &t->button_text, &t->button_url};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        *fields[i] = hd_arena_strdup(ar, *fields[i]);
}

/* Reads and checks a template body into t (strings in the arena, placeholders extracted), or
 * answers 400/415/422. */
static int read_template_body(struct hd_req *req, struct hd_res *res, struct hd_template *t)
{
    json_t *body;
    int rc = hd_body_json(req, res, &body);
    if (rc)
        return rc;
    struct hd_problems p = {0};
    read_template(&p, body, req->arena, t);
    own_strings(req->arena, t);
    json_decref(body);
    if (!hd_problems_any(&p))
        (void)extract_all(&p, req->arena, t);
    return hd_problems_any(&p) ? hd_problems_respond(&p, res) : 0;
}

int hd_api_template_create(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    struct hd_template_admin a = {.t = {.created_at = hd_time_now_ms()}};
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)) || (rc = read_template_body(req, res, &a.t)))
        return rc;
    hd_id_uuid4(a.t.id);
    memcpy(a.t.system_id, sys.id, sizeof(a.t.system_id));
    a.updated_at = a.t.created_at;
    rc = hd_store_template_insert(hd_app_of(req)->store, &a.t);
    if (rc)
        return rc;
    hd_res_headerf(res, "Location", "/v1/systems/%s/templates/%s", sys.id, a.t.id);
    hd_res_json(res, 201, hd_present_template_admin(&a));
    return 0;
}

static int template_not_found(struct hd_req *req, struct hd_res *res, const struct hd_system *sys)
{
    const char *msg =
        hd_id_is_uuid(req->params[1])
            ? hd_arena_printf(req->arena, "No template %s in system %s.", req->params[1].ptr,
                              sys->id)
            : hd_arena_printf(req->arena, "No such template in system %s: ids are UUIDs.", sys->id);
    hd_res_error(res, HD_E_NOT_FOUND, msg, NULL);
    return HD_E_NOT_FOUND;
}

/* The system of path parameter 0 and its template of parameter 1 (archived or not), or a 404
 * answered. */
static int load_template(struct hd_req *req, struct hd_res *res, struct hd_system *sys,
                         struct hd_template_admin *out)
{
    int rc = hd_api_load_system(req, res, sys);
    if (rc)
        return rc;
    rc = hd_id_is_uuid(req->params[1])
             ? hd_store_template_get_admin(hd_app_of(req)->store, sys->id, req->params[1].ptr,
                                           req->arena, out)
             : HD_E_NOT_FOUND;
    return rc == HD_E_NOT_FOUND ? template_not_found(req, res, sys) : rc;
}

int hd_api_template_get(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    struct hd_template_admin a;
    int rc = load_template(req, res, &sys, &a);
    if (rc)
        return rc;
    hd_res_json(res, 200, hd_present_template_admin(&a));
    return 0;
}

/* Newest first; archived ones only with ?archived=true. The cursor is the last id of a page. */
int hd_api_template_list(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    struct hd_template_query q;
    struct hd_problems p = {0};
    size_t n;
    int rc = hd_api_load_system(req, res, &sys);
    if (rc)
        return rc;
    hd_api_page_query(req, &p, hd_id_is_uuid, &q.limit, &q.before);
    (void)hd_api_query_bool(req, &p, "archived", &q.archived);
    if (hd_problems_any(&p))
        return hd_problems_respond(&p, res);
    q.system_id = sys.id;
    size_t limit = q.limit++; /* one extra row tells whether another page exists */
    struct hd_template_admin *list = hd_arena_alloc(req->arena, q.limit * sizeof(*list));
    if ((rc = hd_store_template_list(hd_app_of(req)->store, &q, req->arena, list, &n)))
        return rc;
    bool more = n > limit;
    n = more ? limit : n;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, hd_present_template_admin(&list[i]));
    hd_res_json(res, 200, hd_present_page(items, more ? list[n - 1].t.id : NULL));
    return 0;
}

/* 409 for a template that cannot change: locked by its notifications, or archived. */
static int refuse_change(struct hd_req *req, struct hd_res *res, const struct hd_template_admin *a)
{
    int64_t uses = 0;
    const struct hd_template *t = &a->t;
    int rc = a->archived_at
                 ? 0
                 : hd_store_template_uses(hd_app_of(req)->store, t->system_id, t->id, &uses);
    if (rc)
        return rc;
    const char *why = a->archived_at
                          ? hd_arena_printf(req->arena, "Template %s is archived", t->id)
                          : hd_arena_printf(req->arena,
                                            "Template %s is used by %lld notification(s), so it "
                                            "can no longer change",
                                            t->id, (long long)uses);
    hd_res_error(res, HD_E_CONFLICT,
                 hd_arena_printf(req->arena,
                                 "%s; duplicate it with POST /v1/systems/%s/templates/%s/duplicate "
                                 "and edit the copy.",
                                 why, t->system_id, t->id),
                 NULL);
    return HD_E_CONFLICT;
}

/* PUT: a full replacement, validated like a creation; refused once the template is locked. */
int hd_api_template_update(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    struct hd_template_admin a;
    int rc = load_template(req, res, &sys, &a);
    if (rc)
        return rc;
    if (a.locked_at || a.archived_at)
        return refuse_change(req, res, &a);
    struct hd_template t = {.created_at = a.t.created_at};
    if ((rc = read_template_body(req, res, &t)))
        return rc;
    memcpy(t.id, a.t.id, sizeof(t.id));
    memcpy(t.system_id, sys.id, sizeof(t.system_id));
    int64_t now = hd_time_now_ms();
    rc = hd_store_template_update(hd_app_of(req)->store, &t, now);
    if (rc == HD_E_CONFLICT) { /* a trigger locked it meanwhile */
        a.locked_at = now;
        return refuse_change(req, res, &a);
    }
    if (rc == HD_E_NOT_FOUND)
        return template_not_found(req, res, &sys);
    if (rc)
        return rc;
    a.t = t;
    a.updated_at = now;
    hd_res_json(res, 200, hd_present_template_admin(&a));
    return 0;
}

/* DELETE archives; archiving an archived template again changes nothing. */
int hd_api_template_archive(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    struct hd_template_admin a;
    int rc = load_template(req, res, &sys, &a);
    if (!rc && !a.archived_at)
        rc = hd_store_template_archive(hd_app_of(req)->store, sys.id, a.t.id, hd_time_now_ms());
    if (rc == HD_E_NOT_FOUND && !res->status)
        rc = 0; /* archived meanwhile */
    if (rc)
        return rc;
    hd_res_json(res, 204, NULL);
    return 0;
}

/* The body, or an empty object when there is none (duplicate and preview take an optional one). */
static int optional_body(struct hd_req *req, struct hd_res *res, json_t **out)
{
    if (req->body.len == 0) {
        *out = json_object();
        return 0;
    }
    return hd_body_json(req, res, out);
}

/* "<name> (copy)", the name cut at a character boundary so that it fits. */
static const char *copy_name(struct hd_arena *ar, const char *name)
{
    size_t len = strlen(name), max = NAME_MAX_LEN - strlen(COPY_SUFFIX);
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80)
            len--;
    }
    return hd_arena_printf(ar, "%.*s" COPY_SUFFIX, (int)len, name);
}

/* POST .../duplicate {"name"?}: a new, unlocked copy, the way to edit a locked template. */
int hd_api_template_duplicate(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    struct hd_template_admin a;
    json_t *body;
    int rc;
    if ((rc = load_template(req, res, &sys, &a)) || (rc = optional_body(req, res, &body)))
        return rc;
    struct hd_problems p = {0};
    hd_check_fields(&p, body, "", duplicate_fields);
    const char *name =
        hd_arena_strdup(req->arena, hd_get_string(&p, body, "", "name", false, 1, NAME_MAX_LEN));
    json_decref(body);
    if (hd_problems_any(&p))
        return hd_problems_respond(&p, res);
    struct hd_template_admin copy = {.t = a.t, .updated_at = hd_time_now_ms()};
    copy.t.name = name ? name : copy_name(req->arena, a.t.name);
    copy.t.created_at = copy.updated_at;
    hd_id_uuid4(copy.t.id);
    if ((rc = hd_store_template_insert(hd_app_of(req)->store, &copy.t)))
        return rc;
    hd_res_headerf(res, "Location", "/v1/systems/%s/templates/%s", sys.id, copy.t.id);
    hd_res_json(res, 201, hd_present_template_admin(&copy));
    return 0;
}

/* ---- preview ---- */

/* {"override": [{"key","value"}...]} into t, with room for HD_PLACEHOLDERS_MAX more. */
static void read_preview(struct hd_problems *p, json_t *body, struct hd_arena *ar,
                         struct hd_trigger *t)
{
    hd_check_fields(p, body, "", preview_fields);
    hd_payload_read_overrides(p, json_object_get(body, "override"), "override", ar,
                              HD_PLACEHOLDERS_MAX, t);
    if (!t->overrides)
        t->overrides = hd_arena_alloc(ar, (HD_PLACEHOLDERS_MAX + 1) * sizeof(*t->overrides));
}

/* Gives each placeholder of tpl without a value an override that leaves it as it is, so the
 * preview shows ###NAME### there instead of failing; the names go to missing. */
static void fill_missing(const struct hd_template *tpl, struct hd_arena *ar, struct hd_trigger *t,
                         json_t *missing)
{
    struct hd_placeholders ph = {0};
    const char *texts[] = {tpl->title, tpl->description, tpl->button_text, tpl->button_url};
    for (size_t i = 0; i < 4; i++)
        if (texts[i] && hd_render_extract(texts[i], strlen(texts[i]), &ph))
            break;
    struct hd_override *ov = (struct hd_override *)t->overrides;
    size_t given = t->n_overrides;
    for (size_t i = 0; i < ph.n; i++) {
        bool found = false;
        for (size_t j = 0; j < given && !found; j++)
            found = hd_slice_eq(ov[j].name, ph.names[i]);
        if (found)
            continue;
        const char *name = hd_arena_strdup(ar, ph.names[i]);
        ov[t->n_overrides++] = (struct hd_override){
            hd_slice_of(name), hd_slice_of(hd_arena_printf(ar, "###%s###", name))};
        json_array_append_new(missing, json_string(name));
    }
}

/* The trigger's problems as the preview shows them: fields without "notification.", and no
 * complaint about a button URL that is not a URL only because a placeholder has no value yet
 * (trigger.c adds that one alone, when nothing else is wrong). */
static void adapt_problems(struct hd_problems *p, struct hd_arena *ar, const char *url)
{
    json_t *d = p->details, *item;
    size_t i;
    const char *msg = json_string_value(json_object_get(json_array_get(d, 0), "message"));
    struct hd_placeholders left = {0};
    if (json_array_size(d) == 1 && msg && !strncmp(msg, "the button URL becomes", 22) && url &&
        !hd_render_extract(url, strlen(url), &left) && left.n && button_url_ok(ar, url)) {
        hd_problems_free(p);
        return;
    }
    json_array_foreach(d, i, item)
    {
        const char *f = json_string_value(json_object_get(item, "field"));
        if (f && !strncmp(f, "notification.", 13))
            json_object_set_new(item, "field", json_string(f + 13));
    }
}

/* POST .../preview {"override"?}: the template rendered as a trigger with these overrides
 * would render it (same rules), except that placeholders without a value stay as they are and
 * are listed in "missing". */
int hd_api_template_preview(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    struct hd_template_admin a;
    json_t *body;
    int rc;
    if ((rc = load_template(req, res, &sys, &a)) || (rc = optional_body(req, res, &body)))
        return rc;
    struct hd_problems p = {0};
    struct hd_trigger t = {0};
    read_preview(&p, body, req->arena, &t);
    json_decref(body);
    if (hd_problems_any(&p))
        return hd_problems_respond(&p, res);
    json_t *missing = json_array();
    fill_missing(&a.t, req->arena, &t, missing);
    struct hd_notification n = {0};
    if (hd_trigger_prepare(&t, &a.t, hd_time_now_ms(), req->arena, &p, &n))
        adapt_problems(&p, req->arena, n.button_url);
    if (hd_problems_any(&p)) {
        json_decref(missing);
        return hd_problems_respond(&p, res);
    }
    json_t *ph = json_loads(a.t.placeholders_json, 0, NULL);
    json_t *button = n.button_url
                         ? json_pack("{s:s, s:s}", "text", n.button_text, "url", n.button_url)
                         : json_null();
    hd_res_json(res, 200,
                json_pack("{s:s, s:s, s:o, s:s, s:o, s:o}", "title", n.runtime_title, "description",
                          n.runtime_description ? n.runtime_description : "", "button", button,
                          "notificationType", n.type, "placeholders", ph ? ph : json_array(),
                          "missing", missing));
    return 0;
}
