/* sqlite_tenants.c: the tenants' own rows on SQLite: accounts, their API keys and their systems.
 *
 * Every query about a tenant's data takes the account id (store.h); a key or system of another
 * account reads as HD_E_NOT_FOUND. Keys store only the SHA-256 of the client secret. */
#include "store/sqlite_db.h"

#include <limits.h>

#include "core/time.h"
#include "store/sqlite_catalog_counter.h"

/* ---- accounts ---- */

static bool read_account(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_account *a = out;
    a->name = hd_sq_col_str(st, 1, ar);
    a->created_at = sqlite3_column_int64(st, 2);
    return hd_sq_col_copy(st, 0, a->id, sizeof(a->id)) && a->name;
}

static const char SQL_ACCOUNT_INSERT[] =
    "INSERT INTO accounts (" ACCOUNT_COLS ") VALUES (?1, ?2, ?3)";

int hd_sqlite_account_insert(struct hd_store *s, const struct hd_account *a)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_ACCOUNT_INSERT);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, a->id) || hd_sq_bind_text(st, 2, a->name) ||
        hd_sq_bind_i64(st, 3, a->created_at))
        return hd_sq_bind_failed(s, st, "account insert");
    return hd_sq_run(s, st, "account insert");
}

static const char SQL_ACCOUNT_FIRST[] =
    "SELECT " ACCOUNT_COLS " FROM accounts ORDER BY created_at, id LIMIT 1";

int hd_sqlite_account_first(struct hd_store *s, struct hd_arena *ar, struct hd_account *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_ACCOUNT_FIRST);
    return st ? hd_sq_fetch(s, st, read_account, ar, out, "account first") : HD_E_STORAGE;
}

static const char SQL_ACCOUNT_GET[] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?1";

int hd_sqlite_account_get(struct hd_store *s, const char *id, struct hd_arena *ar,
                          struct hd_account *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_ACCOUNT_GET);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id))
        return hd_sq_bind_failed(s, st, "account get");
    return hd_sq_fetch(s, st, read_account, ar, out, "account get");
}

/* ---- API keys ---- */

static bool read_key(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_api_key *k = out;
    int64_t scopes = sqlite3_column_int64(st, 3);
    k->name = hd_sq_col_str(st, 2, ar);
    k->scopes = (unsigned)scopes;
    k->created_at = sqlite3_column_int64(st, 5);
    k->revoked_at = sqlite3_column_int64(st, 6);
    return hd_sq_col_copy(st, 0, k->client_id, sizeof(k->client_id)) &&
           hd_sq_col_copy(st, 1, k->account_id, sizeof(k->account_id)) && k->name && scopes >= 0 &&
           scopes <= UINT_MAX && hd_sq_col_blob(st, 4, k->secret_hash, sizeof(k->secret_hash));
}

static const char SQL_KEY_INSERT[] =
    "INSERT INTO api_keys (" KEY_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

int hd_sqlite_key_insert(struct hd_store *s, const struct hd_api_key *k)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_KEY_INSERT);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, k->client_id) || hd_sq_bind_text(st, 2, k->account_id) ||
        hd_sq_bind_text(st, 3, k->name) || hd_sq_bind_i64(st, 4, k->scopes) ||
        hd_sq_bind_blob(st, 5, k->secret_hash, sizeof(k->secret_hash)) ||
        hd_sq_bind_i64(st, 6, k->created_at) || hd_sq_bind_time(st, 7, k->revoked_at))
        return hd_sq_bind_failed(s, st, "key insert");
    return hd_sq_run(s, st, "key insert");
}

static const char SQL_KEY_GET[] = "SELECT " KEY_COLS " FROM api_keys WHERE client_id = ?1";

int hd_sqlite_key_get(struct hd_store *s, const char *client_id, struct hd_arena *ar,
                      struct hd_api_key *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_KEY_GET);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, client_id))
        return hd_sq_bind_failed(s, st, "key get");
    return hd_sq_fetch(s, st, read_key, ar, out, "key get");
}

static const char SQL_KEY_LIST[] = "SELECT " KEY_COLS " FROM api_keys WHERE account_id = ?1"
                                   " ORDER BY created_at, client_id LIMIT ?2";

int hd_sqlite_key_list(struct hd_store *s, const char *account_id, struct hd_arena *ar,
                       struct hd_api_key *out, size_t max, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_KEY_LIST);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, account_id) || hd_sq_bind_size(st, 2, max))
        return hd_sq_bind_failed(s, st, "key list");
    return hd_sq_fetch_many(s, st, read_key, ar, out, sizeof(*out), max, count, "key list");
}

