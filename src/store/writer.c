/* writer.c: a queue under a mutex, drained whole by the writer thread into one transaction, and
 * a min-heap of jobs due at a time (the scheduler's starts and ends), which join the batch that
 * follows their time. With a store whose commits can be synced apart (hd_store_defer_sync), a
 * sync thread takes the committed batches, syncs once for all of them, and calls their done();
 * with it runs the checkpoint thread (checkpointer.h), which keeps SQLite's log copied. */
#include "store/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"
#include "store/checkpointer.h"

#define BATCH_MAX 4096 /* bounds one transaction; the rest waits for the next */

struct timed {
    int64_t due; /* wall-clock ms */
    struct hd_write_job *job;
};

/* A committed batch waiting for the sync that makes it durable. */
struct unsynced {
    struct hd_write_job *jobs;
    struct unsynced *next;
};

/* The sync thread and its queue of committed batches, oldest first. */
struct syncer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct unsynced *head, *tail; /* under lock */
    bool stopping;                /* under lock */
    int fd;                       /* what to fdatasync; -1: commits are durable as they return */
    struct hd_checkpointer *checkpointer; /* with fd only (SQLite) */
    struct hd_log_progress progress;      /* the writer's log, for the checkpointer */
    atomic_uint_least64_t syncs, sync_us; /* hd_writer_stats */
};

struct hd_writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct hd_write_job *head, *tail; /* under lock */
    struct timed *heap;               /* under lock: min-heap on due */
    size_t nheap, capheap;
    bool stopping;          /* under lock */
    struct hd_store *store; /* the writer thread's alone */
    struct syncer sync;
    atomic_uint_least64_t commits, writes; /* hd_writer_stats */
};

static void heap_push(struct hd_writer *w, struct timed t)
{
    if (w->nheap == w->capheap) {
        w->capheap = w->capheap ? 2 * w->capheap : 64;
        w->heap = hd_xrealloc(w->heap, w->capheap * sizeof(*w->heap));
    }
    size_t i = w->nheap++;
    for (; i > 0 && w->heap[(i - 1) / 2].due > t.due; i = (i - 1) / 2)
        w->heap[i] = w->heap[(i - 1) / 2];
    w->heap[i] = t;
}

static struct hd_write_job *heap_pop(struct hd_writer *w)
{
    struct hd_write_job *top = w->heap[0].job;
    struct timed last = w->heap[--w->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= w->nheap)
            break;
        if (c + 1 < w->nheap && w->heap[c + 1].due < w->heap[c].due)
            c++;
        if (w->heap[c].due >= last.due)
            break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (w->nheap)
        w->heap[i] = last;
    return top;
}

/* Moves the jobs that are due to the front of the queue. */
static void take_due(struct hd_writer *w, int64_t now)
{
    for (size_t n = 0; w->nheap && w->heap[0].due <= now && n < BATCH_MAX; n++) {
        struct hd_write_job *j = heap_pop(w);
        j->queued_us = hd_time_mono_us();
        j->next = w->head;
        w->head = j;
        if (!w->tail)
            w->tail = j;
    }
}

static void wait_until(struct hd_writer *w, int64_t due)
{
    struct timespec ts = {.tv_sec = due / 1000, .tv_nsec = (long)(due % 1000) * 1000000};
    int rc = pthread_cond_timedwait(&w->wake, &w->lock, &ts);
    (void)rc; /* a timeout or a wake-up: the caller looks again */
}

/* Takes up to BATCH_MAX jobs, waiting for the first; NULL once stopping and empty. */
static struct hd_write_job *take_batch(struct hd_writer *w)
{
    pthread_mutex_lock(&w->lock);
    for (;;) {
        take_due(w, hd_time_now_ms());
        if (w->head || w->stopping)
            break;
        if (w->nheap)
            wait_until(w, w->heap[0].due);
        else
            pthread_cond_wait(&w->wake, &w->lock);
    }
    struct hd_write_job *batch = w->head, *last = batch;
    for (size_t n = 1; last && last->next && n < BATCH_MAX; n++)
        last = last->next;
    if (last) {
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
    }
    pthread_mutex_unlock(&w->lock);
    return batch;
}

