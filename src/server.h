/* server.h: wiring: store, secrets, the first-start account, one event-loop thread per core, and
 * signals. */
#ifndef HD_SERVER_H
#define HD_SERVER_H

#include "config.h"

/* Serves until SIGINT or SIGTERM, then drains and returns the process exit status. */
int hd_server_run(const struct hd_config *cfg);

#endif
