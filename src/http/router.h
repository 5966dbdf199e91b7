/* router.h: the route table. One row per endpoint {method, path pattern, handler, auth, scope,
 * max body}, so who may call what is auditable in one place.
 *
 * Patterns are literal segments and "{}" for one non-empty parameter segment:
 * "/v1/systems/{}/templates/{}". */
#ifndef HD_HTTP_ROUTER_H
#define HD_HTTP_ROUTER_H

#include <stddef.h>

#include "core/err.h"
#include "http/request.h"
#include "http/response.h"

/* A handler answers into res. Returning a negative enum hd_err without setting res->status
 * sends that error with its default message. */
/* Returned by a handler that called hd_req_suspend(): the answer comes later. */
#define HD_PENDING 1

typedef int (*hd_handler_fn)(struct hd_req *req, struct hd_res *res);

struct hd_route {
    int method; /* llhttp_method_t */
    const char *pattern;
    hd_handler_fn handler;
    unsigned auth;   /* meaning given by the application's guard */
    unsigned scope;  /* ditto */
    size_t max_body; /* bytes; larger bodies get 413 before they are read */
};

struct hd_router {
    const struct hd_route *routes;
    size_t n;
    /* Runs before each handler (authentication); non-zero stops the request. May be NULL. */
    int (*guard)(struct hd_req *req, struct hd_res *res);
    size_t default_max_body; /* for requests that match no route */
};

/* Finds the route for method and path. Returns 0 with *out and the raw (still encoded)
 * parameter slices; HD_E_METHOD when the path exists with other methods (allow, if not NULL,
 * gets a comma-separated list); HD_E_NOT_FOUND otherwise. */
int hd_router_match(const struct hd_router *r, int method, struct hd_slice path,
                    const struct hd_route **out, struct hd_slice *params, size_t *nparams,
                    char *allow, size_t allowlen) HD_WUR;

#endif
