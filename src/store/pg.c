/* pg.c: store.h on PostgreSQL (libpq): opening a connection, the schema migrations (applied
 * once under an advisory lock, however many nodes start at once), the server secret, group
 * commit, and the helpers of pg_db.h (prepared statements, parameters, values, transactions,
 * errors). The store's other calls live in pg_tenants.c, pg_content.c, pg_audiences.c,
 * pg_notifications.c, pg_events.c, pg_delivery.c and pg_idempotency.c.
 *
 * Each struct hd_store is one connection, used by one thread at a time. When the connection is
 * lost, the call fails with HD_E_UNAVAILABLE (503 + Retry-After to the client) and so does every
 * call until the open transaction, if any, has ended: its work is gone as a whole, never half.
 * The first call after that reconnects (at most one attempt per RECONNECT_MS). */
#include "store/pg_db.h"

#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embed.h"
#include "core/log.h"
#include "core/ids.h"
#include "core/mem.h"
#include "core/slice.h"
#include "core/time.h"

#define MIGRATIONS      "migrations/pg/"
#define SECRET_KEY      "server_secret"
#define RECONNECT_MS    1000
#define CONNECT_TIMEOUT "5"
/* pg_advisory_lock key of the migrations: "herald" in ASCII */
#define MIGRATION_LOCK "110101114097108100"

/* ---- connecting ---- */

/* The server's notices and the messages of a backend that is going away (libpq would print
 * them on stderr): logged at debug level, on one line. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    hd_log(HD_LOG_DEBUG, "store: PostgreSQL says: %.*s", (int)strcspn(message, "\n"), message);
}

static PGconn *connect_to(const char *conninfo)
{
    /* JIT compiling pays off for long analytic queries, never for ours: it only adds latency.
     * What the URL itself says comes after these defaults, so it wins. */
    const char *keys[] = {"options", "connect_timeout", "application_name", "dbname", NULL};
    const char *values[] = {"-c jit=off", CONNECT_TIMEOUT, "herald", conninfo, NULL};
    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (c && PQstatus(c) == CONNECTION_OK)
        PQsetNoticeProcessor(c, on_notice, NULL);
    return c;
}

/* The message libpq gave, on one line, without the password it may not contain anyway. */
static void conn_error(PGconn *c, char *errbuf, size_t errlen)
{
    snprintf(errbuf, errlen, "%s", c ? PQerrorMessage(c) : "out of memory");
    for (char *p = errbuf; *p; p++)
        if (*p == '\n')
            *p = *(p + 1) ? ' ' : '\0';
}

static void forget_prepared(struct hd_pg *pg)
{
    memset(pg->prepared, 0, sizeof(pg->prepared));
}

/* Outside a transaction, before anything is sent: whether the server has closed the connection
 * meanwhile (it restarted, or dropped us). A closed socket reads as ready, and libpq then
 * finds the end of the stream; anything else ready (a notification) is kept for PQnotifies. */
static bool closed_while_idle(struct hd_pg *pg)
{
    /* a terminated backend sends its FATAL message, then closes: up to two reads to see both */
    for (int reads = 0; reads < 3; reads++) {
        struct pollfd p = {.fd = PQsocket(pg->conn), .events = POLLIN};
        if (p.fd < 0)
            return true;
        if (poll(&p, 1, 0) <= 0)
            return false;
        if (!PQconsumeInput(pg->conn) || PQstatus(pg->conn) != CONNECTION_OK)
            return true;
    }
    return false;
}

/* Before a call: a lost connection is re-made, unless a transaction was open on it (then the
 * caller's transaction must end first) or the last attempt was too recent. A connection found
 * closed before a transaction starts is re-made at once, so the first call after a restart of
 * PostgreSQL succeeds. */
static int ensure_connected(struct hd_pg *pg)
{
    if (!pg->broken && pg->tx_depth == 0 && closed_while_idle(pg)) {
        pg->broken = true;
        pg->next_reconnect = 0;
    }
    if (!pg->broken)
        return 0;
    if (pg->tx_depth > 0)
        return HD_E_UNAVAILABLE;
    int64_t now = hd_time_mono_ms();
    if (now < pg->next_reconnect)
        return HD_E_UNAVAILABLE;
    pg->next_reconnect = now + RECONNECT_MS;
    PQfinish(pg->conn);
    forget_prepared(pg);
    pg->conn = connect_to(pg->conninfo);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        char msg[256];
        conn_error(pg->conn, msg, sizeof(msg));
        hd_log(HD_LOG_WARN, "store: reconnecting to PostgreSQL failed: %s", msg);
        return HD_E_UNAVAILABLE;
    }
    hd_log(HD_LOG_INFO, "store: reconnected to PostgreSQL");
    pg->broken = false;
    pg->listening = false;
    return 0;
}

