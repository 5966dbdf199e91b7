/* sqlite_content.c: what a system's notifications are made from, on SQLite: templates, end users
 * and audiences. Every call is scoped by the system id, which the caller has checked belongs to
 * the account. An end user upsert and an audience with its members are each one transaction; so
 * are a bulk upsert and an end user's erasure. */
#include <stdlib.h>

#include "store/sqlite_db.h"

/* ---- templates ---- */

static bool read_template(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_template *t = out;
    t->name = hd_sq_col_str(st, 2, ar);
    t->title = hd_sq_col_str(st, 3, ar);
    t->description = hd_sq_col_str(st, 4, ar);
    t->button_text = hd_sq_col_str(st, 5, ar);
    t->button_url = hd_sq_col_str(st, 6, ar);
    t->type = hd_sq_col_str(st, 7, ar);
    t->placeholders_json = hd_sq_col_str(st, 8, ar);
    t->created_at = sqlite3_column_int64(st, 9);
    return hd_sq_col_copy(st, 0, t->id, sizeof(t->id)) &&
           hd_sq_col_copy(st, 1, t->system_id, sizeof(t->system_id)) && t->name && t->title &&
           t->type && t->placeholders_json;
}

static const char SQL_TEMPLATE_INSERT[] = "INSERT INTO templates (" TEMPLATE_COLS ", updated_at)"
                                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)";

int hd_sqlite_template_insert(struct hd_store *s, const struct hd_template *t)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_TEMPLATE_INSERT);
    if (!st)
        return HD_E_STORAGE;
    const char *placeholders = t->placeholders_json ? t->placeholders_json : "[]";
    if (hd_sq_bind_text(st, 1, t->id) || hd_sq_bind_text(st, 2, t->system_id) ||
        hd_sq_bind_text(st, 3, t->name) || hd_sq_bind_text(st, 4, t->title) ||
        hd_sq_bind_text(st, 5, t->description) || hd_sq_bind_text(st, 6, t->button_text) ||
        hd_sq_bind_text(st, 7, t->button_url) || hd_sq_bind_text(st, 8, t->type) ||
        hd_sq_bind_text(st, 9, placeholders) || hd_sq_bind_i64(st, 10, t->created_at))
        return hd_sq_bind_failed(s, st, "template insert");
    return hd_sq_run(s, st, "template insert");
}

static const char SQL_TEMPLATE_GET[] = "SELECT " TEMPLATE_COLS " FROM templates"
                                       " WHERE system_id = ?1 AND id = ?2 AND archived_at IS NULL";

int hd_sqlite_template_get(struct hd_store *s, const char *system_id, const char *id,
                           struct hd_arena *ar, struct hd_template *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_TEMPLATE_GET);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, system_id) || hd_sq_bind_text(st, 2, id))
        return hd_sq_bind_failed(s, st, "template get");
    return hd_sq_fetch(s, st, read_template, ar, out, "template get");
}

/* ---- templates administration ---- */

#define TEMPLATE_ADMIN_COLS TEMPLATE_COLS ", updated_at, locked_at, archived_at"

static bool read_template_admin(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_template_admin *a = out;
    a->updated_at = sqlite3_column_int64(st, 10);
    a->locked_at = sqlite3_column_int64(st, 11);
    a->archived_at = sqlite3_column_int64(st, 12);
    return read_template(st, ar, &a->t);
}

static const char SQL_TEMPLATE_GET_ADMIN[] = "SELECT " TEMPLATE_ADMIN_COLS " FROM templates"
                                             " WHERE system_id = ?1 AND id = ?2";

int hd_sqlite_template_get_admin(struct hd_store *s, const char *system_id, const char *id,
                                 struct hd_arena *ar, struct hd_template_admin *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_TEMPLATE_GET_ADMIN);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, system_id) || hd_sq_bind_text(st, 2, id))
        return hd_sq_bind_failed(s, st, "template get admin");
    return hd_sq_fetch(s, st, read_template_admin, ar, out, "template get admin");
}

