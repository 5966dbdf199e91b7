/* secret.c: API key client ids and secrets, their SHA-256 (FIPS 180-4) and HMAC-SHA256
 * (RFC 2104, written out over libcrypto's SHA-256), on OpenSSL 3 libcrypto.
 *
 * Only the hash of a secret is ever stored; comparisons go through CRYPTO_memcmp so that the
 * time taken says nothing about how many bytes matched. A libcrypto failure here means the
 * library is broken, not that the input is bad, so it aborts. */
#include "auth/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/ids.h"

#define SECRET_BYTES 32
#define HMAC_BLOCK   64 /* SHA-256's block size (RFC 2104's B) */

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

/* SHA-256 fetched once: naming the digest at each call makes libcrypto look the algorithm up
 * again, which costs more than hashing a token. Each thread keeps one digest context, freed
 * when the thread ends. */
static EVP_MD *sha256_md;
static pthread_key_t ctx_key;

static void free_ctx(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void fetch_sha256(void)
{
    if (!(sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)) ||
        pthread_key_create(&ctx_key, free_ctx) != 0)
        crypto_failed("fetching SHA-256");
}

static EVP_MD_CTX *digest_ctx(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fetch_sha256);
    EVP_MD_CTX *ctx = pthread_getspecific(ctx_key);
    if (!ctx && (!(ctx = EVP_MD_CTX_new()) || pthread_setspecific(ctx_key, ctx) != 0))
        crypto_failed("a digest context");
    return ctx;
}

/* SHA-256 of the concatenation of a and b. */
static void sha256_two(const void *a, size_t alen, const void *b, size_t blen,
                       unsigned char out[HD_SHA256_LEN])
{
    EVP_MD_CTX *ctx = digest_ctx();
    unsigned int n = 0;
    if (EVP_DigestInit_ex(ctx, sha256_md, NULL) != 1 || EVP_DigestUpdate(ctx, a, alen) != 1 ||
        EVP_DigestUpdate(ctx, b, blen) != 1 || EVP_DigestFinal_ex(ctx, out, &n) != 1 ||
        n != HD_SHA256_LEN)
        crypto_failed("SHA-256");
}

void hd_sha256(const void *data, size_t len, unsigned char out[HD_SHA256_LEN])
{
    sha256_two(data, len, "", 0, out);
}

void hd_secret_hash(const char *secret, size_t len, unsigned char out[HD_SHA256_LEN])
{
    hd_sha256(secret, len, out);
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
    unsigned char k0[HMAC_BLOCK] = {0}, pad[HMAC_BLOCK], inner[HD_SHA256_LEN];
    if (keylen > HMAC_BLOCK)
        hd_secret_hash((const char *)key, keylen, k0);
    else if (keylen)
        memcpy(k0, key, keylen);
    for (size_t i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k0[i] ^ 0x36;
    sha256_two(pad, HMAC_BLOCK, data, len, inner);
    for (size_t i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k0[i] ^ 0x5c;
    sha256_two(pad, HMAC_BLOCK, inner, sizeof(inner), out);
    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(pad, sizeof(pad));
}
