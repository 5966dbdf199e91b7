/* sqlite_events.c: the stream's events (SPEC §6) and the scheduler's view of notifications.
 *
 * A notification's start and end are each recorded once, under a seq in commit order that is
 * the SSE event id: the start as its row's started_seq (a trigger writes no other row for it),
 * the end as a row of events (a retraction) whose seq its ended_seq repeats. Replaying a user's
 * events after a seq reuses the feed's target query, so a client sees exactly what targets it,
 * directly or through an audience. */
#include "store/sqlite_db.h"

#include <time.h>

static const char SQL_RETRACT_INSERT[] =
    "INSERT INTO events (seq, system_id, notification_id, kind, at)"
    " SELECT ?2, system_id, id, 'retract', ?3 FROM notifications WHERE id = ?1";
static const char SQL_MARK_STARTED[] = "UPDATE notifications SET started_seq = ?2 WHERE id = ?1";
static const char SQL_MARK_ENDED[] = "UPDATE notifications SET ended_seq = ?2 WHERE id = ?1";
static const char SQL_EVENT_STATE[] =
    "SELECT started_seq, ended_seq, cancelled_at FROM notifications WHERE id = ?1";

struct record_args {
    const char *id;
    bool start;
    int64_t at, *seq;
};

static int mark(struct hd_store *s, const char *sql, const char *id, int64_t seq)
{
    sqlite3_stmt *st = hd_sq_stmt(s, sql);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_i64(st, 2, seq))
        return hd_sq_bind_failed(s, st, "event mark");
    return hd_sq_run(s, st, "event mark");
}

/* started: whether a start event exists; ended: whether the end is settled (an event, or 0
 * meaning there was nothing to retract); cancelled: cancelled_at is set. */
static int read_state(struct hd_store *s, const char *id, bool *started, bool *ended,
                      bool *cancelled)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_EVENT_STATE);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id))
        return hd_sq_bind_failed(s, st, "event state");
    int rc = sqlite3_step(st), err = 0;
    if (rc == SQLITE_ROW) {
        *started = sqlite3_column_type(st, 0) != SQLITE_NULL;
        *ended = sqlite3_column_type(st, 1) != SQLITE_NULL;
        *cancelled = sqlite3_column_type(st, 2) != SQLITE_NULL;
    } else {
        err = rc == SQLITE_DONE ? HD_E_NOT_FOUND : hd_sq_fail(s, "event state");
    }
    hd_sq_done(st);
    return err;
}

static int record_body(struct hd_store *s, const void *arg)
{
    const struct record_args *a = arg;
    bool started = false, ended = false, cancelled = false;
    int err = read_state(s, a->id, &started, &ended, &cancelled);
    *a->seq = 0;
    if (err || (a->start && (started || cancelled || ended)) || (!a->start && ended))
        return err;
    if (!a->start && !started) /* it never showed: settle its end without an event */
        return mark(s, SQL_MARK_ENDED, a->id, 0);
    if ((err = hd_sq_next_seq(s, a->seq)))
        return err;
    if (!a->start) {
        sqlite3_stmt *st = hd_sq_stmt(s, SQL_RETRACT_INSERT);
        if (!st)
            return HD_E_STORAGE;
        if (hd_sq_bind_text(st, 1, a->id) || hd_sq_bind_i64(st, 2, *a->seq) ||
            hd_sq_bind_i64(st, 3, a->at))
            return hd_sq_bind_failed(s, st, "event insert");
        if ((err = hd_sq_run(s, st, "event insert")))
            return err;
    }
    return mark(s, a->start ? SQL_MARK_STARTED : SQL_MARK_ENDED, a->id, *a->seq);
}

int hd_sqlite_event_record(struct hd_store *s, const char *notification_id, bool start, int64_t at,
                           int64_t *seq)
{
    struct record_args a = {notification_id, start, at, seq};
    return hd_sq_in_transaction(s, record_body, &a);
}

/* A notification's start, then its retraction: columns NOTIF_COLS, seq, kind. */
#define STARTS_OF   "SELECT " NOTIF_COLS ", n.started_seq AS seq, 'notification' AS kind"
#define RETRACTS_OF "SELECT " NOTIF_COLS ", e.seq, e.kind"

/* ?1 system, ?2 user, ?4 after this seq, ?5 limit. The targets are read once (SQLite
 * materializes a table used twice); CROSS JOIN keeps the retractions' branch from looking up
 * a notification for each target rather than for each retraction. */
static const char SQL_EVENTS_SINCE[] =
    TARGETS_WITH STARTS_OF " FROM targets t JOIN notifications n ON n.id = t.nid"
                           " WHERE n.started_seq > ?4"
                           " UNION ALL " RETRACTS_OF " FROM targets t"
                           " CROSS JOIN events e ON e.notification_id = t.nid"
                           " CROSS JOIN notifications n ON n.id = e.notification_id"
                           " WHERE e.seq > ?4 ORDER BY seq LIMIT ?5";
static const char SQL_EVENTS_LAST[] =
    "SELECT max(coalesce((SELECT max(seq) FROM events), 0),"
    " coalesce((SELECT max(started_seq) FROM notifications WHERE started_seq IS NOT NULL), 0))";

static bool read_event(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_stream_event *e = out;
    e->seq = sqlite3_column_int64(st, 15);
    e->kind = hd_sq_col_str(st, 16, ar);
    return e->kind && hd_sq_read_notification(st, ar, &e->n);
}