static const char SQL_TEMPLATE_LIST[] =
    "SELECT " TEMPLATE_ADMIN_COLS " FROM templates WHERE system_id = ?1"
    " AND (?2 OR archived_at IS NULL) AND (?3 IS NULL OR (created_at, id) <"
    " (SELECT created_at, id FROM templates WHERE system_id = ?1 AND id = ?3))"
    " ORDER BY created_at DESC, id DESC LIMIT ?4";

int hd_sqlite_template_list(struct hd_store *s, const struct hd_template_query *q,
                            struct hd_arena *ar, struct hd_template_admin *out, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_TEMPLATE_LIST);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, q->system_id) || hd_sq_bind_i64(st, 2, q->archived) ||
        hd_sq_bind_text(st, 3, q->before) || hd_sq_bind_size(st, 4, q->limit))
        return hd_sq_bind_failed(s, st, "template list");
    return hd_sq_fetch_many(s, st, read_template_admin, ar, out, sizeof(*out), q->limit, count,
                            "template list");
}

static const char SQL_TEMPLATE_UPDATE[] =
    "UPDATE templates SET name = ?3, title = ?4, description = ?5, button_text = ?6,"
    " button_url = ?7, type = ?8, placeholders = ?9, updated_at = ?10"
    " WHERE system_id = ?1 AND id = ?2 AND archived_at IS NULL AND locked_at IS NULL";

/* Why an update changed nothing: absent or archived (not found), else locked. */
static int update_refused(struct hd_store *s, const struct hd_template *t)
{
    struct hd_template_admin a;
    struct hd_arena *ar = hd_arena_create();
    int err = hd_store_template_get_admin(s, t->system_id, t->id, ar, &a);
    hd_arena_destroy(ar);
    if (err)
        return err;
    return a.archived_at ? HD_E_NOT_FOUND : HD_E_CONFLICT;
}

int hd_sqlite_template_update(struct hd_store *s, const struct hd_template *t, int64_t now)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_TEMPLATE_UPDATE);
    if (!st)
        return HD_E_STORAGE;
    const char *placeholders = t->placeholders_json ? t->placeholders_json : "[]";
    if (hd_sq_bind_text(st, 1, t->system_id) || hd_sq_bind_text(st, 2, t->id) ||
        hd_sq_bind_text(st, 3, t->name) || hd_sq_bind_text(st, 4, t->title) ||
        hd_sq_bind_text(st, 5, t->description) || hd_sq_bind_text(st, 6, t->button_text) ||
        hd_sq_bind_text(st, 7, t->button_url) || hd_sq_bind_text(st, 8, t->type) ||
        hd_sq_bind_text(st, 9, placeholders) || hd_sq_bind_i64(st, 10, now))
        return hd_sq_bind_failed(s, st, "template update");
    int err = hd_sq_run_changed(s, st, "template update");
    return err == HD_E_NOT_FOUND ? update_refused(s, t) : err;
}

static const char SQL_TEMPLATE_ARCHIVE[] =
    "UPDATE templates SET archived_at = ?3, updated_at = ?3"
    " WHERE system_id = ?1 AND id = ?2 AND archived_at IS NULL";

int hd_sqlite_template_archive(struct hd_store *s, const char *system_id, const char *id,
                               int64_t now)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_TEMPLATE_ARCHIVE);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, system_id) || hd_sq_bind_text(st, 2, id) ||
        hd_sq_bind_i64(st, 3, now))
        return hd_sq_bind_failed(s, st, "template archive");
    return hd_sq_run_changed(s, st, "template archive");
}

static const char SQL_TEMPLATE_USES[] =
    "SELECT count(*) FROM notifications WHERE system_id = ?1 AND template_id = ?2";

int hd_sqlite_template_uses(struct hd_store *s, const char *system_id, const char *id,
                            int64_t *uses)
{
    *uses = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_TEMPLATE_USES);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, system_id) || hd_sq_bind_text(st, 2, id))
        return hd_sq_bind_failed(s, st, "template uses");
    return hd_sq_fetch(s, st, hd_sq_read_i64, NULL, uses, "template uses");
}

