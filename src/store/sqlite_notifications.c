/* sqlite_notifications.c: notifications on SQLite: the insert (one transaction with its targets)
 * and an end user's feed and unread count.
 *
 * Fan-out on read: a notification stores one row per target (user or audience), never per
 * audience member; the feed joins a user's targets to the notifications at read time. */
#include "store/sqlite_db.h"

/* Sorts after every id we issue (hex digits and '-'): the cursor of a first page. */
#define CURSOR_MAX "~"

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

/* ---- notifications ---- */

/* Inserts nothing unless the template is the system's and the system the account's. */
static const char SQL_NOTIF_INSERT[] =
    "INSERT INTO notifications (id, account_id, system_id, template_id, created_by, type,"
    " title, runtime_title, runtime_description, button_text, button_url, start_at, end_at,"
    " created_at, cancelled_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
    " ?13, ?14, ?15 WHERE EXISTS (SELECT 1 FROM templates t JOIN systems y"
    " ON y.id = t.system_id WHERE t.id = ?4 AND t.system_id = ?3 AND t.archived_at IS NULL"
    " AND y.account_id = ?2 AND y.deleted_at IS NULL)";
static const char SQL_TEMPLATE_LOCK[] =
    "UPDATE templates SET locked_at = ?2 WHERE id = ?1 AND locked_at IS NULL";
static const char SQL_NOTIF_USER[] =
    "INSERT INTO notification_users (notification_id, system_id, end_user_id)"
    " VALUES (?1, ?2, ?3)";
static const char SQL_NOTIF_AUDIENCE[] =
    "INSERT INTO notification_audiences (notification_id, audience_id)"
    " SELECT ?1, id FROM audiences"
    " WHERE id = ?2 AND system_id = ?3 AND deleted_at IS NULL";

struct notification_insert {
    const struct hd_notification *n;
    const char *const *users, *const *audiences;
    size_t n_users, n_audiences;
};

static int bind_notification(sqlite3_stmt *st, const struct hd_notification *n)
{
    return hd_sq_bind_text(st, 1, n->id) || hd_sq_bind_text(st, 2, n->account_id) ||
           hd_sq_bind_text(st, 3, n->system_id) || hd_sq_bind_text(st, 4, n->template_id) ||
           hd_sq_bind_text(st, 5, n->created_by) || hd_sq_bind_text(st, 6, n->type) ||
           hd_sq_bind_text(st, 7, n->title) || hd_sq_bind_text(st, 8, n->runtime_title) ||
           hd_sq_bind_text(st, 9, n->runtime_description) ||
           hd_sq_bind_text(st, 10, n->button_text) || hd_sq_bind_text(st, 11, n->button_url) ||
           hd_sq_bind_i64(st, 12, n->start_at) || hd_sq_bind_i64(st, 13, n->end_at) ||
           hd_sq_bind_i64(st, 14, n->created_at) || hd_sq_bind_time(st, 15, n->cancelled_at);
}

/* The notification row, then the template's lock (a no-op once locked). */
static int insert_notification_row(struct hd_store *s, const struct hd_notification *n)
{
    sqlite3_stmt *ins = hd_sq_stmt(s, SQL_NOTIF_INSERT), *lock = hd_sq_stmt(s, SQL_TEMPLATE_LOCK);
    if (!ins || !lock)
        return HD_E_STORAGE;
    if (bind_notification(ins, n))
        return hd_sq_bind_failed(s, ins, "notification insert");
    int err = hd_sq_run_changed(s, ins, "notification insert");
    if (err)
        return err;
    if (hd_sq_bind_text(lock, 1, n->template_id) || hd_sq_bind_i64(lock, 2, n->created_at))
        return hd_sq_bind_failed(s, lock, "template lock");
    return hd_sq_run(s, lock, "template lock");
}

/* Fan-out on read: one row per target (user or audience), never per audience member. */
static int notification_body(struct hd_store *s, const void *arg)
{
    const struct notification_insert *ni = arg;
    const struct hd_notification *n = ni->n;
    sqlite3_stmt *user = hd_sq_stmt(s, SQL_NOTIF_USER), *aud = hd_sq_stmt(s, SQL_NOTIF_AUDIENCE);
    if (!user || !aud)
        return HD_E_STORAGE;
    int err = insert_notification_row(s, n);
    for (size_t i = 0; !err && i < ni->n_users; i++) {
        if (hd_sq_bind_text(user, 1, n->id) || hd_sq_bind_text(user, 2, n->system_id) ||
            hd_sq_bind_text(user, 3, ni->users[i]))
            return hd_sq_bind_failed(s, user, "notification user");
        err = hd_sq_run(s, user, "notification user");
    }
    for (size_t i = 0; !err && i < ni->n_audiences; i++) {
        if (hd_sq_bind_text(aud, 1, n->id) || hd_sq_bind_text(aud, 2, ni->audiences[i]) ||
            hd_sq_bind_text(aud, 3, n->system_id))
            return hd_sq_bind_failed(s, aud, "notification audience");
        err = hd_sq_run_changed(s, aud, "notification audience");
    }
    return err;
}