static const char SQL_KEY_REVOKE[] =
    "UPDATE api_keys SET revoked_at = ?3"
    " WHERE client_id = ?1 AND account_id = ?2 AND revoked_at IS NULL";

int hd_sqlite_key_revoke(struct hd_store *s, const char *account_id, const char *client_id,
                         int64_t now)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_KEY_REVOKE);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, client_id) || hd_sq_bind_text(st, 2, account_id) ||
        hd_sq_bind_i64(st, 3, now))
        return hd_sq_bind_failed(s, st, "key revoke");
    return hd_sq_run_changed(s, st, "key revoke");
}

/* ---- systems ---- */

static bool read_system(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_system *y = out;
    y->name = hd_sq_col_str(st, 2, ar);
    y->created_at = sqlite3_column_int64(st, 4);
    return hd_sq_col_copy(st, 0, y->id, sizeof(y->id)) &&
           hd_sq_col_copy(st, 1, y->account_id, sizeof(y->account_id)) && y->name &&
           hd_sq_col_blob(st, 3, y->signing_secret, sizeof(y->signing_secret));
}

static const char SQL_SYSTEM_INSERT[] =
    "INSERT INTO systems (" SYSTEM_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)";

int hd_sqlite_system_insert(struct hd_store *s, const struct hd_system *sys)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_SYSTEM_INSERT);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, sys->id) || hd_sq_bind_text(st, 2, sys->account_id) ||
        hd_sq_bind_text(st, 3, sys->name) ||
        hd_sq_bind_blob(st, 4, sys->signing_secret, sizeof(sys->signing_secret)) ||
        hd_sq_bind_i64(st, 5, sys->created_at))
        return hd_sq_bind_failed(s, st, "system insert");
    return hd_sq_run(s, st, "system insert");
}

static const char SQL_SYSTEM_GET[] = "SELECT " SYSTEM_COLS " FROM systems"
                                     " WHERE id = ?1 AND account_id = ?2 AND deleted_at IS NULL";

int hd_sqlite_system_get(struct hd_store *s, const char *account_id, const char *id,
                         struct hd_arena *ar, struct hd_system *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_SYSTEM_GET);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_text(st, 2, account_id))
        return hd_sq_bind_failed(s, st, "system get");
    return hd_sq_fetch(s, st, read_system, ar, out, "system get");
}

static const char SQL_SYSTEM_GET_ANY[] =
    "SELECT " SYSTEM_COLS " FROM systems WHERE id = ?1 AND deleted_at IS NULL";

int hd_sqlite_system_get_any(struct hd_store *s, const char *id, struct hd_arena *ar,
                             struct hd_system *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_SYSTEM_GET_ANY);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id))
        return hd_sq_bind_failed(s, st, "system get");
    return hd_sq_fetch(s, st, read_system, ar, out, "system get");
}

static const char SQL_SYSTEM_LIST[] = "SELECT " SYSTEM_COLS " FROM systems WHERE account_id = ?1"
                                      " AND deleted_at IS NULL ORDER BY created_at, id LIMIT ?2";

int hd_sqlite_system_list(struct hd_store *s, const char *account_id, struct hd_arena *ar,
                          struct hd_system *out, size_t max, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_SYSTEM_LIST);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, account_id) || hd_sq_bind_size(st, 2, max))
        return hd_sq_bind_failed(s, st, "system list");
    return hd_sq_fetch_many(s, st, read_system, ar, out, sizeof(*out), max, count, "system list");
}

/* ---- systems administration ---- */

static const char SQL_SYSTEM_PAGE[] =
    "SELECT " SYSTEM_COLS " FROM systems WHERE account_id = ?1 AND deleted_at IS NULL"
    " AND (?2 IS NULL OR (created_at, id) >"
    " (SELECT created_at, id FROM systems WHERE id = ?2 AND account_id = ?1))"
    " ORDER BY created_at, id LIMIT ?3";

int hd_sqlite_system_page(struct hd_store *s, const char *account_id, const char *after, size_t max,
                          struct hd_arena *ar, struct hd_system *out, size_t *count)
{
    *count = 0;
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_SYSTEM_PAGE);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, account_id) || hd_sq_bind_text(st, 2, after) ||
        hd_sq_bind_size(st, 3, max))
        return hd_sq_bind_failed(s, st, "system page");
    return hd_sq_fetch_many(s, st, read_system, ar, out, sizeof(*out), max, count, "system page");
}

