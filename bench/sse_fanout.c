/* sse_fanout.c: SSE fan-out load client. Opens N Server-Sent Events streams to HOST:PORT (one
 * epoll loop, non-blocking sockets), waits until every one has its response headers, then for
 * each round records t0, fires a trigger, and notes when each stream has the round's event (the
 * blank line ending the first event that has a "data:" line, WHATWG SSE). It prints, per round,
 * the time until the first, median, p99 and last stream had it, and the median of each over the
 * rounds. Works for any SSE server: herald (/v1/me/stream?access_token=…) or nginx + nchan
 * (/sub/CHANNEL); identity or chunked bodies.
 *
 * usage: sse_fanout [options] HOST PORT PATH N
 *   PATH        request target; a "{token}" in it becomes an end-user JWT (HS256, claims
 *               sub, sys, iat, exp) minted here with -k and -y: connection i is user
 *               PREFIX<i mod USERS> (so N tokens need no N HTTP calls)
 *   -r ROUNDS   rounds (default 20)
 *   -T FILE     trigger: send FILE, a whole HTTP request, to HOST:PORT on a new connection;
 *               t0 is taken just before connect
 *   -P PORT     send the -T request to HOST:PORT instead (another node of a cluster)
 *   -t COMMAND  trigger: run COMMAND with /bin/sh -c (stdout to /dev/null); t0 just before spawn
 *               (a shell and curl add some 15-25 ms to every figure on the development VM)
 *   -k SECRET   signing secret (its text is the HMAC key, as herald uses it)
 *   -y SYSTEM   system id ("sys" claim)
 *   -u PREFIX   end-user id prefix (default "u")
 *   -U USERS    distinct end users (default N)
 *   -S COUNT    spread connections over COUNT source addresses 127.0.0.2… (bind before connect)
 *   -c COUNT    connections being opened at once (default 256)
 *   -w MS       longest wait for a round (default 10000)
 *   -g MS       pause before each round (default 300)
 *   -H SECONDS  hold mode: once connected print "ready N" and hold the streams idle for SECONDS
 *               (or until SIGTERM/SIGINT); no rounds
 *   -p PIDS     server processes (comma separated) whose CPU time (all threads, user + system,
 *               from /proc) is summed over the rounds, beside this client's own
 * The last line is "summary …" with the medians over the rounds, for scripts.
 * Exit status: 0, 1 when streams could not all be opened, 2 on bad usage. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SETUP_LIMIT_MS 180000 /* to open every stream */
#define HEADERS_MAX    4096
#define TRIGGER_TAG    UINT64_MAX /* epoll data of the trigger connection */

enum state { CONNECTING, HEADERS, STREAMING, DEAD };
enum chunk { C_SIZE, C_EXT, C_DATA, C_DATA_CR, C_DATA_LF };

struct stream {
    int fd;
    uint8_t state, chunked, chunk_state;
    uint8_t line_pos;    /* bytes of the current line seen, capped */
    bool line_data;      /* the current line starts with "data:" so far */
    bool event_data;     /* the current event has a data line */
    uint32_t chunk_left; /* bytes of chunk data still to come */
    uint32_t events;     /* events completed since connected */
    int64_t got_ns;      /* when it had this round's event; 0: not yet */
    char *head;          /* response headers while they arrive */
    uint16_t head_len;
};

static struct opts {
    const char *host, *path, *trigger_file, *trigger_cmd, *secret, *system, *prefix, *pids;
    int port, trigger_port, n, rounds, users, sources, inflight, wait_ms, gap_ms, hold_s;
} o = {.rounds = 20,
       .prefix = "u",
       .sources = 0,
       .inflight = 256,
       .wait_ms = 10000,
       .gap_ms = 300,
       .hold_s = -1};

static struct stream *streams;
static int ep, alive, opening, next_to_open, arrived, stray;
static int64_t round_t0; /* 0 outside a round */
static volatile sig_atomic_t stop;
static char *trigger_req;
static size_t trigger_len;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* ---- end-user tokens: JWT HS256 (RFC 7519, RFC 7515) ---- */

