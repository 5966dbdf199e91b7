/* sqlite_audiences.c: audiences on SQLite: the lookups the trigger path needs, administration
 * (get, list, soft delete, explicit members), and rule audiences: their rules compiled to SQL,
 * and their members materialized into audience_members, re-evaluated in full for a trigger
 * (hd_store_audience_refresh) and for one user when they read their feed. */
#include <stdlib.h>
#include <string.h>

#include "store/rules.h"
#include "store/sqlite_db.h"

static const char SQL_AUDIENCE_EXISTS[] =
    "SELECT 1 FROM audiences WHERE id = ?1 AND system_id = ?2 AND deleted_at IS NULL";

static int audience_exists(struct hd_store *s, const char *system_id, const char *id, bool *yes)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_AUDIENCE_EXISTS);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_text(st, 2, system_id))
        return hd_sq_bind_failed(s, st, "audience exists");
    int rc = sqlite3_step(st);
    *yes = rc == SQLITE_ROW;
    int err = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hd_sq_fail(s, "audience exists");
    hd_sq_done(st);
    return err;
}

int hd_sqlite_audiences_missing(struct hd_store *s, const char *system_id, const char *const *ids,
                                size_t n, size_t *missing, size_t *n_missing)
{
    *n_missing = 0;
    for (size_t i = 0; i < n; i++) {
        bool yes = false;
        int err = audience_exists(s, system_id, ids[i], &yes);
        if (err)
            return err;
        if (!yes)
            missing[(*n_missing)++] = i;
    }
    return 0;
}

/* ---- rules (rules.h) in SQLite's dialect ----
 *
 * An attribute is CAST(json_extract(u.attributes, ?N) AS TEXT), its name bound as the JSON path
 * $."name"; `is` and `is not` are IS and IS NOT (NULL-safe); `like` is LIKE ?N ESCAPE '\'. */

static const struct hd_rules_dialect SQLITE_RULES = {
    .mark = '?',
    .attr_open = "CAST(json_extract(u.attributes, ",
    .attr_close = ") AS TEXT)",
    .attr_path = true,
    .is = " IS ",
    .is_not = " IS NOT ",
    .like = " LIKE ",
    .like_close = " ESCAPE '\\'",
};

/* Prepares head || rules || tail, the rules compiled with parameters from ?first and bound; the
 * caller binds the others and finalizes *out. HD_E_VALIDATION when the rules do not compile. */
static int prepare_rules(struct hd_store *s, const char *rules_json, int first, const char *head,
                         const char *tail, sqlite3_stmt **out)
{
    struct hd_rules_sql *r;
    *out = NULL;
    int err = hd_rules_compile(&SQLITE_RULES, rules_json, first, &r);
    char *sql = err ? NULL : sqlite3_mprintf("%s%s%s", head, r->text, tail);
    if (!err && (!sql || sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK))
        err = hd_sq_fail(s, "rules prepare");
    for (int i = 0; !err && i < r->nparams; i++)
        if (sqlite3_bind_text(*out, r->first + i, r->params[i], -1, SQLITE_TRANSIENT))
            err = hd_sq_fail(s, "rules bind");
    sqlite3_free(sql);
    hd_rules_free(r);
    if (err) {
        sqlite3_finalize(*out);
        *out = NULL;
    }
    return err;
}

/* Steps a statement of prepare_rules once (a write, or a row read by the caller before), then
 * finalizes it. */
static int run_dynamic(struct hd_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : hd_sq_fail(s, what);
    sqlite3_finalize(st);
    return err;
}

/* The end users of ?2 that the rules match, for the statements below: ?1 audience, ?3 now or
 * an end-user id, rules from ?4. */
#define MATCHING   " FROM end_users u WHERE u.system_id = ?2 AND "
#define RULES_FROM 4

static const char SQL_AUDIENCE_RULES[] =
    "SELECT rules FROM audiences WHERE id = ?1 AND system_id = ?2 AND deleted_at IS NULL";

/* 0 and *rules (malloc'd; NULL for an explicit audience), or HD_E_NOT_FOUND for no live one. */
static int audience_rules(struct hd_store *s, const char *system_id, const char *id, char **rules)
{
    *rules = NULL;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_AUDIENCE_RULES);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_text(st, 2, system_id))
        return hd_sq_bind_failed(s, st, "audience rules");
    int rc = sqlite3_step(st), err = 0;
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
        *rules = strdup((const char *)sqlite3_column_text(st, 0));
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT && !*rules)
        err = HD_E_STORAGE;
    else if (rc != SQLITE_ROW)
        err = rc == SQLITE_DONE ? HD_E_NOT_FOUND : hd_sq_fail(s, "audience rules");
    hd_sq_done(st);
    return err;
}

