/* http_fixture.h: a socket-free HTTP server for unit tests and fuzzing. Raw bytes go in through
 * hd_conn_feed(); the responses come out of the fixture's buffer. Routes: GET /healthz and
 * POST /echo (body up to 64 bytes, answered back). */
#ifndef HD_TESTS_HTTP_FIXTURE_H
#define HD_TESTS_HTTP_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "http/conn.h"

static int fixture_ok(struct hd_req *req, struct hd_res *res)
{
    hd_res_bytes(res, 200, "text/plain", "ok", 2);
    return 0;
}

static int fixture_echo(struct hd_req *req, struct hd_res *res)
{
    hd_res_bytes(res, 200, "application/octet-stream", req->body.ptr, req->body.len);
    return 0;
}

#define FIXTURE_DENIED 1 /* a route's auth: the guard refuses it */

static int fixture_guards; /* calls of the router's guard */

static int fixture_guard(struct hd_req *req, struct hd_res *res)
{
    (void)res;
    fixture_guards++;
    return req->route->auth == FIXTURE_DENIED ? HD_E_UNAUTHORIZED : 0;
}

static const struct hd_route fixture_routes[] = {
    {HTTP_GET, "/healthz", fixture_ok, 0, 0, 0},
    {HTTP_POST, "/echo", fixture_echo, 0, 0, 64},
    {HTTP_GET, "/items/{}", fixture_ok, 0, 0, 0},
    {HTTP_GET, "/denied", fixture_ok, FIXTURE_DENIED, 0, 0},
};

static const struct hd_router fixture_router = {
    .routes = fixture_routes,
    .n = sizeof(fixture_routes) / sizeof(fixture_routes[0]),
    .guard = fixture_guard,
    .default_max_body = 64,
};

struct fixture {
    atomic_size_t open;
    struct hd_http http;
    struct hd_conn conn;
};

static inline void fixture_start(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    fixture_guards = 0;
    f->http.cfg.router = &fixture_router;
    f->http.cfg.conns_open = &f->open;
    f->http.arena = hd_arena_create();
    hd_conn_settings(&f->http.settings);
    hd_conn_init(&f->conn, &f->http, -1, "test");
}

/* Feeds text and returns everything answered so far, NUL-terminated (owned by the fixture). */
static inline const char *fixture_feed(struct fixture *f, const char *data, size_t len)
{
    hd_conn_feed(&f->conn, data, len);
    hd_buf_append(&f->http.out, "", 1);
    f->http.out.len--;
    return f->http.out.data ? f->http.out.data : "";
}

static inline void fixture_stop(struct fixture *f)
{
    hd_conn_release(&f->conn);
    while (f->http.nspare)
        hd_inflight_free(f->http.spare[--f->http.nspare]);
    hd_res_free(&f->http.res);
    hd_buf_free(&f->http.out);
    hd_arena_destroy(f->http.arena);
}

#endif
