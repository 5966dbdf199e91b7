/* pg_notifications.c: notifications on PostgreSQL: the insert (one transaction with its targets
 * and the count of people it reaches), an end user's feed and unread count, and management:
 * get, list, stats and cancel, each scoped by the account.
 *
 * Fan-out on read: a notification stores one row per target (user or audience), never per
 * audience member; the feed joins a user's targets to the notifications at read time. Even the
 * `targeted` count avoids walking a large audience: audiences keep their member count.
 *
 * Several nodes write at once: the insert takes the template's lock (locked_at) before anything
 * else and share-locks the template and system rows it checks, so an archive or a system
 * deletion on another node either waits for it or is seen by it. */
#include "store/pg_db.h"

/* $4 now, $5 the oldest end_at still listed. */
#define TARGETS_FROM                                                                               \
    " FROM targets t JOIN notifications n ON n.id = t.nid"                                         \
    " LEFT JOIN delivery_state d ON d.notification_id = n.id AND d.end_user_id = $2"               \
    " WHERE n.system_id = $1 AND n.start_at <= $4 AND n.cancelled_at IS NULL"                      \
    "  AND n.end_at > $5 AND d.dismissed_at IS NULL"

/* ---- notifications ---- */

/* Locks the template on its first use; a no-op (and no row lock) once locked. First, so that
 * two first uses at once queue here instead of deadlocking on their share locks below. */
static const char SQL_TEMPLATE_LOCK[] =
    "UPDATE templates SET locked_at = $2 WHERE id = $1 AND locked_at IS NULL";
/* Inserts nothing unless the template is the system's and the system the account's; FOR SHARE
 * holds both rows as checked until commit (an archive or a deletion waits, then sees it). */
static const char SQL_NOTIF_INSERT[] =
    "INSERT INTO notifications (id, account_id, system_id, template_id, created_by, type,"
    " title, runtime_title, runtime_description, button_text, button_url, start_at, end_at,"
    " created_at, cancelled_at, targeted) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
    " $12::bigint, $13::bigint, $14::bigint, $15::bigint, $16::bigint WHERE EXISTS (SELECT 1"
    " FROM templates t JOIN systems y ON y.id = t.system_id WHERE t.id = $4 AND t.system_id = $3"
    " AND t.archived_at IS NULL AND y.account_id = $2 AND y.deleted_at IS NULL"
    " FOR SHARE OF t, y)";
/* The targets in one statement: $3 the users (a duplicate is a unique violation:
 * HD_E_CONFLICT), $4 the audiences, of which only the system's live ones are stored. It returns
 * how many audiences it added (fewer than ids means one is missing) and how many of the users
 * are no end user of the system (their rows are inserted all the same). */
static const char SQL_NOTIF_TARGETS[] =
    "WITH users AS (INSERT INTO notification_users (notification_id, system_id, end_user_id)"
    " SELECT $1, $2, u FROM unnest($3::text[]) AS u RETURNING end_user_id),"
    " added AS (INSERT INTO notification_audiences (notification_id, audience_id)"
    " SELECT $1, a.id FROM unnest($4::text[]) AS u(id) JOIN audiences a ON a.id = u.id"
    " WHERE a.system_id = $2 AND a.deleted_at IS NULL RETURNING 1)"
    " SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM users g WHERE NOT EXISTS"
    " (SELECT 1 FROM end_users e WHERE e.system_id = $2 AND e.id = g.end_user_id))";

struct notification_insert {
    const struct hd_notification *n;
    const char *const *users, *const *audiences;
    size_t n_users, n_audiences;
    size_t *unknown; /* the count of unknown end users, when wanted */
};

