/* request.h: one parsed HTTP request as handlers see it, and the per-request checks that llhttp
 * leaves to us.
 *
 * Every slice borrows from the connection's buffers and lives until the response is built.
 * Header names keep their case as sent; lookups are case-insensitive (RFC 9110 §5.1). */
#ifndef HD_HTTP_REQUEST_H
#define HD_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/slice.h"

#define HD_HEADER_BLOCK_MAX (16 * 1024) /* request line + header fields: more is 431 */
#define HD_HEADERS_MAX      100         /* header fields: more is 431 */
#define HD_ROUTE_PARAMS_MAX 4

struct hd_route;
struct hd_conn;

struct hd_header {
    struct hd_slice name, value;
};

/* Who made the call, once the route's guard has checked the token. */
struct hd_principal {
    const char *account_id; /* API tokens */
    const char *client_id;
    unsigned scopes;
    const char *system_id; /* end-user tokens */
    const char *end_user_id;
};

struct hd_req {
    int method; /* llhttp_method_t */
    struct hd_slice method_name, target, path, query;
    int http_minor;
    struct hd_header *headers;
    size_t nheaders;
    struct hd_slice body;
    const struct hd_route *route;
    struct hd_slice params[HD_ROUTE_PARAMS_MAX]; /* path parameters, percent-decoded */
    size_t nparams;
    struct hd_principal who;
    const char *remote;     /* peer address, for logs and throttling */
    struct hd_arena *arena; /* freed after the response */
    void *app;              /* the application's per-thread context */
    struct hd_conn *conn;   /* opaque: for hd_req_suspend */
};

/* The value of the first header named name, or a slice with ptr NULL. */
struct hd_slice hd_req_header(const struct hd_req *req, const char *name);
/* The percent-decoded value of query parameter name (from the arena), or NULL. */
const char *hd_req_query(const struct hd_req *req, const char *name);

/* Checks a complete header block (RFC 9112): Host present exactly once on HTTP/1.1 (at most
 * once on 1.0), Content-Length at most once, Transfer-Encoding at most once. Returns 0 or
 * HD_E_BAD_REQUEST with *why. (llhttp itself rejects bad characters, smuggling forms and
 * conflicting framing; obs-fold is caught while values arrive.) */
int hd_req_check_headers(const struct hd_header *h, size_t n, int http_minor,
                         const char **why) HD_WUR;

/* Decodes %XX escapes of a path segment into the arena; NULL when an escape is malformed or
 * decodes to a NUL or a control character. */
char *hd_percent_decode(struct hd_arena *ar, struct hd_slice s, bool plus_is_space);

#endif