/* ---- end users ---- */

static const char SQL_USER_INSERT[] =
    "INSERT INTO end_users"
    " (system_id, id, name, email, attributes, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";
static const char SQL_USER_UPDATE[] = "UPDATE end_users SET name = ?3, email = ?4, attributes = ?5,"
                                      " updated_at = ?7 WHERE system_id = ?1 AND id = ?2";

static int bind_end_user(sqlite3_stmt *st, const struct hd_end_user *u)
{
    const char *attributes = u->attributes_json ? u->attributes_json : "{}";
    return hd_sq_bind_text(st, 1, u->system_id) || hd_sq_bind_text(st, 2, u->id) ||
           hd_sq_bind_text(st, 3, u->name) || hd_sq_bind_text(st, 4, u->email) ||
           hd_sq_bind_text(st, 5, attributes) || hd_sq_bind_i64(st, 6, u->created_at) ||
           hd_sq_bind_i64(st, 7, u->updated_at);
}

struct upsert {
    const struct hd_end_user *u;
    bool *created;
};

/* Insert, or update when the insert did nothing; the transaction makes the pair atomic. */
static int upsert_body(struct hd_store *s, const void *arg)
{
    const struct upsert *a = arg;
    sqlite3_stmt *ins = hd_sq_stmt(s, SQL_USER_INSERT), *upd = hd_sq_stmt(s, SQL_USER_UPDATE);
    if (!ins || !upd)
        return HD_E_STORAGE;
    if (bind_end_user(ins, a->u))
        return hd_sq_bind_failed(s, ins, "end user insert");
    int err = hd_sq_run(s, ins, "end user insert");
    if (err)
        return err;
    *a->created = sqlite3_changes(s->db) > 0;
    if (*a->created)
        return 0;
    if (bind_end_user(upd, a->u))
        return hd_sq_bind_failed(s, upd, "end user update");
    return hd_sq_run(s, upd, "end user update");
}

int hd_sqlite_end_user_upsert(struct hd_store *s, const struct hd_end_user *u, bool *created)
{
    struct upsert a = {u, created};
    *created = false;
    return hd_sq_in_transaction(s, upsert_body, &a);
}

static const char SQL_USER_EXISTS[] = "SELECT 1 FROM end_users WHERE system_id = ?1 AND id = ?2";

int hd_sqlite_end_users_count_unknown(struct hd_store *s, const char *system_id,
                                      const char *const *ids, size_t n, size_t *unknown)
{
    *unknown = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_USER_EXISTS);
    if (!st)
        return HD_E_STORAGE;
    for (size_t i = 0; i < n; i++) {
        if (hd_sq_bind_text(st, 1, system_id) || hd_sq_bind_text(st, 2, ids[i]))
            return hd_sq_bind_failed(s, st, "end user exists");
        int rc = sqlite3_step(st);
        int err = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hd_sq_fail(s, "end user exists");
        hd_sq_done(st);
        if (err)
            return err;
        *unknown += rc == SQLITE_DONE;
    }
    return 0;
}

/* ---- end users: reads, erasure, bulk ---- */

#define USER_COLS "u.system_id, u.id, u.name, u.email, u.attributes, u.created_at, u.updated_at"

static bool read_end_user(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_end_user *u = out;
    u->id = hd_sq_col_str(st, 1, ar);
    u->name = hd_sq_col_str(st, 2, ar);
    u->email = hd_sq_col_str(st, 3, ar);
    u->attributes_json = hd_sq_col_str(st, 4, ar);
    u->created_at = sqlite3_column_int64(st, 5);
    u->updated_at = sqlite3_column_int64(st, 6);
    return hd_sq_col_copy(st, 0, u->system_id, sizeof(u->system_id)) && u->id && u->attributes_json;
}

static const char SQL_USER_GET[] =
    "SELECT " USER_COLS " FROM end_users u WHERE u.system_id = ?1 AND u.id = ?2";

