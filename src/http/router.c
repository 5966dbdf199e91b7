/* router.c: linear match over the table, segment by segment. The table has a few dozen rows
 * and a match costs a few string compares, far below a syscall. */
#include "http/router.h"

#include <llhttp.h>
#include <stdio.h>
#include <string.h>

/* Matches path against pattern; fills params on success. */
static bool match(const char *pattern, struct hd_slice path, struct hd_slice *params,
                  size_t *nparams)
{
    const char *p = pattern, *s = path.ptr, *end = path.ptr + path.len;
    size_t n = 0;
    while (*p && s < end) {
        if (p[0] == '{' && p[1] == '}') {
            const char *slash = memchr(s, '/', (size_t)(end - s));
            const char *seg_end = slash ? slash : end;
            if (seg_end == s || n == HD_ROUTE_PARAMS_MAX)
                return false;
            params[n++] = (struct hd_slice){s, (size_t)(seg_end - s)};
            s = seg_end;
            p += 2;
        } else if (*p++ != *s++) {
            return false;
        }
    }
    if (*p || s != end)
        return false;
    *nparams = n;
    return true;
}

static void add_allow(char *allow, size_t allowlen, int method)
{
    if (!allow)
        return;
    const char *name = llhttp_method_name((llhttp_method_t)method);
    if (strstr(allow, name))
        return;
    size_t used = strlen(allow);
    snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "", name);
}

int hd_router_match(const struct hd_router *r, int method, struct hd_slice path,
                    const struct hd_route **out, struct hd_slice *params, size_t *nparams,
                    char *allow, size_t allowlen)
{
    bool path_known = false;
    if (allow && allowlen)
        allow[0] = '\0';
    for (size_t i = 0; i < r->n; i++) {
        const struct hd_route *rt = &r->routes[i];
        struct hd_slice p[HD_ROUTE_PARAMS_MAX];
        size_t np = 0;
        if (!match(rt->pattern, path, p, &np))
            continue;
        bool same = rt->method == method || (method == HTTP_HEAD && rt->method == HTTP_GET);
        if (same) {
            *out = rt;
            memcpy(params, p, np * sizeof(*p));
            *nparams = np;
            return 0;
        }
        path_known = true;
        add_allow(allow, allowlen, rt->method);
    }
    return path_known ? HD_E_METHOD : HD_E_NOT_FOUND;
}
