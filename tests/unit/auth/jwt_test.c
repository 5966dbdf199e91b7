/* jwt_test.c: HS256 tokens. Valid tokens (ours and RFC 7515 Appendix A.1's) verify; every
 * tampering, algorithm substitution, bad claim, bad shape and bad encoding is refused. Tokens
 * that test a check behind the signature are signed correctly, so the check itself is what
 * refuses them. Every token is verified from an exact-size heap copy without a NUL, so ASan
 * catches any read past len. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "auth/secret.h"
#include "core/b64.h"

static const unsigned char KEY[] = "herald test key, thirty-two bytes or more";
#define KEYLEN     (sizeof(KEY) - 1)
#define NOW        ((int64_t)1700000000)
#define OUR_HEADER "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

static char *b64url(const void *data, size_t n)
{
    char *out = malloc(HD_B64_ENCODED_SIZE(n));
    cr_assert_not_null(out);
    hd_b64url_encode(out, data, n);
    return out;
}

/* Signs "hpart.ppart", two already-encoded parts, with HMAC-SHA256 under key. */
static char *sign_parts(const char *hpart, const char *ppart, const unsigned char *key,
                        size_t keylen)
{
    size_t n = strlen(hpart) + strlen(ppart) + 1;
    char *t = malloc(n + 1 + HD_B64_ENCODED_SIZE(HD_SHA256_LEN));
    cr_assert_not_null(t);
    sprintf(t, "%s.%s", hpart, ppart);
    unsigned char mac[HD_SHA256_LEN];
    hd_hmac_sha256(key, keylen, t, n, mac);
    t[n] = '.';
    hd_b64url_encode(t + n + 1, mac, sizeof(mac));
    return t;
}

/* Signs a token whose header and payload are the given JSON texts, whatever they hold. */
static char *sign_json(const char *header, const char *payload)
{
    char *h = b64url(header, strlen(header)), *p = b64url(payload, strlen(payload));
    char *t = sign_parts(h, p, KEY, KEYLEN);
    free(h);
    free(p);
    return t;
}

static int verify_n(const char *token, size_t len, const unsigned char *key, size_t keylen,
                    int64_t now, json_t **claims, const char **why)
{
    char *copy = malloc(len ? len : 1);
    cr_assert_not_null(copy);
    memcpy(copy, token, len);
    int rc = hd_jwt_verify(copy, len, key, keylen, now, claims, why);
    free(copy);
    if (rc < 0)
        cr_expect_null(*claims, "no claims on failure");
    return rc;
}

/* Verifies with KEY at NOW, drops the claims, and returns the result and the reason. */
static int check(const char *token, const char **why)
{
    json_t *claims = NULL;
    *why = NULL;
    int rc = verify_n(token, strlen(token), KEY, KEYLEN, NOW, &claims, why);
    json_decref(claims);
    return rc;
}

static void expect_refused(const char *token, const char *reason_part)
{
    const char *why;
    cr_expect_eq(check(token, &why), HD_E_UNAUTHORIZED, "accepted: %s", token);
    cr_expect(why && strstr(why, reason_part), "for %s: wanted a reason with \"%s\", got \"%s\"",
              token, reason_part, why ? why : "(null)");
}

static void expect_accepted(const char *token)
{
    const char *why = NULL;
    cr_expect_eq(check(token, &why), 0, "refused (%s): %s", why ? why : "", token);
}

