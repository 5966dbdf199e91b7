/* sqlite_notifications.c: notifications on SQLite: the insert (one transaction with its targets
 * and the count of people it reaches), an end user's feed and unread count, and management:
 * get, list, stats and cancel, each scoped by the account.
 *
 * Fan-out on read: a notification stores one row per target (user or audience), never per
 * audience member; the feed joins a user's targets to the notifications at read time. Even the
 * `targeted` count avoids walking a large audience: audiences keep their member count. */
#include "store/sqlite_db.h"

#include <string.h>

/* ?4 now, ?5 the oldest end_at still listed. */
#define TARGETS_FROM                                                                               \
    " FROM targets t CROSS JOIN notifications n ON n.id = t.nid"                                   \
    " LEFT JOIN delivery_state d ON d.notification_id = n.id AND d.end_user_id = ?2"               \
    " WHERE n.system_id = ?1 AND n.start_at <= ?4 AND n.cancelled_at IS NULL"                      \
    "  AND n.end_at > ?5 AND d.dismissed_at IS NULL"

/* ---- notifications ---- */

/* The template must be an unarchived one of the system, the system a live one of the account:
 * checked first (the row, when found, says whether the template is locked yet), so that the
 * insert is a plain one-row INSERT, which SQLite runs without a statement journal. */
static const char SQL_NOTIF_CHECK[] =
    "SELECT t.locked_at IS NOT NULL FROM templates t JOIN systems y ON y.id = t.system_id"
    " WHERE t.id = ?1 AND t.system_id = ?2 AND t.archived_at IS NULL AND y.account_id = ?3"
    " AND y.deleted_at IS NULL";
static const char SQL_NOTIF_INSERT[] =
    "INSERT INTO notifications (id, account_id, system_id, template_id, created_by, type,"
    " title, runtime_title, runtime_description, button_text, button_url, start_at, end_at,"
    " created_at, cancelled_at, targeted, started_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
    " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
static const char SQL_TEMPLATE_LOCK[] =
    "UPDATE templates SET locked_at = ?2 WHERE id = ?1 AND locked_at IS NULL";
static const char SQL_NOTIF_USER[] =
    "INSERT INTO notification_users (notification_id, system_id, end_user_id)"
    " VALUES (?1, ?2, ?3)";
/* For the index by user (sqlite_by_user.c), which a thread of its own fills from this log. */
static const char SQL_TARGET_LOG[] =
    "INSERT INTO target_log (system_id, end_user_id, notification_id) VALUES (?2, ?3, ?1)";
static const char SQL_NOTIF_AUDIENCE[] =
    "INSERT INTO notification_audiences (notification_id, audience_id)"
    " SELECT ?1, id FROM audiences"
    " WHERE id = ?2 AND system_id = ?3 AND deleted_at IS NULL";

/* The seq the next event gets: past every seq ever used, a start's (started_seq, migration 008)
 * or a retraction's (AUTOINCREMENT keeps the highest even when its row is gone). */
static const char SQL_NEXT_SEQ[] =
    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),"
    " coalesce((SELECT max(seq) FROM events), 0),"
    " coalesce((SELECT max(started_seq) FROM notifications WHERE started_seq IS NOT NULL), 0)) + 1";

struct notification_insert {
    const struct hd_notification *n;
    const char *const *users, *const *audiences;
    size_t n_users, n_audiences;
    int64_t start_seq, start_at; /* its start's seq and time, when it starts at once; else 0 */
    size_t unknown;              /* the send's count of unknown end users */
};

/* targeted: the count of direct ids, exact until audiences are added (set_targeted); started:
 * the seq of its start event, 0 for none yet. */
static int bind_notification(sqlite3_stmt *st, const struct hd_notification *n, size_t targeted,
                             int64_t started)
{
    return hd_sq_bind_text(st, 1, n->id) || hd_sq_bind_text(st, 2, n->account_id) ||
           hd_sq_bind_text(st, 3, n->system_id) || hd_sq_bind_text(st, 4, n->template_id) ||
           hd_sq_bind_text(st, 5, n->created_by) || hd_sq_bind_text(st, 6, n->type) ||
           hd_sq_bind_text(st, 7, n->title) || hd_sq_bind_text(st, 8, n->runtime_title) ||
           hd_sq_bind_text(st, 9, n->runtime_description) ||
           hd_sq_bind_text(st, 10, n->button_text) || hd_sq_bind_text(st, 11, n->button_url) ||
           hd_sq_bind_i64(st, 12, n->start_at) || hd_sq_bind_i64(st, 13, n->end_at) ||
           hd_sq_bind_i64(st, 14, n->created_at) || hd_sq_bind_time(st, 15, n->cancelled_at) ||
           hd_sq_bind_size(st, 16, targeted) || hd_sq_bind_time(st, 17, started);
}

