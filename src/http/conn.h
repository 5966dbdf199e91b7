/* conn.h: one client connection (internal to src/http/).
 *
 * An idle keep-alive connection holds only this struct and its llhttp parser; the buffers for
 * a request in progress (struct inflight) and for unsent output exist only while needed. */
#ifndef HD_HTTP_CONN_H
#define HD_HTTP_CONN_H

#include <llhttp.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/http.h"
#include "http/loop.h"
#include "http/response.h"

struct inflight;

/* What the answer of a suspended request needs to know (see hd_req_suspend). */
struct hd_pending {
    bool keep_alive;
    int method;
    size_t path_len;
    char path[120]; /* for the access log */
};

struct hd_conn {
    struct hd_io io;
    struct hd_http *http;
    struct hd_conn *prev, *next; /* the server's list of open connections */
    llhttp_t parser;
    struct inflight *rq; /* the request being received, or NULL */
    struct hd_buf out;   /* bytes the socket did not take yet */
    int64_t last_active; /* monotonic ms */
    int64_t request_started;
    bool closed;                /* fd closed, waiting to be freed after the turn */
    bool want_close;            /* close once out is flushed */
    bool reading;               /* EPOLLIN is on */
    bool in_message;            /* a request has begun and is not answered yet */
    bool suspended;             /* a handler will answer later (hd_http_resume) */
    struct hd_pending *pending; /* while suspended */
    struct hd_buf held;         /* input after the suspended request, parsed once it is answered */
    bool streaming;             /* carries a stream (hd_req_stream): no more requests */
    void (*on_close)(void *arg);
    void *on_close_arg;
    uint32_t events; /* what epoll watches for */
    char remote[48];
};

/* The per-thread server: shared by conn.c and http.c. */
struct hd_http {
    struct hd_loop *loop;
    struct hd_io listener;
    struct hd_http_config cfg;
    llhttp_settings_t settings;
    struct hd_conn *conns, *dead;
    struct hd_res res;          /* reused for every response */
    struct hd_buf out;          /* responses of one read, before they are sent */
    struct hd_arena *arena;     /* one request's allocations */
    struct inflight *spare[64]; /* request buffers for reuse, so requests cost no malloc */
    size_t nspare;
    bool shutting_down;
};

/* Sets up a connection for an accepted fd and registers it with the loop. */
struct hd_conn *hd_conn_open(struct hd_http *h, int fd, const char *remote);
/* Sets up c without registering it anywhere (hd_conn_open does both; tests use this alone). */
void hd_conn_init(struct hd_conn *c, struct hd_http *h, int fd, const char *remote);
/* Frees the buffers c holds, not c itself. */
void hd_conn_release(struct hd_conn *c);
/* Parses data as received on c, answering each complete request into c->http->out; no I/O
 * except an interim 100 Continue. Stops at the first malformed request (want_close is set). */
void hd_conn_feed(struct hd_conn *c, const char *data, size_t len);
/* Closes the fd and moves the connection to the dead list (freed by hd_conn_free_dead). */
void hd_conn_close(struct hd_conn *c);
void hd_conn_free_dead(struct hd_http *h);
/* Request buffers: new, freed, trimmed of big allocations (conn.c), and the thread's pool of
 * them (http.c). */
struct inflight *hd_inflight_new(void);
void hd_inflight_free(struct inflight *rq);
void hd_inflight_trim(struct inflight *rq);
struct inflight *hd_http_take_inflight(struct hd_http *h);
void hd_http_give_inflight(struct hd_http *h, struct inflight *rq);
/* The llhttp callbacks every connection uses. */
void hd_conn_settings(llhttp_settings_t *s);
/* Answers 408 to a request that took too long, then closes. */
void hd_conn_timeout(struct hd_conn *c);
bool hd_conn_idle(const struct hd_conn *c);

#endif
