/* checkpointer.c: see checkpointer.h.
 *
 * Why: SQLite's automatic checkpoint ran on the writer, after the commit that took the log past
 * its size: it copied thousands of pages and synced the database file while every trigger
 * waited, and that pause was the 99th percentile of a trigger's latency. Now the writer's
 * connection reports the log's size after each commit (hd_store_watch_log) and this thread
 * copies it in big passes: one whenever COPY_PAGES pages are waiting (a page written many times
 * meanwhile is copied once), and from CONVERGE_PAGES on, passes back to back until little is
 * left, so that when the log reaches HD_LOG_PAGES the writer has only that little to copy
 * itself before the log starts over. (Only a checkpoint on the writer's own connection, right
 * after its commit, can leave the log fully copied when its next transaction begins, which is
 * when SQLite starts it over.) The passes are SQLite's PASSIVE checkpoints: they never block the
 * writer or the readers, and SQLite syncs the log before copying and the database after.
 *
 * The other connections (the loops' own writes: administration, bulk imports) keep SQLite's
 * automatic checkpoint. While nothing is written the thread only wakes, backing off to
 * IDLE_MS between looks.
 *
 * Every MOVE_MS it also moves the targets that triggers logged into the index by user
 * (hd_store_targets_move, sqlite_by_user.c), all of them, MOVE_MAX per transaction: in bulk,
 * each leaf of that index is written once for many rows, and never while the writer waits. */
#include "store/checkpointer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"
#include "store/store.h"

#define EVERY_MS       5
#define IDLE_MS        250
#define COPY_PAGES     (HD_LOG_PAGES / 2)
#define CONVERGE_PAGES (HD_LOG_PAGES * 13 / 16)
#define CONVERGE_LEFT  64
#define MOVE_MS        250
#define MOVE_MAX       65536

struct hd_checkpointer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping; /* under lock */
    struct hd_store *store;
    struct hd_log_progress *progress; /* the writer's */
    int64_t moved_at;                 /* when targets were last moved (ms) */
    bool move_failing;
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

/* Is a pass due, given what the log holds and how much of it is copied? */
static bool due(long long pages, long long copied)
{
    long long left = pages - copied;
    return left >= COPY_PAGES || (pages >= CONVERGE_PAGES && left >= CONVERGE_LEFT);
}

/* Moves every logged target into the index by user, once per MOVE_MS. */
static void move_targets(struct hd_checkpointer *c)
{
    int64_t now = hd_time_now_ms();
    if (now - c->moved_at < MOVE_MS && now >= c->moved_at)
        return;
    c->moved_at = now;
    size_t moved = MOVE_MAX;
    int err = 0;
    while (!err && moved == MOVE_MAX)
        err = hd_store_targets_move(c->store, MOVE_MAX, &moved);
    if (err && !c->move_failing)
        hd_log(HD_LOG_WARN, "store: moving targets into the index by user failed; feeds read "
                            "them from the log meanwhile");
    c->move_failing = err != 0;
}

static void *checkpointer_main(void *arg)
{
    struct hd_checkpointer *c = arg;
    bool failing = false;
    long period = EVERY_MS;
    long long last_pages = -1;
    while (wait_period(c, period)) {
        move_targets(c);
        long long pages = atomic_load(&c->progress->pages);
        if (!due(pages, atomic_load(&c->progress->copied))) {
            bool quiet = pages == last_pages;
            period = quiet ? (period * 2 < IDLE_MS ? period * 2 : IDLE_MS) : EVERY_MS;
            last_pages = pages;
            continue;
        }
        period = EVERY_MS;
        int64_t log, copied;
        int err = hd_store_checkpoint(c->store, &log, &copied);
        if (err && !failing)
            hd_log(HD_LOG_WARN, "store: a background checkpoint failed; the writer's own "
                                "checkpoints go on");
        failing = err != 0;
        if (!err && log > 0 && log <= atomic_load(&c->progress->pages))
            atomic_store(&c->progress->copied, copied); /* else the log started over meanwhile */
    }
    return NULL;
}

struct hd_checkpointer *hd_checkpointer_start(const char *location,
                                              struct hd_log_progress *progress)
{
    struct hd_checkpointer *c = hd_xcalloc(1, sizeof(*c));
    c->progress = progress;
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