static const char SQL_SYSTEM_LIVE[] =
    "SELECT count(*) FROM notifications WHERE system_id = ?1 AND account_id = ?2"
    " AND cancelled_at IS NULL AND end_at > ?3";
static const char SQL_SYSTEM_LIVE_IDS[] =
    "SELECT id FROM notifications WHERE system_id = ?1 AND account_id = ?2"
    " AND cancelled_at IS NULL AND end_at > ?3 LIMIT ?4";
static const char SQL_SYSTEM_CANCEL_LIVE[] =
    "UPDATE notifications SET cancelled_at = ?3 WHERE system_id = ?1 AND account_id = ?2"
    " AND cancelled_at IS NULL AND end_at > ?3";
static const char SQL_SYSTEM_DELETE[] = "UPDATE systems SET deleted_at = ?3"
                                        " WHERE id = ?1 AND account_id = ?2 AND deleted_at IS NULL";

struct system_delete {
    const char *account_id, *id;
    bool cascade;
    int64_t now, *live;
    struct hd_arena *ar;
    const char ***ids;
};

/* Binds (system id, account id, now) to st. */
static int bind_system_now(sqlite3_stmt *st, const struct system_delete *d)
{
    return hd_sq_bind_text(st, 1, d->id) || hd_sq_bind_text(st, 2, d->account_id) ||
           hd_sq_bind_i64(st, 3, d->now);
}

static bool read_id(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    return (*(const char **)out = hd_sq_col_str(st, 0, ar)) != NULL;
}

/* The ids of the *d->live notifications about to be cancelled. */
static int live_ids(struct hd_store *s, const struct system_delete *d)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_SYSTEM_LIVE_IDS);
    size_t max = (size_t)*d->live, n;
    if (!st)
        return HD_E_STORAGE;
    *d->ids = hd_arena_alloc(d->ar, max * sizeof(**d->ids));
    if (bind_system_now(st, d) || hd_sq_bind_size(st, 4, max))
        return hd_sq_bind_failed(s, st, "system live ids");
    int err = hd_sq_fetch_many(s, st, read_id, d->ar, *d->ids, sizeof(**d->ids), max, &n,
                               "system live ids");
    *d->live = (int64_t)n;
    return err;
}

static int system_delete_body(struct hd_store *s, const void *arg)
{
    const struct system_delete *d = arg;
    sqlite3_stmt *live = hd_sq_stmt(s, SQL_SYSTEM_LIVE),
                 *cancel = hd_sq_stmt(s, SQL_SYSTEM_CANCEL_LIVE),
                 *del = hd_sq_stmt(s, SQL_SYSTEM_DELETE);
    if (!live || !cancel || !del)
        return HD_E_STORAGE;
    if (bind_system_now(live, d))
        return hd_sq_bind_failed(s, live, "system live count");
    int err = hd_sq_fetch(s, live, hd_sq_read_i64, NULL, d->live, "system live count");
    if (err)
        return err;
    if (bind_system_now(del, d))
        return hd_sq_bind_failed(s, del, "system delete");
    if ((err = hd_sq_run_changed(s, del, "system delete")))
        return err;
    if (*d->live && !d->cascade)
        return HD_E_CONFLICT;
    if (!*d->live)
        return 0;
    if ((err = live_ids(s, d)))
        return err;
    if (bind_system_now(cancel, d))
        return hd_sq_bind_failed(s, cancel, "system cancel notifications");
    return hd_sq_run(s, cancel, "system cancel notifications");
}

int hd_sqlite_system_delete(struct hd_store *s, const char *account_id, const char *id,
                            bool cascade, int64_t now, struct hd_arena *ar, int64_t *live,
                            const char ***cancelled)
{
    struct system_delete d = {account_id, id, cascade, now, live, ar, cancelled};
    *live = 0;
    *cancelled = NULL;
    return hd_sq_in_transaction(s, system_delete_body, &d);
}

/* ---- API key administration ---- */

static bool read_key_state(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    struct hd_key_state *k = out;
    k->secret_rotated_at = sqlite3_column_int64(st, 7);
    return read_key(st, ar, &k->key);
}

static const char SQL_KEY_GET_STATE[] =
    "SELECT " KEY_COLS ", secret_rotated_at FROM api_keys WHERE client_id = ?1";

