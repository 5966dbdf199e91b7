/* validate.c: problem collection, typed getters, did-you-mean. */
#include "api/validate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

int hd_problems_respond(struct hd_problems *p, struct hd_res *res)
{
    size_t n = json_array_size(p->details);
    char summary[640];
    if (n == 1) {
        json_t *d = json_array_get(p->details, 0);
        snprintf(summary, sizeof(summary), "%s: %s", json_string_value(json_object_get(d, "field")),
                 json_string_value(json_object_get(d, "message")));
    } else {
        snprintf(summary, sizeof(summary), "%zu fields are invalid; see details.", n);
    }
    hd_res_error(res, HD_E_VALIDATION, summary, p->details);
    p->details = NULL;
    return HD_E_VALIDATION;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *hd_did_you_mean(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (; *candidates; candidates++) {
        size_t d = edit_distance(word, *candidates);
        if (d < best_d && d * 2 < strlen(word) + 1) {
            best = *candidates;
            best_d = d;
        }
    }
    return best;
}

static bool allowed_key(const char *key, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (!strcmp(key, *allowed))
            return true;
    return false;
}

void hd_check_fields(struct hd_problems *p, json_t *obj, const char *prefix,
                     const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (allowed_key(key, allowed))
            continue;
        char field[300];
        snprintf(field, sizeof(field), "%s%s%.200s", prefix, *prefix ? "." : "", key);
        const char *guess = hd_did_you_mean(key, allowed);
        if (guess)
            hd_problem(p, field, "unknown field `%.200s` in %s; did you mean `%s`?", key,
                       *prefix ? prefix : "the body", guess);
        else
            hd_problem(p, field, "unknown field `%.200s` in %s; remove it", key,
                       *prefix ? prefix : "the body");
    }
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
            return true;
    return false;
}

const char *hd_field_name(char *buf, size_t cap, const char *prefix, const char *key)
{
    snprintf(buf, cap, "%s%s%s", prefix, *prefix ? "." : "", key);
    return buf;
}

const char *hd_get_string(struct hd_problems *p, json_t *obj, const char *prefix, const char *key,
                          bool required, size_t min_len, size_t max_len)
{
    char field[300];
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            hd_problem(p, hd_field_name(field, sizeof(field), prefix, key), "is required");
        return NULL;
    }
    if (!json_is_string(v)) {
        hd_problem(p, hd_field_name(field, sizeof(field), prefix, key), "must be a string");
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len < min_len) {
        hd_problem(p, hd_field_name(field, sizeof(field), prefix, key), "must not be empty");
        return NULL;
    }
    if (len > max_len) {
        hd_problem(p, hd_field_name(field, sizeof(field), prefix, key),
                   "is %zu bytes long; at most %zu are allowed", len, max_len);
        return NULL;
    }
    if (strlen(s) != len || has_control(s)) {
        hd_problem(p, hd_field_name(field, sizeof(field), prefix, key),
                   "must not contain control characters");
        return NULL;
    }
    return s;
}

const char *hd_shown(struct hd_arena *ar, const char *v)
{
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)v; *c; c++, n++)
        if (*c < 0x20 || *c > 0x7e || n >= 64)
            return "the value given";
    return hd_arena_printf(ar, "\"%s\"", v);
}
