/* buf.c: doubling growth; consume moves the tail down (buffers here are small and drained whole
 * most of the time, so the move is rare and short). */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

void hd_buf_free(struct hd_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *hd_buf_reserve(struct hd_buf *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= 2;
        b->data = hd_xrealloc(b->data, cap);
        b->cap = cap;
    }
    return b->data + b->len;
}

void hd_buf_append(struct hd_buf *b, const void *p, size_t n)
{
    if (!n)
        return;
    memcpy(hd_buf_reserve(b, n), p, n);
    b->len += n;
}

void hd_buf_puts(struct hd_buf *b, const char *s)
{
    hd_buf_append(b, s, strlen(s));
}

void hd_buf_printf(struct hd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        hd_buf_append(b, small, (size_t)n);
        return;
    }
    char *p = hd_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void hd_buf_consume(struct hd_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}
