/* sqlite.c: store.h on SQLite 3, one database file DIR/herald.db in WAL mode.
 *
 * Each struct hd_store is one connection (SQLITE_OPEN_NOMUTEX: one thread at a time); several
 * threads and processes share the file, serialized by SQLite's locks and a 5 s busy timeout.
 * Writes of several rows run inside BEGIN IMMEDIATE, so a writer waits for the lock up front
 * instead of failing on upgrade. Statements are prepared once per connection, on first use, and
 * every value is bound: no SQL is ever built from data. A statement is reset as soon as it has
 * been read, so no connection holds a read snapshot (and the WAL) open between calls. */
#include "store/store.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/embed.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#define DB_FILE         "herald.db"
#define BUSY_TIMEOUT_MS 5000
#define MIGRATIONS      "migrations/"
#define SECRET_KEY      "server_secret"
/* Sorts after every id we issue (hex digits and '-'): the cursor of a first page. */
#define CURSOR_MAX "~"

#define ACCOUNT_COLS "id, name, created_at"
#define KEY_COLS     "client_id, account_id, name, scopes, secret_hash, created_at, revoked_at"
#define SYSTEM_COLS  "id, account_id, name, signing_secret, created_at"
#define TEMPLATE_COLS                                                                              \
    "id, system_id, name, title, description, button_text, button_url, type, placeholders, "       \
    "created_at"
#define NOTIF_COLS                                                                                 \
    "n.id, n.account_id, n.system_id, n.template_id, n.created_by, n.type, n.title, "              \
    "n.runtime_title, n.runtime_description, n.button_text, n.button_url, n.start_at, n.end_at, "  \
    "n.created_at, n.cancelled_at"

/* The user's targets, fan-out on read: direct ones UNION those of their audiences, both through
 * covering indexes on (system_id, end_user_id); ?1 system, ?2 user, ?3 exclusive upper id bound.
 * CROSS JOIN keeps this set the outer loop, so no query walks a system's notifications. */
#define TARGETS_WITH                                                                               \
    "WITH targets(nid) AS ("                                                                       \
    " SELECT notification_id FROM notification_users"                                              \
    "  WHERE system_id = ?1 AND end_user_id = ?2 AND notification_id < ?3"                         \
    " UNION"                                                                                       \
    " SELECT na.notification_id FROM audience_members am"                                          \
    "  JOIN notification_audiences na ON na.audience_id = am.audience_id"                          \
    "  WHERE am.system_id = ?1 AND am.end_user_id = ?2 AND na.notification_id < ?3) "
/* ?4 now, ?5 the oldest end_at still listed. */
#define TARGETS_FROM                                                                               \
    " FROM targets t CROSS JOIN notifications n ON n.id = t.nid"                                   \
    " LEFT JOIN delivery_state d ON d.notification_id = n.id AND d.end_user_id = ?2"               \
    " WHERE n.system_id = ?1 AND n.start_at <= ?4 AND n.cancelled_at IS NULL"                      \
    "  AND n.end_at > ?5 AND d.dismissed_at IS NULL"