/* targeted: the count of direct ids, exact until audiences are added (set_targeted). */
static void bind_notification(struct hd_pg_params *p, const struct hd_notification *n,
                              size_t targeted)
{
    hd_pg_text(p, n->id);
    hd_pg_text(p, n->account_id);
    hd_pg_text(p, n->system_id);
    hd_pg_text(p, n->template_id);
    hd_pg_text(p, n->created_by);
    hd_pg_text(p, n->type);
    hd_pg_text(p, n->title);
    hd_pg_text(p, n->runtime_title);
    hd_pg_text(p, n->runtime_description);
    hd_pg_text(p, n->button_text);
    hd_pg_text(p, n->button_url);
    hd_pg_i64(p, n->start_at);
    hd_pg_i64(p, n->end_at);
    hd_pg_i64(p, n->created_at);
    hd_pg_time(p, n->cancelled_at);
    hd_pg_size(p, targeted);
}

/* The template's lock, then the notification row. */
static int insert_notification_row(struct hd_store *s, const struct hd_notification *n,
                                   size_t n_users)
{
    struct hd_pg_params lock = {0}, ins = {0};
    hd_pg_text(&lock, n->template_id);
    hd_pg_i64(&lock, n->created_at);
    int err = hd_pg_run(s, SQL_TEMPLATE_LOCK, &lock, "template lock", NULL);
    if (err)
        return err;
    bind_notification(&ins, n, n_users);
    return hd_pg_run_changed(s, SQL_NOTIF_INSERT, &ins, "notification insert");
}

/* ---- targeted: distinct people reached, without walking a large audience ---- */

/* $1 notification id. The sizes are a handful of primary-key lookups, whatever the audiences'
 * sizes: the direct ids outside every audience are added to their sum, and the statement
 * returns how many audiences and members there are. With several audiences of at most
 * HD_TARGETED_EXACT_MAX members in all, the union is counted instead, which reads every
 * member: a statement of its own, so that its cost never weighs on the plan of the first. */
static const char SQL_SET_TARGETED_SUM[] =
    "UPDATE notifications SET targeted = s.members + (SELECT count(*)"
    " FROM notification_users nu WHERE nu.notification_id = $1"
    " AND NOT EXISTS (SELECT 1 FROM notification_audiences na JOIN audience_members am"
    " ON am.audience_id = na.audience_id AND am.end_user_id = nu.end_user_id"
    " WHERE na.notification_id = $1))"
    " FROM (SELECT count(*) AS audiences, coalesce(sum(a.member_count), 0) AS members"
    " FROM notification_audiences na JOIN audiences a ON a.id = na.audience_id"
    " WHERE na.notification_id = $1) AS s WHERE id = $1 RETURNING s.audiences, s.members";
static const char SQL_SET_TARGETED_UNION[] =
    "UPDATE notifications SET targeted = (SELECT count(*) FROM ("
    " SELECT end_user_id FROM notification_users WHERE notification_id = $1"
    " UNION SELECT am.end_user_id FROM notification_audiences na JOIN audience_members am"
    " ON am.audience_id = na.audience_id WHERE na.notification_id = $1) AS reached)"
    " WHERE id = $1";

static bool read_sizes(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    (void)ar;
    int64_t *sizes = out;
    sizes[0] = hd_pg_col_i64(r, row, 0);
    sizes[1] = hd_pg_col_i64(r, row, 1);
    return true;
}

/* Once the audiences are stored: see hd_store_notification_insert for when this is exact. */
static int set_targeted(struct hd_store *s, const char *id)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    int64_t sizes[2];
    int err = hd_pg_fetch(s, SQL_SET_TARGETED_SUM, &p, read_sizes, NULL, sizes, "targeted sum");
    if (err || sizes[0] <= 1 || sizes[1] > HD_TARGETED_EXACT_MAX)
        return err;
    return hd_pg_run(s, SQL_SET_TARGETED_UNION, &p, "targeted union", NULL);
}

