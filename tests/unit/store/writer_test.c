/* writer_test.c: the group commit (store/writer.h) on each backend: jobs submitted together share
 * one transaction; a batch runs without a savepoint per job, and when one of its jobs fails it
 * is rolled back and run again with one, so that only the failing job is undone; each job's
 * done() is called once, after the commit, with its own verdict. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "core/ids.h"
#include "store/writer.h"
#include "../../support/store_fixture.h"

struct account_job {
    struct hd_write_job write;
    struct hd_account account;
    int fail_with;          /* returned after the insert, so the insert must be undone */
    sem_t *hold;            /* when set, run() waits on it: what is submitted meanwhile */
    atomic_int runs, dones; /* forms the next batch */
    int verdict;
    sem_t *finished;
};

static int account_run(struct hd_store *s, struct hd_write_job *w)
{
    struct account_job *j = (struct account_job *)w;
    atomic_fetch_add(&j->runs, 1);
    if (j->hold)
        sem_wait(j->hold);
    j->hold = NULL;
    int err = hd_store_account_insert(s, &j->account);
    return err ? err : j->fail_with;
}

static void account_done(struct hd_write_job *w, int err)
{
    struct account_job *j = (struct account_job *)w;
    atomic_fetch_add(&j->dones, 1);
    j->verdict = err;
    sem_post(j->finished);
}

static void job_init(struct account_job *j, const char *name, int fail_with, sem_t *finished)
{
    *j = (struct account_job){.write = {.run = account_run, .done = account_done},
                              .account = {.name = name, .created_at = NOW},
                              .fail_with = fail_with,
                              .finished = finished};
    hd_id_uuid4(j->account.id);
}

static bool account_kept(const char *id)
{
    struct hd_account got;
    return hd_store_account_get(store, id, ar, &got) == 0;
}

static void setup(void)
{
    store_fixture_open("hd_writer_test");
}

static void teardown(void)
{
    store_fixture_close();
}

TestSuite(writer, .init = setup, .fini = teardown);

/* Submits first (which holds the writer), then the others while it waits: they form one batch. */
static void run_as_one_batch(struct account_job *first, struct account_job *batch, size_t n,
                             sem_t *finished)
{
    char err[256] = "";
    struct hd_writer *w = hd_writer_start(location, err, sizeof(err));
    cr_assert(w, "writer: %s", err);
    sem_t hold;
    sem_init(&hold, 0, 0);
    first->hold = &hold;
    hd_writer_submit(w, &first->write);
    while (atomic_load(&first->runs) == 0)
        usleep(1000);
    for (size_t i = 0; i < n; i++)
        hd_writer_submit(w, &batch[i].write);
    sem_post(&hold);
    for (size_t i = 0; i <= n; i++)
        sem_wait(finished);
    hd_writer_stop(w);
    sem_destroy(&hold);
}

Test(writer, a_batch_without_failures_runs_each_job_once)
{
    sem_t finished;
    sem_init(&finished, 0, 0);
    struct account_job first, batch[3];
    job_init(&first, "first", 0, &finished);
    for (int i = 0; i < 3; i++)
        job_init(&batch[i], "ok", 0, &finished);
    run_as_one_batch(&first, batch, 3, &finished);
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(atomic_load(&batch[i].runs), 1);
        cr_expect_eq(atomic_load(&batch[i].dones), 1);
        cr_expect_eq(batch[i].verdict, 0);
        cr_expect(account_kept(batch[i].account.id));
    }
    cr_expect(account_kept(first.account.id));
}