/* X(name, SQL): every statement, prepared on first use as s->stmts[ST_name]. */
#define STATEMENTS(X)                                                                              \
    X(BEGIN, "BEGIN IMMEDIATE")                                                                    \
    X(COMMIT, "COMMIT")                                                                            \
    X(ROLLBACK, "ROLLBACK")                                                                        \
    X(SCHEMA_VERSION, "SELECT coalesce(max(version), 0) FROM schema_migrations")                   \
    X(SCHEMA_RECORD, "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)")        \
    X(SECRET_INSERT, "INSERT OR IGNORE INTO meta (key, value) VALUES ('" SECRET_KEY "', ?1)")      \
    X(SECRET_GET, "SELECT value FROM meta WHERE key = '" SECRET_KEY "'")                           \
    X(ACCOUNT_INSERT, "INSERT INTO accounts (" ACCOUNT_COLS ") VALUES (?1, ?2, ?3)")               \
    X(ACCOUNT_FIRST, "SELECT " ACCOUNT_COLS " FROM accounts ORDER BY created_at, id LIMIT 1")      \
    X(ACCOUNT_GET, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?1")                          \
    X(KEY_INSERT, "INSERT INTO api_keys (" KEY_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")       \
    X(KEY_GET, "SELECT " KEY_COLS " FROM api_keys WHERE client_id = ?1")                           \
    X(KEY_LIST, "SELECT " KEY_COLS " FROM api_keys WHERE account_id = ?1"                          \
                " ORDER BY created_at, client_id LIMIT ?2")                                        \
    X(KEY_REVOKE, "UPDATE api_keys SET revoked_at = ?3"                                            \
                  " WHERE client_id = ?1 AND account_id = ?2 AND revoked_at IS NULL")              \
    X(SYSTEM_INSERT, "INSERT INTO systems (" SYSTEM_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)")          \
    X(SYSTEM_GET, "SELECT " SYSTEM_COLS " FROM systems"                                            \
                  " WHERE id = ?1 AND account_id = ?2 AND deleted_at IS NULL")                     \
    X(SYSTEM_GET_ANY, "SELECT " SYSTEM_COLS " FROM systems WHERE id = ?1 AND deleted_at IS NULL")  \
    X(SYSTEM_LIST, "SELECT " SYSTEM_COLS " FROM systems WHERE account_id = ?1"                     \
                   " AND deleted_at IS NULL ORDER BY created_at, id LIMIT ?2")                     \
    X(TEMPLATE_INSERT, "INSERT INTO templates (" TEMPLATE_COLS ", updated_at)"                     \
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)")                   \
    X(TEMPLATE_GET, "SELECT " TEMPLATE_COLS " FROM templates"                                      \
                    " WHERE system_id = ?1 AND id = ?2 AND archived_at IS NULL")                   \
    X(USER_INSERT, "INSERT INTO end_users"                                                         \
                   " (system_id, id, name, email, attributes, created_at, updated_at)"             \
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING")                  \
    X(USER_UPDATE, "UPDATE end_users SET name = ?3, email = ?4, attributes = ?5,"                  \
                   " updated_at = ?7 WHERE system_id = ?1 AND id = ?2")                            \
    X(USER_EXISTS, "SELECT 1 FROM end_users WHERE system_id = ?1 AND id = ?2")                     \
    X(AUDIENCE_INSERT, "INSERT INTO audiences (id, system_id, name, created_at, updated_at)"       \
                       " VALUES (?1, ?2, ?3, ?4, ?4)")                                             \
    X(MEMBER_INSERT, "INSERT INTO audience_members (audience_id, system_id, end_user_id,"          \
                     " added_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")                  \
    /* Inserts nothing unless the template is the system's and the system the account's. */        \
    X(NOTIF_INSERT,                                                                                \
      "INSERT INTO notifications (id, account_id, system_id, template_id, created_by, type,"       \
      " title, runtime_title, runtime_description, button_text, button_url, start_at, end_at,"     \
      " created_at, cancelled_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"       \
      " ?13, ?14, ?15 WHERE EXISTS (SELECT 1 FROM templates t JOIN systems y"                      \
      " ON y.id = t.system_id WHERE t.id = ?4 AND t.system_id = ?3 AND t.archived_at IS NULL"      \
      " AND y.account_id = ?2 AND y.deleted_at IS NULL)")                                          \
    X(TEMPLATE_LOCK, "UPDATE templates SET locked_at = ?2 WHERE id = ?1 AND locked_at IS NULL")    \
    X(NOTIF_USER, "INSERT INTO notification_users (notification_id, system_id, end_user_id)"       \
                  " VALUES (?1, ?2, ?3)")                                                          \
    X(NOTIF_AUDIENCE, "INSERT INTO notification_audiences (notification_id, audience_id)"          \
                      " SELECT ?1, id FROM audiences"                                              \
                      " WHERE id = ?2 AND system_id = ?3 AND deleted_at IS NULL")                  \
    /* ?6 unread only, ?7 limit */                                                                 \
    X(FEED, TARGETS_WITH "SELECT " NOTIF_COLS ","                                                  \
                         " d.received_at, d.seen_at, d.clicked_at, d.dismissed_at" TARGETS_FROM    \
                         " AND (?6 = 0 OR d.seen_at IS NULL) ORDER BY n.id DESC LIMIT ?7")         \
    X(UNREAD, TARGETS_WITH "SELECT count(*)" TARGETS_FROM " AND d.seen_at IS NULL")

enum stmt_id {
#define HD_X(name, sql) ST_##name,
    STATEMENTS(HD_X)
#undef HD_X
        ST_COUNT
};

static const char *const sql_text[ST_COUNT] = {
#define HD_X(name, sql) sql,
    STATEMENTS(HD_X)
#undef HD_X
};

struct hd_store {
    sqlite3 *db;
    sqlite3_stmt *stmts[ST_COUNT];
};

/* Maps the connection's last error to an hd_err; logs the ones that are not the caller's. The
 * message names tables and columns, never bound values. */
static int fail(struct hd_store *s, const char *what)
{
    int ext = sqlite3_extended_errcode(s->db);
    if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE)
        return HD_E_CONFLICT;
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        return HD_E_NOT_FOUND;
    hd_log(HD_LOG_ERROR, "store: %s: %s (%d)", what, sqlite3_errmsg(s->db), ext);
    return HD_E_STORAGE;
}

static int corrupt(const char *what)
{
    hd_log(HD_LOG_ERROR, "store: %s: a stored value has the wrong type or size", what);
    return HD_E_STORAGE;
}

/* The statement, prepared on first use; NULL (logged) if preparing fails. */
static sqlite3_stmt *stmt(struct hd_store *s, enum stmt_id id)
{
    if (s->stmts[id])
        return s->stmts[id];
    if (sqlite3_prepare_v3(s->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id],
                           NULL)) {
        (void)fail(s, "prepare");
        s->stmts[id] = NULL;
    }
    return s->stmts[id];
}

/* Ends a use of st: releases its read snapshot and the borrowed (SQLITE_STATIC) values. */
static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* ---- binding and reading values ---- */

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64(st, i, v);
}

