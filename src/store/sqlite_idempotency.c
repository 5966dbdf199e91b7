/* sqlite_idempotency.c: Idempotency-Key records (SPEC §3): the first answer given to a key,
 * replayed to retries for 24 hours. An expired record is replaced by the next use of its key. */
#include "store/sqlite_db.h"

static const char SQL_IDEMPOTENCY_GET[] =
    "SELECT body_hash, status, response, created_at FROM idempotency_keys"
    " WHERE account_id = ?1 AND key = ?2 AND created_at > ?3";

/* Inserts, or takes over a record older than ?7; changes nothing while a live one exists. */
static const char SQL_IDEMPOTENCY_PUT[] =
    "INSERT INTO idempotency_keys (account_id, key, body_hash, status, response, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (account_id, key) DO UPDATE SET"
    " body_hash = excluded.body_hash, status = excluded.status, response = excluded.response,"
    " created_at = excluded.created_at WHERE idempotency_keys.created_at <= ?7";

static bool read_record(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_idempotent *r = out;
    r->status = sqlite3_column_int(st, 1);
    r->response = hd_sq_col_str(st, 2, ar);
    r->created_at = sqlite3_column_int64(st, 3);
    return hd_sq_col_blob(st, 0, r->body_hash, sizeof(r->body_hash)) && r->response;
}

int hd_sqlite_idempotency_get(struct hd_store *s, const char *account_id, const char *key,
                              int64_t since, struct hd_arena *ar, struct hd_idempotent *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_IDEMPOTENCY_GET);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, account_id) || hd_sq_bind_text(st, 2, key) ||
        hd_sq_bind_i64(st, 3, since))
        return hd_sq_bind_failed(s, st, "idempotency get");
    return hd_sq_fetch(s, st, read_record, ar, out, "idempotency get");
}

int hd_sqlite_idempotency_put(struct hd_store *s, const char *account_id, const char *key,
                              const struct hd_idempotent *r, int64_t since)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_IDEMPOTENCY_PUT);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, account_id) || hd_sq_bind_text(st, 2, key) ||
        hd_sq_bind_blob(st, 3, r->body_hash, sizeof(r->body_hash)) ||
        hd_sq_bind_i64(st, 4, r->status) || hd_sq_bind_text(st, 5, r->response) ||
        hd_sq_bind_i64(st, 6, r->created_at) || hd_sq_bind_i64(st, 7, since))
        return hd_sq_bind_failed(s, st, "idempotency put");
    int err = hd_sq_run_changed(s, st, "idempotency put");
    return err == HD_E_NOT_FOUND ? HD_E_CONFLICT : err;
}
