/* pg_content.c: what a system's notifications are made from, on PostgreSQL: templates, end users
 * and audiences. Every call is scoped by the system id, which the caller has checked belongs to
 * the account. An end user upsert is one statement (INSERT … ON CONFLICT DO UPDATE); a bulk upsert
 * is one statement over arrays, then the re-evaluation of rule memberships, in one transaction; an
 * end user's erasure is one statement; an audience with its members is one transaction. */
#include <inttypes.h>
#include <stdlib.h>

#include "store/pg_db.h"

/* ---- templates ---- */

static bool read_template(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_template *t = out;
    t->name = hd_pg_col_str(r, row, 2, ar);
    t->title = hd_pg_col_str(r, row, 3, ar);
    t->description = hd_pg_col_str(r, row, 4, ar);
    t->button_text = hd_pg_col_str(r, row, 5, ar);
    t->button_url = hd_pg_col_str(r, row, 6, ar);
    t->type = hd_pg_col_str(r, row, 7, ar);
    t->placeholders_json = hd_pg_col_str(r, row, 8, ar);
    t->created_at = hd_pg_col_i64(r, row, 9);
    return hd_pg_col_copy(r, row, 0, t->id, sizeof(t->id)) &&
           hd_pg_col_copy(r, row, 1, t->system_id, sizeof(t->system_id)) && t->name && t->title &&
           t->type && t->placeholders_json;
}

/* The template's texts, button, type and placeholders, as the next seven parameters. */
static void template_fields(struct hd_pg_params *p, const struct hd_template *t)
{
    hd_pg_text(p, t->name);
    hd_pg_text(p, t->title);
    hd_pg_text(p, t->description);
    hd_pg_text(p, t->button_text);
    hd_pg_text(p, t->button_url);
    hd_pg_text(p, t->type);
    hd_pg_text(p, t->placeholders_json ? t->placeholders_json : "[]");
}

static const char SQL_TEMPLATE_INSERT[] = "INSERT INTO templates (" TEMPLATE_COLS ", updated_at)"
                                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)";

int hd_pg_template_insert(struct hd_store *s, const struct hd_template *t)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, t->id);
    hd_pg_text(&p, t->system_id);
    template_fields(&p, t);
    hd_pg_i64(&p, t->created_at);
    return hd_pg_run(s, SQL_TEMPLATE_INSERT, &p, "template insert", NULL);
}

static const char SQL_TEMPLATE_GET[] = "SELECT " TEMPLATE_COLS " FROM templates"
                                       " WHERE system_id = $1 AND id = $2 AND archived_at IS NULL";

int hd_pg_template_get(struct hd_store *s, const char *system_id, const char *id,
                       struct hd_arena *ar, struct hd_template *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, id);
    return hd_pg_fetch(s, SQL_TEMPLATE_GET, &p, read_template, ar, out, "template get");
}

/* ---- templates administration ---- */

#define TEMPLATE_ADMIN_COLS TEMPLATE_COLS ", updated_at, locked_at, archived_at"

static bool read_template_admin(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_template_admin *a = out;
    a->updated_at = hd_pg_col_i64(r, row, 10);
    a->locked_at = hd_pg_col_i64(r, row, 11);
    a->archived_at = hd_pg_col_i64(r, row, 12);
    return read_template(r, row, ar, &a->t);
}

static const char SQL_TEMPLATE_GET_ADMIN[] = "SELECT " TEMPLATE_ADMIN_COLS " FROM templates"
                                             " WHERE system_id = $1 AND id = $2";

int hd_pg_template_get_admin(struct hd_store *s, const char *system_id, const char *id,
                             struct hd_arena *ar, struct hd_template_admin *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, id);
    return hd_pg_fetch(s, SQL_TEMPLATE_GET_ADMIN, &p, read_template_admin, ar, out,
                       "template get admin");
}

