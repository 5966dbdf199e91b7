/* sqlite_by_user_test.c: the index of direct targets by user in herald-by-user.db
 * (sqlite_by_user.c). A trigger logs its targets in herald.db; a move takes them into the index;
 * the writer's next batch drops them from the log. Whatever the stage, the user's feed shows the
 * notification exactly once; an erased user leaves the index; a missing or stale index is built
 * again on open; and the writer never waits for the index's lock. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "core/ids.h"
#include "core/time.h"
#include "store/sqlite_db.h"
#include "store/store_impl.h"
#include "../../support/store_seed.h"

static void setup(void)
{
    store_fixture_open("hd_by_user_test");
    seed();
}

static void teardown(void)
{
    store_fixture_close();
}

TestSuite(sqlite_by_user, .init = setup, .fini = teardown);

static struct hd_notification notif(int64_t created)
{
    return seed_notification(created, NOW - DAY, NOW + DAY);
}

static void send_to(struct hd_store *s, int64_t created, const char *user, char *id_out)
{
    struct hd_notification n = notif(created);
    const char *users[] = {user};
    cr_assert_eq(hd_store_notification_insert(s, &n, users, 1, NULL, 0), 0);
    if (id_out)
        strcpy(id_out, n.id);
}

static size_t unread_of(struct hd_store *s, const char *user)
{
    struct hd_feed_query q = {
        .system_id = sys.id, .end_user_id = user, .now = NOW, .history_ms = DAY, .limit = 50};
    size_t count = 99;
    cr_assert_eq(hd_store_feed_unread_count(s, &q, &count), 0);
    return count;
}

static size_t feed_of(const char *user, struct hd_feed_item *out)
{
    struct hd_feed_query q = {
        .system_id = sys.id, .end_user_id = user, .now = NOW, .history_ms = DAY, .limit = 50};
    size_t count = 99;
    cr_assert_eq(hd_store_feed(store, &q, ar, out, &count), 0);
    return count;
}

static size_t move_all(struct hd_store *s)
{
    size_t moved = 99;
    cr_assert_eq(hd_store_targets_move(s, 1000, &moved), 0);
    return moved;
}

/* A writer's batch with nothing in it: it drops what the index has from the log. */
static void writer_batch(void)
{
    cr_assert_eq(hd_store_batch_begin(store), 0);
    cr_assert_eq(hd_store_batch_end(store, true), 0);
}

/* sql on the index file itself, on a connection of its own: the first column as an integer. */
static int64_t index_raw(const char *sql)
{
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *st;
    snprintf(path, sizeof(path), "%s/herald-by-user.db", dir);
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    cr_assert(rc == SQLITE_ROW || rc == SQLITE_DONE, "%s", sqlite3_errmsg(db));
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int64_t indexed(const char *user)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM targets WHERE user_key = %lld",
             (long long)hd_sq_user_key(sys.id, user));
    return index_raw(sql);
}

static void reopen(void)
{
    hd_store_close(store);
    char err[256] = "";
    cr_assert_eq(hd_store_open(location, &store, err, sizeof(err)), 0, "reopen: %s", err);
}

Test(sqlite_by_user, a_target_is_in_the_feed_before_during_and_after_its_move)
{
    struct hd_feed_item items[4];
    char id[HD_UUID_BUF];
    send_to(store, NOW - 3, "ada", id);
    cr_assert_eq(feed_of("ada", items), 1, "from the log, before any move");
    cr_assert_str_eq(items[0].n.id, id);
    cr_assert_eq(feed_of("bob", items), 0);
    cr_assert_eq(raw("SELECT count(*) FROM target_log"), 1);

    cr_assert_eq(move_all(store), 1);
    cr_assert_eq(indexed("ada"), 1);
    cr_assert_eq(feed_of("ada", items), 1, "in the index and still in the log: listed once");
    cr_assert_eq(raw("SELECT count(*) FROM target_log"), 1, "only the writer drops it");

    writer_batch();
    cr_assert_eq(raw("SELECT count(*) FROM target_log"), 0);
    cr_assert_eq(feed_of("ada", items), 1, "from the index alone");
    cr_assert_str_eq(items[0].n.id, id);
    cr_assert_eq(unread_of(store, "ada"), 1);
    cr_assert_eq(feed_of("bob", items), 0);
    cr_assert_eq(move_all(store), 0, "nothing left to move");
}

/* The writer drops what moves of this process took at its next batch, and what another
 * process moved (here, by hand in the index file) within a second, not at every batch. */
