/* sqlite_walbuf_test.c: the VFS that gathers log writes (store/sqlite_walbuf.h). A commit is in
 * the files when it returns, whole: a copy of them taken right then, as a crash would leave
 * them, opens with SQLite's own VFS and holds every row; other connections see each commit at
 * once; the writes are gathered (far fewer reach the file than SQLite asked for); a write that
 * fails fails its commit and loses nothing committed before; a transaction that spills pages to
 * the log before it ends, then rolls back or commits, leaves the right rows; a checkpoint starts
 * the write-back of its copies as it goes. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/sqlite_walbuf.h"

#define ROW_BYTES 500

static char dir[64], path[128];
static sqlite3 *db;

static void run(sqlite3 *c, const char *sql)
{
    char *err = NULL;
    cr_assert_eq(sqlite3_exec(c, sql, NULL, NULL, &err), SQLITE_OK, "%s: %s", sql, err);
}

static long long count_rows(sqlite3 *c)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(c, "SELECT count(*) FROM t", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Commits n rows of ROW_BYTES in one transaction; returns SQLite's answer to COMMIT. */
static int insert_rows(int n)
{
    run(db, "BEGIN");
    for (int i = 0; i < n; i++)
        run(db, "INSERT INTO t (v) VALUES (randomblob(500))");
    int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static void setup(void)
{
    cr_assert_eq(hd_sqlite_walbuf_install(), 0);
    cr_assert_eq(hd_sqlite_walbuf_install(), 0, "a second install changes nothing");
    snprintf(dir, sizeof(dir), "/tmp/hd_walbuf_test.%d", (int)getpid());
    snprintf(path, sizeof(path), "%s/t.db", dir);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s", dir, dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    run(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
            " PRAGMA wal_autocheckpoint = 0;"
            " CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
}

static void teardown(void)
{
    sqlite3_close(db);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    (void)system(cmd);
}

TestSuite(sqlite_walbuf, .init = setup, .fini = teardown);

/* The database and its log as they are now, copied aside (what a crash would leave), opened
 * with SQLite's own VFS: the rows it holds, after an integrity check. */
static long long rows_after_a_crash(void)
{
    char cmd[1024], copy[160];
    snprintf(copy, sizeof(copy), "%s/crash", dir);
    snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir %s && cp %s %s-wal %s/", copy, copy, path, path,
             copy);
    cr_assert_eq(system(cmd), 0);
    snprintf(copy, sizeof(copy), "%s/crash/t.db", dir);
    sqlite3 *c;
    cr_assert_eq(sqlite3_open_v2(copy, &c, SQLITE_OPEN_READWRITE, "unix"), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(c, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    long long n = count_rows(c);
    sqlite3_close(c);
    return n;
}

Test(sqlite_walbuf, a_commit_is_whole_in_the_files_when_it_returns)
{
    struct hd_walbuf_counts before, after;
    hd_sqlite_walbuf_counts(&before);
    cr_assert_eq(insert_rows(400), SQLITE_OK); /* ~50 pages: more than one buffer's worth */
    cr_expect_eq(rows_after_a_crash(), 400);
    cr_assert_eq(insert_rows(3), SQLITE_OK);
    cr_expect_eq(rows_after_a_crash(), 403);
    hd_sqlite_walbuf_counts(&after);
    long long asked = after.asked - before.asked, written = after.written - before.written;
    cr_expect_gt(asked, 100, "SQLite wrote %lld times to its log", asked);
    cr_expect_lt(written * 8, asked, "%lld writes reached the file for %lld asked", written, asked);
    cr_expect_eq(after.at_barrier, 0, "each commit was written before its index header");
}

/* A checkpoint's copies into the database are handed to write-back a megabyte at a time, and
 * the database it leaves is whole. */
Test(sqlite_walbuf, a_checkpoint_starts_writing_back_its_copies_as_it_goes)
{
    struct hd_walbuf_counts before, after;
    cr_assert_eq(insert_rows(6000), SQLITE_OK); /* ~3 MB in the log */
    hd_sqlite_walbuf_counts(&before);
    run(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    hd_sqlite_walbuf_counts(&after);
    long long started = after.writebacks - before.writebacks;
    cr_expect(started >= 2 && started <= 4, "%lld write-backs for ~3 MB", started);
    cr_expect_eq(rows_after_a_crash(), 6000);
}

/* Whether another process sees this one's shared lock on the database (SQLite's lock bytes). */
static bool shared_lock_seen_from_outside(void)
{
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        int fd = open(path, O_RDONLY);
        struct flock l = {
            .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0x40000002, .l_len = 510};
        _exit(fd >= 0 && fcntl(fd, F_GETLK, &l) == 0 && l.l_type == F_RDLCK ? 0 : 1);
    }
    int status = 0;
    cr_assert_eq(waitpid(child, &status, 0), child);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Closing a connection leaves the others' locks in place, though the VFS keeps a descriptor of
 * its own on the file (closing one would drop every lock of the process on it). */
Test(sqlite_walbuf, closing_a_connection_keeps_the_others_locks)
{
    cr_assert_eq(count_rows(db), 0);
    cr_assert(shared_lock_seen_from_outside(), "the open connection's lock");
    for (int i = 0; i < 3; i++) {
        sqlite3 *other;
        cr_assert_eq(sqlite3_open(path, &other), SQLITE_OK);
        cr_assert_eq(count_rows(other), 0);
        sqlite3_close(other);
    }
    cr_assert(shared_lock_seen_from_outside(), "still held after other connections closed");
}

Test(sqlite_walbuf, other_connections_see_each_commit_at_once)
{
    sqlite3 *reader;
    cr_assert_eq(sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, "unix"), SQLITE_OK);
    for (int i = 1; i <= 50; i++) {
        cr_assert_eq(insert_rows(i % 7 ? 1 : 40), SQLITE_OK);
        long long expected = i - i / 7 + (i / 7) * 40;
        cr_assert_eq(count_rows(reader), expected, "after commit %d", i);
    }
    sqlite3_close(reader);
}

Test(sqlite_walbuf, a_write_that_fails_fails_its_commit_and_loses_nothing)
{
    cr_assert_eq(insert_rows(20), SQLITE_OK);
    char wal[160];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    FILE *f = fopen(wal, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    signal(SIGXFSZ, SIG_IGN); /* writes past the limit then fail with EFBIG */
    struct rlimit old, low = {.rlim_cur = (rlim_t)size + 8192, .rlim_max = RLIM_INFINITY};
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &low), 0);
    int rc = insert_rows(200);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    cr_expect_neq(rc, SQLITE_OK, "a commit whose log could not be written must fail");
    cr_expect_eq(count_rows(db), 20);
    cr_expect_eq(rows_after_a_crash(), 20);
    cr_assert_eq(insert_rows(5), SQLITE_OK, "the next commit works");
    cr_expect_eq(count_rows(db), 25);
    cr_expect_eq(rows_after_a_crash(), 25);
}

Test(sqlite_walbuf, a_transaction_that_spills_to_the_log_rolls_back_or_commits_whole)
{
    run(db, "PRAGMA cache_size = 10"); /* pages go to the log before the transaction ends */
    cr_assert_eq(insert_rows(10), SQLITE_OK);
    run(db, "BEGIN");
    for (int i = 0; i < 500; i++)
        run(db, "INSERT INTO t (v) VALUES (randomblob(500))");
    run(db, "ROLLBACK");
    cr_expect_eq(count_rows(db), 10);
    cr_expect_eq(rows_after_a_crash(), 10);
    run(db, "BEGIN");
    for (int i = 0; i < 500; i++)
        run(db, "INSERT INTO t (v) VALUES (randomblob(500))");
    sqlite3_stmt *st; /* read back inside the transaction: pages from the log, not the cache */
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT sum(length(v)) FROM t", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_eq(sqlite3_column_int64(st, 0), 510 * 500);
    sqlite3_finalize(st);
    run(db, "UPDATE t SET v = zeroblob(10) WHERE id <= 10"); /* pages written twice */
    run(db, "COMMIT");
    cr_expect_eq(count_rows(db), 510);
    cr_expect_eq(rows_after_a_crash(), 510);
}
