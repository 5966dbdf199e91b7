/* sqlite_delivery.c: per (notification, end user) delivery state (SPEC §6): received, seen,
 * clicked, dismissed. A row exists only once the user's client has received or acted on the
 * notification (fan-out on read); each time is set once and never moves. */
#include "store/sqlite_db.h"

/* The notification targets the user directly or through an audience (?1 system, ?2 user, ?3
 * notification). */
static const char SQL_TARGETS_USER[] =
    "SELECT 1 FROM notifications n WHERE n.id = ?3 AND n.system_id = ?1 AND ("
    " EXISTS (SELECT 1 FROM notification_users WHERE notification_id = ?3 AND end_user_id = ?2)"
    " OR EXISTS (SELECT 1 FROM notification_audiences na JOIN audience_members am"
    "  ON am.audience_id = na.audience_id WHERE na.notification_id = ?3"
    "  AND am.system_id = ?1 AND am.end_user_id = ?2))";

/* ?4 now; ?5..?7 whether to set seen, clicked, dismissed. Receiving is implied by any of them. */
static const char SQL_MARK[] =
    "INSERT INTO delivery_state (notification_id, system_id, end_user_id, received_at, seen_at,"
    " clicked_at, dismissed_at) VALUES (?3, ?1, ?2, ?4, CASE WHEN ?5 THEN ?4 END,"
    " CASE WHEN ?6 THEN ?4 END, CASE WHEN ?7 THEN ?4 END)"
    " ON CONFLICT (notification_id, end_user_id) DO UPDATE SET"
    " received_at = coalesce(received_at, excluded.received_at),"
    " seen_at = coalesce(seen_at, excluded.seen_at),"
    " clicked_at = coalesce(clicked_at, excluded.clicked_at),"
    " dismissed_at = coalesce(dismissed_at, excluded.dismissed_at)";

static int bind_key(struct hd_store *s, sqlite3_stmt *st, const char *system_id,
                    const char *user_id, const char *id)
{
    if (hd_sq_bind_text(st, 1, system_id) || hd_sq_bind_text(st, 2, user_id) ||
        hd_sq_bind_text(st, 3, id))
        return hd_sq_bind_failed(s, st, "delivery");
    return 0;
}

static bool read_nothing(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    return true;
}

int hd_sqlite_delivery_mark(struct hd_store *s, const char *system_id, const char *user_id,
                            const char *id, enum hd_delivery what, int64_t now)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_TARGETS_USER);
    int err;
    if (!st)
        return HD_E_STORAGE;
    if ((err = bind_key(s, st, system_id, user_id, id)) ||
        (err = hd_sq_fetch(s, st, read_nothing, NULL, NULL, "delivery target")))
        return err;
    if (!(st = hd_sq_stmt(s, SQL_MARK)))
        return HD_E_STORAGE;
    if ((err = bind_key(s, st, system_id, user_id, id)))
        return err;
    if (hd_sq_bind_i64(st, 4, now) || hd_sq_bind_i64(st, 5, what == HD_DELIVERY_SEEN) ||
        hd_sq_bind_i64(st, 6, what == HD_DELIVERY_CLICKED) ||
        hd_sq_bind_i64(st, 7, what == HD_DELIVERY_DISMISSED))
        return hd_sq_bind_failed(s, st, "delivery mark");
    return hd_sq_run(s, st, "delivery mark");
}

struct received_args {
    const char *system_id, *user_id;
    const char *const *ids;
    size_t n;
    int64_t now;
};

static int received_body(struct hd_store *s, const void *arg)
{
    const struct received_args *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        sqlite3_stmt *st = hd_sq_stmt(s, SQL_MARK);
        int err;
        if (!st)
            return HD_E_STORAGE;
        if ((err = bind_key(s, st, a->system_id, a->user_id, a->ids[i])))
            return err;
        if (hd_sq_bind_i64(st, 4, a->now) || hd_sq_bind_i64(st, 5, 0) || hd_sq_bind_i64(st, 6, 0) ||
            hd_sq_bind_i64(st, 7, 0))
            return hd_sq_bind_failed(s, st, "delivery received");
        if ((err = hd_sq_run(s, st, "delivery received")))
            return err;
    }
    return 0;
}

int hd_sqlite_delivery_received(struct hd_store *s, const char *system_id, const char *user_id,
                                const char *const *ids, size_t n, int64_t now)
{
    struct received_args a = {system_id, user_id, ids, n, now};
    return n ? hd_sq_in_transaction(s, received_body, &a) : 0;
}