/* In the writer's batch: the owners an earlier notification of the batch was checked with. */
static struct hd_sq_owners *owners_checked(struct hd_store *s, const struct hd_notification *n)
{
    for (size_t i = 0; s->in_batch && i < s->n_owners; i++) {
        struct hd_sq_owners *o = &s->owners[i];
        if (!strcmp(o->template_id, n->template_id) && !strcmp(o->system_id, n->system_id) &&
            !strcmp(o->account_id, n->account_id))
            return o;
    }
    return NULL;
}

static void remember_owners(struct hd_store *s, const struct hd_notification *n, bool locked)
{
    if (!s->in_batch || s->n_owners == HD_SQ_OWNERS)
        return;
    struct hd_sq_owners *o = &s->owners[s->n_owners++];
    memcpy(o->template_id, n->template_id, sizeof(o->template_id));
    memcpy(o->system_id, n->system_id, sizeof(o->system_id));
    memcpy(o->account_id, n->account_id, sizeof(o->account_id));
    o->locked = locked;
}

/* HD_E_NOT_FOUND unless n may be inserted (SQL_NOTIF_CHECK); *locked: its template is locked.
 * Asked once per batch and template: a trigger's check was 7% of the writer. */
static int check_owners(struct hd_store *s, const struct hd_notification *n, bool *locked)
{
    const struct hd_sq_owners *seen = owners_checked(s, n);
    if (seen) {
        *locked = seen->locked;
        return 0;
    }
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_NOTIF_CHECK);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, n->template_id) || hd_sq_bind_text(st, 2, n->system_id) ||
        hd_sq_bind_text(st, 3, n->account_id))
        return hd_sq_bind_failed(s, st, "notification check");
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_ROW    ? 0
              : rc == SQLITE_DONE ? HD_E_NOT_FOUND
                                  : hd_sq_fail(s, "notification check");
    *locked = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    hd_sq_done(st);
    if (!err)
        remember_owners(s, n, *locked);
    return err;
}

/* The notification row, then the template's lock unless it is locked already. */
static int insert_notification_row(struct hd_store *s, const struct hd_notification *n,
                                   size_t n_users, int64_t started)
{
    bool locked = false;
    int err = check_owners(s, n, &locked);
    if (err)
        return err;
    sqlite3_stmt *ins = hd_sq_stmt(s, SQL_NOTIF_INSERT), *lock = hd_sq_stmt(s, SQL_TEMPLATE_LOCK);
    if (!ins || !lock)
        return HD_E_STORAGE;
    if (bind_notification(ins, n, n_users, started))
        return hd_sq_bind_failed(s, ins, "notification insert");
    if ((err = hd_sq_run(s, ins, "notification insert")) || locked)
        return err;
    if (hd_sq_bind_text(lock, 1, n->template_id) || hd_sq_bind_i64(lock, 2, n->created_at))
        return hd_sq_bind_failed(s, lock, "template lock");
    return hd_sq_run(s, lock, "template lock");
}

/* One direct target: its row, and its line in the log of targets. */
static int insert_target(struct hd_store *s, const struct hd_notification *n, const char *user)
{
    static const char *const sqls[] = {SQL_NOTIF_USER, SQL_TARGET_LOG};
    for (size_t i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++) {
        sqlite3_stmt *st = hd_sq_stmt(s, sqls[i]);
        if (!st)
            return HD_E_STORAGE;
        if (hd_sq_bind_text(st, 1, n->id) || hd_sq_bind_text(st, 2, n->system_id) ||
            hd_sq_bind_text(st, 3, user))
            return hd_sq_bind_failed(s, st, "notification user");
        int err = hd_sq_run(s, st, "notification user");
        if (err)
            return err;
    }
    return 0;
}

