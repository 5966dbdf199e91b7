/* sqlite_by_user.c: the index of direct targets by user, in DIR/herald-by-user.db, attached to
 * every connection as by_user.
 *
 * Why a file of its own: indexed in herald.db, each trigger wrote one random leaf of that index
 * to the log, synced it and copied it back, a third of the trigger rate. Now a trigger appends
 * its targets to target_log, at the right edge (sqlite_notifications.c); a thread of its own
 * (the checkpoint thread, checkpointer.h) moves them, sorted and many at a time, into
 * by_user.targets, outside the writer's lock; the writer then drops what was moved
 * (hd_sq_by_user_prune).
 *
 * by_user.progress.moved is the highest seq of target_log in the index, committed (and synced)
 * with the rows it covers. A reader takes the index plus the log's rows past moved, in one
 * statement: SQLite starts a statement's snapshots in the order of the schemas, main first, so
 * whatever the writer has dropped from the log by then is below the moved the reader sees.
 * A row of the log without notification_id is an end user's erasure: the move deletes their
 * rows first, then adds the ones logged after it. Readers also check each indexed row against
 * notification_users, so an erased user is gone at once, not at the next move.
 *
 * Every connection attaches the index read-only, so that BEGIN IMMEDIATE locks herald.db alone;
 * only opening (which checks the index, and builds it when it is missing or was built from
 * another database or a later state of this one) and the mover attach it writable.
 *
 * The index is keyed by a 63-bit hash of (system, user) (hd_sq_user_key), not by their texts:
 * rows half as long, compared as integers first, took a quarter off the work of the thread
 * that moves them (15.3-16.3 -> 11.8-12.0 us per trigger, bench/README.md). A hash
 * is never trusted alone: a reader keeps a row only if notification_users has that very system
 * and user for its notification, and an erasure drops only the rows whose notification has no
 * target of that key left, so two people whose keys collide never see nor lose each other's. */
#include "store/sqlite_db.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"

#define BY_USER_FILE "herald-by-user.db"
/* The writer drops at most this many moved rows of the log per batch, so that no batch waits
 * on a long delete. */
#define PRUNE_MAX 1024
/* Between moves there is nothing to drop, so the writer prunes after each move of this process
 * (moves_made), and once a second for the moves of other processes: reading the index's
 * progress at every batch was 4% of the writer. */
#define PRUNE_EVERY_MS 1000
/* The index's log (16 MB): each move rewrites the same hot leaves, which a checkpoint then
 * copies once for several moves. Against SQLite's default of 1,000 pages of 4 KB: the checkpoint
 * thread 16.0-16.6 -> 13.7-14.5 us per trigger; four times as much did no better. */
#define INDEX_LOG_BYTES (16 << 20)
/* A move rewrites one leaf per user it touches, and syncs its commit: at 4 KB a leaf (SQLite's
 * default), a move of 1,000 users' targets wrote 4 MB, and its sync (~10 ms) held up the syncs
 * of the triggers' log queued behind it on the disk. In 1 KB leaves (some 20 rows each) a move
 * writes a quarter: with the mover's cache below, the triggers' p99 20.0 -> 16.0 ms and +8%
 * triggers/s (bench/README.md). An index built with other pages keeps them until it is built
 * again (removed while herald is stopped). */
#define INDEX_PAGE_SIZE 1024

/* ---- the key of a (system, user) ---- */

/* FNV-1a, 64 bits, over system_id, a zero byte and end_user_id; the top bit dropped, so that
 * SQLite stores it as a positive integer. Kept in the file: changing it means a new format. */
int64_t hd_sq_user_key(const char *system_id, const char *end_user_id)
{
    uint64_t h = 14695981039346656037ULL;
    const char *parts[] = {system_id, end_user_id};
    for (size_t i = 0; i < 2; i++) {
        for (const unsigned char *c = (const unsigned char *)parts[i]; *c; c++)
            h = (h ^ *c) * 1099511628211ULL;
        h *= 1099511628211ULL; /* the zero byte after each part */
    }
    return (int64_t)(h >> 1);
}

static void user_key_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *system_id = (const char *)sqlite3_value_text(argv[0]);
    const char *end_user_id = (const char *)sqlite3_value_text(argv[1]);
    if (!system_id || !end_user_id)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_int64(ctx, hd_sq_user_key(system_id, end_user_id));
}

