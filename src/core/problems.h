/* problems.h: a list of {"field","message"} problems found in a payload, collected so that
 * every problem is reported at once (SPEC §3 error format, "details"). */
#ifndef HD_CORE_PROBLEMS_H
#define HD_CORE_PROBLEMS_H

#include <jansson.h>
#include <stdbool.h>

#define HD_PROBLEMS_MAX 50

struct hd_problems {
    json_t *details; /* array, created on the first problem */
};

/* Adds a problem (beyond HD_PROBLEMS_MAX they are dropped: enough to act on). */
void hd_problem(struct hd_problems *p, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline bool hd_problems_any(const struct hd_problems *p)
{
    return p->details != NULL;
}
void hd_problems_free(struct hd_problems *p);

#endif
