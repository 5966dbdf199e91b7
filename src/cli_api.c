/* cli_api.c: the command table and the in-process dispatch behind it. */
#include "cli_api.h"

#include <jansson.h>
#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "auth/scope.h"
#include "config.h"
#include "core/buf.h"
#include "core/log.h"
#include "http/router.h"

#define EXIT_API   1
#define EXIT_USAGE 2

struct command {
    const char *resource, *verb;
    int method;
    const char *path;   /* {name} is filled from --name */
    const char *fields; /* flags sent as JSON body fields; "x[]" splits on commas into an array */
    const char *query;  /* flags sent as query parameters */
    const char *help;
};

static const struct command commands[] = {
    {"systems", "create", HTTP_POST, "/v1/systems", "name", "", "Create a system."},
    {"systems", "list", HTTP_GET, "/v1/systems", "", "", "List the systems."},
    {"systems", "get", HTTP_GET, "/v1/systems/{system}", "", "", "Show one system."},
    {"systems", "delete", HTTP_DELETE, "/v1/systems/{system}", "", "cascade",
     "Delete a system (--cascade true also cancels its notifications)."},
    {"systems", "rotate-secret", HTTP_POST, "/v1/systems/{system}/signing-secret", "", "",
     "Give the system a new signing secret for end-user tokens (old tokens stop working)."},
    {"templates", "create", HTTP_POST, "/v1/systems/{system}/templates", "", "",
     "Create a template from --json FILE (or - for stdin)."},
    {"templates", "list", HTTP_GET, "/v1/systems/{system}/templates", "", "limit,cursor",
     "List a system's templates."},
    {"templates", "get", HTTP_GET, "/v1/systems/{system}/templates/{template}", "", "",
     "Show one template."},
    {"templates", "update", HTTP_PUT, "/v1/systems/{system}/templates/{template}", "", "",
     "Replace a template with --json FILE (refused once it has been used)."},
    {"templates", "archive", HTTP_DELETE, "/v1/systems/{system}/templates/{template}", "", "",
     "Archive a template."},
    {"templates", "duplicate", HTTP_POST, "/v1/systems/{system}/templates/{template}/duplicate",
     "name", "", "Copy a template (to edit a locked one)."},
    {"users", "upsert", HTTP_PUT, "/v1/systems/{system}/end-users/{user}", "name,email", "",
     "Create or update an end user (or --json FILE with attributes)."},
    {"users", "import", HTTP_POST, "/v1/systems/{system}/end-users", "", "",
     "Bulk upsert from --json FILE: {\"endUsers\": [...]} (up to 10,000)."},
    {"users", "list", HTTP_GET, "/v1/systems/{system}/end-users", "", "search,limit,cursor",
     "List end users, optionally matching --search."},
    {"users", "get", HTTP_GET, "/v1/systems/{system}/end-users/{user}", "", "",
     "Show one end user."},
    {"users", "delete", HTTP_DELETE, "/v1/systems/{system}/end-users/{user}", "", "",
     "Delete an end user and their delivery state."},
    {"users", "token", HTTP_POST, "/v1/systems/{system}/end-users/{user}/tokens", "", "",
     "Mint a token for the end user's workstation client."},
    {"audiences", "create", HTTP_POST, "/v1/systems/{system}/audiences", "name,endUsersIds[]", "",
     "Create an audience (--endUsersIds a,b or --json FILE, with rules)."},
    {"audiences", "list", HTTP_GET, "/v1/systems/{system}/audiences", "", "limit,cursor",
     "List audiences with their sizes."},
    {"audiences", "get", HTTP_GET, "/v1/systems/{system}/audiences/{audience}", "", "",
     "Show one audience."},
    {"audiences", "add", HTTP_POST, "/v1/systems/{system}/audiences/{audience}/members",
     "endUsersIds[]", "", "Add members (--endUsersIds a,b or --json FILE)."},
    {"audiences", "remove", HTTP_DELETE, "/v1/systems/{system}/audiences/{audience}/members/{user}",
     "", "", "Remove a member."},
    {"audiences", "delete", HTTP_DELETE, "/v1/systems/{system}/audiences/{audience}", "", "",
     "Delete an audience."},
    {"keys", "list", HTTP_GET, "/v1/api-keys", "", "", "List API keys (never their secrets)."},
    {"keys", "revoke", HTTP_DELETE, "/v1/api-keys/{client}", "", "",
     "Revoke a key: its tokens stop working at once."},
    {"keys", "rotate", HTTP_POST, "/v1/api-keys/{client}/rotate", "", "",
     "Give a key a new secret (shown once); the old one stops working."},
    {"notifications", "list", HTTP_GET, "/v1/notifications", "", "systemId,status,limit,cursor",
     "The notification table, newest first."},
    {"notifications", "get", HTTP_GET, "/v1/notifications/{notification}", "", "",
     "One notification with its stats."},
    {"notifications", "cancel", HTTP_DELETE, "/v1/notifications/{notification}", "", "",
     "Cancel: it disappears from every user's list."},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

#define FLAGS_MAX 32
#define BODY_MAX  (16 * 1024 * 1024)

struct flags {
    const char *name[FLAGS_MAX], *value[FLAGS_MAX];
    size_t n;
};

static const char *flag(const struct flags *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->name[i], name))
            return f->value[i];
    return NULL;
}

