/* cli_api.h: operator commands that mirror the HTTP API (`herald systems create --name X`,
 * `herald users list --system ID`, …). Each command is one row of a table naming the route it
 * calls; the request is built from the flags and answered in-process by the same handler the
 * server uses, as the account's owner, against --data DIR (or --database URL). JSON out;
 * exit 0 on success, 1 when the API answers an error, 2 on a usage error. */
#ifndef HD_CLI_API_H
#define HD_CLI_API_H

#include <stdbool.h>

/* True when argv[0] names a resource this module handles. */
bool hd_cli_api_handles(const char *resource);
/* argv[0] is the resource, argv[1] the verb. Returns the exit status. */
int hd_cli_api_run(int argc, char **argv);

#endif
