/* writer.c: a queue under a mutex, drained whole by the writer thread into one transaction, and
 * a min-heap of jobs due at a time (the scheduler's starts and ends), which join the batch that
 * follows their time. */
#include "store/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#define BATCH_MAX 4096 /* bounds one transaction; the rest waits for the next */

struct timed {
    int64_t due; /* wall-clock ms */
    struct hd_write_job *job;
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

/* Runs every job of the batch in one transaction; errs[i] gets job i's error. Without
 * savepoints (guarded false) a failing job leaves its changes in the transaction: the batch is
 * then rolled back, and *redo says it must run again, guarded. Returns the commit's error. */
static int run_jobs(struct hd_store *s, struct hd_write_job *batch, int *errs, bool guarded,
                    bool *redo)
{
    size_t n = 0;
    int begin = hd_store_batch_begin(s);
    *redo = false;
    for (struct hd_write_job *j = batch; j && !*redo; j = j->next) {
        errs[n] = begin     ? begin
                  : guarded ? hd_store_in_savepoint(s, run_job, j)
                            : hd_store_in_job(s, run_job, j);
        *redo = !guarded && !begin && errs[n];
        n++;
    }
    if (begin)
        return begin;
    int end = hd_store_batch_end(s, !*redo);
    return *redo ? 0 : end;
}

/* Most batches have no failing job: they run without a savepoint per job, which halves what
 * SQLite copies. Only a batch where a job fails runs again with one savepoint per job, so that
 * the failing job is undone alone. */
static void run_batch(struct hd_writer *w, struct hd_write_job *batch)
{
    int errs[BATCH_MAX];
    bool redo;
    int64_t started = hd_time_mono_ms();
    int commit = run_jobs(w->store, batch, errs, false, &redo);
    if (redo)
        commit = run_jobs(w->store, batch, errs, true, &redo);
    size_t n = 0;
    for (struct hd_write_job *j = batch; j; j = j->next)
        n++;
    if (commit)
        hd_log(HD_LOG_ERROR, "store: a group commit of %zu writes failed", n);
    hd_log(HD_LOG_DEBUG, "store: group commit of %zu writes in %lld ms", n,
           (long long)(hd_time_mono_ms() - started));
    n = 0;
    for (struct hd_write_job *j = batch, *next; j; j = next) {
        next = j->next; /* done() may free j */
        int err = errs[n++];
        j->done(j, err ? err : commit);
    }
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
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        hd_store_close(w->store);
        free(w);
        return NULL;
    }
    return w;
}

void hd_writer_submit(struct hd_writer *w, struct hd_write_job *job)
{
    job->next = NULL;
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

void hd_writer_stop(struct hd_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
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
