/* form.h: application/x-www-form-urlencoded bodies and the HTTP Basic scheme, as the OAuth2
 * token endpoint receives them (RFC 6749 §2.3.1, Appendix B). */
#ifndef HD_HTTP_FORM_H
#define HD_HTTP_FORM_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/slice.h"

#define HD_FORM_MAX_FIELDS 32

struct hd_form_field {
    const char *name, *value; /* decoded, NUL-terminated, from the arena */
    size_t value_len;         /* a value may hold NUL bytes (%00); names may not */
};

struct hd_form {
    struct hd_form_field fields[HD_FORM_MAX_FIELDS];
    size_t n;
};

/* Decodes body: pairs split on '&', name and value on the first '=', '+' as space, %XX
 * escapes. Empty pairs are skipped. Returns 0, or HD_E_BAD_REQUEST with *why a static sentence:
 * a bad %-escape, more than HD_FORM_MAX_FIELDS fields, or a name repeated (RFC 6749 §3.1
 * forbids repeating a parameter). */
int hd_form_parse(struct hd_slice body, struct hd_arena *ar, struct hd_form *out,
                  const char **why) HD_WUR;
/* The value of name, or NULL. */
const struct hd_form_field *hd_form_get(const struct hd_form *f, const char *name);

/* Decodes an Authorization header value "Basic <base64(id:secret)>" (scheme case-insensitive);
 * per RFC 6749 §2.3.1 id and secret are then form-urldecoded. Returns 0 with both set (from the
 * arena), HD_E_NOT_FOUND when the scheme is not Basic, or HD_E_BAD_REQUEST with *why when it is
 * Basic but malformed (bad base64, no ':'). */
int hd_basic_parse(struct hd_slice header, struct hd_arena *ar, const char **id,
                   const char **secret, const char **why) HD_WUR;

#endif