Test(sqlite_by_user, the_writer_drops_what_another_process_moved_within_a_second)
{
    struct hd_feed_item items[4];
    char id[HD_UUID_BUF];
    writer_batch();
    send_to(store, NOW - 3, "ada", id);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "INSERT INTO targets (user_key, notification_id) VALUES (%lld, '%s')",
             (long long)hd_sq_user_key(sys.id, "ada"), id);
    index_raw(sql);
    snprintf(sql, sizeof(sql), "UPDATE progress SET moved = %lld",
             (long long)raw("SELECT max(seq) FROM target_log"));
    index_raw(sql);
    writer_batch();
    cr_assert_eq(raw("SELECT count(*) FROM target_log"), 1, "no move of its own since");
    cr_assert_eq(feed_of("ada", items), 1);
    usleep(1100 * 1000);
    writer_batch();
    cr_assert_eq(raw("SELECT count(*) FROM target_log"), 0, "dropped after a second");
    cr_assert_eq(feed_of("ada", items), 1, "from the index alone");
    cr_assert_str_eq(items[0].n.id, id);
}

Test(sqlite_by_user, an_erased_user_leaves_the_index_and_a_new_one_of_that_id_starts_afresh)
{
    struct hd_feed_item items[4];
    send_to(store, NOW - 5, "ada", NULL);
    cr_assert_eq(move_all(store), 1);
    writer_batch();
    send_to(store, NOW - 4, "bob", NULL); /* bob's stays in the log */

    cr_assert_eq(hd_store_end_user_delete(store, sys.id, "ada"), 0);
    cr_assert_eq(hd_store_end_user_delete(store, sys.id, "bob"), 0);
    cr_assert_eq(indexed("ada"), 1, "the index has not heard of it yet");
    cr_assert_eq(feed_of("ada", items), 0, "yet the feed is empty at once");
    cr_assert_eq(feed_of("bob", items), 0);

    char id[HD_UUID_BUF];
    send_to(store, NOW - 3, "ada", id); /* after the erasure: a new ada */
    cr_assert_eq(move_all(store), 3, "two erasures and one target");
    cr_assert_eq(indexed("ada"), 1, "the old row went, the new one came");
    cr_assert_eq(indexed("bob"), 0);
    cr_assert_eq(feed_of("ada", items), 1);
    cr_assert_str_eq(items[0].n.id, id);
    cr_assert_eq(hd_store_end_user_delete(store, sys.id, "bob"), HD_E_NOT_FOUND);
}

/* ada's and bob's notifications, moved into the index and dropped from the log. */
static void index_ada_and_bob(void)
{
    send_to(store, NOW - 5, "ada", NULL);
    send_to(store, NOW - 4, "bob", NULL);
    cr_assert_eq(move_all(store), 2);
    writer_batch();
}

static void close_store(void)
{
    hd_store_close(store);
    store = NULL;
}

static void remove_index_files(void)
{
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char path[160];
        snprintf(path, sizeof(path), "%s/herald-by-user.db%s", dir, suffixes[i]);
        unlink(path);
    }
}

Test(sqlite_by_user, a_missing_index_is_built_again_on_open)
{
    struct hd_feed_item items[4];
    index_ada_and_bob();
    send_to(store, NOW - 3, "ada", NULL); /* still in the log */
    close_store();
    remove_index_files();
    reopen();
    cr_assert_eq(index_raw("SELECT count(*) FROM targets"), 3);
    cr_assert_eq(feed_of("ada", items), 2);
    cr_assert_eq(feed_of("bob", items), 1);
}

Test(sqlite_by_user, an_index_file_that_cannot_be_read_is_built_again)
{
    struct hd_feed_item items[4];
    send_to(store, NOW - 5, "ada", NULL);
    cr_assert_eq(move_all(store), 1);
    writer_batch();
    hd_store_close(store);
    store = NULL;
    char path[160];
    snprintf(path, sizeof(path), "%s/herald-by-user.db", dir);
    FILE *f = fopen(path, "r+");
    cr_assert(f);
    fputs("this is not a database, whatever it was", f); /* over SQLite's header */
    fclose(f);
    reopen();
    cr_assert_eq(feed_of("ada", items), 1, "built again from notification_users");
    cr_assert_eq(index_raw("SELECT count(*) FROM targets"), 1);
}

