/* buf.h: a growable byte buffer (owned memory, unlike hd_slice).
 *
 * A zeroed struct hd_buf is an empty buffer. hd_buf_free() releases the memory; the struct
 * itself belongs to whoever embeds it. Appends abort on out-of-memory. */
#ifndef HD_CORE_BUF_H
#define HD_CORE_BUF_H

#include <stddef.h>

struct hd_buf {
    char *data;
    size_t len, cap;
};

void hd_buf_free(struct hd_buf *b);
/* Makes room for n more bytes and returns where they go (call hd_buf_commit after writing). */
char *hd_buf_reserve(struct hd_buf *b, size_t n);
void hd_buf_append(struct hd_buf *b, const void *p, size_t n);
void hd_buf_puts(struct hd_buf *b, const char *s);
void hd_buf_printf(struct hd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes. */
void hd_buf_consume(struct hd_buf *b, size_t n);

#endif
