/* render.c: finding and filling ###NAME### placeholders.
 *
 * The placeholders of a text are exactly the matches of the regular expression
 * /###([A-Za-z0-9_.-]{1,64})###/g taken leftmost first and without overlap, as JavaScript's
 * String.prototype.replace with the g flag finds them. So in a run of '#' the last three open a
 * placeholder ("#####A###" holds A after "##"), the three '#' that close one cannot also open
 * the next ("###A###B###" holds only A; "###A######B###" holds A and B), and a name longer than
 * 64 makes the whole candidate plain text, its closing ### free to open the next one. Rendering
 * is one pass over the template: a value is copied literally and never scanned again. */
#include "notify/render.h"

#include <string.h>

static bool is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

static bool is_hashes(const char *t, size_t len, size_t i)
{
    return len - i >= 3 && t[i] == '#' && t[i + 1] == '#' && t[i + 2] == '#';
}

/* The length of the name of the placeholder that starts at t[i] (i < len), or 0 if none does.
 * NAME cannot contain '#', so the greedy run of name characters is the only candidate. */
static size_t match_at(const char *t, size_t len, size_t i)
{
    if (!is_hashes(t, len, i))
        return 0;
    size_t start = i + 3, n = 0;
    while (n <= HD_PLACEHOLDER_NAME_MAX && start + n < len && is_name_char(t[start + n]))
        n++;
    if (n == 0 || n > HD_PLACEHOLDER_NAME_MAX || !is_hashes(t, len, start + n))
        return 0;
    return n;
}

/* Finds the leftmost placeholder starting at or after from: sets *at to its first '#' and
 * *name_len to the length of its name. */
static bool next_placeholder(const char *t, size_t len, size_t from, size_t *at, size_t *name_len)
{
    for (size_t i = from; i < len;) {
        const char *h = memchr(t + i, '#', len - i);
        if (!h)
            return false;
        i = (size_t)(h - t);
        size_t n = match_at(t, len, i);
        if (n) {
            *at = i;
            *name_len = n;
            return true;
        }
        i++;
    }
    return false;
}

bool hd_render_has(const struct hd_placeholders *ph, const char *name, size_t len)
{
    if (len > HD_PLACEHOLDER_NAME_MAX)
        return false;
    for (size_t k = 0; k < ph->n; k++)
        if (strlen(ph->names[k]) == len && memcmp(ph->names[k], name, len) == 0)
            return true;
    return false;
}

int hd_render_extract(const char *text, size_t len, struct hd_placeholders *ph)
{
    size_t pos = 0, at, n;
    while (next_placeholder(text, len, pos, &at, &n)) {
        const char *name = text + at + 3;
        pos = at + 3 + n + 3;
        if (hd_render_has(ph, name, n))
            continue;
        if (ph->n >= HD_PLACEHOLDERS_MAX)
            return HD_E_VALIDATION;
        memcpy(ph->names[ph->n], name, n);
        ph->names[ph->n][n] = '\0';
        ph->n++;
    }
    return 0;
}

int hd_render_key(struct hd_slice key, struct hd_slice *name)
{
    struct hd_slice s = key;
    if (s.len >= 6 && is_hashes(s.ptr, s.len, 0) && is_hashes(s.ptr, s.len, s.len - 3)) {
        s.ptr += 3;
        s.len -= 6;
    }
    if (s.len == 0 || s.len > HD_PLACEHOLDER_NAME_MAX)
        return HD_E_VALIDATION;
    for (size_t k = 0; k < s.len; k++)
        if (!is_name_char(s.ptr[k]))
            return HD_E_VALIDATION; /* also a stray or unbalanced '#' */
    *name = s;
    return 0;
}

/* The value given for name, or NULL; the first override wins when a name repeats. */
static const struct hd_slice *find_value(const struct hd_override *ov, size_t n, const char *name,
                                         size_t len)
{
    for (size_t k = 0; k < n; k++)
        if (ov[k].name.len == len && memcmp(ov[k].name.ptr, name, len) == 0)
            return &ov[k].value;
    return NULL;
}

/* Appends n bytes at *pos of dst (or only counts them when dst is NULL); false past the cap. */
static bool emit(char *dst, size_t *pos, const char *src, size_t n)
{
    if (n > HD_RENDER_MAX_OUT - *pos)
        return false;
    if (dst && n)
        memcpy(dst + *pos, src, n);
    *pos += n;
    return true;
}

/* Renders into dst, or only measures when dst is NULL. False when the cap is exceeded. */
static bool render_into(char *dst, const char *text, size_t len, const struct hd_override *ov,
                        size_t n, size_t *out_len)
{
    size_t pos = 0, from = 0, at, name_len;
    *out_len = 0;
    while (n > 0 && next_placeholder(text, len, from, &at, &name_len)) {
        size_t end = at + 3 + name_len + 3;
        const struct hd_slice *v = find_value(ov, n, text + at + 3, name_len);
        if (v && (!emit(dst, &pos, text + from, at - from) || !emit(dst, &pos, v->ptr, v->len)))
            return false;
        if (!v && !emit(dst, &pos, text + from, end - from))
            return false;
        from = end;
    }
    if (!emit(dst, &pos, text + from, len - from))
        return false;
    *out_len = pos;
    return true;
}

char *hd_render(struct hd_arena *ar, const char *text, size_t len, const struct hd_override *ov,
                size_t n)
{
    size_t out_len;
    if (!text)
        text = ""; /* len is 0; keeps pointer arithmetic off NULL */
    if (!render_into(NULL, text, len, ov, n, &out_len))
        return NULL;
    char *out = hd_arena_alloc(ar, out_len + 1);
    if (!render_into(out, text, len, ov, n, &out_len))
        return NULL; /* not reached: the same input measured within the cap */
    out[out_len] = '\0';
    return out;
}
