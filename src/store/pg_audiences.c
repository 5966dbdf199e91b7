/* pg_audiences.c: audiences on PostgreSQL: the lookups the trigger path needs, administration
 * (get, list, soft delete, explicit members), and rule audiences: their rules compiled to SQL
 * (rules.h), and their members materialized into audience_members, re-evaluated in full for a
 * trigger (hd_store_audience_refresh) and for some users when they change or read their feed.
 *
 * Several nodes may change one audience's members at once. Each does it in a transaction that
 * first locks the audience's row (FOR NO KEY UPDATE, before any member row, so they queue
 * instead of deadlocking), then deletes the members who no longer match and inserts those who
 * do with ON CONFLICT DO NOTHING; the schema's statement triggers keep member_count exact. */
#include "store/pg_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/rules.h"

/* ---- rules (rules.h) in PostgreSQL's dialect ----
 *
 * An attribute is herald_attr(u.attributes, $N) (the schema's twin of SQLite's json_extract),
 * its name bound as it is; `is` and `is not` are IS [NOT] DISTINCT FROM (NULL-safe, as SQLite's
 * IS); `like` is ILIKE under the "C" collation, which folds ASCII letters only, as SQLite's LIKE.
 * A rules statement is run unprepared (hd_pg_query_once): its text varies with the rules. */

static const struct hd_rules_dialect PG_RULES = {
    .mark = '$',
    .attr_open = "herald_attr(u.attributes, ",
    .attr_close = ")",
    .attr_path = false,
    .is = " IS NOT DISTINCT FROM ",
    .is_not = " IS DISTINCT FROM ",
    .like = " ILIKE ",
    .like_close = " COLLATE \"C\" ESCAPE '\\'",
    .like_dangling_escape_null = true,
};

/* Runs head || rules || tail with p's parameters, then the rules' (appended to p).
 * HD_E_VALIDATION when the rules do not compile. */
static PGresult *rules_query(struct hd_store *s, const char *rules_json, const char *head,
                             const char *tail, struct hd_pg_params *p, const char *what, int *err)
{
    struct hd_rules_sql *r;
    if ((*err = hd_rules_compile(&PG_RULES, rules_json, p->n + 1, &r)))
        return NULL;
    char sql[HD_RULES_SQL_MAX + 1024];
    int len = snprintf(sql, sizeof(sql), "%s%s%s", head, r->text, tail);
    PGresult *res = NULL;
    if (len < 0 || (size_t)len >= sizeof(sql) || p->n + r->nparams > HD_PG_PARAMS_MAX) {
        hd_log(HD_LOG_ERROR, "store: %s: the rules statement is too large", what);
        *err = HD_E_STORAGE;
    } else {
        for (int i = 0; i < r->nparams; i++)
            hd_pg_text(p, r->params[i]);
        res = hd_pg_query_once(s, sql, p, what, err);
    }
    hd_rules_free(r);
    return res;
}

