/* scope.c: scope names <-> bits (SPEC §1).
 *
 * The table below is the one place scope names live. A write scope implies the read scope of
 * the same resource, and nothing else: admin:write grants neither notifications scope. */
#include "auth/scope.h"

#include <string.h>

struct scope_name {
    unsigned bit;
    const char *name;
};

/* In enum order, which is also the order hd_scope_format writes. */
static const struct scope_name scopes[] = {
    {HD_SCOPE_NOTIFICATIONS_READ, "notifications:read"},
    {HD_SCOPE_NOTIFICATIONS_WRITE, "notifications:write"},
    {HD_SCOPE_ADMIN_READ, "admin:read"},
    {HD_SCOPE_ADMIN_WRITE, "admin:write"},
};

#define NSCOPES (sizeof(scopes) / sizeof(scopes[0]))

static bool is_separator(char c)
{
    return c == ' ' || c == ',';
}

static unsigned lookup(struct hd_slice word)
{
    for (size_t i = 0; i < NSCOPES; i++)
        if (hd_slice_eq(word, scopes[i].name))
            return scopes[i].bit;
    return 0;
}

int hd_scope_parse(struct hd_slice text, unsigned *out, struct hd_slice *bad)
{
    unsigned acc = 0;
    size_t i = 0;
    while (i < text.len) {
        if (is_separator(text.ptr[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < text.len && !is_separator(text.ptr[i]))
            i++;
        struct hd_slice word = {text.ptr + start, i - start};
        unsigned bit = lookup(word);
        if (!bit) {
            if (bad)
                *bad = word;
            *out = 0;
            return HD_E_VALIDATION;
        }
        acc |= bit;
    }
    *out = acc;
    return 0;
}

/* Like snprintf, the output is cut at outlen - 1 bytes and always NUL-terminated; the longest
 * text, all four scopes, is 61 bytes plus the NUL. */
void hd_scope_format(unsigned scopes_held, char *out, size_t outlen)
{
    size_t o = 0;
    if (!outlen)
        return;
    for (size_t i = 0; i < NSCOPES; i++) {
        if (!(scopes_held & scopes[i].bit))
            continue;
        const char *sep = o ? " " : "";
        for (const char *p = sep; *p && o + 1 < outlen; p++)
            out[o++] = *p;
        for (const char *p = scopes[i].name; *p && o + 1 < outlen; p++)
            out[o++] = *p;
    }
    out[o] = '\0';
}

unsigned hd_scope_expand(unsigned s)
{
    if (s & HD_SCOPE_NOTIFICATIONS_WRITE)
        s |= HD_SCOPE_NOTIFICATIONS_READ;
    if (s & HD_SCOPE_ADMIN_WRITE)
        s |= HD_SCOPE_ADMIN_READ;
    return s;
}

bool hd_scope_allows(unsigned have, unsigned need)
{
    return (hd_scope_expand(have) & need) == need;
}
