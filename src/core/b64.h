/* b64.h: base64 (RFC 4648 §4, with padding: HTTP Basic) and base64url (§5, unpadded: JWT). */
#ifndef HD_CORE_B64_H
#define HD_CORE_B64_H

#include <stddef.h>

#include "core/err.h"

/* Output sizes for n input bytes, including the NUL the encoders write. */
#define HD_B64_ENCODED_SIZE(n) ((((n) + 2) / 3) * 4 + 1)
#define HD_B64_DECODED_SIZE(n) (((n) / 4 + 1) * 3)

/* Encodes n bytes unpadded base64url, NUL-terminates, returns the length written. */
size_t hd_b64url_encode(char *out, const unsigned char *in, size_t n);
/* Decodes unpadded base64url (padding and any other character rejected). out holds
 * HD_B64_DECODED_SIZE(n). Returns 0 and *outlen, or HD_E_BAD_REQUEST. */
int hd_b64url_decode(const char *in, size_t n, unsigned char *out, size_t *outlen) HD_WUR;
/* Decodes standard base64; padding optional, but a wrong count of it is rejected. */
int hd_b64_decode(const char *in, size_t n, unsigned char *out, size_t *outlen) HD_WUR;

#endif