/* True when name is one of the comma-separated words of list ("x[]" matches x). */
static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        size_t word = len >= 2 && !strncmp(p + len - 2, "[]", 2) ? len - 2 : len;
        if (word == n && !strncmp(p, name, n))
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static bool in_path(const char *path, const char *name)
{
    char want[64];
    snprintf(want, sizeof(want), "{%s}", name);
    return strstr(path, want) != NULL;
}

static int usage(const char *problem, const char *resource)
{
    FILE *out = problem ? stderr : stdout;
    if (problem)
        fprintf(stderr, "herald: %s\n\n", problem);
    fprintf(out,
            "usage: herald %s VERB [--FLAG VALUE …] [--data DIR | --database URL] "
            "[--account ID] [--json FILE]\n\n",
            resource);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const struct command *c = &commands[i];
        if (strcmp(c->resource, resource) != 0)
            continue;
        fprintf(out, "  %-10s %s\n             %s %s", c->verb, c->help,
                llhttp_method_name((llhttp_method_t)c->method), c->path);
        if (*c->fields)
            fprintf(out, "  fields: %s", c->fields);
        if (*c->query)
            fprintf(out, "  query: %s", c->query);
        fputc('\n', out);
    }
    fputs("\nPrints the API's JSON answer; exit 0 on success, 1 on an API error, 2 on a usage "
          "error.\n",
          out);
    return problem ? EXIT_USAGE : 0;
}

static int read_flags(int argc, char **argv, struct flags *f, char *err, size_t errlen)
{
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc || f->n == FLAGS_MAX) {
            snprintf(err, errlen, "expected --FLAG VALUE pairs, got \"%s\"", argv[i]);
            return EXIT_USAGE;
        }
        f->name[f->n] = argv[i] + 2;
        f->value[f->n++] = argv[++i];
    }
    return 0;
}

static const char *const global_flags[] = {"data", "database", "config", "account", "json", NULL};

static bool is_global(const char *name)
{
    for (const char *const *g = global_flags; *g; g++)
        if (!strcmp(*g, name))
            return true;
    return false;
}

/* Every flag must mean something to this command. */
static int check_flags(const struct command *c, const struct flags *f, char *err, size_t errlen)
{
    for (size_t i = 0; i < f->n; i++) {
        const char *n = f->name[i];
        if (!is_global(n) && !in_path(c->path, n) && !listed(c->fields, n) &&
            !listed(c->query, n)) {
            snprintf(err, errlen, "%s %s does not take --%s", c->resource, c->verb, n);
            return EXIT_USAGE;
        }
    }
    return 0;
}

static void put_encoded(struct hd_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            strchr("-._~@", ch))
            hd_buf_append(b, s, 1);
        else
            hd_buf_printf(b, "%%%02X", ch);
    }
}

