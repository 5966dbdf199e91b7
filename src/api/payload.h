/* payload.h: the trigger payload (SPEC §3) as read from its JSON, before any lookup. */
#ifndef HD_API_PAYLOAD_H
#define HD_API_PAYLOAD_H

#include <jansson.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/problems.h"
#include "notify/trigger.h"

struct hd_payload {
    const char *system_id, *template_id; /* NULL when absent (or invalid) */
    const char **users, **audiences;     /* distinct ids */
    size_t n_users, n_audiences;
    struct hd_trigger trigger;
};

/* Reads body ({"notification": {...}}) into out, with strings in ar; every problem goes to p.
 * Returns 0, or HD_E_VALIDATION when p has problems. */
int hd_payload_read(json_t *body, struct hd_arena *ar, struct hd_problems *p,
                    struct hd_payload *out) HD_WUR;

/* Reads an override array (a, which may be NULL) into t->overrides with room more free slots
 * after them; problems are named prefix[i].… ("notification.override[0].key"). */
void hd_payload_read_overrides(struct hd_problems *p, json_t *a, const char *prefix,
                               struct hd_arena *ar, size_t room, struct hd_trigger *t);

#endif
