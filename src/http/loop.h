/* loop.h: one epoll event loop per thread.
 *
 * Sources register a struct hd_io (an fd and a callback). The loop calls hooks->tick about every
 * tick_ms (timeouts, the scheduler) and hooks->after_turn after each batch of events (freeing
 * closed connections, flushing logs). hd_loop_wake() may be called from any thread. */
#ifndef HD_HTTP_LOOP_H
#define HD_HTTP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

struct hd_io {
    int fd;
    void (*on_event)(struct hd_io *io, uint32_t events);
};

/* A function to run on a loop's thread; embedded in whatever the poster hands over, so posting
 * allocates nothing. */
struct hd_loop_task {
    void (*run)(struct hd_loop_task *task);
    struct hd_loop_task *next;
};

struct hd_loop_hooks {
    /* Returns false to end hd_loop_run. */
    bool (*tick)(void *arg);
    void (*after_turn)(void *arg);
    /* Called on the loop's thread after hd_loop_wake. */
    void (*on_wake)(void *arg);
    void *arg;
};

struct hd_loop;

/* Returns a new loop, or NULL if the kernel refuses an epoll or eventfd descriptor. */
struct hd_loop *hd_loop_create(void);
void hd_loop_destroy(struct hd_loop *loop);
int hd_loop_add(struct hd_loop *loop, struct hd_io *io, uint32_t events) HD_WUR;
int hd_loop_mod(struct hd_loop *loop, struct hd_io *io, uint32_t events) HD_WUR;
void hd_loop_del(struct hd_loop *loop, struct hd_io *io);
void hd_loop_run(struct hd_loop *loop, int tick_ms, const struct hd_loop_hooks *hooks);
/* Thread-safe: makes the loop call hooks->on_wake soon. */
void hd_loop_wake(struct hd_loop *loop);
/* Thread-safe: task->run(task) will be called on the loop's thread, in posting order. The task
 * must stay valid until then. */
void hd_loop_post(struct hd_loop *loop, struct hd_loop_task *task);
/* Runs the tasks posted and not yet run (after hd_loop_run has returned, on any thread). */
void hd_loop_drain(struct hd_loop *loop);

#endif
