/* idle_conns.c: opens N keep-alive connections to herald, sends one GET /healthz on each, reads
 * the answers, then holds them idle for HOLD seconds so the server's memory can be read.
 * usage: idle_conns HOST PORT N HOLD_SECONDS
 * Prints "ready N" once every connection has had its answer. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_one(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0) {
        perror("connect");
        exit(1);
    }
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n";
    if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
        perror("write");
        exit(1);
    }
    return fd;
}

static void read_answer(int fd)
{
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0 || strncmp(buf, "HTTP/1.1 200", 12) != 0) {
        fprintf(stderr, "bad answer on fd %d\n", fd);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s HOST PORT N HOLD_SECONDS\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[3]), hold = atoi(argv[4]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)n + 64) { /* as high as the hard limit allows */
        rl.rlim_cur = (rlim_t)n + 64 < rl.rlim_max ? (rlim_t)n + 64 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &addr.sin_addr);
    int *fds = calloc((size_t)n, sizeof(*fds));
    for (int i = 0; i < n; i++)
        fds[i] = connect_one(&addr);
    for (int i = 0; i < n; i++)
        read_answer(fds[i]);
    printf("ready %d\n", n);
    fflush(stdout);
    sleep((unsigned)hold);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return 0;
}
