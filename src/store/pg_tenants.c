/* pg_tenants.c: the tenants' own rows on PostgreSQL: accounts, their API keys and their systems.
 *
 * Every query about a tenant's data takes the account id (store.h); a key or system of another
 * account reads as HD_E_NOT_FOUND. Keys store only the SHA-256 of the client secret. Listings
 * break ties between equal times by id in byte order (COLLATE "C"), as SQLite does. */
#include "store/pg_db.h"

#include <limits.h>

/* ---- accounts ---- */

static bool read_account(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_account *a = out;
    a->name = hd_pg_col_str(r, row, 1, ar);
    a->created_at = hd_pg_col_i64(r, row, 2);
    return hd_pg_col_copy(r, row, 0, a->id, sizeof(a->id)) && a->name;
}

static const char SQL_ACCOUNT_INSERT[] =
    "INSERT INTO accounts (" ACCOUNT_COLS ") VALUES ($1, $2, $3)";

int hd_pg_account_insert(struct hd_store *s, const struct hd_account *a)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, a->id);
    hd_pg_text(&p, a->name);
    hd_pg_i64(&p, a->created_at);
    return hd_pg_run(s, SQL_ACCOUNT_INSERT, &p, "account insert", NULL);
}

static const char SQL_ACCOUNT_FIRST[] =
    "SELECT " ACCOUNT_COLS " FROM accounts ORDER BY created_at, id COLLATE \"C\" LIMIT 1";

int hd_pg_account_first(struct hd_store *s, struct hd_arena *ar, struct hd_account *out)
{
    return hd_pg_fetch(s, SQL_ACCOUNT_FIRST, NULL, read_account, ar, out, "account first");
}

static const char SQL_ACCOUNT_GET[] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = $1";

int hd_pg_account_get(struct hd_store *s, const char *id, struct hd_arena *ar,
                      struct hd_account *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    return hd_pg_fetch(s, SQL_ACCOUNT_GET, &p, read_account, ar, out, "account get");
}

/* ---- API keys ---- */

static bool read_key(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_api_key *k = out;
    int64_t scopes = hd_pg_col_i64(r, row, 3);
    k->name = hd_pg_col_str(r, row, 2, ar);
    k->scopes = (unsigned)scopes;
    k->created_at = hd_pg_col_i64(r, row, 5);
    k->revoked_at = hd_pg_col_i64(r, row, 6);
    return hd_pg_col_copy(r, row, 0, k->client_id, sizeof(k->client_id)) &&
           hd_pg_col_copy(r, row, 1, k->account_id, sizeof(k->account_id)) && k->name &&
           scopes >= 0 && scopes <= UINT_MAX &&
           hd_pg_col_bytes(r, row, 4, k->secret_hash, sizeof(k->secret_hash));
}

static const char SQL_KEY_INSERT[] =
    "INSERT INTO api_keys (" KEY_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7)";

int hd_pg_key_insert(struct hd_store *s, const struct hd_api_key *k)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, k->client_id);
    hd_pg_text(&p, k->account_id);
    hd_pg_text(&p, k->name);
    hd_pg_i64(&p, k->scopes);
    hd_pg_bytes(&p, k->secret_hash, sizeof(k->secret_hash));
    hd_pg_i64(&p, k->created_at);
    hd_pg_time(&p, k->revoked_at);
    return hd_pg_run(s, SQL_KEY_INSERT, &p, "key insert", NULL);
}

static const char SQL_KEY_GET[] = "SELECT " KEY_COLS " FROM api_keys WHERE client_id = $1";

int hd_pg_key_get(struct hd_store *s, const char *client_id, struct hd_arena *ar,
                  struct hd_api_key *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, client_id);
    return hd_pg_fetch(s, SQL_KEY_GET, &p, read_key, ar, out, "key get");
}

static const char SQL_KEY_LIST[] = "SELECT " KEY_COLS " FROM api_keys WHERE account_id = $1"
                                   " ORDER BY created_at, client_id COLLATE \"C\" LIMIT $2";

int hd_pg_key_list(struct hd_store *s, const char *account_id, struct hd_arena *ar,
                   struct hd_api_key *out, size_t max, size_t *count)
{
    struct hd_pg_params p = {0};
    *count = 0;
    hd_pg_text(&p, account_id);
    hd_pg_size(&p, max);
    return hd_pg_fetch_many(s, SQL_KEY_LIST, &p, read_key, ar, out, sizeof(*out), max, count,
                            "key list");
}

static const char SQL_KEY_REVOKE[] =
    "UPDATE api_keys SET revoked_at = $3"
    " WHERE client_id = $1 AND account_id = $2 AND revoked_at IS NULL";

int hd_pg_key_revoke(struct hd_store *s, const char *account_id, const char *client_id, int64_t now)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, client_id);
    hd_pg_text(&p, account_id);
    hd_pg_i64(&p, now);
    return hd_pg_run_changed(s, SQL_KEY_REVOKE, &p, "key revoke");
}