int hd_sqlite_events_since(struct hd_store *s, const char *system_id, const char *end_user_id,
                           int64_t after, struct hd_arena *ar, struct hd_stream_event *out,
                           size_t max, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_EVENTS_SINCE);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, system_id) || hd_sq_bind_text(st, 2, end_user_id) ||
        hd_sq_bind_text(st, 3, CURSOR_MAX) || hd_sq_bind_i64(st, 4, after) ||
        hd_sq_bind_size(st, 5, max))
        return hd_sq_bind_failed(s, st, "events since");
    return hd_sq_fetch_many(s, st, read_event, ar, out, sizeof(*out), max, count, "events since");
}

/* ?1 after this seq, ?2 limit: the starts by notifications_started, merged with the retractions. */
static const char SQL_EVENTS_PAGE[] = STARTS_OF " FROM notifications n WHERE n.started_seq > ?1"
                                                " UNION ALL " RETRACTS_OF " FROM events e"
                                                " JOIN notifications n ON n.id = e.notification_id"
                                                " WHERE e.seq > ?1 ORDER BY seq LIMIT ?2";

int hd_sqlite_events_page(struct hd_store *s, int64_t after, struct hd_arena *ar,
                          struct hd_stream_event *out, size_t max, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_EVENTS_PAGE);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_i64(st, 1, after) || hd_sq_bind_size(st, 2, max))
        return hd_sq_bind_failed(s, st, "events page");
    return hd_sq_fetch_many(s, st, read_event, ar, out, sizeof(*out), max, count, "events page");
}

/* One server records every event and publishes it itself: nothing to listen for. */
int hd_sqlite_events_wait(struct hd_store *s, int timeout_ms, bool *notified)
{
    *notified = false;
    struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return 0;
}

int hd_sqlite_events_last(struct hd_store *s, int64_t *seq)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_EVENTS_LAST);
    return st ? hd_sq_fetch(s, st, hd_sq_read_i64, NULL, seq, "events last") : HD_E_STORAGE;
}

/* ---- what the scheduler has to do ---- */

/* ?2: only what is due before this time (the scheduler's horizon). */
static const char SQL_PENDING[] =
    "SELECT id, start_at, 1 FROM notifications"
    " WHERE started_seq IS NULL AND ended_seq IS NULL AND cancelled_at IS NULL AND start_at < ?2"
    " UNION ALL SELECT id, end_at, 0 FROM notifications"
    " WHERE ended_seq IS NULL AND (started_seq IS NOT NULL OR cancelled_at IS NOT NULL)"
    " AND end_at < ?2 LIMIT ?1";

static bool read_due(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_due *d = out;
    d->at = sqlite3_column_int64(st, 1);
    d->start = sqlite3_column_int(st, 2) != 0;
    return hd_sq_col_copy(st, 0, d->id, sizeof(d->id));
}

int hd_sqlite_schedule_pending(struct hd_store *s, int64_t before, struct hd_due *out, size_t max,
                               size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_PENDING);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_size(st, 1, max) || hd_sq_bind_i64(st, 2, before))
        return hd_sq_bind_failed(s, st, "schedule pending");
    return hd_sq_fetch_many(s, st, read_due, NULL, out, sizeof(*out), max, count,
                            "schedule pending");
}

/* ---- routing a published event ---- */

static const char SQL_TARGET_USERS[] =
    "SELECT end_user_id FROM notification_users WHERE notification_id = ?1";
static const char SQL_TARGET_AUDIENCES[] =
    "SELECT audience_id FROM notification_audiences WHERE notification_id = ?1";
static const char SQL_USER_AUDIENCES[] =
    "SELECT audience_id FROM audience_members WHERE system_id = ?1 AND end_user_id = ?2";

static bool read_text(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    *(const char **)out = hd_sq_col_str(st, 0, ar);
    return *(const char **)out != NULL;
}

static int list_texts(struct hd_store *s, const char *sql, const char *a, const char *b,
                      struct hd_arena *ar, const char ***out, size_t max, size_t *n)
{
    sqlite3_stmt *st = hd_sq_stmt(s, sql);
    *out = hd_arena_alloc(ar, (max + 1) * sizeof(**out));
    *n = 0;
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, a) || (b && hd_sq_bind_text(st, 2, b)))
        return hd_sq_bind_failed(s, st, "list");
    return hd_sq_fetch_many(s, st, read_text, ar, *out, sizeof(**out), max, n, "list");
}

int hd_sqlite_notification_targets(struct hd_store *s, const char *id, struct hd_arena *ar,
                                   const char ***users, size_t *n_users, const char ***audiences,
                                   size_t *n_audiences)
{
    int err = list_texts(s, SQL_TARGET_USERS, id, NULL, ar, users, HD_TARGETS_MAX, n_users);
    return err ? err
               : list_texts(s, SQL_TARGET_AUDIENCES, id, NULL, ar, audiences, HD_TARGETS_MAX,
                            n_audiences);
}

int hd_sqlite_user_audiences(struct hd_store *s, const char *system_id, const char *end_user_id,
                             struct hd_arena *ar, const char ***ids, size_t max, size_t *n)
{
    return list_texts(s, SQL_USER_AUDIENCES, system_id, end_user_id, ar, ids, max, n);
}

static const char SQL_NOTIFICATION_ANY[] =
    "SELECT " NOTIF_COLS " FROM notifications n WHERE n.id = ?1";

static bool read_one(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    return hd_sq_read_notification(st, ar, out);
}

int hd_sqlite_notification_any(struct hd_store *s, const char *id, struct hd_arena *ar,
                               struct hd_notification *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_NOTIFICATION_ANY);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id))
        return hd_sq_bind_failed(s, st, "notification any");
    return hd_sq_fetch(s, st, read_one, ar, out, "notification any");
}
