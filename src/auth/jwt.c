/* jwt.c: HS256 JSON Web Tokens, RFC 7519 over the JWS compact serialization (RFC 7515 §7.1).
 *
 * Verification order is deliberate: the token is split and its HMAC-SHA256 signature checked
 * (constant-time compare) before any JSON is parsed, so without the key nobody reaches the
 * JSON parser. Then the header must name alg "HS256" exactly: the token never chooses its own
 * algorithm (RFC 8725 §2.1, §3.1), so "none" and every other alg are refused. The token is
 * read only within len; it need not be NUL-terminated.
 *
 * A client sends the same token with every call for its hour of life, so each thread remembers
 * the tokens it verified last (struct verified): the same bytes under the same key verify the
 * same way, so a token found there skips the signature and the JSON, and only its dates are
 * checked again. Both are compared in constant time, like the signature. */
#include "auth/jwt.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "auth/secret.h"
#include "core/b64.h"
#include "core/mem.h"

/* base64url of the 32-byte HMAC-SHA256, unpadded */
#define SIG_TEXT_LEN 43

/* Per thread: how many verified tokens are remembered, and the longest token and key that are
 * (longer ones are verified every time). About 40 KiB per thread that verifies tokens. */
#define VERIFIED_SLOTS     32
#define VERIFIED_TOKEN_MAX 1024
#define VERIFIED_KEY_MAX   128

struct parts {
    const char *header, *payload, *sig;
    size_t header_len, payload_len, sig_len;
};

static int fail(const char **why, const char *sentence)
{
    if (why)
        *why = sentence;
    return HD_E_UNAUTHORIZED;
}

/* RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature). Returns
 * NULL, or what is wrong. */
static const char *split(const char *token, size_t len, struct parts *p)
{
    if (len > HD_JWT_MAX_LEN)
        return "The token is too long.";
    const char *end = token + len;
    const char *dot1 = len ? memchr(token, '.', len) : NULL;
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1)))
        return "The token is not three dot-separated parts.";
    p->header = token;
    p->header_len = (size_t)(dot1 - token);
    p->payload = dot1 + 1;
    p->payload_len = (size_t)(dot2 - dot1 - 1);
    p->sig = dot2 + 1;
    p->sig_len = (size_t)(end - dot2 - 1);
    return NULL;
}

/* The signing input is everything before the second dot (RFC 7515 §5.2). */
static bool signature_ok(const struct parts *p, const unsigned char *key, size_t keylen)
{
    unsigned char sig[HD_B64_DECODED_SIZE(SIG_TEXT_LEN)], mac[HD_SHA256_LEN];
    size_t n;
    if (p->sig_len != SIG_TEXT_LEN || hd_b64url_decode(p->sig, p->sig_len, sig, &n) < 0 ||
        n != HD_SHA256_LEN)
        return false;
    hd_hmac_sha256(key, keylen, p->header, p->header_len + 1 + p->payload_len, mac);
    return CRYPTO_memcmp(sig, mac, HD_SHA256_LEN) == 0;
}

/* Decodes one base64url part and parses it as a JSON object, duplicate members refused
 * (RFC 7519 §4 allows a parser to reject them). Returns a new reference or NULL. */
static json_t *parse_object(const char *text, size_t len)
{
    unsigned char buf[HD_B64_DECODED_SIZE(HD_JWT_MAX_LEN)];
    size_t n;
    if (hd_b64url_decode(text, len, buf, &n) < 0)
        return NULL;
    json_t *j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static bool string_is(const json_t *v, const char *s)
{
    /* jansson refuses \u0000 when decoding, so the value holds no NUL and strcmp is exact */
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* RFC 7515 §4.1.1 alg, §4.1.9 typ; §4.1.11: "crit" lists extensions that must be understood,
 * and herald understands none. Returns NULL, or what is wrong. */
static const char *header_problem(const json_t *h)
{
    if (!string_is(json_object_get(h, "alg"), "HS256"))
        return "The token's algorithm is not HS256.";
    const json_t *typ = json_object_get(h, "typ");
    if (typ && !string_is(typ, "JWT"))
        return "The token's type is not JWT.";
    if (json_object_get(h, "crit"))
        return "The token has critical header extensions.";
    return NULL;
}

/* Compares a NumericDate (an integer or a real, RFC 7519 §2) with now: -1, 0 or 1. */
static int compare_date(const json_t *v, int64_t now_s)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return (i > now_s) - (i < now_s);
    }
    double d = json_real_value(v);
    return (d > (double)now_s) - (d < (double)now_s);
}

/* RFC 7519 §4.1.4 exp (required by herald) and §4.1.5 nbf. Returns NULL, or what is wrong. */
static const char *time_problem(const json_t *claims, int64_t now_s)
{
    const json_t *exp = json_object_get(claims, "exp");
    const json_t *nbf = json_object_get(claims, "nbf");
    if (!json_is_number(exp))
        return "The token has no numeric exp claim.";
    if (compare_date(exp, now_s) <= 0)
        return "The token has expired.";
    if (nbf && !json_is_number(nbf))
        return "The token's nbf claim is not a number.";
    if (nbf && compare_date(nbf, now_s) > 0)
        return "The token is not valid yet.";
    return NULL;
}

