/* pg_db.h: what the PostgreSQL store's files share; never included outside src/store/.
 *
 * Each pg_*.c file declares its SQL as `static const char SQL_X[]` next to the function that
 * runs it, with $1, $2… placeholders, and runs it with hd_pg_run / hd_pg_fetch / hd_pg_query:
 * the statement is prepared once per connection, keyed by the text's address (as sqlite_db.h).
 * Every value is a bound parameter, sent as text (bytea as binary); results come back as text.
 *
 * Errors: a unique violation is HD_E_CONFLICT, a foreign-key violation HD_E_NOT_FOUND, a lost
 * connection (or a deadlock / serialization failure) HD_E_UNAVAILABLE — the API answers 503
 * with Retry-After, and the next call reconnects; anything else is logged and HD_E_STORAGE.
 * A connection lost inside a transaction loses the whole transaction: nothing is half-written.
 *
 * Several nodes share the database, so a read-then-write must not assume nobody else writes in
 * between: use one statement (INSERT … ON CONFLICT, UPDATE … WHERE state, … RETURNING), or lock
 * the row first (SELECT … FOR UPDATE) inside hd_pg_in_transaction. */
#ifndef HD_STORE_PG_DB_H
#define HD_STORE_PG_DB_H

#include <libpq-fe.h>

#include "store/store_impl.h"

/* Prepared-statement slots per connection: a power of two, well above the statements. */
#define HD_PG_SLOTS 256

struct hd_pg {
    PGconn *conn;
    char *conninfo;
    const char *prepared[HD_PG_SLOTS]; /* SQL addresses prepared as "s<slot>" on conn */
    int tx_depth;                      /* 0 outside a transaction; batch and calls nest */
    bool in_job;            /* inside a group-commit job's savepoint (hd_pg_in_savepoint) */
    int job_undo;           /* the first error of a call in the job: the whole job is undone */
    bool broken;            /* the connection failed: reconnect before the next call */
    bool listening;         /* LISTEN herald_events was issued on this connection */
    int64_t next_reconnect; /* monotonic ms: no reconnect attempt before */
};

/* ---- parameters ---- */
/* Room for the audience rules' statements (pg_audiences.c): 4 of their own, and the rules'. */
#define HD_PG_PARAMS_MAX 48
struct hd_pg_params {
    int n;
    const char *values[HD_PG_PARAMS_MAX];
    int lengths[HD_PG_PARAMS_MAX];
    int formats[HD_PG_PARAMS_MAX];
    char numbers[HD_PG_PARAMS_MAX][24];
};
/* Each appends the next parameter ($1, $2, … in call order). Texts and bytes are borrowed until
 * the statement has run. Aborts past HD_PG_PARAMS_MAX (a programming error). */
void hd_pg_text(struct hd_pg_params *p, const char *v); /* NULL binds NULL */
void hd_pg_i64(struct hd_pg_params *p, int64_t v);
void hd_pg_size(struct hd_pg_params *p, size_t v);  /* clamped to INT64_MAX */
void hd_pg_time(struct hd_pg_params *p, int64_t v); /* 0 ("not yet") binds NULL */
void hd_pg_bool(struct hd_pg_params *p, bool v);
void hd_pg_bytes(struct hd_pg_params *p, const void *v, size_t n); /* a bytea */
/* A text[] of n strings, NULL ones as SQL NULL (use as `= ANY($k::text[])` or
 * `unnest($k::text[])`), built in ar. */
void hd_pg_text_array(struct hd_pg_params *p, struct hd_arena *ar, const char *const *v, size_t n);

/* ---- running statements ---- */
/* Runs sql (static storage: its address keys the prepared statement) with p (NULL: none).
 * Returns the result, to PQclear(), with *err 0; or NULL with *err set (see above). */
PGresult *hd_pg_query(struct hd_store *s, const char *sql, const struct hd_pg_params *p,
                      const char *what, int *err);
/* Like hd_pg_query, for a text assembled at run time (the audience rules, rules.h): sql need not
 * be static; it is parsed and planned for this one run, with the parameters' values. */
PGresult *hd_pg_query_once(struct hd_store *s, const char *sql, const struct hd_pg_params *p,
                           const char *what, int *err);
/* Runs a statement for its effect; *changed (if not NULL) gets the rows it changed. */
int hd_pg_run(struct hd_store *s, const char *sql, const struct hd_pg_params *p, const char *what,
              int64_t *changed) HD_WUR;