/* ---- targeted: distinct people reached, without walking a large audience ---- */

/* ?1 notification id. Each is a handful of primary-key lookups, whatever the audiences' sizes,
 * except SQL_UNION_COUNT, which reads every member and is run only up to
 * HD_TARGETED_EXACT_MAX of them. */
static const char SQL_AUDIENCE_SIZES[] =
    "SELECT count(*), coalesce(sum(a.member_count), 0) FROM notification_audiences na"
    " JOIN audiences a ON a.id = na.audience_id WHERE na.notification_id = ?1";
static const char SQL_DIRECT_OUTSIDE[] =
    "SELECT count(*) FROM notification_users nu WHERE nu.notification_id = ?1"
    " AND NOT EXISTS (SELECT 1 FROM notification_audiences na JOIN audience_members am"
    " ON am.audience_id = na.audience_id AND am.end_user_id = nu.end_user_id"
    " WHERE na.notification_id = ?1)";
static const char SQL_UNION_COUNT[] =
    "SELECT count(*) FROM (SELECT end_user_id FROM notification_users WHERE notification_id = ?1"
    " UNION SELECT am.end_user_id FROM notification_audiences na JOIN audience_members am"
    " ON am.audience_id = na.audience_id WHERE na.notification_id = ?1)";
static const char SQL_SET_TARGETED[] = "UPDATE notifications SET targeted = ?2 WHERE id = ?1";

/* Runs a query of the notification id that returns one row of ncols integers. */
static int count_row(struct hd_store *s, const char *sql, const char *id, int64_t *out, int ncols,
                     const char *what)
{
    sqlite3_stmt *st = hd_sq_stmt(s, sql);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id))
        return hd_sq_bind_failed(s, st, what);
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_ROW ? 0 : hd_sq_fail(s, what);
    for (int i = 0; !err && i < ncols; i++)
        out[i] = sqlite3_column_int64(st, i);
    hd_sq_done(st);
    return err;
}

/* Once the audiences are stored: see hd_store_notification_insert for when this is exact. */
static int set_targeted(struct hd_store *s, const char *id)
{
    int64_t sizes[2], targeted, outside;
    int err = count_row(s, SQL_AUDIENCE_SIZES, id, sizes, 2, "audience sizes");
    if (err)
        return err;
    if (sizes[0] > 1 && sizes[1] <= HD_TARGETED_EXACT_MAX)
        err = count_row(s, SQL_UNION_COUNT, id, &targeted, 1, "targeted union");
    else if (!(err = count_row(s, SQL_DIRECT_OUTSIDE, id, &outside, 1, "targeted direct")))
        targeted = sizes[1] + outside;
    if (err)
        return err;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_SET_TARGETED);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_i64(st, 2, targeted))
        return hd_sq_bind_failed(s, st, "set targeted");
    return hd_sq_run(s, st, "set targeted");
}

/* In the writer's batch, read once and then counted on: the batch is one transaction holding
 * the write lock, and every seq of its events is taken here. A job undone after taking a seq
 * leaves a gap, never a seq used twice. */
int hd_sq_next_seq(struct hd_store *s, int64_t *seq)
{
    if (s->in_batch && s->last_event_seq && !sqlite3_get_autocommit(s->db)) {
        *seq = ++s->last_event_seq;
        return 0;
    }
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_NEXT_SEQ);
    if (!st)
        return HD_E_STORAGE;
    int err = sqlite3_step(st) == SQLITE_ROW ? 0 : hd_sq_fail(s, "next seq");
    *seq = sqlite3_column_int64(st, 0);
    hd_sq_done(st);
    s->last_event_seq = err || !s->in_batch ? 0 : *seq;
    return err;
}