struct refresh {
    const char *system_id, *id, *rules;
    int64_t now;
};

static const char SQL_EVALUATED[] = "UPDATE audiences SET evaluated_at = ?2 WHERE id = ?1";

/* Members who no longer match leave, then those who match join (the count triggers follow). */
static int refresh_body(struct hd_store *s, const void *arg)
{
    static const char *const parts[2][2] = {
        {"DELETE FROM audience_members WHERE audience_id = ?1 AND end_user_id NOT IN"
         " (SELECT u.id" MATCHING,
         ")"},
        {"INSERT INTO audience_members (audience_id, system_id, end_user_id, added_at)"
         " SELECT ?1, ?2, u.id, ?3" MATCHING,
         " ON CONFLICT DO NOTHING"},
    };
    const struct refresh *r = arg;
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st;
        int err = prepare_rules(s, r->rules, RULES_FROM, parts[i][0], parts[i][1], &st);
        if (!err && (sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC) ||
                     sqlite3_bind_text(st, 2, r->system_id, -1, SQLITE_STATIC) ||
                     sqlite3_bind_int64(st, 3, r->now))) {
            sqlite3_finalize(st);
            err = hd_sq_fail(s, "audience refresh bind");
        } else if (!err) {
            err = run_dynamic(s, st, "audience refresh");
        }
        if (err)
            return err;
    }
    sqlite3_stmt *ev = hd_sq_stmt(s, SQL_EVALUATED);
    if (!ev)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(ev, 1, r->id) || hd_sq_bind_i64(ev, 2, r->now))
        return hd_sq_bind_failed(s, ev, "audience evaluated");
    return hd_sq_run(s, ev, "audience evaluated");
}

int hd_sqlite_audience_refresh(struct hd_store *s, const char *system_id, const char *id,
                               int64_t now)
{
    char *rules;
    int err = audience_rules(s, system_id, id, &rules);
    if (err == HD_E_NOT_FOUND || (!err && !rules))
        return 0;
    struct refresh r = {system_id, id, rules, now};
    if (!err)
        err = hd_sq_in_transaction(s, refresh_body, &r);
    free(rules);
    return err;
}

/* ---- one user's memberships in the rule audiences ---- */

struct rule_audience {
    const char *id, *rules;
    struct rule_audience *next;
};

static const char SQL_RULE_AUDIENCES[] =
    "SELECT id, rules FROM audiences"
    " WHERE system_id = ?1 AND rules IS NOT NULL AND deleted_at IS NULL";

/* The system's live rule audiences (through the partial index audiences_rules). */
static int rule_audiences(struct hd_store *s, const char *system_id, struct hd_arena *ar,
                          struct rule_audience **out)
{
    *out = NULL;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_RULE_AUDIENCES);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, system_id))
        return hd_sq_bind_failed(s, st, "rule audiences");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct rule_audience *a = hd_arena_alloc(ar, sizeof(*a));
        a->id = hd_sq_col_str(st, 0, ar);
        a->rules = hd_sq_col_str(st, 1, ar);
        a->next = *out;
        *out = a;
    }
    int err = rc == SQLITE_DONE ? 0 : hd_sq_fail(s, "rule audiences");
    hd_sq_done(st);
    return err;
}

static const char SQL_MEMBER_JOIN[] =
    "INSERT INTO audience_members (audience_id, system_id, end_user_id, added_at)"
    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";
static const char SQL_MEMBER_LEAVE[] =
    "DELETE FROM audience_members WHERE audience_id = ?1 AND end_user_id = ?2";

/* Makes user a member of audience, or not, as match says. */
static int set_member(struct hd_store *s, const char *system_id, const char *audience,
                      const char *user, bool match, int64_t now)
{
    sqlite3_stmt *st = hd_sq_stmt(s, match ? SQL_MEMBER_JOIN : SQL_MEMBER_LEAVE);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, audience) ||
        (match ? hd_sq_bind_text(st, 2, system_id) || hd_sq_bind_text(st, 3, user) ||
                     hd_sq_bind_i64(st, 4, now)
               : hd_sq_bind_text(st, 2, user)))
        return hd_sq_bind_failed(s, st, "rule membership");
    return hd_sq_run(s, st, "rule membership");
}

/* ?3 an end user: whether the rules match them, and whether they are a member. */
#define CHECK_HEAD "SELECT EXISTS (SELECT 1" MATCHING "u.id = ?3 AND "
#define CHECK_TAIL                                                                                 \
    "), EXISTS (SELECT 1 FROM audience_members WHERE audience_id = ?1 AND end_user_id = ?3)"

