/* arena.c: linked blocks of at least 4 KiB; large requests get a block of their own. */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define BLOCK_SIZE 4096
#define ALIGN      16

struct block {
    struct block *next;
    size_t size, used;
    _Alignas(ALIGN) unsigned char data[];
};

struct hd_arena {
    struct block *head;
};

static struct block *block_new(size_t size)
{
    struct block *b = hd_xmalloc(sizeof(*b) + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct hd_arena *hd_arena_create(void)
{
    struct hd_arena *a = hd_xmalloc(sizeof(*a));
    a->head = block_new(BLOCK_SIZE);
    return a;
}

void hd_arena_destroy(struct hd_arena *a)
{
    if (!a)
        return;
    for (struct block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

void hd_arena_reset(struct hd_arena *a)
{
    struct block *last = a->head;
    while (last->next) {
        struct block *b = last;
        last = last->next;
        free(b);
    }
    /* keep the oldest block, which is the standard-sized first one */
    last->used = 0;
    a->head = last;
}

void *hd_arena_alloc(struct hd_arena *a, size_t n)
{
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    struct block *b = a->head;
    if (b->size - b->used < n) {
        if (n > BLOCK_SIZE / 4) {
            /* a big allocation gets its own block, linked behind the current one */
            struct block *big = block_new(n);
            big->used = n;
            big->next = b->next;
            b->next = big;
            memset(big->data, 0, n);
            return big->data;
        }
        b = block_new(BLOCK_SIZE);
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *hd_arena_strndup(struct hd_arena *a, const char *s, size_t n)
{
    char *p = hd_arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *hd_arena_strdup(struct hd_arena *a, const char *s)
{
    return s ? hd_arena_strndup(a, s, strlen(s)) : NULL;
}

char *hd_arena_concat(struct hd_arena *a, const char *const *parts, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(parts[i]);
    char *out = hd_arena_alloc(a, total + 1), *at = out;
    for (size_t i = 0; i < n; i++)
        at = stpcpy(at, parts[i]);
    return out;
}

const char **hd_arena_strdup_list(struct hd_arena *a, const char *const *list, size_t n)
{
    const char **out = hd_arena_alloc(a, (n + 1) * sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = hd_arena_strdup(a, list[i]);
    out[n] = NULL;
    return out;
}

char *hd_arena_slice(struct hd_arena *a, struct hd_slice s)
{
    return hd_arena_strndup(a, s.ptr, s.len);
}

/* Formatted once into a stack buffer, which most texts fit; only a longer one is formatted a
 * second time, into its exact room. */
char *hd_arena_printf(struct hd_arena *a, const char *fmt, ...)
{
    char first[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(first, sizeof(first), fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    char *p = hd_arena_alloc(a, (size_t)n + 1);
    if ((size_t)n < sizeof(first)) {
        memcpy(p, first, (size_t)n + 1);
        return p;
    }
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
