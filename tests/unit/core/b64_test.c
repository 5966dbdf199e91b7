/* b64_test.c: base64 and base64url against the RFC 4648 §10 vectors, round trips, and the
 * strictness the decoders promise (alphabet, length, padding, pad bits, no read past n).
 * Inputs are copied into exact-size heap buffers, so ASan catches any read past their end. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"

/* An exact-size heap copy of s without its NUL. */
static char *exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    cr_assert_not_null(p);
    memcpy(p, s, n);
    return p;
}

static int decode_std(const char *s, unsigned char *out, size_t *outlen)
{
    size_t n = strlen(s);
    char *in = exact(s, n);
    int rc = hd_b64_decode(in, n, out, outlen);
    free(in);
    return rc;
}

static int decode_url(const char *s, unsigned char *out, size_t *outlen)
{
    size_t n = strlen(s);
    char *in = exact(s, n);
    int rc = hd_b64url_decode(in, n, out, outlen);
    free(in);
    return rc;
}

struct vector {
    const char *plain, *padded, *unpadded;
};

/* RFC 4648 §10 */
static const struct vector rfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

#define NVECTORS (sizeof(rfc4648) / sizeof(rfc4648[0]))

Test(b64, rfc4648_vectors_encode_url)
{
    for (size_t i = 0; i < NVECTORS; i++) {
        const struct vector *v = &rfc4648[i];
        char out[HD_B64_ENCODED_SIZE(6)];
        size_t n = hd_b64url_encode(out, (const unsigned char *)v->plain, strlen(v->plain));
        cr_expect_str_eq(out, v->unpadded, "encoding \"%s\"", v->plain);
        cr_expect_eq(n, strlen(v->unpadded));
    }
}

Test(b64, rfc4648_vectors_decode)
{
    for (size_t i = 0; i < NVECTORS; i++) {
        const struct vector *v = &rfc4648[i];
        unsigned char out[HD_B64_DECODED_SIZE(8)];
        size_t n = 99;
        cr_assert_eq(decode_std(v->padded, out, &n), 0, "std %s", v->padded);
        cr_expect_eq(n, strlen(v->plain));
        cr_expect_arr_eq(out, v->plain, n);
        n = 99;
        cr_assert_eq(decode_std(v->unpadded, out, &n), 0, "std unpadded %s", v->unpadded);
        cr_expect_eq(n, strlen(v->plain));
        cr_expect_arr_eq(out, v->plain, n);
        n = 99;
        cr_assert_eq(decode_url(v->unpadded, out, &n), 0, "url %s", v->unpadded);
        cr_expect_eq(n, strlen(v->plain));
        cr_expect_arr_eq(out, v->plain, n);
    }
}

