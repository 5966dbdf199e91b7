/* conn.c: reading, parsing (llhttp plus our checks), dispatching and writing for one
 * connection.
 *
 * llhttp reports the URL and headers in pieces as bytes arrive; we copy them into the request's
 * own buffer, so the socket read buffer is reused at once. on_message_complete pauses the
 * parser, the request is answered, and parsing resumes on the rest of the data (pipelining). */
#include "http/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#define READ_CHUNK     (64 * 1024)
#define URI_MAX        (8 * 1024)
#define OUT_HIGH_WATER (256 * 1024) /* stop reading a client that does not read its answers */

struct span {
    uint32_t off, len;
};

struct inflight {
    struct hd_buf head; /* URL, then header names and values, back to back */
    struct span url;
    struct span names[HD_HEADERS_MAX], values[HD_HEADERS_MAX];
    size_t nheaders;
    size_t header_bytes;
    struct hd_buf body;
    const struct hd_route *route;
    struct hd_slice params[HD_ROUTE_PARAMS_MAX];
    size_t nparams;
    int match_err;
    char allow[64];
    int err; /* found by a callback: answered once parsing stops */
    const char *why;
    const char *value_end; /* where the last value piece ended in the current input */
};

static struct hd_conn *conn_of(llhttp_t *p)
{
    return p->data;
}

static int fail(struct hd_conn *c, int err, const char *why)
{
    c->rq->err = err;
    c->rq->why = why;
    return -1;
}

static int count_header_bytes(struct hd_conn *c, size_t n)
{
    c->rq->header_bytes += n;
    if (c->rq->header_bytes > HD_HEADER_BLOCK_MAX)
        return fail(c, HD_E_HEADERS_TOO_LARGE, NULL);
    return 0;
}

static int on_message_begin(llhttp_t *p)
{
    struct hd_conn *c = conn_of(p);
    if (!c->rq)
        c->rq = hd_http_take_inflight(c->http);
    struct inflight *rq = c->rq;
    /* only what accumulates is reset; header slots are cleared as they are reached */
    rq->head.len = rq->body.len = 0;
    rq->url = (struct span){0, 0};
    rq->nheaders = rq->header_bytes = rq->nparams = 0;
    rq->names[0] = rq->values[0] = (struct span){0, 0};
    rq->route = NULL;
    rq->match_err = 0;
    rq->allow[0] = '\0';
    rq->err = 0;
    rq->why = NULL;
    rq->value_end = NULL;
    c->request_started = hd_time_mono_ms();
    c->in_message = true;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
    struct hd_conn *c = conn_of(p);
    if (c->rq->url.len + n > URI_MAX)
        return fail(c, HD_E_URI_TOO_LONG, NULL);
    if (count_header_bytes(c, n))
        return -1;
    hd_buf_append(&c->rq->head, at, n);
    c->rq->url.len += (uint32_t)n;
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
    struct hd_conn *c = conn_of(p);
    struct inflight *rq = c->rq;
    if (rq->nheaders == HD_HEADERS_MAX)
        return fail(c, HD_E_HEADERS_TOO_LARGE, "The request has more than 100 header fields.");
    if (count_header_bytes(c, n))
        return -1;
    struct span *name = &rq->names[rq->nheaders];
    if (name->len == 0)
        name->off = (uint32_t)rq->head.len;
    hd_buf_append(&rq->head, at, n);
    name->len += (uint32_t)n;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
    struct hd_conn *c = conn_of(p);
    struct inflight *rq = c->rq;
    /* llhttp joins an obs-fold continuation line to the value: a second piece of one value
     * that does not start where the first ended, within one input, is such a fold */
    bool continued = rq->values[rq->nheaders].len > 0 && rq->value_end && rq->value_end != at;
    if (continued || memchr(at, '\r', n) || memchr(at, '\n', n))
        return fail(c, HD_E_BAD_REQUEST,
                    "Folded header lines (obs-fold) are not accepted; put each value on one line.");
    rq->value_end = at + n;
    if (count_header_bytes(c, n + 4))
        return -1;
    struct span *value = &rq->values[rq->nheaders];
    if (value->len == 0)
        value->off = (uint32_t)rq->head.len;
    hd_buf_append(&rq->head, at, n);
    value->len += (uint32_t)n;
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    struct inflight *rq = conn_of(p)->rq;
    if (rq->values[rq->nheaders].len == 0)
        rq->values[rq->nheaders].off = (uint32_t)rq->head.len;
    rq->nheaders++;
    if (rq->nheaders < HD_HEADERS_MAX)
        rq->names[rq->nheaders] = rq->values[rq->nheaders] = (struct span){0, 0};
    return 0;
}

