/* store_impl.h: what the two backends share; never included outside src/store/.
 *
 * struct hd_store is one connection of either backend: a SQLite handle with its statement cache,
 * or (pg set) a PostgreSQL connection. Each backend's files touch only their own fields. */
#ifndef HD_STORE_STORE_IMPL_H
#define HD_STORE_STORE_IMPL_H

#include <sqlite3.h>

#include "core/embed.h"
#include "store/store.h"
#include "store/store_calls.h"

/* Column lists shared by both backends' queries and their row readers. */
#define ACCOUNT_COLS "id, name, created_at"
#define KEY_COLS     "client_id, account_id, name, scopes, secret_hash, created_at, revoked_at"
#define SYSTEM_COLS  "id, account_id, name, signing_secret, created_at"
#define TEMPLATE_COLS                                                                              \
    "id, system_id, name, title, description, button_text, button_url, type, placeholders, "       \
    "created_at"
#define NOTIF_COLS                                                                                 \
    "n.id, n.account_id, n.system_id, n.template_id, n.created_by, n.type, n.title, "              \
    "n.runtime_title, n.runtime_description, n.button_text, n.button_url, n.start_at, n.end_at, "  \
    "n.created_at, n.cancelled_at"

/* Statement cache slots per SQLite connection: a power of two, well above the statements. */
#define HD_SQ_SLOTS  256
#define HD_SQ_OWNERS 8 /* templates a writer batch remembers as checked (struct hd_sq_owners) */

/* A template whose notifications the writer's open batch has found it may insert (its system
 * live and the account's, the template unarchived), and whether it is locked yet. */
struct hd_sq_owners {
    char template_id[HD_UUID_BUF], system_id[HD_SYSTEM_ID_BUF], account_id[HD_UUID_BUF];
    bool locked;
};

struct hd_sq_slot {
    const char *sql; /* the key: the address of a static SQL text; NULL when free */
    sqlite3_stmt *st;
};

struct hd_pg;         /* pg_db.h */
struct hd_sq_counter; /* sqlite_catalog_counter.h */

struct hd_store {
    /* SQLite (SQLITE_OPEN_NOMUTEX: one thread at a time) and its prepared statements, in an
     * open-addressed table keyed by SQL address */
    sqlite3 *db;
    struct hd_sq_slot stmts[HD_SQ_SLOTS];
    /* inside a group-commit job (hd_store_in_savepoint): the calls it makes share its savepoint,
     * and the first of them to fail (job_undo) undoes the whole job */
    bool in_job;
    int job_undo;
    /* the index by user (sqlite_by_user.c) is attached writable: the mover's connection only */
    bool by_user_writable;
    /* the writer's prunes of the moved log (hd_sq_by_user_prune): the count of moves this
     * process had made when the log was last pruned to the end, and when (monotonic ms) */
    uint64_t pruned_after_moves;
    int64_t pruned_at_ms;
    /* inside the writer's batch (hd_store_batch_begin to _end): one transaction holding the
     * write lock, in which last_event_seq is the highest events seq assigned or read (next_seq
     * in sqlite_notifications.c), 0 until the first */
    bool in_batch;
    int64_t last_event_seq;
    /* owners checked in the batch (sqlite_notifications.c): valid while nothing of the catalog
     * changed in it (an update hook on catalog_version) and nothing was undone */
    struct hd_sq_owners owners[HD_SQ_OWNERS];
    size_t n_owners;
    /* the catalog's version (sqlite_catalog_counter.h): the shared counter (NULL when it could
     * not be mapped), whether the open transaction changed the catalog (raised after it
     * commits), and catalog_version as this connection last read it, and when (monotonic ms) */
    struct hd_sq_counter *catalog_counter;
    bool catalog_changed;
    bool catalog_read;
    int64_t catalog_stored, catalog_read_ms;
    /* after each commit: the writer's log (hd_store_watch_log), or else SQLite's automatic
     * checkpoint of a database whose log is past checkpoint_pages */
    struct hd_log_progress *log_progress;
    int checkpoint_pages;
    /* PostgreSQL: NULL for a SQLite store */
    struct hd_pg *pg;
};

#define HD_DECLARE_BACKENDS(name, params, args)                                                    \
    int hd_sqlite_##name params HD_WUR;                                                            \
    int hd_pg_##name params HD_WUR;
HD_STORE_CALLS(HD_DECLARE_BACKENDS)
#undef HD_DECLARE_BACKENDS

/* Applies m (version v) to the database behind ctx, recording it; 0 or an error in errbuf. */
typedef int (*hd_migration_apply)(void *ctx, const struct hd_embedded *m, long v, char *errbuf,
                                  size_t errlen);
/* Walks the embedded migrations directly in dir ("migrations/" or "migrations/pg/") in order,
 * applying those newer than current; refuses misnamed ones and a schema newer than them all
 * (store.c). */
int hd_store_migrate(const char *dir, long current, hd_migration_apply apply, void *ctx,
                     char *errbuf, size_t errlen) HD_WUR;

/* An audience preview's sample: the end users of ids (in that order) that exist, appended to
 * sample (*n_sample counts them). */
int hd_store_preview_sample(struct hd_store *s, const char *system_id, const char *const *ids,
                            size_t n, struct hd_arena *ar, struct hd_end_user *sample,
                            size_t *n_sample) HD_WUR;

int hd_sqlite_open(const char *dir, struct hd_store **out, char *errbuf, size_t errlen) HD_WUR;
void hd_sqlite_close(struct hd_store *s);
int hd_pg_open(const char *url, struct hd_store **out, char *errbuf, size_t errlen) HD_WUR;
void hd_pg_close(struct hd_store *s);

#endif