static int insert_targets(struct hd_store *s, const struct notification_insert *ni,
                          struct hd_arena *ar)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, ni->n->id);
    hd_pg_text(&p, ni->n->system_id);
    hd_pg_text_array(&p, ar, ni->users, ni->n_users);
    hd_pg_text_array(&p, ar, ni->audiences, ni->n_audiences);
    int64_t counts[2]; /* audiences added, unknown users */
    int err =
        hd_pg_fetch(s, SQL_NOTIF_TARGETS, &p, read_sizes, NULL, counts, "notification targets");
    if (!err && (size_t)counts[0] != ni->n_audiences)
        err = HD_E_NOT_FOUND;
    if (!err && ni->unknown)
        *ni->unknown = (size_t)counts[1];
    return err || !ni->n_audiences ? err : set_targeted(s, ni->n->id);
}

/* Fan-out on read: one row per target (user or audience), never per audience member. */
static int notification_body(struct hd_store *s, const void *arg)
{
    const struct notification_insert *ni = arg;
    int err = insert_notification_row(s, ni->n, ni->n_users);
    if (err || (!ni->n_users && !ni->n_audiences))
        return err;
    struct hd_arena *ar = hd_arena_create();
    err = insert_targets(s, ni, ar);
    hd_arena_destroy(ar);
    return err;
}

int hd_pg_notification_insert(struct hd_store *s, const struct hd_notification *n,
                              const char *const *end_user_ids, size_t n_users,
                              const char *const *audience_ids, size_t n_audiences)
{
    struct notification_insert ni = {n, end_user_ids, audience_ids, n_users, n_audiences, NULL};
    return hd_pg_in_transaction(s, notification_body, &ni);
}

struct notification_send {
    struct notification_insert ni;
    int64_t now, *seq;
};

static int send_body(struct hd_store *s, const void *arg)
{
    const struct notification_send *ns = arg;
    int err = notification_body(s, &ns->ni);
    if (!err && ns->ni.n->start_at <= ns->now)
        err = hd_pg_event_record_new(s, ns->ni.n, ns->now, ns->seq);
    return err;
}

int hd_pg_notification_send(struct hd_store *s, const struct hd_notification *n,
                            const char *const *end_user_ids, size_t n_users,
                            const char *const *audience_ids, size_t n_audiences, int64_t now,
                            int64_t *seq, size_t *unknown)
{
    struct notification_send ns = {
        {n, end_user_ids, audience_ids, n_users, n_audiences, unknown}, now, seq};
    *seq = 0;
    *unknown = 0;
    int err = hd_pg_in_transaction(s, send_body, &ns);
    if (err) {
        *seq = 0;
        *unknown = 0;
    }
    return err;
}

/* ---- the end user's feed ---- */

bool hd_pg_read_notification(const PGresult *r, int row, int first, struct hd_arena *ar,
                             struct hd_notification *n)
{
    n->targeted = 0;
    n->created_by = hd_pg_col_str(r, row, first + 4, ar);
    n->type = hd_pg_col_str(r, row, first + 5, ar);
    n->title = hd_pg_col_str(r, row, first + 6, ar);
    n->runtime_title = hd_pg_col_str(r, row, first + 7, ar);
    n->runtime_description = hd_pg_col_str(r, row, first + 8, ar);
    n->button_text = hd_pg_col_str(r, row, first + 9, ar);
    n->button_url = hd_pg_col_str(r, row, first + 10, ar);
    n->start_at = hd_pg_col_i64(r, row, first + 11);
    n->end_at = hd_pg_col_i64(r, row, first + 12);
    n->created_at = hd_pg_col_i64(r, row, first + 13);
    n->cancelled_at = hd_pg_col_i64(r, row, first + 14);
    return hd_pg_col_copy(r, row, first, n->id, sizeof(n->id)) &&
           hd_pg_col_copy(r, row, first + 1, n->account_id, sizeof(n->account_id)) &&
           hd_pg_col_copy(r, row, first + 2, n->system_id, sizeof(n->system_id)) &&
           hd_pg_col_copy(r, row, first + 3, n->template_id, sizeof(n->template_id)) &&
           n->created_by && n->type && n->runtime_title;
}