static char *sign_claims(const char *payload)
{
    return sign_json("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload);
}

static char *sign_exp(int64_t exp)
{
    json_t *c = json_pack("{s:s, s:I}", "sub", "user-1", "exp", (json_int_t)exp);
    char *t = hd_jwt_sign(c, KEY, KEYLEN);
    json_decref(c);
    cr_assert_not_null(t);
    return t;
}

Test(jwt, sign_then_verify)
{
    char *t = sign_exp(NOW + 60);
    cr_expect_eq(strncmp(t, OUR_HEADER ".", sizeof(OUR_HEADER)), 0, "header part of %s", t);
    const char *sig = strrchr(t, '.') + 1;
    cr_expect_eq(strlen(sig), 43);
    json_t *claims = NULL;
    const char *why = NULL;
    cr_assert_eq(verify_n(t, strlen(t), KEY, KEYLEN, NOW, &claims, &why), 0, "%s", why);
    cr_expect_str_eq(json_string_value(json_object_get(claims, "sub")), "user-1");
    cr_expect_eq(json_integer_value(json_object_get(claims, "exp")), NOW + 60);
    json_decref(claims);
    free(t);
}

Test(jwt, payload_is_compact_json_of_the_claims)
{
    char *t = sign_exp(NOW + 60);
    const char *p = strchr(t, '.') + 1;
    size_t plen = (size_t)(strchr(p, '.') - p);
    unsigned char raw[HD_B64_DECODED_SIZE(200)];
    size_t n;
    cr_assert_lt(plen, 200);
    cr_assert_eq(hd_b64url_decode(p, plen, raw, &n), 0);
    cr_expect_eq(n, strlen("{\"sub\":\"user-1\",\"exp\":1700000060}"));
    cr_expect_arr_eq(raw, "{\"sub\":\"user-1\",\"exp\":1700000060}", n);
    free(t);
}

/* RFC 7515 Appendix A.1: an HS256 JWS produced elsewhere, with CRLFs in its JSON. */
Test(jwt, rfc7515_appendix_a1)
{
    static const char token[] =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
        "cnVlfQ"
        ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    static const char jwk_k[] =
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    unsigned char key[HD_B64_DECODED_SIZE(sizeof(jwk_k))];
    size_t keylen;
    cr_assert_eq(hd_b64url_decode(jwk_k, sizeof(jwk_k) - 1, key, &keylen), 0);
    cr_assert_eq(keylen, 64);
    json_t *claims = NULL;
    const char *why = NULL;
    cr_assert_eq(verify_n(token, sizeof(token) - 1, key, keylen, 1300819379, &claims, &why), 0,
                 "%s", why);
    cr_expect_str_eq(json_string_value(json_object_get(claims, "iss")), "joe");
    cr_expect(json_is_true(json_object_get(claims, "http://example.com/is_root")));
    json_decref(claims);
    /* its exp is 1300819380: at that second it has expired */
    cr_expect_eq(verify_n(token, sizeof(token) - 1, key, keylen, 1300819380, &claims, &why),
                 HD_E_UNAUTHORIZED);
    cr_expect_eq(verify_n(token, sizeof(token) - 1, KEY, KEYLEN, 1300819379, &claims, &why),
                 HD_E_UNAUTHORIZED);
}

Test(jwt, tampered_signature)
{
    char *t = sign_exp(NOW + 60);
    char *sig = strrchr(t, '.') + 1;
    sig[5] = sig[5] == 'A' ? 'B' : 'A';
    expect_refused(t, "signature");
    free(t);
}

/* The 43rd character carries 4 bits of the MAC and 2 pad bits. A decoder that ignored the pad
 * bits would accept a second spelling of the same signature. */
Test(jwt, signature_with_nonzero_pad_bits)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *t = sign_exp(NOW + 60);
    expect_accepted(t);
    char *last = t + strlen(t) - 1;
    size_t v = (size_t)(strchr(alphabet, *last) - alphabet);
    for (size_t bits = 1; bits < 4; bits++) {
        *last = alphabet[v ^ bits];
        expect_refused(t, "signature");
    }
    free(t);
}

/* Flipping one MAC bit anywhere, the last byte included, spoils the signature. */
Test(jwt, every_signature_character_matters)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *t = sign_exp(NOW + 60);
    char *sig = strrchr(t, '.') + 1;
    for (size_t i = 0; i < 43; i++) {
        char saved = sig[i];
        size_t v = (size_t)(strchr(alphabet, saved) - alphabet);
        sig[i] = alphabet[v ^ 4];
        expect_refused(t, "signature");
        sig[i] = saved;
    }
    expect_accepted(t);
    free(t);
}

