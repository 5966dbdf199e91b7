/* cli.c: `herald keys create` and `herald accounts create`. */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "auth/keys.h"
#include "auth/scope.h"
#include "config.h"

#define EXIT_USAGE 2

struct cli_args {
    struct hd_config cfg; /* --data, --database, --config */
    const char *name, *scopes, *account;
    bool help;
};

static int usage(const char *text, const char *problem)
{
    if (problem)
        fprintf(stderr, "herald: %s\n\n", problem);
    fputs(text, problem ? stderr : stdout);
    return problem ? EXIT_USAGE : 0;
}

/* Reads --name/--scopes/--account and the store flags; returns 0 or EXIT_USAGE. */
static int parse_args(int argc, char **argv, struct cli_args *a, char *err, size_t errlen)
{
    hd_config_defaults(&a->cfg);
    if (hd_config_from_env(&a->cfg, err, errlen))
        return EXIT_USAGE;
    for (int i = 0; i < argc; i++) {
        const char **slot = !strcmp(argv[i], "--name")      ? &a->name
                            : !strcmp(argv[i], "--scopes")  ? &a->scopes
                            : !strcmp(argv[i], "--account") ? &a->account
                                                            : NULL;
        int used;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            a->help = true;
        } else if (slot && i + 1 < argc) {
            *slot = argv[++i];
        } else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            if (hd_config_from_file(&a->cfg, argv[++i], err, errlen))
                return EXIT_USAGE;
        } else if (hd_config_flag(&a->cfg, argc - i, argv + i, &used, err, errlen)) {
            return EXIT_USAGE;
        } else if (used) {
            i += used - 1;
        } else {
            snprintf(err, errlen, "unknown argument \"%s\"", argv[i]);
            return EXIT_USAGE;
        }
    }
    return 0;
}

static int open_store(const struct cli_args *a, struct hd_store **s)
{
    char err[256];
    if (hd_store_open(hd_config_store_location(&a->cfg), s, err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "herald: cannot open the store: %s\n", err);
    return 1;
}

static void print_key(const char *account_id, const struct hd_new_key *k, unsigned scopes)
{
    char names[128];
    hd_scope_format(scopes, names, sizeof(names));
    json_t *list = json_array();
    for (char *tok = strtok(names, " "); tok; tok = strtok(NULL, " "))
        json_array_append_new(list, json_string(tok));
    json_t *out = json_pack("{s:s?, s:s, s:s, s:o}", "accountId", account_id, "clientId",
                            k->client_id, "clientSecret", k->secret, "scopes", list);
    char *text = json_dumps(out, JSON_INDENT(2));
    puts(text);
    free(text);
    json_decref(out);
}

static const char keys_help[] =
    "usage: herald keys create --name NAME --scopes SCOPE[,SCOPE…] [--account ID]\n"
    "                          [--data DIR | --database URL]\n"
    "Creates an API key and prints {\"clientId\",\"clientSecret\",\"scopes\"}; the secret is\n"
    "shown only now. Scopes: notifications:write, notifications:read, admin:write, admin:read\n"
    "(write implies read). --account defaults to the first account.\n";

static int resolve_account(struct hd_store *s, const char *given, char out[HD_UUID_BUF])
{
    struct hd_arena *ar = hd_arena_create();
    struct hd_account acc;
    int rc = given ? hd_store_account_get(s, given, ar, &acc) : hd_store_account_first(s, ar, &acc);
    if (!rc)
        memcpy(out, acc.id, HD_UUID_BUF);
    else
        fprintf(stderr, "herald: %s\n",
                given ? "no such account"
                      : "no account yet: start the server once, or run "
                        "herald accounts create");
    hd_arena_destroy(ar);
    return rc ? 1 : 0;
}

int hd_cli_keys(int argc, char **argv)
{
    struct cli_args a = {0};
    char err[300];
    if (argc < 2 || strcmp(argv[1], "create") != 0)
        return usage(keys_help,
                     argc < 2 || strcmp(argv[1], "--help") ? "expected: keys create" : NULL);
    if (parse_args(argc - 2, argv + 2, &a, err, sizeof(err)))
        return usage(keys_help, err);
    if (a.help)
        return usage(keys_help, NULL);
    unsigned scopes;
    struct hd_slice bad;
    if (!a.name || !a.scopes)
        return usage(keys_help, "--name and --scopes are required");
    if (hd_scope_parse(hd_slice_of(a.scopes), &scopes, &bad) || !scopes)
        return usage(keys_help, "--scopes: use notifications:write, notifications:read, "
                                "admin:write, admin:read");
    struct hd_store *s;
    char account[HD_UUID_BUF];
    struct hd_new_key key;
    if (open_store(&a, &s))
        return 1;
    int rc = resolve_account(s, a.account, account);
    if (!rc && (rc = hd_keys_create(s, account, a.name, scopes, &key)))
        fprintf(stderr, "herald: cannot create the key: %s\n", hd_err_message(rc));
    if (!rc)
        print_key(NULL, &key, scopes);
    hd_store_close(s);
    return rc ? 1 : 0;
}

static const char accounts_help[] =
    "usage: herald accounts create --name NAME [--data DIR | --database URL]\n"
    "Creates an isolated account and prints its owner key as\n"
    "{\"accountId\",\"clientId\",\"clientSecret\",\"scopes\"}; the secret is shown only now.\n";

int hd_cli_accounts(int argc, char **argv)
{
    struct cli_args a = {0};
    char err[300];
    if (argc < 2 || strcmp(argv[1], "create") != 0)
        return usage(accounts_help,
                     argc < 2 || strcmp(argv[1], "--help") ? "expected: accounts create" : NULL);
    if (parse_args(argc - 2, argv + 2, &a, err, sizeof(err)))
        return usage(accounts_help, err);
    if (a.help)
        return usage(accounts_help, NULL);
    if (!a.name || !*a.name || strlen(a.name) > 200)
        return usage(accounts_help, "--name is required (1 to 200 bytes)");
    struct hd_store *s;
    char account[HD_UUID_BUF];
    struct hd_new_key key;
    if (open_store(&a, &s))
        return 1;
    int rc = hd_keys_create_account(s, a.name, account, &key);
    if (rc)
        fprintf(stderr, "herald: cannot create the account: %s\n", hd_err_message(rc));
    else
        print_key(account, &key, HD_SCOPE_ALL);
    hd_store_close(s);
    return rc ? 1 : 0;
}
