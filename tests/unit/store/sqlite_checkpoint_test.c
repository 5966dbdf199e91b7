/* sqlite_checkpoint_test.c: on SQLite the writer's commits reach the database file itself
 * (not only its write-ahead log) within milliseconds, by the background checkpoints of
 * store/checkpointer.h, long before the log is big enough for the writer's own checkpoint. */
#include <criterion/criterion.h>
#include <semaphore.h>
#include <stdio.h>

#include "core/ids.h"
#include "store/writer.h"
#include "../../support/store_fixture.h"

struct account_job {
    struct hd_write_job write;
    struct hd_account account;
    sem_t done;
    int verdict;
};

static int account_run(struct hd_store *s, struct hd_write_job *w)
{
    return hd_store_account_insert(s, &((struct account_job *)w)->account);
}

static void account_done(struct hd_write_job *w, int err)
{
    struct account_job *j = (struct account_job *)w;
    j->verdict = err;
    sem_post(&j->done);
}

static void setup(void)
{
    store_fixture_open("hd_checkpoint_test");
}

static void teardown(void)
{
    store_fixture_close();
}

TestSuite(sqlite_checkpoint, .init = setup, .fini = teardown);

/* Reads the database file alone, as a copy without its log: is the account in it? */
static bool in_database_file(const char *account_id)
{
    char src[128], copy[128], journal[140];
    snprintf(src, sizeof(src), "%s/herald.db", dir);
    snprintf(copy, sizeof(copy), "%s/copy.db", dir);
    snprintf(journal, sizeof(journal), "%s-wal", copy);
    unlink(journal);
    FILE *in = fopen(src, "rb"), *out = fopen(copy, "wb");
    cr_assert(in && out);
    char buf[65536];
    for (size_t n; (n = fread(buf, 1, sizeof(buf), in)) > 0;)
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    cr_assert_eq(fclose(out), 0);
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_open_v2(copy, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT 1 FROM accounts WHERE id = ?1", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_bind_text(st, 1, account_id, -1, SQLITE_STATIC) == SQLITE_OK)
        found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return found;
}

Test(sqlite_checkpoint, a_commit_reaches_the_database_file_without_waiting_for_the_log_to_fill)
{
    char err[256] = "";
    struct hd_writer *w = hd_writer_start(location, err, sizeof(err));
    cr_assert(w, "writer: %s", err);
    struct account_job j = {.write = {.run = account_run, .done = account_done},
                            .account = {.name = "checkpointed", .created_at = NOW}};
    hd_id_uuid4(j.account.id);
    sem_init(&j.done, 0, 0);
    hd_writer_submit(w, &j.write);
    sem_wait(&j.done);
    cr_assert_eq(j.verdict, 0);
    bool found = false;
    for (int i = 0; i < 200 && !(found = in_database_file(j.account.id)); i++)
        usleep(10000);
    cr_expect(found, "the account is still only in the log after 2 s");
    hd_writer_stop(w);
}
