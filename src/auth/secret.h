/* secret.h: API key credentials. A client secret is 32 random bytes, shown once as base64url;
 * herald stores only its SHA-256 (the secret carries 256 bits of entropy, so a slow password
 * hash would add cost and no safety) and compares in constant time. */
#ifndef HD_AUTH_SECRET_H
#define HD_AUTH_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* "hk_" + 24 lowercase hex characters, NUL-terminated. */
#define HD_CLIENT_ID_BUF 28
/* 43 base64url characters, NUL-terminated. */
#define HD_SECRET_TEXT_BUF 44
#define HD_SHA256_LEN      32

void hd_secret_new_client_id(char out[HD_CLIENT_ID_BUF]);
void hd_secret_new(char out[HD_SECRET_TEXT_BUF]);
void hd_secret_hash(const char *secret, size_t len, unsigned char out[HD_SHA256_LEN]);
/* SHA-256 of any bytes (len may be 0). */
void hd_sha256(const void *data, size_t len, unsigned char out[HD_SHA256_LEN]);
/* Constant-time: true when SHA-256(secret) equals hash. */
bool hd_secret_matches(const char *secret, size_t len, const unsigned char hash[HD_SHA256_LEN]);
void hd_hmac_sha256(const unsigned char *key, size_t keylen, const void *data, size_t len,
                    unsigned char out[HD_SHA256_LEN]);

#endif
