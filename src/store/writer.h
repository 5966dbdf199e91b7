/* writer.h: group commit. One thread owns a store connection and runs the write jobs that event
 * loops hand it, many per transaction: while one batch is being committed, the next fills up.
 * On SQLite the disk sync is pipelined: a second thread syncs the WAL while the writer already
 * runs the next batch, and one sync makes every batch committed before it durable, while a third
 * copies the log into the database (store/checkpointer.h). A job's done() is called only after
 * its batch is durably committed (or failed), so an answer built there never acknowledges what a
 * crash could lose; it runs on the writer or the sync thread. */
#ifndef HD_STORE_WRITER_H
#define HD_STORE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct hd_write_job {
    /* On the writer thread, inside the batch: 0, or an error (then all of this job's changes,
     * and only they, are undone). It may run twice: when a job of its batch fails, the batch
     * is rolled back and run again, each job in a savepoint of its own. So run() changes
     * nothing but the store and fields of its job that each run sets afresh; whatever else
     * it causes (scheduling, publishing) waits for done(). */
    int (*run)(struct hd_store *s, struct hd_write_job *job);
    /* After the batch is durable (on the writer or the sync thread, in commit order): err is
     * run's error, or the commit's (or the sync's). The job may be freed here or later; the
     * writer no longer touches it. */
    void (*done)(struct hd_write_job *job, int err);
    struct hd_write_job *next;
    int verdict; /* the writer's own: run's error, kept until done() */
    /* Set by the writer, readable in done() (monotonic microseconds, hd_time_mono_us): when
     * the job was queued (or became due), when its batch began to run, when that batch was
     * committed, and when the commit was on disk. */
    int64_t queued_us, started_us, committed_us, durable_us;
};

struct hd_writer;

/* What the writer has done since it started, for /metrics. */
struct hd_writer_stats {
    uint64_t commits; /* group commits that succeeded */
    uint64_t writes;  /* jobs those commits held */
    uint64_t syncs;   /* disk syncs of the log by the sync thread (0 without one) */
    uint64_t sync_us; /* time spent in them */
};

/* Opens its own connection to location and starts the thread. Returns NULL with a sentence in
 * errbuf when the store cannot be opened. Release with hd_writer_stop(). */
struct hd_writer *hd_writer_start(const char *location, char *errbuf, size_t errlen);
/* Thread-safe; the job must stay valid until done() is called. */
void hd_writer_submit(struct hd_writer *w, struct hd_write_job *job);
/* Thread-safe: runs job in the first batch at or after due (wall-clock ms). */
void hd_writer_submit_at(struct hd_writer *w, int64_t due, struct hd_write_job *job);
/* Thread-safe. */
void hd_writer_stats(struct hd_writer *w, struct hd_writer_stats *out);
/* Runs what was submitted, then ends the thread and closes its connection; jobs not yet due
 * get done(job, HD_E_STOPPING) without running. */
void hd_writer_stop(struct hd_writer *w);

#endif
