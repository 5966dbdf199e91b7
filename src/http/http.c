/* http.c: listening, accepting, the connection cap, timeouts and graceful shutdown for one
 * event-loop thread. */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"
#include "http/conn.h"

#define ACCEPTS_PER_EVENT 64

int hd_http_listen(const char *host, int port, int *bound, char *errbuf, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(errbuf, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return HD_E_BAD_REQUEST;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
        bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 4096)) {
        snprintf(errbuf, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return HD_E_INTERNAL;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static void format_peer(const struct sockaddr_storage *ss, char *out, size_t len)
{
    if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, out, (socklen_t)len);
    else if (ss->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, out, (socklen_t)len);
    else
        snprintf(out, len, "unix");
}

/* Past the cap, a client gets a short 503 instead of an unanswered socket. */
static void refuse(int fd)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                               "application/json\r\nRetry-After: 1\r\nConnection: close\r\n"
                               "Content-Length: 82\r\n\r\n"
                               "{\"error\":{\"code\":\"unavailable\",\"message\":\"Too many "
                               "connections; retry later.\"}}";
    ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
    close(fd);
}

static void on_accept(struct hd_io *io, uint32_t events)
{
    struct hd_http *h = (struct hd_http *)((char *)io - offsetof(struct hd_http, listener));
    for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(io->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                hd_log(HD_LOG_WARN, "accept: %s", strerror(errno));
            return;
        }
        if (atomic_load(h->cfg.conns_open) >= h->cfg.max_conns) {
            refuse(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        char peer[INET6_ADDRSTRLEN];
        format_peer(&ss, peer, sizeof(peer));
        hd_conn_open(h, fd, peer);
    }
}

struct hd_http *hd_http_create(struct hd_loop *loop, int listen_fd,
                               const struct hd_http_config *cfg)
{
    struct hd_http *h = hd_xcalloc(1, sizeof(*h));
    h->loop = loop;
    h->cfg = *cfg;
    h->listener.fd = listen_fd;
    h->listener.on_event = on_accept;
    h->arena = hd_arena_create();
    hd_conn_settings(&h->settings);
    if (hd_loop_add(loop, &h->listener, EPOLLIN) != 0) {
        hd_http_destroy(h);
        return NULL;
    }
    return h;
}

void hd_http_destroy(struct hd_http *h)
{
    if (!h)
        return;
    hd_http_close_all(h);
    hd_conn_free_dead(h);
    if (h->listener.fd >= 0) {
        hd_loop_del(h->loop, &h->listener);
        close(h->listener.fd);
    }
    while (h->nspare)
        hd_inflight_free(h->spare[--h->nspare]);
    hd_res_free(&h->res);
    hd_buf_free(&h->out);
    hd_arena_destroy(h->arena);
    free(h);
}

struct inflight *hd_http_take_inflight(struct hd_http *h)
{
    return h->nspare ? h->spare[--h->nspare] : hd_inflight_new();
}

void hd_http_give_inflight(struct hd_http *h, struct inflight *rq)
{
    if (h->nspare == sizeof(h->spare) / sizeof(h->spare[0])) {
        hd_inflight_free(rq);
        return;
    }
    hd_inflight_trim(rq);
    h->spare[h->nspare++] = rq;
}

void hd_http_tick(struct hd_http *h)
{
    int64_t now = hd_time_mono_ms();
    for (struct hd_conn *c = h->conns, *next; c; c = next) {
        next = c->next;
        if (c->out.len && now - c->last_active > h->cfg.write_timeout_ms)
            hd_conn_close(c);
        else if (c->in_message && now - c->request_started > h->cfg.request_timeout_ms)
            hd_conn_timeout(c);
        else if (hd_conn_idle(c) &&
                 (h->shutting_down || now - c->last_active > h->cfg.idle_timeout_ms))
            hd_conn_close(c);
    }
}

void hd_http_after_turn(struct hd_http *h)
{
    hd_conn_free_dead(h);
}

void hd_http_shutdown(struct hd_http *h)
{
    if (h->shutting_down)
        return;
    h->shutting_down = true;
    if (h->listener.fd >= 0) {
        hd_loop_del(h->loop, &h->listener);
        close(h->listener.fd);
        h->listener.fd = -1;
    }
    for (struct hd_conn *c = h->conns, *next; c; c = next) {
        next = c->next;
        if (hd_conn_idle(c))
            hd_conn_close(c);
    }
}

bool hd_http_done(const struct hd_http *h)
{
    return h->shutting_down && !h->conns && !h->dead;
}

void hd_http_close_all(struct hd_http *h)
{
    while (h->conns)
        hd_conn_close(h->conns);
}
