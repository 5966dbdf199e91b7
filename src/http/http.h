/* http.h: the HTTP/1.1 server of one event-loop thread: its listening socket, its connections,
 * their timeouts and its graceful shutdown.
 *
 * Each thread has its own listening socket on the same port (SO_REUSEPORT), so the kernel
 * spreads connections and no lock is taken on the request path. A connection lives and dies on
 * the thread that accepted it. */
#ifndef HD_HTTP_HTTP_H
#define HD_HTTP_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "http/loop.h"
#include "http/router.h"

struct hd_http_config {
    const struct hd_router *router;
    int request_timeout_ms; /* from a request's first byte to its last */
    int idle_timeout_ms;    /* keep-alive connections with nothing to do */
    int write_timeout_ms;   /* a response the peer does not read */
    size_t max_conns;       /* across all threads: see conns_open */
    atomic_size_t *conns_open;
    void *app; /* handed to handlers as req->app */
};

struct hd_http;

/* Opens a listening TCP socket with SO_REUSEPORT on host:port (port 0: any; *bound gets the
 * port). Returns the fd or a negative enum hd_err, with a sentence in errbuf. */
int hd_http_listen(const char *host, int port, int *bound, char *errbuf, size_t errlen);

/* Serves on listen_fd (taken over) in loop. Returns a new server; release with
 * hd_http_destroy() after the loop ends. */
struct hd_http *hd_http_create(struct hd_loop *loop, int listen_fd,
                               const struct hd_http_config *cfg);
void hd_http_destroy(struct hd_http *h);

/* For a handler that will answer later (after a group commit, say): marks the request
 * suspended and returns the handle to resume it with; the handler then returns HD_PENDING.
 * Later requests pipelined on the connection wait, in order. */
struct hd_conn *hd_req_suspend(struct hd_req *req);
/* On the connection's loop thread, exactly once per suspension: fill(res, arg) writes the
 * answer, unless the client has gone (then fill is not called), and the connection carries on. */
void hd_http_resume(struct hd_conn *c, void (*fill)(struct hd_res *res, void *arg), void *arg);

/* Streams (WHATWG Server-Sent Events): a handler that calls hd_req_stream() answers with the
 * status, headers and first bytes it puts in res, and the connection then carries only what
 * hd_stream_send() queues, until one side closes it. The on_close callback runs once when it
 * closes, for whatever reason (the client left, it fell too far behind, shutdown). */
#define HD_STREAM_QUEUE_MAX (64 * 1024) /* queued bytes past which a slow client is dropped */
struct hd_conn *hd_req_stream(struct hd_req *req, struct hd_res *res);
void hd_stream_on_close(struct hd_conn *c, void (*on_close)(void *arg), void *arg);
/* Queues bytes on a stream and sends what the socket takes. Returns false, and closes the
 * connection, when more than HD_STREAM_QUEUE_MAX bytes would be waiting. */
bool hd_stream_send(struct hd_conn *c, const char *data, size_t len);

/* Timeouts; call about once a second. */
void hd_http_tick(struct hd_http *h);
/* Frees connections closed during the turn. */
void hd_http_after_turn(struct hd_http *h);
/* Stops accepting, closes idle connections, lets in-flight requests finish. */
void hd_http_shutdown(struct hd_http *h);
/* True once shut down and every connection is gone. */
bool hd_http_done(const struct hd_http *h);
/* Closes every connection at once (end of the shutdown grace period). */
void hd_http_close_all(struct hd_http *h);

#endif
