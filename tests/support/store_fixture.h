/* store_fixture.h: a store of its own for one test (Criterion runs each test in its own process,
 * so these statics are per test), and raw SQL on it to check what the store wrote.
 *
 * The backend is SQLite on a fresh temporary directory, or, with HD_TEST_BACKEND=pg, a fresh
 * database on the PostgreSQL server whose URL HERALD_TEST_PG gives (scripts/pg.sh start prints
 * one; `make test` runs the store tests both ways). `location` is what hd_store_open takes. */
#ifndef HD_TESTS_STORE_FIXTURE_H
#define HD_TESTS_STORE_FIXTURE_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "temp_dir.h"

#define NOW 1800000000000LL /* 2027-01-15 */
#define DAY (86400LL * 1000)

static char dir[64];       /* a temporary directory, whatever the backend */
static char location[512]; /* the test's store: dir, or a postgres:// URL */
static char pg_databases[4][64];
static int pg_database_count;
static struct hd_store *store;
static struct hd_arena *ar;

static inline bool fixture_on_pg(void)
{
    const char *b = getenv("HD_TEST_BACKEND");
    return b && strcmp(b, "pg") == 0;
}

/* The server's URL (HERALD_TEST_PG) with its database replaced by name. */
static inline void pg_url_of(const char *name, char *out, size_t cap)
{
    const char *server = getenv("HERALD_TEST_PG");
    cr_assert(server, "HD_TEST_BACKEND=pg needs HERALD_TEST_PG (scripts/pg.sh start prints it)");
    const char *slash = strrchr(server, '/');
    cr_assert(slash && slash > server + 12, "HERALD_TEST_PG must end in /DATABASE: %s", server);
    snprintf(out, cap, "%.*s/%s", (int)(slash - server), server, name);
}

/* Runs one statement on its own connection to url; fails the test on an error. */
static inline PGresult *pg_raw(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    cr_assert(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", sql,
              PQresultErrorMessage(r));
    PQfinish(c);
    return r;
}

/* A location no store has used yet: a new directory under dir, or a new database. */
static inline void fixture_fresh_location(char *out, size_t cap)
{
    static int n;
    if (!fixture_on_pg()) {
        snprintf(out, cap, "%s/fresh%d/data", dir, n++);
        return;
    }
    cr_assert_lt(pg_database_count, 4);
    char *name = pg_databases[pg_database_count++];
    snprintf(name, 64, "hd_test_%ld_%d", (long)getpid(), n++);
    char server[512], sql[160];
    pg_url_of("postgres", server, sizeof(server));
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    PQclear(pg_raw(server, sql));
    pg_url_of(name, out, cap);
}

/* Makes dir and location without opening a store (for tests that open their own). */
static inline void store_fixture_prepare(const char *prefix)
{
    temp_dir_make(dir, prefix);
    if (fixture_on_pg())
        fixture_fresh_location(location, sizeof(location));
    else
        snprintf(location, sizeof(location), "%s", dir);
    ar = hd_arena_create();
}

static inline void store_fixture_open(const char *prefix)
{
    store_fixture_prepare(prefix);
    char err[256] = "";
    cr_assert_eq(hd_store_open(location, &store, err, sizeof(err)), 0, "open: %s", err);
}

static inline void store_fixture_close(void)
{
    hd_store_close(store);
    hd_arena_destroy(ar);
    temp_dir_remove(dir);
    char server[512], sql[160];
    for (int i = 0; i < pg_database_count; i++) {
        pg_url_of("postgres", server, sizeof(server));
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %.63s WITH (FORCE)", pg_databases[i]);
        PQclear(pg_raw(server, sql));
    }
}

/* The first column of the first row of sql as text, in ar ("" without a row or for NULL), run
 * on a connection of its own. */
static inline const char *raw_text(const char *sql)
{
    if (fixture_on_pg()) {
        PGresult *r = pg_raw(location, sql);
        const char *v =
            hd_arena_strdup(ar, PQntuples(r) && PQnfields(r) ? PQgetvalue(r, 0, 0) : "");
        PQclear(r);
        return v;
    }
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *st;
    snprintf(path, sizeof(path), "%s/herald.db", dir);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    cr_assert(rc == SQLITE_ROW || rc == SQLITE_DONE, "%s", sqlite3_errmsg(db));
    const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    const char *v = hd_arena_strdup(ar, t ? (const char *)t : "");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* The first column of the first row of sql as an integer (0 without a row). */
static inline int64_t raw(const char *sql)
{
    return strtoll(raw_text(sql), NULL, 10);
}

#endif