/* ---- systems ---- */

static bool read_system(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_system *y = out;
    y->name = hd_pg_col_str(r, row, 2, ar);
    y->created_at = hd_pg_col_i64(r, row, 4);
    return hd_pg_col_copy(r, row, 0, y->id, sizeof(y->id)) &&
           hd_pg_col_copy(r, row, 1, y->account_id, sizeof(y->account_id)) && y->name &&
           hd_pg_col_bytes(r, row, 3, y->signing_secret, sizeof(y->signing_secret));
}

static const char SQL_SYSTEM_INSERT[] =
    "INSERT INTO systems (" SYSTEM_COLS ") VALUES ($1, $2, $3, $4, $5)";

int hd_pg_system_insert(struct hd_store *s, const struct hd_system *sys)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, sys->id);
    hd_pg_text(&p, sys->account_id);
    hd_pg_text(&p, sys->name);
    hd_pg_bytes(&p, sys->signing_secret, sizeof(sys->signing_secret));
    hd_pg_i64(&p, sys->created_at);
    return hd_pg_run(s, SQL_SYSTEM_INSERT, &p, "system insert", NULL);
}

static const char SQL_SYSTEM_GET[] = "SELECT " SYSTEM_COLS " FROM systems"
                                     " WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL";

int hd_pg_system_get(struct hd_store *s, const char *account_id, const char *id,
                     struct hd_arena *ar, struct hd_system *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    hd_pg_text(&p, account_id);
    return hd_pg_fetch(s, SQL_SYSTEM_GET, &p, read_system, ar, out, "system get");
}

static const char SQL_SYSTEM_GET_ANY[] =
    "SELECT " SYSTEM_COLS " FROM systems WHERE id = $1 AND deleted_at IS NULL";

int hd_pg_system_get_any(struct hd_store *s, const char *id, struct hd_arena *ar,
                         struct hd_system *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    return hd_pg_fetch(s, SQL_SYSTEM_GET_ANY, &p, read_system, ar, out, "system get");
}

static const char SQL_SYSTEM_LIST[] =
    "SELECT " SYSTEM_COLS " FROM systems WHERE account_id = $1 AND deleted_at IS NULL"
    " ORDER BY created_at, id COLLATE \"C\" LIMIT $2";

int hd_pg_system_list(struct hd_store *s, const char *account_id, struct hd_arena *ar,
                      struct hd_system *out, size_t max, size_t *count)
{
    struct hd_pg_params p = {0};
    *count = 0;
    hd_pg_text(&p, account_id);
    hd_pg_size(&p, max);
    return hd_pg_fetch_many(s, SQL_SYSTEM_LIST, &p, read_system, ar, out, sizeof(*out), max, count,
                            "system list");
}

/* ---- systems administration ---- */

/* A cursor that is not one of the account's systems (deleted or not) leads to an empty page. */
static const char SQL_SYSTEM_PAGE[] =
    "SELECT " SYSTEM_COLS " FROM systems WHERE account_id = $1 AND deleted_at IS NULL"
    " AND ($2::text IS NULL OR (created_at, id COLLATE \"C\") >"
    " (SELECT created_at, id FROM systems WHERE id = $2 AND account_id = $1))"
    " ORDER BY created_at, id COLLATE \"C\" LIMIT $3";

int hd_pg_system_page(struct hd_store *s, const char *account_id, const char *after, size_t max,
                      struct hd_arena *ar, struct hd_system *out, size_t *count)
{
    struct hd_pg_params p = {0};
    *count = 0;
    hd_pg_text(&p, account_id);
    hd_pg_text(&p, after);
    hd_pg_size(&p, max);
    return hd_pg_fetch_many(s, SQL_SYSTEM_PAGE, &p, read_system, ar, out, sizeof(*out), max, count,
                            "system page");
}

/* Deleting first locks the system's row, so the live notifications are counted (or cancelled)
 * after every write that committed before it. */
static const char SQL_SYSTEM_DELETE[] = "UPDATE systems SET deleted_at = $3"
                                        " WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL";
static const char SQL_SYSTEM_LIVE[] =
    "SELECT count(*) FROM notifications WHERE system_id = $1 AND account_id = $2"
    " AND cancelled_at IS NULL AND end_at > $3::bigint";
static const char SQL_SYSTEM_CANCEL_LIVE[] =
    "UPDATE notifications SET cancelled_at = $3 WHERE system_id = $1 AND account_id = $2"
    " AND cancelled_at IS NULL AND end_at > $3 RETURNING id";

struct system_delete {
    const char *account_id, *id;
    bool cascade;
    int64_t now, *live;
    struct hd_arena *ar;
    const char ***ids;
};

/* The parameters (system id, account id, now) shared by the statements above. */
static void bind_system_now(struct hd_pg_params *p, const struct system_delete *d)
{
    hd_pg_text(p, d->id);
    hd_pg_text(p, d->account_id);
    hd_pg_i64(p, d->now);
}