static int bind_size(sqlite3_stmt *st, int i, size_t v)
{
    return sqlite3_bind_int64(st, i, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* A time of 0 ("not yet") is stored as NULL; reading NULL back as an integer gives 0. */
static int bind_time(sqlite3_stmt *st, int i, int64_t v)
{
    return v ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

static int bind_blob(sqlite3_stmt *st, int i, const void *v, size_t n)
{
    return sqlite3_bind_blob(st, i, v, (int)n, SQLITE_STATIC);
}

/* A copy in the arena, or NULL for SQL NULL. */
static const char *col_str(sqlite3_stmt *st, int i, struct hd_arena *ar)
{
    const unsigned char *p = sqlite3_column_text(st, i);
    return p ? hd_arena_strndup(ar, (const char *)p, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

/* Copies a text column into a fixed array; false if NULL or if it does not fit. */
static bool col_copy(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *p = sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    if (!p || n >= cap)
        return false;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return true;
}

/* Copies a blob column of exactly len bytes. */
static bool col_blob(sqlite3_stmt *st, int i, void *dst, size_t len)
{
    const void *p = sqlite3_column_blob(st, i);
    if (!p || (size_t)sqlite3_column_bytes(st, i) != len)
        return false;
    memcpy(dst, p, len);
    return true;
}

/* ---- running statements ---- */

static int bind_failed(struct hd_store *s, sqlite3_stmt *st, const char *what)
{
    int err = fail(s, what);
    done(st);
    return err == HD_E_CONFLICT || err == HD_E_NOT_FOUND ? HD_E_STORAGE : err;
}

/* Steps a statement that returns no row, then resets it. */
static int run(struct hd_store *s, sqlite3_stmt *st, const char *what)
{
    int err = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s, what);
    done(st);
    return err;
}

/* Like run(), and HD_E_NOT_FOUND when the statement changed no row. */
static int run_changed(struct hd_store *s, sqlite3_stmt *st, const char *what)
{
    int err = run(s, st, what);
    return err ? err : sqlite3_changes(s->db) ? 0 : HD_E_NOT_FOUND;
}

/* Fills out from the current row; false when a value is NULL, too long or mis-sized. */
typedef bool (*row_reader)(sqlite3_stmt *st, struct hd_arena *ar, void *out);

/* Steps a query for one row and fills out with read(); HD_E_NOT_FOUND without a row. */
static int fetch(struct hd_store *s, sqlite3_stmt *st, row_reader read, struct hd_arena *ar,
                 void *out, const char *what)
{
    int rc = sqlite3_step(st), err;
    if (rc == SQLITE_ROW)
        err = read(st, ar, out) ? 0 : corrupt(what);
    else
        err = rc == SQLITE_DONE ? HD_E_NOT_FOUND : fail(s, what);
    done(st);
    return err;
}

/* Steps a query for up to max rows into the array out of elements of size size. */
static int fetch_many(struct hd_store *s, sqlite3_stmt *st, row_reader read, struct hd_arena *ar,
                      void *out, size_t size, size_t max, size_t *count, const char *what)
{
    int err = 0;
    *count = 0;
    while (*count < max) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            err = fail(s, what);
            break;
        }
        if (!read(st, ar, (char *)out + *count * size)) {
            err = corrupt(what);
            break;
        }
        (*count)++;
    }
    done(st);
    return err;
}

static int begin(struct hd_store *s)
{
    sqlite3_stmt *st = stmt(s, ST_BEGIN);
    return st ? run(s, st, "begin") : HD_E_STORAGE;
}

static void rollback(struct hd_store *s)
{
    sqlite3_stmt *st = stmt(s, ST_ROLLBACK);
    if (st && !sqlite3_get_autocommit(s->db) && run(s, st, "rollback"))
        hd_log(HD_LOG_ERROR, "store: rollback failed");
}

/* Runs body(s, arg) inside BEGIN IMMEDIATE; commits if it returns 0, else rolls back. */
static int in_transaction(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                          const void *arg)
{
    int err = begin(s);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(s, ST_COMMIT);
    err = body(s, arg);
    if (!err)
        err = st ? run(s, st, "commit") : HD_E_STORAGE;
    if (err)
        rollback(s);
    return err;
}

/* ---- opening, migrations ---- */

static int mkdir_p(const char *dir)
{
    char buf[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, dir, n + 1);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        if (c == '\0')
            break;
        *p = c;
    }
    struct stat sb;
    if (stat(buf, &sb) != 0)
        return -1;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static int exec_sql(struct hd_store *s, const char *sql, char *errbuf, size_t errlen)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    snprintf(errbuf, errlen, "%s", sqlite3_errmsg(s->db));
    return HD_E_STORAGE;
}

/* Per-connection settings; WAL lets readers run beside the one writer, FULL syncs each commit
 * so an acknowledged write survives a power cut. */
static int configure(struct hd_store *s, char *errbuf, size_t errlen)
{
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    if (exec_sql(s, "PRAGMA journal_mode = WAL", errbuf, errlen) ||
        exec_sql(s, "PRAGMA synchronous = FULL", errbuf, errlen) ||
        exec_sql(s, "PRAGMA foreign_keys = ON", errbuf, errlen))
        return HD_E_STORAGE;
    sqlite3_stmt *st = NULL;
    bool wal = false;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        wal = strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    if (!wal) {
        snprintf(errbuf, errlen, "cannot switch the database to WAL mode");
        return HD_E_STORAGE;
    }
    return 0;
}

/* The version a migration's path starts with ("migrations/001_init.sql" → 1), or -1. */
static long migration_version(const char *path)
{
    const char *p = path + strlen(MIGRATIONS);
    char *end;
    long v = strtol(p, &end, 10);
    return end != p && *end == '_' && v > 0 ? v : -1;
}

static int schema_version(struct hd_store *s, long *out)
{
    sqlite3_stmt *st = stmt(s, ST_SCHEMA_VERSION);
    if (!st)
        return HD_E_STORAGE;
    int err = sqlite3_step(st) == SQLITE_ROW ? 0 : fail(s, "schema version");
    *out = (long)sqlite3_column_int64(st, 0);
    done(st);
    return err;
}

static int apply_migration(struct hd_store *s, const struct hd_embedded *m, long version,
                           char *errbuf, size_t errlen)
{
    if (exec_sql(s, (const char *)m->data, errbuf, errlen))
        return HD_E_STORAGE;
    sqlite3_stmt *st = stmt(s, ST_SCHEMA_RECORD);
    if (!st || bind_i64(st, 1, version) || bind_i64(st, 2, hd_time_now_ms()) ||
        run(s, st, "record migration")) {
        if (st)
            done(st);
        snprintf(errbuf, errlen, "cannot record migration %ld", version);
        return HD_E_STORAGE;
    }
    hd_log(HD_LOG_INFO, "store: applied %s", m->path);
    return 0;
}

/* Applies the embedded migrations newer than the schema, in order. */
static int apply_pending(struct hd_store *s, char *errbuf, size_t errlen)
{
    long current, last = 0;
    if (schema_version(s, &current)) {
        snprintf(errbuf, errlen, "cannot read the schema version");
        return HD_E_STORAGE;
    }
    for (const struct hd_embedded *m = hd_embedded_files; m->path; m++) {
        if (strncmp(m->path, MIGRATIONS, strlen(MIGRATIONS)) != 0)
            continue;
        long v = migration_version(m->path);
        if (v <= last) {
            snprintf(errbuf, errlen, "bad migration name %s", m->path);
            return HD_E_STORAGE;
        }
        last = v;
        if (v > current && apply_migration(s, m, v, errbuf, errlen))
            return HD_E_STORAGE;
    }
    if (current > last) {
        snprintf(errbuf, errlen, "the database schema (version %ld) is newer than this program",
                 current);
        return HD_E_STORAGE;
    }
    return 0;
}

/* BEGIN IMMEDIATE takes the write lock first, so of two processes starting at once the second
 * waits, then sees the first one's migrations as applied. */
static int migrate(struct hd_store *s, char *errbuf, size_t errlen)
{
    if (exec_sql(s, "BEGIN IMMEDIATE", errbuf, errlen))
        return HD_E_STORAGE;
    int err = exec_sql(s,
                       "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                       " applied_at INTEGER NOT NULL) STRICT",
                       errbuf, errlen);
    if (!err)
        err = apply_pending(s, errbuf, errlen);
    if (!err)
        err = exec_sql(s, "COMMIT", errbuf, errlen);
    if (err && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

int hd_store_open(const char *location, struct hd_store **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (strncmp(location, "postgres://", 11) == 0 || strncmp(location, "postgresql://", 13) == 0) {
        snprintf(errbuf, errlen, "PostgreSQL is not supported by this build yet");
        return HD_E_NOT_IMPLEMENTED;
    }
    char path[PATH_MAX];
    if (mkdir_p(location) != 0) {
        snprintf(errbuf, errlen, "cannot create the data directory %s: %s", location,
                 strerror(errno));
        return HD_E_STORAGE;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", location, DB_FILE) >= sizeof(path)) {
        snprintf(errbuf, errlen, "the data directory path is too long");
        return HD_E_STORAGE;
    }
    struct hd_store *s = hd_xcalloc(1, sizeof(*s));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    if (configure(s, errbuf, errlen) || migrate(s, errbuf, errlen))
        goto fail;
    *out = s;
    return 0;
fail:
    hd_store_close(s);
    return HD_E_STORAGE;
}

void hd_store_close(struct hd_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->stmts[i]);
    if (sqlite3_close(s->db) != SQLITE_OK)
        hd_log(HD_LOG_ERROR, "store: close: %s", sqlite3_errmsg(s->db));
    free(s);
}

/* ---- server secret ---- */

static bool read_secret(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    return col_blob(st, 0, out, HD_SECRET_LEN);
}

/* INSERT OR IGNORE then read back: of two processes creating it at once, both get the winner's. */
int hd_store_server_secret(struct hd_store *s, unsigned char out[HD_SECRET_LEN])
{
    sqlite3_stmt *get = stmt(s, ST_SECRET_GET), *ins = stmt(s, ST_SECRET_INSERT);
    if (!get || !ins)
        return HD_E_STORAGE;
    int err = fetch(s, get, read_secret, NULL, out, "server secret");
    if (err != HD_E_NOT_FOUND)
        return err;
    unsigned char fresh[HD_SECRET_LEN];
    hd_random_bytes(fresh, sizeof(fresh));
    err = bind_blob(ins, 1, fresh, sizeof(fresh)) ? bind_failed(s, ins, "server secret")
                                                  : run(s, ins, "server secret");
    explicit_bzero(fresh, sizeof(fresh));
    return err ? err : fetch(s, get, read_secret, NULL, out, "server secret");
}

/* ---- accounts ---- */

static bool read_account(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_account *a = out;
    a->name = col_str(st, 1, ar);
    a->created_at = sqlite3_column_int64(st, 2);
    return col_copy(st, 0, a->id, sizeof(a->id)) && a->name;
}

int hd_store_account_insert(struct hd_store *s, const struct hd_account *a)
{
    sqlite3_stmt *st = stmt(s, ST_ACCOUNT_INSERT);
    if (!st)
        return HD_E_STORAGE;
    if (bind_text(st, 1, a->id) || bind_text(st, 2, a->name) || bind_i64(st, 3, a->created_at))
        return bind_failed(s, st, "account insert");
    return run(s, st, "account insert");
}

int hd_store_account_first(struct hd_store *s, struct hd_arena *ar, struct hd_account *out)
{
    sqlite3_stmt *st = stmt(s, ST_ACCOUNT_FIRST);
    return st ? fetch(s, st, read_account, ar, out, "account first") : HD_E_STORAGE;
}

int hd_store_account_get(struct hd_store *s, const char *id, struct hd_arena *ar,
                         struct hd_account *out)
{
    sqlite3_stmt *st = stmt(s, ST_ACCOUNT_GET);
    if (!st)
        return HD_E_STORAGE;
    if (bind_text(st, 1, id))
        return bind_failed(s, st, "account get");
    return fetch(s, st, read_account, ar, out, "account get");
}

/* ---- API keys ---- */

static bool read_key(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_api_key *k = out;
    int64_t scopes = sqlite3_column_int64(st, 3);
    k->name = col_str(st, 2, ar);
    k->scopes = (unsigned)scopes;
    k->created_at = sqlite3_column_int64(st, 5);
    k->revoked_at = sqlite3_column_int64(st, 6);
    return col_copy(st, 0, k->client_id, sizeof(k->client_id)) &&
           col_copy(st, 1, k->account_id, sizeof(k->account_id)) && k->name && scopes >= 0 &&
           scopes <= UINT_MAX && col_blob(st, 4, k->secret_hash, sizeof(k->secret_hash));
}

int hd_store_key_insert(struct hd_store *s, const struct hd_api_key *k)
{
    sqlite3_stmt *st = stmt(s, ST_KEY_INSERT);
    if (!st)
        return HD_E_STORAGE;
    if (bind_text(st, 1, k->client_id) || bind_text(st, 2, k->account_id) ||
        bind_text(st, 3, k->name) || bind_i64(st, 4, k->scopes) ||
        bind_blob(st, 5, k->secret_hash, sizeof(k->secret_hash)) ||
        bind_i64(st, 6, k->created_at) || bind_time(st, 7, k->revoked_at))
        return bind_failed(s, st, "key insert");
    return run(s, st, "key insert");
}

int hd_store_key_get(struct hd_store *s, const char *client_id, struct hd_arena *ar,
                     struct hd_api_key *out)
{
    sqlite3_stmt *st = stmt(s, ST_KEY_GET);
    if (!st)
        return HD_E_STORAGE;
    if (bind_text(st, 1, client_id))
        return bind_failed(s, st, "key get");
    return fetch(s, st, read_key, ar, out, "key get");
}

int hd_store_key_list(struct hd_store *s, const char *account_id, struct hd_arena *ar,
                      struct hd_api_key *out, size_t max, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = stmt(s, ST_KEY_LIST);
    if (!st)
        return HD_E_STORAGE;
    if (bind_text(st, 1, account_id) || bind_size(st, 2, max))
        return bind_failed(s, st, "key list");
    return fetch_many(s, st, read_key, ar, out, sizeof(*out), max, count, "key list");
}

int hd_store_key_revoke(struct hd_store *s, const char *account_id, const char *client_id,
                        int64_t now)
{
    sqlite3_stmt *st = stmt(s, ST_KEY_REVOKE);
    if (!st)
        return HD_E_STORAGE;
    if (bind_text(st, 1, client_id) || bind_text(st, 2, account_id) || bind_i64(st, 3, now))
        return bind_failed(s, st, "key revoke");
    return run_changed(s, st, "key revoke");
}

/* ---- systems ---- */

static bool read_system(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_system *y = out;
    y->name = col_str(st, 2, ar);
    y->created_at = sqlite3_column_int64(st, 4);
    return col_copy(st, 0, y->id, sizeof(y->id)) &&
           col_copy(st, 1, y->account_id, sizeof(y->account_id)) && y->name &&
           col_blob(st, 3, y->signing_secret, sizeof(y->signing_secret));
}

int hd_store_system_insert(struct hd_store *s, const struct hd_system *sys)
{
    sqlite3_stmt *st = stmt(s, ST_SYSTEM_INSERT);
    if (!st)
        return HD_E_STORAGE;
    if (bind_text(st, 1, sys->id) || bind_text(st, 2, sys->account_id) ||
        bind_text(st, 3, sys->name) ||
        bind_blob(st, 4, sys->signing_secret, sizeof(sys->signing_secret)) ||
        bind_i64(st, 5, sys->created_at))
        return bind_failed(s, st, "system insert");
    return run(s, st, "system insert");
}

int hd_store_system_get(struct hd_store *s, const char *account_id, const char *id,
                        struct hd_arena *ar, struct hd_system *out)
{
    sqlite3_stmt *st = stmt(s, ST_SYSTEM_GET);
    if (!st)
        return HD_E_STORAGE;
    if (bind_text(st, 1, id) || bind_text(st, 2, account_id))
        return bind_failed(s, st, "system get");
    return fetch(s, st, read_system, ar, out, "system get");
}

int hd_store_system_get_any(struct hd_store *s, const char *id, struct hd_arena *ar,
                            struct hd_system *out)
{
    sqlite3_stmt *st = stmt(s, ST_SYSTEM_GET_ANY);
    if (!st)
        return HD_E_STORAGE;
    if (bind_text(st, 1, id))
        return bind_failed(s, st, "system get");
    return fetch(s, st, read_system, ar, out, "system get");
}

int hd_store_system_list(struct hd_store *s, const char *account_id, struct hd_arena *ar,
                         struct hd_system *out, size_t max, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = stmt(s, ST_SYSTEM_LIST);
    if (!st)
        return HD_E_STORAGE;
    if (bind_text(st, 1, account_id) || bind_size(st, 2, max))
        return bind_failed(s, st, "system list");
    return fetch_many(s, st, read_system, ar, out, sizeof(*out), max, count, "system list");
}

/* ---- templates ---- */

static bool read_template(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_template *t = out;
    t->name = col_str(st, 2, ar);
    t->title = col_str(st, 3, ar);
    t->description = col_str(st, 4, ar);
    t->button_text = col_str(st, 5, ar);
    t->button_url = col_str(st, 6, ar);
    t->type = col_str(st, 7, ar);
    t->placeholders_json = col_str(st, 8, ar);
    t->created_at = sqlite3_column_int64(st, 9);
    return col_copy(st, 0, t->id, sizeof(t->id)) &&
           col_copy(st, 1, t->system_id, sizeof(t->system_id)) && t->name && t->title && t->type &&
           t->placeholders_json;
}

int hd_store_template_insert(struct hd_store *s, const struct hd_template *t)
{
    sqlite3_stmt *st = stmt(s, ST_TEMPLATE_INSERT);
    if (!st)
        return HD_E_STORAGE;
    const char *placeholders = t->placeholders_json ? t->placeholders_json : "[]";
    if (bind_text(st, 1, t->id) || bind_text(st, 2, t->system_id) || bind_text(st, 3, t->name) ||
        bind_text(st, 4, t->title) || bind_text(st, 5, t->description) ||
        bind_text(st, 6, t->button_text) || bind_text(st, 7, t->button_url) ||
        bind_text(st, 8, t->type) || bind_text(st, 9, placeholders) ||
        bind_i64(st, 10, t->created_at))
        return bind_failed(s, st, "template insert");
    return run(s, st, "template insert");
}

int hd_store_template_get(struct hd_store *s, const char *system_id, const char *id,
                          struct hd_arena *ar, struct hd_template *out)
{
    sqlite3_stmt *st = stmt(s, ST_TEMPLATE_GET);
    if (!st)
        return HD_E_STORAGE;
    if (bind_text(st, 1, system_id) || bind_text(st, 2, id))
        return bind_failed(s, st, "template get");
    return fetch(s, st, read_template, ar, out, "template get");
}

/* ---- end users ---- */

static int bind_end_user(sqlite3_stmt *st, const struct hd_end_user *u)
{
    const char *attributes = u->attributes_json ? u->attributes_json : "{}";
    return bind_text(st, 1, u->system_id) || bind_text(st, 2, u->id) || bind_text(st, 3, u->name) ||
           bind_text(st, 4, u->email) || bind_text(st, 5, attributes) ||
           bind_i64(st, 6, u->created_at) || bind_i64(st, 7, u->updated_at);
}

struct upsert {
    const struct hd_end_user *u;
    bool *created;
};

/* Insert, or update when the insert did nothing; the transaction makes the pair atomic. */
static int upsert_body(struct hd_store *s, const void *arg)
{
    const struct upsert *a = arg;
    sqlite3_stmt *ins = stmt(s, ST_USER_INSERT), *upd = stmt(s, ST_USER_UPDATE);
    if (!ins || !upd)
        return HD_E_STORAGE;
    if (bind_end_user(ins, a->u))
        return bind_failed(s, ins, "end user insert");
    int err = run(s, ins, "end user insert");
    if (err)
        return err;
    *a->created = sqlite3_changes(s->db) > 0;
    if (*a->created)
        return 0;
    if (bind_end_user(upd, a->u))
        return bind_failed(s, upd, "end user update");
    return run(s, upd, "end user update");
}

int hd_store_end_user_upsert(struct hd_store *s, const struct hd_end_user *u, bool *created)
{
    struct upsert a = {u, created};
    *created = false;
    return in_transaction(s, upsert_body, &a);
}

int hd_store_end_users_count_unknown(struct hd_store *s, const char *system_id,
                                     const char *const *ids, size_t n, size_t *unknown)
{
    *unknown = 0;
    sqlite3_stmt *st = stmt(s, ST_USER_EXISTS);
    if (!st)
        return HD_E_STORAGE;
    for (size_t i = 0; i < n; i++) {
        if (bind_text(st, 1, system_id) || bind_text(st, 2, ids[i]))
            return bind_failed(s, st, "end user exists");
        int rc = sqlite3_step(st);
        int err = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, "end user exists");
        done(st);
        if (err)
            return err;
        *unknown += rc == SQLITE_DONE;
    }
    return 0;
}

