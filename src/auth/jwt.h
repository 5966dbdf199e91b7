/* jwt.h: JSON Web Tokens signed with HS256 (RFC 7519, RFC 7515), the only algorithm herald
 * issues or accepts. Used for API tokens (key: the server secret) and end-user tokens (key: the
 * system's signing secret, so a customer's backend can mint them too). */
#ifndef HD_AUTH_JWT_H
#define HD_AUTH_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Tokens longer than this are rejected unread. */
#define HD_JWT_MAX_LEN 8192

/* Returns a new compact JWT "header.payload.signature" (release with free()) whose header is
 * {"alg":"HS256","typ":"JWT"} and whose payload is claims serialized compactly; NULL when
 * claims is not a JSON object (or jansson cannot serialize it). */
char *hd_jwt_sign(const json_t *claims, const unsigned char *key, size_t keylen);

/* The same, for claims already serialized as a JSON object of plen bytes (not checked). */
char *hd_jwt_sign_payload(const char *payload, size_t plen, const unsigned char *key,
                          size_t keylen);

/* Verifies token (len bytes, not necessarily NUL-terminated): three base64url parts, header
 * alg exactly "HS256", signature (constant-time compare), payload a JSON object, "exp" a number
 * greater than now_s (required), "nbf" if present not after now_s. Returns 0 and *claims (a new
 * reference: json_decref it), or HD_E_UNAUTHORIZED with *why a static sentence. */
int hd_jwt_verify(const char *token, size_t len, const unsigned char *key, size_t keylen,
                  int64_t now_s, json_t **claims, const char **why) HD_WUR;

/* Decodes the payload without verifying anything, so the caller can learn which key to verify
 * with (the "sys" claim of an end-user token). Returns 0 and *claims (json_decref it), or
 * HD_E_UNAUTHORIZED. Never trust what this returns before hd_jwt_verify. */
int hd_jwt_peek(const char *token, size_t len, json_t **claims) HD_WUR;

#endif