static struct hd_slice at_span(const struct inflight *rq, struct span s)
{
    return (struct hd_slice){rq->head.data + s.off, s.len};
}

static struct hd_slice path_of(const struct inflight *rq)
{
    struct hd_slice url = at_span(rq, rq->url);
    const char *q = memchr(url.ptr, '?', url.len);
    if (q)
        url.len = (size_t)(q - url.ptr);
    return url;
}

static struct hd_slice find_header(const struct inflight *rq, const char *name)
{
    for (size_t i = 0; i < rq->nheaders; i++)
        if (hd_slice_caseeq(at_span(rq, rq->names[i]), name))
            return at_span(rq, rq->values[i]);
    return (struct hd_slice){NULL, 0};
}

/* Queued with this read's responses, which are sent when the read is processed: before the
 * client's body can arrive. */
static void send_continue(struct hd_conn *c)
{
    static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
    hd_buf_append(&c->http->out, line, sizeof(line) - 1);
}

/* RFC 9110 §10.1.1: answer 100-continue only when a body is coming and we will read it. */
static int check_expect(struct hd_conn *c, llhttp_t *p)
{
    struct hd_slice expect = find_header(c->rq, "expect");
    if (!expect.ptr)
        return 0;
    if (!hd_slice_caseeq(hd_slice_trim(expect), "100-continue"))
        return fail(c, HD_E_EXPECTATION, NULL);
    bool body_coming = (p->flags & F_CHUNKED) || p->content_length > 0;
    if (body_coming && p->http_minor >= 1)
        send_continue(c);
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    struct hd_conn *c = conn_of(p);
    struct inflight *rq = c->rq;
    struct hd_header hdrs[HD_HEADERS_MAX];
    for (size_t i = 0; i < rq->nheaders; i++)
        hdrs[i] = (struct hd_header){at_span(rq, rq->names[i]), at_span(rq, rq->values[i])};
    const char *why;
    if (hd_req_check_headers(hdrs, rq->nheaders, p->http_minor, &why))
        return fail(c, HD_E_BAD_REQUEST, why);
    const struct hd_router *r = c->http->cfg.router;
    rq->match_err = hd_router_match(r, p->method, path_of(rq), &rq->route, rq->params, &rq->nparams,
                                    rq->allow, sizeof(rq->allow));
    size_t max_body = rq->route ? rq->route->max_body : r->default_max_body;
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > max_body)
        return fail(c, HD_E_TOO_LARGE, NULL);
    return check_expect(c, p);
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    struct hd_conn *c = conn_of(p);
    struct inflight *rq = c->rq;
    size_t max_body = rq->route ? rq->route->max_body : c->http->cfg.router->default_max_body;
    if (rq->body.len + n > max_body)
        return fail(c, HD_E_TOO_LARGE, NULL);
    hd_buf_append(&rq->body, at, n);
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    return HPE_PAUSED;
}

void hd_conn_settings(llhttp_settings_t *s)
{
    llhttp_settings_init(s);
    s->on_message_begin = on_message_begin;
    s->on_url = on_url;
    s->on_header_field = on_header_field;
    s->on_header_value = on_header_value;
    s->on_header_value_complete = on_header_value_complete;
    s->on_headers_complete = on_headers_complete;
    s->on_body = on_body;
    s->on_message_complete = on_message_complete;
}