static int run_job(struct hd_store *s, const void *arg)
{
    struct hd_write_job *job = (struct hd_write_job *)arg;
    return job->run(s, job);
}

/* Runs every job of the batch in one transaction; each job's verdict is its error. Without
 * savepoints (guarded false) a failing job leaves its changes in the transaction: the batch is
 * then rolled back, and *redo says it must run again, guarded. Returns the commit's error. */
static int run_jobs(struct hd_store *s, struct hd_write_job *batch, bool guarded, bool *redo)
{
    int begin = hd_store_batch_begin(s);
    *redo = false;
    for (struct hd_write_job *j = batch; j && !*redo; j = j->next) {
        j->verdict = begin     ? begin
                     : guarded ? hd_store_in_savepoint(s, run_job, j)
                               : hd_store_in_job(s, run_job, j);
        *redo = !guarded && !begin && j->verdict;
    }
    if (begin)
        return begin;
    int end = hd_store_batch_end(s, !*redo);
    return *redo ? 0 : end;
}

/* Hands each job its verdict, in order. */
static void finish(struct hd_write_job *batch, int commit)
{
    int64_t now = hd_time_mono_us();
    for (struct hd_write_job *j = batch, *next; j; j = next) {
        next = j->next; /* done() may free j */
        j->durable_us = now;
        j->done(j, j->verdict ? j->verdict : commit);
    }
}

static void sync_later(struct syncer *sy, struct hd_write_job *batch)
{
    struct unsynced *u = hd_xmalloc(sizeof(*u));
    u->jobs = batch;
    u->next = NULL;
    pthread_mutex_lock(&sy->lock);
    if (sy->tail)
        sy->tail->next = u;
    else
        sy->head = u;
    sy->tail = u;
    pthread_cond_signal(&sy->wake);
    pthread_mutex_unlock(&sy->lock);
}

/* Most batches have no failing job: they run without a savepoint per job, which halves what
 * SQLite copies. Only a batch where a job fails runs again with one savepoint per job, so that
 * the failing job is undone alone. */
static void run_batch(struct hd_writer *w, struct hd_write_job *batch)
{
    bool redo;
    int64_t started = hd_time_mono_us();
    int commit = run_jobs(w->store, batch, false, &redo);
    if (redo)
        commit = run_jobs(w->store, batch, true, &redo);
    int64_t committed = hd_time_mono_us();
    size_t n = 0;
    for (struct hd_write_job *j = batch; j; j = j->next, n++) {
        j->started_us = started;
        j->committed_us = committed;
    }
    if (commit)
        hd_log(HD_LOG_ERROR, "store: a group commit of %zu writes failed", n);
    else {
        atomic_fetch_add_explicit(&w->commits, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->writes, n, memory_order_relaxed);
    }
    hd_log(HD_LOG_DEBUG, "store: group commit of %zu writes in %lld us", n,
           (long long)(committed - started));
    if (commit || w->sync.fd < 0)
        finish(batch, commit);
    else
        sync_later(&w->sync, batch);
}

/* Takes every committed batch, syncs once, then answers them; NULL once stopping and empty. */
static struct unsynced *take_unsynced(struct syncer *sy)
{
    pthread_mutex_lock(&sy->lock);
    while (!sy->head && !sy->stopping)
        pthread_cond_wait(&sy->wake, &sy->lock);
    struct unsynced *all = sy->head;
    sy->head = sy->tail = NULL;
    pthread_mutex_unlock(&sy->lock);
    return all;
}

static void *syncer_main(void *arg)
{
    struct syncer *sy = arg;
    for (struct unsynced *all; (all = take_unsynced(sy));) {
        int err = 0;
        int64_t started = hd_time_mono_us();
        if (fdatasync(sy->fd) != 0) {
            hd_log(HD_LOG_ERROR, "store: syncing the write-ahead log failed: %s", strerror(errno));
            err = HD_E_STORAGE;
        }
        atomic_fetch_add_explicit(&sy->syncs, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&sy->sync_us, (uint64_t)(hd_time_mono_us() - started),
                                  memory_order_relaxed);
        for (struct unsynced *u = all, *next; u; u = next) {
            next = u->next;
            finish(u->jobs, err);
            free(u);
        }
    }
    return NULL;
}

