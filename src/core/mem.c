/* mem.c: checked allocation. */
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p)
{
    if (!p) {
        fputs("herald: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *hd_xmalloc(size_t n)
{
    return check(malloc(n ? n : 1));
}

void *hd_xcalloc(size_t n, size_t size)
{
    return check(calloc(n ? n : 1, size ? size : 1));
}

void *hd_xrealloc(void *p, size_t n)
{
    return check(realloc(p, n ? n : 1));
}

char *hd_xstrdup(const char *s)
{
    return check(strdup(s));
}
