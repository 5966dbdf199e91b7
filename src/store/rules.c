/* rules.c: audience rules (store.h, HD_RULES_*): parsed, checked and compiled to a SQL condition
 * whose only inputs are bound parameters (rules.h), in the dialect a backend describes. */
#include "store/rules.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends to the text; false when it would not fit. */
static bool put(struct hd_rules_sql *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool put(struct hd_rules_sql *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(r->text) - r->len)
        return false;
    r->len += (size_t)n;
    return true;
}

/* Appends the next parameter's placeholder, the parameter holding v. */
static bool put_param(struct hd_rules_sql *r, const char *v)
{
    r->params[r->nparams] = v;
    int n = r->first + r->nparams++;
    return put(r, "%c%d", r->d->mark, n);
}

static bool attribute_ok(const char *a, size_t len)
{
    if (len < 1 || len > HD_RULE_ATTRIBUTE_MAX || strlen(a) != len)
        return false;
    for (; *a; a++)
        if ((unsigned char)*a < 0x20 || *a == '"' || *a == 0x7f)
            return false;
    return true;
}

/* The SQL operand for attribute a: a column, or its text in the attributes object. */
static bool put_operand(struct hd_rules_sql *r, json_t *attr)
{
    const char *a = json_string_value(attr);
    if (!a || !attribute_ok(a, json_string_length(attr)))
        return false;
    if (!strcmp(a, "id") || !strcmp(a, "name") || !strcmp(a, "email"))
        return put(r, "u.%s", !strcmp(a, "id") ? "id" : !strcmp(a, "name") ? "name" : "email");
    const char *param = a;
    if (r->d->attr_path) {
        char *path = r->paths[r->nconds - 1];
        snprintf(path, sizeof(r->paths[0]), "$.\"%s\"", a);
        param = path;
    }
    return put(r, "%s", r->d->attr_open) && put_param(r, param) && put(r, "%s", r->d->attr_close);
}

/* True when pattern p ends in an escape that escapes nothing. */
static bool dangling_escape(const char *p)
{
    size_t n = strlen(p), run = 0;
    while (run < n && p[n - 1 - run] == '\\')
        run++;
    return run % 2 == 1;
}

static bool compile_cond(struct hd_rules_sql *r, json_t *c)
{
    json_t *op = json_object_get(c, "operator"), *v = json_object_get(c, "value");
    const char *o = json_string_value(op);
    if (json_object_size(c) != 3 || !o || !json_is_string(v) ||
        json_string_length(v) > HD_RULE_VALUE_MAX || r->nconds >= HD_RULES_MAX_CONDITIONS)
        return false;
    r->nconds++;
    const struct hd_rules_dialect *d = r->d;
    bool like = !strcmp(o, "like");
    const char *sql = !strcmp(o, "is")       ? d->is
                      : !strcmp(o, "is not") ? d->is_not
                      : like                 ? d->like
                                             : NULL;
    if (!sql || !put_operand(r, json_object_get(c, "attribute")))
        return false;
    const char *value = json_string_value(v);
    if (like && d->like_dangling_escape_null && dangling_escape(value))
        value = NULL;
    return put(r, "%s", sql) && put_param(r, value) && put(r, "%s", like ? d->like_close : "");
}

static bool compile_node(struct hd_rules_sql *r, json_t *node, int depth, bool group_only)
{
    json_t *all = json_object_get(node, "all"), *any = json_object_get(node, "any");
    if (!json_is_object(node))
        return false;
    if (!all && !any)
        return !group_only && compile_cond(r, node);
    json_t *list = all ? all : any;
    size_t i;
    json_t *item;
    if (json_object_size(node) != 1 || depth > HD_RULES_MAX_DEPTH || !json_is_array(list) ||
        !json_array_size(list) || !put(r, "("))
        return false;
    json_array_foreach(list, i, item)
    {
        if ((i && !put(r, all ? " AND " : " OR ")) || !compile_node(r, item, depth + 1, false))
            return false;
    }
    return put(r, ")");
}

int hd_rules_compile(const struct hd_rules_dialect *d, const char *rules_json, int first,
                     struct hd_rules_sql **out)
{
    *out = NULL;
    struct hd_rules_sql *r = malloc(sizeof(*r));
    if (!r)
        return HD_E_STORAGE;
    json_t *root = rules_json ? json_loads(rules_json, JSON_REJECT_DUPLICATES, NULL) : NULL;
    r->text[0] = '\0';
    r->first = first;
    r->nparams = r->nconds = 0;
    r->d = d;
    r->len = 0;
    r->root = root;
    if (!root || !compile_node(r, root, 1, true)) {
        hd_rules_free(r);
        return HD_E_VALIDATION;
    }
    *out = r;
    return 0;
}

void hd_rules_free(struct hd_rules_sql *r)
{
    if (!r)
        return;
    json_decref(r->root);
    free(r);
}

/* Checking needs no backend: a neutral dialect (the text is thrown away). */
static const struct hd_rules_dialect CHECK = {.mark = '?',
                                              .attr_open = "",
                                              .attr_close = "",
                                              .is = "",
                                              .is_not = "",
                                              .like = "",
                                              .like_close = ""};

int hd_store_rules_check(const char *rules_json)
{
    struct hd_rules_sql *r;
    int err = hd_rules_compile(&CHECK, rules_json, 1, &r);
    hd_rules_free(r);
    return err;
}
