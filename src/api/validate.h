/* validate.h: field checks for JSON bodies that collect every problem at once, so a caller
 * fixes the whole payload in one round trip (SPEC §3 error format, "details").
 *
 * A struct hd_problems gathers {"field","message"} entries; hd_problems_respond() answers 422
 * with all of them. Field paths are written like "notification.endUsersIds[2]". */
#ifndef HD_API_VALIDATE_H
#define HD_API_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/problems.h"
#include "http/response.h"

/* Answers 422 with the problems (message: the first one when alone, else a summary) and frees
 * them. Returns HD_E_VALIDATION. */
int hd_problems_respond(struct hd_problems *p, struct hd_res *res);

/* Adds a problem for each key of obj not in allowed (NULL-terminated), with a did-you-mean
 * suggestion when a known key is close. prefix names obj ("notification"). */
void hd_check_fields(struct hd_problems *p, json_t *obj, const char *prefix,
                     const char *const *allowed);

/* "prefix.key" (just "key" when prefix is ""), the field a problem names, written into buf:
 * callers build it only once there is a problem. */
const char *hd_field_name(char *buf, size_t cap, const char *prefix, const char *key);

/* A string member: NULL when absent (a problem if required) or not a valid string; checks
 * 1..max bytes (min_len 0 allows ""), and no control characters. */
const char *hd_get_string(struct hd_problems *p, json_t *obj, const char *prefix, const char *key,
                          bool required, size_t min_len, size_t max_len);

/* The closest of candidates to word (edit distance at most 2 and under half its length), or
 * NULL. Case-insensitive. */
const char *hd_did_you_mean(const char *word, const char *const *candidates);

/* v in quotes when it can be shown back in a message (printable ASCII, at most 64 bytes), else
 * "the value given": a query value may be any bytes, and messages must stay valid UTF-8. */
const char *hd_shown(struct hd_arena *ar, const char *v);

#endif