/* ---- answering ---- */

static void build_req(struct hd_conn *c, struct hd_req *req, struct hd_header *hdrs)
{
    struct inflight *rq = c->rq;
    llhttp_t *p = &c->parser;
    for (size_t i = 0; i < rq->nheaders; i++)
        hdrs[i] = (struct hd_header){at_span(rq, rq->names[i]), at_span(rq, rq->values[i])};
    struct hd_slice target = at_span(rq, rq->url), path = path_of(rq);
    *req = (struct hd_req){
        .method = p->method,
        .method_name = hd_slice_of(llhttp_method_name(p->method)),
        .target = target,
        .path = path,
        .query = {path.ptr + path.len + (path.len < target.len),
                  target.len - path.len - (path.len < target.len)},
        .http_minor = p->http_minor,
        .headers = hdrs,
        .nheaders = rq->nheaders,
        .body = {rq->body.data, rq->body.len},
        .route = rq->route,
        .remote = c->remote,
        .arena = c->http->arena,
        .conn = c,
        .app = c->http->cfg.app,
    };
}

static int decode_params(struct hd_req *req, const struct inflight *rq)
{
    for (size_t i = 0; i < rq->nparams; i++) {
        char *v = hd_percent_decode(req->arena, rq->params[i], false);
        if (!v)
            return HD_E_BAD_REQUEST;
        req->params[i] = hd_slice_of(v);
    }
    req->nparams = rq->nparams;
    return 0;
}

/* Answers into res, or returns HD_PENDING when the handler suspended the request. */
static int run_handler(struct hd_conn *c, struct hd_req *req, struct hd_res *res)
{
    const struct hd_router *r = c->http->cfg.router;
    const struct inflight *rq = c->rq;
    if (rq->match_err == HD_E_METHOD) {
        hd_res_header(res, "Allow", rq->allow);
        hd_res_error(res, HD_E_METHOD, NULL, NULL);
        return 0;
    }
    if (rq->match_err) {
        hd_res_error(res, HD_E_NOT_FOUND, "No such endpoint.", NULL);
        return 0;
    }
    if (decode_params(req, rq)) {
        hd_res_error(res, HD_E_BAD_REQUEST,
                     "A path segment has a malformed %-escape or a control character.", NULL);
        return 0;
    }
    int err = r->guard ? r->guard(req, res) : 0;
    if (!err)
        err = rq->route->handler(req, res);
    if (err == HD_PENDING && c->suspended)
        return HD_PENDING;
    if (err && !res->status)
        hd_res_error(res, err < 0 ? err : HD_E_INTERNAL, NULL, NULL);
    return 0;
}

/* The path only: a query string may carry an access_token. */
static void log_access(const struct hd_conn *c, int method, struct hd_slice path,
                       const struct hd_res *res)
{
    if (!hd_log_access_enabled())
        return;
    hd_log_access("%s \"%s %.*s\" %d %zu %lldms", c->remote,
                  llhttp_method_name((llhttp_method_t)method), (int)path.len, path.ptr, res->status,
                  res->body.len, (long long)(hd_time_mono_ms() - c->request_started));
}

/* Serializes the thread's response for c and decides whether the connection stays open. */
static void answer(struct hd_conn *c, bool keep_alive, int method, struct hd_slice path)
{
    struct hd_http *h = c->http;
    /* a stream lasts until one side closes it, whatever the request said about keep-alive */
    bool keep = (keep_alive || h->res.stream) && !h->shutting_down && !h->res.close;
    hd_res_serialize(&h->res, keep, method == HTTP_HEAD, &h->out);
    log_access(c, method, path, &h->res);
    if (!keep)
        c->want_close = true;
}