/* One audience, n users: the compiled check is prepared once; only differences are written. */
static int refresh_users_in(struct hd_store *s, const char *system_id,
                            const struct rule_audience *a, const char *const *ids, size_t n,
                            int64_t now)
{
    sqlite3_stmt *st;
    int err = prepare_rules(s, a->rules, RULES_FROM, CHECK_HEAD, CHECK_TAIL, &st);
    if (!err && (sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC) ||
                 sqlite3_bind_text(st, 2, system_id, -1, SQLITE_STATIC)))
        err = hd_sq_fail(s, "rule check bind");
    for (size_t i = 0; !err && i < n; i++) {
        if (sqlite3_bind_text(st, 3, ids[i], -1, SQLITE_STATIC)) {
            err = hd_sq_fail(s, "rule check bind");
            break;
        }
        int rc = sqlite3_step(st);
        bool match = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
        bool member = rc == SQLITE_ROW && sqlite3_column_int(st, 1);
        err = rc == SQLITE_ROW ? 0 : hd_sq_fail(s, "rule check");
        sqlite3_reset(st);
        if (!err && match != member)
            err = set_member(s, system_id, a->id, ids[i], match, now);
    }
    sqlite3_finalize(st);
    return err;
}

int hd_sqlite_end_users_refresh_rules(struct hd_store *s, const char *system_id,
                                      const char *const *ids, size_t n, int64_t now)
{
    struct hd_arena *ar = hd_arena_create();
    struct rule_audience *a;
    int err = rule_audiences(s, system_id, ar, &a);
    for (; !err && a; a = a->next)
        err = refresh_users_in(s, system_id, a, ids, n, now);
    hd_arena_destroy(ar);
    return err;
}

/* ---- preview ---- */

static bool read_id(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    return (*(const char **)out = hd_sq_col_str(st, 0, ar)) != NULL;
}

/* ?1 system, ?2 limit, rules from ?3. */
#define PREVIEW_FROM " FROM end_users u WHERE u.system_id = ?1 AND "
static const char PREVIEW_COUNT[] = "SELECT count(*)" PREVIEW_FROM;
static const char PREVIEW_SAMPLE[] = "SELECT u.id" PREVIEW_FROM;

static int preview_count(struct hd_store *s, const char *system_id, const char *rules,
                         int64_t *count)
{
    sqlite3_stmt *st;
    int err = prepare_rules(s, rules, 3, PREVIEW_COUNT, "", &st);
    if (err)
        return err;
    if (sqlite3_bind_text(st, 1, system_id, -1, SQLITE_STATIC)) {
        sqlite3_finalize(st);
        return hd_sq_fail(s, "preview bind");
    }
    int rc = sqlite3_step(st);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int err2 = rc == SQLITE_ROW ? 0 : hd_sq_fail(s, "preview count");
    sqlite3_finalize(st);
    return err2;
}

int hd_sqlite_audience_preview(struct hd_store *s, const char *system_id, const char *rules_json,
                               struct hd_arena *ar, int64_t *count, struct hd_end_user *sample,
                               size_t max, size_t *n_sample)
{
    *count = 0;
    *n_sample = 0;
    int err = preview_count(s, system_id, rules_json, count);
    sqlite3_stmt *st;
    if (err || !max ||
        (err = prepare_rules(s, rules_json, 3, PREVIEW_SAMPLE, " ORDER BY u.id LIMIT ?2", &st)))
        return err;
    const char **ids = hd_arena_alloc(ar, max * sizeof(*ids));
    size_t n = 0;
    if (sqlite3_bind_text(st, 1, system_id, -1, SQLITE_STATIC) ||
        sqlite3_bind_int64(st, 2, (int64_t)max))
        err = hd_sq_fail(s, "preview bind");
    else
        err = hd_sq_fetch_many(s, st, read_id, ar, ids, sizeof(*ids), max, &n, "preview sample");
    sqlite3_finalize(st);
    return err ? err : hd_store_preview_sample(s, system_id, ids, n, ar, sample, n_sample);
}

/* ---- administration ---- */

#define AUDIENCE_COLS                                                                              \
    "id, system_id, name, rules, member_count, created_at, updated_at, evaluated_at"

static bool read_audience(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_audience *a = out;
    a->name = hd_sq_col_str(st, 2, ar);
    a->rules_json = hd_sq_col_str(st, 3, ar);
    a->size = sqlite3_column_int64(st, 4);
    a->created_at = sqlite3_column_int64(st, 5);
    a->updated_at = sqlite3_column_int64(st, 6);
    a->evaluated_at = sqlite3_column_int64(st, 7);
    return hd_sq_col_copy(st, 0, a->id, sizeof(a->id)) &&
           hd_sq_col_copy(st, 1, a->system_id, sizeof(a->system_id)) && a->name;
}

static const char SQL_AUDIENCE_GET[] = "SELECT " AUDIENCE_COLS " FROM audiences"
                                       " WHERE id = ?1 AND system_id = ?2 AND deleted_at IS NULL";

