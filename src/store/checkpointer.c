/* checkpointer.c: see checkpointer.h.
 *
 * Why: SQLite's automatic checkpoint runs on the writer, after the commit that takes the log past
 * its size. It then copies thousands of pages and syncs the database file while every trigger
 * waits: that pause was the 99th percentile of a trigger's latency. This thread copies what was
 * committed every CHECKPOINT_EVERY_MS instead, a few hundred pages at a time, with a PASSIVE
 * checkpoint that never blocks the writer or the readers. The writer keeps its automatic one,
 * which is needed to start the log over (only a checkpoint on the writer's own connection, right
 * after its commit, can leave nothing uncopied when the next transaction begins); it now has
 * only the last few milliseconds of commits to copy. While nothing is written the thread backs
 * off, up to CHECKPOINT_IDLE_MS between passes, so an idle server stays quiet.
 *
 * Safety is SQLite's: a checkpoint syncs the log before it copies, and the database file
 * before the log can be started over. */
#include "store/checkpointer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

#define CHECKPOINT_EVERY_MS 10
#define CHECKPOINT_IDLE_MS  250

struct hd_checkpointer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping; /* under lock */
    struct hd_store *store;
};

/* Waits ms, or until stopped; returns false once stopped. */
static bool wait_period(struct hd_checkpointer *c, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    long ns = until.tv_nsec + ms % 1000 * 1000000L;
    until.tv_sec += ms / 1000 + ns / 1000000000L;
    until.tv_nsec = ns % 1000000000L;
    pthread_mutex_lock(&c->lock);
    while (!c->stopping && pthread_cond_timedwait(&c->wake, &c->lock, &until) == 0)
        ; /* woken early (spuriously or to stop): check again */
    bool go_on = !c->stopping;
    pthread_mutex_unlock(&c->lock);
    return go_on;
}

static void *checkpointer_main(void *arg)
{
    struct hd_checkpointer *c = arg;
    bool failing = false;
    long period = CHECKPOINT_EVERY_MS;
    int64_t last_log = -1;
    while (wait_period(c, period)) {
        int64_t log, copied;
        int err = hd_store_checkpoint(c->store, &log, &copied);
        if (err && !failing)
            hd_log(HD_LOG_WARN, "store: a background checkpoint failed; the writer's own "
                                "checkpoints go on");
        failing = err != 0;
        bool quiet = log == last_log && copied == log; /* nothing written since the last pass */
        period = quiet ? (period * 2 < CHECKPOINT_IDLE_MS ? period * 2 : CHECKPOINT_IDLE_MS)
                       : CHECKPOINT_EVERY_MS;
        last_log = log;
    }
    return NULL;
}

struct hd_checkpointer *hd_checkpointer_start(const char *location)
{
    struct hd_checkpointer *c = hd_xcalloc(1, sizeof(*c));
    char err[256];
    if (hd_store_open(location, &c->store, err, sizeof(err))) {
        hd_log(HD_LOG_WARN, "store: no background checkpoints: %s", err);
        free(c);
        return NULL;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&c->lock, NULL);
    if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        hd_log(HD_LOG_WARN, "store: no background checkpoints: no thread");
        hd_checkpointer_stop(c);
        return NULL;
    }
    pthread_setname_np(c->thread, "checkpoint");
    return c;
}

void hd_checkpointer_stop(struct hd_checkpointer *c)
{
    if (!c)
        return;
    if (c->thread) {
        pthread_mutex_lock(&c->lock);
        c->stopping = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
    }
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    hd_store_close(c->store);
    free(c);
}