/* rules_query for a statement run for its effect; *changed (if not NULL) gets its row count. */
static int rules_run(struct hd_store *s, const char *rules_json, const char *head, const char *tail,
                     struct hd_pg_params *p, const char *what, int64_t *changed)
{
    int err;
    PGresult *r = rules_query(s, rules_json, head, tail, p, what, &err);
    if (!r)
        return err;
    if (changed)
        *changed = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

/* ---- the trigger path ---- */

static const char SQL_MISSING[] =
    "SELECT g.i FROM unnest($2::text[]) WITH ORDINALITY AS g(id, i)"
    " WHERE NOT EXISTS (SELECT 1 FROM audiences a"
    "  WHERE a.id = g.id AND a.system_id = $1 AND a.deleted_at IS NULL)"
    " ORDER BY g.i";

int hd_pg_audiences_missing(struct hd_store *s, const char *system_id, const char *const *ids,
                            size_t n, size_t *missing, size_t *n_missing)
{
    *n_missing = 0;
    if (!n)
        return 0;
    struct hd_arena *ar = hd_arena_create();
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text_array(&p, ar, ids, n);
    int err;
    PGresult *r = hd_pg_query(s, SQL_MISSING, &p, "audiences missing", &err);
    hd_arena_destroy(ar);
    if (!r)
        return err;
    for (int row = 0; row < PQntuples(r) && *n_missing < n; row++) {
        int64_t i = hd_pg_col_i64(r, row, 0);
        if (i >= 1 && (size_t)i <= n)
            missing[(*n_missing)++] = (size_t)(i - 1);
    }
    PQclear(r);
    return 0;
}

/* ---- rule audiences: re-evaluation ---- */

static const char SQL_AUDIENCE_RULES[] =
    "SELECT rules FROM audiences WHERE id = $1 AND system_id = $2 AND deleted_at IS NULL";

static bool read_rules(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    *(const char **)out = hd_pg_col_str(r, row, 0, ar);
    return true;
}

/* 0 and *rules (in ar; NULL for an explicit audience), or HD_E_NOT_FOUND for no live one. */
static int audience_rules(struct hd_store *s, const char *system_id, const char *id,
                          struct hd_arena *ar, const char **rules)
{
    *rules = NULL;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    hd_pg_text(&p, system_id);
    return hd_pg_fetch(s, SQL_AUDIENCE_RULES, &p, read_rules, ar, rules, "audience rules");
}

/* A re-evaluation of one rule audience: for every end user (ids NULL) or for some, as the text
 * of a text[] literal. */
struct refresh {
    const char *system_id, *id, *rules, *ids;
    int64_t now;
};

static const char SQL_AUDIENCE_LOCK[] =
    "SELECT 1 FROM audiences WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE";

/* The rule statements' parameters: $1 audience, $2 system, $3 the end users (NULL: all). */
#define AMONG_MEMBERS " AND ($3::text[] IS NULL OR m.end_user_id = ANY($3::text[]))"
#define AMONG_USERS   " AND ($3::text[] IS NULL OR u.id = ANY($3::text[]))"
/* Members who no longer match leave (rules from $4)… */
static const char LEAVE_HEAD[] =
    "DELETE FROM audience_members m WHERE m.audience_id = $1" AMONG_MEMBERS
    " AND NOT EXISTS (SELECT 1 FROM end_users u"
    "  WHERE u.system_id = $2 AND u.id = m.end_user_id AND ";
static const char LEAVE_TAIL[] = ")";
/* …then those who match join ($4 now, rules from $5). */
static const char JOIN_HEAD[] =
    "INSERT INTO audience_members (audience_id, system_id, end_user_id, added_at)"
    " SELECT $1::text, $2::text, u.id, $4::bigint FROM end_users u"
    " WHERE u.system_id = $2" AMONG_USERS " AND ";
static const char JOIN_TAIL[] = " ON CONFLICT DO NOTHING";

static void refresh_params(struct hd_pg_params *p, const struct refresh *r)
{
    hd_pg_text(p, r->id);
    hd_pg_text(p, r->system_id);
    hd_pg_text(p, r->ids);
}

static const char SQL_EVALUATED[] = "UPDATE audiences SET evaluated_at = $2 WHERE id = $1";

/* Under the audience's lock (nothing to do once it is deleted): leave, join, and for a full
 * re-evaluation, its time. */
static int refresh_body(struct hd_store *s, const void *arg)
{
    const struct refresh *r = arg;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, r->id);
    int64_t live = 0;
    int err = hd_pg_fetch_i64(s, SQL_AUDIENCE_LOCK, &p, &live, "audience lock");
    if (err || !live)
        return err;
    p = (struct hd_pg_params){0};
    refresh_params(&p, r);
    err = rules_run(s, r->rules, LEAVE_HEAD, LEAVE_TAIL, &p, "audience refresh", NULL);
    if (err)
        return err;
    p = (struct hd_pg_params){0};
    refresh_params(&p, r);
    hd_pg_i64(&p, r->now);
    err = rules_run(s, r->rules, JOIN_HEAD, JOIN_TAIL, &p, "audience refresh", NULL);
    if (err || r->ids)
        return err;
    p = (struct hd_pg_params){0};
    hd_pg_text(&p, r->id);
    hd_pg_i64(&p, r->now);
    return hd_pg_run(s, SQL_EVALUATED, &p, "audience evaluated", NULL);
}

