/* pg_delivery.c: per (notification, end user) delivery state (SPEC §6) on PostgreSQL: received,
 * seen, clicked, dismissed. A row exists only once the user's client has received or acted on the
 * notification (fan-out on read); each time is set once and never moves. Each call is one
 * statement (INSERT … ON CONFLICT), so nodes marking the same row at once both succeed and the
 * earliest time stays. */
#include "store/pg_db.h"

/* Inserts only when the notification targets the user directly or through an audience ($1
 * system, $2 user, $3 notification); $4 now; $5..$7 whether to set seen, clicked, dismissed.
 * Receiving is implied by any of them. A row already there counts as changed, so no row changed
 * means the notification does not target the user. */
static const char SQL_MARK[] =
    "INSERT INTO delivery_state (notification_id, system_id, end_user_id, received_at, seen_at,"
    " clicked_at, dismissed_at)"
    " SELECT n.id, n.system_id, $2::text, $4::bigint, CASE WHEN $5::boolean THEN $4::bigint END,"
    " CASE WHEN $6::boolean THEN $4::bigint END, CASE WHEN $7::boolean THEN $4::bigint END"
    " FROM notifications n WHERE n.id = $3::text AND n.system_id = $1::text AND ("
    " EXISTS (SELECT 1 FROM notification_users WHERE notification_id = $3 AND end_user_id = $2)"
    " OR EXISTS (SELECT 1 FROM notification_audiences na JOIN audience_members am"
    "  ON am.audience_id = na.audience_id WHERE na.notification_id = $3"
    "  AND am.system_id = $1 AND am.end_user_id = $2))"
    " ON CONFLICT (notification_id, end_user_id) DO UPDATE SET"
    " received_at = coalesce(delivery_state.received_at, excluded.received_at),"
    " seen_at = coalesce(delivery_state.seen_at, excluded.seen_at),"
    " clicked_at = coalesce(delivery_state.clicked_at, excluded.clicked_at),"
    " dismissed_at = coalesce(delivery_state.dismissed_at, excluded.dismissed_at)";

int hd_pg_delivery_mark(struct hd_store *s, const char *system_id, const char *user_id,
                        const char *id, enum hd_delivery what, int64_t now)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, user_id);
    hd_pg_text(&p, id);
    hd_pg_i64(&p, now);
    hd_pg_bool(&p, what == HD_DELIVERY_SEEN);
    hd_pg_bool(&p, what == HD_DELIVERY_CLICKED);
    hd_pg_bool(&p, what == HD_DELIVERY_DISMISSED);
    return hd_pg_run_changed(s, SQL_MARK, &p, "delivery mark");
}

/* $3 the notification ids (duplicates folded; rows taken in id order, so concurrent calls lock
 * them in the same order); an existing row keeps its received_at. */
static const char SQL_RECEIVED[] =
    "INSERT INTO delivery_state (notification_id, system_id, end_user_id, received_at)"
    " SELECT DISTINCT i, $1::text, $2::text, $4::bigint FROM unnest($3::text[]) AS i ORDER BY 1"
    " ON CONFLICT (notification_id, end_user_id) DO UPDATE SET received_at = excluded.received_at"
    " WHERE delivery_state.received_at IS NULL";

int hd_pg_delivery_received(struct hd_store *s, const char *system_id, const char *user_id,
                            const char *const *ids, size_t n, int64_t now)
{
    if (!n)
        return 0;
    struct hd_arena *ar = hd_arena_create();
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, user_id);
    hd_pg_text_array(&p, ar, ids, n);
    hd_pg_i64(&p, now);
    int err = hd_pg_run(s, SQL_RECEIVED, &p, "delivery received", NULL);
    hd_arena_destroy(ar);
    return err;
}
