/* b64.c: base64 (RFC 4648 §4) and base64url (RFC 4648 §5).
 *
 * The decoders are strict, because what they decode is authenticated (JWT signatures, Basic
 * credentials) and one token must have exactly one spelling: characters outside the alphabet,
 * impossible lengths (n % 4 == 1), misplaced or miscounted '=' and non-zero pad bits
 * (RFC 4648 §3.5 lets decoders reject them) are all refused. Neither reads past n. */
#include "core/b64.h"

#include <stdint.h>

static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of c in the alphabet whose last two characters are c62 and c63, or -1. */
static int sextet(unsigned char c, char c62, char c63)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (unsigned char)c62)
        return 62;
    if (c == (unsigned char)c63)
        return 63;
    return -1;
}

size_t hd_b64url_encode(char *out, const unsigned char *in, size_t n)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = url_alphabet[v >> 18];
        out[o++] = url_alphabet[(v >> 12) & 63];
        out[o++] = url_alphabet[(v >> 6) & 63];
        out[o++] = url_alphabet[v & 63];
    }
    if (n - i == 1) {
        out[o++] = url_alphabet[in[i] >> 2];
        out[o++] = url_alphabet[(in[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
        out[o++] = url_alphabet[v >> 10];
        out[o++] = url_alphabet[(v >> 4) & 63];
        out[o++] = url_alphabet[(v & 15) << 2];
    }
    out[o] = '\0';
    return o;
}

/* Decodes n unpadded characters. A final group of 2 or 3 characters carries 4 or 2 pad bits,
 * which must be zero. */
static int decode(const char *in, size_t n, char c62, char c63, unsigned char *out, size_t *outlen)
{
    if (n % 4 == 1)
        return HD_E_BAD_REQUEST;
    uint32_t acc = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = sextet((unsigned char)in[i], c62, c63);
        if (v < 0)
            return HD_E_BAD_REQUEST;
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            acc = 0;
        }
    }
    if (n % 4 == 2) {
        if (acc & 15)
            return HD_E_BAD_REQUEST;
        out[o++] = (unsigned char)(acc >> 4);
    } else if (n % 4 == 3) {
        if (acc & 3)
            return HD_E_BAD_REQUEST;
        out[o++] = (unsigned char)(acc >> 10);
        out[o++] = (unsigned char)(acc >> 2);
    }
    *outlen = o;
    return 0;
}

int hd_b64url_decode(const char *in, size_t n, unsigned char *out, size_t *outlen)
{
    return decode(in, n, '-', '_', out, outlen);
}

/* Padding is optional, but when present the whole text is a multiple of 4 long with at most
 * two '=' (RFC 4648 §4); that fixes the count to the one the data length implies. An '='
 * anywhere else is a character outside the alphabet. */
int hd_b64_decode(const char *in, size_t n, unsigned char *out, size_t *outlen)
{
    size_t pad = 0;
    while (pad < n && in[n - 1 - pad] == '=')
        pad++;
    if (pad && (n % 4 != 0 || pad > 2))
        return HD_E_BAD_REQUEST;
    return decode(in, n - pad, '+', '/', out, outlen);
}
