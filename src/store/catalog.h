/* catalog.h: what every trigger reads and almost nothing changes (an API key's state, a system,
 * the account's only system, a template), kept in memory by one thread, in front of its store
 * connection.
 *
 * The store's catalog version (hd_store_catalog_version) moves with any change of those rows,
 * whoever makes it, and is never seen to move before the change is committed.
 * hd_catalog_sync reads it first in each request and forgets everything when it moved; a value
 * read afterwards is as fresh as the version, so a revoked key, a deleted system or an archived
 * template is refused by the next request that syncs. Between two syncs the answers are those
 * of the last one: sync once per request, before any other call.
 *
 * Each call answers like the store call it stands for (0, HD_E_NOT_FOUND, a store error), with
 * the strings copied into ar. Only found rows are kept; memory is bounded (a fixed number of
 * slots per kind, and the copies are dropped after a bounded number of fills). */
#ifndef HD_STORE_CATALOG_H
#define HD_STORE_CATALOG_H

#include "store/store.h"

struct hd_catalog;

struct hd_catalog *hd_catalog_create(void);
void hd_catalog_destroy(struct hd_catalog *c);

/* Reads the version; forgets every value if it changed. A store error is returned as is. */
int hd_catalog_sync(struct hd_catalog *c, struct hd_store *s) HD_WUR;

/* hd_store_key_get_state */
int hd_catalog_key_state(struct hd_catalog *c, struct hd_store *s, const char *client_id,
                         struct hd_arena *ar, struct hd_key_state *out) HD_WUR;
/* hd_store_system_get */
int hd_catalog_system(struct hd_catalog *c, struct hd_store *s, const char *account_id,
                      const char *id, struct hd_arena *ar, struct hd_system *out) HD_WUR;
/* The account's live systems, as hd_store_system_list with max 2: *count 0, 1 (out is that
 * system) or 2 (several). */
int hd_catalog_only_system(struct hd_catalog *c, struct hd_store *s, const char *account_id,
                           struct hd_arena *ar, struct hd_system *out, size_t *count) HD_WUR;
/* hd_store_template_get */
int hd_catalog_template(struct hd_catalog *c, struct hd_store *s, const char *system_id,
                        const char *id, struct hd_arena *ar, struct hd_template *out) HD_WUR;

#endif