int hd_pg_audience_refresh(struct hd_store *s, const char *system_id, const char *id, int64_t now)
{
    struct hd_arena *ar = hd_arena_create();
    const char *rules;
    int err = audience_rules(s, system_id, id, ar, &rules);
    if (!err && rules) {
        struct refresh r = {system_id, id, rules, NULL, now};
        err = hd_pg_in_transaction(s, refresh_body, &r);
    }
    hd_arena_destroy(ar);
    return err == HD_E_NOT_FOUND ? 0 : err;
}

/* ---- some users' memberships in the rule audiences ---- */

struct rule_audience {
    const char *id, *rules;
};

static bool read_rule_audience(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct rule_audience *a = out;
    a->id = hd_pg_col_str(r, row, 0, ar);
    a->rules = hd_pg_col_str(r, row, 1, ar);
    return a->id && a->rules;
}

/* In id order, so that nodes lock them in one order. */
static const char SQL_RULE_AUDIENCES[] =
    "SELECT id, rules FROM audiences"
    " WHERE system_id = $1 AND rules IS NOT NULL AND deleted_at IS NULL ORDER BY id";

/* The system's live rule audiences (through the partial index audiences_rules), in ar. */
static int rule_audiences(struct hd_store *s, const char *system_id, struct hd_arena *ar,
                          struct rule_audience **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    PGresult *r;
    int err;
    if (!(r = hd_pg_query(s, SQL_RULE_AUDIENCES, &p, "rule audiences", &err)))
        return err;
    size_t rows = (size_t)PQntuples(r);
    *out = hd_arena_alloc(ar, (rows ? rows : 1) * sizeof(**out));
    for (size_t i = 0; !err && i < rows; i++)
        if (read_rule_audience(r, (int)i, ar, &(*out)[i]))
            (*count)++;
        else
            err = HD_E_STORAGE;
    PQclear(r);
    return err;
}

/* Whether any of the users ($3) is a member of the audience ($1) but no longer matches, or
 * matches but is not a member (rules from $4): a lookup by primary key each way per user. */
static const char DIFFER_HEAD[] =
    "SELECT EXISTS (SELECT 1 FROM unnest($3::text[]) AS g(id)"
    " LEFT JOIN audience_members m ON m.audience_id = $1 AND m.end_user_id = g.id"
    " LEFT JOIN end_users u ON u.system_id = $2 AND u.id = g.id AND ";
static const char DIFFER_TAIL[] = " WHERE (m.end_user_id IS NULL) <> (u.id IS NULL))";

/* One audience, the users of r->ids: one read, and the writes only when something changed. */
static int refresh_users_in(struct hd_store *s, const struct refresh *r)
{
    struct hd_pg_params p = {0};
    refresh_params(&p, r);
    int err;
    PGresult *res = rules_query(s, r->rules, DIFFER_HEAD, DIFFER_TAIL, &p, "rule check", &err);
    if (!res)
        return err;
    bool differ = PQntuples(res) == 1 && hd_pg_col_bool(res, 0, 0);
    PQclear(res);
    return differ ? hd_pg_in_transaction(s, refresh_body, r) : 0;
}

int hd_pg_end_users_refresh_rules(struct hd_store *s, const char *system_id, const char *const *ids,
                                  size_t n, int64_t now)
{
    if (!n)
        return 0;
    struct hd_arena *ar = hd_arena_create();
    struct rule_audience *a;
    size_t count;
    int err = rule_audiences(s, system_id, ar, &a, &count);
    struct hd_pg_params literal = {0}; /* the ids as one text[] literal, for every audience */
    if (!err && count)
        hd_pg_text_array(&literal, ar, ids, n);
    for (size_t i = 0; !err && i < count; i++) {
        struct refresh r = {system_id, a[i].id, a[i].rules, literal.values[0], now};
        err = refresh_users_in(s, &r);
    }
    hd_arena_destroy(ar);
    return err;
}

/* ---- preview ---- */

/* $1 system, then (sample) $2 limit; rules after. */
static const char PREVIEW_COUNT[] = "SELECT count(*) FROM end_users u WHERE u.system_id = $1 AND ";
static const char PREVIEW_SAMPLE[] = "SELECT u.id FROM end_users u WHERE u.system_id = $1 AND ";
static const char PREVIEW_SAMPLE_TAIL[] = " ORDER BY u.id LIMIT $2";