/* 0xfb 0xff 0xfe uses sextets 62 and 63, the two that differ between the alphabets. */
Test(b64, alphabets_differ_in_62_and_63)
{
    static const unsigned char bytes[] = {0xfb, 0xff, 0xfe};
    char text[HD_B64_ENCODED_SIZE(3)];
    unsigned char out[HD_B64_DECODED_SIZE(4)];
    size_t n;
    hd_b64url_encode(text, bytes, 3);
    cr_assert_str_eq(text, "-__-");
    cr_assert_eq(decode_url("-__-", out, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_arr_eq(out, bytes, 3);
    cr_assert_eq(decode_std("+//+", out, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_arr_eq(out, bytes, 3);
    cr_expect_eq(decode_url("+//+", out, &n), HD_E_BAD_REQUEST);
    cr_expect_eq(decode_std("-__-", out, &n), HD_E_BAD_REQUEST);
}

Test(b64, url_round_trip_every_length)
{
    unsigned char in[70], out[HD_B64_DECODED_SIZE(HD_B64_ENCODED_SIZE(70))];
    char text[HD_B64_ENCODED_SIZE(70)];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof(in); len++) {
        size_t tl = hd_b64url_encode(text, in, len);
        cr_assert_eq(tl, strlen(text));
        cr_assert_eq(tl, (len * 4 + 2) / 3, "unpadded length for %zu bytes", len);
        cr_assert_lt(tl, (size_t)HD_B64_ENCODED_SIZE(len));
        size_t n = 0;
        cr_assert_eq(hd_b64url_decode(text, tl, out, &n), 0);
        cr_assert_eq(n, len);
        cr_assert_arr_eq(out, in, len);
    }
}

Test(b64, rejects_characters_outside_the_alphabet)
{
    static const char *bad[] = {"Zm9v!A==", "Zm 9v", "Zm9v\n", "Zm.v", "Zm9v\x80"};
    unsigned char out[16];
    size_t n;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(decode_std(bad[i], out, &n), HD_E_BAD_REQUEST, "std \"%s\"", bad[i]);
        cr_expect_eq(decode_url(bad[i], out, &n), HD_E_BAD_REQUEST, "url \"%s\"", bad[i]);
    }
    /* an embedded NUL is just another bad character */
    cr_expect_eq(hd_b64url_decode("Zm\0v", 4, out, &n), HD_E_BAD_REQUEST);
    cr_expect_eq(hd_b64_decode("Zm\0v", 4, out, &n), HD_E_BAD_REQUEST);
}

Test(b64, rejects_impossible_lengths)
{
    unsigned char out[16];
    size_t n;
    cr_expect_eq(decode_url("Z", out, &n), HD_E_BAD_REQUEST);
    cr_expect_eq(decode_url("Zm9vY", out, &n), HD_E_BAD_REQUEST);
    cr_expect_eq(decode_std("Zm9vY", out, &n), HD_E_BAD_REQUEST);
    cr_expect_eq(decode_std("Z===", out, &n), HD_E_BAD_REQUEST);
}

Test(b64, url_rejects_padding)
{
    unsigned char out[16];
    size_t n;
    cr_expect_eq(decode_url("Zg==", out, &n), HD_E_BAD_REQUEST);
    cr_expect_eq(decode_url("Zm8=", out, &n), HD_E_BAD_REQUEST);
}

Test(b64, std_rejects_wrong_padding)
{
    static const char *bad[] = {"Zg=", "Zg===", "Zm8==", "Zm9v=",    "Zm9v====", "=",
                                "==",  "Zm=v",  "Z=g=",  "Zg==Zg==", "Zm9vYg="};
    unsigned char out[16];
    size_t n;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(decode_std(bad[i], out, &n), HD_E_BAD_REQUEST, "\"%s\"", bad[i]);
}

/* RFC 4648 §3.5: "Zh" and "Zg" would both decode to "f" if the pad bits were ignored. */
Test(b64, rejects_nonzero_pad_bits)
{
    unsigned char out[16];
    size_t n;
    cr_expect_eq(decode_url("Zh", out, &n), HD_E_BAD_REQUEST);
    cr_expect_eq(decode_std("Zh==", out, &n), HD_E_BAD_REQUEST);
    cr_expect_eq(decode_url("Zm9", out, &n), HD_E_BAD_REQUEST);
    cr_expect_eq(decode_std("Zm9=", out, &n), HD_E_BAD_REQUEST);
    cr_expect_eq(decode_url("Zm8", out, &n), 0);
}

Test(b64, reads_only_n_bytes)
{
    unsigned char out[HD_B64_DECODED_SIZE(11)];
    size_t n;
    /* what follows n is garbage that would fail if it were read */
    cr_assert_eq(hd_b64url_decode("Zm9vYmFy!!!", 8, out, &n), 0);
    cr_assert_eq(n, 6);
    cr_assert_arr_eq(out, "foobar", 6);
    cr_assert_eq(hd_b64_decode("Zm9vYg==!!!", 8, out, &n), 0);
    cr_assert_eq(n, 4);
    cr_assert_arr_eq(out, "foob", 4);
    cr_assert_eq(hd_b64_decode(NULL, 0, out, &n), 0);
    cr_assert_eq(n, 0);
}

Test(b64, decoded_size_bound_holds)
{
    /* the largest output for n input characters fits HD_B64_DECODED_SIZE(n) */
    for (size_t len = 0; len < 40; len++) {
        unsigned char in[40];
        memset(in, 0xff, sizeof(in));
        char text[HD_B64_ENCODED_SIZE(40)];
        size_t tl = hd_b64url_encode(text, in, len);
        cr_assert_leq(len, (size_t)HD_B64_DECODED_SIZE(tl));
    }
}