/* Fan-out on read: one row per target (user or audience), never per audience member. */
static int notification_body(struct hd_store *s, const void *arg)
{
    const struct notification_insert *ni = arg;
    const struct hd_notification *n = ni->n;
    sqlite3_stmt *aud = hd_sq_stmt(s, SQL_NOTIF_AUDIENCE);
    if (!aud)
        return HD_E_STORAGE;
    int err = insert_notification_row(s, n, ni->n_users, ni->start_seq);
    for (size_t i = 0; !err && i < ni->n_users; i++)
        err = insert_target(s, n, ni->users[i]);
    for (size_t i = 0; !err && i < ni->n_audiences; i++) {
        if (hd_sq_bind_text(aud, 1, n->id) || hd_sq_bind_text(aud, 2, ni->audiences[i]) ||
            hd_sq_bind_text(aud, 3, n->system_id))
            return hd_sq_bind_failed(s, aud, "notification audience");
        err = hd_sq_run_changed(s, aud, "notification audience");
    }
    if (!err && ni->n_audiences)
        err = set_targeted(s, n->id);
    return err;
}

int hd_sqlite_notification_insert(struct hd_store *s, const struct hd_notification *n,
                                  const char *const *end_user_ids, size_t n_users,
                                  const char *const *audience_ids, size_t n_audiences)
{
    struct notification_insert ni = {n, end_user_ids, audience_ids, n_users, n_audiences, 0, 0, 0};
    return hd_sq_in_transaction(s, notification_body, &ni);
}

/* The start is recorded with the row: its seq is taken first (the transaction holds the write
 * lock, so no one else takes it), and the row is inserted already marked as started. */
static int send_body(struct hd_store *s, const void *arg)
{
    struct notification_insert *ni = (struct notification_insert *)arg;
    int err = ni->start_at ? hd_sq_next_seq(s, &ni->start_seq) : 0;
    if (!err)
        err = notification_body(s, ni);
    return err ? err
               : hd_sqlite_end_users_count_unknown(s, ni->n->system_id, ni->users, ni->n_users,
                                                   &ni->unknown);
}

int hd_sqlite_notification_send(struct hd_store *s, const struct hd_notification *n,
                                const char *const *end_user_ids, size_t n_users,
                                const char *const *audience_ids, size_t n_audiences, int64_t now,
                                int64_t *seq, size_t *unknown)
{
    struct notification_insert ni = {
        n, end_user_ids, audience_ids, n_users, n_audiences, 0, n->start_at <= now ? now : 0, 0};
    int err = hd_sq_in_transaction(s, send_body, &ni);
    *seq = err ? 0 : ni.start_seq;
    *unknown = err ? 0 : ni.unknown;
    return err;
}

/* ---- the end user's feed ---- */

bool hd_sq_read_notification(sqlite3_stmt *st, struct hd_arena *ar, struct hd_notification *n)
{
    n->targeted = 0;
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
    return hd_sq_read_notification(st, ar, &it->n);
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

int hd_sqlite_feed(struct hd_store *s, const struct hd_feed_query *q, struct hd_arena *ar,
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

int hd_sqlite_feed_unread_count(struct hd_store *s, const struct hd_feed_query *q, size_t *count)
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

/* ---- management (SPEC §4): every statement is scoped by the account ---- */

#define MANAGED_COLS NOTIF_COLS ", n.targeted"

static bool read_managed(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_notification *n = out;
    bool ok = hd_sq_read_notification(st, ar, n);
    n->targeted = sqlite3_column_int64(st, 15);
    return ok;
}

static const char SQL_NOTIF_GET[] =
    "SELECT " MANAGED_COLS " FROM notifications n WHERE n.id = ?1 AND n.account_id = ?2";

int hd_sqlite_notification_get(struct hd_store *s, const char *account_id, const char *id,
                               struct hd_arena *ar, struct hd_notification *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_NOTIF_GET);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_text(st, 2, account_id))
        return hd_sq_bind_failed(s, st, "notification get");
    return hd_sq_fetch(s, st, read_managed, ar, out, "notification get");
}

/* hd_notification_status() in SQL, at time ?5; ?4 the status wanted or NULL, ?3 the cursor,
 * ?6 the limit. */
#define STATUS_AT_5                                                                                \
    "CASE WHEN n.cancelled_at IS NOT NULL THEN 'cancelled' WHEN n.start_at > ?5 THEN 'scheduled'"  \
    " WHEN n.end_at > ?5 THEN 'active' ELSE 'completed' END"
#define LIST_TAIL                                                                                  \
    " AND n.id < ?3 AND (?4 IS NULL OR " STATUS_AT_5 " = ?4) ORDER BY n.id DESC LIMIT ?6"