Test(jwt, tampered_payload)
{
    char *t = sign_exp(NOW + 60);
    /* swap the payload for another valid one, keeping header and signature */
    char *other = sign_exp(NOW + 3600);
    char *sig = strrchr(t, '.');
    char *opay_end = strrchr(other, '.');
    char forged[1024];
    snprintf(forged, sizeof(forged), "%.*s%s", (int)(opay_end - other), other, sig);
    expect_accepted(other);
    expect_refused(forged, "signature");
    /* flip one character of the payload */
    char *p = strchr(t, '.') + 3;
    *p = *p == 'x' ? 'y' : 'x';
    expect_refused(t, "signature");
    free(t);
    free(other);
}

Test(jwt, tampered_header)
{
    char *t = sign_exp(NOW + 60);
    char *h = b64url("{\"alg\":\"HS256\"}", 15);
    char forged[1024];
    snprintf(forged, sizeof(forged), "%s%s", h, strchr(t, '.'));
    expect_refused(forged, "signature");
    t[2] = t[2] == 'x' ? 'y' : 'x';
    expect_refused(t, "signature");
    free(h);
    free(t);
}

Test(jwt, alg_none_unsigned)
{
    char *real = sign_exp(NOW + 60);
    char *h = b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}", 26);
    const char *payload = strchr(real, '.');
    size_t plen = (size_t)(strrchr(real, '.') - payload);
    char forged[1024];
    snprintf(forged, sizeof(forged), "%s%.*s.", h, (int)plen, payload);
    expect_refused(forged, "");
    /* with the signature of the genuine token */
    snprintf(forged, sizeof(forged), "%s%s", h, payload);
    expect_refused(forged, "signature");
    free(h);
    free(real);
}

/* Signed with the right key and HMAC-SHA256, so only the header check can refuse them. */
Test(jwt, alg_must_be_exactly_hs256)
{
    static const char *headers[] = {
        "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
        "{\"alg\":\"RS256\"}",
        "{\"alg\":\"hs256\"}",
        "{\"alg\":\"HS256 \"}",
        "{\"alg\":\"\"}",
        "{\"alg\":null}",
        "{\"alg\":256}",
        "{\"alg\":[\"HS256\"]}",
        "{\"typ\":\"JWT\"}",
        "{}",
    };
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        char *t = sign_json(headers[i], "{\"exp\":1700000060}");
        expect_refused(t, "algorithm");
        free(t);
    }
    char *t = sign_json("{\"alg\":\"HS256\"}", "{\"exp\":1700000060}");
    expect_accepted(t);
    free(t);
}

Test(jwt, header_typ_and_crit)
{
    static const char *bad_typ[] = {
        "{\"alg\":\"HS256\",\"typ\":\"jwt\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWS\"}",
        "{\"alg\":\"HS256\",\"typ\":1}",
        "{\"alg\":\"HS256\",\"typ\":null}",
    };
    for (size_t i = 0; i < sizeof(bad_typ) / sizeof(bad_typ[0]); i++) {
        char *t = sign_json(bad_typ[i], "{\"exp\":1700000060}");
        expect_refused(t, "type");
        free(t);
    }
    char *t = sign_json("{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}", "{\"exp\":1700000060}");
    expect_refused(t, "critical");
    free(t);
}

Test(jwt, header_not_an_object)
{
    static const char *headers[] = {"[\"HS256\"]", "\"HS256\"", "not json", "",
                                    "{\"alg\":\"HS256\",\"alg\":\"HS256\"}"};
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        char *t = sign_json(headers[i], "{\"exp\":1700000060}");
        expect_refused(t, "header");
        free(t);
    }
}

Test(jwt, expired)
{
    char *t = sign_exp(NOW - 1);
    expect_refused(t, "expired");
    free(t);
    t = sign_exp(NOW);
    expect_refused(t, "expired");
    free(t);
    t = sign_exp(NOW + 1);
    expect_accepted(t);
    free(t);
}

Test(jwt, exp_as_real_number)
{
    char *t = sign_claims("{\"exp\":1700000000.5}");
    expect_accepted(t);
    free(t);
    t = sign_claims("{\"exp\":1699999999.5}");
    expect_refused(t, "expired");
    free(t);
    t = sign_claims("{\"exp\":1.7e10}");
    expect_accepted(t);
    free(t);
}