static size_t b64url(char *out, const unsigned char *in, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o_len = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o_len++] = abc[(v >> 18) & 63];
        out[o_len++] = abc[(v >> 12) & 63];
        if (i + 1 < len)
            out[o_len++] = abc[(v >> 6) & 63];
        if (i + 2 < len)
            out[o_len++] = abc[v & 63];
    }
    out[o_len] = 0;
    return o_len;
}

/* The token of end user PREFIX<user>, in out (at least 512 bytes). */
static void mint(char *out, int user)
{
    char claims[256];
    long now = (long)time(NULL);
    int len = snprintf(claims, sizeof(claims),
                       "{\"sub\":\"%s%d\",\"sys\":\"%s\",\"iat\":%ld,"
                       "\"exp\":%ld}",
                       o.prefix, user, o.system, now, now + 86400);
    size_t n = b64url(out, (const unsigned char *)"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27);
    out[n++] = '.';
    n += b64url(out + n, (const unsigned char *)claims, (size_t)len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    HMAC(EVP_sha256(), o.secret, (int)strlen(o.secret), (const unsigned char *)out, n, mac,
         &mac_len);
    out[n++] = '.';
    b64url(out + n, mac, mac_len);
}

/* The request of stream i into buf; its length. */
static int request_of(char *buf, size_t size, int i)
{
    char path[2048], token[512];
    const char *at = strstr(o.path, "{token}");
    if (at && o.secret) {
        mint(token, o.users ? i % o.users : i);
        snprintf(path, sizeof(path), "%.*s%s%s", (int)(at - o.path), o.path, token, at + 7);
    } else {
        snprintf(path, sizeof(path), "%s", o.path);
    }
    return snprintf(buf, size,
                    "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
                    "Cache-Control: no-cache\r\n\r\n",
                    path, o.host, o.port);
}

/* ---- opening streams ---- */

static void watch(int fd, uint32_t events, uint64_t tag, int op)
{
    struct epoll_event ev = {.events = events, .data.u64 = tag};
    if (epoll_ctl(ep, op, fd, &ev) != 0)
        die("epoll_ctl");
}

/* connect_to's source for the trigger's connection (no source address, maybe another port) */
#define TRIGGER_SOURCE (-2)

static int connect_to(int source)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket (raise the open files limit?)");
    if (source >= 0) { /* 127.0.0.(2+source): the port is picked at connect, per destination */
        int one = 1;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        struct sockaddr_in src = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)source)};
        if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0)
            die("bind");
    }
    int port = source == TRIGGER_SOURCE && o.trigger_port ? o.trigger_port : o.port;
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, o.host, &dst.sin_addr) != 1) {
        fprintf(stderr, "sse_fanout: HOST must be an IPv4 address\n");
        exit(2);
    }
    if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS)
        die("connect");
    return fd;
}

static void open_stream(int i)
{
    struct stream *s = &streams[i];
    s->fd = connect_to(o.sources > 0 ? i % o.sources : -1);
    s->state = CONNECTING;
    watch(s->fd, EPOLLOUT, (uint64_t)i, EPOLL_CTL_ADD);
    opening++;
}

static void open_more(void)
{
    while (opening < o.inflight && next_to_open < o.n)
        open_stream(next_to_open++);
}

static void kill_stream(struct stream *s)
{
    if (s->state == DEAD)
        return;
    if (s->state != STREAMING)
        opening--;
    else
        alive--;
    s->state = DEAD;
    free(s->head);
    s->head = NULL;
    close(s->fd);
}

static void send_request(int i)
{
    struct stream *s = &streams[i];
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        fprintf(stderr, "sse_fanout: connect: %s\n", strerror(err));
        exit(1);
    }
    char req[3072];
    int n = request_of(req, sizeof(req), i);
    if (send(s->fd, req, (size_t)n, MSG_NOSIGNAL) != n)
        die("send (request)");
    s->state = HEADERS;
    s->head = malloc(HEADERS_MAX);
    s->head_len = 0;
    watch(s->fd, EPOLLIN, (uint64_t)i, EPOLL_CTL_MOD);
}

/* ---- reading events ---- */

static void event_done(struct stream *s, int64_t t)
{
    s->events++;
    if (!round_t0) {
        stray++;
    } else if (!s->got_ns) {
        s->got_ns = t;
        arrived++;
    }
}