/* ---- audiences ---- */

struct audience_insert {
    const struct hd_audience *a;
    const char *const *members;
    size_t n;
};

static int audience_body(struct hd_store *s, const void *arg)
{
    const struct audience_insert *ai = arg;
    const struct hd_audience *a = ai->a;
    sqlite3_stmt *aud = stmt(s, ST_AUDIENCE_INSERT), *mem = stmt(s, ST_MEMBER_INSERT);
    if (!aud || !mem)
        return HD_E_STORAGE;
    if (bind_text(aud, 1, a->id) || bind_text(aud, 2, a->system_id) || bind_text(aud, 3, a->name) ||
        bind_i64(aud, 4, a->created_at))
        return bind_failed(s, aud, "audience insert");
    int err = run(s, aud, "audience insert");
    for (size_t i = 0; !err && i < ai->n; i++) {
        if (bind_text(mem, 1, a->id) || bind_text(mem, 2, a->system_id) ||
            bind_text(mem, 3, ai->members[i]) || bind_i64(mem, 4, a->created_at))
            return bind_failed(s, mem, "audience member insert");
        err = run(s, mem, "audience member insert");
    }
    return err;
}

int hd_store_audience_insert(struct hd_store *s, const struct hd_audience *a,
                             const char *const *member_ids, size_t n)
{
    struct audience_insert ai = {a, member_ids, n};
    return in_transaction(s, audience_body, &ai);
}