char *hd_jwt_sign_payload(const char *payload, size_t plen, const unsigned char *key, size_t keylen)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    size_t hlen = sizeof(header) - 1;
    /* each bound counts a NUL: room for the two dots and the final NUL */
    char *out = hd_xmalloc(HD_B64_ENCODED_SIZE(hlen) + HD_B64_ENCODED_SIZE(plen) +
                           HD_B64_ENCODED_SIZE(HD_SHA256_LEN));
    size_t o = hd_b64url_encode(out, (const unsigned char *)header, hlen);
    out[o++] = '.';
    o += hd_b64url_encode(out + o, (const unsigned char *)payload, plen);
    unsigned char mac[HD_SHA256_LEN];
    hd_hmac_sha256(key, keylen, out, o, mac);
    out[o++] = '.';
    hd_b64url_encode(out + o, mac, sizeof(mac));
    return out;
}

char *hd_jwt_sign(const json_t *claims, const unsigned char *key, size_t keylen)
{
    if (!json_is_object(claims))
        return NULL;
    char *payload = json_dumps(claims, JSON_COMPACT);
    if (!payload)
        return NULL;
    char *out = hd_jwt_sign_payload(payload, strlen(payload), key, keylen);
    free(payload);
    return out;
}

/* One remembered token: its bytes, the key it verified under, and its claims. */
struct verified {
    json_t *claims; /* NULL: the slot is empty */
    size_t len, keylen;
    char token[VERIFIED_TOKEN_MAX];
    unsigned char key[VERIFIED_KEY_MAX];
};

static pthread_key_t verified_key;
static pthread_once_t verified_once = PTHREAD_ONCE_INIT;

static void verified_free(void *slots)
{
    struct verified *v = slots;
    for (int i = 0; i < VERIFIED_SLOTS; i++)
        json_decref(v[i].claims);
    free(v);
}

static void verified_init(void)
{
    if (pthread_key_create(&verified_key, verified_free) != 0)
        abort();
}

/* The calling thread's slot for this token (chosen by its signature, which only the key's
 * holder can make), or NULL when the token or the key is too long to remember. */
static struct verified *verified_slot(const struct parts *p, size_t len, size_t keylen)
{
    if (len > VERIFIED_TOKEN_MAX || keylen > VERIFIED_KEY_MAX || p->sig_len < 8)
        return NULL;
    pthread_once(&verified_once, verified_init);
    struct verified *slots = pthread_getspecific(verified_key);
    if (!slots) {
        slots = hd_xcalloc(VERIFIED_SLOTS, sizeof(*slots));
        if (pthread_setspecific(verified_key, slots) != 0) {
            free(slots);
            return NULL;
        }
    }
    uint32_t h = 2166136261u; /* FNV-1a over the signature's first characters */
    for (size_t i = 0; i < 8; i++)
        h = (h ^ (unsigned char)p->sig[i]) * 16777619u;
    return &slots[h % VERIFIED_SLOTS];
}

static bool remembered(const struct verified *v, const char *token, size_t len,
                       const unsigned char *key, size_t keylen)
{
    return v && v->claims && v->len == len && v->keylen == keylen &&
           CRYPTO_memcmp(v->token, token, len) == 0 && CRYPTO_memcmp(v->key, key, keylen) == 0;
}

static void remember(struct verified *v, const char *token, size_t len, const unsigned char *key,
                     size_t keylen, json_t *claims)
{
    if (!v)
        return;
    json_decref(v->claims);
    v->claims = json_incref(claims);
    v->len = len;
    v->keylen = keylen;
    memcpy(v->token, token, len);
    memcpy(v->key, key, keylen);
}

/* The signature, the header and the payload's shape: what does not change with time. */
static const char *verify_once(const struct parts *p, const unsigned char *key, size_t keylen,
                               json_t **claims)
{
    if (!signature_ok(p, key, keylen))
        return "The token's signature is invalid.";
    json_t *header = parse_object(p->header, p->header_len);
    if (!header)
        return "The token header is not a base64url JSON object.";
    const char *problem = header_problem(header);
    json_decref(header);
    if (problem)
        return problem;
    *claims = parse_object(p->payload, p->payload_len);
    return *claims ? NULL : "The token payload is not a base64url JSON object.";
}

int hd_jwt_verify(const char *token, size_t len, const unsigned char *key, size_t keylen,
                  int64_t now_s, json_t **claims, const char **why)
{
    struct parts p;
    *claims = NULL;
    const char *problem = split(token, len, &p);
    if (problem)
        return fail(why, problem);
    struct verified *v = verified_slot(&p, len, keylen);
    json_t *payload = NULL;
    if (remembered(v, token, len, key, keylen)) {
        payload = json_incref(v->claims);
    } else {
        if ((problem = verify_once(&p, key, keylen, &payload)))
            return fail(why, problem);
        remember(v, token, len, key, keylen, payload);
    }
    if ((problem = time_problem(payload, now_s))) {
        json_decref(payload);
        return fail(why, problem);
    }
    *claims = payload;
    return 0;
}

int hd_jwt_peek(const char *token, size_t len, json_t **claims)
{
    struct parts p;
    *claims = NULL;
    if (split(token, len, &p))
        return HD_E_UNAUTHORIZED;
    *claims = parse_object(p.payload, p.payload_len);
    return *claims ? 0 : HD_E_UNAUTHORIZED;
}
