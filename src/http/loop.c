/* loop.c: epoll_wait in level-triggered mode; an eventfd for cross-thread wake-ups. */
#include "http/loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/time.h"

#define MAX_EVENTS 256

struct hd_loop {
    int epfd;
    struct hd_io wake;
    pthread_mutex_t lock; /* guards the posted tasks */
    struct hd_loop_task *head, *tail;
};

static void on_wake(struct hd_io *io, uint32_t events)
{
    uint64_t n;
    while (read(io->fd, &n, sizeof(n)) > 0)
        ;
}

struct hd_loop *hd_loop_create(void)
{
    struct hd_loop *loop = hd_xcalloc(1, sizeof(*loop));
    pthread_mutex_init(&loop->lock, NULL);
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    loop->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    loop->wake.on_event = on_wake;
    if (loop->epfd < 0 || loop->wake.fd < 0 || hd_loop_add(loop, &loop->wake, EPOLLIN) != 0) {
        hd_loop_destroy(loop);
        return NULL;
    }
    return loop;
}

void hd_loop_destroy(struct hd_loop *loop)
{
    if (!loop)
        return;
    if (loop->wake.fd >= 0)
        close(loop->wake.fd);
    if (loop->epfd >= 0)
        close(loop->epfd);
    pthread_mutex_destroy(&loop->lock);
    free(loop);
}

int hd_loop_add(struct hd_loop *loop, struct hd_io *io, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, io->fd, &ev) == 0 ? 0 : HD_E_INTERNAL;
}

int hd_loop_mod(struct hd_loop *loop, struct hd_io *io, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) == 0 ? 0 : HD_E_INTERNAL;
}

void hd_loop_del(struct hd_loop *loop, struct hd_io *io)
{
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

void hd_loop_wake(struct hd_loop *loop)
{
    uint64_t one = 1;
    ssize_t n = write(loop->wake.fd, &one, sizeof(one));
    (void)n; /* a full counter still wakes the loop */
}

void hd_loop_post(struct hd_loop *loop, struct hd_loop_task *task)
{
    task->next = NULL;
    pthread_mutex_lock(&loop->lock);
    bool was_empty = !loop->head;
    if (loop->tail)
        loop->tail->next = task;
    else
        loop->head = task;
    loop->tail = task;
    pthread_mutex_unlock(&loop->lock);
    if (was_empty)
        hd_loop_wake(loop);
}

/* Runs what other threads posted, taking the whole list under the lock at once. */
static void run_posted(struct hd_loop *loop)
{
    pthread_mutex_lock(&loop->lock);
    struct hd_loop_task *t = loop->head;
    loop->head = loop->tail = NULL;
    pthread_mutex_unlock(&loop->lock);
    while (t) {
        struct hd_loop_task *next = t->next;
        t->run(t);
        t = next;
    }
}

void hd_loop_drain(struct hd_loop *loop)
{
    run_posted(loop);
}

void hd_loop_run(struct hd_loop *loop, int tick_ms, const struct hd_loop_hooks *hooks)
{
    struct epoll_event events[MAX_EVENTS];
    int64_t next_tick = hd_time_mono_ms() + tick_ms;
    for (;;) {
        int64_t wait = next_tick - hd_time_mono_ms();
        int n = epoll_wait(loop->epfd, events, MAX_EVENTS, wait < 0 ? 0 : (int)wait);
        if (n < 0 && errno != EINTR)
            abort(); /* a broken epoll descriptor is a programming error */
        for (int i = 0; i < n; i++) {
            struct hd_io *io = events[i].data.ptr;
            io->on_event(io, events[i].events);
            if (io != &loop->wake)
                continue;
            run_posted(loop);
            if (hooks->on_wake)
                hooks->on_wake(hooks->arg);
        }
        if (hooks->after_turn)
            hooks->after_turn(hooks->arg);
        if (hd_time_mono_ms() >= next_tick) {
            next_tick = hd_time_mono_ms() + tick_ms;
            if (!hooks->tick(hooks->arg))
                return;
        }
    }
}
