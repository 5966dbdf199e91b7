/* payload.c: reading the trigger payload of SPEC §3 field by field. Every problem is collected
 * with its field path and a sentence that says what to fix, including the mistakes people make
 * when they paste the original documentation's samples (sample values left in, empty ids,
 * "Push", dates like 05/10/2023). Pure: no I/O. */
#include "api/payload.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "core/time.h"

#define TARGETS_MAX        100
#define END_USER_ID_MAX    256
#define TEXT_MAX           4000
#define OVERRIDE_VALUE_MAX 2000

static const char *const top_fields[] = {"notification", NULL};
static const char *const fields[] = {"systemId",     "templateId",         "endUsersIds",
                                     "audiencesIds", "notificationType",   "title",
                                     "runtimeTitle", "runtimeDescription", "startAt",
                                     "endAt",        "override",           NULL};
static const char *const override_fields[] = {"key", "value", NULL};

/* "<template id>" and the like: a sample value of the documentation left in. */
static bool is_sample(const char *s)
{
    size_t n = strlen(s);
    return n >= 2 && s[0] == '<' && s[n - 1] == '>';
}

static const char *read_id(struct hd_problems *p, json_t *o, const char *key, bool required,
                           bool (*valid)(struct hd_slice), const char *what)
{
    char field[64];
    snprintf(field, sizeof(field), "notification.%s", key);
    const char *s = hd_get_string(p, o, "notification", key, required, 1, 64);
    if (s && is_sample(s))
        hd_problem(p, field, "is still the documentation's sample value \"%s\"; put %s there", s,
                   what);
    else if (s && !valid(hd_slice_of(s)))
        hd_problem(p, field, "\"%.64s\" is not %s", s, what);
    else
        return s;
    return NULL;
}