/* ---- notifications ---- */

struct notification_insert {
    const struct hd_notification *n;
    const char *const *users, *const *audiences;
    size_t n_users, n_audiences;
};

static int bind_notification(sqlite3_stmt *st, const struct hd_notification *n)
{
    return bind_text(st, 1, n->id) || bind_text(st, 2, n->account_id) ||
           bind_text(st, 3, n->system_id) || bind_text(st, 4, n->template_id) ||
           bind_text(st, 5, n->created_by) || bind_text(st, 6, n->type) ||
           bind_text(st, 7, n->title) || bind_text(st, 8, n->runtime_title) ||
           bind_text(st, 9, n->runtime_description) || bind_text(st, 10, n->button_text) ||
           bind_text(st, 11, n->button_url) || bind_i64(st, 12, n->start_at) ||
           bind_i64(st, 13, n->end_at) || bind_i64(st, 14, n->created_at) ||
           bind_time(st, 15, n->cancelled_at);
}

/* The notification row, then the template's lock (a no-op once locked). */
static int insert_notification_row(struct hd_store *s, const struct hd_notification *n)
{
    sqlite3_stmt *ins = stmt(s, ST_NOTIF_INSERT), *lock = stmt(s, ST_TEMPLATE_LOCK);
    if (!ins || !lock)
        return HD_E_STORAGE;
    if (bind_notification(ins, n))
        return bind_failed(s, ins, "notification insert");
    int err = run_changed(s, ins, "notification insert");
    if (err)
        return err;
    if (bind_text(lock, 1, n->template_id) || bind_i64(lock, 2, n->created_at))
        return bind_failed(s, lock, "template lock");
    return run(s, lock, "template lock");
}

