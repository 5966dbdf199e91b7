/* sqlite_pcache.h: the page cache the SQLite store installs process-wide (sqlite_pcache.c). */
#ifndef HD_STORE_SQLITE_PCACHE_H
#define HD_STORE_SQLITE_PCACHE_H

/* Wraps SQLite's default page cache; call before SQLite is initialized (before the first
 * connection). Returns 0, or -1 if SQLite was already initialized (the default then stays). */
int hd_sqlite_pcache_install(void);

#endif