Test(jwt, exp_missing_or_not_a_number)
{
    static const char *payloads[] = {
        "{}",
        "{\"sub\":\"u\"}",
        "{\"exp\":\"1800000000\"}",
        "{\"exp\":null}",
        "{\"exp\":true}",
        "{\"exp\":[1800000000]}",
        "{\"EXP\":1800000000}",
    };
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        char *t = sign_claims(payloads[i]);
        expect_refused(t, "exp");
        free(t);
    }
}

Test(jwt, nbf)
{
    char *t = sign_claims("{\"exp\":1800000000,\"nbf\":1700000001}");
    expect_refused(t, "not valid yet");
    free(t);
    t = sign_claims("{\"exp\":1800000000,\"nbf\":1700000000.5}");
    expect_refused(t, "not valid yet");
    free(t);
    t = sign_claims("{\"exp\":1800000000,\"nbf\":\"1\"}");
    expect_refused(t, "nbf");
    free(t);
    t = sign_claims("{\"exp\":1800000000,\"nbf\":1700000000}");
    expect_accepted(t);
    free(t);
    t = sign_claims("{\"exp\":1800000000,\"nbf\":1600000000}");
    expect_accepted(t);
    free(t);
}

Test(jwt, payload_not_an_object)
{
    static const char *payloads[] = {
        "[1800000000]",           "\"exp\"", "1800000000",
        "{\"exp\":1800000000",    "",        "{\"exp\":1800000000,\"exp\":1}",
        "{\"exp\":1800000000} x",
    };
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        char *t = sign_claims(payloads[i]);
        expect_refused(t, "payload");
        free(t);
    }
}

Test(jwt, wrong_key)
{
    char *t = sign_exp(NOW + 60);
    json_t *claims = NULL;
    const char *why = NULL;
    size_t n = strlen(t);
    cr_expect_eq(verify_n(t, n, (const unsigned char *)"other key", 9, NOW, &claims, &why),
                 HD_E_UNAUTHORIZED);
    cr_expect_eq(verify_n(t, n, KEY, KEYLEN - 1, NOW, &claims, &why), HD_E_UNAUTHORIZED);
    cr_expect_eq(verify_n(t, n, KEY, 0, NOW, &claims, &why), HD_E_UNAUTHORIZED);
    cr_expect(why && strstr(why, "signature"));
    free(t);
}

Test(jwt, every_truncation_refused)
{
    char *t = sign_exp(NOW + 60);
    size_t n = strlen(t);
    for (size_t len = 0; len < n; len++) {
        json_t *claims = NULL;
        const char *why = NULL;
        cr_expect_eq(verify_n(t, len, KEY, KEYLEN, NOW, &claims, &why), HD_E_UNAUTHORIZED,
                     "prefix of %zu bytes", len);
    }
    free(t);
}

Test(jwt, reads_only_len_bytes)
{
    char *t = sign_exp(NOW + 60);
    size_t n = strlen(t);
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s.garbage", t);
    json_t *claims = NULL;
    const char *why = NULL;
    cr_expect_eq(verify_n(buf, n, KEY, KEYLEN, NOW, &claims, &why), 0);
    json_decref(claims);
    free(t);
}

Test(jwt, wrong_number_of_parts)
{
    char *t = sign_exp(NOW + 60);
    char buf[1024];
    const char *why;
    snprintf(buf, sizeof(buf), "%.*s", (int)(strrchr(t, '.') - t), t);
    expect_refused(buf, "three");
    snprintf(buf, sizeof(buf), "%s.", t);
    expect_refused(buf, "three");
    snprintf(buf, sizeof(buf), "%s.%s", t, strrchr(t, '.') + 1);
    expect_refused(buf, "three");
    snprintf(buf, sizeof(buf), "%s", strchr(t, '.') + 1);
    expect_refused(buf, "three");
    static const char *shapes[] = {"", ".", "..", "...", "a.b", "a.b.c.d", "abc"};
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        cr_expect_eq(check(shapes[i], &why), HD_E_UNAUTHORIZED, "\"%s\"", shapes[i]);
    free(t);
}