/* Fan-out on read: one row per target (user or audience), never per audience member. */
static int notification_body(struct hd_store *s, const void *arg)
{
    const struct notification_insert *ni = arg;
    const struct hd_notification *n = ni->n;
    sqlite3_stmt *user = stmt(s, ST_NOTIF_USER), *aud = stmt(s, ST_NOTIF_AUDIENCE);
    if (!user || !aud)
        return HD_E_STORAGE;
    int err = insert_notification_row(s, n);
    for (size_t i = 0; !err && i < ni->n_users; i++) {
        if (bind_text(user, 1, n->id) || bind_text(user, 2, n->system_id) ||
            bind_text(user, 3, ni->users[i]))
            return bind_failed(s, user, "notification user");
        err = run(s, user, "notification user");
    }
    for (size_t i = 0; !err && i < ni->n_audiences; i++) {
        if (bind_text(aud, 1, n->id) || bind_text(aud, 2, ni->audiences[i]) ||
            bind_text(aud, 3, n->system_id))
            return bind_failed(s, aud, "notification audience");
        err = run_changed(s, aud, "notification audience");
    }
    return err;
}

int hd_store_notification_insert(struct hd_store *s, const struct hd_notification *n,
                                 const char *const *end_user_ids, size_t n_users,
                                 const char *const *audience_ids, size_t n_audiences)
{
    struct notification_insert ni = {n, end_user_ids, audience_ids, n_users, n_audiences};
    return in_transaction(s, notification_body, &ni);
}