int hd_sqlite_end_user_get(struct hd_store *s, const char *system_id, const char *id,
                           struct hd_arena *ar, struct hd_end_user *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_USER_GET);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, system_id) || hd_sq_bind_text(st, 2, id))
        return hd_sq_bind_failed(s, st, "end user get");
    return hd_sq_fetch(s, st, read_end_user, ar, out, "end user get");
}

/* ?3: the search in lower case, or NULL; instr() is 0 when absent. */
static const char SQL_USER_LIST[] =
    "SELECT " USER_COLS " FROM end_users u WHERE u.system_id = ?1 AND u.id > ?2"
    " AND (?3 IS NULL OR instr(lower(u.id), ?3) OR instr(lower(coalesce(u.name, '')), ?3)"
    " OR instr(lower(coalesce(u.email, '')), ?3)) ORDER BY u.id LIMIT ?4";

int hd_sqlite_end_user_list(struct hd_store *s, const char *system_id, const char *search,
                            const char *after, struct hd_arena *ar, struct hd_end_user *out,
                            size_t max, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_USER_LIST);
    if (!st)
        return HD_E_STORAGE;
    char *lower = search ? hd_arena_strdup(ar, search) : NULL;
    for (char *c = lower; c && *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    if (hd_sq_bind_text(st, 1, system_id) || hd_sq_bind_text(st, 2, after ? after : "") ||
        hd_sq_bind_text(st, 3, lower) || hd_sq_bind_size(st, 4, max))
        return hd_sq_bind_failed(s, st, "end user list");
    return hd_sq_fetch_many(s, st, read_end_user, ar, out, sizeof(*out), max, count,
                            "end user list");
}

/* Every table that keeps something about (system, end user); end_users first. Their direct
 * targets are found through the index by user and the log not yet in it; then the log's rows
 * go, and a row without a notification tells the index to drop the user too (sqlite_by_user.c). */
static const char SQL_ERASE_USER[] = "DELETE FROM end_users WHERE system_id = ?1 AND id = ?2";
static const char SQL_ERASE_STATE[] =
    "DELETE FROM delivery_state WHERE system_id = ?1 AND end_user_id = ?2";
static const char SQL_ERASE_MEMBER[] =
    "DELETE FROM audience_members WHERE system_id = ?1 AND end_user_id = ?2";
static const char SQL_ERASE_TARGET[] =
    "DELETE FROM notification_users WHERE end_user_id = ?2 AND system_id = ?1"
    " AND notification_id IN (SELECT notification_id FROM by_user.targets"
    "  WHERE user_key = hd_user_key(?1, ?2)"
    "  UNION SELECT notification_id FROM target_log WHERE system_id = ?1 AND end_user_id = ?2)";
static const char SQL_ERASE_LOGGED[] =
    "DELETE FROM target_log WHERE system_id = ?1 AND end_user_id = ?2"
    " AND notification_id IS NOT NULL";
static const char SQL_ERASE_INDEXED[] =
    "INSERT INTO target_log (system_id, end_user_id, notification_id) VALUES (?1, ?2, NULL)";

struct erase {
    const char *system_id, *id;
};

static int erase_step(struct hd_store *s, const char *sql, const struct erase *e)
{
    sqlite3_stmt *st = hd_sq_stmt(s, sql);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, e->system_id) || hd_sq_bind_text(st, 2, e->id))
        return hd_sq_bind_failed(s, st, "end user erase");
    return hd_sq_run(s, st, "end user erase");
}

static int erase_body(struct hd_store *s, const void *arg)
{
    static const char *const sqls[] = {SQL_ERASE_USER, SQL_ERASE_STATE, SQL_ERASE_MEMBER,
                                       SQL_ERASE_TARGET, SQL_ERASE_LOGGED};
    const struct erase *e = arg;
    int64_t erased = 0;
    for (size_t i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++) {
        int err = erase_step(s, sqls[i], e);
        if (err)
            return err;
        erased += sqlite3_changes(s->db);
    }
    return erased ? erase_step(s, SQL_ERASE_INDEXED, e) : HD_E_NOT_FOUND;
}