/* Remembers what the answer of a suspended request will need. */
static void suspend(struct hd_conn *c, const struct hd_req *req)
{
    struct hd_pending *p = hd_xmalloc(sizeof(*p));
    p->keep_alive = llhttp_should_keep_alive(&c->parser);
    p->method = req->method;
    p->path_len = req->path.len < sizeof(p->path) ? req->path.len : sizeof(p->path);
    memcpy(p->path, req->path.ptr, p->path_len);
    c->pending = p;
}

static void dispatch(struct hd_conn *c)
{
    struct hd_http *h = c->http;
    struct hd_header hdrs[HD_HEADERS_MAX];
    struct hd_req req;
    build_req(c, &req, hdrs);
    c->in_message = false;
    hd_res_reset(&h->res);
    if (run_handler(c, &req, &h->res) == HD_PENDING)
        suspend(c, &req);
    else
        answer(c, llhttp_should_keep_alive(&c->parser), req.method, req.path);
    hd_arena_reset(h->arena);
}

/* Answers a request that failed while being parsed, and closes: the rest of the stream cannot
 * be trusted to be in sync. */
static void answer_parse_error(struct hd_conn *c, llhttp_errno_t e)
{
    struct hd_http *h = c->http;
    int err = c->rq && c->rq->err ? c->rq->err : HD_E_BAD_REQUEST;
    const char *why = c->rq && c->rq->err ? c->rq->why : llhttp_get_error_reason(&c->parser);
    char limit[160];
    if (e == HPE_INVALID_VERSION)
        err = HD_E_VERSION;
    if (err == HD_E_TOO_LARGE) {
        size_t max = c->rq->route ? c->rq->route->max_body : h->cfg.router->default_max_body;
        if (max)
            snprintf(limit, sizeof(limit),
                     "The request body is too large: this endpoint accepts at most %zu KiB (%zu "
                     "bytes).",
                     max / 1024, max);
        else
            snprintf(limit, sizeof(limit), "This endpoint takes no request body.");
        why = limit;
    }
    hd_res_reset(&h->res);
    hd_res_error(&h->res, err, why, NULL);
    h->res.close = true;
    hd_res_serialize(&h->res, false, false, &h->out);
    hd_log_access("%s \"- -\" %d %zu parse error", c->remote, h->res.status, h->res.body.len);
    c->want_close = true;
}

void hd_conn_feed(struct hd_conn *c, const char *data, size_t len)
{
    if (c->rq)
        c->rq->value_end = NULL; /* pieces from an earlier read may not be contiguous */
    while (len > 0 && !c->want_close && !c->streaming) {
        llhttp_errno_t e = llhttp_execute(&c->parser, data, len);
        if (e == HPE_OK)
            return;
        if (e != HPE_PAUSED) {
            answer_parse_error(c, e);
            return;
        }
        const char *stop = llhttp_get_error_pos(&c->parser);
        llhttp_resume(&c->parser);
        dispatch(c);
        len -= (size_t)(stop - data);
        data = stop;
        if (c->suspended) {
            /* pipelined requests wait for the suspended one's answer, in order */
            hd_buf_append(&c->held, data, len);
            return;
        }
    }
}

/* ---- socket I/O ---- */

/* Asks epoll for what the connection waits for now; a syscall only when that changes. */
static void set_events(struct hd_conn *c)
{
    bool reading = c->out.len < OUT_HIGH_WATER && c->held.len < OUT_HIGH_WATER && !c->want_close;
    uint32_t ev = (reading ? EPOLLIN | EPOLLRDHUP : 0) | (c->out.len ? EPOLLOUT : 0);
    c->reading = reading;
    if (ev == c->events)
        return;
    c->events = ev;
    if (hd_loop_mod(c->http->loop, &c->io, ev) != 0)
        hd_conn_close(c);
}