int hd_store_notification_insert(struct hd_store *s, const struct hd_notification *n,
                                 const char *const *end_user_ids, size_t n_users,
                                 const char *const *audience_ids, size_t n_audiences)
{
    struct notification_insert ni = {n, end_user_ids, audience_ids, n_users, n_audiences};
    return hd_sq_in_transaction(s, notification_body, &ni);
}

/* ---- the end user's feed ---- */

static bool read_notification(sqlite3_stmt *st, struct hd_arena *ar, struct hd_notification *n)
{
    n->created_by = hd_sq_col_str(st, 4, ar);
    n->type = hd_sq_col_str(st, 5, ar);
    n->title = hd_sq_col_str(st, 6, ar);
    n->runtime_title = hd_sq_col_str(st, 7, ar);
    n->runtime_description = hd_sq_col_str(st, 8, ar);
    n->button_text = hd_sq_col_str(st, 9, ar);
    n->button_url = hd_sq_col_str(st, 10, ar);
    n->start_at = sqlite3_column_int64(st, 11);
    n->end_at = sqlite3_column_int64(st, 12);
    n->created_at = sqlite3_column_int64(st, 13);
    n->cancelled_at = sqlite3_column_int64(st, 14);
    return hd_sq_col_copy(st, 0, n->id, sizeof(n->id)) &&
           hd_sq_col_copy(st, 1, n->account_id, sizeof(n->account_id)) &&
           hd_sq_col_copy(st, 2, n->system_id, sizeof(n->system_id)) &&
           hd_sq_col_copy(st, 3, n->template_id, sizeof(n->template_id)) && n->created_by &&
           n->type && n->runtime_title;
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
    return hd_sq_bind_text(st, 1, q->system_id) || hd_sq_bind_text(st, 2, q->end_user_id) ||
           hd_sq_bind_text(st, 3, before ? before : CURSOR_MAX) || hd_sq_bind_i64(st, 4, q->now) ||
           hd_sq_bind_i64(st, 5, min_end);
}

/* ?6 unread only, ?7 limit */
static const char SQL_FEED[] =
    TARGETS_WITH "SELECT " NOTIF_COLS ","
                 " d.received_at, d.seen_at, d.clicked_at, d.dismissed_at" TARGETS_FROM
                 " AND (?6 = 0 OR d.seen_at IS NULL) ORDER BY n.id DESC LIMIT ?7";

int hd_store_feed(struct hd_store *s, const struct hd_feed_query *q, struct hd_arena *ar,
                  struct hd_feed_item *out, size_t *count)
{
    *count = 0;
    if (q->limit == 0)
        return 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_FEED);
    if (!st)
        return HD_E_STORAGE;
    int64_t history = q->history_ms > 0 ? q->history_ms : 0, min_end;
    if (__builtin_sub_overflow(q->now, history, &min_end))
        min_end = INT64_MIN;
    if (bind_targets(st, q, q->before, min_end) || hd_sq_bind_i64(st, 6, q->unread_only) ||
        hd_sq_bind_size(st, 7, q->limit))
        return hd_sq_bind_failed(s, st, "feed");
    return hd_sq_fetch_many(s, st, read_feed_item, ar, out, sizeof(*out), q->limit, count, "feed");
}

static const char SQL_UNREAD[] =
    TARGETS_WITH "SELECT count(*)" TARGETS_FROM " AND d.seen_at IS NULL";

int hd_store_feed_unread_count(struct hd_store *s, const struct hd_feed_query *q, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_UNREAD);
    if (!st)
        return HD_E_STORAGE;
    if (bind_targets(st, q, NULL, q->now))
        return hd_sq_bind_failed(s, st, "unread count");
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_ROW ? 0 : hd_sq_fail(s, "unread count");
    if (!err)
        *count = (size_t)sqlite3_column_int64(st, 0);
    hd_sq_done(st);
    return err;
}