Test(jwt, characters_outside_base64url)
{
    char *t = sign_exp(NOW + 60);
    static const char bad[] = "+/= \t!*";
    for (size_t i = 0; i < sizeof(bad) - 1; i++) {
        char *copy = strdup(t);
        char *p = strchr(copy, '.') + 4;
        *p = bad[i];
        expect_refused(copy, "");
        free(copy);
    }
    free(t);
    /* correctly signed over parts that are not base64url: the decoder refuses them */
    char *h = b64url("{\"alg\":\"HS256\"}", 15);
    char *p = b64url("{\"exp\":1800000000}", 18);
    char *padded_p = malloc(strlen(p) + 3);
    sprintf(padded_p, "%s==", p);
    t = sign_parts(h, padded_p, KEY, KEYLEN);
    expect_refused(t, "payload");
    free(t);
    p[3] = '+';
    t = sign_parts(h, p, KEY, KEYLEN);
    expect_refused(t, "payload");
    free(t);
    h[2] = '/';
    p[3] = 'y';
    t = sign_parts(h, p, KEY, KEYLEN);
    expect_refused(t, "header");
    free(t);
    free(padded_p);
    free(p);
    free(h);
}

Test(jwt, nul_byte_inside)
{
    char *t = sign_exp(NOW + 60);
    size_t n = strlen(t);
    t[n - 10] = '\0';
    json_t *claims = NULL;
    const char *why = NULL;
    cr_expect_eq(verify_n(t, n, KEY, KEYLEN, NOW, &claims, &why), HD_E_UNAUTHORIZED);
    free(t);
}

Test(jwt, signature_of_wrong_size_refused)
{
    char *t = sign_exp(NOW + 60);
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s=", t);
    expect_refused(buf, "signature");
    /* 33 bytes, and 64 (an HS512-sized MAC): well-formed base64url of the wrong length */
    snprintf(buf, sizeof(buf), "%sA", t);
    expect_refused(buf, "signature");
    snprintf(buf, sizeof(buf), "%s%s", t, strrchr(t, '.') + 1);
    buf[strlen(buf) - 1] = 'A';
    expect_refused(buf, "signature");
    free(t);
}

Test(jwt, length_limit)
{
    char pad[HD_JWT_MAX_LEN];
    char *fits = NULL, *over = NULL;
    for (size_t len = 5800; len < sizeof(pad) && !over; len++) {
        memset(pad, 'x', len);
        pad[len] = '\0';
        json_t *c = json_pack("{s:I, s:s}", "exp", (json_int_t)NOW + 60, "pad", pad);
        char *t = hd_jwt_sign(c, KEY, KEYLEN);
        json_decref(c);
        if (strlen(t) <= HD_JWT_MAX_LEN) {
            free(fits);
            fits = t;
        } else {
            over = t;
        }
    }
    cr_assert(fits && over);
    expect_accepted(fits);
    expect_refused(over, "too long");
    free(fits);
    free(over);
}

Test(jwt, why_may_be_null)
{
    json_t *claims = NULL;
    cr_expect_eq(hd_jwt_verify("a.b.c", 5, KEY, KEYLEN, NOW, &claims, NULL), HD_E_UNAUTHORIZED);
}

Test(jwt, peek_reads_unverified_claims)
{
    char *t = sign_exp(NOW - 3600);
    char copy[1024];
    size_t n = strlen(t);
    memcpy(copy, t, n);
    json_t *claims = NULL;
    /* no key, and expired: peek still reads the payload */
    cr_assert_eq(hd_jwt_peek(copy, n, &claims), 0);
    cr_expect_str_eq(json_string_value(json_object_get(claims, "sub")), "user-1");
    json_decref(claims);
    cr_expect_eq(hd_jwt_peek(copy, strrchr(t, '.') - t, &claims), HD_E_UNAUTHORIZED);
    cr_expect_null(claims);
    cr_expect_eq(hd_jwt_peek("a.b.c", 5, &claims), HD_E_UNAUTHORIZED);
    char *arr = sign_claims("[1]");
    cr_expect_eq(hd_jwt_peek(arr, strlen(arr), &claims), HD_E_UNAUTHORIZED);
    free(arr);
    free(t);
}