/* Writes what is pending; closes when asked to and done. */
static void flush(struct hd_conn *c)
{
    while (c->out.len) {
        ssize_t n = send(c->io.fd, c->out.data, c->out.len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (n <= 0) {
            hd_conn_close(c);
            return;
        }
        hd_buf_consume(&c->out, (size_t)n);
        c->last_active = hd_time_mono_ms();
    }
    if (!c->out.len) {
        hd_buf_free(&c->out);
        if (c->want_close) {
            hd_conn_close(c);
            return;
        }
    }
    set_events(c);
}

/* Moves this read's responses to the connection and sends them. */
static void send_responses(struct hd_conn *c)
{
    struct hd_buf *out = &c->http->out;
    if (out->len) {
        if (c->out.len == 0) {
            /* common case: no copy unless the socket takes less than everything */
            ssize_t n = send(c->io.fd, out->data, out->len, MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                out->len = 0;
                hd_conn_close(c);
                return;
            }
            hd_buf_consume(out, n > 0 ? (size_t)n : 0);
        }
        hd_buf_append(&c->out, out->data, out->len);
        out->len = 0;
    }
    flush(c);
}

static void release_inflight(struct hd_conn *c)
{
    if (c->rq)
        hd_http_give_inflight(c->http, c->rq);
    c->rq = NULL;
}

struct inflight *hd_inflight_new(void)
{
    return hd_xcalloc(1, sizeof(struct inflight));
}

void hd_inflight_free(struct inflight *rq)
{
    if (!rq)
        return;
    hd_buf_free(&rq->head);
    hd_buf_free(&rq->body);
    free(rq);
}

void hd_inflight_trim(struct inflight *rq)
{
    /* a big body or header block is not kept for the next request */
    if (rq->head.cap > 8192)
        hd_buf_free(&rq->head);
    if (rq->body.cap > 8192)
        hd_buf_free(&rq->body);
}

static void on_readable(struct hd_conn *c)
{
    static _Thread_local char buf[READ_CHUNK];
    ssize_t n = recv(c->io.fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        hd_conn_close(c);
        return;
    }
    if (c->streaming)
        return; /* a stream's client has nothing more to say; EOF closes it above */
    c->last_active = hd_time_mono_ms();
    if (c->suspended) {
        /* pipelined bytes wait for the answer; past the cap, reading pauses (set_events) */
        hd_buf_append(&c->held, buf, (size_t)n);
        set_events(c);
        return;
    }
    hd_conn_feed(c, buf, (size_t)n);
    /* between requests, keep no buffers: idle connections must stay small */
    if (!c->in_message)
        release_inflight(c);
    send_responses(c);
}

static void on_event(struct hd_io *io, uint32_t events)
{
    struct hd_conn *c = (struct hd_conn *)io;
    if (c->closed)
        return;
    if (events & (EPOLLERR | EPOLLHUP)) {
        hd_conn_close(c);
        return;
    }
    if (events & EPOLLOUT)
        flush(c);
    if (!c->closed && (events & (EPOLLIN | EPOLLRDHUP)) && c->reading)
        on_readable(c);
}

void hd_conn_init(struct hd_conn *c, struct hd_http *h, int fd, const char *remote)
{
    memset(c, 0, sizeof(*c));
    c->io.fd = fd;
    c->io.on_event = on_event;
    c->http = h;
    c->reading = true;
    c->events = EPOLLIN | EPOLLRDHUP;
    c->last_active = hd_time_mono_ms();
    snprintf(c->remote, sizeof(c->remote), "%s", remote);
    llhttp_init(&c->parser, HTTP_REQUEST, &h->settings);
    c->parser.data = c;
}

void hd_conn_release(struct hd_conn *c)
{
    release_inflight(c);
    hd_buf_free(&c->out);
    hd_buf_free(&c->held);
    free(c->pending);
    c->pending = NULL;
}

struct hd_conn *hd_req_stream(struct hd_req *req, struct hd_res *res)
{
    struct hd_conn *c = req->conn;
    c->streaming = true;
    res->stream = true;
    res->no_store = true;
    return c;
}

void hd_stream_on_close(struct hd_conn *c, void (*on_close)(void *arg), void *arg)
{
    c->on_close = on_close;
    c->on_close_arg = arg;
}

bool hd_stream_send(struct hd_conn *c, const char *data, size_t len)
{
    if (c->closed)
        return false;
    if (c->out.len + len > HD_STREAM_QUEUE_MAX) {
        hd_conn_close(c); /* it resumes with Last-Event-ID when it can keep up */
        return false;
    }
    if (c->out.len == 0) {
        ssize_t n = send(c->io.fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            hd_conn_close(c);
            return false;
        }
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            c->last_active = hd_time_mono_ms();
        }
        if (len == 0)
            return true;
    }
    hd_buf_append(&c->out, data, len);
    set_events(c);
    return !c->closed;
}

