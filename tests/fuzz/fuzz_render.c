/* fuzz_render.c: libFuzzer target for hd_render_extract, hd_render_key and hd_render.
 *
 * Input: the first line is the template; the following lines alternate override key and value
 * ("OPP\nAcme\n###URL###\nhttps://x\n"). Each function is checked against a brute-force
 * reference that reads the rule of render.h literally (at each offset, try every name length
 * 1..64), and with abort() on these invariants: extraction gives distinct valid names in order
 * of first appearance, at most HD_PLACEHOLDERS_MAX; rendering with no overrides, or with every
 * name mapped to its own ###NAME###, returns the input unchanged; output never exceeds
 * HD_RENDER_MAX_OUT and is NULL exactly when the reference result would. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify/render.h"

#define MAX_OVERRIDES 16

static int is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* The name length of a placeholder at t[i], by trying every length; 0 when none. */
static size_t ref_match(const char *t, size_t len, size_t i)
{
    if (len - i < 7 || memcmp(t + i, "###", 3) != 0)
        return 0;
    for (size_t n = 1; n <= HD_PLACEHOLDER_NAME_MAX && i + n + 6 <= len; n++) {
        if (memcmp(t + i + 3 + n, "###", 3) != 0)
            continue;
        size_t k = 0;
        while (k < n && is_name_char(t[i + 3 + k]))
            k++;
        if (k == n)
            return n;
    }
    return 0;
}

static const struct hd_slice *ref_value(const struct hd_override *ov, size_t n, const char *name,
                                        size_t len)
{
    for (size_t k = 0; k < n; k++)
        if (ov[k].name.len == len && memcmp(ov[k].name.ptr, name, len) == 0)
            return &ov[k].value;
    return NULL;
}

/* Appends to out (capacity HD_RENDER_MAX_OUT); false once the cap would be passed. */
static int ref_put(char *out, size_t *pos, const char *s, size_t n)
{
    if (n > HD_RENDER_MAX_OUT - *pos)
        return 0;
    memcpy(out + *pos, s, n);
    *pos += n;
    return 1;
}

/* The reference rendering, and the reference extraction into names (when not NULL). Returns
 * 0 when the output would pass the cap. */
static int ref_render(const char *t, size_t len, const struct hd_override *ov, size_t n, char *out,
                      size_t *out_len, struct hd_placeholders *names, int *too_many)
{
    size_t pos = 0;
    int ok = 1;
    for (size_t i = 0; i < len;) {
        size_t m = ref_match(t, len, i);
        if (!m) {
            ok = ok && ref_put(out, &pos, t + i, 1);
            i++;
            continue;
        }
        if (!hd_render_has(names, t + i + 3, m)) {
            if (names->n == HD_PLACEHOLDERS_MAX)
                *too_many = 1;
            else {
                memcpy(names->names[names->n], t + i + 3, m);
                names->names[names->n++][m] = '\0';
            }
        }
        const struct hd_slice *v = ref_value(ov, n, t + i + 3, m);
        ok = ok && (v ? ref_put(out, &pos, v->ptr, v->len) : ref_put(out, &pos, t + i, m + 6));
        i += m + 6;
    }
    *out_len = pos;
    return ok;
}

static void check_names(const struct hd_placeholders *ph)
{
    if (ph->n > HD_PLACEHOLDERS_MAX)
        abort();
    for (size_t k = 0; k < ph->n; k++) {
        const char *nm = ph->names[k];
        size_t len = strlen(nm);
        struct hd_slice got;
        if (hd_render_key((struct hd_slice){nm, len}, &got) != 0 || got.len != len)
            abort();
        char wrapped[HD_PLACEHOLDER_NAME_MAX + 7];
        memcpy(wrapped, "###", 3);
        memcpy(wrapped + 3, nm, len);
        memcpy(wrapped + 3 + len, "###", 3);
        if (hd_render_key((struct hd_slice){wrapped, len + 6}, &got) != 0 || got.len != len ||
            memcmp(got.ptr, nm, len) != 0)
            abort();
        if (!hd_render_has(ph, nm, len))
            abort();
        for (size_t j = 0; j < k; j++)
            if (strcmp(ph->names[j], nm) == 0)
                abort();
    }
}