/* The request target: path parameters from flags, then the query flags given. */
static int build_target(const struct command *c, const struct flags *f, struct hd_buf *out,
                        char *err, size_t errlen)
{
    for (const char *p = c->path; *p;) {
        if (*p != '{') {
            hd_buf_append(out, p++, 1);
            continue;
        }
        size_t len = strcspn(p + 1, "}");
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)len, p + 1);
        const char *v = flag(f, name);
        if (!v || !*v) {
            snprintf(err, errlen, "%s %s needs --%s", c->resource, c->verb, name);
            return EXIT_USAGE;
        }
        put_encoded(out, v);
        p += len + 2;
    }
    char sep = '?';
    for (size_t i = 0; i < f->n; i++)
        if (listed(c->query, f->name[i])) {
            hd_buf_printf(out, "%c%s=", sep, f->name[i]);
            put_encoded(out, f->value[i]);
            sep = '&';
        }
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!fp)
        return NULL;
    struct hd_buf b = {0};
    char chunk[65536];
    for (size_t n; (n = fread(chunk, 1, sizeof(chunk), fp)) > 0 && b.len <= BODY_MAX;)
        hd_buf_append(&b, chunk, n);
    if (fp != stdin)
        fclose(fp);
    hd_buf_append(&b, "", 1);
    *len = b.len - 1;
    return b.data;
}

/* The body: --json FILE as is, or the field flags as a JSON object; NULL for none. */
static char *build_body(const struct command *c, const struct flags *f, size_t *len, char *err,
                        size_t errlen)
{
    const char *file = flag(f, "json");
    if (file) {
        char *text = read_file(file, len);
        if (!text)
            snprintf(err, errlen, "cannot read %s", file);
        return text;
    }
    json_t *o = json_object();
    for (size_t i = 0; i < f->n; i++) {
        if (!listed(c->fields, f->name[i]))
            continue;
        char array_form[80];
        snprintf(array_form, sizeof(array_form), "%s[]", f->name[i]);
        if (!strstr(c->fields, array_form)) {
            json_object_set_new(o, f->name[i], json_string(f->value[i]));
            continue;
        }
        json_t *a = json_array();
        char *copy = strdup(f->value[i]), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(a, json_string(t));
        free(copy);
        json_object_set_new(o, f->name[i], a);
    }
    char *text = json_object_size(o) ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    *len = text ? strlen(text) : 0;
    return text;
}