struct hd_conn *hd_req_suspend(struct hd_req *req)
{
    struct hd_conn *c = req->conn;
    c->suspended = true;
    return c;
}

void hd_http_resume(struct hd_conn *c, void (*fill)(struct hd_res *res, void *arg), void *arg)
{
    struct hd_pending *p = c->pending;
    c->pending = NULL;
    c->suspended = false;
    if (c->closed) { /* the client left; hd_conn_free_dead takes it now */
        free(p);
        return;
    }
    struct hd_http *h = c->http;
    hd_res_reset(&h->res);
    fill(&h->res, arg);
    answer(c, p->keep_alive, p->method, (struct hd_slice){p->path, p->path_len});
    free(p);
    hd_arena_reset(h->arena);
    if (c->held.len && !c->want_close) {
        struct hd_buf held = c->held;
        c->held = (struct hd_buf){0};
        hd_conn_feed(c, held.data, held.len);
        hd_buf_free(&held);
    }
    if (!c->in_message)
        release_inflight(c);
    send_responses(c);
}

struct hd_conn *hd_conn_open(struct hd_http *h, int fd, const char *remote)
{
    struct hd_conn *c = hd_xmalloc(sizeof(*c));
    hd_conn_init(c, h, fd, remote);
    if (hd_loop_add(h->loop, &c->io, EPOLLIN | EPOLLRDHUP) != 0) {
        close(fd);
        free(c);
        return NULL;
    }
    c->next = h->conns;
    if (h->conns)
        h->conns->prev = c;
    h->conns = c;
    atomic_fetch_add(h->cfg.conns_open, 1);
    return c;
}

void hd_conn_close(struct hd_conn *c)
{
    if (c->closed)
        return;
    struct hd_http *h = c->http;
    c->closed = true;
    if (c->on_close)
        c->on_close(c->on_close_arg);
    c->on_close = NULL;
    hd_loop_del(h->loop, &c->io);
    close(c->io.fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = h->dead;
    c->prev = NULL;
    h->dead = c;
    atomic_fetch_sub(h->cfg.conns_open, 1);
}

/* A suspended connection stays on the dead list until its answer arrives: the code that will
 * resume it still holds the pointer. */
void hd_conn_free_dead(struct hd_http *h)
{
    struct hd_conn *waiting = NULL;
    while (h->dead) {
        struct hd_conn *c = h->dead;
        h->dead = c->next;
        if (c->suspended) {
            c->next = waiting;
            waiting = c;
            continue;
        }
        hd_conn_release(c);
        free(c);
    }
    h->dead = waiting;
}

bool hd_conn_idle(const struct hd_conn *c)
{
    return !c->in_message && !c->suspended && c->out.len == 0;
}

void hd_conn_timeout(struct hd_conn *c)
{
    struct hd_http *h = c->http;
    hd_res_reset(&h->res);
    hd_res_error(&h->res, HD_E_TIMEOUT, NULL, NULL);
    h->res.close = true;
    hd_res_serialize(&h->res, false, false, &h->out);
    hd_log_access("%s \"- -\" 408 %zu request timeout", c->remote, h->res.body.len);
    c->want_close = true;
    send_responses(c);
}
