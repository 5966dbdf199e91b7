/* mem.h: allocation that aborts on out-of-memory (DESIGN.md: cap sizes first, then trust). */
#ifndef HD_CORE_MEM_H
#define HD_CORE_MEM_H

#include <stddef.h>

void *hd_xmalloc(size_t n);
void *hd_xcalloc(size_t n, size_t size);
void *hd_xrealloc(void *p, size_t n);
char *hd_xstrdup(const char *s);

#endif
