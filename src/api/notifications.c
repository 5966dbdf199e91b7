/* notifications.c: POST /v1/notifications, the trigger (SPEC §3). The payload is read with every
 * problem collected (payload.c); then the system, template and audiences are resolved, the
 * trigger is prepared (notify/trigger.c) and handed to the group commit (accept.c), which
 * answers 202 only after the commit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/accept.h"
#include "api/api.h"
#include "api/payload.h"
#include "api/app.h"
#include "api/body.h"
#include "api/present.h"
#include "api/validate.h"
#include "core/jsonw.h"
#include "core/time.h"
#include "notify/trigger.h"

/* SPEC §3: systemId may be left out when the account has exactly one system. */
static int resolve_system(struct hd_req *req, struct hd_res *res, const char *id,
                          struct hd_system *out)
{
    struct hd_app *app = hd_app_of(req);
    const char *acc = req->who.account_id;
    if (id) {
        int rc = hd_catalog_system(app->catalog, app->store, acc, id, req->arena, out);
        if (rc == HD_E_NOT_FOUND)
            hd_res_error(res, rc, hd_arena_printf(req->arena, "No system %s in this account.", id),
                         NULL);
        return rc;
    }
    size_t n;
    int rc = hd_catalog_only_system(app->catalog, app->store, acc, req->arena, out, &n);
    if (rc || n == 1)
        return rc;
    struct hd_problems p = {0};
    hd_problem(&p, "notification.systemId",
               n ? "is required: this account has several systems; say which one"
                 : "this account has no system yet; create one with POST /v1/systems");
    return hd_problems_respond(&p, res);
}

static int resolve_template(struct hd_req *req, struct hd_res *res, const struct hd_system *sys,
                            const char *id, struct hd_template *out)
{
    struct hd_app *app = hd_app_of(req);
    int rc = hd_catalog_template(app->catalog, app->store, sys->id, id, req->arena, out);
    if (rc == HD_E_NOT_FOUND)
        hd_res_error(res, rc,
                     hd_arena_printf(req->arena, "No template %s in system %s.", id, sys->id),
                     NULL);
    return rc;
}

/* SPEC §3: audiencesIds must be audiences of that system; all unknown ones named at once. */
static int check_audiences(struct hd_req *req, struct hd_res *res, const char *system_id,
                           const struct hd_payload *pl)
{
    size_t *missing = hd_arena_alloc(req->arena, (pl->n_audiences + 1) * sizeof(*missing)), n;
    int rc = hd_store_audiences_missing(hd_app_of(req)->store, system_id, pl->audiences,
                                        pl->n_audiences, missing, &n);
    if (rc || n == 0)
        return rc;
    struct hd_problems p = {0};
    for (size_t i = 0; i < n; i++)
        hd_problem(&p, hd_arena_printf(req->arena, "notification.audiencesIds[%zu]", missing[i]),
                   "no audience %s in system %s", pl->audiences[missing[i]], system_id);
    return hd_problems_respond(&p, res);
}

static json_t *recipients(const struct hd_payload *pl, size_t unknown)
{
    return json_pack("{s:I, s:I, s:I}", "endUsers", (json_int_t)pl->n_users, "audiences",
                     (json_int_t)pl->n_audiences, "unknownEndUsers", (json_int_t)unknown);
}

/* ?dryRun=true (SPEC §4): what would be sent, and to how many, without sending. */
static int answer_dry_run(struct hd_res *res, const struct hd_notification *n,
                          json_t *recipients_json, int64_t now)
{
    json_t *button = n->button_url
                         ? json_pack("{s:s, s:s}", "text", n->button_text, "url", n->button_url)
                         : json_null();
    hd_res_json(res, 200,
                json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "dryRun", 1,
                          "status", n->start_at > now ? "scheduled" : "active", "notificationType",
                          n->type, "title", n->title, "runtimeTitle", n->runtime_title,
                          "runtimeDescription", n->runtime_description, "button", button, "startAt",
                          hd_present_time(n->start_at), "endAt", hd_present_time(n->end_at),
                          "recipients", recipients_json));
    return 0;
}

/* Everything is valid: answer the dry run (with the unknown end users counted here), or hand
 * the write to the group commit, which counts them as it writes. */
static int accept(struct hd_req *req, struct hd_res *res, struct hd_notification *n,
                  const struct hd_payload *pl, int64_t now, const struct hd_throttle_state *limit)
{
    const char *dry = hd_req_query(req, "dryRun");
    if (dry && !strcmp(dry, "true")) {
        size_t unknown = 0;
        int rc = hd_store_end_users_count_unknown(hd_app_of(req)->store, n->system_id, pl->users,
                                                  pl->n_users, &unknown);
        return rc ? rc : answer_dry_run(res, n, recipients(pl, unknown), now);
    }
    struct hd_accept a = {n, pl->users, pl->n_users, pl->audiences, pl->n_audiences, *limit};
    return hd_accept_submit(req, &a);
}

/* The top-level field a problem is about: "notification.override[2].key" → "override". */
static size_t field_root(const char *field, const char **root)
{
    const char *f = strncmp(field, "notification.", 13) == 0 ? field + 13 : field;
    *root = f;
    return strcspn(f, ".[");
}

