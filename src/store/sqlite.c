/* sqlite.c: store.h on SQLite 3, one database file DIR/herald.db in WAL mode: opening and
 * closing a connection, its pragmas, the schema migrations, the server secret, and the helpers
 * of sqlite_db.h (statement cache, binding, reading, running, transactions). The store's other
 * calls live in sqlite_tenants.c, sqlite_content.c and sqlite_notifications.c.
 *
 * Each struct hd_store is one connection (SQLITE_OPEN_NOMUTEX: one thread at a time); several
 * threads and processes share the file, serialized by SQLite's locks and a 5 s busy timeout.
 * Writes of several rows run inside BEGIN IMMEDIATE, so a writer waits for the lock up front
 * instead of failing on upgrade. Statements are prepared once per connection, on first use, and
 * every value is bound: no SQL is ever built from data. A statement is reset as soon as it has
 * been read, so no connection holds a read snapshot (and the WAL) open between calls. */
#include "store/sqlite_db.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/embed.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"
#include "store/sqlite_catalog_counter.h"
#include "store/sqlite_pcache.h"
#include "store/sqlite_walbuf.h"

#define DB_FILE         "herald.db"
#define BUSY_TIMEOUT_MS 5000
#define OPEN_ATTEMPTS   50
#define OPEN_RETRY_US   20000
#define MIGRATIONS      "migrations/"
#define SECRET_KEY      "server_secret"

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
/* Inside a batch (hd_store_batch_begin), each write is a savepoint of the batch's transaction. */
static const char SQL_SAVEPOINT[] = "SAVEPOINT one_call";
static const char SQL_RELEASE[] = "RELEASE one_call";
static const char SQL_UNDO[] = "ROLLBACK TO one_call";

/* ---- the statement cache ---- */

/* Fibonacci hashing of the address; the low bits are alignment, the high bits spread well. */
static size_t slot_of(const char *sql)
{
    uint64_t h = (uint64_t)(uintptr_t)sql * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 40) & (HD_SQ_SLOTS - 1);
}

/* A failed prepare is logged and not cached, so the next use tries again. */
sqlite3_stmt *hd_sq_stmt(struct hd_store *s, const char *sql)
{
    size_t i = slot_of(sql);
    for (size_t probes = 0; probes < HD_SQ_SLOTS; probes++, i = (i + 1) & (HD_SQ_SLOTS - 1)) {
        struct hd_sq_slot *slot = &s->stmts[i];
        if (slot->sql == sql)
            return slot->st;
        if (slot->sql)
            continue;
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot->st, NULL)) {
            (void)hd_sq_fail(s, "prepare");
            slot->st = NULL;
            return NULL;
        }
        slot->sql = sql;
        return slot->st;
    }
    fprintf(stderr, "herald: store: more than %d distinct SQL statements; raise HD_SQ_SLOTS\n",
            HD_SQ_SLOTS);
    abort();
}

/* ---- errors ---- */

/* A failed call inside a job undoes the job, whatever the job does next (as on PostgreSQL, where
 * a failed statement aborts the transaction up to the job's savepoint). */
static int failed(struct hd_store *s, int err)
{
    if (s->in_job && !s->job_undo)
        s->job_undo = err;
    return err;
}

void hd_sq_batch_forget(struct hd_store *s)
{
    s->last_event_seq = 0;
    s->n_owners = 0;
}

/* Any change of the catalog, by this connection, in SQL or by a trigger: its owners checked so
 * far may no longer hold, and the shared counter is raised once the transaction commits. */
static void watch_catalog_hook(void *arg, int op, const char *db, const char *table,
                               sqlite3_int64 rowid)
{
    (void)op, (void)db, (void)rowid;
    struct hd_store *s = arg;
    if (strcmp(table, "catalog_version") == 0) {
        s->n_owners = 0;
        s->catalog_changed = true;
    }
}

static void rolled_back_hook(void *arg)
{
    ((struct hd_store *)arg)->catalog_changed = false;
}

