/* trigger.h: turning a validated trigger request and its template into the notification to
 * store (SPEC §3): defaults for type and dates, the override rules, and rendering.
 *
 * Pure: no I/O. The API layer parses the JSON payload and looks the template up; this module
 * decides what the notification says and when it runs. */
#ifndef HD_NOTIFY_TRIGGER_H
#define HD_NOTIFY_TRIGGER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/problems.h"
#include "notify/render.h"
#include "store/store.h"

#define HD_DEFAULT_DURATION_MS (30 * HD_MS_PER_DAY)

struct hd_trigger {
    const char *title;               /* console name; NULL: the template's name */
    const char *runtime_title;       /* NULL: the template's title */
    const char *runtime_description; /* NULL: the template's description */
    const char *type;                /* "push"/"popup"; NULL: the template's type */
    bool has_start, has_end;
    int64_t start_at, end_at;
    const struct hd_override *overrides; /* bare names; no duplicates */
    size_t n_overrides;
};

/* Fills n's type, titles, texts, button and dates from t and tpl at time now; ids and
 * authorship are the caller's. Problems (missing or unknown overrides, a button URL that is not
 * a URL once filled, dates out of order) are added under "notification.*". Returns 0, or
 * HD_E_VALIDATION when p gained problems. Strings come from ar. */
int hd_trigger_prepare(const struct hd_trigger *t, const struct hd_template *tpl, int64_t now,
                       struct hd_arena *ar, struct hd_problems *p,
                       struct hd_notification *n) HD_WUR;

#endif