/* Ties on created_at break by id in byte order (COLLATE "C"), as in SQLite. */
static const char SQL_TEMPLATE_LIST[] =
    "SELECT " TEMPLATE_ADMIN_COLS " FROM templates WHERE system_id = $1"
    " AND ($2::boolean OR archived_at IS NULL) AND ($3::text IS NULL"
    " OR (created_at, id COLLATE \"C\") < (SELECT c.created_at, c.id COLLATE \"C\""
    " FROM templates c WHERE c.system_id = $1 AND c.id = $3))"
    " ORDER BY created_at DESC, id COLLATE \"C\" DESC LIMIT $4";

int hd_pg_template_list(struct hd_store *s, const struct hd_template_query *q, struct hd_arena *ar,
                        struct hd_template_admin *out, size_t *count)
{
    *count = 0;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, q->system_id);
    hd_pg_bool(&p, q->archived);
    hd_pg_text(&p, q->before);
    hd_pg_size(&p, q->limit);
    return hd_pg_fetch_many(s, SQL_TEMPLATE_LIST, &p, read_template_admin, ar, out, sizeof(*out),
                            q->limit, count, "template list");
}

static const char SQL_TEMPLATE_UPDATE[] =
    "UPDATE templates SET name = $3, title = $4, description = $5, button_text = $6,"
    " button_url = $7, type = $8, placeholders = $9, updated_at = $10"
    " WHERE system_id = $1 AND id = $2 AND archived_at IS NULL AND locked_at IS NULL";

/* Why an update changed nothing: absent or archived (not found), else locked. Both states are
 * final (a template is never unlocked or unarchived), so reading them after the update is safe
 * with other nodes writing. */
static int update_refused(struct hd_store *s, const struct hd_template *t)
{
    struct hd_template_admin a;
    struct hd_arena *ar = hd_arena_create();
    int err = hd_pg_template_get_admin(s, t->system_id, t->id, ar, &a);
    hd_arena_destroy(ar);
    if (err)
        return err;
    return a.archived_at ? HD_E_NOT_FOUND : HD_E_CONFLICT;
}

int hd_pg_template_update(struct hd_store *s, const struct hd_template *t, int64_t now)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, t->system_id);
    hd_pg_text(&p, t->id);
    template_fields(&p, t);
    hd_pg_i64(&p, now);
    int err = hd_pg_run_changed(s, SQL_TEMPLATE_UPDATE, &p, "template update");
    return err == HD_E_NOT_FOUND ? update_refused(s, t) : err;
}

static const char SQL_TEMPLATE_ARCHIVE[] =
    "UPDATE templates SET archived_at = $3, updated_at = $3"
    " WHERE system_id = $1 AND id = $2 AND archived_at IS NULL";

int hd_pg_template_archive(struct hd_store *s, const char *system_id, const char *id, int64_t now)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, id);
    hd_pg_i64(&p, now);
    return hd_pg_run_changed(s, SQL_TEMPLATE_ARCHIVE, &p, "template archive");
}

static const char SQL_TEMPLATE_USES[] =
    "SELECT count(*) FROM notifications WHERE system_id = $1 AND template_id = $2";

int hd_pg_template_uses(struct hd_store *s, const char *system_id, const char *id, int64_t *uses)
{
    *uses = 0;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, id);
    return hd_pg_fetch_i64(s, SQL_TEMPLATE_USES, &p, uses, "template uses");
}

/* ---- end users ---- */

/* xmax is 0 only in a row version this statement inserted: an updated row carries the lock that
 * ON CONFLICT took on it. */
static const char SQL_USER_UPSERT[] =
    "INSERT INTO end_users (system_id, id, name, email, attributes, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (system_id, id) DO UPDATE"
    " SET name = excluded.name, email = excluded.email, attributes = excluded.attributes,"
    " updated_at = excluded.updated_at RETURNING (xmax = 0)";