/* Maps the connection's last error to an hd_err; logs the ones that are not the caller's. The
 * message names tables and columns, never bound values. */
int hd_sq_fail(struct hd_store *s, const char *what)
{
    hd_sq_batch_forget(s); /* the failure may have ended the transaction: read again */
    int ext = sqlite3_extended_errcode(s->db);
    if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE)
        return failed(s, HD_E_CONFLICT);
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        return failed(s, HD_E_NOT_FOUND);
    hd_log(HD_LOG_ERROR, "store: %s: %s (%d)", what, sqlite3_errmsg(s->db), ext);
    return failed(s, HD_E_STORAGE);
}

int hd_sq_corrupt(const char *what)
{
    hd_log(HD_LOG_ERROR, "store: %s: a stored value has the wrong type or size", what);
    return HD_E_STORAGE;
}

/* Ends a use of st: releases its read snapshot and the borrowed (SQLITE_STATIC) values. */
void hd_sq_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* ---- binding and reading values ---- */

int hd_sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int hd_sq_bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64(st, i, v);
}

int hd_sq_bind_size(sqlite3_stmt *st, int i, size_t v)
{
    return sqlite3_bind_int64(st, i, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* A time of 0 ("not yet") is stored as NULL; reading NULL back as an integer gives 0. */
int hd_sq_bind_time(sqlite3_stmt *st, int i, int64_t v)
{
    return v ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

int hd_sq_bind_blob(sqlite3_stmt *st, int i, const void *v, size_t n)
{
    return sqlite3_bind_blob(st, i, v, (int)n, SQLITE_STATIC);
}

/* A copy in the arena, or NULL for SQL NULL. */
const char *hd_sq_col_str(sqlite3_stmt *st, int i, struct hd_arena *ar)
{
    const unsigned char *p = sqlite3_column_text(st, i);
    return p ? hd_arena_strndup(ar, (const char *)p, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

/* Copies a text column into a fixed array; false if NULL or if it does not fit. */
bool hd_sq_col_copy(sqlite3_stmt *st, int i, char *dst, size_t cap)
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
bool hd_sq_col_blob(sqlite3_stmt *st, int i, void *dst, size_t len)
{
    const void *p = sqlite3_column_blob(st, i);
    if (!p || (size_t)sqlite3_column_bytes(st, i) != len)
        return false;
    memcpy(dst, p, len);
    return true;
}

/* ---- running statements ---- */

int hd_sq_bind_failed(struct hd_store *s, sqlite3_stmt *st, const char *what)
{
    int err = hd_sq_fail(s, what);
    hd_sq_done(st);
    return err == HD_E_CONFLICT || err == HD_E_NOT_FOUND ? HD_E_STORAGE : err;
}

/* Steps a statement that returns no row, then resets it. */
int hd_sq_run(struct hd_store *s, sqlite3_stmt *st, const char *what)
{
    int err = sqlite3_step(st) == SQLITE_DONE ? 0 : hd_sq_fail(s, what);
    hd_sq_done(st);
    return err;
}

/* Like hd_sq_run(), and HD_E_NOT_FOUND when the statement changed no row. */
int hd_sq_run_changed(struct hd_store *s, sqlite3_stmt *st, const char *what)
{
    int err = hd_sq_run(s, st, what);
    return err ? err : sqlite3_changes(s->db) ? 0 : HD_E_NOT_FOUND;
}

/* Steps a query for one row and fills out with read(); HD_E_NOT_FOUND without a row. */
bool hd_sq_read_i64(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    (void)ar;
    *(int64_t *)out = sqlite3_column_int64(st, 0);
    return true;
}

int hd_sq_fetch(struct hd_store *s, sqlite3_stmt *st, hd_sq_row_reader read, struct hd_arena *ar,
                void *out, const char *what)
{
    int rc = sqlite3_step(st), err;
    if (rc == SQLITE_ROW)
        err = read(st, ar, out) ? 0 : hd_sq_corrupt(what);
    else
        err = rc == SQLITE_DONE ? HD_E_NOT_FOUND : hd_sq_fail(s, what);
    hd_sq_done(st);
    return err;
}

/* Steps a query for up to max rows into the array out of elements of size size. */
int hd_sq_fetch_many(struct hd_store *s, sqlite3_stmt *st, hd_sq_row_reader read,
                     struct hd_arena *ar, void *out, size_t size, size_t max, size_t *count,
                     const char *what)
{
    int err = 0;
    *count = 0;
    while (*count < max) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            err = hd_sq_fail(s, what);
            break;
        }
        if (!read(st, ar, (char *)out + *count * size)) {
            err = hd_sq_corrupt(what);
            break;
        }
        (*count)++;
    }
    hd_sq_done(st);
    return err;
}

int hd_sq_begin(struct hd_store *s)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_BEGIN);
    return st ? hd_sq_run(s, st, "begin") : HD_E_STORAGE;
}

int hd_sq_commit(struct hd_store *s)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_COMMIT);
    return st ? hd_sq_run(s, st, "commit") : HD_E_STORAGE;
}

