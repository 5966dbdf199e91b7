/* pg_events.c: the stream's events (SPEC §6) and the scheduler's view of notifications, on
 * PostgreSQL.
 *
 * A notification's start and end are each recorded once as an event row, however many nodes
 * try at once. Its seq comes from the event_counter row, whose lock is held until commit: seq
 * order is commit order across nodes, and every node learns the new seq at commit through
 * NOTIFY herald_events. That lock is also what serializes recorders, and they take it before
 * any row: inside the writer's group commit it is held to the end of the batch, so a recorder
 * that took a notification's row first and then waited for the counter could deadlock with a
 * batch that holds the counter and records that notification next.
 *
 * Replaying a user's events after a seq reuses the feed's target query, so a client sees
 * exactly what targets it, directly or through an audience. */
#include "store/pg_db.h"

#include "core/log.h"

/* The notification's event state. Only recorders holding the counter's lock change its seqs,
 * and a recorded or settled state never goes back: read before the lock it can only tell that
 * there is nothing to do; read after, it is the last recorder's result. */
static const char SQL_EVENT_STATE[] =
    "SELECT started_seq, ended_seq, cancelled_at, system_id FROM notifications WHERE id = $1";
/* The recorders' lock: a second recorder waits here for the first one's commit. */
static const char SQL_COUNTER_LOCK[] = "SELECT last FROM event_counter FOR UPDATE";
static const char SQL_SETTLE_END[] = "UPDATE notifications SET ended_seq = 0 WHERE id = $1";
/* $1 id, $2 system, $3 kind, $4 at, $5 start: the seq, the event, the mark and the NOTIFY (sent
 * at commit; its payload is the seq) in one statement. */
static const char SQL_EVENT_INSERT[] =
    "WITH c AS (UPDATE event_counter SET last = last + 1 RETURNING last),"
    " e AS (INSERT INTO events (seq, system_id, notification_id, kind, at)"
    "  SELECT last, $2, $1, $3, $4::bigint FROM c),"
    " m AS (UPDATE notifications SET"
    "  started_seq = CASE WHEN $5::boolean THEN c.last ELSE started_seq END,"
    "  ended_seq = CASE WHEN $5::boolean THEN ended_seq ELSE c.last END"
    "  FROM c WHERE id = $1)"
    " SELECT last, pg_notify('herald_events', last::text) FROM c";

struct record_args {
    const char *id;
    bool start;
    int64_t at, *seq;
};

/* started: whether a start event exists; ended: whether the end is settled (an event, or 0
 * meaning there was nothing to retract); cancelled: cancelled_at is set. */
struct event_state {
    bool started, ended, cancelled;
    char system_id[HD_SYSTEM_ID_BUF];
};

static bool read_state(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    (void)ar;
    struct event_state *st = out;
    st->started = !hd_pg_is_null(r, row, 0);
    st->ended = !hd_pg_is_null(r, row, 1);
    st->cancelled = !hd_pg_is_null(r, row, 2);
    return hd_pg_col_copy(r, row, 3, st->system_id, sizeof(st->system_id));
}

static int insert_event(struct hd_store *s, const struct record_args *a, const char *system_id)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, a->id);
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, a->start ? "notification" : "retract");
    hd_pg_i64(&p, a->at);
    hd_pg_bool(&p, a->start);
    int err = hd_pg_fetch_i64(s, SQL_EVENT_INSERT, &p, a->seq, "event insert");
    if (!err && *a->seq <= 0) {
        hd_log(HD_LOG_ERROR, "store: event insert: the event counter has no row");
        err = HD_E_STORAGE;
    }
    return err;
}

/* Whether the state leaves something to record (or, for an end that never started, to
 * settle). */
static bool to_record(const struct record_args *a, const struct event_state *st)
{
    return a->start ? !st->started && !st->cancelled && !st->ended : !st->ended;
}