/* Splits the lines after the template into key/value overrides; keys must pass
 * hd_render_key, whose result must be a valid bare name inside the key. */
static size_t parse_overrides(const char *p, const char *end, struct hd_override *ov)
{
    size_t n = 0;
    while (p < end && n < MAX_OVERRIDES) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        struct hd_slice key = {p, (size_t)((nl ? nl : end) - p)};
        p = nl ? nl + 1 : end;
        nl = memchr(p, '\n', (size_t)(end - p));
        struct hd_slice value = {p, (size_t)((nl ? nl : end) - p)};
        p = nl ? nl + 1 : end;
        struct hd_slice name;
        if (hd_render_key(key, &name) != 0)
            continue;
        if (name.len < 1 || name.len > HD_PLACEHOLDER_NAME_MAX || name.ptr < key.ptr ||
            name.ptr + name.len > key.ptr + key.len)
            abort();
        ov[n++] = (struct hd_override){name, value};
    }
    return n;
}

static void check_render(struct hd_arena *ar, const char *t, size_t len,
                         const struct hd_override *ov, size_t n, char *ref)
{
    struct hd_placeholders names = {0};
    int too_many = 0;
    size_t ref_len;
    int ref_ok = ref_render(t, len, ov, n, ref, &ref_len, &names, &too_many);
    char *out = hd_render(ar, t, len, ov, n);
    if (!ref_ok) {
        if (out)
            abort();
        return;
    }
    if (!out || memcmp(out, ref, ref_len) != 0 || out[ref_len] != '\0')
        abort();
}

/* Maps every extracted name to its own ###NAME###: rendering must give the text back. */
static void check_identity(struct hd_arena *ar, const char *t, size_t len,
                           const struct hd_placeholders *ph)
{
    struct hd_override ov[HD_PLACEHOLDERS_MAX];
    for (size_t k = 0; k < ph->n; k++) {
        size_t nl = strlen(ph->names[k]);
        char *wrapped = hd_arena_printf(ar, "###%s###", ph->names[k]);
        ov[k] = (struct hd_override){{ph->names[k], nl}, {wrapped, nl + 6}};
    }
    char *out = hd_render(ar, t, len, ov, ph->n);
    if ((len <= HD_RENDER_MAX_OUT) != (out != NULL))
        abort();
    if (out && memcmp(out, t, len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *t = (const char *)data, *end = t + size;
    const char *nl = memchr(t, '\n', size);
    size_t len = nl ? (size_t)(nl - t) : size;

    struct hd_placeholders ph = {0}, ref_names = {0};
    int rc = hd_render_extract(t, len, &ph);
    static char ref[HD_RENDER_MAX_OUT];
    size_t ref_len;
    int too_many = 0;
    ref_render(t, len, NULL, 0, ref, &ref_len, &ref_names, &too_many);
    if (rc != (too_many ? HD_E_VALIDATION : 0) || ph.n != ref_names.n)
        abort();
    for (size_t k = 0; k < ph.n; k++)
        if (strcmp(ph.names[k], ref_names.names[k]) != 0)
            abort();
    check_names(&ph);

    struct hd_override ov[MAX_OVERRIDES];
    size_t n = nl ? parse_overrides(nl + 1, end, ov) : 0;
    struct hd_arena *ar = hd_arena_create();
    char *copy = hd_render(ar, t, len, NULL, 0);
    if ((len <= HD_RENDER_MAX_OUT) != (copy != NULL) || (copy && memcmp(copy, t, len) != 0))
        abort();
    check_render(ar, t, len, ov, n, ref);
    check_identity(ar, t, len, &ph);
    hd_arena_destroy(ar);
    return 0;
}