void hd_sq_rollback(struct hd_store *s)
{
    hd_sq_batch_forget(s);
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_ROLLBACK);
    if (st && !sqlite3_get_autocommit(s->db) && hd_sq_run(s, st, "rollback"))
        hd_log(HD_LOG_ERROR, "store: rollback failed");
}

static int exec_cached(struct hd_store *s, const char *sql, const char *what)
{
    sqlite3_stmt *st = hd_sq_stmt(s, sql);
    return st ? hd_sq_run(s, st, what) : HD_E_STORAGE;
}

struct hd_sq_job {
    int (*body)(struct hd_store *, const void *);
    const void *arg;
};

/* Within a batch: the body's changes stay in the batch, or are undone alone if it fails. */
static int in_savepoint(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                        const void *arg)
{
    int err = exec_cached(s, SQL_SAVEPOINT, "savepoint");
    if (err)
        return err;
    err = body(s, arg);
    if (err)
        hd_sq_batch_forget(s);
    if (err && exec_cached(s, SQL_UNDO, "rollback to savepoint"))
        hd_log(HD_LOG_ERROR, "store: rollback to savepoint failed");
    if (exec_cached(s, SQL_RELEASE, "release savepoint") && !err)
        err = HD_E_STORAGE;
    return err;
}

int hd_sq_in_transaction(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                         const void *arg)
{
    if (s->in_job)
        return failed(s, body(s, arg));
    if (!sqlite3_get_autocommit(s->db))
        return in_savepoint(s, body, arg);
    int err = hd_sq_begin(s);
    if (err)
        return err;
    err = body(s, arg);
    if (!err)
        err = hd_sq_commit(s);
    if (err)
        hd_sq_rollback(s);
    return err;
}

/* A job of the batch: one savepoint, shared by the calls it makes (hd_sq_in_transaction). */
static int job_body(struct hd_store *s, const void *arg)
{
    const struct hd_sq_job *job = arg;
    int err = job->body(s, job->arg);
    return err ? err : s->job_undo;
}

/* A job with (savepoint true) or without a savepoint of its own. */
static int run_job(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                   const void *arg, bool savepoint)
{
    if (s->in_job)
        return hd_sq_in_transaction(s, body, arg);
    struct hd_sq_job job = {body, arg};
    s->in_job = true;
    s->job_undo = 0;
    int err = savepoint ? in_savepoint(s, job_body, &job) : job_body(s, &job);
    s->in_job = false;
    return err;
}

int hd_sqlite_in_savepoint(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                           const void *arg)
{
    return run_job(s, body, arg, true);
}

int hd_sqlite_in_job(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                     const void *arg)
{
    return run_job(s, body, arg, false);
}

/* The writer's transaction also drops what the index by user has moved out of the log. Until
 * it ends, its events' seqs are counted from the first, and the owners it checked are kept
 * (s->last_event_seq, s->owners): it holds the write lock, so only its own changes count. */