static bool seen_before(const char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

static bool any_id(struct hd_slice s)
{
    return s.len >= 1 && s.len <= END_USER_ID_MAX;
}

/* An array of ids, duplicates folded; *n gets how many distinct ones. */
static const char **read_ids(struct hd_problems *p, json_t *o, const char *key, struct hd_arena *ar,
                             size_t *n, bool (*valid)(struct hd_slice), const char *what)
{
    json_t *a = json_object_get(o, key), *v;
    size_t i;
    *n = 0;
    if (!a || json_is_null(a))
        return NULL;
    if (!json_is_array(a)) {
        hd_problem(p, hd_arena_printf(ar, "notification.%s", key),
                   "must be an array of strings, e.g. [\"id1\", \"id2\"]");
        return NULL;
    }
    if (json_array_size(a) > TARGETS_MAX) {
        hd_problem(p, hd_arena_printf(ar, "notification.%s", key),
                   "has %zu entries; at most %d per call (use an audience for more)",
                   json_array_size(a), TARGETS_MAX);
        return NULL;
    }
    const char **ids = hd_arena_alloc(ar, (json_array_size(a) + 1) * sizeof(*ids));
    json_array_foreach(a, i, v)
    {
        const char *field = hd_arena_printf(ar, "notification.%s[%zu]", key, i);
        const char *s = json_string_value(v);
        if (!s || (s[0] == '\0'))
            hd_problem(p, field,
                       "must be a non-empty string: put %s there, or remove %s if you "
                       "target only %s",
                       what, key, !strcmp(key, "endUsersIds") ? "audiences" : "end users");
        else if (is_sample(s))
            hd_problem(p, field,
                       "is still the documentation's sample value \"%.64s\"; put %s "
                       "there",
                       s, what);
        else if (!valid(hd_slice_of(s)) || strlen(s) != json_string_length(v))
            hd_problem(p, field, "\"%.64s\" is not %s", s, what);
        else if (!seen_before(ids, *n, s))
            ids[(*n)++] = hd_arena_strdup(ar, s);
    }
    return ids;
}

static void read_date(struct hd_problems *p, json_t *o, const char *key, bool *has, int64_t *ms)
{
    char field[64];
    snprintf(field, sizeof(field), "notification.%s", key);
    const char *s = hd_get_string(p, o, "notification", key, false, 1, 64);
    const char *why;
    if (!s)
        return;
    if (is_sample(s))
        hd_problem(p, field,
                   "is still the documentation's sample value \"%s\"; write a date "
                   "like 2026-12-01 09:00 (UTC), or remove the line",
                   s);
    else if (hd_time_parse(s, strlen(s), ms, &why))
        hd_problem(p, field, "\"%s\": %s", s, why);
    else
        *has = true;
}

static void read_override_item(struct hd_problems *p, json_t *item, size_t i, struct hd_arena *ar,
                               struct hd_override *out, size_t *n)
{
    const char *field = hd_arena_printf(ar, "notification.override[%zu]", i);
    if (!json_is_object(item)) {
        hd_problem(p, field, "must be an object {\"key\": \"NAME\", \"value\": \"…\"}");
        return;
    }
    hd_check_fields(p, item, field, override_fields);
    const char *key = hd_get_string(p, item, field, "key", true, 1, 70);
    const char *value = hd_get_string(p, item, field, "value", true, 0, OVERRIDE_VALUE_MAX);
    struct hd_slice name;
    if (!key || !value)
        return;
    if (hd_render_key(hd_slice_of(key), &name)) {
        hd_problem(p, hd_arena_printf(ar, "%s.key", field),
                   "\"%s\" is not a placeholder name: use letters, digits, _ . - (at most 64), "
                   "with or without the surrounding ###",
                   key);
        return;
    }
    for (size_t j = 0; j < *n; j++)
        if (out[j].name.len == name.len && !memcmp(out[j].name.ptr, name.ptr, name.len)) {
            hd_problem(p, hd_arena_printf(ar, "%s.key", field), "%.*s is given twice",
                       (int)name.len, name.ptr);
            return;
        }
    out[(*n)++] = (struct hd_override){{hd_arena_slice(ar, name), name.len},
                                       {hd_arena_strdup(ar, value), strlen(value)}};
}

static void read_overrides(struct hd_problems *p, json_t *o, struct hd_arena *ar,
                           struct hd_trigger *t)
{
    json_t *a = json_object_get(o, "override"), *item;
    size_t i, n = 0;
    if (!a || json_is_null(a))
        return;
    if (!json_is_array(a) || json_array_size(a) > HD_PLACEHOLDERS_MAX) {
        hd_problem(p, "notification.override",
                   "must be an array of at most %d objects: [{\"key\": \"URL\", \"value\": "
                   "\"https://…\"}]",
                   HD_PLACEHOLDERS_MAX);
        return;
    }
    struct hd_override *ov = hd_arena_alloc(ar, (json_array_size(a) + 1) * sizeof(*ov));
    json_array_foreach(a, i, item) read_override_item(p, item, i, ar, ov, &n);
    t->overrides = ov;
    t->n_overrides = n;
}

static void read_texts(struct hd_problems *p, json_t *o, struct hd_arena *ar, struct hd_trigger *t)
{
    t->title = hd_arena_strdup(ar, hd_get_string(p, o, "notification", "title", false, 1, 200));
    t->runtime_title =
        hd_arena_strdup(ar, hd_get_string(p, o, "notification", "runtimeTitle", false, 1, 500));
    t->runtime_description = hd_arena_strdup(
        ar, hd_get_string(p, o, "notification", "runtimeDescription", false, 0, TEXT_MAX));
    const char *type = hd_get_string(p, o, "notification", "notificationType", false, 1, 64);
    if (type) {
        t->type = hd_api_notification_type(type);
        if (!t->type)
            hd_problem(p, "notification.notificationType",
                       "\"%s\" is not a notification type; use \"push\" (a toast) or \"popup\" "
                       "(a modal the user acknowledges)",
                       type);
    }
}

int hd_payload_read(json_t *body, struct hd_arena *ar, struct hd_problems *p,
                    struct hd_payload *out)
{
    hd_check_fields(p, body, "", top_fields);
    json_t *o = json_object_get(body, "notification");
    if (!json_is_object(o)) {
        hd_problem(p, "notification",
                   o ? "must be an object" : "is required: send {\"notification\": {...}}");
        return HD_E_VALIDATION;
    }
    hd_check_fields(p, o, "notification", fields);
    out->system_id = hd_arena_strdup(ar, read_id(p, o, "systemId", false, hd_id_is_system_id,
                                                 "a system id (32 hexadecimal characters)"));
    out->template_id = hd_arena_strdup(
        ar, read_id(p, o, "templateId", true, hd_id_is_uuid, "a template id (a UUID)"));
    out->users = read_ids(p, o, "endUsersIds", ar, &out->n_users, any_id, "an end-user id");
    out->audiences =
        read_ids(p, o, "audiencesIds", ar, &out->n_audiences, hd_id_is_uuid, "an audience id");
    if (out->n_users + out->n_audiences == 0 && !hd_problems_any(p))
        hd_problem(p, "notification.endUsersIds",
                   "name at least one recipient in endUsersIds or audiencesIds");
    read_texts(p, o, ar, &out->trigger);
    read_date(p, o, "startAt", &out->trigger.has_start, &out->trigger.start_at);
    read_date(p, o, "endAt", &out->trigger.has_end, &out->trigger.end_at);
    read_overrides(p, o, ar, &out->trigger);
    return hd_problems_any(p) ? HD_E_VALIDATION : 0;
}