int hd_sq_by_user_functions(sqlite3 *db)
{
    return sqlite3_create_function(db, "hd_user_key", 2,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                   user_key_sql, NULL, NULL) == SQLITE_OK
               ? 0
               : HD_E_STORAGE;
}

/* ---- attaching ---- */

/* The primary result code of this thread's last failure to attach or to run SQL here. */
static __thread int exec_failure;

bool hd_sq_file_uri(const char *path, bool writable, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = (size_t)snprintf(out, cap, "file:");
    for (const unsigned char *c = (const unsigned char *)path; *c && n + 4 < cap; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("/._~-", *c)) {
            out[n++] = (char)*c;
        } else {
            out[n++] = '%';
            out[n++] = hex[*c >> 4];
            out[n++] = hex[*c & 15];
        }
    }
    if (n + 4 >= cap)
        return false;
    out[n] = '\0';
    return writable || (size_t)snprintf(out + n, cap - n, "?mode=ro") < cap - n;
}

static int exec(struct hd_store *s, const char *sql, char *errbuf, size_t errlen)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    exec_failure = sqlite3_errcode(s->db);
    snprintf(errbuf, errlen, "index by user: %s", sqlite3_errmsg(s->db));
    return HD_E_STORAGE;
}

static int attach(struct hd_store *s, const char *path, bool writable, char *errbuf, size_t errlen)
{
    char uri[3 * PATH_MAX + 16];
    if (!hd_sq_file_uri(path, writable, uri, sizeof(uri))) {
        snprintf(errbuf, errlen, "the data directory path is too long");
        return HD_E_STORAGE;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "ATTACH ?1 AS by_user", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    if (rc != SQLITE_OK)
        exec_failure = sqlite3_errcode(s->db);
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path, sqlite3_errmsg(s->db));
        return HD_E_STORAGE;
    }
    s->by_user_writable = writable;
    return 0;
}

/* Attached anew, writable or not; outside any transaction. */
static int reattach(struct hd_store *s, bool writable, char *errbuf, size_t errlen)
{
    char path[PATH_MAX];
    const char *now = sqlite3_db_filename(s->db, "by_user");
    if (!now || (size_t)snprintf(path, sizeof(path), "%s", now) >= sizeof(path)) {
        snprintf(errbuf, errlen, "the index by user is not attached");
        return HD_E_STORAGE;
    }
    return exec(s, "DETACH by_user", errbuf, errlen) || attach(s, path, writable, errbuf, errlen) ||
           (writable && exec(s, "PRAGMA by_user.synchronous = FULL", errbuf, errlen));
}

/* The index's page size; 0 when it cannot be read. */
static int index_page_size(struct hd_store *s)
{
    sqlite3_stmt *st = NULL;
    int size = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA by_user.page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        size = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return size;
}

/* The mover's cache of the index (16 MB; SQLite's default is 2): a move touches a leaf per user
 * and the pages above them, which did not fit, so that each move read them all again. With it
 * and the 1 KB pages, the checkpoint thread's work per trigger is what it was at 4 KB. */
static const char SQL_MOVER_CACHE[] = "PRAGMA by_user.cache_size = -16000";

/* The mover's connection: the index attached writable, and its log copied into it every
 * INDEX_LOG_BYTES (the connection only reads herald.db, so this is the index's alone). */
static int become_mover(struct hd_store *s)
{
    char errbuf[256] = "index by user: cannot set its checkpoint";
    int page_size = 0;
    if (reattach(s, true, errbuf, sizeof(errbuf)) || (page_size = index_page_size(s)) <= 0 ||
        exec(s, SQL_MOVER_CACHE, errbuf, sizeof(errbuf))) {
        hd_log(HD_LOG_ERROR, "store: %s", errbuf);
        return HD_E_STORAGE;
    }
    hd_sq_checkpoint_every(s, INDEX_LOG_BYTES / page_size);
    return 0;
}

/* ---- checking and building ---- */