int hd_sqlite_batch_begin(struct hd_store *s)
{
    hd_sq_batch_forget(s);
    int err = hd_sq_begin(s);
    if (!err && (err = hd_sq_by_user_prune(s)))
        hd_sq_rollback(s);
    s->in_batch = !err;
    return err;
}

int hd_sqlite_batch_end(struct hd_store *s, bool commit)
{
    s->in_batch = false;
    hd_sq_batch_forget(s);
    int err = commit ? hd_sq_commit(s) : HD_E_STORAGE;
    if (err)
        hd_sq_rollback(s);
    return commit ? err : 0;
}

/* The WAL file exists from the connection's first read, and stays while any connection is
 * open (the server holds its own for its life), so its descriptor stays the file's. Its
 * directory entry is synced once, as SQLite's FULL mode would on creating it. */
int hd_sqlite_defer_sync(struct hd_store *s, int *fd)
{
    char path[PATH_MAX];
    const char *db = sqlite3_db_filename(s->db, "main");
    *fd = -1;
    if (!db || (size_t)snprintf(path, sizeof(path), "%s-wal", db) >= sizeof(path))
        return HD_E_STORAGE;
    int wal = open(path, O_RDONLY | O_CLOEXEC);
    if (wal < 0) {
        hd_log(HD_LOG_ERROR, "store: cannot open %s: %s", path, strerror(errno));
        return HD_E_STORAGE;
    }
    char *slash = strrchr(path, '/');
    if (slash)
        *slash = '\0';
    int dir = open(slash ? path : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool synced = dir >= 0 && fsync(dir) == 0;
    if (dir >= 0)
        close(dir);
    if (!synced || exec_cached(s, "PRAGMA synchronous = NORMAL", "synchronous")) {
        close(wal);
        return HD_E_STORAGE;
    }
    *fd = wal;
    return 0;
}

/* Outside a transaction, or SQLite ignores it. */
int hd_sqlite_trust_references(struct hd_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        return HD_E_STORAGE;
    return exec_cached(s, "PRAGMA foreign_keys = OFF", "foreign keys");
}

/* A busy checkpoint lock means another connection is at it: nothing to do now. */
int hd_sqlite_checkpoint(struct hd_store *s, int64_t *log_pages, int64_t *copied_pages)
{
    int log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    *log_pages = rc == SQLITE_OK && log > 0 ? log : 0;
    *copied_pages = rc == SQLITE_OK && copied > 0 ? copied : 0;
    if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return 0;
    return hd_sq_fail(s, "checkpoint");
}

/* The tail the writer copies itself, at most: what the checkpoint thread has not yet copied. */
#define LOG_TAIL_PAGES 128

static void watch_writer_log(struct hd_log_progress *p, sqlite3 *db, const char *name, int pages)
{
    long long before = atomic_exchange(&p->pages, pages);
    if (pages < before) /* the log started over: nothing of it is copied yet */
        atomic_store(&p->copied, 0);
    long long left = pages - atomic_load(&p->copied);
    if (pages < HD_LOG_PAGES || (left > LOG_TAIL_PAGES && pages < 3 * HD_LOG_PAGES))
        return;
    int log = 0, copied = 0;
    if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) == SQLITE_OK)
        atomic_store(&p->copied, copied);
    /* a busy checkpoint is retried after the next commit */
}

/* SQLite's wal hook, the connection's only one (sqlite3_wal_autocheckpoint would replace it):
 * called after each commit of one of its databases, the write lock released, with that log's
 * size in pages. */
static int after_commit_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct hd_store *s = arg;
    if (s->catalog_changed && strcmp(name, "main") == 0) {
        s->catalog_changed = false;
        if (s->catalog_counter)
            hd_sq_counter_raise(s->catalog_counter);
    }
    if (s->log_progress)
        watch_writer_log(s->log_progress, db, name, pages);
    else if (pages >= s->checkpoint_pages) /* as SQLite's automatic checkpoint does */
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

void hd_sq_checkpoint_every(struct hd_store *s, int pages)
{
    s->checkpoint_pages = pages;
}

int hd_sqlite_watch_log(struct hd_store *s, struct hd_log_progress *p)
{
    s->log_progress = p;
    return 0;
}

