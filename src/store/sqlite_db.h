/* sqlite_db.h: what the SQLite store's files share; never included outside src/store/.
 *
 * Each sqlite_*.c file declares its SQL as `static const char SQL_X[]` next to the function that
 * runs it and gets the prepared statement from hd_sq_stmt(), which caches it by the text's address
 * on the connection. Adding a store function therefore touches only its own file. Every value is
 * bound, and every statement is reset (hd_sq_done) as soon as it has been read, so a connection
 * never holds a read snapshot open between calls. */
#ifndef HD_STORE_SQLITE_DB_H
#define HD_STORE_SQLITE_DB_H

#include <sqlite3.h>

#include "store/store_impl.h"

/* The statement for sql, which must have static storage (its address is the cache key):
 * prepared with SQLITE_PREPARE_PERSISTENT on first use; NULL (logged) if preparing fails.
 * Aborts if the cache is full, which is a programming error. Owned by s until hd_store_close. */
sqlite3_stmt *hd_sq_stmt(struct hd_store *s, const char *sql);

/* Forgets what the writer's batch counts on (its next event seq, the owners it checked): after
 * anything is undone or fails. */
void hd_sq_batch_forget(struct hd_store *s);

/* Maps the connection's last error to an hd_err; logs the ones that are not the caller's. The
 * message names tables and columns, never bound values. */
int hd_sq_fail(struct hd_store *s, const char *what);

/* Logs a stored value of the wrong type or size; returns HD_E_STORAGE. */
int hd_sq_corrupt(const char *what) HD_WUR;

/* Ends a use of st: releases its read snapshot and the borrowed (SQLITE_STATIC) values. */
void hd_sq_done(sqlite3_stmt *st);

/* Bind parameter i; texts and blobs are borrowed until hd_sq_done. A NULL text binds NULL. */
int hd_sq_bind_text(sqlite3_stmt *st, int i, const char *v) HD_WUR;
int hd_sq_bind_i64(sqlite3_stmt *st, int i, int64_t v) HD_WUR;
/* Clamps v to INT64_MAX. */
int hd_sq_bind_size(sqlite3_stmt *st, int i, size_t v) HD_WUR;
/* A time of 0 ("not yet") is stored as NULL; reading NULL back as an integer gives 0. */
int hd_sq_bind_time(sqlite3_stmt *st, int i, int64_t v) HD_WUR;
int hd_sq_bind_blob(sqlite3_stmt *st, int i, const void *v, size_t n) HD_WUR;

/* A copy of text column i in the arena, or NULL for SQL NULL. */
const char *hd_sq_col_str(sqlite3_stmt *st, int i, struct hd_arena *ar);
/* Copies text column i into a fixed array; false if NULL or if it does not fit. */
bool hd_sq_col_copy(sqlite3_stmt *st, int i, char *dst, size_t cap);
/* Copies blob column i of exactly len bytes; false otherwise. */
bool hd_sq_col_blob(sqlite3_stmt *st, int i, void *dst, size_t len);

/* After a bind failed: logs, resets st, returns HD_E_STORAGE (never a caller's error). */
int hd_sq_bind_failed(struct hd_store *s, sqlite3_stmt *st, const char *what) HD_WUR;

/* Steps a statement that returns no row, then resets it. */
int hd_sq_run(struct hd_store *s, sqlite3_stmt *st, const char *what) HD_WUR;

/* Like hd_sq_run(), and HD_E_NOT_FOUND when the statement changed no row. */
int hd_sq_run_changed(struct hd_store *s, sqlite3_stmt *st, const char *what) HD_WUR;

/* Fills out from the current row; false when a value is NULL, too long or mis-sized. */
typedef bool (*hd_sq_row_reader)(sqlite3_stmt *st, struct hd_arena *ar, void *out);

/* A row reader for a query whose first column is an integer: out is an int64_t. */
bool hd_sq_read_i64(sqlite3_stmt *st, struct hd_arena *ar, void *out);

/* Steps a query for one row and fills out with read(); HD_E_NOT_FOUND without a row. */
int hd_sq_fetch(struct hd_store *s, sqlite3_stmt *st, hd_sq_row_reader read, struct hd_arena *ar,
                void *out, const char *what) HD_WUR;

/* Steps a query for up to max rows into the array out of elements of size size. */
int hd_sq_fetch_many(struct hd_store *s, sqlite3_stmt *st, hd_sq_row_reader read,
                     struct hd_arena *ar, void *out, size_t size, size_t max, size_t *count,
                     const char *what) HD_WUR;

