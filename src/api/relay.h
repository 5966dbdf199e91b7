/* relay.h: with a shared database (PostgreSQL, several nodes), every event recorded by any node
 * reaches the clients connected to this one, in seq order, nothing lost across reconnects. */
#ifndef HD_API_RELAY_H
#define HD_API_RELAY_H

#include <stddef.h>

#include "api/app.h"

struct hd_relay;

/* Opens a connection of its own to location and notes the latest event: the relay will hand on
 * every event after it to every loop of shared (from hd_relay_run on). NULL with a sentence in
 * errbuf when the store cannot be opened. Release with hd_relay_stop(). */
struct hd_relay *hd_relay_open(struct hd_app_shared *shared, const char *location, char *errbuf,
                               size_t errlen);
/* Starts the thread, once the loops of shared exist. 0, or HD_E_INTERNAL. */
int hd_relay_run(struct hd_relay *r);
/* Ends the thread (if running) and closes the connection. */
void hd_relay_stop(struct hd_relay *r);

#endif
