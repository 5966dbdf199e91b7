/* payload.c: reading the trigger payload of SPEC §3 field by field. Every problem is collected
 * with its field path and a sentence that says what to fix, including the mistakes people make
 * when they paste the original documentation's samples (sample values left in, empty ids,
 * "Push", dates like 05/10/2023). Pure: no I/O. */
#include "api/payload.h"

#include <stdio.h>
#include <stdlib.h>
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

/* What an id must be, for the messages: "an end-user id"; max_len 0: valid() says it all. */
struct id_kind {
    bool (*valid)(struct hd_slice);
    const char *what;
    size_t max_len;
};

/* "<template id>" and the like: a sample value of the documentation left in. */
static bool is_sample(const char *s)
{
    size_t n = strlen(s);
    return n >= 2 && s[0] == '<' && s[n - 1] == '>';
}

/* The index of the first control character of s (a newline pasted from a spreadsheet, a tab),
 * or -1. */
static long control_at(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return (long)i;
    return -1;
}

/* A control character as a person would write it in JSON: \n, \t, \r or \u00XX. */
static const char *control_name(char c, char buf[8])
{
    if (c == '\n' || c == '\t' || c == '\r')
        snprintf(buf, 8, "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
    else
        snprintf(buf, 8, "\\u%04X", (unsigned char)c);
    return buf;
}

static void control_problem(struct hd_problems *p, const char *field, const char *s, long at)
{
    char name[8];
    hd_problem(p, field, "contains a control character (%s at byte %ld); remove it",
               control_name(s[at], name), at);
}

static const char *read_id(struct hd_problems *p, json_t *o, const char *key, bool required,
                           bool (*valid)(struct hd_slice), const char *what)
{
    char field[64];
    const char *s = hd_get_string(p, o, "notification", key, required, 1, 64);
    long ctl = s ? control_at(s, strlen(s)) : -1;
    if (s && is_sample(s))
        hd_problem(p, hd_field_name(field, sizeof(field), "notification", key),
                   "is still the documentation's sample value \"%s\"; put %s there", s, what);
    else if (ctl >= 0)
        control_problem(p, hd_field_name(field, sizeof(field), "notification", key), s, ctl);
    else if (s && !valid(hd_slice_of(s)))
        hd_problem(p, hd_field_name(field, sizeof(field), "notification", key),
                   "\"%.64s\" is not %s", s, what);
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

/* endUsersIds or audiencesIds given, even if with bad entries (those get their own problems). */
static bool targets_given(json_t *o, const char *key)
{
    json_t *a = json_object_get(o, key);
    return a && !json_is_null(a) && (!json_is_array(a) || json_array_size(a) > 0);
}

/* A misspelled endUsersIds or audiencesIds ("endUserIds"): its did-you-mean says it all. */
static bool targets_misspelled(json_t *o)
{
    static const char *const targets[] = {"endUsersIds", "audiencesIds", NULL};
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (strcmp(key, targets[0]) && strcmp(key, targets[1]) && hd_did_you_mean(key, targets))
            return true;
    }
    return false;
}

static void not_an_array(struct hd_problems *p, const char *field, json_t *a)
{
    if (json_is_string(a))
        hd_problem(p, field, "must be an array of strings: write [\"%.64s\"]",
                   json_string_value(a));
    else
        hd_problem(p, field, "must be an array of strings, e.g. [\"id1\", \"id2\"]");
}

/* What is wrong with one entry of an id array, if anything. */
enum id_verdict { ID_FINE, ID_EMPTY, ID_SAMPLE, ID_CONTROL, ID_TOO_LONG, ID_INVALID };

static enum id_verdict judge_id(const char *s, size_t len, long ctl, const struct id_kind *kind)
{
    return !s || len == 0                         ? ID_EMPTY
           : is_sample(s)                         ? ID_SAMPLE
           : ctl >= 0                             ? ID_CONTROL
           : kind->max_len && len > kind->max_len ? ID_TOO_LONG
           : !kind->valid(hd_slice_of(s))         ? ID_INVALID
                                                  : ID_FINE;
}

/* Entry `index` of the array `key`: the id, or NULL with its problem. The entry is named only
 * when it has one: naming each (a printf) was 1% of a one-recipient trigger. */
static const char *read_id_entry(struct hd_problems *p, json_t *v, const char *key, size_t index,
                                 struct hd_arena *ar, const struct id_kind *kind)
{
    const char *s = json_string_value(v);
    size_t len = s ? json_string_length(v) : 0;
    long ctl = s ? control_at(s, len) : -1;
    enum id_verdict verdict = judge_id(s, len, ctl, kind);
    if (verdict == ID_FINE)
        return s;
    const char *field = hd_arena_printf(ar, "notification.%s[%zu]", key, index);
    if (verdict == ID_EMPTY)
        hd_problem(p, field,
                   "must be a non-empty string: put %s there, or remove %s if you target only %s",
                   kind->what, key, !strcmp(key, "endUsersIds") ? "audiences" : "end users");
    else if (verdict == ID_SAMPLE)
        hd_problem(p, field, "is still the documentation's sample value \"%.64s\"; put %s there", s,
                   kind->what);
    else if (verdict == ID_CONTROL)
        control_problem(p, field, s, ctl);
    else if (verdict == ID_TOO_LONG)
        hd_problem(p, field, "is %zu bytes long; %s is at most %zu", len, kind->what,
                   kind->max_len);
    else
        hd_problem(p, field, "\"%.64s\" is not %s", s, kind->what);
    return NULL;
}

/* An array of ids, duplicates folded; *n gets how many distinct ones. */
static const char **read_ids(struct hd_problems *p, json_t *o, const char *key, struct hd_arena *ar,
                             size_t *n, const struct id_kind *kind)
{
    json_t *a = json_object_get(o, key), *v;
    size_t i;
    *n = 0;
    if (!a || json_is_null(a))
        return NULL;
    if (!json_is_array(a)) {
        not_an_array(p, hd_arena_printf(ar, "notification.%s", key), a);
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
        const char *s = read_id_entry(p, v, key, i, ar, kind);
        if (s && !seen_before(ids, *n, s))
            ids[(*n)++] = hd_arena_strdup(ar, s);
    }
    return ids;
}

static void read_date(struct hd_problems *p, json_t *o, const char *key, bool *has, int64_t *ms)
{
    char field[64];
    json_t *v = json_object_get(o, key);
    if (v && !json_is_null(v) && !json_is_string(v)) {
        hd_problem(p, hd_field_name(field, sizeof(field), "notification", key),
                   "must be a date string such as \"2026-12-01 09:00\" (UTC) or "
                   "\"2026-12-01T09:00:00+03:00\"");
        return;
    }
    const char *s = hd_get_string(p, o, "notification", key, false, 0, 64);
    const char *why;
    if (!s)
        return;
    if (is_sample(s))
        hd_problem(p, hd_field_name(field, sizeof(field), "notification", key),
                   "is still the documentation's sample value \"%s\"; write a date "
                   "like 2026-12-01 09:00 (UTC), or remove the line",
                   s);
    else if (hd_time_parse(s, strlen(s), ms, &why))
        hd_problem(p, hd_field_name(field, sizeof(field), "notification", key), "\"%s\": %s", s,
                   why);
    else
        *has = true;
}

/* A value written as a number or true/false: quoting it is the fix. */
static const char *read_value(struct hd_problems *p, json_t *item, const char *field,
                              struct hd_arena *ar)
{
    json_t *v = json_object_get(item, "value");
    if (!json_is_number(v) && !json_is_boolean(v))
        return hd_get_string(p, item, field, "value", true, 0, OVERRIDE_VALUE_MAX);
    char *text = json_dumps(v, JSON_ENCODE_ANY);
    hd_problem(p, hd_arena_printf(ar, "%s.value", field), "must be a string: write \"%.64s\"",
               text ? text : "");
    free(text);
    return NULL;
}

/* The index of the first entry before i whose key names the placeholder name. */
static size_t first_with_name(json_t *a, size_t i, struct hd_slice name)
{
    struct hd_slice other;
    for (size_t j = 0; j < i; j++) {
        const char *k = json_string_value(json_object_get(json_array_get(a, j), "key"));
        if (k && !hd_render_key(hd_slice_of(k), &other) && other.len == name.len &&
            !memcmp(other.ptr, name.ptr, name.len))
            return j;
    }
    return i;
}

static void read_override_item(struct hd_problems *p, json_t *a, size_t i, const char *prefix,
                               struct hd_arena *ar, struct hd_override *out, size_t *n)
{
    const char *field = hd_arena_printf(ar, "%s[%zu]", prefix, i);
    json_t *item = json_array_get(a, i);
    if (!json_is_object(item)) {
        hd_problem(p, field, "must be an object {\"key\": \"NAME\", \"value\": \"…\"}");
        return;
    }
    hd_check_fields(p, item, field, override_fields);
    const char *key = hd_get_string(p, item, field, "key", true, 1, 70);
    const char *value = read_value(p, item, field, ar);
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
            hd_problem(p, hd_arena_printf(ar, "%s.key", field),
                       "%.*s is given twice (also in override[%zu]); keep one", (int)name.len,
                       name.ptr, first_with_name(a, i, name));
            return;
        }
    out[(*n)++] = (struct hd_override){{hd_arena_slice(ar, name), name.len},
                                       {hd_arena_strdup(ar, value), strlen(value)}};
}