/* One system's page, walking (system_id, id) backwards from the cursor; the unary + keeps the
 * account check off the index choice. */
static const char SQL_LIST_SYSTEM[] = "SELECT " MANAGED_COLS " FROM notifications n"
                                      " WHERE n.system_id = ?2 AND +n.account_id = ?1" LIST_TAIL;
static const char SQL_COUNT_SYSTEMS[] = "SELECT count(*) FROM systems WHERE account_id = ?1";
static const char SQL_SYSTEM_IDS[] = "SELECT id FROM systems WHERE account_id = ?1";

static int list_system(struct hd_store *s, const char *account_id,
                       const struct hd_notification_filter *f, struct hd_arena *ar,
                       struct hd_notification *out, size_t *count)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_LIST_SYSTEM);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, account_id) || hd_sq_bind_text(st, 2, f->system_id) ||
        hd_sq_bind_text(st, 3, f->before ? f->before : CURSOR_MAX) ||
        hd_sq_bind_text(st, 4, f->status) || hd_sq_bind_i64(st, 5, f->now) ||
        hd_sq_bind_size(st, 6, f->limit))
        return hd_sq_bind_failed(s, st, "notification list");
    return hd_sq_fetch_many(s, st, read_managed, ar, out, sizeof(*out), f->limit, count,
                            "notification list");
}

/* A system of the account: the rows of its page read so far and not listed yet. */
struct system_page {
    const char *system_id;
    struct hd_notification *rows;
    size_t n, next, chunk;
    bool more; /* the system may have rows past these */
};

/* The page's next chunk of rows older than `before` (NULL: the newest). */
static int read_chunk(struct hd_store *s, const char *account_id,
                      const struct hd_notification_filter *f, const char *before,
                      struct hd_arena *ar, struct system_page *p)
{
    struct hd_notification_filter chunk = *f;
    chunk.system_id = p->system_id;
    chunk.before = before;
    chunk.limit = p->chunk;
    p->rows = hd_arena_alloc(ar, p->chunk * sizeof(*p->rows));
    p->next = 0;
    int err = list_system(s, account_id, &chunk, ar, p->rows, &p->n);
    p->more = !err && p->n == p->chunk;
    return err;
}

static bool read_page_system(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct system_page *p = out;
    *p = (struct system_page){.system_id = hd_sq_col_str(st, 0, ar)};
    return p->system_id != NULL;
}

/* Every system of the account, deleted ones too: their notifications stay listed. Counted
 * first, in the same snapshot, for the array's size. */
static int account_systems(struct hd_store *s, const char *account_id, struct hd_arena *ar,
                           struct system_page **pages, size_t *n)
{
    sqlite3_stmt *count = hd_sq_stmt(s, SQL_COUNT_SYSTEMS), *ids = hd_sq_stmt(s, SQL_SYSTEM_IDS);
    int64_t total = 0;
    *n = 0;
    if (!count || !ids)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(count, 1, account_id))
        return hd_sq_bind_failed(s, count, "account systems");
    int err = hd_sq_fetch(s, count, hd_sq_read_i64, NULL, &total, "account systems");
    if (err)
        return err;
    if (hd_sq_bind_text(ids, 1, account_id))
        return hd_sq_bind_failed(s, ids, "account systems");
    *pages = hd_arena_alloc(ar, ((size_t)total + 1) * sizeof(**pages));
    return hd_sq_fetch_many(s, ids, read_page_system, ar, *pages, sizeof(**pages), (size_t)total, n,
                            "account systems");
}

static struct system_page *newest(struct system_page *pages, size_t n)
{
    struct system_page *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (pages[i].next < pages[i].n &&
            (!best || strcmp(pages[i].rows[pages[i].next].id, best->rows[best->next].id) > 0))
            best = &pages[i];
    return best;
}

/* The account has no index of its own, which every trigger would pay for (migration 007): its
 * systems' pages are merged, newest first. Each system's page is read in chunks that together
 * make about one page, so that one system is one statement, and many systems read about twice
 * the rows listed plus two per system. In one snapshot, so that the systems' pages agree. */