static const char SQL_SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS by_user.targets ("
    " user_key INTEGER NOT NULL, notification_id TEXT NOT NULL,"
    " PRIMARY KEY (user_key, notification_id)) STRICT, WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS by_user.progress ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), instance TEXT NOT NULL, moved INTEGER NOT NULL)"
    " STRICT;";
/* The log's last seq ever: a restored older copy of herald.db has a lower one. */
#define LOGGED   "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'target_log'), 0)"
#define INSTANCE "(SELECT value FROM store_meta WHERE name = 'instance')"
static const char SQL_CURRENT[] = "SELECT count(*) FROM by_user.progress"
                                  " WHERE instance = " INSTANCE " AND moved <= " LOGGED;
static const char SQL_BUILD[] =
    "DELETE FROM by_user.targets;"
    "INSERT OR IGNORE INTO by_user.targets (user_key, notification_id)"
    " SELECT hd_user_key(system_id, end_user_id), notification_id FROM notification_users"
    " ORDER BY 1, 2;"
    "INSERT OR REPLACE INTO by_user.progress (id, instance, moved)"
    " VALUES (1, " INSTANCE ", " LOGGED ");";

/* *yes: the one-row query sql answers 1. */
static int ask(struct hd_store *s, const char *sql, bool *yes, char *errbuf, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        *yes = sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    exec_failure = sqlite3_errcode(s->db);
    snprintf(errbuf, errlen, "index by user: %s", sqlite3_errmsg(s->db));
    return HD_E_STORAGE;
}

static int index_is_current(struct hd_store *s, bool *current, char *errbuf, size_t errlen)
{
    return ask(s, SQL_CURRENT, current, errbuf, errlen);
}

/* The first format, keyed by the texts of system and user: dropped and built again. */
static const char SQL_OLD_FORMAT[] =
    "SELECT count(*) FROM pragma_table_info('targets', 'by_user') WHERE name = 'system_id'";

static int is_old_format(struct hd_store *s, bool *old, char *errbuf, size_t errlen)
{
    return ask(s, SQL_OLD_FORMAT, old, errbuf, errlen);
}

/* In one transaction that holds both files' write locks: builds the index from
 * notification_users unless it is current. The sort spills to temporary files, so that its
 * memory stays bounded whatever the number of targets (in memory, 2 million took 290 MB). */
static int check_index(struct hd_store *s, char *errbuf, size_t errlen)
{
    bool current = false, old = false;
    int err = exec(s, "BEGIN IMMEDIATE", errbuf, errlen) ||
              is_old_format(s, &old, errbuf, errlen) ||
              (old && exec(s, "DROP TABLE by_user.targets", errbuf, errlen)) ||
              exec(s, SQL_SCHEMA, errbuf, errlen) ||
              (!old && index_is_current(s, &current, errbuf, errlen));
    if (!err && !current) {
        hd_log(HD_LOG_INFO, "store: building the index of targets by user (%s)", BY_USER_FILE);
        err = exec(s, "PRAGMA temp_store = FILE", errbuf, errlen) ||
              exec(s, SQL_BUILD, errbuf, errlen);
        sqlite3_exec(s->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL); /* as configured */
    }
    if (!err)
        err = exec(s, "COMMIT", errbuf, errlen);
    if (err && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

/* A new file takes INDEX_PAGE_SIZE (before its first table; an existing file keeps its own,
 * which is said once at start). */
static int set_page_size(struct hd_store *s, char *errbuf, size_t errlen)
{
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA by_user.page_size = %d", INDEX_PAGE_SIZE);
    return exec(s, sql, errbuf, errlen);
}

static void tell_page_size(struct hd_store *s, const char *path)
{
    static atomic_bool told;
    int size = index_page_size(s);
    if (size != INDEX_PAGE_SIZE && !atomic_exchange(&told, true))
        hd_log(HD_LOG_INFO,
               "store: %s has pages of %d bytes; removed while herald is stopped, it is built "
               "again in pages of %d, which sync faster under load",
               path, size, INDEX_PAGE_SIZE);
}

/* Attached writable, checked, built if need be. FULL: the writer drops the log's rows once the
 * index says it has them. */
static int open_index(struct hd_store *s, const char *path, char *errbuf, size_t errlen)
{
    exec_failure = SQLITE_OK;
    int err = attach(s, path, true, errbuf, errlen) || set_page_size(s, errbuf, errlen) ||
              exec(s, "PRAGMA by_user.journal_mode = WAL", errbuf, errlen) ||
              exec(s, "PRAGMA by_user.synchronous = FULL", errbuf, errlen) ||
              check_index(s, errbuf, errlen);
    if (!err)
        tell_page_size(s, path);
    return err;
}

/* The index file and its log and shared memory, gone. */
static void remove_index(struct hd_store *s, const char *path)
{
    if (sqlite3_db_filename(s->db, "by_user"))
        sqlite3_exec(s->db, "DETACH by_user", NULL, NULL, NULL);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char file[PATH_MAX + 8];
        snprintf(file, sizeof(file), "%s%s", path, suffixes[i]);
        unlink(file);
    }
}

/* An index file that SQLite cannot read (not a database, or damaged where opening reads) is
 * derived data: it is removed and built again. */
int hd_sq_by_user_open(struct hd_store *s, const char *location, char *errbuf, size_t errlen)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", location, BY_USER_FILE) >= sizeof(path)) {
        snprintf(errbuf, errlen, "the data directory path is too long");
        return HD_E_STORAGE;
    }
    int err = open_index(s, path, errbuf, errlen);
    if (err && (exec_failure == SQLITE_CORRUPT || exec_failure == SQLITE_NOTADB)) {
        hd_log(HD_LOG_WARN, "store: %s cannot be read (%s): building it again", BY_USER_FILE,
               errbuf);
        remove_index(s, path);
        err = open_index(s, path, errbuf, errlen);
    }
    return err || reattach(s, false, errbuf, errlen);
}

