/* store_fixture.h: a store on a fresh temporary directory for one test (Criterion runs each
 * test in its own process, so these statics are per test), and raw SQL on it to check what the
 * store wrote. */
#ifndef HD_TESTS_STORE_FIXTURE_H
#define HD_TESTS_STORE_FIXTURE_H

#include <sqlite3.h>
#include <stdint.h>

#include "store/store.h"
#include "temp_dir.h"

#define NOW 1800000000000LL /* 2027-01-15 */
#define DAY (86400LL * 1000)

static char dir[64];
static struct hd_store *store;
static struct hd_arena *ar;

static inline void store_fixture_open(const char *prefix)
{
    temp_dir_make(dir, prefix);
    char err[256] = "";
    cr_assert_eq(hd_store_open(dir, &store, err, sizeof(err)), 0, "open: %s", err);
    ar = hd_arena_create();
}

static inline void store_fixture_close(void)
{
    hd_store_close(store);
    hd_arena_destroy(ar);
    temp_dir_remove(dir);
}

/* The first column of the first row of sql, run on a connection of its own (0 without a row). */
static inline int64_t raw(const char *sql)
{
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *st;
    snprintf(path, sizeof(path), "%s/herald.db", dir);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    cr_assert(rc == SQLITE_ROW || rc == SQLITE_DONE, "%s", sqlite3_errmsg(db));
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

#endif