static int preview_count(struct hd_store *s, const char *system_id, const char *rules,
                         int64_t *count)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    int err;
    PGresult *r = rules_query(s, rules, PREVIEW_COUNT, "", &p, "preview count", &err);
    if (!r)
        return err;
    *count = PQntuples(r) ? hd_pg_col_i64(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

/* The first max matching ids, in ar. */
static int preview_ids(struct hd_store *s, const char *system_id, const char *rules, size_t max,
                       struct hd_arena *ar, const char ***ids, size_t *n)
{
    *n = 0;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_size(&p, max);
    int err;
    PGresult *r =
        rules_query(s, rules, PREVIEW_SAMPLE, PREVIEW_SAMPLE_TAIL, &p, "preview sample", &err);
    if (!r)
        return err;
    size_t rows = (size_t)PQntuples(r);
    *ids = hd_arena_alloc(ar, max * sizeof(**ids));
    for (size_t i = 0; i < rows && i < max; i++)
        (*ids)[(*n)++] = hd_pg_col_str(r, (int)i, 0, ar);
    PQclear(r);
    return 0;
}

int hd_pg_audience_preview(struct hd_store *s, const char *system_id, const char *rules_json,
                           struct hd_arena *ar, int64_t *count, struct hd_end_user *sample,
                           size_t max, size_t *n_sample)
{
    *count = 0;
    *n_sample = 0;
    int err = preview_count(s, system_id, rules_json, count);
    const char **ids;
    size_t n;
    if (err || !max || (err = preview_ids(s, system_id, rules_json, max, ar, &ids, &n)))
        return err;
    return hd_store_preview_sample(s, system_id, ids, n, ar, sample, n_sample);
}

/* ---- administration ---- */

#define AUDIENCE_COLS                                                                              \
    "id, system_id, name, rules, member_count, created_at, updated_at, evaluated_at"

static bool read_audience(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_audience *a = out;
    a->name = hd_pg_col_str(r, row, 2, ar);
    a->rules_json = hd_pg_col_str(r, row, 3, ar);
    a->size = hd_pg_col_i64(r, row, 4);
    a->created_at = hd_pg_col_i64(r, row, 5);
    a->updated_at = hd_pg_col_i64(r, row, 6);
    a->evaluated_at = hd_pg_col_i64(r, row, 7);
    return hd_pg_col_copy(r, row, 0, a->id, sizeof(a->id)) &&
           hd_pg_col_copy(r, row, 1, a->system_id, sizeof(a->system_id)) && a->name;
}

static const char SQL_AUDIENCE_GET[] = "SELECT " AUDIENCE_COLS " FROM audiences"
                                       " WHERE id = $1 AND system_id = $2 AND deleted_at IS NULL";

int hd_pg_audience_get(struct hd_store *s, const char *system_id, const char *id,
                       struct hd_arena *ar, struct hd_audience *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    hd_pg_text(&p, system_id);
    return hd_pg_fetch(s, SQL_AUDIENCE_GET, &p, read_audience, ar, out, "audience get");
}

static const char SQL_AUDIENCE_LIST[] =
    "SELECT " AUDIENCE_COLS " FROM audiences WHERE system_id = $1 AND deleted_at IS NULL"
    " AND id > $2 ORDER BY id LIMIT $3";

int hd_pg_audience_list(struct hd_store *s, const char *system_id, const char *after,
                        struct hd_arena *ar, struct hd_audience *out, size_t max, size_t *count)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, after ? after : "");
    hd_pg_size(&p, max);
    return hd_pg_fetch_many(s, SQL_AUDIENCE_LIST, &p, read_audience, ar, out, sizeof(*out), max,
                            count, "audience list");
}

static const char SQL_AUDIENCE_DELETE[] =
    "UPDATE audiences SET deleted_at = $3, updated_at = $3"
    " WHERE id = $1 AND system_id = $2 AND deleted_at IS NULL";