/* ---- moving and dropping ---- */

/* Moves made by this process, whatever the store: a hint for the writer's prunes. */
static atomic_uint_least64_t moves_made;

static const char SQL_MOVED[] = "SELECT moved FROM by_user.progress";
static const char SQL_MOVE_UPTO[] = "SELECT coalesce(max(seq), 0), count(*) FROM"
                                    " (SELECT seq FROM target_log WHERE seq > ?1 ORDER BY seq"
                                    " LIMIT ?2)";
/* The erased users' rows: those of their keys whose notification has no target of that key
 * left (the erasure deleted the user's; another user's of the same key keeps the row). */
static const char SQL_MOVE_ERASE[] =
    "DELETE FROM by_user.targets AS t WHERE user_key IN"
    " (SELECT hd_user_key(system_id, end_user_id) FROM target_log"
    "  WHERE seq > ?1 AND seq <= ?2 AND notification_id IS NULL)"
    " AND NOT EXISTS (SELECT 1 FROM notification_users nu WHERE nu.notification_id ="
    "  t.notification_id AND hd_user_key(nu.system_id, nu.end_user_id) = t.user_key)";
static const char SQL_MOVE_ADD[] =
    "INSERT OR IGNORE INTO by_user.targets (user_key, notification_id)"
    " SELECT hd_user_key(system_id, end_user_id), notification_id FROM target_log"
    " WHERE seq > ?1 AND seq <= ?2 AND notification_id IS NOT NULL ORDER BY 1, 2";
static const char SQL_MOVE_MARK[] = "UPDATE by_user.progress SET moved = ?2 WHERE moved = ?1";
static const char SQL_BEGIN_DEFERRED[] = "BEGIN";
static const char SQL_END[] = "COMMIT";
static const char SQL_UNDO[] = "ROLLBACK";

/* Runs sql with ?1 a and ?2 b (those it has); out[i], when asked, gets column i of n. */
static int step_i64(struct hd_store *s, const char *sql, int64_t a, int64_t b, int64_t *out, int n,
                    const char *what)
{
    sqlite3_stmt *st = hd_sq_stmt(s, sql);
    if (!st)
        return HD_E_STORAGE;
    int params = sqlite3_bind_parameter_count(st);
    if ((params >= 1 && hd_sq_bind_i64(st, 1, a)) || (params >= 2 && hd_sq_bind_i64(st, 2, b)))
        return hd_sq_bind_failed(s, st, what);
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hd_sq_fail(s, what);
    for (int i = 0; i < n; i++)
        out[i] = rc == SQLITE_ROW ? sqlite3_column_int64(st, i) : 0;
    hd_sq_done(st);
    return err;
}