/* ---- the end user's feed ---- */

static bool read_notification(sqlite3_stmt *st, struct hd_arena *ar, struct hd_notification *n)
{
    n->created_by = col_str(st, 4, ar);
    n->type = col_str(st, 5, ar);
    n->title = col_str(st, 6, ar);
    n->runtime_title = col_str(st, 7, ar);
    n->runtime_description = col_str(st, 8, ar);
    n->button_text = col_str(st, 9, ar);
    n->button_url = col_str(st, 10, ar);
    n->start_at = sqlite3_column_int64(st, 11);
    n->end_at = sqlite3_column_int64(st, 12);
    n->created_at = sqlite3_column_int64(st, 13);
    n->cancelled_at = sqlite3_column_int64(st, 14);
    return col_copy(st, 0, n->id, sizeof(n->id)) &&
           col_copy(st, 1, n->account_id, sizeof(n->account_id)) &&
           col_copy(st, 2, n->system_id, sizeof(n->system_id)) &&
           col_copy(st, 3, n->template_id, sizeof(n->template_id)) && n->created_by && n->type &&
           n->runtime_title;
}

static bool read_feed_item(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_feed_item *it = out;
    it->received_at = sqlite3_column_int64(st, 15);
    it->seen_at = sqlite3_column_int64(st, 16);
    it->clicked_at = sqlite3_column_int64(st, 17);
    it->dismissed_at = sqlite3_column_int64(st, 18);
    return read_notification(st, ar, &it->n);
}