/* True when a problem names the same field, or suggests it for a misspelled one. */
static bool already_reported(json_t *details, const char *field)
{
    const char *root, *other;
    size_t len = field_root(field, &root), i;
    char hint[96];
    snprintf(hint, sizeof(hint), "did you mean `%.*s`", (int)len, root);
    json_t *d;
    json_array_foreach(details, i, d)
    {
        size_t olen = field_root(json_string_value(json_object_get(d, "field")), &other);
        if ((olen == len && strncmp(root, other, len) == 0) ||
            strstr(json_string_value(json_object_get(d, "message")), hint))
            return true;
    }
    return false;
}

/* SPEC §3: every failing field at once. When the payload itself has problems but names a
 * template that exists, the template's rules (overrides, dates) are checked too, and their
 * problems added unless that field was already reported. */
static int answer_all_problems(struct hd_req *req, struct hd_res *res, const struct hd_payload *pl,
                               struct hd_problems *p)
{
    struct hd_app *app = hd_app_of(req);
    struct hd_system sys;
    struct hd_template tpl;
    size_t n = 0;
    bool have_system = pl->system_id
                           ? hd_catalog_system(app->catalog, app->store, req->who.account_id,
                                               pl->system_id, req->arena, &sys) == 0
                           : hd_catalog_only_system(app->catalog, app->store, req->who.account_id,
                                                    req->arena, &sys, &n) == 0 &&
                                 n == 1;
    if (have_system && pl->template_id &&
        hd_catalog_template(app->catalog, app->store, sys.id, pl->template_id, req->arena, &tpl) ==
            0) {
        struct hd_problems more = {0};
        struct hd_notification ignored = {0};
        if (hd_trigger_prepare(&pl->trigger, &tpl, hd_time_now_ms(), req->arena, &more, &ignored) ==
            0)
            hd_problems_free(&more); /* nothing to add */
        size_t i;
        json_t *d;
        json_array_foreach(more.details, i, d)
        {
            const char *field = json_string_value(json_object_get(d, "field"));
            if (!already_reported(p->details, field))
                json_array_append(p->details, d);
        }
        hd_problems_free(&more);
    }
    return hd_problems_respond(p, res);
}

static int create(struct hd_req *req, struct hd_res *res, const struct hd_throttle_state *limit)
{
    json_t *body;
    int rc;
    if ((rc = hd_body_json(req, res, &body)))
        return rc;
    if ((rc = hd_accept_replay(req, res))) {
        json_decref(body);
        return rc < 0 ? rc : 0;
    }
    struct hd_problems p = {0};
    struct hd_payload pl = {0};
    rc = hd_payload_read(body, req->arena, &p, &pl);
    json_decref(body);
    if (rc)
        return answer_all_problems(req, res, &pl, &p);
    struct hd_system sys;
    struct hd_template tpl;
    if ((rc = resolve_system(req, res, pl.system_id, &sys)) ||
        (rc = resolve_template(req, res, &sys, pl.template_id, &tpl)) ||
        (rc = check_audiences(req, res, sys.id, &pl)))
        return rc;
    int64_t now = hd_time_now_ms();
    struct hd_notification n = {.created_by = req->who.client_id};
    if (hd_trigger_prepare(&pl.trigger, &tpl, now, req->arena, &p, &n))
        return hd_problems_respond(&p, res);
    hd_id_uuid7(n.id, now);
    memcpy(n.account_id, sys.account_id, sizeof(n.account_id));
    memcpy(n.system_id, sys.id, sizeof(n.system_id));
    memcpy(n.template_id, tpl.id, sizeof(n.template_id));
    return accept(req, res, &n, &pl, now, limit);
}

/* SPEC §3: at most --rate-limit triggers per API key per minute (per node); every answer says
 * where the key stands (RateLimit-*), and past the limit it is a 429 with Retry-After. */
static int rate_limit(struct hd_req *req, struct hd_res *res, struct hd_throttle_state *limit)
{
    struct hd_throttle *t = hd_app_of(req)->shared->rate_limit;
    *limit = (struct hd_throttle_state){0};
    int wait = t ? hd_throttle_count(t, req->who.client_id, hd_time_now_ms(), limit) : 0;
    hd_accept_limit_headers(res, limit);
    if (!wait)
        return 0;
    hd_res_headerf(res, "Retry-After", "%d", wait);
    hd_res_error(res, HD_E_RATE_LIMITED,
                 hd_arena_printf(req->arena,
                                 "This API key has sent its %u triggers for this minute; retry in "
                                 "%d s, or ask the administrator for a higher --rate-limit.",
                                 limit->limit, wait),
                 NULL);
    return HD_E_RATE_LIMITED;
}

/* The loop reads nothing of herald.db for a trigger whose key, system and template its catalog
 * holds (store/catalog.h); the write, and the count of unknown end users, go to the group
 * commit, on the writer's connection. */
int hd_api_notification_create(struct hd_req *req, struct hd_res *res)
{
    struct hd_throttle_state limit;
    int rc = rate_limit(req, res, &limit);
    return rc ? rc : create(req, res, &limit);
}
