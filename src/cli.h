/* cli.h: operator commands that work on a data directory (or database URL) directly, also
 * while a server runs on it (SPEC §7). Output is JSON on stdout; exit codes: 0 done, 1 failed,
 * 2 usage error. */
#ifndef HD_CLI_H
#define HD_CLI_H

/* argv[0] is the resource ("keys", "accounts"). */
int hd_cli_keys(int argc, char **argv);
int hd_cli_accounts(int argc, char **argv);

#endif
