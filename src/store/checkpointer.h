/* checkpointer.h: a thread that keeps copying the SQLite log into the database, so that the
 * writer's own checkpoint (which ends the log and starts it over) finds little left to copy. */
#ifndef HD_STORE_CHECKPOINTER_H
#define HD_STORE_CHECKPOINTER_H

#include <stddef.h>

struct hd_checkpointer;

/* Opens its own connection to location and starts the thread; NULL (logged) if it cannot. */
struct hd_checkpointer *hd_checkpointer_start(const char *location);
/* Ends the thread and closes its connection; NULL is a no-op. */
void hd_checkpointer_stop(struct hd_checkpointer *c);

#endif
