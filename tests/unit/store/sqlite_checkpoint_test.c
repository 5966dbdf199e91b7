/* sqlite_checkpoint_test.c: the writer's log on SQLite. Its connection reports the log's size
 * (hd_store_watch_log) and copies the log itself only once the log is past HD_LOG_PAGES with
 * little left to copy, after which the log starts over; the checkpoint thread copies the rest
 * in the background, so that a commit reaches the database file long before that. */
#include <criterion/criterion.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/stat.h>

#include "core/ids.h"
#include "store/writer.h"
#include "../../support/store_fixture.h"

#define NAME_BYTES 12000 /* an account of three or four pages: the log fills fast */

static char big_name[NAME_BYTES + 1];

static void setup(void)
{
    store_fixture_open("hd_checkpoint_test");
    memset(big_name, 'n', NAME_BYTES);
}

static void teardown(void)
{
    store_fixture_close();
}

TestSuite(sqlite_checkpoint, .init = setup, .fini = teardown);

static void insert_account(struct hd_store *s, char id[HD_UUID_BUF])
{
    struct hd_account a = {.name = big_name, .created_at = NOW};
    hd_id_uuid4(a.id);
    cr_assert_eq(hd_store_account_insert(s, &a), 0);
    if (id)
        memcpy(id, a.id, HD_UUID_BUF);
}

Test(sqlite_checkpoint, the_writer_copies_the_log_itself_only_when_little_is_left)
{
    struct hd_log_progress p = {0};
    cr_assert_eq(hd_store_watch_log(store, &p), 0);
    /* each account takes a few pages: the log passes HD_LOG_PAGES within that many inserts */
    for (int i = 0; i < HD_LOG_PAGES && atomic_load(&p.pages) < HD_LOG_PAGES + 100; i++)
        insert_account(store, NULL);
    cr_assert_geq(atomic_load(&p.pages), HD_LOG_PAGES + 100,
                  "nothing copied yet: the log goes on growing past its size (%lld pages)",
                  (long long)atomic_load(&p.pages));
    atomic_store(&p.copied, atomic_load(&p.pages)); /* as if the thread had copied it all */
    insert_account(store, NULL);                    /* this commit's checkpoint copies the rest */
    insert_account(store, NULL);                    /* and this one starts the log over */
    cr_expect_lt(atomic_load(&p.pages), 100, "the log started over: %lld pages",
                 (long long)atomic_load(&p.pages));
    cr_expect_lt(atomic_load(&p.copied), 100, "and nothing of the new log is copied yet");
}

struct account_job {
    struct hd_write_job write;
    struct hd_account account;
    sem_t *done;
};

static int account_run(struct hd_store *s, struct hd_write_job *w)
{
    return hd_store_account_insert(s, &((struct account_job *)w)->account);
}

static void account_done(struct hd_write_job *w, int err)
{
    cr_assert_eq(err, 0);
    sem_post(((struct account_job *)w)->done);
}

static long long log_file_pages(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/herald.db-wal", dir);
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 32 ? (st.st_size - 32) / (4096 + 24) : 0;
}

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

Test(sqlite_checkpoint, the_checkpoint_thread_copies_the_log_before_the_writer_would)
{
    char err[256] = "";
    struct hd_writer *w = hd_writer_start(location, err, sizeof(err));
    cr_assert(w, "writer: %s", err);
    sem_t done;
    sem_init(&done, 0, 0);
    enum { BATCH = 100 };
    static struct account_job jobs[BATCH];
    char first[HD_UUID_BUF] = "";
    while (log_file_pages() < HD_LOG_PAGES * 5 / 8) { /* past what the thread waits for */
        for (int i = 0; i < BATCH; i++) {
            jobs[i] = (struct account_job){.write = {.run = account_run, .done = account_done},
                                           .account = {.name = big_name, .created_at = NOW},
                                           .done = &done};
            hd_id_uuid4(jobs[i].account.id);
            if (!first[0])
                memcpy(first, jobs[i].account.id, sizeof(first));
            hd_writer_submit(w, &jobs[i].write);
        }
        for (int i = 0; i < BATCH; i++)
            sem_wait(&done);
    }
    bool found = false;
    for (int i = 0; i < 200 && !(found = in_database_file(first)); i++)
        usleep(10000);
    cr_expect(found, "the first account is still only in the log after 2 s (the log holds "
                     "fewer than HD_LOG_PAGES pages: the writer has not copied it yet)");
    hd_writer_stop(w);
}