static int read_event_state(struct hd_store *s, const struct hd_pg_params *p,
                            struct event_state *st)
{
    return hd_pg_fetch(s, SQL_EVENT_STATE, p, read_state, NULL, st, "event state");
}

static int record_body(struct hd_store *s, const void *arg)
{
    const struct record_args *a = arg;
    struct event_state st = {0};
    struct hd_pg_params p = {0};
    hd_pg_text(&p, a->id);
    int64_t last;
    *a->seq = 0;
    int err = read_event_state(s, &p, &st);
    if (err || !to_record(a, &st))
        return err;
    if ((err = hd_pg_fetch_i64(s, SQL_COUNTER_LOCK, NULL, &last, "event counter")) ||
        (err = read_event_state(s, &p, &st)) || !to_record(a, &st))
        return err;
    if (!a->start && !st.started) /* it never showed: settle its end without an event */
        return hd_pg_run(s, SQL_SETTLE_END, &p, "event settle", NULL);
    return insert_event(s, a, st.system_id);
}

int hd_pg_event_record(struct hd_store *s, const char *notification_id, bool start, int64_t at,
                       int64_t *seq)
{
    struct record_args a = {notification_id, start, at, seq};
    int err = hd_pg_in_transaction(s, record_body, &a);
    if (err)
        *seq = 0;
    return err;
}

int hd_pg_event_record_new(struct hd_store *s, const struct hd_notification *n, int64_t at,
                           int64_t *seq)
{
    struct record_args a = {n->id, true, at, seq};
    int err = insert_event(s, &a, n->system_id);
    if (err)
        *seq = 0;
    return err;
}

/* $1 system, $2 user, $4 after this seq, $5 limit. LATERAL with its LIMIT keeps the targets the
 * outer loop: each target's events come from the (notification_id, seq) index, so the query
 * never walks the events of other users, however old `after` is. */
static const char SQL_EVENTS_SINCE[] =
    PG_TARGETS_WITH "SELECT " NOTIF_COLS ", e.seq, e.kind FROM targets t"
                    " CROSS JOIN LATERAL (SELECT seq, kind, notification_id FROM events"
                    "  WHERE notification_id = t.nid AND seq > $4 ORDER BY seq LIMIT $5) e"
                    " JOIN notifications n ON n.id = e.notification_id"
                    " ORDER BY e.seq LIMIT $5";

static bool read_event(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_stream_event *e = out;
    e->seq = hd_pg_col_i64(r, row, 15);
    e->kind = hd_pg_col_str(r, row, 16, ar);
    return e->kind && hd_pg_read_notification(r, row, 0, ar, &e->n);
}

int hd_pg_events_since(struct hd_store *s, const char *system_id, const char *end_user_id,
                       int64_t after, struct hd_arena *ar, struct hd_stream_event *out, size_t max,
                       size_t *count)
{
    *count = 0;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, end_user_id);
    hd_pg_text(&p, HD_PG_CURSOR_MAX);
    hd_pg_i64(&p, after);
    hd_pg_size(&p, max);
    return hd_pg_fetch_many(s, SQL_EVENTS_SINCE, &p, read_event, ar, out, sizeof(*out), max, count,
                            "events since");
}

/* $1 after this seq, $2 limit. */
static const char SQL_EVENTS_PAGE[] = "SELECT " NOTIF_COLS ", e.seq, e.kind FROM events e"
                                      " JOIN notifications n ON n.id = e.notification_id"
                                      " WHERE e.seq > $1 ORDER BY e.seq LIMIT $2";

int hd_pg_events_page(struct hd_store *s, int64_t after, struct hd_arena *ar,
                      struct hd_stream_event *out, size_t max, size_t *count)
{
    *count = 0;
    struct hd_pg_params p = {0};
    hd_pg_i64(&p, after);
    hd_pg_size(&p, max);
    return hd_pg_fetch_many(s, SQL_EVENTS_PAGE, &p, read_event, ar, out, sizeof(*out), max, count,
                            "events page");
}