/* Cancels the live notifications at now, their ids into *d->ids and their number in *d->live. */
static int cancel_live(struct hd_store *s, const struct system_delete *d)
{
    struct hd_pg_params p = {0};
    int err;
    bind_system_now(&p, d);
    PGresult *r = hd_pg_query(s, SQL_SYSTEM_CANCEL_LIVE, &p, "system cancel notifications", &err);
    if (!r)
        return err;
    int n = PQntuples(r);
    if (n) {
        const char **ids = hd_arena_alloc(d->ar, (size_t)n * sizeof(*ids));
        for (int i = 0; i < n; i++)
            ids[i] = hd_pg_col_str(r, i, 0, d->ar);
        *d->ids = ids;
    }
    PQclear(r);
    *d->live = n;
    return 0;
}

static int system_delete_body(struct hd_store *s, const void *arg)
{
    const struct system_delete *d = arg;
    struct hd_pg_params p = {0};
    bind_system_now(&p, d);
    int err = hd_pg_run_changed(s, SQL_SYSTEM_DELETE, &p, "system delete");
    if (err)
        return err;
    if (d->cascade)
        return cancel_live(s, d);
    if ((err = hd_pg_fetch_i64(s, SQL_SYSTEM_LIVE, &p, d->live, "system live count")))
        return err;
    return *d->live ? HD_E_CONFLICT : 0;
}

int hd_pg_system_delete(struct hd_store *s, const char *account_id, const char *id, bool cascade,
                        int64_t now, struct hd_arena *ar, int64_t *live, const char ***cancelled)
{
    struct system_delete d = {account_id, id, cascade, now, live, ar, cancelled};
    *live = 0;
    *cancelled = NULL;
    return hd_pg_in_transaction(s, system_delete_body, &d);
}

/* ---- API key administration ---- */

static bool read_key_state(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    struct hd_key_state *k = out;
    k->secret_rotated_at = hd_pg_col_i64(r, row, 7);
    return read_key(r, row, ar, &k->key);
}

static const char SQL_KEY_GET_STATE[] =
    "SELECT " KEY_COLS ", secret_rotated_at FROM api_keys WHERE client_id = $1";

int hd_pg_key_get_state(struct hd_store *s, const char *client_id, struct hd_arena *ar,
                        struct hd_key_state *out)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, client_id);
    return hd_pg_fetch(s, SQL_KEY_GET_STATE, &p, read_key_state, ar, out, "key get state");
}

int hd_pg_catalog_version(struct hd_store *s, int64_t *version)
{
    struct hd_pg_params p = {0};
    return hd_pg_fetch_i64(s, "SELECT version FROM catalog_version", &p, version,
                           "catalog version");
}

static const char SQL_KEY_ROTATE[] =
    "UPDATE api_keys SET secret_hash = $3, secret_rotated_at = $4"
    " WHERE client_id = $1 AND account_id = $2 AND revoked_at IS NULL";

int hd_pg_key_rotate(struct hd_store *s, const char *account_id, const char *client_id,
                     const unsigned char hash[HD_SECRET_HASH_LEN], int64_t now)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, client_id);
    hd_pg_text(&p, account_id);
    hd_pg_bytes(&p, hash, HD_SECRET_HASH_LEN);
    hd_pg_i64(&p, now);
    return hd_pg_run_changed(s, SQL_KEY_ROTATE, &p, "key rotate");
}

static const char SQL_SYSTEM_ROTATE[] = "UPDATE systems SET signing_secret = $3"
                                        " WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL";

int hd_pg_system_rotate_secret(struct hd_store *s, const char *account_id, const char *id,
                               const unsigned char secret[HD_SECRET_LEN])
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, id);
    hd_pg_text(&p, account_id);
    hd_pg_bytes(&p, secret, HD_SECRET_LEN);
    return hd_pg_run_changed(s, SQL_SYSTEM_ROTATE, &p, "system rotate");
}

/* ---- failed authentications ---- */

static const char SQL_KEY_AUTH_FAILED[] =
    "UPDATE api_keys SET auth_failures = CASE WHEN auth_failures_window = $2::bigint"
    " THEN auth_failures + 1 ELSE 1 END, auth_failures_window = $2::bigint"
    " WHERE client_id = $1 RETURNING auth_failures";

static bool read_failures(const PGresult *r, int row, struct hd_arena *ar, void *out)
{
    *(int64_t *)out = hd_pg_col_i64(r, row, 0);
    return true;
}

/* One UPDATE: concurrent failures on several nodes each add one, under the row's lock. */
int hd_pg_key_auth_failed(struct hd_store *s, const char *client_id, int64_t window_start,
                          int64_t *failures)
{
    struct hd_pg_params p = {0};
    hd_pg_text(&p, client_id);
    hd_pg_i64(&p, window_start);
    return hd_pg_fetch(s, SQL_KEY_AUTH_FAILED, &p, read_failures, NULL, failures,
                       "key auth failed");
}
