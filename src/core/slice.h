/* slice.h: a borrowed {ptr,len} view of bytes, used for everything read off the network. */
#ifndef HD_CORE_SLICE_H
#define HD_CORE_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

struct hd_slice {
    const char *ptr;
    size_t len;
};

#define HD_SLICE_LIT(s) ((struct hd_slice){(s), sizeof(s) - 1})

static inline struct hd_slice hd_slice_of(const char *s)
{
    return (struct hd_slice){s, s ? strlen(s) : 0};
}

static inline bool hd_slice_eq(struct hd_slice a, const char *lit)
{
    size_t n = strlen(lit);
    return a.len == n && memcmp(a.ptr, lit, n) == 0;
}

static inline bool hd_slice_caseeq(struct hd_slice a, const char *lit)
{
    size_t n = strlen(lit);
    return a.len == n && strncasecmp(a.ptr, lit, n) == 0;
}

/* The value of a hexadecimal digit, or -1. */
static inline int hd_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Removes leading and trailing spaces and tabs. */
struct hd_slice hd_slice_trim(struct hd_slice s);

#endif
