/* loopback_send.c: what the machine charges for one SSE delivery, with no server in the way.
 * Opens N TCP connections to itself over 127.0.0.1, then for each round sends BYTES on every
 * accepted end (one send each, as a server fans an event out) and reads them on every client
 * end; prints the median time per send and per read. N sends plus N reads, spread over the
 * cores, are a floor under any server's "last client has it" on this machine.
 * usage: loopback_send N BYTES ROUNDS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s N BYTES ROUNDS\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]), bytes = atoi(argv[2]), rounds = atoi(argv[3]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (n <= 0 || bytes <= 0 || rounds <= 0 || (rlim_t)2 * (rlim_t)n + 16 > rl.rlim_cur) {
        fprintf(stderr, "loopback_send: bad N, BYTES or ROUNDS, or 2N open files exceed %lu\n",
                (unsigned long)rl.rlim_cur);
        return 2;
    }
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(addr);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 4096) ||
        getsockname(lfd, (struct sockaddr *)&addr, &alen)) {
        perror("listen");
        return 1;
    }
    int *srv = malloc((size_t)n * sizeof(int)), *cli = malloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) {
        cli[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(cli[i], (struct sockaddr *)&addr, sizeof(addr)) ||
            (srv[i] = accept(lfd, NULL, NULL)) < 0) {
            perror("connect");
            return 1;
        }
    }
    char *buf = malloc((size_t)bytes);
    memset(buf, 'x', (size_t)bytes);
    double *s = malloc((size_t)rounds * sizeof(double)),
           *r = malloc((size_t)rounds * sizeof(double));
    for (int k = 0; k < rounds; k++) {
        double t0 = now_us();
        for (int i = 0; i < n; i++)
            if (send(srv[i], buf, (size_t)bytes, MSG_NOSIGNAL) != bytes) {
                perror("send");
                return 1;
            }
        double t1 = now_us();
        for (int i = 0; i < n; i++)
            for (int got = 0; got < bytes;) {
                ssize_t m = read(cli[i], buf, (size_t)(bytes - got));
                if (m <= 0) {
                    perror("read");
                    return 1;
                }
                got += (int)m;
            }
        s[k] = (t1 - t0) / n;
        r[k] = (now_us() - t1) / n;
        usleep(100000);
    }
    qsort(s, (size_t)rounds, sizeof(double), cmp_double);
    qsort(r, (size_t)rounds, sizeof(double), cmp_double);
    printf("loopback n=%d bytes=%d rounds=%d send_us=%.2f read_us=%.2f\n", n, bytes, rounds,
           s[rounds / 2], r[rounds / 2]);
    return 0;
}
