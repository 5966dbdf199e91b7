/* rules.h: audience rules (store.h, HD_RULES_*) checked and compiled to a SQL condition on the
 * end_users row u, for SQLite or PostgreSQL; never included outside src/store/.
 *
 * The condition's text is made of fixed fragments alone: "(", " AND ", " OR ", ")", a column of u
 * (u.id, u.name, u.email) or the dialect's attribute expression around a parameter, and the
 * dialect's comparison before a parameter. Attribute names and values are bound parameters, as
 * text: nothing from the rules is ever written into the SQL. Each backend describes its dialect
 * in a struct hd_rules_dialect; the parsing, the checks and the tree walk are written once. */
#ifndef HD_STORE_RULES_H
#define HD_STORE_RULES_H

#include <stdbool.h>

#include "store/store.h"

/* The most parameters a compiled condition takes: an attribute name and a value each. */
#define HD_RULES_PARAMS_MAX (2 * HD_RULES_MAX_CONDITIONS)
/* Room for the longest condition of either dialect (20 conditions of under 100 bytes, groups). */
#define HD_RULES_SQL_MAX 4096

struct hd_rules_dialect {
    char mark; /* before a parameter's number: '?' (?7) or '$' ($7) */
    /* An attribute of u.attributes: open, the parameter, close. The parameter holds the JSON
     * path $."name" (attr_path) or the bare name. */
    const char *attr_open, *attr_close;
    bool attr_path;
    /* Before a value's parameter: "is", "is not" (both NULL-safe: a missing attribute is never
     * `is` and always `is not`), "like" (ASCII case-insensitive); like_close after it. */
    const char *is, *is_not, *like, *like_close;
    /* A like pattern ending in a lone escape is an error here: bind NULL instead, which matches
     * nobody, as SQLite's LIKE matches nobody with it (no rule negates, so NULL counts as no). */
    bool like_dangling_escape_null;
};

struct hd_rules_sql {
    char text[HD_RULES_SQL_MAX]; /* the condition, NUL-terminated */
    int first;                   /* the number of the first parameter */
    int nparams;
    /* params[i] is parameter first + i (NULL binds NULL); borrowed from the rules, or paths */
    const char *params[HD_RULES_PARAMS_MAX];
    /* compilation state */
    const struct hd_rules_dialect *d;
    size_t len;
    int nconds;
    void *root; /* the parsed rules (a json_t), owned */
    char paths[HD_RULES_MAX_CONDITIONS][HD_RULE_ATTRIBUTE_MAX + 5];
};

/* Parses and compiles rules_json for dialect d, its parameters numbered from first: 0 and *out,
 * to release with hd_rules_free(); HD_E_VALIDATION (*out NULL) when they are not valid rules,
 * HD_E_STORAGE when memory runs out. */
int hd_rules_compile(const struct hd_rules_dialect *d, const char *rules_json, int first,
                     struct hd_rules_sql **out) HD_WUR;
void hd_rules_free(struct hd_rules_sql *r);

#endif