/* The checkpoint thread follows the writer's log; without it, SQLite's automatic checkpoint
 * stays on the writer's connection. */
static void start_checkpointer(struct hd_writer *w, const char *location)
{
    struct syncer *sy = &w->sync;
    if (hd_store_watch_log(w->store, &sy->progress) != 0)
        return;
    sy->checkpointer = hd_checkpointer_start(location, &sy->progress);
    if (!sy->checkpointer && hd_store_watch_log(w->store, NULL) != 0)
        hd_log(HD_LOG_WARN, "store: the writer's log has no checkpoint but at 3 x its size");
}

/* Starts the sync thread when the store lets commits be synced apart (SQLite), and the
 * background checkpoints with it; else fd stays -1. */
static void start_syncer(struct hd_writer *w, const char *location)
{
    struct syncer *sy = &w->sync;
    pthread_mutex_init(&sy->lock, NULL);
    pthread_cond_init(&sy->wake, NULL);
    if (hd_store_defer_sync(w->store, &sy->fd)) {
        hd_log(HD_LOG_WARN, "store: each commit syncs by itself (the log cannot be synced apart)");
        sy->fd = -1;
    }
    if (sy->fd >= 0 && pthread_create(&sy->thread, NULL, syncer_main, sy) != 0) {
        hd_log(HD_LOG_WARN, "store: no sync thread: each commit syncs by itself");
        close(sy->fd);
        sy->fd = -1;
    } else if (sy->fd >= 0) {
        pthread_setname_np(sy->thread, "wal-sync");
        start_checkpointer(w, location);
    }
}

static void stop_syncer(struct syncer *sy)
{
    hd_checkpointer_stop(sy->checkpointer);
    if (sy->fd >= 0) {
        pthread_mutex_lock(&sy->lock);
        sy->stopping = true;
        pthread_cond_signal(&sy->wake);
        pthread_mutex_unlock(&sy->lock);
        pthread_join(sy->thread, NULL);
        close(sy->fd);
    }
    pthread_mutex_destroy(&sy->lock);
    pthread_cond_destroy(&sy->wake);
}

static void *writer_main(void *arg)
{
    struct hd_writer *w = arg;
    for (struct hd_write_job *batch; (batch = take_batch(w));)
        run_batch(w, batch);
    return NULL;
}

struct hd_writer *hd_writer_start(const char *location, char *errbuf, size_t errlen)
{
    struct hd_writer *w = hd_xcalloc(1, sizeof(*w));
    if (hd_store_open(location, &w->store, errbuf, errlen)) {
        free(w);
        return NULL;
    }
    if (hd_store_trust_references(w->store))
        hd_log(HD_LOG_WARN, "store: the writer checks foreign keys (they could not be turned off)");
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    start_syncer(w, location);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        stop_syncer(&w->sync);
        hd_store_close(w->store);
        free(w);
        return NULL;
    }
    pthread_setname_np(w->thread, "writer");
    return w;
}

void hd_writer_submit(struct hd_writer *w, struct hd_write_job *job)
{
    job->next = NULL;
    job->queued_us = hd_time_mono_us();
    pthread_mutex_lock(&w->lock);
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void hd_writer_submit_at(struct hd_writer *w, int64_t due, struct hd_write_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    bool first = !w->nheap || due < w->heap[0].due;
    heap_push(w, (struct timed){due, job});
    if (first)
        pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void hd_writer_stats(struct hd_writer *w, struct hd_writer_stats *out)
{
    out->commits = atomic_load_explicit(&w->commits, memory_order_relaxed);
    out->writes = atomic_load_explicit(&w->writes, memory_order_relaxed);
    out->syncs = atomic_load_explicit(&w->sync.syncs, memory_order_relaxed);
    out->sync_us = atomic_load_explicit(&w->sync.sync_us, memory_order_relaxed);
}

void hd_writer_stop(struct hd_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    stop_syncer(&w->sync); /* answers every committed batch first */
    /* jobs not yet due are abandoned (the store still knows what is pending) */
    while (w->nheap) {
        struct hd_write_job *j = heap_pop(w);
        j->done(j, HD_E_STOPPING);
    }
    free(w->heap);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    hd_store_close(w->store);
    free(w);
}