static int merge_systems(struct hd_store *s, const char *account_id,
                         const struct hd_notification_filter *f, struct hd_arena *ar,
                         struct hd_notification *out, size_t *count)
{
    struct system_page *pages = NULL;
    size_t n = 0;
    int err = account_systems(s, account_id, ar, &pages, &n);
    for (size_t i = 0; !err && i < n; i++) {
        pages[i].chunk = (f->limit + n - 1) / n;
        err = read_chunk(s, account_id, f, f->before, ar, &pages[i]);
    }
    struct system_page *top;
    while (!err && *count < f->limit && (top = newest(pages, n))) {
        const struct hd_notification *row = &top->rows[top->next++];
        out[(*count)++] = *row;
        if (top->next == top->n && top->more && *count < f->limit)
            err = read_chunk(s, account_id, f, row->id, ar, top);
    }
    return err;
}

int hd_sqlite_notification_list(struct hd_store *s, const char *account_id,
                                const struct hd_notification_filter *f, struct hd_arena *ar,
                                struct hd_notification *out, size_t *count)
{
    *count = 0;
    if (f->limit == 0)
        return 0;
    if (f->system_id)
        return list_system(s, account_id, f, ar, out, count);
    bool own_snapshot = sqlite3_get_autocommit(s->db);
    int err = own_snapshot ? hd_sq_read_begin(s) : 0;
    if (err)
        return err;
    err = merge_systems(s, account_id, f, ar, out, count);
    int ended = own_snapshot ? hd_sq_read_end(s) : 0;
    if (err)
        *count = 0;
    return err ? err : ended;
}

/* count(column) counts the non-NULL ones; no row at all when the notification is not found. */
static const char SQL_NOTIF_STATS[] =
    "SELECT n.targeted, count(d.received_at), count(d.seen_at), count(d.clicked_at),"
    " count(d.dismissed_at) FROM notifications n"
    " LEFT JOIN delivery_state d ON d.notification_id = n.id"
    " WHERE n.id = ?1 AND n.account_id = ?2 GROUP BY n.id";

static bool read_stats(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    (void)ar;
    struct hd_notification_stats *x = out;
    x->targeted = sqlite3_column_int64(st, 0);
    x->received = sqlite3_column_int64(st, 1);
    x->seen = sqlite3_column_int64(st, 2);
    x->clicked = sqlite3_column_int64(st, 3);
    x->dismissed = sqlite3_column_int64(st, 4);
    return true;
}

int hd_sqlite_notification_stats(struct hd_store *s, const char *account_id, const char *id,
                                 struct hd_notification_stats *out)
{
    *out = (struct hd_notification_stats){0};
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_NOTIF_STATS);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_text(st, 2, account_id))
        return hd_sq_bind_failed(s, st, "notification stats");
    return hd_sq_fetch(s, st, read_stats, NULL, out, "notification stats");
}

/* Only a live one (scheduled or active) changes; ?3 now. */
static const char SQL_NOTIF_CANCEL[] =
    "UPDATE notifications SET cancelled_at = ?3 WHERE id = ?1 AND account_id = ?2"
    " AND cancelled_at IS NULL AND end_at > ?3";
static const char SQL_NOTIF_EXISTS[] =
    "SELECT 1 FROM notifications WHERE id = ?1 AND account_id = ?2";

int hd_sqlite_notification_cancel(struct hd_store *s, const char *account_id, const char *id,
                                  int64_t now)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_NOTIF_CANCEL), *ex = hd_sq_stmt(s, SQL_NOTIF_EXISTS);
    if (!st || !ex)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_text(st, 2, account_id) ||
        hd_sq_bind_i64(st, 3, now))
        return hd_sq_bind_failed(s, st, "notification cancel");
    int err = hd_sq_run_changed(s, st, "notification cancel");
    if (err != HD_E_NOT_FOUND)
        return err;
    /* Nothing changed: absent (or another account's), or no longer live. */
    if (hd_sq_bind_text(ex, 1, id) || hd_sq_bind_text(ex, 2, account_id))
        return hd_sq_bind_failed(s, ex, "notification exists");
    int rc = sqlite3_step(ex);
    err = rc == SQLITE_ROW    ? HD_E_CONFLICT
          : rc == SQLITE_DONE ? HD_E_NOT_FOUND
                              : hd_sq_fail(s, "notification exists");
    hd_sq_done(ex);
    return err;
}