Test(sqlite_by_user, an_index_ahead_of_the_database_or_of_another_one_is_built_again)
{
    struct hd_feed_item items[4];
    send_to(store, NOW - 5, "ada", NULL);
    cr_assert_eq(move_all(store), 1);
    /* as if herald.db had been restored from an older copy: the index is ahead of its log */
    index_raw("UPDATE progress SET moved = moved + 1000");
    reopen();
    send_to(store, NOW - 4, "ada", NULL);
    cr_assert_eq(feed_of("ada", items), 2, "a stale mark would hide the new one");

    /* an index built from another database */
    index_raw("DELETE FROM targets");
    index_raw("UPDATE progress SET instance = 'another'");
    reopen();
    cr_assert_eq(index_raw("SELECT count(*) FROM targets"), 2);
    cr_assert_eq(move_all(store), 0, "the build covered the whole log");
    writer_batch();
    cr_assert_eq(raw("SELECT count(*) FROM target_log"), 0);
    cr_assert_eq(feed_of("ada", items), 2);
}

Test(sqlite_by_user, the_writer_never_waits_for_the_index_lock)
{
    char path[128];
    sqlite3 *db;
    snprintf(path, sizeof(path), "%s/herald-by-user.db", dir);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    int64_t before = hd_time_now_ms();
    send_to(store, NOW - 5, "ada", NULL);
    writer_batch();
    cr_assert_eq(unread_of(store, "ada"), 1);
    cr_assert_lt(hd_time_now_ms() - before, 2000, "the 5 s busy timeout was not waited for");
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
}

/* Triggers, moves and the writer's drops run at once; a reader's count never goes back and
 * never misses what was committed before it began. */
#define RACE_SENDS 400

static atomic_int sent, done_sending;

static void *sender(void *arg)
{
    (void)arg;
    struct hd_store *s;
    char err[256];
    cr_assert_eq(hd_store_open(location, &s, err, sizeof(err)), 0, "%s", err);
    for (int i = 0; i < RACE_SENDS; i++) {
        cr_assert_eq(hd_store_batch_begin(s), 0);
        struct hd_notification n = notif(NOW - 10000 + i);
        const char *users[] = {"ada"};
        cr_assert_eq(hd_store_notification_insert(s, &n, users, 1, NULL, 0), 0);
        cr_assert_eq(hd_store_batch_end(s, true), 0);
        atomic_fetch_add(&sent, 1);
    }
    atomic_store(&done_sending, 1);
    hd_store_close(s);
    return NULL;
}

static void *mover(void *arg)
{
    (void)arg;
    struct hd_store *s;
    char err[256];
    cr_assert_eq(hd_store_open(location, &s, err, sizeof(err)), 0, "%s", err);
    while (!atomic_load(&done_sending))
        move_all(s);
    move_all(s);
    hd_store_close(s);
    return NULL;
}

