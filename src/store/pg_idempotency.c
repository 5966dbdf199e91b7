/* pg_idempotency.c: Idempotency-Key records (SPEC §3) on PostgreSQL: the first answer given to a
 * key, replayed to retries for 24 hours. An expired record is replaced by the next use of its
 * key. Recording is one statement, so of two nodes answering the same key at once exactly one
 * records its answer and the other gets HD_E_CONFLICT. */
#include "store/pg_db.h"

static const char SQL_IDEMPOTENCY_GET[] =
    "SELECT body_hash, status, response, created_at FROM idempotency_keys"
    " WHERE account_id = $1 AND key = $2 AND created_at > $3";

/* Inserts, or takes over a record older than $7; changes nothing while a live one exists. */
static const char SQL_IDEMPOTENCY_PUT[] =
    "INSERT INTO idempotency_keys (account_id, key, body_hash, status, response, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, key) DO UPDATE SET"
    " body_hash = excluded.body_hash, status = excluded.status, response = excluded.response,"
    " created_at = excluded.created_at WHERE idempotency_keys.created_at <= $7::bigint";

static bool read_record(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_idempotent *rec = out;
    rec->status = (int)hd_pg_col_i64(r, row, 1);
    rec->response = hd_pg_col_str(r, row, 2, ar);
    rec->created_at = hd_pg_col_i64(r, row, 3);
    return hd_pg_col_bytes(r, row, 0, rec->body_hash, sizeof(rec->body_hash)) && rec->response;
}

int hd_pg_idempotency_get(struct hd_store *s, const char *account_id, const char *key,
                          int64_t since, struct hd_arena *ar, struct hd_idempotent *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, account_id);
    hd_pg_text(&p, key);
    hd_pg_i64(&p, since);
    return hd_pg_fetch(s, SQL_IDEMPOTENCY_GET, &p, read_record, ar, out, "idempotency get");
}

int hd_pg_idempotency_put(struct hd_store *s, const char *account_id, const char *key,
                          const struct hd_idempotent *r, int64_t since)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, account_id);
    hd_pg_text(&p, key);
    hd_pg_bytes(&p, r->body_hash, sizeof(r->body_hash));
    hd_pg_i64(&p, r->status);
    hd_pg_text(&p, r->response);
    hd_pg_i64(&p, r->created_at);
    hd_pg_i64(&p, since);
    int err = hd_pg_run_changed(s, SQL_IDEMPOTENCY_PUT, &p, "idempotency put");
    return err == HD_E_NOT_FOUND ? HD_E_CONFLICT : err;
}
