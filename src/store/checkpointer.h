/* checkpointer.h: a thread that copies the SQLite log into the database as the writer fills
 * it, so that the writer's own checkpoint (after which the log starts over) finds little left
 * to copy; it also moves the targets triggers log into the index by user (sqlite_by_user.c). */
#ifndef HD_STORE_CHECKPOINTER_H
#define HD_STORE_CHECKPOINTER_H

#include <stddef.h>

#include "store/store.h"

struct hd_checkpointer;

/* Opens its own connection to location and starts the thread, which follows progress (the
 * writer's connection reports into it: hd_store_watch_log); NULL (logged) if it cannot. */
struct hd_checkpointer *hd_checkpointer_start(const char *location,
                                              struct hd_log_progress *progress);
/* Ends the thread and closes its connection; NULL is a no-op. */
void hd_checkpointer_stop(struct hd_checkpointer *c);

#endif
