/* config.h: server settings, from (lowest to highest precedence) built-in defaults, an optional
 * config file of "key = value" lines, HERALD_* environment variables, and command-line flags.
 * One table in config.c lists every directive with its flag, variable and meaning. */
#ifndef HD_CONFIG_H
#define HD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct hd_config {
    char listen[256]; /* HOST:PORT */
    char data_dir[1024];
    char database[1024];  /* postgres:// URL; empty means SQLite in data_dir */
    char public_url[256]; /* issuer and links; default http://<listen> */
    int workers;          /* event-loop threads; 0 = one per core */
    int64_t token_ttl_s;
    int64_t history_days;
    int max_conns;
    int request_timeout_ms, idle_timeout_ms, write_timeout_ms;
    int shutdown_grace_ms;
    int rate_limit; /* triggers per API key per minute; 0 = none */
    bool access_log;
    char log_level[16];
};

void hd_config_defaults(struct hd_config *c);
/* Applies HERALD_* variables from the environment. */
int hd_config_from_env(struct hd_config *c, char *errbuf, size_t errlen) HD_WUR;
/* Applies a file of "key = value" lines (# comments). */
int hd_config_from_file(struct hd_config *c, const char *path, char *errbuf, size_t errlen) HD_WUR;
/* Applies "--key value" or "--key=value"; *used gets how many argv entries it took (0 when
 * argv[0] is not a config flag). */
int hd_config_flag(struct hd_config *c, int argc, char **argv, int *used, char *errbuf,
                   size_t errlen) HD_WUR;
/* The store location: the database URL, or the data directory. */
const char *hd_config_store_location(const struct hd_config *c);
/* Prints the directives with their flags, variables and defaults. */
void hd_config_print_help(void);

#endif