/* The counter's committed value: seqs commit in order, so every seq up to it is visible. */
static const char SQL_EVENTS_LAST[] = "SELECT last FROM event_counter";

int hd_pg_events_last(struct hd_store *s, int64_t *seq)
{
    return hd_pg_fetch_i64(s, SQL_EVENTS_LAST, NULL, seq, "events last");
}

/* ---- what the scheduler has to do ---- */

/* $2: only what is due before this time (the scheduler's horizon). */
static const char SQL_PENDING[] =
    "SELECT id, start_at, 1 FROM notifications"
    " WHERE started_seq IS NULL AND ended_seq IS NULL AND cancelled_at IS NULL AND start_at < $2"
    " UNION ALL SELECT id, end_at, 0 FROM notifications"
    " WHERE ended_seq IS NULL AND (started_seq IS NOT NULL OR cancelled_at IS NOT NULL)"
    " AND end_at < $2 LIMIT $1";

static bool read_due(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    (void)ar;
    struct hd_due *d = out;
    d->at = hd_pg_col_i64(r, row, 1);
    d->start = hd_pg_col_i64(r, row, 2) != 0;
    return hd_pg_col_copy(r, row, 0, d->id, sizeof(d->id));
}

int hd_pg_schedule_pending(struct hd_store *s, int64_t before, struct hd_due *out, size_t max,
                           size_t *count)
{
    *count = 0;
    struct hd_pg_params p = {0};
    hd_pg_size(&p, max);
    hd_pg_i64(&p, before);
    return hd_pg_fetch_many(s, SQL_PENDING, &p, read_due, NULL, out, sizeof(*out), max, count,
                            "schedule pending");
}

/* ---- routing a published event ---- */

static const char SQL_TARGET_USERS[] =
    "SELECT end_user_id FROM notification_users WHERE notification_id = $1";
static const char SQL_TARGET_AUDIENCES[] =
    "SELECT audience_id FROM notification_audiences WHERE notification_id = $1";
static const char SQL_USER_AUDIENCES[] =
    "SELECT audience_id FROM audience_members WHERE system_id = $1 AND end_user_id = $2";

static bool read_text(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    *(const char **)out = hd_pg_col_str(r, row, 0, ar);
    return *(const char **)out != NULL;
}

static int list_texts(struct hd_store *s, const char *sql, const char *a, const char *b,
                      struct hd_arena *ar, const char ***out, size_t max, size_t *n)
{
    *out = hd_arena_alloc(ar, (max + 1) * sizeof(**out));
    *n = 0;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, a);
    if (b)
        hd_pg_text(&p, b);
    return hd_pg_fetch_many(s, sql, &p, read_text, ar, *out, sizeof(**out), max, n, "list");
}

int hd_pg_notification_targets(struct hd_store *s, const char *id, struct hd_arena *ar,
                               const char ***users, size_t *n_users, const char ***audiences,
                               size_t *n_audiences)
{
    int err = list_texts(s, SQL_TARGET_USERS, id, NULL, ar, users, HD_TARGETS_MAX, n_users);
    return err ? err
               : list_texts(s, SQL_TARGET_AUDIENCES, id, NULL, ar, audiences, HD_TARGETS_MAX,
                            n_audiences);
}

int hd_pg_user_audiences(struct hd_store *s, const char *system_id, const char *end_user_id,
                         struct hd_arena *ar, const char ***ids, size_t max, size_t *n)
{
    return list_texts(s, SQL_USER_AUDIENCES, system_id, end_user_id, ar, ids, max, n);
}

static const char SQL_NOTIFICATION_ANY[] =
    "SELECT " NOTIF_COLS " FROM notifications n WHERE n.id = $1";

static bool read_one(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    return hd_pg_read_notification(r, row, 0, ar, out);
}

int hd_pg_notification_any(struct hd_store *s, const char *id, struct hd_arena *ar,
                           struct hd_notification *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    return hd_pg_fetch(s, SQL_NOTIFICATION_ANY, &p, read_one, ar, out, "notification any");
}
