/* sqlite_catalog_counter.h: the catalog's version as every process of one data directory sees
 * it without a transaction. A 64-bit counter in DIR/herald.db-catalog, mapped by each SQLite
 * connection, which the connection raises right after it commits a change of the catalog (API
 * keys, systems, templates: the change raised catalog_version in its transaction). Reading it
 * is one atomic load, where reading catalog_version took a read transaction of herald.db on
 * every request of the loops.
 *
 * The file holds no data: it is made when missing, and a process that died between a commit
 * and its raise leaves the counter behind the database, which hd_sqlite_catalog_version makes
 * good (sqlite_tenants.c). */
#ifndef HD_STORE_SQLITE_CATALOG_COUNTER_H
#define HD_STORE_SQLITE_CATALOG_COUNTER_H

#include <stdint.h>

#define HD_CATALOG_COUNTER_FILE "herald.db-catalog"

struct hd_sq_counter;

/* Maps DIR/herald.db-catalog, making it if missing; NULL (logged) when it cannot. */
struct hd_sq_counter *hd_sq_counter_map(const char *dir);
void hd_sq_counter_unmap(struct hd_sq_counter *c);

uint64_t hd_sq_counter_read(const struct hd_sq_counter *c);
/* Raises the counter by one, for every process that maps it. */
void hd_sq_counter_raise(struct hd_sq_counter *c);

#endif
