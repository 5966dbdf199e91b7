/* sqlite_content.c: what a system's notifications are made from, on SQLite: templates, end users
 * and audiences. Every call is scoped by the system id, which the caller has checked belongs to
 * the account. An end user upsert and an audience with its members are each one transaction. */
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

int hd_store_template_insert(struct hd_store *s, const struct hd_template *t)
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

int hd_store_template_get(struct hd_store *s, const char *system_id, const char *id,
                          struct hd_arena *ar, struct hd_template *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_TEMPLATE_GET);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, system_id) || hd_sq_bind_text(st, 2, id))
        return hd_sq_bind_failed(s, st, "template get");
    return hd_sq_fetch(s, st, read_template, ar, out, "template get");
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

int hd_store_end_user_upsert(struct hd_store *s, const struct hd_end_user *u, bool *created)
{
    struct upsert a = {u, created};
    *created = false;
    return hd_sq_in_transaction(s, upsert_body, &a);
}

static const char SQL_USER_EXISTS[] = "SELECT 1 FROM end_users WHERE system_id = ?1 AND id = ?2";

int hd_store_end_users_count_unknown(struct hd_store *s, const char *system_id,
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

/* ---- audiences ---- */

static const char SQL_AUDIENCE_INSERT[] =
    "INSERT INTO audiences (id, system_id, name, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?4)";
static const char SQL_MEMBER_INSERT[] =
    "INSERT INTO audience_members (audience_id, system_id, end_user_id,"
    " added_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";

struct audience_insert {
    const struct hd_audience *a;
    const char *const *members;
    size_t n;
};

static int audience_body(struct hd_store *s, const void *arg)
{
    const struct audience_insert *ai = arg;
    const struct hd_audience *a = ai->a;
    sqlite3_stmt *aud = hd_sq_stmt(s, SQL_AUDIENCE_INSERT), *mem = hd_sq_stmt(s, SQL_MEMBER_INSERT);
    if (!aud || !mem)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(aud, 1, a->id) || hd_sq_bind_text(aud, 2, a->system_id) ||
        hd_sq_bind_text(aud, 3, a->name) || hd_sq_bind_i64(aud, 4, a->created_at))
        return hd_sq_bind_failed(s, aud, "audience insert");
    int err = hd_sq_run(s, aud, "audience insert");
    for (size_t i = 0; !err && i < ai->n; i++) {
        if (hd_sq_bind_text(mem, 1, a->id) || hd_sq_bind_text(mem, 2, a->system_id) ||
            hd_sq_bind_text(mem, 3, ai->members[i]) || hd_sq_bind_i64(mem, 4, a->created_at))
            return hd_sq_bind_failed(s, mem, "audience member insert");
        err = hd_sq_run(s, mem, "audience member insert");
    }
    return err;
}

int hd_store_audience_insert(struct hd_store *s, const struct hd_audience *a,
                             const char *const *member_ids, size_t n)
{
    struct audience_insert ai = {a, member_ids, n};
    return hd_sq_in_transaction(s, audience_body, &ai);
}