Test(jwt, sign_refuses_non_objects)
{
    json_t *a = json_array();
    cr_expect_null(hd_jwt_sign(a, KEY, KEYLEN));
    cr_expect_null(hd_jwt_sign(NULL, KEY, KEYLEN));
    json_decref(a);
}

/* A thread remembers the tokens it verified; what it remembers never changes a verdict. */
Test(jwt, a_remembered_token_is_still_checked_for_time)
{
    char *t = sign_exp(NOW + 60);
    json_t *claims = NULL;
    const char *why = NULL;
    cr_assert_eq(verify_n(t, strlen(t), KEY, KEYLEN, NOW, &claims, &why), 0, "%s", why);
    json_decref(claims);
    cr_expect_eq(verify_n(t, strlen(t), KEY, KEYLEN, NOW, &claims, &why), 0, "again: %s", why);
    cr_expect_str_eq(json_string_value(json_object_get(claims, "sub")), "user-1");
    json_decref(claims);
    cr_expect_eq(verify_n(t, strlen(t), KEY, KEYLEN, NOW + 60, &claims, &why), HD_E_UNAUTHORIZED);
    cr_expect(why && strstr(why, "expired"), "got %s", why ? why : "(null)");
    free(t);
}

Test(jwt, a_remembered_token_is_refused_under_another_key)
{
    static const unsigned char other[] = "herald test key, thirty-two bytes or mord";
    char *t = sign_exp(NOW + 60);
    json_t *claims = NULL;
    const char *why = NULL;
    cr_assert_eq(verify_n(t, strlen(t), KEY, KEYLEN, NOW, &claims, &why), 0, "%s", why);
    json_decref(claims);
    cr_expect_eq(verify_n(t, strlen(t), other, sizeof(other) - 1, NOW, &claims, &why),
                 HD_E_UNAUTHORIZED, "same token, another key of the same length");
    cr_expect_eq(verify_n(t, strlen(t), KEY, KEYLEN - 1, NOW, &claims, &why), HD_E_UNAUTHORIZED,
                 "same token, a shorter key");
    free(t);
}

Test(jwt, a_token_that_differs_from_a_remembered_one_is_verified)
{
    char *t = sign_exp(NOW + 60);
    json_t *claims = NULL;
    const char *why = NULL;
    cr_assert_eq(verify_n(t, strlen(t), KEY, KEYLEN, NOW, &claims, &why), 0, "%s", why);
    json_decref(claims);
    size_t len = strlen(t);
    for (size_t i = 0; i < len; i += 7) { /* same signature (same slot), other bytes */
        char saved = t[i];
        t[i] = t[i] == 'A' ? 'B' : 'A';
        cr_expect_eq(verify_n(t, len, KEY, KEYLEN, NOW, &claims, &why), HD_E_UNAUTHORIZED,
                     "changed at %zu: %s", i, t);
        t[i] = saved;
    }
    cr_expect_eq(verify_n(t, len - 1, KEY, KEYLEN, NOW, &claims, &why), HD_E_UNAUTHORIZED);
    free(t);
}

Test(jwt, many_tokens_in_turn_each_verify_as_themselves)
{
    char *tokens[100];
    for (int i = 0; i < 100; i++) {
        char payload[64];
        snprintf(payload, sizeof(payload), "{\"sub\":\"user-%d\",\"exp\":%lld}", i,
                 (long long)NOW + 60);
        tokens[i] = sign_claims(payload);
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 100; i++) {
            json_t *claims = NULL;
            const char *why = NULL;
            char want[16];
            snprintf(want, sizeof(want), "user-%d", i);
            cr_assert_eq(verify_n(tokens[i], strlen(tokens[i]), KEY, KEYLEN, NOW, &claims, &why), 0,
                         "%s", why);
            cr_expect_str_eq(json_string_value(json_object_get(claims, "sub")), want);
            json_decref(claims);
        }
    for (int i = 0; i < 100; i++)
        free(tokens[i]);
}
