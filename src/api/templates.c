/* templates.c: /v1/systems/{systemId}/templates (SPEC §5). Placeholders are extracted from the
 * title, description, button text and button URL when the template is created. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/body.h"
#include "api/present.h"
#include "api/validate.h"
#include "core/time.h"
#include "core/url.h"
#include "notify/render.h"

#define NAME_MAX_LEN        200
#define TITLE_MAX_LEN       500
#define DESCRIPTION_MAX_LEN 4000
#define BUTTON_TEXT_MAX_LEN 100
#define URL_MAX_LEN         2000

static const char *const template_fields[] = {
    "name", "title", "description", "button", "notificationType", NULL};
static const char *const button_fields[] = {"text", "url", NULL};

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

int hd_api_template_create(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    json_t *body;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)) || (rc = hd_body_json(req, res, &body)))
        return rc;
    struct hd_problems p = {0};
    struct hd_template t = {.created_at = hd_time_now_ms()};
    read_template(&p, body, req->arena, &t);
    own_strings(req->arena, &t);
    json_decref(body);
    if (!hd_problems_any(&p))
        (void)extract_all(&p, req->arena, &t);
    if (hd_problems_any(&p))
        return hd_problems_respond(&p, res);
    hd_id_uuid4(t.id);
    memcpy(t.system_id, sys.id, sizeof(t.system_id));
    rc = hd_store_template_insert(hd_app_of(req)->store, &t);
    if (rc)
        return rc;
    hd_res_headerf(res, "Location", "/v1/systems/%s/templates/%s", sys.id, t.id);
    hd_res_json(res, 201, hd_present_template(&t));
    return 0;
}

int hd_api_template_get(struct hd_req *req, struct hd_res *res)
{
    struct hd_system sys;
    struct hd_template t;
    int rc;
    if ((rc = hd_api_load_system(req, res, &sys)))
        return rc;
    rc = hd_id_is_uuid(req->params[1]) ? hd_store_template_get(hd_app_of(req)->store, sys.id,
                                                               req->params[1].ptr, req->arena, &t)
                                       : HD_E_NOT_FOUND;
    if (rc == HD_E_NOT_FOUND)
        hd_res_error(res, rc, "No such template in this system.", NULL);
    if (rc)
        return rc;
    hd_res_json(res, 200, hd_present_template(&t));
    return 0;
}