int hd_pg_end_user_upsert(struct hd_store *s, const struct hd_end_user *u, bool *created)
{
    *created = false;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, u->system_id);
    hd_pg_text(&p, u->id);
    hd_pg_text(&p, u->name);
    hd_pg_text(&p, u->email);
    hd_pg_text(&p, u->attributes_json ? u->attributes_json : "{}");
    hd_pg_i64(&p, u->created_at);
    hd_pg_i64(&p, u->updated_at);
    int err;
    PGresult *r = hd_pg_query(s, SQL_USER_UPSERT, &p, "end user upsert", &err);
    if (!r)
        return err;
    *created = PQntuples(r) == 1 && hd_pg_col_bool(r, 0, 0);
    PQclear(r);
    return 0;
}

/* Each id given counts, as often as it is given. */
static const char SQL_USERS_UNKNOWN[] =
    "SELECT count(*) FROM unnest($2::text[]) AS g(id) WHERE NOT EXISTS"
    " (SELECT 1 FROM end_users u WHERE u.system_id = $1 AND u.id = g.id)";

int hd_pg_end_users_count_unknown(struct hd_store *s, const char *system_id, const char *const *ids,
                                  size_t n, size_t *unknown)
{
    *unknown = 0;
    if (!n)
        return 0;
    struct hd_arena *ar = hd_arena_create();
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text_array(&p, ar, ids, n);
    int64_t v = 0;
    int err = hd_pg_fetch_i64(s, SQL_USERS_UNKNOWN, &p, &v, "end users unknown");
    hd_arena_destroy(ar);
    if (!err)
        *unknown = (size_t)v;
    return err;
}

/* ---- end users: reads, erasure, bulk ---- */

#define USER_COLS "u.system_id, u.id, u.name, u.email, u.attributes, u.created_at, u.updated_at"

static bool read_end_user(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_end_user *u = out;
    u->id = hd_pg_col_str(r, row, 1, ar);
    u->name = hd_pg_col_str(r, row, 2, ar);
    u->email = hd_pg_col_str(r, row, 3, ar);
    u->attributes_json = hd_pg_col_str(r, row, 4, ar);
    u->created_at = hd_pg_col_i64(r, row, 5);
    u->updated_at = hd_pg_col_i64(r, row, 6);
    return hd_pg_col_copy(r, row, 0, u->system_id, sizeof(u->system_id)) && u->id &&
           u->attributes_json;
}

static const char SQL_USER_GET[] =
    "SELECT " USER_COLS " FROM end_users u WHERE u.system_id = $1 AND u.id = $2";

int hd_pg_end_user_get(struct hd_store *s, const char *system_id, const char *id,
                       struct hd_arena *ar, struct hd_end_user *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, id);
    return hd_pg_fetch(s, SQL_USER_GET, &p, read_end_user, ar, out, "end user get");
}

/* $3: the search, or NULL. strpos() takes it as a plain substring (no pattern characters), and
 * lower() under COLLATE "C" folds ASCII letters only, as SQLite's lower(). */
static const char SQL_USER_LIST[] =
    "SELECT " USER_COLS " FROM end_users u WHERE u.system_id = $1 AND u.id > $2"
    " AND ($3::text IS NULL OR strpos(lower(u.id), lower($3 COLLATE \"C\")) > 0"
    " OR strpos(lower(coalesce(u.name, '') COLLATE \"C\"), lower($3 COLLATE \"C\")) > 0"
    " OR strpos(lower(coalesce(u.email, '') COLLATE \"C\"), lower($3 COLLATE \"C\")) > 0)"
    " ORDER BY u.id LIMIT $4";

int hd_pg_end_user_list(struct hd_store *s, const char *system_id, const char *search,
                        const char *after, struct hd_arena *ar, struct hd_end_user *out, size_t max,
                        size_t *count)
{
    *count = 0;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, after ? after : "");
    hd_pg_text(&p, search);
    hd_pg_size(&p, max);
    return hd_pg_fetch_many(s, SQL_USER_LIST, &p, read_end_user, ar, out, sizeof(*out), max, count,
                            "end user list");
}