/* WHATWG SSE, enough of it: lines end with LF (a CR is skipped); a blank line ends an event;
 * an event counts when one of its lines starts with "data:". */
static void sse_feed(struct stream *s, const char *p, size_t len, int64_t t)
{
    static const char data[] = "data:";
    for (size_t k = 0; k < len; k++) {
        char ch = p[k];
        if (ch == '\r')
            continue;
        if (ch == '\n') {
            if (s->line_pos == 0) {
                if (s->event_data)
                    event_done(s, t);
                s->event_data = false;
            }
            s->line_pos = 0;
            continue;
        }
        if (s->line_pos == 0)
            s->line_data = true;
        if (s->line_pos < 5) {
            s->line_data = s->line_data && ch == data[s->line_pos];
            if (s->line_pos == 4 && s->line_data)
                s->event_data = true;
            s->line_pos++;
        }
    }
}

/* RFC 9112 §7.1 chunked framing, passing the data through to sse_feed. */
static void body_feed(struct stream *s, const char *p, size_t len, int64_t t)
{
    if (!s->chunked) {
        sse_feed(s, p, len, t);
        return;
    }
    while (len > 0) {
        char ch = *p;
        switch (s->chunk_state) {
        case C_SIZE:
        case C_EXT:
            if (ch == '\n') {
                s->chunk_state = s->chunk_left ? C_DATA : C_DATA_LF; /* 0: the end */
            } else if (s->chunk_state == C_SIZE && ch != '\r') {
                int d = ch >= '0' && ch <= '9'   ? ch - '0'
                        : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                                 : -1;
                if (d < 0)
                    s->chunk_state = C_EXT;
                else
                    s->chunk_left = s->chunk_left * 16 + (uint32_t)d;
            }
            p++, len--;
            break;
        case C_DATA: {
            size_t take = len < s->chunk_left ? len : s->chunk_left;
            sse_feed(s, p, take, t);
            p += take, len -= take;
            s->chunk_left -= (uint32_t)take;
            if (!s->chunk_left)
                s->chunk_state = C_DATA_CR;
            break;
        }
        case C_DATA_CR:
        case C_DATA_LF:
            if (ch == '\n')
                s->chunk_state = C_SIZE;
            p++, len--;
            break;
        }
    }
}

/* The response headers: a 200 text/event-stream, chunked or not. Returns the header length
 * once complete, 0 while incomplete. */
static size_t headers_feed(struct stream *s, int i, const char *p, size_t len)
{
    size_t room = HEADERS_MAX - 1 - s->head_len, take = len < room ? len : room;
    memcpy(s->head + s->head_len, p, take);
    size_t before = s->head_len;
    s->head_len = (uint16_t)(s->head_len + take);
    s->head[s->head_len] = 0;
    char *end = strstr(s->head, "\r\n\r\n");
    if (!end) {
        if (s->head_len == HEADERS_MAX - 1) {
            fprintf(stderr, "sse_fanout: stream %d: response headers too long\n", i);
            exit(1);
        }
        return 0;
    }
    if (strncmp(s->head, "HTTP/1.1 200", 12) != 0) {
        fprintf(stderr, "sse_fanout: stream %d answered:\n%s\n", i, s->head);
        exit(1);
    }
    end[2] = 0; /* keep the last field's CRLF */
    char *te = strcasestr(s->head, "\r\ntransfer-encoding:");
    if (te) {
        char *eol = strstr(te + 2, "\r\n");
        *eol = 0;
        s->chunked = strcasestr(te, "chunked") != NULL;
    }
    size_t head = (size_t)(end - s->head) + 4 - before;
    free(s->head);
    s->head = NULL;
    s->state = STREAMING;
    opening--;
    alive++;
    return head;
}

static char rbuf[1 << 16];

