/* form.c: application/x-www-form-urlencoded bodies (WHATWG URL §5.1, which RFC 6749 Appendix B
 * defers to) and HTTP Basic credentials (RFC 7617), with RFC 6749 §2.3.1's form-encoding of
 * the client id and secret inside them.
 *
 * Input is a borrowed slice read only within its length; every output is a fresh NUL-terminated
 * copy in the caller's arena. Stricter than browsers: a '%' not followed by two hex digits is
 * an error, not a literal, and a repeated name is refused (RFC 6749 §3.1). */
#include "http/form.h"

#include <string.h>

#include "core/b64.h"

static int bad(const char **why, const char *sentence)
{
    if (why)
        *why = sentence;
    return HD_E_BAD_REQUEST;
}

/* Decodes n bytes of s ('+' is a space, %XX a byte) into a new arena string, which may hold
 * NUL bytes; its length goes to *outlen. Returns 0, or HD_E_BAD_REQUEST on a bad escape. */
static int url_decode(struct hd_arena *ar, const char *s, size_t n, char **out, size_t *outlen)
{
    char *d = hd_arena_alloc(ar, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            d[o++] = ' ';
        } else if (s[i] != '%') {
            d[o++] = s[i];
        } else {
            int hi = n - i >= 3 ? hd_hex_digit(s[i + 1]) : -1;
            int lo = hi >= 0 ? hd_hex_digit(s[i + 2]) : -1;
            if (lo < 0)
                return HD_E_BAD_REQUEST;
            d[o++] = (char)(hi << 4 | lo);
            i += 2;
        }
    }
    d[o] = '\0';
    *out = d;
    *outlen = o;
    return 0;
}

/* Adds one non-empty "name[=value]" pair to f. */
static int add_pair(struct hd_form *f, struct hd_arena *ar, const char *s, size_t n,
                    const char **why)
{
    const char *eq = memchr(s, '=', n);
    size_t name_len = eq ? (size_t)(eq - s) : n;
    const char *v = eq ? eq + 1 : s + n;
    char *name, *value;
    size_t len, value_len;
    if (f->n == HD_FORM_MAX_FIELDS)
        return bad(why, "The form has too many fields.");
    if (url_decode(ar, s, name_len, &name, &len) < 0 ||
        url_decode(ar, v, n - (size_t)(v - s), &value, &value_len) < 0)
        return bad(why, "The form has a malformed %-escape.");
    if (memchr(name, '\0', len))
        return bad(why, "A form field name holds a NUL byte.");
    if (hd_form_get(f, name))
        return bad(why, "A form field is repeated.");
    f->fields[f->n++] = (struct hd_form_field){name, value, value_len};
    return 0;
}

int hd_form_parse(struct hd_slice body, struct hd_arena *ar, struct hd_form *out, const char **why)
{
    out->n = 0;
    if (!body.len)
        return 0;
    const char *p = body.ptr, *end = body.ptr + body.len;
    for (;;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if (stop > p) {
            int rc = add_pair(out, ar, p, (size_t)(stop - p), why);
            if (rc < 0)
                return rc;
        }
        if (!amp)
            return 0;
        p = amp + 1;
    }
}

const struct hd_form_field *hd_form_get(const struct hd_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return &f->fields[i];
    return NULL;
}

/* Form-decodes one half of the Basic user-pass into a C string, so it must hold no NUL. */
static int credential(struct hd_arena *ar, const char *s, size_t n, const char **out)
{
    char *d;
    size_t len;
    if (url_decode(ar, s, n, &d, &len) < 0 || memchr(d, '\0', len))
        return HD_E_BAD_REQUEST;
    *out = d;
    return 0;
}

/* RFC 7617 §2: credentials = "Basic" 1*SP base64(user-id ":" password); the user-id cannot
 * hold ':', so the split is on the first one and the password keeps any others. */
int hd_basic_parse(struct hd_slice header, struct hd_arena *ar, const char **id,
                   const char **secret, const char **why)
{
    struct hd_slice h = hd_slice_trim(header);
    size_t sp = 0;
    while (sp < h.len && h.ptr[sp] != ' ')
        sp++;
    if (!hd_slice_caseeq((struct hd_slice){h.ptr, sp}, "Basic"))
        return HD_E_NOT_FOUND;
    struct hd_slice b64 = hd_slice_trim((struct hd_slice){h.ptr + sp, h.len - sp});
    unsigned char *raw = hd_arena_alloc(ar, HD_B64_DECODED_SIZE(b64.len));
    size_t n;
    if (hd_b64_decode(b64.ptr, b64.len, raw, &n) < 0)
        return bad(why, "The Basic credentials are not valid base64.");
    const char *user = (const char *)raw;
    const char *colon = memchr(user, ':', n);
    if (!colon)
        return bad(why, "The Basic credentials have no ':' between id and secret.");
    const char *id_text, *secret_text;
    size_t id_len = (size_t)(colon - user);
    if (credential(ar, user, id_len, &id_text) < 0 ||
        credential(ar, colon + 1, n - id_len - 1, &secret_text) < 0)
        return bad(why, "The Basic client id or secret is not validly form-encoded.");
    *id = id_text;
    *secret = secret_text;
    return 0;
}