/* ---- errors ---- */

static bool sqlstate_is(const char *state, const char *code)
{
    return state && strcmp(state, code) == 0;
}

/* Maps a failed result (or NULL) to an hd_err; logs what is not the caller's. */
static int fail(struct hd_pg *pg, PGresult *r, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (sqlstate_is(state, "23505"))
        return HD_E_CONFLICT;
    if (sqlstate_is(state, "23503"))
        return HD_E_NOT_FOUND;
    if (PQstatus(pg->conn) != CONNECTION_OK || (state && strncmp(state, "08", 2) == 0) ||
        (state && strncmp(state, "57P", 3) == 0)) {
        if (!pg->broken)
            hd_log(HD_LOG_WARN, "store: %s: the connection to PostgreSQL was lost", what);
        pg->broken = true;
        return HD_E_UNAVAILABLE;
    }
    if (sqlstate_is(state, "40001") || sqlstate_is(state, "40P01")) {
        hd_log(HD_LOG_WARN, "store: %s: %s", what,
               sqlstate_is(state, "40001") ? "serialization failure" : "deadlock");
        return HD_E_UNAVAILABLE;
    }
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(pg->conn);
    hd_log(HD_LOG_ERROR, "store: %s: %.*s (%s)", what, (int)strcspn(msg, "\n"), msg,
           state ? state : "-");
    return HD_E_STORAGE;
}

/* ---- parameters ---- */

static int next_param(struct hd_pg_params *p)
{
    if (p->n >= HD_PG_PARAMS_MAX) {
        fprintf(stderr, "herald: store: more than %d parameters; raise HD_PG_PARAMS_MAX\n",
                HD_PG_PARAMS_MAX);
        abort();
    }
    int i = p->n++;
    p->lengths[i] = 0;
    p->formats[i] = 0;
    return i;
}

void hd_pg_text(struct hd_pg_params *p, const char *v)
{
    p->values[next_param(p)] = v;
}

void hd_pg_i64(struct hd_pg_params *p, int64_t v)
{
    int i = next_param(p);
    snprintf(p->numbers[i], sizeof(p->numbers[i]), "%lld", (long long)v);
    p->values[i] = p->numbers[i];
}

void hd_pg_size(struct hd_pg_params *p, size_t v)
{
    hd_pg_i64(p, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

void hd_pg_time(struct hd_pg_params *p, int64_t v)
{
    if (v)
        hd_pg_i64(p, v);
    else
        hd_pg_text(p, NULL);
}

void hd_pg_bool(struct hd_pg_params *p, bool v)
{
    hd_pg_text(p, v ? "t" : "f");
}

void hd_pg_bytes(struct hd_pg_params *p, const void *v, size_t n)
{
    int i = next_param(p);
    p->values[i] = v;
    p->lengths[i] = (int)n;
    p->formats[i] = 1;
}

/* An array literal {"a","b",NULL}: each element quoted, with " and \ escaped; NULL unquoted. */
void hd_pg_text_array(struct hd_pg_params *p, struct hd_arena *ar, const char *const *v, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += v[i] ? 2 * strlen(v[i]) + 3 : 5;
    char *out = hd_arena_alloc(ar, len), *w = out;
    *w++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *w++ = ',';
        if (!v[i]) {
            memcpy(w, "NULL", 4);
            w += 4;
            continue;
        }
        *w++ = '"';
        for (const char *c = v[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                *w++ = '\\';
            *w++ = *c;
        }
        *w++ = '"';
    }
    *w++ = '}';
    *w = '\0';
    hd_pg_text(p, out);
}

/* ---- prepared statements ---- */

static size_t slot_of(const char *sql)
{
    uint64_t h = (uint64_t)(uintptr_t)sql * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 40) & (HD_PG_SLOTS - 1);
}

/* The statement's slot, preparing it on first use; -1 on failure (*err set). */
static int prepared_slot(struct hd_pg *pg, const char *sql, const char *what, int *err)
{
    size_t i = slot_of(sql);
    for (size_t probes = 0; probes < HD_PG_SLOTS; probes++, i = (i + 1) & (HD_PG_SLOTS - 1)) {
        if (pg->prepared[i] == sql)
            return (int)i;
        if (pg->prepared[i])
            continue;
        char name[16];
        snprintf(name, sizeof(name), "s%zu", i);
        PGresult *r = PQprepare(pg->conn, name, sql, 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            *err = fail(pg, r, what);
            PQclear(r);
            return -1;
        }
        PQclear(r);
        pg->prepared[i] = sql;
        return (int)i;
    }
    fprintf(stderr, "herald: store: more than %d distinct SQL statements; raise HD_PG_SLOTS\n",
            HD_PG_SLOTS);
    abort();
}

/* r when it succeeded; else NULL, r cleared and *err set. A failed statement aborts the
 * transaction up to its savepoint: inside a job, the job is then undone whatever it does next. */
static PGresult *result_of(struct hd_pg *pg, PGresult *r, const char *what, int *err)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return r;
    *err = fail(pg, r, what);
    PQclear(r);
    if (pg->in_job && !pg->job_undo)
        pg->job_undo = *err;
    return NULL;
}