/* Every table that keeps something about (system, end user), in one statement (so one
 * transaction); the rows erased from them all. */
static const char SQL_ERASE_USER[] =
    "WITH eu AS (DELETE FROM end_users WHERE system_id = $1 AND id = $2 RETURNING 1),"
    " ds AS (DELETE FROM delivery_state WHERE system_id = $1 AND end_user_id = $2 RETURNING 1),"
    " am AS (DELETE FROM audience_members WHERE system_id = $1 AND end_user_id = $2 RETURNING 1),"
    " nu AS (DELETE FROM notification_users WHERE system_id = $1 AND end_user_id = $2"
    " RETURNING 1)"
    " SELECT (SELECT count(*) FROM eu) + (SELECT count(*) FROM ds) + (SELECT count(*) FROM am)"
    " + (SELECT count(*) FROM nu)";

int hd_pg_end_user_delete(struct hd_store *s, const char *system_id, const char *id)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, system_id);
    hd_pg_text(&p, id);
    int64_t erased = 0;
    int err = hd_pg_fetch_i64(s, SQL_ERASE_USER, &p, &erased, "end user erase");
    return err ? err : erased ? 0 : HD_E_NOT_FOUND;
}

/* One statement for every user, their columns as parallel text arrays (times cast back to
 * bigint). Counts the rows it inserted and those it updated (see SQL_USER_UPSERT). */
static const char SQL_USERS_UPSERT[] =
    "WITH up AS (INSERT INTO end_users"
    " (system_id, id, name, email, attributes, created_at, updated_at)"
    " SELECT $1, g.id, g.name, g.email, g.attributes, g.created_at::bigint, g.updated_at::bigint"
    " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])"
    " AS g(id, name, email, attributes, created_at, updated_at)"
    " ON CONFLICT (system_id, id) DO UPDATE"
    " SET name = excluded.name, email = excluded.email, attributes = excluded.attributes,"
    " updated_at = excluded.updated_at RETURNING (xmax = 0) AS created)"
    " SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up";

struct upsert_many {
    const struct hd_end_user *users;
    size_t n, *created, *updated;
};

/* The users' columns, each as an array of n strings from ar. */
struct user_columns {
    const char **id, **name, **email, **attributes, **created_at, **updated_at;
};

static void user_columns(struct hd_arena *ar, const struct hd_end_user *users, size_t n,
                         struct user_columns *c)
{
    size_t size = n * sizeof(char *);
    c->id = hd_arena_alloc(ar, size);
    c->name = hd_arena_alloc(ar, size);
    c->email = hd_arena_alloc(ar, size);
    c->attributes = hd_arena_alloc(ar, size);
    c->created_at = hd_arena_alloc(ar, size);
    c->updated_at = hd_arena_alloc(ar, size);
    for (size_t i = 0; i < n; i++) {
        const struct hd_end_user *u = &users[i];
        c->id[i] = u->id;
        c->name[i] = u->name;
        c->email[i] = u->email;
        c->attributes[i] = u->attributes_json ? u->attributes_json : "{}";
        c->created_at[i] = hd_arena_printf(ar, "%" PRId64, u->created_at);
        c->updated_at[i] = hd_arena_printf(ar, "%" PRId64, u->updated_at);
    }
}

