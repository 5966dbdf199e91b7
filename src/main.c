/* main.c: the command line. `herald serve` runs the server; `keys` and `accounts` are operator
 * commands on a data directory; `version` and `--help` say what this is. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_api.h"
#include "config.h"
#include "core/log.h"
#include "server.h"

static const char help[] =
    "herald: a self-hosted notification server\n\n"
    "usage: herald serve [--listen HOST:PORT] [--data DIR | --database URL] [--config FILE] …\n"
    "       herald keys create --name NAME --scopes SCOPES [--account ID] [--data DIR]\n"
    "       herald accounts create --name NAME [--data DIR]\n"
    "       herald systems|templates|users|audiences|keys|notifications VERB … (--help)\n"
    "       herald version\n\n";

static enum hd_log_level level_of(const char *name)
{
    return !strcmp(name, "error")   ? HD_LOG_ERROR
           : !strcmp(name, "warn")  ? HD_LOG_WARN
           : !strcmp(name, "debug") ? HD_LOG_DEBUG
                                    : HD_LOG_INFO;
}

static int serve(int argc, char **argv)
{
    struct hd_config cfg;
    char err[300];
    hd_config_defaults(&cfg);
    if (hd_config_from_env(&cfg, err, sizeof(err)))
        goto usage;
    for (int i = 0; i < argc; i++) {
        int used;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            hd_config_print_help();
            return 0;
        }
        if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            if (hd_config_from_file(&cfg, argv[++i], err, sizeof(err)))
                goto usage;
            continue;
        }
        if (hd_config_flag(&cfg, argc - i, argv + i, &used, err, sizeof(err)))
            goto usage;
        if (!used) {
            snprintf(err, sizeof(err), "unknown argument \"%s\" (see herald serve --help)",
                     argv[i]);
            goto usage;
        }
        i += used - 1;
    }
    hd_log_set_level(level_of(cfg.log_level));
    hd_log_set_access(cfg.access_log);
    return hd_server_run(&cfg);
usage:
    fprintf(stderr, "herald: %s\n", err);
    return 2;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *cmd = argc > 1 ? argv[1] : "--help";
    if (!strcmp(cmd, "serve"))
        return serve(argc - 2, argv + 2);
    if (!strcmp(cmd, "keys") && argc > 2 && !strcmp(argv[2], "create"))
        return hd_cli_keys(argc - 1, argv + 1);
    if (!strcmp(cmd, "accounts"))
        return hd_cli_accounts(argc - 1, argv + 1);
    if (hd_cli_api_handles(cmd))
        return hd_cli_api_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("herald %s\n", HD_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(help, stdout);
        hd_config_print_help();
        return 0;
    }
    fprintf(stderr, "herald: unknown command \"%s\"\n\n%s", cmd, help);
    return 2;
}