int hd_sqlite_audience_get(struct hd_store *s, const char *system_id, const char *id,
                           struct hd_arena *ar, struct hd_audience *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_AUDIENCE_GET);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_text(st, 2, system_id))
        return hd_sq_bind_failed(s, st, "audience get");
    return hd_sq_fetch(s, st, read_audience, ar, out, "audience get");
}

static const char SQL_AUDIENCE_LIST[] =
    "SELECT " AUDIENCE_COLS " FROM audiences WHERE system_id = ?1 AND deleted_at IS NULL"
    " AND id > ?2 ORDER BY id LIMIT ?3";

int hd_sqlite_audience_list(struct hd_store *s, const char *system_id, const char *after,
                            struct hd_arena *ar, struct hd_audience *out, size_t max, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_AUDIENCE_LIST);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, system_id) || hd_sq_bind_text(st, 2, after ? after : "") ||
        hd_sq_bind_size(st, 3, max))
        return hd_sq_bind_failed(s, st, "audience list");
    return hd_sq_fetch_many(s, st, read_audience, ar, out, sizeof(*out), max, count,
                            "audience list");
}

static const char SQL_AUDIENCE_DELETE[] =
    "UPDATE audiences SET deleted_at = ?3, updated_at = ?3"
    " WHERE id = ?1 AND system_id = ?2 AND deleted_at IS NULL";

int hd_sqlite_audience_delete(struct hd_store *s, const char *system_id, const char *id,
                              int64_t now)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_AUDIENCE_DELETE);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_text(st, 2, system_id) ||
        hd_sq_bind_i64(st, 3, now))
        return hd_sq_bind_failed(s, st, "audience delete");
    return hd_sq_run_changed(s, st, "audience delete");
}

/* ---- explicit members ---- */

struct members {
    const char *system_id, *id, *const *users;
    size_t n, *added;
    int64_t now, *size;
};

static const char SQL_AUDIENCE_TOUCH[] = "UPDATE audiences SET updated_at = ?2 WHERE id = ?1"
                                         " RETURNING member_count";

/* HD_E_NOT_FOUND for no live audience, HD_E_CONFLICT for a rule audience. */
static int explicit_audience(struct hd_store *s, const char *system_id, const char *id)
{
    char *rules;
    int err = audience_rules(s, system_id, id, &rules);
    if (!err && rules)
        err = HD_E_CONFLICT;
    free(rules);
    return err;
}

/* Stamps updated_at; *size gets the member count (when size is not NULL). */
static int touch(struct hd_store *s, const char *id, int64_t now, int64_t *size)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_AUDIENCE_TOUCH);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_i64(st, 2, now))
        return hd_sq_bind_failed(s, st, "audience touch");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && size)
        *size = sqlite3_column_int64(st, 0);
    int err = rc == SQLITE_ROW ? 0 : hd_sq_fail(s, "audience touch");
    hd_sq_done(st);
    return err;
}

static int add_body(struct hd_store *s, const void *arg)
{
    const struct members *m = arg;
    int err = explicit_audience(s, m->system_id, m->id);
    for (size_t i = 0; !err && i < m->n; i++) {
        err = set_member(s, m->system_id, m->id, m->users[i], true, m->now);
        *m->added += !err && sqlite3_changes(s->db) > 0;
    }
    return err ? err : touch(s, m->id, m->now, m->size);
}

int hd_sqlite_audience_add_members(struct hd_store *s, const char *system_id, const char *id,
                                   const char *const *member_ids, size_t n, int64_t now,
                                   size_t *added, int64_t *size)
{
    *added = 0;
    *size = 0;
    struct members m = {system_id, id, member_ids, n, added, now, size};
    int err = hd_sq_in_transaction(s, add_body, &m);
    if (err)
        *added = 0;
    return err;
}

static int remove_body(struct hd_store *s, const void *arg)
{
    const struct members *m = arg;
    int err = explicit_audience(s, m->system_id, m->id);
    sqlite3_stmt *st = err ? NULL : hd_sq_stmt(s, SQL_MEMBER_LEAVE);
    if (err || !st)
        return err ? err : HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, m->id) || hd_sq_bind_text(st, 2, m->users[0]))
        return hd_sq_bind_failed(s, st, "audience member remove");
    err = hd_sq_run_changed(s, st, "audience member remove");
    return err ? err : touch(s, m->id, m->now, NULL);
}

int hd_sqlite_audience_remove_member(struct hd_store *s, const char *system_id, const char *id,
                                     const char *end_user_id, int64_t now)
{
    size_t unused;
    struct members m = {system_id, id, &end_user_id, 1, &unused, now, NULL};
    return hd_sq_in_transaction(s, remove_body, &m);
}