static int upsert_users(struct hd_store *s, struct hd_arena *ar, const struct upsert_many *m,
                        const struct user_columns *c)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, m->users[0].system_id);
    hd_pg_text_array(&p, ar, c->id, m->n);
    hd_pg_text_array(&p, ar, c->name, m->n);
    hd_pg_text_array(&p, ar, c->email, m->n);
    hd_pg_text_array(&p, ar, c->attributes, m->n);
    hd_pg_text_array(&p, ar, c->created_at, m->n);
    hd_pg_text_array(&p, ar, c->updated_at, m->n);
    int err;
    PGresult *r = hd_pg_query(s, SQL_USERS_UPSERT, &p, "end users upsert", &err);
    if (!r)
        return err;
    if (PQntuples(r) == 1) {
        *m->created = (size_t)hd_pg_col_i64(r, 0, 0);
        *m->updated = (size_t)hd_pg_col_i64(r, 0, 1);
    }
    PQclear(r);
    return 0;
}

static int upsert_many_body(struct hd_store *s, const void *arg)
{
    const struct upsert_many *m = arg;
    struct hd_arena *ar = hd_arena_create();
    struct user_columns c;
    user_columns(ar, m->users, m->n, &c);
    int err = upsert_users(s, ar, m, &c);
    if (!err)
        err = hd_store_end_users_refresh_rules(s, m->users[0].system_id, c.id, m->n,
                                               m->users[0].updated_at);
    hd_arena_destroy(ar);
    return err;
}

int hd_pg_end_users_upsert_many(struct hd_store *s, const struct hd_end_user *users, size_t n,
                                size_t *created, size_t *updated)
{
    *created = *updated = 0;
    if (!n)
        return 0;
    struct upsert_many m = {users, n, created, updated};
    int err = hd_pg_in_transaction(s, upsert_many_body, &m);
    if (err)
        *created = *updated = 0;
    return err;
}

/* ---- audiences ---- */

static const char SQL_AUDIENCE_INSERT[] =
    "INSERT INTO audiences (id, system_id, name, rules, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $5)";
static const char SQL_MEMBERS_INSERT[] =
    "INSERT INTO audience_members (audience_id, system_id, end_user_id, added_at)"
    " SELECT DISTINCT $1::text, $2::text, m, $4::bigint FROM unnest($3::text[]) AS m"
    " ON CONFLICT DO NOTHING";

struct audience_insert {
    const struct hd_audience *a;
    const char *const *members;
    size_t n;
};

static int insert_members(struct hd_store *s, const struct audience_insert *ai)
{
    struct hd_arena *ar = hd_arena_create();
    struct hd_pg_params p = {0};
    hd_pg_text(&p, ai->a->id);
    hd_pg_text(&p, ai->a->system_id);
    hd_pg_text_array(&p, ar, ai->members, ai->n);
    hd_pg_i64(&p, ai->a->created_at);
    int err = hd_pg_run(s, SQL_MEMBERS_INSERT, &p, "audience members insert", NULL);
    hd_arena_destroy(ar);
    return err;
}

/* A rule audience starts with the end users its rules match now. */
static int audience_body(struct hd_store *s, const void *arg)
{
    const struct audience_insert *ai = arg;
    const struct hd_audience *a = ai->a;
    struct hd_pg_params p = {0};
    hd_pg_text(&p, a->id);
    hd_pg_text(&p, a->system_id);
    hd_pg_text(&p, a->name);
    hd_pg_text(&p, a->rules_json);
    hd_pg_i64(&p, a->created_at);
    int err = hd_pg_run(s, SQL_AUDIENCE_INSERT, &p, "audience insert", NULL);
    if (!err && ai->n)
        err = insert_members(s, ai);
    if (!err && a->rules_json)
        err = hd_store_audience_refresh(s, a->system_id, a->id, a->created_at);
    return err;
}

int hd_pg_audience_insert(struct hd_store *s, const struct hd_audience *a,
                          const char *const *member_ids, size_t n)
{
    if (a->rules_json && n)
        return HD_E_CONFLICT;
    int err = a->rules_json ? hd_store_rules_check(a->rules_json) : 0;
    if (err)
        return err;
    struct audience_insert ai = {a, member_ids, n};
    return hd_pg_in_transaction(s, audience_body, &ai);
}
