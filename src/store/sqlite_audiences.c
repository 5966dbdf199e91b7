/* sqlite_audiences.c: audience lookups that the trigger path needs. */
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

int hd_store_audiences_missing(struct hd_store *s, const char *system_id, const char *const *ids,
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