void hd_payload_read_overrides(struct hd_problems *p, json_t *a, const char *prefix,
                               struct hd_arena *ar, size_t room, struct hd_trigger *t)
{
    size_t i, n = 0;
    t->overrides = NULL;
    t->n_overrides = 0;
    if (!a || json_is_null(a))
        return;
    if (!json_is_array(a)) {
        hd_problem(p, prefix,
                   "must be an array: %s, e.g. [{\"key\": \"URL\", \"value\": \"https://…\"}]",
                   json_is_object(a) ? "wrap the object in [ ]"
                                     : "one {\"key\", \"value\"} object "
                                       "per placeholder");
        return;
    }
    if (json_array_size(a) > HD_PLACEHOLDERS_MAX) {
        hd_problem(p, prefix,
                   "has %zu entries; a template has at most %d placeholders, one entry each",
                   json_array_size(a), HD_PLACEHOLDERS_MAX);
        return;
    }
    struct hd_override *ov = hd_arena_alloc(ar, (json_array_size(a) + room + 1) * sizeof(*ov));
    for (i = 0; i < json_array_size(a); i++)
        read_override_item(p, a, i, prefix, ar, ov, &n);
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
    if (type && is_sample(type))
        hd_problem(p, "notification.notificationType",
                   "is still the documentation's sample value \"%s\"; write \"push\" or "
                   "\"popup\", or remove the line to use the template's type",
                   type);
    else if (type) {
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
                   o ? "must be an object: {\"notification\": {\"templateId\": \"…\", "
                       "\"endUsersIds\": [\"…\"]}}"
                     : "is required: send {\"notification\": {...}}");
        return HD_E_VALIDATION;
    }
    hd_check_fields(p, o, "notification", fields);
    out->system_id = hd_arena_strdup(ar, read_id(p, o, "systemId", false, hd_id_is_system_id,
                                                 "a system id (32 hexadecimal characters)"));
    out->template_id = hd_arena_strdup(
        ar, read_id(p, o, "templateId", true, hd_id_is_uuid, "a template id (a UUID)"));
    static const struct id_kind user = {any_id, "an end-user id", END_USER_ID_MAX};
    static const struct id_kind audience = {hd_id_is_uuid, "an audience id (a UUID)", 0};
    out->users = read_ids(p, o, "endUsersIds", ar, &out->n_users, &user);
    out->audiences = read_ids(p, o, "audiencesIds", ar, &out->n_audiences, &audience);
    if (!targets_given(o, "endUsersIds") && !targets_given(o, "audiencesIds") &&
        !targets_misspelled(o))
        hd_problem(p, "notification.endUsersIds",
                   "name at least one recipient in endUsersIds or audiencesIds");
    read_texts(p, o, ar, &out->trigger);
    read_date(p, o, "startAt", &out->trigger.has_start, &out->trigger.start_at);
    read_date(p, o, "endAt", &out->trigger.has_end, &out->trigger.end_at);
    hd_payload_read_overrides(p, json_object_get(o, "override"), "notification.override", ar, 0,
                              &out->trigger);
    return hd_problems_any(p) ? HD_E_VALIDATION : 0;
}