int hd_pg_audience_delete(struct hd_store *s, const char *system_id, const char *id, int64_t now)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    hd_pg_text(&p, system_id);
    hd_pg_i64(&p, now);
    return hd_pg_run_changed(s, SQL_AUDIENCE_DELETE, &p, "audience delete");
}

/* ---- explicit members ---- */

struct members {
    const char *system_id, *id, *const *users;
    size_t n, *added;
    int64_t now, *size;
};

static const char SQL_EXPLICIT_LOCK[] =
    "SELECT rules IS NULL FROM audiences WHERE id = $1 AND system_id = $2 AND deleted_at IS NULL"
    " FOR NO KEY UPDATE";

/* Locks the audience: HD_E_NOT_FOUND for no live audience, HD_E_CONFLICT for a rule audience. */
static int explicit_audience(struct hd_store *s, const char *system_id, const char *id)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    hd_pg_text(&p, system_id);
    int err;
    PGresult *r = hd_pg_query(s, SQL_EXPLICIT_LOCK, &p, "audience lock", &err);
    if (!r)
        return err;
    err = PQntuples(r) == 0 ? HD_E_NOT_FOUND : hd_pg_col_bool(r, 0, 0) ? 0 : HD_E_CONFLICT;
    PQclear(r);
    return err;
}

static const char SQL_AUDIENCE_TOUCH[] = "UPDATE audiences SET updated_at = $2 WHERE id = $1"
                                         " RETURNING member_count";

/* Stamps updated_at; *size gets the member count (when size is not NULL). */
static int touch(struct hd_store *s, const char *id, int64_t now, int64_t *size)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    hd_pg_i64(&p, now);
    int64_t count;
    int err = hd_pg_fetch_i64(s, SQL_AUDIENCE_TOUCH, &p, &count, "audience touch");
    if (!err && size)
        *size = count;
    return err;
}

static const char SQL_MEMBERS_ADD[] =
    "INSERT INTO audience_members (audience_id, system_id, end_user_id, added_at)"
    " SELECT DISTINCT $1::text, $2::text, m, $4::bigint FROM unnest($3::text[]) AS m"
    " ON CONFLICT DO NOTHING";

static int add_body(struct hd_store *s, const void *arg)
{
    const struct members *m = arg;
    int err = explicit_audience(s, m->system_id, m->id);
    if (err)
        return err;
    struct hd_arena *ar = hd_arena_create();
    struct hd_pg_params p = {0};
    hd_pg_text(&p, m->id);
    hd_pg_text(&p, m->system_id);
    hd_pg_text_array(&p, ar, m->users, m->n);
    hd_pg_i64(&p, m->now);
    int64_t added = 0;
    err = hd_pg_run(s, SQL_MEMBERS_ADD, &p, "audience members add", &added);
    hd_arena_destroy(ar);
    *m->added = (size_t)added;
    return err ? err : touch(s, m->id, m->now, m->size);
}

int hd_pg_audience_add_members(struct hd_store *s, const char *system_id, const char *id,
                               const char *const *member_ids, size_t n, int64_t now, size_t *added,
                               int64_t *size)
{
    *added = 0;
    *size = 0;
    struct members m = {system_id, id, member_ids, n, added, now, size};
    int err = hd_pg_in_transaction(s, add_body, &m);
    if (err)
        *added = 0;
    return err;
}

static const char SQL_MEMBER_REMOVE[] =
    "DELETE FROM audience_members WHERE audience_id = $1 AND end_user_id = $2";

static int remove_body(struct hd_store *s, const void *arg)
{
    const struct members *m = arg;
    int err = explicit_audience(s, m->system_id, m->id);
    if (err)
        return err;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, m->id);
    hd_pg_text(&p, m->users[0]);
    err = hd_pg_run_changed(s, SQL_MEMBER_REMOVE, &p, "audience member remove");
    return err ? err : touch(s, m->id, m->now, NULL);
}

int hd_pg_audience_remove_member(struct hd_store *s, const char *system_id, const char *id,
                                 const char *end_user_id, int64_t now)
{
    size_t unused;
    struct members m = {system_id, id, &end_user_id, 1, &unused, now, NULL};
    return hd_pg_in_transaction(s, remove_body, &m);
}
