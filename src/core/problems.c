/* problems.c: problem collection. */
#include "core/problems.h"

#include <stdarg.h>
#include <stdio.h>

void hd_problem(struct hd_problems *p, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!p->details)
        p->details = json_array();
    if (json_array_size(p->details) >= HD_PROBLEMS_MAX)
        return;
    json_array_append_new(p->details, json_pack("{s:s, s:s}", "field", field, "message", msg));
}

void hd_problems_free(struct hd_problems *p)
{
    json_decref(p->details);
    p->details = NULL;
}