static int open_store(const struct flags *f, struct hd_config *cfg, struct hd_store **s)
{
    char err[300];
    hd_config_defaults(cfg);
    if (hd_config_from_env(cfg, err, sizeof(err)) ||
        (flag(f, "config") && hd_config_from_file(cfg, flag(f, "config"), err, sizeof(err)))) {
        fprintf(stderr, "herald: %s\n", err);
        return EXIT_USAGE;
    }
    if (flag(f, "data"))
        snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s", flag(f, "data"));
    if (flag(f, "database"))
        snprintf(cfg->database, sizeof(cfg->database), "%s", flag(f, "database"));
    if (hd_store_open(hd_config_store_location(cfg), s, err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "herald: cannot open the store: %s\n", err);
    return EXIT_API;
}

static int pick_account(struct hd_store *s, const char *given, struct hd_arena *ar,
                        struct hd_account *out)
{
    int rc = given ? hd_store_account_get(s, given, ar, out) : hd_store_account_first(s, ar, out);
    if (rc)
        fprintf(stderr, "herald: %s\n",
                given ? "no such account"
                      : "no account yet: start the server once, or run herald accounts create");
    return rc ? EXIT_API : 0;
}

/* Answers the request with the route's handler, as the account's owner. */
static int dispatch(struct hd_app *app, const struct hd_account *acc, int method,
                    struct hd_slice target, struct hd_slice body, struct hd_arena *ar,
                    struct hd_res *res)
{
    const char *q = memchr(target.ptr, '?', target.len);
    struct hd_slice path = {target.ptr, q ? (size_t)(q - target.ptr) : target.len};
    struct hd_header ct = {HD_SLICE_LIT("Content-Type"), HD_SLICE_LIT("application/json")};
    struct hd_slice raw[HD_ROUTE_PARAMS_MAX];
    struct hd_req req = {
        .method = method,
        .method_name = hd_slice_of(llhttp_method_name((llhttp_method_t)method)),
        .target = target,
        .path = path,
        .query = {q ? q + 1 : "", q ? target.len - path.len - 1 : 0},
        .http_minor = 1,
        .headers = &ct,
        .nheaders = body.len ? 1 : 0,
        .body = body,
        .remote = "cli",
        .arena = ar,
        .app = app,
        .who = {.account_id = acc->id, .client_id = "cli", .scopes = HD_SCOPE_ALL},
    };
    int err = hd_router_match(&hd_api_router, method, path, &req.route, raw, &req.nparams, NULL, 0);
    for (size_t i = 0; !err && i < req.nparams; i++) {
        const char *v = hd_percent_decode(ar, raw[i], false);
        err = v ? 0 : HD_E_BAD_REQUEST;
        req.params[i] = hd_slice_of(v);
    }
    if (!err)
        err = req.route->handler(&req, res);
    if (err && !res->status)
        hd_res_error(res, err < 0 ? err : HD_E_INTERNAL, NULL, NULL);
    return 0;
}

static int print_answer(const struct hd_res *res)
{
    bool ok = res->status >= 200 && res->status < 300;
    FILE *out = ok ? stdout : stderr;
    json_t *j = res->body.len ? json_loadb(res->body.data, res->body.len, 0, NULL) : NULL;
    if (j) {
        char *text = json_dumps(j, JSON_INDENT(2));
        fprintf(out, "%s\n", text);
        free(text);
        json_decref(j);
    } else if (res->body.len) {
        fprintf(out, "%.*s\n", (int)res->body.len, res->body.data);
    }
    return ok ? 0 : EXIT_API;
}

static const struct command *find(const char *resource, const char *verb)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].resource, resource) && !strcmp(commands[i].verb, verb))
            return &commands[i];
    return NULL;
}

bool hd_cli_api_handles(const char *resource)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].resource, resource))
            return true;
    return false;
}

static int execute(const struct command *c, const struct flags *f, struct hd_slice target,
                   struct hd_slice body)
{
    struct hd_config cfg;
    struct hd_store *s;
    int rc = open_store(f, &cfg, &s);
    if (rc)
        return rc;
    struct hd_arena *ar = hd_arena_create();
    struct hd_account acc;
    struct hd_app_shared shared = {.cfg = &cfg};
    struct hd_app app = {.store = s, .shared = &shared};
    struct hd_res res = {0};
    hd_res_reset(&res);
    rc = pick_account(s, flag(f, "account"), ar, &acc);
    if (!rc && !(rc = hd_store_server_secret(s, shared.server_secret) ? EXIT_API : 0)) {
        dispatch(&app, &acc, c->method, target, body, ar, &res);
        rc = print_answer(&res);
    }
    hd_res_free(&res);
    hd_arena_destroy(ar);
    hd_store_close(s);
    return rc;
}

int hd_cli_api_run(int argc, char **argv)
{
    const char *resource = argv[0];
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(argc < 2 ? "expected a verb" : NULL, resource);
    const struct command *c = find(resource, argv[1]);
    struct flags f = {0};
    char err[300];
    if (!c) {
        snprintf(err, sizeof(err), "unknown command \"%s %s\"", resource, argv[1]);
        return usage(err, resource);
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return usage(NULL, resource);
    struct hd_buf target = {0};
    size_t body_len = 0;
    char *body = NULL;
    int rc = read_flags(argc - 2, argv + 2, &f, err, sizeof(err));
    if (!rc)
        rc = check_flags(c, &f, err, sizeof(err));
    if (!rc)
        rc = build_target(c, &f, &target, err, sizeof(err));
    if (!rc && !(body = build_body(c, &f, &body_len, err, sizeof(err))) && flag(&f, "json"))
        rc = EXIT_USAGE;
    if (rc) {
        hd_buf_free(&target);
        return usage(err, resource);
    }
    rc = execute(c, &f, (struct hd_slice){target.data, target.len},
                 (struct hd_slice){body ? body : "", body_len});
    free(body);
    hd_buf_free(&target);
    return rc;
}