static void on_readable(int i)
{
    struct stream *s = &streams[i];
    ssize_t n = read(s->fd, rbuf, sizeof(rbuf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        if (s->state != STREAMING) {
            fprintf(stderr, "sse_fanout: stream %d closed before its headers\n", i);
            exit(1);
        }
        kill_stream(s);
        return;
    }
    int64_t t = now_ns();
    size_t used = 0;
    if (s->state == HEADERS && !(used = headers_feed(s, i, rbuf, (size_t)n)))
        return;
    if ((size_t)n > used)
        body_feed(s, rbuf + used, (size_t)n - used, t);
}

/* ---- the trigger ---- */

static struct {
    int fd;
    pid_t pid;
    bool done;
    int status; /* HTTP status, or the command's exit status */
    int64_t answered_ns;
    char head[16];
    size_t head_len;
} trig;

static void fire(void)
{
    trig.done = false;
    trig.status = -1;
    trig.head_len = 0;
    if (trigger_req) {
        trig.fd = connect_to(TRIGGER_SOURCE);
        watch(trig.fd, EPOLLOUT, TRIGGER_TAG, EPOLL_CTL_ADD);
        return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"sh", "-c", (char *)o.trigger_cmd, NULL};
    if (posix_spawn(&trig.pid, "/bin/sh", &fa, NULL, argv, environ) != 0)
        die("posix_spawn");
    posix_spawn_file_actions_destroy(&fa);
}

static void on_trigger(uint32_t events)
{
    if (events & EPOLLOUT) {
        if (send(trig.fd, trigger_req, trigger_len, MSG_NOSIGNAL) != (ssize_t)trigger_len)
            die("send (trigger)");
        watch(trig.fd, EPOLLIN, TRIGGER_TAG, EPOLL_CTL_MOD);
        return;
    }
    ssize_t n = read(trig.fd, rbuf, sizeof(rbuf));
    if (n > 0 && trig.head_len < sizeof(trig.head) - 1) {
        size_t take = sizeof(trig.head) - 1 - trig.head_len;
        take = (size_t)n < take ? (size_t)n : take;
        memcpy(trig.head + trig.head_len, rbuf, take);
        trig.head_len += take;
        trig.head[trig.head_len] = 0;
        if (trig.head_len >= 12 && !trig.answered_ns) {
            trig.answered_ns = now_ns();
            trig.status = atoi(trig.head + 9);
        }
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close(trig.fd); /* the request says Connection: close */
        trig.done = true;
    }
}

static void reap_trigger(void)
{
    int st;
    if (trigger_req || trig.done || waitpid(trig.pid, &st, WNOHANG) != trig.pid)
        return;
    trig.done = true;
    trig.answered_ns = now_ns();
    trig.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the loop ---- */

static void turn(int timeout_ms)
{
    static struct epoll_event evs[1024];
    int n = epoll_wait(ep, evs, 1024, timeout_ms);
    if (n < 0 && errno != EINTR)
        die("epoll_wait");
    for (int k = 0; k < n; k++) {
        uint64_t tag = evs[k].data.u64;
        if (tag == TRIGGER_TAG) {
            on_trigger(evs[k].events);
            continue;
        }
        struct stream *s = &streams[tag];
        if (s->state == CONNECTING)
            send_request((int)tag);
        else if (s->state != DEAD)
            on_readable((int)tag);
    }
    if (opening < o.inflight)
        open_more();
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

struct round {
    double first, median, p99, last, answered;
    int got, status;
};

static struct round run_round(int64_t *lat)
{
    for (int64_t until = now_ns() + (int64_t)o.gap_ms * 1000000; now_ns() < until && !stop;)
        turn(10);
    for (int i = 0; i < o.n; i++)
        streams[i].got_ns = 0;
    arrived = 0;
    trig.answered_ns = 0;
    round_t0 = now_ns();
    fire();
    int64_t deadline = round_t0 + (int64_t)o.wait_ms * 1000000;
    while (!stop && now_ns() < deadline && (arrived < alive || !trig.done)) {
        turn(1);
        reap_trigger();
    }
    if (!trig.done && trigger_req) { /* no answer in time: give up on it */
        close(trig.fd);
        trig.done = true;
    } else if (!trig.done) {
        kill(trig.pid, SIGKILL);
        waitpid(trig.pid, NULL, 0);
        trig.done = true;
    }
    int64_t t0 = round_t0;
    round_t0 = 0;
    int got = 0;
    for (int i = 0; i < o.n; i++)
        if (streams[i].got_ns)
            lat[got++] = streams[i].got_ns - t0;
    qsort(lat, (size_t)got, sizeof(*lat), cmp_i64);
    struct round r = {.first = -1, /* -1: not known, too few streams had it */
                      .median = -1,
                      .p99 = -1,
                      .last = -1,
                      .got = got,
                      .status = trig.status,
                      .answered = trig.answered_ns ? ms(trig.answered_ns - t0) : -1};
    if (got) { /* ranks over all N: a stream that never had it counts as slowest */
        r.first = ms(lat[0]);
        r.median = (o.n + 1) / 2 <= got ? ms(lat[(o.n - 1) / 2]) : -1;
        int p99 = (int)((int64_t)o.n * 99 / 100);
        r.p99 = p99 < got ? ms(lat[p99]) : -1;
        r.last = got == o.n ? ms(lat[got - 1]) : -1;
    }
    return r;
}

/* CPU time used so far, in ms: the server processes of -p (clock ticks), and this client. */
static double server_cpu_ms(void)
{
    if (!o.pids)
        return 0;
    double ms_total = 0, tick_ms = 1000.0 / (double)sysconf(_SC_CLK_TCK);
    char list[1024], path[64], line[1024];
    snprintf(list, sizeof(list), "%s", o.pids);
    for (char *save, *pid = strtok_r(list, ",", &save); pid; pid = strtok_r(NULL, ",", &save)) {
        snprintf(path, sizeof(path), "/proc/%s/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        char *paren = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
        unsigned long utime, stime; /* fields 14 and 15, after the command's ")" */
        if (paren && sscanf(paren + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                            &utime, &stime) == 2)
            ms_total += (double)(utime + stime) * tick_ms;
        fclose(f);
    }
    return ms_total;
}

static double client_cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static double median_of(double *v, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort: a few rounds */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void load_trigger(void)
{
    FILE *f = fopen(o.trigger_file, "rb");
    if (!f)
        die(o.trigger_file);
    trigger_req = malloc(1 << 20);
    trigger_len = fread(trigger_req, 1, 1 << 20, f);
    fclose(f);
}

static void usage(const char *me)
{
    fprintf(stderr,
            "usage: %s [-r ROUNDS] [-T REQUEST_FILE [-P PORT] | -t COMMAND] [-k SECRET -y SYSTEM "
            "[-u PREFIX] [-U USERS]] [-S SOURCES] [-c INFLIGHT] [-w MS] [-g MS] [-H SECONDS] "
            "[-p PIDS] "
            "HOST PORT PATH N\n",
            me);
    exit(2);
}

static void parse(int argc, char **argv)
{
    int ch;
    while ((ch = getopt(argc, argv, "r:T:P:t:k:y:u:U:S:c:w:g:H:p:")) != -1) {
        switch (ch) {
        case 'r': o.rounds = atoi(optarg); break;
        case 'T': o.trigger_file = optarg; break;
        case 'P': o.trigger_port = atoi(optarg); break;
        case 't': o.trigger_cmd = optarg; break;
        case 'k': o.secret = optarg; break;
        case 'y': o.system = optarg; break;
        case 'u': o.prefix = optarg; break;
        case 'U': o.users = atoi(optarg); break;
        case 'S': o.sources = atoi(optarg); break;
        case 'c': o.inflight = atoi(optarg); break;
        case 'w': o.wait_ms = atoi(optarg); break;
        case 'g': o.gap_ms = atoi(optarg); break;
        case 'H': o.hold_s = atoi(optarg); break;
        case 'p': o.pids = optarg; break;
        default: usage(argv[0]);
        }
    }
    if (argc - optind != 4)
        usage(argv[0]);
    o.host = argv[optind];
    o.port = atoi(argv[optind + 1]);
    o.path = argv[optind + 2];
    o.n = atoi(argv[optind + 3]);
    if (o.n <= 0 || o.inflight <= 0 || (strstr(o.path, "{token}") && (!o.secret || !o.system)) ||
        (o.hold_s < 0 && o.rounds > 0 && !o.trigger_file == !o.trigger_cmd))
        usage(argv[0]);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t want = (rlim_t)o.n + 64;
    if (rl.rlim_max < want) { /* needs CAP_SYS_RESOURCE */
        struct rlimit more = {want, want};
        if (setrlimit(RLIMIT_NOFILE, &more) == 0)
            return;
        fprintf(stderr, "sse_fanout: %d streams need %lu open files; the hard limit is %lu\n", o.n,
                (unsigned long)want, (unsigned long)rl.rlim_max);
        exit(1);
    }
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static void open_all(void)
{
    int64_t t0 = now_ns(), limit = t0 + (int64_t)SETUP_LIMIT_MS * 1000000;
    open_more();
    while (!stop && (next_to_open < o.n || opening > 0)) {
        if (now_ns() > limit) {
            fprintf(stderr, "sse_fanout: only %d of %d streams open after %d s\n", alive, o.n,
                    SETUP_LIMIT_MS / 1000);
            exit(1);
        }
        turn(100);
    }
    if (alive < o.n) {
        fprintf(stderr, "sse_fanout: %d of %d streams open\n", alive, o.n);
        exit(1);
    }
    printf("connected %d streams in %.0f ms\n", o.n, ms(now_ns() - t0));
    fflush(stdout);
}

static void hold(void)
{
    printf("ready %d\n", o.n);
    fflush(stdout);
    int64_t until = now_ns() + (int64_t)o.hold_s * 1000000000;
    while (!stop && now_ns() < until)
        turn(100);
    printf("held: %d of %d streams still open\n", alive, o.n);
}

static void rounds(void)
{
    int64_t *lat = malloc((size_t)o.n * sizeof(*lat));
    double *col[5];
    for (int k = 0; k < 5; k++)
        col[k] = calloc((size_t)o.rounds, sizeof(double));
    int done = 0, short_rounds = 0;
    double server_cpu = 0, client_cpu = 0;
    for (int r = 0; r < o.rounds && !stop; r++) {
        double s0 = server_cpu_ms(), c0 = client_cpu_ms();
        struct round x = run_round(lat);
        server_cpu += server_cpu_ms() - s0;
        client_cpu += client_cpu_ms() - c0;
        printf("round %2d: first %7.2f  median %7.2f  p99 %7.2f  last %7.2f ms  (%d/%d had it; "
               "trigger answered %d in %.2f ms)\n",
               r + 1, x.first, x.median, x.p99, x.last, x.got, o.n, x.status, x.answered);
        fflush(stdout);
        if (x.got < o.n) { /* a missed stream makes "last" unknowable: count it as the wait */
            short_rounds++;
            x.last = o.wait_ms;
            x.p99 = x.p99 < 0 ? o.wait_ms : x.p99;
            x.median = x.median < 0 ? o.wait_ms : x.median;
            x.first = x.first < 0 ? o.wait_ms : x.first;
        }
        double v[5] = {x.first, x.median, x.p99, x.last, x.answered};
        for (int k = 0; k < 5; k++)
            col[k][done] = v[k];
        done++;
    }
    if (!done)
        return;
    double first = median_of(col[0], done), med = median_of(col[1], done),
           p99 = median_of(col[2], done), last = median_of(col[3], done),
           ans = median_of(col[4], done);
    printf("summary n=%d rounds=%d first_ms=%.2f median_ms=%.2f p99_ms=%.2f last_ms=%.2f "
           "last_min_ms=%.2f last_max_ms=%.2f trigger_ms=%.2f server_cpu_ms=%.1f "
           "client_cpu_ms=%.1f incomplete_rounds=%d closed=%d stray_events=%d\n",
           o.n, done, first, med, p99, last, col[3][0], col[3][done - 1], ans, server_cpu / done,
           client_cpu / done, short_rounds, o.n - alive, stray);
}

int main(int argc, char **argv)
{
    parse(argc, argv);
    raise_fd_limit();
    if (o.trigger_file)
        load_trigger();
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    streams = calloc((size_t)o.n, sizeof(*streams));
    if (!streams || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
        die("setup");
    open_all();
    if (o.hold_s >= 0)
        hold();
    else
        rounds();
    struct linger rst = {1, 0}; /* close with RST: no TIME_WAIT left on the client's ports */
    for (int i = 0; i < o.n; i++)
        if (streams[i].state != DEAD) {
            setsockopt(streams[i].fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
            close(streams[i].fd);
        }
    return 0;
}