static bool read_feed_item(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_feed_item *it = out;
    it->received_at = hd_pg_col_i64(r, row, 15);
    it->seen_at = hd_pg_col_i64(r, row, 16);
    it->clicked_at = hd_pg_col_i64(r, row, 17);
    it->dismissed_at = hd_pg_col_i64(r, row, 18);
    return hd_pg_read_notification(r, row, 0, ar, &it->n);
}

/* Appends $1..$5 of PG_TARGETS_WITH/TARGETS_FROM; before NULL for no cursor; min_end is the
 * oldest end_at still listed. */
static void bind_targets(struct hd_pg_params *p, const struct hd_feed_query *q, const char *before,
                         int64_t min_end)
{
    hd_pg_text(p, q->system_id);
    hd_pg_text(p, q->end_user_id);
    hd_pg_text(p, before ? before : HD_PG_CURSOR_MAX);
    hd_pg_i64(p, q->now);
    hd_pg_i64(p, min_end);
}

/* $6 unread only, $7 limit */
static const char SQL_FEED[] =
    PG_TARGETS_WITH "SELECT " NOTIF_COLS ","
                    " d.received_at, d.seen_at, d.clicked_at, d.dismissed_at" TARGETS_FROM
                    " AND (NOT $6::boolean OR d.seen_at IS NULL) ORDER BY n.id DESC LIMIT $7";

int hd_pg_feed(struct hd_store *s, const struct hd_feed_query *q, struct hd_arena *ar,
               struct hd_feed_item *out, size_t *count)
{
    *count = 0;
    if (q->limit == 0)
        return 0;
    int64_t history = q->history_ms > 0 ? q->history_ms : 0, min_end;
    if (__builtin_sub_overflow(q->now, history, &min_end))
        min_end = INT64_MIN;
    struct hd_pg_params p = {0};
    bind_targets(&p, q, q->before, min_end);
    hd_pg_bool(&p, q->unread_only);
    hd_pg_size(&p, q->limit);
    return hd_pg_fetch_many(s, SQL_FEED, &p, read_feed_item, ar, out, sizeof(*out), q->limit, count,
                            "feed");
}

static const char SQL_UNREAD[] =
    PG_TARGETS_WITH "SELECT count(*)" TARGETS_FROM " AND d.seen_at IS NULL";

int hd_pg_feed_unread_count(struct hd_store *s, const struct hd_feed_query *q, size_t *count)
{
    *count = 0;
    struct hd_pg_params p = {0};
    bind_targets(&p, q, NULL, q->now);
    int64_t n = 0;
    int err = hd_pg_fetch_i64(s, SQL_UNREAD, &p, &n, "unread count");
    if (!err)
        *count = (size_t)n;
    return err;
}

/* ---- management (SPEC §4): every statement is scoped by the account ---- */

#define MANAGED_COLS NOTIF_COLS ", n.targeted"

static bool read_managed(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_notification *n = out;
    bool ok = hd_pg_read_notification(r, row, 0, ar, n);
    n->targeted = hd_pg_col_i64(r, row, 15);
    return ok;
}

static const char SQL_NOTIF_GET[] =
    "SELECT " MANAGED_COLS " FROM notifications n WHERE n.id = $1 AND n.account_id = $2";

int hd_pg_notification_get(struct hd_store *s, const char *account_id, const char *id,
                           struct hd_arena *ar, struct hd_notification *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    hd_pg_text(&p, account_id);
    return hd_pg_fetch(s, SQL_NOTIF_GET, &p, read_managed, ar, out, "notification get");
}

/* hd_notification_status() in SQL, at time $5; $4 the status wanted or NULL, $3 the cursor,
 * $6 the limit. */
#define STATUS_AT_5                                                                                \
    "CASE WHEN n.cancelled_at IS NOT NULL THEN 'cancelled' WHEN n.start_at > $5 THEN 'scheduled'"  \
    " WHEN n.end_at > $5 THEN 'active' ELSE 'completed' END"
#define LIST_TAIL                                                                                  \
    " AND n.id < $3 AND ($4::text IS NULL OR " STATUS_AT_5 " = $4)"                                \
    " ORDER BY n.id DESC LIMIT $6"