int hd_sqlite_key_get_state(struct hd_store *s, const char *client_id, struct hd_arena *ar,
                            struct hd_key_state *out)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_KEY_GET_STATE);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, client_id))
        return hd_sq_bind_failed(s, st, "key get state");
    return hd_sq_fetch(s, st, read_key_state, ar, out, "key get state");
}

static const char SQL_CATALOG_VERSION[] = "SELECT version FROM catalog_version";

/* How long a connection trusts the shared counter alone: a process that died between its
 * commit and the raise left it behind catalog_version for at most that long. */
#define CATALOG_RECHECK_MS 1000

static int read_stored_version(struct hd_store *s, int64_t *version)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_CATALOG_VERSION);
    return st ? hd_sq_fetch(s, st, hd_sq_read_i64, NULL, version, "catalog version") : HD_E_STORAGE;
}

/* The shared counter (sqlite_catalog_counter.h); and every CATALOG_RECHECK_MS the stored
 * version too, which raises the counter for everyone when it moved since this connection last
 * read it. Without the counter, the stored version each time. */
int hd_sqlite_catalog_version(struct hd_store *s, int64_t *version)
{
    int64_t now = hd_time_mono_ms();
    if (s->catalog_counter && s->catalog_read && now - s->catalog_read_ms < CATALOG_RECHECK_MS) {
        *version = (int64_t)hd_sq_counter_read(s->catalog_counter);
        return 0;
    }
    int64_t stored;
    int err = read_stored_version(s, &stored);
    if (err)
        return err;
    if (s->catalog_counter && s->catalog_read && stored != s->catalog_stored)
        hd_sq_counter_raise(s->catalog_counter);
    s->catalog_read = true;
    s->catalog_stored = stored;
    s->catalog_read_ms = now;
    *version = s->catalog_counter ? (int64_t)hd_sq_counter_read(s->catalog_counter) : stored;
    return 0;
}

static const char SQL_KEY_ROTATE[] =
    "UPDATE api_keys SET secret_hash = ?3, secret_rotated_at = ?4"
    " WHERE client_id = ?1 AND account_id = ?2 AND revoked_at IS NULL";

int hd_sqlite_key_rotate(struct hd_store *s, const char *account_id, const char *client_id,
                         const unsigned char hash[HD_SECRET_HASH_LEN], int64_t now)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_KEY_ROTATE);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, client_id) || hd_sq_bind_text(st, 2, account_id) ||
        hd_sq_bind_blob(st, 3, hash, HD_SECRET_HASH_LEN) || hd_sq_bind_i64(st, 4, now))
        return hd_sq_bind_failed(s, st, "key rotate");
    return hd_sq_run_changed(s, st, "key rotate");
}

static const char SQL_SYSTEM_ROTATE[] = "UPDATE systems SET signing_secret = ?3"
                                        " WHERE id = ?1 AND account_id = ?2 AND deleted_at IS NULL";

int hd_sqlite_system_rotate_secret(struct hd_store *s, const char *account_id, const char *id,
                                   const unsigned char secret[HD_SECRET_LEN])
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_SYSTEM_ROTATE);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, id) || hd_sq_bind_text(st, 2, account_id) ||
        hd_sq_bind_blob(st, 3, secret, HD_SECRET_LEN))
        return hd_sq_bind_failed(s, st, "system rotate");
    return hd_sq_run_changed(s, st, "system rotate");
}

/* ---- failed authentications ---- */

static const char SQL_KEY_AUTH_FAILED[] =
    "UPDATE api_keys SET auth_failures = CASE WHEN auth_failures_window = ?2"
    " THEN auth_failures + 1 ELSE 1 END, auth_failures_window = ?2"
    " WHERE client_id = ?1 RETURNING auth_failures";

static bool read_failures(sqlite3_stmt *st, struct hd_arena *ar, void *out)
{
    *(int64_t *)out = sqlite3_column_int64(st, 0);
    return true;
}

int hd_sqlite_key_auth_failed(struct hd_store *s, const char *client_id, int64_t window_start,
                              int64_t *failures)
{
    sqlite3_stmt *st = hd_sq_stmt(s, SQL_KEY_AUTH_FAILED);
    if (!st)
        return HD_E_STORAGE;
    if (hd_sq_bind_text(st, 1, client_id) || hd_sq_bind_i64(st, 2, window_start))
        return hd_sq_bind_failed(s, st, "key auth failed");
    return hd_sq_fetch(s, st, read_failures, NULL, failures, "key auth failed");
}
