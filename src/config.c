/* config.c: the table of directives and the three ways to set them. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { STR, INT, I64, BOOL };

struct directive {
    const char *key; /* file key and flag name (--key); env var is HERALD_KEY */
    enum kind kind;
    size_t offset, size;
    long long min, max;
    const char *help;
};

#define D_STR(k, f, h)                                                                             \
    {                                                                                              \
        k, STR, offsetof(struct hd_config, f), sizeof(((struct hd_config *)0)->f), 0, 0, h         \
    }
#define D_NUM(k, t, f, lo, hi, h)                                                                  \
    {                                                                                              \
        k, t, offsetof(struct hd_config, f), 0, lo, hi, h                                          \
    }

static const struct directive directives[] = {
    D_STR("listen", listen, "address to serve on, HOST:PORT (port 0: any free port)"),
    D_STR("data", data_dir, "data directory for the embedded SQLite store"),
    D_STR("database", database, "postgres://user@host:port/db instead of --data"),
    D_STR("public-url", public_url, "the URL clients use to reach herald (token issuer)"),
    D_NUM("workers", INT, workers, 0, 256, "event-loop threads (0: one per core)"),
    D_NUM("token-ttl", I64, token_ttl_s, 60, 31536000, "API token lifetime in seconds"),
    D_NUM("history-days", I64, history_days, 0, 3650, "days expired notifications stay listed"),
    D_NUM("max-connections", INT, max_conns, 16, 1000000, "open connections across threads"),
    D_NUM("request-timeout-ms", INT, request_timeout_ms, 100, 600000, "time to send a request"),
    D_NUM("idle-timeout-ms", INT, idle_timeout_ms, 100, 3600000, "keep-alive idle time"),
    D_NUM("write-timeout-ms", INT, write_timeout_ms, 100, 600000, "time for a client to read"),
    D_NUM("shutdown-grace-ms", INT, shutdown_grace_ms, 0, 600000, "drain time on SIGTERM"),
    D_NUM("rate-limit", INT, rate_limit, 0, 100000000,
          "triggers per API key per minute, per node (0: no limit)"),
    D_NUM("access-log", BOOL, access_log, 0, 1, "one line per request on stdout (1 or 0)"),
    D_STR("log-level", log_level, "error, warn, info or debug"),
};
#define N_DIRECTIVES (sizeof(directives) / sizeof(directives[0]))

void hd_config_defaults(struct hd_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
    snprintf(c->data_dir, sizeof(c->data_dir), "./data");
    snprintf(c->log_level, sizeof(c->log_level), "info");
    c->token_ttl_s = 86400;
    c->history_days = 90;
    c->max_conns = 50000;
    c->request_timeout_ms = 10000;
    c->idle_timeout_ms = 75000;
    c->write_timeout_ms = 30000;
    c->shutdown_grace_ms = 5000;
    c->rate_limit = 6000;
    c->access_log = true;
}

static const struct directive *find(const char *key, size_t len)
{
    for (size_t i = 0; i < N_DIRECTIVES; i++)
        if (strlen(directives[i].key) == len && strncmp(directives[i].key, key, len) == 0)
            return &directives[i];
    return NULL;
}

static int parse_number(const struct directive *d, const char *value, long long *out)
{
    if (d->kind == BOOL && (!strcmp(value, "true") || !strcmp(value, "on"))) {
        *out = 1;
        return 0;
    }
    if (d->kind == BOOL && (!strcmp(value, "false") || !strcmp(value, "off"))) {
        *out = 0;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < d->min || v > d->max)
        return HD_E_VALIDATION;
    *out = v;
    return 0;
}

static int apply(struct hd_config *c, const struct directive *d, const char *value, char *errbuf,
                 size_t errlen)
{
    char *field = (char *)c + d->offset;
    if (d->kind == STR) {
        if (strlen(value) >= d->size) {
            snprintf(errbuf, errlen, "%s: value too long (at most %zu bytes)", d->key, d->size - 1);
            return HD_E_VALIDATION;
        }
        snprintf(field, d->size, "%s", value);
        return 0;
    }
    long long v;
    if (parse_number(d, value, &v)) {
        snprintf(errbuf, errlen, "%s: expected %s between %lld and %lld, got \"%s\"", d->key,
                 d->kind == BOOL ? "0/1/true/false" : "a whole number", d->min, d->max, value);
        return HD_E_VALIDATION;
    }
    if (d->kind == I64)
        *(int64_t *)field = v;
    else if (d->kind == INT)
        *(int *)field = (int)v;
    else
        *(bool *)field = v != 0;
    return 0;
}

int hd_config_from_env(struct hd_config *c, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        char var[64] = "HERALD_";
        size_t j = 7;
        for (const char *k = directives[i].key; *k && j < sizeof(var) - 1; k++)
            var[j++] = *k == '-' ? '_' : (char)(*k >= 'a' && *k <= 'z' ? *k - 32 : *k);
        var[j] = '\0';
        /* the SPEC's name for the database variable */
        const char *value = getenv(!strcmp(var, "HERALD_DATABASE") ? "HERALD_DATABASE_URL" : var);
        if (!value)
            value = getenv(var);
        if (value && apply(c, &directives[i], value, errbuf, errlen))
            return HD_E_VALIDATION;
    }
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Length of the key before '=', without trailing blanks. */
static size_t trim_key_len(const char *s, const char *eq)
{
    while (eq > s && (eq[-1] == ' ' || eq[-1] == '\t'))
        eq--;
    return (size_t)(eq - s);
}

int hd_config_from_file(struct hd_config *c, const char *path, char *errbuf, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return HD_E_NOT_FOUND;
    }
    char line[2048];
    int lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof(line), f)) {
        lineno++;
        char *s = trim(line), *eq = strchr(s, '=');
        if (!*s || *s == '#')
            continue;
        const struct directive *d = eq ? find(s, trim_key_len(s, eq)) : NULL;
        if (!d) {
            snprintf(errbuf, errlen, "%s:%d: expected \"key = value\" with a known key", path,
                     lineno);
            rc = HD_E_VALIDATION;
        } else {
            rc = apply(c, d, trim(eq + 1), errbuf, errlen);
        }
    }
    fclose(f);
    return rc;
}

int hd_config_flag(struct hd_config *c, int argc, char **argv, int *used, char *errbuf,
                   size_t errlen)
{
    *used = 0;
    if (strncmp(argv[0], "--", 2) != 0)
        return 0;
    const char *name = argv[0] + 2, *eq = strchr(name, '=');
    const struct directive *d = find(name, eq ? (size_t)(eq - name) : strlen(name));
    if (!d)
        return 0;
    if (eq) {
        *used = 1;
        return apply(c, d, eq + 1, errbuf, errlen);
    }
    if (argc < 2) {
        snprintf(errbuf, errlen, "--%s needs a value", d->key);
        return HD_E_VALIDATION;
    }
    *used = 2;
    return apply(c, d, argv[1], errbuf, errlen);
}

const char *hd_config_store_location(const struct hd_config *c)
{
    return c->database[0] ? c->database : c->data_dir;
}

void hd_config_print_help(void)
{
    printf("Settings (flag, or HERALD_<NAME> in the environment, or \"name = value\" in the file "
           "given by --config):\n");
    for (size_t i = 0; i < N_DIRECTIVES; i++)
        printf("  --%-20s %s\n", directives[i].key, directives[i].help);
}