PGresult *hd_pg_query(struct hd_store *s, const char *sql, const struct hd_pg_params *p,
                      const char *what, int *err)
{
    struct hd_pg *pg = s->pg;
    if ((*err = ensure_connected(pg)))
        return NULL;
    int slot = prepared_slot(pg, sql, what, err);
    if (slot < 0)
        return NULL;
    char name[16];
    snprintf(name, sizeof(name), "s%d", slot);
    PGresult *r = PQexecPrepared(pg->conn, name, p ? p->n : 0, p ? p->values : NULL,
                                 p ? p->lengths : NULL, p ? p->formats : NULL, 0);
    return result_of(pg, r, what, err);
}

PGresult *hd_pg_query_once(struct hd_store *s, const char *sql, const struct hd_pg_params *p,
                           const char *what, int *err)
{
    struct hd_pg *pg = s->pg;
    if ((*err = ensure_connected(pg)))
        return NULL;
    PGresult *r = PQexecParams(pg->conn, sql, p ? p->n : 0, NULL, p ? p->values : NULL,
                               p ? p->lengths : NULL, p ? p->formats : NULL, 0);
    return result_of(pg, r, what, err);
}

int hd_pg_run(struct hd_store *s, const char *sql, const struct hd_pg_params *p, const char *what,
              int64_t *changed)
{
    int err;
    PGresult *r = hd_pg_query(s, sql, p, what, &err);
    if (!r)
        return err;
    if (changed)
        *changed = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

int hd_pg_run_changed(struct hd_store *s, const char *sql, const struct hd_pg_params *p,
                      const char *what)
{
    int64_t changed = 0;
    int err = hd_pg_run(s, sql, p, what, &changed);
    return err ? err : changed ? 0 : HD_E_NOT_FOUND;
}

static int corrupt(const char *what)
{
    hd_log(HD_LOG_ERROR, "store: %s: a stored value has the wrong type or size", what);
    return HD_E_STORAGE;
}

int hd_pg_fetch(struct hd_store *s, const char *sql, const struct hd_pg_params *p,
                hd_pg_row_reader read, struct hd_arena *ar, void *out, const char *what)
{
    int err;
    PGresult *r = hd_pg_query(s, sql, p, what, &err);
    if (!r)
        return err;
    err = PQntuples(r) == 0 ? HD_E_NOT_FOUND : read(r, 0, ar, out) ? 0 : corrupt(what);
    PQclear(r);
    return err;
}

int hd_pg_fetch_many(struct hd_store *s, const char *sql, const struct hd_pg_params *p,
                     hd_pg_row_reader read, struct hd_arena *ar, void *out, size_t size, size_t max,
                     size_t *count, const char *what)
{
    *count = 0;
    int err;
    PGresult *r = hd_pg_query(s, sql, p, what, &err);
    if (!r)
        return err;
    size_t rows = (size_t)PQntuples(r);
    for (size_t i = 0; i < rows && i < max && !err; i++) {
        memset((char *)out + i * size, 0, size);
        if (read(r, (int)i, ar, (char *)out + i * size))
            (*count)++;
        else
            err = corrupt(what);
    }
    PQclear(r);
    return err;
}

int hd_pg_fetch_i64(struct hd_store *s, const char *sql, const struct hd_pg_params *p, int64_t *v,
                    const char *what)
{
    int err;
    PGresult *r = hd_pg_query(s, sql, p, what, &err);
    if (!r)
        return err;
    *v = PQntuples(r) ? hd_pg_col_i64(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

/* ---- reading values ---- */

bool hd_pg_is_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col);
}

const char *hd_pg_col_str(const PGresult *r, int row, int col, struct hd_arena *ar)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return hd_arena_strndup(ar, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

bool hd_pg_col_copy(const PGresult *r, int row, int col, char *dst, size_t cap)
{
    if (PQgetisnull(r, row, col))
        return false;
    size_t n = (size_t)PQgetlength(r, row, col);
    if (n >= cap)
        return false;
    memcpy(dst, PQgetvalue(r, row, col), n);
    dst[n] = '\0';
    return true;
}

int64_t hd_pg_col_i64(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool hd_pg_col_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

/* bytea in text form is hex: \x followed by two digits a byte. */
bool hd_pg_col_bytes(const PGresult *r, int row, int col, void *dst, size_t len)
{
    if (PQgetisnull(r, row, col))
        return false;
    const char *v = PQgetvalue(r, row, col);
    if ((size_t)PQgetlength(r, row, col) != 2 + 2 * len || v[0] != '\\' || v[1] != 'x')
        return false;
    unsigned char *out = dst;
    for (size_t i = 0; i < len; i++) {
        int hi = hd_hex_digit(v[2 + 2 * i]), lo = hd_hex_digit(v[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

/* ---- transactions ---- */

/* Runs a transaction-control command (BEGIN, SAVEPOINT…) in simple-query mode. */
static int control(struct hd_pg *pg, const char *sql, const char *expect_status)
{
    PGresult *r = PQexec(pg->conn, sql);
    int err = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        err = fail(pg, r, sql);
    else if (expect_status && strcmp(PQcmdStatus(r), expect_status) != 0)
        err = HD_E_UNAVAILABLE; /* COMMIT of a transaction that had failed answers ROLLBACK */
    PQclear(r);
    return err;
}

static int tx_begin(struct hd_pg *pg)
{
    int err = ensure_connected(pg);
    if (err)
        return err;
    char sql[32];
    if (pg->tx_depth == 0)
        snprintf(sql, sizeof(sql), "BEGIN");
    else
        snprintf(sql, sizeof(sql), "SAVEPOINT sp%d", pg->tx_depth);
    if ((err = control(pg, sql, NULL)))
        return err;
    pg->tx_depth++;
    return 0;
}

/* Ends the innermost transaction or savepoint: commit keeps its work, else it is undone. */
static int tx_end(struct hd_pg *pg, bool commit)
{
    if (pg->tx_depth == 0)
        return HD_E_STORAGE;
    int depth = --pg->tx_depth;
    if (pg->broken) /* the server already dropped the transaction */
        return HD_E_UNAVAILABLE;
    char sql[96];
    if (depth == 0)
        return control(pg, commit ? "COMMIT" : "ROLLBACK", commit ? "COMMIT" : NULL);
    if (commit)
        snprintf(sql, sizeof(sql), "RELEASE SAVEPOINT sp%d", depth);
    else
        snprintf(sql, sizeof(sql), "ROLLBACK TO SAVEPOINT sp%d; RELEASE SAVEPOINT sp%d", depth,
                 depth);
    return control(pg, sql, NULL);
}

int hd_pg_in_transaction(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                         const void *arg)
{
    if (s->pg->in_job) {
        int err = body(s, arg);
        if (err && !s->pg->job_undo)
            s->pg->job_undo = err;
        return err;
    }
    int err = tx_begin(s->pg);
    if (err)
        return err;
    err = body(s, arg);
    int end = tx_end(s->pg, err == 0);
    return err ? err : end;
}

int hd_pg_batch_begin(struct hd_store *s)
{
    if (s->pg->tx_depth)
        return HD_E_STORAGE;
    return tx_begin(s->pg);
}

int hd_pg_batch_end(struct hd_store *s, bool commit)
{
    return tx_end(s->pg, commit);
}

/* A job of the batch: with (savepoint true) or without a savepoint of its own, shared by the
 * calls it makes (hd_pg_in_transaction). */
static int run_job(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                   const void *arg, bool savepoint)
{
    struct hd_pg *pg = s->pg;
    int err = savepoint ? tx_begin(pg) : 0;
    if (err)
        return err;
    pg->in_job = true;
    pg->job_undo = 0;
    err = body(s, arg);
    if (!err)
        err = pg->job_undo;
    pg->in_job = false;
    int end = savepoint ? tx_end(pg, err == 0) : 0;
    return err ? err : end;
}

int hd_pg_in_savepoint(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                       const void *arg)
{
    return run_job(s, body, arg, true);
}

int hd_pg_in_job(struct hd_store *s, int (*body)(struct hd_store *, const void *), const void *arg)
{
    return run_job(s, body, arg, false);
}

int hd_pg_defer_sync(struct hd_store *s, int *fd)
{
    (void)s;
    *fd = -1; /* each COMMIT is durable when it returns */
    return 0;
}

int hd_pg_trust_references(struct hd_store *s)
{
    (void)s; /* the server checks them, at no cost to this process */
    return 0;
}

int hd_pg_checkpoint(struct hd_store *s, int64_t *log_pages, int64_t *copied_pages)
{
    (void)s; /* the server checkpoints its own log */
    *log_pages = *copied_pages = 0;
    return 0;
}

int hd_pg_targets_move(struct hd_store *s, size_t max, size_t *moved)
{
    (void)s; /* notification_users_user is written with each notification */
    (void)max;
    *moved = 0;
    return 0;
}

int hd_pg_watch_log(struct hd_store *s, struct hd_log_progress *p)
{
    (void)s; /* the server manages its own log */
    (void)p;
    return 0;
}

/* ---- migrations ---- */

static int exec_script(PGconn *c, const char *sql, char *errbuf, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int err = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        snprintf(errbuf, errlen, "%s", PQresultErrorMessage(r));
        errbuf[strcspn(errbuf, "\n")] = '\0';
        err = HD_E_STORAGE;
    }
    PQclear(r);
    return err;
}

static int schema_version(PGconn *c, long *version)
{
    PGresult *r = PQexec(c, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    int err = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? 0 : HD_E_STORAGE;
    *version = err ? 0 : strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return err;
}

/* One migration and its record, in one transaction. */
static int apply_migration(void *ctx, const struct hd_embedded *m, long version, char *errbuf,
                           size_t errlen)
{
    PGconn *c = ctx;
    char record[128];
    snprintf(record, sizeof(record),
             "INSERT INTO schema_migrations (version, applied_at) VALUES (%ld, %lld)", version,
             (long long)hd_time_now_ms());
    int err = exec_script(c, "BEGIN", errbuf, errlen);
    if (!err)
        err = exec_script(c, (const char *)m->data, errbuf, errlen);
    if (!err)
        err = exec_script(c, record, errbuf, errlen);
    if (!err)
        err = exec_script(c, "COMMIT", errbuf, errlen);
    if (err) {
        char ignored[8];
        (void)exec_script(c, "ROLLBACK", ignored, sizeof(ignored));
        return err;
    }
    hd_log(HD_LOG_INFO, "store: applied %s", m->path);
    return 0;
}

static int apply_pending(PGconn *c, char *errbuf, size_t errlen)
{
    long current;
    if (schema_version(c, &current)) {
        snprintf(errbuf, errlen, "cannot read the schema version");
        return HD_E_STORAGE;
    }
    return hd_store_migrate(MIGRATIONS, current, apply_migration, c, errbuf, errlen);
}

/* Under a session advisory lock: of several nodes starting at once, one applies what is
 * pending while the others wait, then find it applied. */
static int migrate(PGconn *c, char *errbuf, size_t errlen)
{
    if (exec_script(c, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")", errbuf, errlen))
        return HD_E_STORAGE;
    int err = exec_script(c,
                          "SET client_min_messages = warning;"
                          "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY"
                          " KEY, applied_at bigint NOT NULL)",
                          errbuf, errlen);
    if (!err)
        err = apply_pending(c, errbuf, errlen);
    char ignored[8];
    (void)exec_script(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")", ignored, sizeof(ignored));
    return err;
}

int hd_pg_open(const char *url, struct hd_store **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    PGconn *c = connect_to(url);
    if (PQstatus(c) != CONNECTION_OK) {
        char msg[256];
        conn_error(c, msg, sizeof(msg));
        snprintf(errbuf, errlen, "cannot connect to PostgreSQL: %s", msg);
        PQfinish(c);
        return HD_E_UNAVAILABLE;
    }
    char msg[256] = "";
    if (migrate(c, msg, sizeof(msg))) {
        snprintf(errbuf, errlen, "cannot migrate the PostgreSQL schema: %s", msg);
        PQfinish(c);
        return HD_E_STORAGE;
    }
    struct hd_store *s = hd_xcalloc(1, sizeof(*s));
    s->pg = hd_xcalloc(1, sizeof(*s->pg));
    s->pg->conn = c;
    s->pg->conninfo = hd_xstrdup(url);
    *out = s;
    return 0;
}

void hd_pg_close(struct hd_store *s)
{
    if (!s)
        return;
    PQfinish(s->pg->conn);
    free(s->pg->conninfo);
    free(s->pg);
    free(s);
}

/* ---- server secret ---- */

static bool read_secret(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    return hd_pg_col_bytes(r, row, 0, out, HD_SECRET_LEN);
}

static const char SQL_SECRET_INSERT[] =
    "INSERT INTO meta (key, value) VALUES ('" SECRET_KEY "', $1) ON CONFLICT (key) DO NOTHING";
static const char SQL_SECRET_GET[] = "SELECT value FROM meta WHERE key = '" SECRET_KEY "'";

/* Insert-if-absent then read back: of two nodes creating it at once, both get the winner's. */
int hd_pg_server_secret(struct hd_store *s, unsigned char out[HD_SECRET_LEN])
{
    int err = hd_pg_fetch(s, SQL_SECRET_GET, NULL, read_secret, NULL, out, "server secret");
    if (err != HD_E_NOT_FOUND)
        return err;
    unsigned char fresh[HD_SECRET_LEN];
    hd_random_bytes(fresh, sizeof(fresh));
    struct hd_pg_params p = {0};
    hd_pg_bytes(&p, fresh, sizeof(fresh));
    err = hd_pg_run(s, SQL_SECRET_INSERT, &p, "server secret", NULL);
    explicit_bzero(fresh, sizeof(fresh));
    return err ? err
               : hd_pg_fetch(s, SQL_SECRET_GET, NULL, read_secret, NULL, out, "server secret");
}

/* ---- first start ---- */

static const char SQL_FIRST_START[] =
    "INSERT INTO meta (key, value) VALUES ('first_start', '\\x01'::bytea) ON CONFLICT DO NOTHING";

int hd_pg_first_start_claim(struct hd_store *s, bool *claimed)
{
    int64_t changed = 0;
    int err = hd_pg_run(s, SQL_FIRST_START, NULL, "first start", &changed);
    *claimed = !err && changed == 1;
    return err;
}

/* ---- events of other nodes ---- */

/* The channel pg_events.c notifies at each commit of events (the payload is the seq). */
#define EVENTS_CHANNEL "herald_events"

static int listen_once(struct hd_pg *pg)
{
    PGresult *r = PQexec(pg->conn, "LISTEN " EVENTS_CHANNEL);
    int err = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail(pg, r, "listen");
    PQclear(r);
    pg->listening = !err;
    return err;
}

/* Reads what arrived on the socket; true when it held notifications. */
static bool drain_notifications(struct hd_pg *pg)
{
    bool any = false;
    for (PGnotify *n; (n = PQnotifies(pg->conn)); PQfreemem(n))
        any = true;
    return any;
}

int hd_pg_events_wait(struct hd_store *s, int timeout_ms, bool *notified)
{
    struct hd_pg *pg = s->pg;
    *notified = false;
    int err = ensure_connected(pg);
    if (!err && !pg->listening) {
        /* a new connection may have missed notifications: the caller catches up */
        err = listen_once(pg);
        *notified = !err;
        return err;
    }
    if (err) {
        poll(NULL, 0, timeout_ms); /* PostgreSQL is away: wait before the next attempt */
        return err;
    }
    if (drain_notifications(pg)) {
        *notified = true;
        return 0;
    }
    struct pollfd p = {.fd = PQsocket(pg->conn), .events = POLLIN};
    if (poll(&p, 1, timeout_ms) > 0 && !PQconsumeInput(pg->conn))
        return fail(pg, NULL, "listen");
    *notified = drain_notifications(pg);
    return 0;
}