int hd_sqlite_end_user_delete(struct hd_store *s, const char *system_id, const char *id)
{
    struct erase e = {system_id, id};
    return hd_sq_in_transaction(s, erase_body, &e);
}

struct upsert_many {
    const struct hd_end_user *users;
    size_t n, *created, *updated;
};

static int upsert_many_body(struct hd_store *s, const void *arg)
{
    const struct upsert_many *m = arg;
    const char **ids = malloc((m->n + 1) * sizeof(*ids));
    if (!ids)
        return HD_E_STORAGE;
    int err = 0;
    for (size_t i = 0; !err && i < m->n; i++) {
        bool created = false;
        struct upsert a = {&m->users[i], &created};
        err = upsert_body(s, &a);
        *(created ? m->created : m->updated) += !err;
        ids[i] = m->users[i].id;
    }
    if (!err && m->n)
        err = hd_store_end_users_refresh_rules(s, m->users[0].system_id, ids, m->n,
                                               m->users[0].updated_at);
    free(ids);
    return err;
}

int hd_sqlite_end_users_upsert_many(struct hd_store *s, const struct hd_end_user *users, size_t n,
                                    size_t *created, size_t *updated)
{
    *created = *updated = 0;
    struct upsert_many m = {users, n, created, updated};
    int err = hd_sq_in_transaction(s, upsert_many_body, &m);
    if (err)
        *created = *updated = 0;
    return err;
}

/* ---- audiences ---- */

static const char SQL_AUDIENCE_INSERT[] =
    "INSERT INTO audiences (id, system_id, name, rules, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?5)";
static const char SQL_MEMBER_INSERT[] =
    "INSERT INTO audience_members (audience_id, system_id, end_user_id,"
    " added_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";

struct audience_insert {
    const struct hd_audience *a;
    const char *const *members;
    size_t n;
};

/* A rule audience starts with the end users its rules match now. */
static int audience_body(struct hd_store *s, const void *arg)
{
    const struct audience_insert *ai = arg;
    const struct hd_audience *a = ai->a;
    sqlite3_stmt *aud = hd_sq_stmt(s, SQL_AUDIENCE_INSERT), *mem = hd_sq_stmt(s, SQL_MEMBER_INSERT);
    if (!aud || !mem)
        return HD_E_STORAGE;
    if (a->rules_json && ai->n)
        return HD_E_CONFLICT;
    int err = a->rules_json ? hd_store_rules_check(a->rules_json) : 0;
    if (err)
        return err;
    if (hd_sq_bind_text(aud, 1, a->id) || hd_sq_bind_text(aud, 2, a->system_id) ||
        hd_sq_bind_text(aud, 3, a->name) || hd_sq_bind_text(aud, 4, a->rules_json) ||
        hd_sq_bind_i64(aud, 5, a->created_at))
        return hd_sq_bind_failed(s, aud, "audience insert");
    err = hd_sq_run(s, aud, "audience insert");
    for (size_t i = 0; !err && i < ai->n; i++) {
        if (hd_sq_bind_text(mem, 1, a->id) || hd_sq_bind_text(mem, 2, a->system_id) ||
            hd_sq_bind_text(mem, 3, ai->members[i]) || hd_sq_bind_i64(mem, 4, a->created_at))
            return hd_sq_bind_failed(s, mem, "audience member insert");
        err = hd_sq_run(s, mem, "audience member insert");
    }
    if (!err && a->rules_json)
        err = hd_store_audience_refresh(s, a->system_id, a->id, a->created_at);
    return err;
}

int hd_sqlite_audience_insert(struct hd_store *s, const struct hd_audience *a,
                              const char *const *member_ids, size_t n)
{
    struct audience_insert ai = {a, member_ids, n};
    return hd_sq_in_transaction(s, audience_body, &ai);
}