/* Like hd_pg_run, and HD_E_NOT_FOUND when the statement changed no row. */
int hd_pg_run_changed(struct hd_store *s, const char *sql, const struct hd_pg_params *p,
                      const char *what) HD_WUR;

/* Fills out from row `row` of r; false when a value is NULL, too long or mis-sized. */
typedef bool (*hd_pg_row_reader)(const PGresult *r, int row, struct hd_arena *ar, void *out);
/* Runs a query for one row into out; HD_E_NOT_FOUND without a row. */
int hd_pg_fetch(struct hd_store *s, const char *sql, const struct hd_pg_params *p,
                hd_pg_row_reader read, struct hd_arena *ar, void *out, const char *what) HD_WUR;
/* Runs a query for up to max rows into the array out of elements of size size. */
int hd_pg_fetch_many(struct hd_store *s, const char *sql, const struct hd_pg_params *p,
                     hd_pg_row_reader read, struct hd_arena *ar, void *out, size_t size, size_t max,
                     size_t *count, const char *what) HD_WUR;
/* Runs a query whose first row's first column is an integer into *v (0 for NULL or no row). */
int hd_pg_fetch_i64(struct hd_store *s, const char *sql, const struct hd_pg_params *p, int64_t *v,
                    const char *what) HD_WUR;

/* ---- reading values ---- */
bool hd_pg_is_null(const PGresult *r, int row, int col);
/* A copy in the arena, or NULL for SQL NULL. */
const char *hd_pg_col_str(const PGresult *r, int row, int col, struct hd_arena *ar);
/* Copies a text column into a fixed array; false if NULL or if it does not fit. */
bool hd_pg_col_copy(const PGresult *r, int row, int col, char *dst, size_t cap);
/* An integer column; NULL reads as 0 (a time "not yet"). */
int64_t hd_pg_col_i64(const PGresult *r, int row, int col);
bool hd_pg_col_bool(const PGresult *r, int row, int col); /* 't' */
/* Copies a bytea column of exactly len bytes; false otherwise. */
bool hd_pg_col_bytes(const PGresult *r, int row, int col, void *dst, size_t len);

/* ---- transactions ---- */
/* Runs body(s, arg) in a transaction (a savepoint when one is open): commits (releases) if it
 * returns 0, else rolls back to where it began. Inside a group-commit job it shares the job's
 * savepoint instead (each savepoint costs two round trips): if it fails, the whole job is
 * undone with its error, even if the job went on. */
int hd_pg_in_transaction(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                         const void *arg) HD_WUR;

/* Sorts after every id we issue (hex digits and '-'): the cursor of a first page. */
#define HD_PG_CURSOR_MAX "~"

/* The user's targets, fan-out on read: direct ones UNION those of their audiences, both through
 * the indexes on (system_id, end_user_id); $1 system, $2 user, $3 exclusive upper id bound. As
 * a MATERIALIZED CTE it is computed first, on its own: the query then looks up each target's
 * notification by id and never walks a system's notifications. Used by the feed
 * (pg_notifications.c) and the stream's replay (pg_events.c). */
#define PG_TARGETS_WITH                                                                            \
    "WITH targets(nid) AS MATERIALIZED ("                                                          \
    " SELECT notification_id FROM notification_users"                                              \
    "  WHERE system_id = $1 AND end_user_id = $2 AND notification_id < $3"                         \
    " UNION"                                                                                       \
    " SELECT na.notification_id FROM audience_members am"                                          \
    "  JOIN notification_audiences na ON na.audience_id = am.audience_id"                          \
    "  WHERE am.system_id = $1 AND am.end_user_id = $2 AND na.notification_id < $3) "

/* The start event of notification n, which this very transaction inserted (pg_events.c): no one
 * else can see it yet, so it has no event and no recorder to wait for, and one statement takes
 * the counter's lock, the seq and the mark. */
int hd_pg_event_record_new(struct hd_store *s, const struct hd_notification *n, int64_t at,
                           int64_t *seq) HD_WUR;

/* Reads NOTIF_COLS (store_impl.h) (as columns first..first+14) of row into n; targeted is left 0.
 */
bool hd_pg_read_notification(const PGresult *r, int row, int first, struct hd_arena *ar,
                             struct hd_notification *n);

#endif