Test(sqlite_by_user, readers_miss_nothing_while_targets_move)
{
    pthread_t a, b;
    pthread_create(&a, NULL, sender, NULL);
    pthread_create(&b, NULL, mover, NULL);
    size_t last = 0;
    while (!atomic_load(&done_sending)) {
        size_t committed = (size_t)atomic_load(&sent);
        size_t seen = unread_of(store, "ada");
        cr_assert_geq(seen, committed, "%zu committed before the read, %zu seen", committed, seen);
        cr_assert_geq(seen, last, "the count went back from %zu to %zu", last, seen);
        cr_assert_leq(seen, RACE_SENDS);
        last = seen;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    writer_batch();
    cr_assert_eq(unread_of(store, "ada"), RACE_SENDS);
    cr_assert_eq(index_raw("SELECT count(*) FROM targets"), RACE_SENDS);
    cr_assert_lt(raw("SELECT count(*) FROM target_log"), RACE_SENDS, "the writer dropped some");
}

Test(sqlite_by_user, the_key_of_a_system_and_user_is_fixed_and_positive)
{
    /* FNV-1a of "s\0u\0", halved; kept in the file: a change of the function is a change of
     * format */
    cr_expect_eq(hd_sq_user_key("s", "u"), 0x75efe90c0ef027d5LL);
    cr_expect_neq(hd_sq_user_key("ab", "c"), hd_sq_user_key("a", "bc"), "parts stay apart");
    cr_expect_neq(hd_sq_user_key(sys.id, "ada"), hd_sq_user_key(sys.id, "bob"));
    for (int i = 0; i < 1000; i++) {
        char user[32];
        snprintf(user, sizeof(user), "user-%d@example.com", i);
        cr_assert_geq(hd_sq_user_key(sys.id, user), 0);
    }
    cr_expect_eq(raw("SELECT count(*) FROM notification_users"), 0);
    send_to(store, NOW - 5, "ada", NULL);
    cr_assert_eq(move_all(store), 1);
    cr_expect_eq(indexed("ada"), 1, "SQL's hd_user_key is the C one");
}

/* Every (system, user) gets the same key on the store's connection: as if all collided. */
static void same_key_for_all(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_int64(ctx, 42);
}

Test(sqlite_by_user, when_every_key_collides_feeds_stay_exact_and_erasures_take_only_their_own)
{
    cr_assert_eq(sqlite3_create_function(store->db, "hd_user_key", 2, SQLITE_UTF8, NULL,
                                         same_key_for_all, NULL, NULL),
                 SQLITE_OK);
    struct hd_feed_item items[4];
    char ada1[HD_UUID_BUF], bob1[HD_UUID_BUF], both[HD_UUID_BUF], ada2[HD_UUID_BUF];
    send_to(store, NOW - 6, "ada", ada1);
    send_to(store, NOW - 5, "bob", bob1);
    struct hd_notification n = notif(NOW - 4);
    const char *users[] = {"ada", "bob"};
    cr_assert_eq(hd_store_notification_insert(store, &n, users, 2, NULL, 0), 0);
    strcpy(both, n.id);
    cr_assert_eq(move_all(store), 4);
    writer_batch();
    cr_assert_eq(index_raw("SELECT count(*) FROM targets WHERE user_key = 42"), 3,
                 "one row per notification: the second target of `both` is the same key");
    cr_assert_eq(feed_of("ada", items), 2, "ada's own, not bob's");
    cr_assert_str_eq(items[0].n.id, both);
    cr_assert_str_eq(items[1].n.id, ada1);
    cr_assert_eq(feed_of("bob", items), 2);
    cr_assert_str_eq(items[0].n.id, both);
    cr_assert_str_eq(items[1].n.id, bob1);

    cr_assert_eq(hd_store_end_user_delete(store, sys.id, "ada"), 0);
    cr_assert_eq(feed_of("bob", items), 2, "the erasure took nothing of bob's");
    send_to(store, NOW - 3, "ada", ada2); /* a new ada */
    cr_assert_eq(move_all(store), 2, "one erasure and one target");
    cr_assert_eq(index_raw("SELECT count(*) FROM targets WHERE user_key = 42"), 3,
                 "ada's first went; bob's two and the new ada's stay");
    cr_assert_eq(feed_of("bob", items), 2, "bob keeps both after the move");
    cr_assert_str_eq(items[1].n.id, bob1);
    cr_assert_eq(feed_of("ada", items), 1, "the new ada sees only her own");
    cr_assert_str_eq(items[0].n.id, ada2);
}

Test(sqlite_by_user, an_index_of_the_first_format_is_built_again_in_this_one)
{
    struct hd_feed_item items[4];
    index_ada_and_bob();
    close_store();
    /* the first format: keyed by the texts, and current as far as progress says */
    index_raw("DROP TABLE targets");
    index_raw("CREATE TABLE targets (system_id TEXT NOT NULL, end_user_id TEXT NOT NULL,"
              " notification_id TEXT NOT NULL, PRIMARY KEY (system_id, end_user_id,"
              " notification_id)) STRICT, WITHOUT ROWID");
    index_raw("INSERT INTO targets VALUES ('x', 'y', 'z')");
    reopen();
    cr_assert_eq(index_raw("SELECT count(*) FROM pragma_table_info('targets')"
                           " WHERE name = 'user_key'"),
                 1);
    cr_assert_eq(index_raw("SELECT count(*) FROM targets"), 2, "built from notification_users");
    cr_assert_eq(feed_of("ada", items), 1);
    cr_assert_eq(feed_of("bob", items), 1);
}

/* A move rewrites one leaf per user it touches and syncs it: a new index has leaves of 1 KB, a
 * quarter of SQLite's default. One built before keeps its pages and still serves. */
Test(sqlite_by_user, a_new_index_has_small_pages_and_an_older_one_keeps_its_own)
{
    struct hd_feed_item items[4];
    cr_assert_eq(index_raw("PRAGMA page_size"), 1024);
    close_store();
    remove_index_files();
    char path[160];
    snprintf(path, sizeof(path), "%s/herald-by-user.db", dir);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(
        sqlite3_exec(db, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    reopen();
    cr_assert_eq(index_raw("PRAGMA page_size"), 4096);
    send_to(store, NOW - 5, "ada", NULL);
    cr_assert_eq(move_all(store), 1);
    writer_batch();
    cr_assert_eq(indexed("ada"), 1);
    cr_assert_eq(feed_of("ada", items), 1);
}