/* Binds ?1..?5 of TARGETS_WITH/TARGETS_FROM; before NULL for no cursor; min_end is the oldest
 * end_at still listed. */
static int bind_targets(sqlite3_stmt *st, const struct hd_feed_query *q, const char *before,
                        int64_t min_end)
{
    return bind_text(st, 1, q->system_id) || bind_text(st, 2, q->end_user_id) ||
           bind_text(st, 3, before ? before : CURSOR_MAX) || bind_i64(st, 4, q->now) ||
           bind_i64(st, 5, min_end);
}

int hd_store_feed(struct hd_store *s, const struct hd_feed_query *q, struct hd_arena *ar,
                  struct hd_feed_item *out, size_t *count)
{
    *count = 0;
    if (q->limit == 0)
        return 0;
    sqlite3_stmt *st = stmt(s, ST_FEED);
    if (!st)
        return HD_E_STORAGE;
    int64_t history = q->history_ms > 0 ? q->history_ms : 0, min_end;
    if (__builtin_sub_overflow(q->now, history, &min_end))
        min_end = INT64_MIN;
    if (bind_targets(st, q, q->before, min_end) || bind_i64(st, 6, q->unread_only) ||
        bind_size(st, 7, q->limit))
        return bind_failed(s, st, "feed");
    return fetch_many(s, st, read_feed_item, ar, out, sizeof(*out), q->limit, count, "feed");
}

int hd_store_feed_unread_count(struct hd_store *s, const struct hd_feed_query *q, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = stmt(s, ST_UNREAD);
    if (!st)
        return HD_E_STORAGE;
    if (bind_targets(st, q, NULL, q->now))
        return bind_failed(s, st, "unread count");
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_ROW ? 0 : fail(s, "unread count");
    if (!err)
        *count = (size_t)sqlite3_column_int64(st, 0);
    done(st);
    return err;
}