static int run_range(struct hd_store *s, const char *sql, int64_t from, int64_t upto,
                     const char *what)
{
    return step_i64(s, sql, from, upto, NULL, 0, what);
}

/* HD_E_CONFLICT if another connection moved the same rows meanwhile: this move is undone. */
static int mark_moved(struct hd_store *s, int64_t from, int64_t upto)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_MOVE_MARK);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_i64(st, 1, from) || hd_sq_bind_i64(st, 2, upto))
        return hd_sq_bind_failed(s, st, "index by user mark");
    int err = hd_sq_run_changed(s, st, "index by user mark");
    return err == HD_E_NOT_FOUND ? HD_E_CONFLICT : err;
}

/* The move itself, inside a deferred transaction: herald.db is only read. */
static int move_range(struct hd_store *s, size_t max, size_t *moved)
{
    int64_t from, upto_rows[2];
    int err = step_i64(s, SQL_MOVED, 0, 0, &from, 1, "index by user") ||
              step_i64(s, SQL_MOVE_UPTO, from, max > INT64_MAX ? INT64_MAX : (int64_t)max,
                       upto_rows, 2, "index by user");
    int64_t upto = upto_rows[0];
    if (err || upto_rows[1] == 0)
        return err;
    err = run_range(s, SQL_MOVE_ERASE, from, upto, "index by user erase") ||
          run_range(s, SQL_MOVE_ADD, from, upto, "index by user move") || mark_moved(s, from, upto);
    if (!err)
        *moved = (size_t)upto_rows[1];
    return err;
}

int hd_sqlite_targets_move(struct hd_store *s, size_t max, size_t *moved)
{
    *moved = 0;
    if (!s->by_user_writable && become_mover(s))
        return HD_E_STORAGE;
    sqlite3_stmt *begin = hd_sq_stmt(s, SQL_BEGIN_DEFERRED), *end = hd_sq_stmt(s, SQL_END);
    if (!begin || !end || hd_sq_run(s, begin, "index by user begin"))
        return HD_E_STORAGE;
    int err = move_range(s, max, moved);
    if (!err)
        err = hd_sq_run(s, end, "index by user commit");
    if (!err && *moved)
        atomic_fetch_add(&moves_made, 1);
    if (err) {
        *moved = 0;
        sqlite3_stmt *undo = hd_sq_stmt(s, SQL_UNDO);
        if (undo && !sqlite3_get_autocommit(s->db) && hd_sq_run(s, undo, "index by user undo"))
            hd_log(HD_LOG_ERROR, "store: rollback failed");
    }
    return err;
}

static const char SQL_PRUNE[] =
    "DELETE FROM target_log WHERE seq <= min((SELECT moved FROM by_user.progress),"
    " (SELECT min(seq) FROM target_log) + ?1 - 1)";

/* Whether the last prune failed, so that a failing index is logged once, not at each batch. */
static atomic_bool prune_failing;

/* Whether the log may hold moved rows that this connection has not dropped yet. */
static bool prune_due(const struct hd_store *s, uint64_t moves, int64_t now)
{
    return moves != s->pruned_after_moves || now - s->pruned_at_ms >= PRUNE_EVERY_MS ||
           now < s->pruned_at_ms;
}

int hd_sq_by_user_prune(struct hd_store *s)
{
    uint64_t moves = atomic_load(&moves_made);
    int64_t now = hd_time_mono_ms();
    if (!prune_due(s, moves, now))
        return 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_PRUNE);
    int rc = !st || hd_sq_bind_i64(st, 1, PRUNE_MAX) ? SQLITE_ERROR : sqlite3_step(st);
    bool failed = rc != SQLITE_DONE;
    if (!failed && sqlite3_changes(s->db) < PRUNE_MAX) { /* dropped all there was */
        s->pruned_after_moves = moves;
        s->pruned_at_ms = now;
    }
    if (failed != atomic_exchange(&prune_failing, failed))
        hd_log(failed ? HD_LOG_ERROR : HD_LOG_INFO,
               "store: dropping moved targets from the log: %s",
               failed ? sqlite3_errmsg(s->db) : "works again");
    if (st)
        hd_sq_done(st);
    /* the log only grows meanwhile; but a failure that ended the transaction ends the batch */
    return failed && sqlite3_get_autocommit(s->db) ? HD_E_STORAGE : 0;
}
