/* secret.c: API key client ids and secrets, their SHA-256 (FIPS 180-4) and HMAC-SHA256
 * (RFC 2104), on OpenSSL 3 libcrypto.
 *
 * Only the hash of a secret is ever stored; comparisons go through CRYPTO_memcmp so that the
 * time taken says nothing about how many bytes matched. A libcrypto failure here means the
 * library is broken, not that the input is bad, so it aborts. */
#include "auth/secret.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/ids.h"

#define SECRET_BYTES 32

static void crypto_failed(const char *what)
{
    fprintf(stderr, "herald: %s failed in libcrypto\n", what);
    abort();
}

void hd_secret_new_client_id(char out[HD_CLIENT_ID_BUF])
{
    memcpy(out, "hk_", 3);
    hd_id_hex(out + 3, (HD_CLIENT_ID_BUF - 4) / 2);
}

void hd_secret_new(char out[HD_SECRET_TEXT_BUF])
{
    unsigned char raw[SECRET_BYTES];
    _Static_assert(HD_B64_ENCODED_SIZE(SECRET_BYTES) >= HD_SECRET_TEXT_BUF,
                   "the encoder's bound covers the secret text");
    hd_random_bytes(raw, sizeof(raw));
    hd_b64url_encode(out, raw, sizeof(raw));
    OPENSSL_cleanse(raw, sizeof(raw));
}

void hd_secret_hash(const char *secret, size_t len, unsigned char out[HD_SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(len ? secret : "", len, out, &n, EVP_sha256(), NULL) != 1 || n != HD_SHA256_LEN)
        crypto_failed("SHA-256");
}

bool hd_secret_matches(const char *secret, size_t len, const unsigned char hash[HD_SHA256_LEN])
{
    unsigned char got[HD_SHA256_LEN];
    hd_secret_hash(secret, len, got);
    return CRYPTO_memcmp(got, hash, HD_SHA256_LEN) == 0;
}

void hd_hmac_sha256(const unsigned char *key, size_t keylen, const void *data, size_t len,
                    unsigned char out[HD_SHA256_LEN])
{
    static const unsigned char empty[1];
    unsigned int n = 0;
    if (keylen > INT_MAX)
        crypto_failed("HMAC key length");
    /* Never a NULL pointer, even for zero bytes: to HMAC_Init_ex a NULL key means "reuse". */
    if (!HMAC(EVP_sha256(), keylen ? key : empty, (int)keylen, len ? data : empty, len, out, &n) ||
        n != HD_SHA256_LEN)
        crypto_failed("HMAC-SHA256");
}