/* BEGIN (deferred) takes no lock: the first read starts the snapshot, COMMIT ends it. */
int hd_sq_read_begin(struct hd_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        return HD_E_STORAGE; /* inside another transaction */
    return exec_cached(s, "BEGIN", "read begin");
}

int hd_sq_read_end(struct hd_store *s)
{
    if (sqlite3_get_autocommit(s->db))
        return 0;
    return exec_cached(s, SQL_COMMIT, "read end");
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
 * so an acknowledged write survives a power cut. temp_store MEMORY keeps the savepoint journals
 * (each group-commit job is a savepoint: the pages it changes are saved first, to undo it
 * alone) in memory: on a temporary file they cost more writes than the WAL itself. */
static int configure(struct hd_store *s, char *errbuf, size_t errlen)
{
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    if (exec_sql(s, "PRAGMA journal_mode = WAL", errbuf, errlen) ||
        exec_sql(s, "PRAGMA synchronous = FULL", errbuf, errlen) ||
        exec_sql(s, "PRAGMA foreign_keys = ON", errbuf, errlen) ||
        exec_sql(s, "PRAGMA cache_size = -32000", errbuf, errlen) ||
        exec_sql(s, "PRAGMA temp_store = MEMORY", errbuf, errlen))
        return HD_E_STORAGE;
    hd_sq_checkpoint_every(s, HD_LOG_PAGES);
    sqlite3_wal_hook(s->db, after_commit_hook, s);
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

static const char SQL_SCHEMA_VERSION[] = "SELECT coalesce(max(version), 0) FROM schema_migrations";

static int schema_version(struct hd_store *s, long *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_SCHEMA_VERSION);
    if (!st)
        return HD_E_STORAGE;
    int err = sqlite3_step(st) == SQLITE_ROW ? 0 : hd_sq_fail(s, "schema version");
    *out = (long)sqlite3_column_int64(st, 0);
    hd_sq_done(st);
    return err;
}

static const char SQL_SCHEMA_RECORD[] =
    "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)";

static int apply_migration(void *ctx, const struct hd_embedded *m, long version, char *errbuf,
                           size_t errlen)
{
    struct hd_store *s = ctx;
    if (exec_sql(s, (const char *)m->data, errbuf, errlen))
        return HD_E_STORAGE;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_SCHEMA_RECORD);
    if (!st || hd_sq_bind_i64(st, 1, version) || hd_sq_bind_i64(st, 2, hd_time_now_ms()) ||
        hd_sq_run(s, st, "record migration")) {
        if (st)
            hd_sq_done(st);
        snprintf(errbuf, errlen, "cannot record migration %ld", version);
        return HD_E_STORAGE;
    }
    hd_log(HD_LOG_INFO, "store: applied %s", m->path);
    return 0;
}

