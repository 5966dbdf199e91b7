/* sqlite_walbuf.h: the VFS the SQLite store installs process-wide (sqlite_walbuf.c), which
 * gathers a transaction's writes to the write-ahead log into few large ones, and starts the
 * write-back of a checkpoint's copies into the database as they go. */
#ifndef HD_STORE_SQLITE_WALBUF_H
#define HD_STORE_SQLITE_WALBUF_H

#include <stdint.h>

/* Registers the VFS as the default one, over the default it finds. Returns 0 (also when it is
 * installed already), or -1 when it cannot (the default VFS then stays). Call it before the
 * first connection. */
int hd_sqlite_walbuf_install(void);

/* What the VFS did, for tests: writes SQLite asked of a log, writes that reached the file,
 * gathered bytes a log index barrier had to write (0 unless SQLite changed how it writes a
 * commit: see sqlite_walbuf.c), and write-backs of a database's writes it started. */
struct hd_walbuf_counts {
    int64_t asked, written, at_barrier, writebacks;
};
void hd_sqlite_walbuf_counts(struct hd_walbuf_counts *out);

#endif