/* Two statements, so that each walks its own index backwards from the cursor: (account_id, id)
 * or (system_id, id). */
static const char SQL_LIST_ACCOUNT[] = "SELECT " MANAGED_COLS " FROM notifications n"
                                       " WHERE n.account_id = $1 AND $2::text IS NULL" LIST_TAIL;
static const char SQL_LIST_SYSTEM[] = "SELECT " MANAGED_COLS " FROM notifications n"
                                      " WHERE n.system_id = $2 AND n.account_id = $1" LIST_TAIL;

int hd_pg_notification_list(struct hd_store *s, const char *account_id,
                            const struct hd_notification_filter *f, struct hd_arena *ar,
                            struct hd_notification *out, size_t *count)
{
    *count = 0;
    if (f->limit == 0)
        return 0;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, account_id);
    hd_pg_text(&p, f->system_id);
    hd_pg_text(&p, f->before ? f->before : HD_PG_CURSOR_MAX);
    hd_pg_text(&p, f->status);
    hd_pg_i64(&p, f->now);
    hd_pg_size(&p, f->limit);
    return hd_pg_fetch_many(s, f->system_id ? SQL_LIST_SYSTEM : SQL_LIST_ACCOUNT, &p, read_managed,
                            ar, out, sizeof(*out), f->limit, count, "notification list");
}

/* count(column) counts the non-NULL ones; no row at all when the notification is not found. */
static const char SQL_NOTIF_STATS[] =
    "SELECT n.targeted, count(d.received_at), count(d.seen_at), count(d.clicked_at),"
    " count(d.dismissed_at) FROM notifications n"
    " LEFT JOIN delivery_state d ON d.notification_id = n.id"
    " WHERE n.id = $1 AND n.account_id = $2 GROUP BY n.id";

static bool read_stats(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    (void)ar;
    struct hd_notification_stats *x = out;
    x->targeted = hd_pg_col_i64(r, row, 0);
    x->received = hd_pg_col_i64(r, row, 1);
    x->seen = hd_pg_col_i64(r, row, 2);
    x->clicked = hd_pg_col_i64(r, row, 3);
    x->dismissed = hd_pg_col_i64(r, row, 4);
    return true;
}

int hd_pg_notification_stats(struct hd_store *s, const char *account_id, const char *id,
                             struct hd_notification_stats *out)
{
    *out = (struct hd_notification_stats){0};
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    hd_pg_text(&p, account_id);
    return hd_pg_fetch(s, SQL_NOTIF_STATS, &p, read_stats, NULL, out, "notification stats");
}

/* Only a live one (scheduled or active) changes; $3 now. One statement: whether it changed,
 * and whether the account has it at all (the snapshot's row, before the change). */
static const char SQL_NOTIF_CANCEL[] =
    "WITH cancelled AS (UPDATE notifications SET cancelled_at = $3 WHERE id = $1"
    " AND account_id = $2 AND cancelled_at IS NULL AND end_at > $3 RETURNING id)"
    " SELECT EXISTS (SELECT 1 FROM cancelled),"
    " EXISTS (SELECT 1 FROM notifications WHERE id = $1 AND account_id = $2)";

int hd_pg_notification_cancel(struct hd_store *s, const char *account_id, const char *id,
                              int64_t now)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    hd_pg_text(&p, account_id);
    hd_pg_i64(&p, now);
    int err;
    PGresult *r = hd_pg_query(s, SQL_NOTIF_CANCEL, &p, "notification cancel", &err);
    if (!r)
        return err;
    /* Nothing changed: absent (or another account's), or no longer live. */
    err = PQntuples(r) != 1         ? HD_E_STORAGE
          : hd_pg_col_bool(r, 0, 0) ? 0
          : hd_pg_col_bool(r, 0, 1) ? HD_E_CONFLICT
                                    : HD_E_NOT_FOUND;
    PQclear(r);
    return err;
}