Test(writer, a_failing_job_is_undone_alone_and_the_others_are_kept)
{
    sem_t finished;
    sem_init(&finished, 0, 0);
    struct account_job first, batch[3];
    job_init(&first, "first", 0, &finished);
    job_init(&batch[0], "before", 0, &finished);
    job_init(&batch[1], "failing", HD_E_CONFLICT, &finished);
    job_init(&batch[2], "after", 0, &finished);
    run_as_one_batch(&first, batch, 3, &finished);
    cr_expect_eq(batch[0].verdict, 0);
    cr_expect_eq(batch[1].verdict, HD_E_CONFLICT);
    cr_expect_eq(batch[2].verdict, 0);
    cr_expect(account_kept(batch[0].account.id));
    cr_expect_not(account_kept(batch[1].account.id), "the failing job's insert was undone");
    cr_expect(account_kept(batch[2].account.id));
    /* the batch ran again, guarded: the jobs before the failure ran twice, done() once each */
    cr_expect_eq(atomic_load(&batch[0].runs), 2);
    cr_expect_eq(atomic_load(&batch[1].runs), 2);
    cr_expect_eq(atomic_load(&batch[2].runs), 1);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(atomic_load(&batch[i].dones), 1);
}

/* What /metrics shows of the writer: each job's times in order, and the commits and syncs. */
Test(writer, it_counts_its_commits_and_times_each_job)
{
    char err[256] = "";
    struct hd_writer *w = hd_writer_start(location, err, sizeof(err));
    cr_assert(w, "writer: %s", err);
    sem_t finished, hold;
    sem_init(&finished, 0, 0);
    sem_init(&hold, 0, 0);
    struct account_job first, batch[3];
    job_init(&first, "first", 0, &finished);
    for (int i = 0; i < 3; i++)
        job_init(&batch[i], "ok", 0, &finished);
    first.hold = &hold;
    hd_writer_submit(w, &first.write);
    while (atomic_load(&first.runs) == 0)
        usleep(1000);
    for (int i = 0; i < 3; i++)
        hd_writer_submit(w, &batch[i].write);
    usleep(2000); /* the batch waits in the queue meanwhile */
    sem_post(&hold);
    for (int i = 0; i < 4; i++)
        sem_wait(&finished);
    struct hd_writer_stats st;
    hd_writer_stats(w, &st);
    hd_writer_stop(w);
    cr_expect_eq(st.commits, 2, "the first job, then the three queued behind it");
    cr_expect_eq(st.writes, 4);
    if (fixture_on_pg())
        cr_expect_eq(st.syncs, 0, "PostgreSQL commits are durable by themselves");
    else
        cr_expect(st.syncs >= 1 && st.syncs <= 2 && st.sync_us > 0, "%llu syncs in %llu us",
                  (unsigned long long)st.syncs, (unsigned long long)st.sync_us);
    const struct hd_write_job *f = &first.write;
    cr_expect(f->queued_us > 0 && f->queued_us <= f->started_us);
    cr_expect(f->started_us < f->committed_us, "the held job took time to commit");
    cr_expect(f->committed_us <= f->durable_us);
    for (int i = 0; i < 3; i++) {
        const struct hd_write_job *j = &batch[i].write;
        cr_expect(j->queued_us < j->started_us, "queued behind the held job");
        cr_expect(j->started_us >= f->committed_us, "its batch began after the first commit");
        cr_expect(j->started_us - j->queued_us >= 2000, "it waited at least the 2 ms held");
        cr_expect(j->started_us <= j->committed_us && j->committed_us <= j->durable_us);
    }
    sem_destroy(&hold);
}

/* A store call that fails undoes its job even when the job ignores the error. */
static int insert_twice_ignoring(struct hd_store *s, struct hd_write_job *w)
{
    struct account_job *j = (struct account_job *)w;
    atomic_fetch_add(&j->runs, 1);
    int first = hd_store_account_insert(s, &j->account);
    (void)!hd_store_account_insert(s, &j->account); /* a duplicate: fails */
    return first;
}

Test(writer, a_failing_call_undoes_its_job_even_if_ignored)
{
    sem_t finished;
    sem_init(&finished, 0, 0);
    struct account_job first, batch[2];
    job_init(&first, "first", 0, &finished);
    job_init(&batch[0], "twice", 0, &finished);
    batch[0].write.run = insert_twice_ignoring;
    job_init(&batch[1], "ok", 0, &finished);
    run_as_one_batch(&first, batch, 2, &finished);
    cr_expect_eq(batch[0].verdict, HD_E_CONFLICT);
    cr_expect_not(account_kept(batch[0].account.id));
    cr_expect_eq(batch[1].verdict, 0);
    cr_expect(account_kept(batch[1].account.id));
}
