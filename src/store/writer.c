/* writer.c: a queue under a mutex, drained whole by the writer thread into one transaction. */
#include "store/writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#define BATCH_MAX 4096 /* bounds one transaction; the rest waits for the next */

struct hd_writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct hd_write_job *head, *tail; /* under lock */
    bool stopping;                    /* under lock */
    struct hd_store *store;           /* the writer thread's alone */
};

/* Takes up to BATCH_MAX jobs, waiting for the first; NULL once stopping and empty. */
static struct hd_write_job *take_batch(struct hd_writer *w)
{
    pthread_mutex_lock(&w->lock);
    while (!w->head && !w->stopping)
        pthread_cond_wait(&w->wake, &w->lock);
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

static void run_batch(struct hd_writer *w, struct hd_write_job *batch)
{
    int errs[BATCH_MAX];
    size_t n = 0;
    int64_t started = hd_time_mono_ms();
    int begin = hd_store_batch_begin(w->store);
    for (struct hd_write_job *j = batch; j; j = j->next)
        errs[n++] = begin ? begin : hd_store_in_savepoint(w->store, run_job, j);
    int commit = begin ? begin : hd_store_batch_end(w->store, true);
    if (commit && !begin)
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

void hd_writer_stop(struct hd_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    hd_store_close(w->store);
    free(w);
}