/* Several reads as one snapshot: BEGIN (deferred; the first read starts the snapshot), and
 * COMMIT. Only reads may run in between. */
int hd_sq_read_begin(struct hd_store *s) HD_WUR;
int hd_sq_read_end(struct hd_store *s) HD_WUR;

/* BEGIN IMMEDIATE: takes the write lock up front instead of failing on upgrade. */
int hd_sq_begin(struct hd_store *s) HD_WUR;
/* COMMIT the transaction hd_sq_begin opened. */
int hd_sq_commit(struct hd_store *s) HD_WUR;
/* ROLLBACK if a transaction is open; logs a failure. */
void hd_sq_rollback(struct hd_store *s);

/* Runs body(s, arg) inside BEGIN IMMEDIATE; commits if it returns 0, else rolls back. Inside a
 * batch (hd_store_batch_begin) it is a savepoint of the batch instead. */
int hd_sq_in_transaction(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                         const void *arg) HD_WUR;

/* A "file:" URI naming path, every byte outside the unreserved set percent-encoded, with
 * "?mode=ro" unless writable; false if it does not fit in cap. */
bool hd_sq_file_uri(const char *path, bool writable, char *out, size_t cap);
/* The index by user's key of (system, user): a hash, which readers check against
 * notification_users (sqlite_by_user.c). */
int64_t hd_sq_user_key(const char *system_id, const char *end_user_id);
/* Registers hd_user_key(system_id, end_user_id), the same in SQL, on db. */
int hd_sq_by_user_functions(sqlite3 *db) HD_WUR;

/* SQLite's automatic checkpoint of each of the connection's databases once its log is past
 * pages (HD_LOG_PAGES unless set), after a commit; the writer's connection does its own
 * (hd_store_watch_log). Never call sqlite3_wal_autocheckpoint or sqlite3_wal_hook: the
 * connection's wal hook also raises the catalog's counter (sqlite_catalog_counter.h). */
void hd_sq_checkpoint_every(struct hd_store *s, int pages);

/* Attaches DIR/herald-by-user.db as by_user, read-only, after checking it (and building it from
 * notification_users when it is missing or stale); herald.db must be migrated. */
int hd_sq_by_user_open(struct hd_store *s, const char *location, char *errbuf, size_t errlen);

/* Inside the writer's transaction: drops up to 1,024 rows of target_log that the index has. A
 * failure is logged (once) and ignored, unless it ended the transaction: HD_E_STORAGE then. */
int hd_sq_by_user_prune(struct hd_store *s) HD_WUR;

/* Sorts after every id we issue (hex digits and '-'): the cursor of a first page. */
#define CURSOR_MAX "~"

/* The user's targets, fan-out on read: direct ones (the index by user, checked against
 * notification_users, plus the log's rows it does not have yet: sqlite_by_user.c) UNION those of
 * their audiences, through covering indexes on (system_id, end_user_id); ?1 system, ?2 user, ?3
 * exclusive upper id bound. CROSS JOIN keeps this set the outer loop, so no query walks a
 * system's notifications. */
#define TARGETS_WITH                                                                               \
    "WITH targets(nid) AS ("                                                                       \
    " SELECT bu.notification_id FROM by_user.targets bu"                                           \
    "  WHERE bu.user_key = hd_user_key(?1, ?2) AND bu.notification_id < ?3"                        \
    "  AND EXISTS (SELECT 1 FROM notification_users nu WHERE nu.notification_id ="                 \
    "   bu.notification_id AND nu.end_user_id = ?2 AND nu.system_id = ?1)"                         \
    " UNION"                                                                                       \
    " SELECT notification_id FROM target_log"                                                      \
    "  WHERE seq > (SELECT moved FROM by_user.progress) AND system_id = ?1"                        \
    "  AND end_user_id = ?2 AND notification_id < ?3"                                              \
    " UNION"                                                                                       \
    " SELECT na.notification_id FROM audience_members am"                                          \
    "  JOIN notification_audiences na ON na.audience_id = am.audience_id"                          \
    "  WHERE am.system_id = ?1 AND am.end_user_id = ?2 AND na.notification_id < ?3) "
/* Reads NOTIF_COLS (as columns 0..14) into n; targeted is left 0 (only the management queries
 * select it). False when a required value is missing. */
bool hd_sq_read_notification(sqlite3_stmt *st, struct hd_arena *ar, struct hd_notification *n);

/* The seq for the next event, a start or a retraction (sqlite_notifications.c): past every seq
 * used; in the writer's batch, read at its first event and counted on from there. */
int hd_sq_next_seq(struct hd_store *s, int64_t *seq) HD_WUR;

#endif