/* Applies the embedded migrations newer than the schema, in order. */
static int apply_pending(struct hd_store *s, char *errbuf, size_t errlen)
{
    long current;
    if (schema_version(s, &current)) {
        snprintf(errbuf, errlen, "cannot read the schema version");
        return HD_E_STORAGE;
    }
    return hd_store_migrate(MIGRATIONS, current, apply_migration, s, errbuf, errlen);
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

/* One attempt at opening, configuring and migrating DIR/herald.db, then attaching the index by
 * user. URIs (each path encoded as one) let the index be attached read-only. */
static int open_once(const char *location, const char *path, struct hd_store **out, char *errbuf,
                     size_t errlen)
{
    struct hd_store *s = hd_xcalloc(1, sizeof(*s));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    char uri[3 * PATH_MAX + 16];
    if (!hd_sq_file_uri(path, true, uri, sizeof(uri))) {
        snprintf(errbuf, errlen, "the data directory path is too long");
        goto fail;
    }
    if (sqlite3_open_v2(uri, &s->db, flags, NULL) != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    s->catalog_counter = hd_sq_counter_map(location);
    sqlite3_update_hook(s->db, watch_catalog_hook, s);
    sqlite3_rollback_hook(s->db, rolled_back_hook, s);
    if (hd_sq_by_user_functions(s->db)) {
        snprintf(errbuf, errlen, "cannot register SQL functions: %s", sqlite3_errmsg(s->db));
        goto fail;
    }
    if (configure(s, errbuf, errlen) || migrate(s, errbuf, errlen) ||
        hd_sq_by_user_open(s, location, errbuf, errlen))
        goto fail;
    *out = s;
    return 0;
fail:
    hd_sqlite_close(s);
    return HD_E_STORAGE;
}

/* Process-wide, before the first connection: SQLite's memory statistics take one global mutex
 * on every allocation, which the loops and the writer would otherwise contend for; the page
 * cache is the default one without its walk at each commit (sqlite_pcache.c), and the VFS the
 * default one with a commit's log writes gathered into few large ones (sqlite_walbuf.c). */
static void configure_library(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (hd_sqlite_pcache_install() != 0)
        hd_log(HD_LOG_WARN, "store: SQLite was initialized early; its default page cache stays");
    if (hd_sqlite_walbuf_install() != 0)
        hd_log(HD_LOG_WARN, "store: no VFS of our own: each log frame is written by itself");
}

int hd_sqlite_open(const char *location, struct hd_store **out, char *errbuf, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_library);
    *out = NULL;
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
    /* Connections opening a brand-new file at once race to switch it to WAL, and SQLite answers
     * the loser "locked" without waiting: such a start is retried for up to a second. */
    int err = HD_E_STORAGE;
    for (int attempt = 0; attempt < OPEN_ATTEMPTS && err; attempt++) {
        if (attempt)
            usleep(OPEN_RETRY_US);
        err = open_once(location, path, out, errbuf, errlen);
    }
    return err;
}

void hd_sqlite_close(struct hd_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < HD_SQ_SLOTS; i++)
        sqlite3_finalize(s->stmts[i].st);
    if (sqlite3_close(s->db) != SQLITE_OK)
        hd_log(HD_LOG_ERROR, "store: close: %s", sqlite3_errmsg(s->db));
    hd_sq_counter_unmap(s->catalog_counter);
    free(s);
}

/* ---- server secret ---- */

static bool read_secret(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    return hd_sq_col_blob(st, 0, out, HD_SECRET_LEN);
}

static const char SQL_SECRET_INSERT[] =
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('" SECRET_KEY "', ?1)";
static const char SQL_SECRET_GET[] = "SELECT value FROM meta WHERE key = '" SECRET_KEY "'";

/* INSERT OR IGNORE then read back: of two processes creating it at once, both get the winner's. */
int hd_sqlite_server_secret(struct hd_store *s, unsigned char out[HD_SECRET_LEN])
{
    sqlite3_stmt *get = hd_sq_stmt(s, SQL_SECRET_GET), *ins = hd_sq_stmt(s, SQL_SECRET_INSERT);
    if (!get || !ins)
        return HD_E_STORAGE;
    int err = hd_sq_fetch(s, get, read_secret, NULL, out, "server secret");
    if (err != HD_E_NOT_FOUND)
        return err;
    unsigned char fresh[HD_SECRET_LEN];
    hd_random_bytes(fresh, sizeof(fresh));
    err = hd_sq_bind_blob(ins, 1, fresh, sizeof(fresh)) ? hd_sq_bind_failed(s, ins, "server secret")
                                                        : hd_sq_run(s, ins, "server secret");
    explicit_bzero(fresh, sizeof(fresh));
    return err ? err : hd_sq_fetch(s, get, read_secret, NULL, out, "server secret");
}

/* ---- first start ---- */

static const char SQL_FIRST_START[] =
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('first_start', x'01')";

int hd_sqlite_first_start_claim(struct hd_store *s, bool *claimed)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_FIRST_START);
    *claimed = false;
    if (!st)
        return HD_E_STORAGE;
    int err = hd_sq_run(s, st, "first start");
    *claimed = !err && sqlite3_changes(s->db) == 1;
    return err;
}
