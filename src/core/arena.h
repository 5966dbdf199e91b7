/* arena.h: a bump allocator that lives as long as one request (or one command).
 *
 * Everything allocated from an arena is released at once by hd_arena_reset() or
 * hd_arena_destroy(); nothing allocated from it is freed alone. Allocation never fails: out of
 * memory aborts, so every client-controlled size must be capped before it reaches an arena. */
#ifndef HD_CORE_ARENA_H
#define HD_CORE_ARENA_H

#include <stddef.h>
#include "core/slice.h"

struct hd_arena;

/* Returns a new arena; release with hd_arena_destroy(). */
struct hd_arena *hd_arena_create(void);
void hd_arena_destroy(struct hd_arena *a);
/* Frees every block but the first, so a reused arena costs no malloc per request. */
void hd_arena_reset(struct hd_arena *a);

/* Returns n bytes aligned for any type, zeroed. */
void *hd_arena_alloc(struct hd_arena *a, size_t n);
/* Returns a NUL-terminated copy. */
char *hd_arena_strndup(struct hd_arena *a, const char *s, size_t n);
char *hd_arena_strdup(struct hd_arena *a, const char *s);
/* The n strings of parts one after the other, in one NUL-terminated copy (no printf). */
char *hd_arena_concat(struct hd_arena *a, const char *const *parts, size_t n);
/* A copy of n strings (and a NULL after them), each copied too. */
const char **hd_arena_strdup_list(struct hd_arena *a, const char *const *list, size_t n);
char *hd_arena_slice(struct hd_arena *a, struct hd_slice s);
char *hd_arena_printf(struct hd_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
