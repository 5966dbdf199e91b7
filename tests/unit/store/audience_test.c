/* audience_test.c: end users and audiences administration in store.h, on SQLite in a fresh
 * temporary directory per test: rule compilation (is, is not, like, all/any nesting, limits,
 * injection attempts in values and attribute names), the materialized membership of rule
 * audiences and when it is refreshed, explicit members, end-user list/search/erase/bulk, and
 * tenancy (nothing crosses systems). */
#include <criterion/criterion.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../support/store_fixture.h"

static struct hd_account account = {.name = "Acme", .created_at = NOW};
static struct hd_system sys = {.name = "HR", .created_at = NOW};
static struct hd_system sys2 = {.name = "CRM", .created_at = NOW};

static void setup(void)
{
    store_fixture_open("hd_audience_test");
    hd_id_uuid4(account.id);
    cr_assert_eq(hd_store_account_insert(store, &account), 0);
    struct hd_system *both[] = {&sys, &sys2};
    for (int i = 0; i < 2; i++) {
        hd_id_hex(both[i]->id, 16);
        strcpy(both[i]->account_id, account.id);
        hd_random_bytes(both[i]->signing_secret, HD_SECRET_LEN);
        cr_assert_eq(hd_store_system_insert(store, both[i]), 0);
    }
}

static void teardown(void)
{
    store_fixture_close();
}

TestSuite(audience, .init = setup, .fini = teardown);

static void user_in(const struct hd_system *s, const char *id, const char *name, const char *email,
                    const char *attrs)
{
    struct hd_end_user u = {.id = id,
                            .name = name,
                            .email = email,
                            .attributes_json = attrs,
                            .created_at = NOW,
                            .updated_at = NOW};
    strcpy(u.system_id, s->id);
    bool created;
    cr_assert_eq(hd_store_end_user_upsert(store, &u, &created), 0);
}

static void user(const char *id, const char *name, const char *email, const char *attrs)
{
    user_in(&sys, id, name, email, attrs);
}

/* The staff every rule test looks at. */
static void staff(void)
{
    user("ada", "Ada Lovelace", "ada@example.com", "{\"department\":\"Sales\",\"city\":\"Paris\"}");
    user("bob", "Bob Smith", "bob@corp.example", "{\"department\":\"sales\",\"level\":3}");
    user("eve", "Eve", NULL, "{\"department\":\"R&D\",\"city\":\"Berlin\"}");
    user("zed", NULL, NULL, "{}");
}

/* Inserts an audience with rules into s; returns the insert's result, fills a. */
static int rule_audience_in(const struct hd_system *s, const char *rules, struct hd_audience *a)
{
    *a = (struct hd_audience){.name = "rules", .rules_json = rules, .created_at = NOW};
    hd_id_uuid7(a->id, NOW);
    strcpy(a->system_id, s->id);
    return hd_store_audience_insert(store, a, NULL, 0);
}

/* The members of a rule audience created now, as "id,id,..." in id order ("" when none). */
static const char *members_of(const char *rules)
{
    struct hd_audience a, got;
    cr_assert_eq(rule_audience_in(&sys, rules, &a), 0, "rules: %s", rules);
    cr_assert_eq(hd_store_audience_get(store, sys.id, a.id, ar, &got), 0);
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM audience_members WHERE audience_id = '%s'",
             a.id);
    cr_assert_eq(got.size, raw(sql), "member_count follows the members");
    snprintf(sql, sizeof(sql),
             fixture_on_pg() ? "SELECT string_agg(end_user_id, ',' ORDER BY end_user_id) FROM"
                               " audience_members WHERE audience_id = '%s'"
                             : "SELECT group_concat(end_user_id) FROM (SELECT end_user_id FROM"
                               " audience_members WHERE audience_id = '%s' ORDER BY end_user_id)",
             a.id);
    return raw_text(sql);
}

#define COND(attr, op, value)                                                                      \
    "{\"attribute\":\"" attr "\",\"operator\":\"" op "\",\"value\":\"" value "\"}"

Test(audience, rules_is_is_not_like)
{
    staff();
    cr_assert_str_eq(members_of("{\"all\":[" COND("department", "is", "Sales") "]}"), "ada");
    cr_assert_str_eq(members_of("{\"all\":[" COND("department", "is not", "Sales") "]}"),
                     "bob,eve,zed", "a missing attribute is not Sales");
    cr_assert_str_eq(members_of("{\"all\":[" COND("department", "like", "sal%") "]}"), "ada,bob",
                     "like is case-insensitive");
    cr_assert_str_eq(members_of("{\"all\":[" COND("email", "like", "%@example.com") "]}"), "ada");
    cr_assert_str_eq(members_of("{\"all\":[" COND("name", "like", "_ve") "]}"), "eve");
    cr_assert_str_eq(members_of("{\"all\":[" COND("id", "is", "zed") "]}"), "zed");
    cr_assert_str_eq(members_of("{\"all\":[" COND("level", "is", "3") "]}"), "bob",
                     "numbers compare by their text");
    cr_assert_str_eq(members_of("{\"all\":[" COND("name", "is not", "Eve") "]}"), "ada,bob,zed");
}

Test(audience, rules_all_any_nesting)
{
    staff();
    cr_assert_str_eq(
        members_of("{\"any\":[" COND("city", "is", "Paris") "," COND("city", "is", "Berlin") "]}"),
        "ada,eve");
    cr_assert_str_eq(members_of("{\"all\":[" COND("department", "like", "sales") "," COND(
                         "city", "is not", "Paris") "]}"),
                     "bob");
    cr_assert_str_eq(members_of("{\"any\":[{\"all\":[" COND("department", "is", "R&D") "," COND(
                         "city", "is", "Berlin") "]}," COND("id", "is", "zed") "]}"),
                     "eve,zed");
    cr_assert_str_eq(members_of("{\"all\":[{\"any\":[{\"all\":[" COND("id", "like", "%") "]}]}]}"),
                     "ada,bob,eve,zed", "three levels deep");
}

Test(audience, rules_injection_is_inert)
{
    staff();
    user("o'brien", "Robert'); DROP TABLE end_users; --", NULL,
         "{\"x' OR '1'='1\":\"v\",\"department\":\"' OR 1=1 --\"}");
    /* values are bound: they match only themselves */
    cr_assert_str_eq(members_of("{\"all\":[" COND("department", "is", "Sales' OR '1'='1") "]}"),
                     "");
    cr_assert_str_eq(members_of("{\"any\":[" COND("department", "is", "x\\\") OR 1=1 --") "]}"),
                     "");
    struct hd_audience a;
    cr_assert_eq(
        rule_audience_in(&sys, "{\"all\":[" COND("department", "is", "' OR 1=1 --") "]}", &a), 0);
    cr_assert_eq(raw("SELECT count(*) FROM audience_members WHERE end_user_id = 'o''brien'"), 1,
                 "the hostile value matches the one user who has it");
    /* attribute names are bound as JSON paths: a hostile one is just a key */
    cr_assert_str_eq(members_of("{\"all\":[" COND("x' OR '1'='1", "is", "v") "]}"), "o'brien");
    cr_assert_eq(raw("SELECT count(*) FROM audience_members WHERE end_user_id = 'o''brien'"), 2);
    cr_assert_str_eq(members_of("{\"all\":[" COND("department) OR 1=1 --", "is", "Sales") "]}"),
                     "");
    /* a double quote would end the JSON path's label: refused */
    cr_assert_eq(
        rule_audience_in(&sys, "{\"all\":[" COND("dept\\\" OR 1=1 --", "is", "Sales") "]}", &a),
        HD_E_VALIDATION);
    cr_assert_eq(raw("SELECT count(*) FROM end_users"), 5, "nothing was dropped");
}

Test(audience, rules_refused)
{
    staff();
    const char *bad[] = {
        "[]",
        "{}",
        "{\"all\":[]}",
        COND("id", "is", "ada"), /* a bare condition at the root */
        "{\"all\":[" COND("id", "equals", "ada") "]}",
        "{\"all\":[" COND("id", "IS", "ada") "]}", /* the store takes canonical lower case */
        "{\"all\":[{\"attribute\":\"id\",\"operator\":\"is\",\"value\":3}]}",
        "{\"all\":[{\"attribute\":\"id\",\"operator\":\"is\"}]}",
        "{\"all\":[{\"attribute\":\"id\",\"operator\":\"is\",\"value\":\"a\",\"x\":1}]}",
        "{\"all\":[" COND("", "is", "a") "]}",
        "{\"all\":[" COND("id", "is", "a") "],\"any\":[" COND("id", "is", "b") "]}",
        "{\"all\":[{\"any\":[{\"all\":[{\"any\":[" COND("id", "is", "a") "]}]}]}]}", /* 4 deep */
        "not json",
    };
    struct hd_audience a;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(rule_audience_in(&sys, bad[i], &a), HD_E_VALIDATION, "%s", bad[i]);
    char many[4096];
    for (int conds = HD_RULES_MAX_CONDITIONS + 1; conds >= HD_RULES_MAX_CONDITIONS; conds--) {
        strcpy(many, "{\"any\":[");
        for (int i = 0; i < conds; i++)
            strcat(strcat(many, i ? "," : ""), COND("id", "is", "a"));
        strcat(many, "]}");
        if (conds > HD_RULES_MAX_CONDITIONS)
            cr_assert_eq(rule_audience_in(&sys, many, &a), HD_E_VALIDATION, "21 conditions");
    }
    cr_assert_eq(rule_audience_in(&sys, many, &a), 0, "20 conditions");
    cr_assert_eq(raw("SELECT count(*) FROM audiences"), 1, "nothing stored for refused rules");
}

Test(audience, refresh_follows_attributes)
{
    staff();
    struct hd_audience a, got;
    cr_assert_eq(rule_audience_in(&sys, "{\"all\":[" COND("department", "is", "Sales") "]}", &a),
                 0);
    cr_assert_eq(hd_store_audience_get(store, sys.id, a.id, ar, &got), 0);
    cr_assert_eq(got.size, 1);
    cr_assert_eq(got.evaluated_at, NOW);
    user("bob", "Bob", NULL, "{\"department\":\"Sales\"}");
    user("ada", "Ada", NULL, "{\"department\":\"Marketing\"}");
    cr_assert_eq(hd_store_audience_get(store, sys.id, a.id, ar, &got), 0);
    cr_assert_eq(got.size, 1, "an upsert alone does not re-evaluate");
    cr_assert_eq(hd_store_audience_refresh(store, sys.id, a.id, NOW + 5), 0);
    cr_assert_eq(hd_store_audience_get(store, sys.id, a.id, ar, &got), 0);
    cr_assert_eq(got.size, 1);
    cr_assert_eq(got.evaluated_at, NOW + 5);
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM audience_members WHERE audience_id = '%s' AND end_user_id = "
             "'bob'",
             a.id);
    cr_assert_eq(raw(sql), 1, "bob joined, ada left");

    /* one user's refresh: only their membership moves */
    user("eve", "Eve", NULL, "{\"department\":\"Sales\"}");
    user("bob", "Bob", NULL, "{}");
    cr_assert_eq(hd_store_end_user_refresh_rules(store, sys.id, "eve", NOW + 6), 0);
    cr_assert_eq(hd_store_audience_get(store, sys.id, a.id, ar, &got), 0);
    cr_assert_eq(got.size, 2, "eve joined; bob stays until his own refresh");
    cr_assert_eq(hd_store_end_user_refresh_rules(store, sys.id, "bob", NOW + 7), 0);
    cr_assert_eq(hd_store_end_user_refresh_rules(store, sys.id, "nobody", NOW + 7), 0);
    cr_assert_eq(hd_store_audience_get(store, sys.id, a.id, ar, &got), 0);
    cr_assert_eq(got.size, 1);
    cr_assert_eq(got.evaluated_at, NOW + 5, "a user's refresh is not a full evaluation");

    /* a deleted audience is frozen */
    cr_assert_eq(hd_store_audience_delete(store, sys.id, a.id, NOW + 8), 0);
    user("zed", NULL, NULL, "{\"department\":\"Sales\"}");
    cr_assert_eq(hd_store_end_user_refresh_rules(store, sys.id, "zed", NOW + 9), 0);
    cr_assert_eq(hd_store_audience_refresh(store, sys.id, a.id, NOW + 9), 0);
    snprintf(sql, sizeof(sql), "SELECT member_count FROM audiences WHERE id = '%s'", a.id);
    cr_assert_eq(raw(sql), 1);
}

Test(audience, refresh_of_explicit_audience_changes_nothing)
{
    staff();
    struct hd_audience a = {.name = "list", .created_at = NOW};
    hd_id_uuid7(a.id, NOW);
    strcpy(a.system_id, sys.id);
    const char *members[] = {"ada", "nobody-yet"};
    cr_assert_eq(hd_store_audience_insert(store, &a, members, 2), 0);
    const char *ids[] = {a.id, "00000000-0000-4000-8000-000000000000"};
    cr_assert_eq(hd_store_audiences_refresh(store, sys.id, ids, 2, NOW + 1), 0);
    cr_assert_eq(hd_store_end_user_refresh_rules(store, sys.id, "ada", NOW + 1), 0);
    struct hd_audience got;
    cr_assert_eq(hd_store_audience_get(store, sys.id, a.id, ar, &got), 0);
    cr_assert_eq(got.size, 2);
    cr_assert_null(got.rules_json);
    cr_assert_eq(got.evaluated_at, 0);
}

Test(audience, tenancy)
{
    staff();
    user_in(&sys2, "ada", "Ada elsewhere", NULL, "{\"department\":\"Sales\"}");
    user_in(&sys2, "sam", "Sam", NULL, "{\"department\":\"Sales\"}");
    struct hd_audience a, got;
    cr_assert_eq(rule_audience_in(&sys, "{\"all\":[" COND("department", "is", "Sales") "]}", &a),
                 0);
    cr_assert_eq(hd_store_audience_get(store, sys.id, a.id, ar, &got), 0);
    cr_assert_eq(got.size, 1, "only the system's own end users");
    cr_assert_eq(hd_store_audience_get(store, sys2.id, a.id, ar, &got), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_audience_delete(store, sys2.id, a.id, NOW), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_end_user_refresh_rules(store, sys2.id, "sam", NOW), 0);
    cr_assert_eq(hd_store_audience_refresh(store, sys2.id, a.id, NOW), 0, "not its audience");
    cr_assert_eq(raw("SELECT count(*) FROM audience_members WHERE end_user_id = 'sam'"), 0);
    int64_t count;
    struct hd_end_user sample[10];
    size_t n;
    cr_assert_eq(hd_store_audience_preview(store, sys2.id,
                                           "{\"all\":[" COND("department", "is", "Sales") "]}", ar,
                                           &count, sample, 10, &n),
                 0);
    cr_assert_eq(count, 2);
    cr_assert_str_eq(sample[0].name, "Ada elsewhere");
    cr_assert_eq(hd_store_end_user_delete(store, sys2.id, "eve"), HD_E_NOT_FOUND);
    size_t added;
    int64_t size;
    const char *m[] = {"x"};
    cr_assert_eq(hd_store_audience_add_members(store, sys2.id, a.id, m, 1, NOW, &added, &size),
                 HD_E_NOT_FOUND);
}

Test(audience, preview_count_and_sample)
{
    staff();
    char id[16];
    for (int i = 0; i < 15; i++) {
        snprintf(id, sizeof(id), "s%02d", i);
        user(id, NULL, NULL, "{\"department\":\"Sales\"}");
    }
    int64_t count;
    struct hd_end_user sample[10];
    size_t n;
    cr_assert_eq(hd_store_audience_preview(store, sys.id,
                                           "{\"all\":[" COND("department", "like", "sales") "]}",
                                           ar, &count, sample, 10, &n),
                 0);
    cr_assert_eq(count, 17);
    cr_assert_eq(n, 10);
    cr_assert_str_eq(sample[0].id, "ada");
    cr_assert_str_eq(sample[1].id, "bob");
    cr_assert_str_eq(sample[9].id, "s07");
    cr_assert_eq(
        hd_store_audience_preview(store, sys.id, "{\"all\":[]}", ar, &count, sample, 10, &n),
        HD_E_VALIDATION);
    cr_assert_eq(raw("SELECT count(*) FROM audiences"), 0, "a preview stores nothing");
}

Test(audience, explicit_members)
{
    struct hd_audience a = {.name = "list", .created_at = NOW}, r, got;
    hd_id_uuid7(a.id, NOW);
    strcpy(a.system_id, sys.id);
    cr_assert_eq(hd_store_audience_insert(store, &a, NULL, 0), 0);
    const char *m[] = {"ada", "bob", "ada", "eve"};
    size_t added;
    int64_t size;
    cr_assert_eq(hd_store_audience_add_members(store, sys.id, a.id, m, 4, NOW + 1, &added, &size),
                 0);
    cr_assert_eq(added, 3);
    cr_assert_eq(size, 3);
    cr_assert_eq(hd_store_audience_add_members(store, sys.id, a.id, m, 2, NOW + 2, &added, &size),
                 0);
    cr_assert_eq(added, 0);
    cr_assert_eq(size, 3);
    cr_assert_eq(hd_store_audience_remove_member(store, sys.id, a.id, "bob", NOW + 3), 0);
    cr_assert_eq(hd_store_audience_remove_member(store, sys.id, a.id, "bob", NOW + 3),
                 HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_audience_get(store, sys.id, a.id, ar, &got), 0);
    cr_assert_eq(got.size, 2);
    cr_assert_eq(got.updated_at, NOW + 3);

    cr_assert_eq(rule_audience_in(&sys, "{\"all\":[" COND("id", "is", "ada") "]}", &r), 0);
    cr_assert_eq(hd_store_audience_add_members(store, sys.id, r.id, m, 1, NOW, &added, &size),
                 HD_E_CONFLICT);
    cr_assert_eq(hd_store_audience_remove_member(store, sys.id, r.id, "ada", NOW), HD_E_CONFLICT);
    r.rules_json = "{\"all\":[" COND("id", "is", "ada") "]}";
    hd_id_uuid7(r.id, NOW);
    cr_assert_eq(hd_store_audience_insert(store, &r, m, 1), HD_E_CONFLICT);

    /* list in id order (UUIDv7: creation order), then delete */
    struct hd_audience list[4];
    size_t n;
    cr_assert_eq(hd_store_audience_list(store, sys.id, NULL, ar, list, 4, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(hd_store_audience_list(store, sys.id, list[0].id, ar, list, 4, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(hd_store_audience_delete(store, sys.id, a.id, NOW + 4), 0);
    cr_assert_eq(hd_store_audience_delete(store, sys.id, a.id, NOW + 4), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_audience_get(store, sys.id, a.id, ar, &got), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_audience_add_members(store, sys.id, a.id, m, 1, NOW, &added, &size),
                 HD_E_NOT_FOUND);
    cr_assert_eq(raw("SELECT count(*) FROM audience_members"), 2, "members stay for history");
}

Test(audience, end_users_list_search_erase)
{
    staff();
    struct hd_end_user out[3];
    size_t n;
    cr_assert_eq(hd_store_end_user_list(store, sys.id, NULL, NULL, ar, out, 3, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(out[2].id, "eve");
    cr_assert_eq(hd_store_end_user_list(store, sys.id, NULL, out[2].id, ar, out, 3, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(out[0].id, "zed");
    cr_assert_eq(hd_store_end_user_list(store, sys.id, "EXAMPLE", NULL, ar, out, 3, &n), 0);
    cr_assert_eq(n, 2, "ada@example.com and bob@corp.example");
    cr_assert_eq(hd_store_end_user_list(store, sys.id, "smith", NULL, ar, out, 3, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(out[0].id, "bob");
    cr_assert_eq(hd_store_end_user_list(store, sys.id, "%", NULL, ar, out, 3, &n), 0);
    cr_assert_eq(n, 0, "search is a plain substring, not a pattern");
    cr_assert_eq(hd_store_end_user_list(store, sys2.id, NULL, NULL, ar, out, 3, &n), 0);
    cr_assert_eq(n, 0);

    struct hd_audience a = {.name = "list", .created_at = NOW};
    hd_id_uuid7(a.id, NOW);
    strcpy(a.system_id, sys.id);
    const char *m[] = {"ada", "bob"};
    cr_assert_eq(hd_store_audience_insert(store, &a, m, 2), 0);
    struct hd_template tpl = {
        .name = "t", .title = "Hi", .type = "push", .placeholders_json = "[]", .created_at = NOW};
    hd_id_uuid4(tpl.id);
    strcpy(tpl.system_id, sys.id);
    cr_assert_eq(hd_store_template_insert(store, &tpl), 0);
    struct hd_notification note = {.created_by = "k",
                                   .type = "push",
                                   .runtime_title = "Hi",
                                   .start_at = NOW,
                                   .end_at = NOW + DAY,
                                   .created_at = NOW};
    hd_id_uuid7(note.id, NOW);
    strcpy(note.account_id, account.id);
    strcpy(note.system_id, sys.id);
    strcpy(note.template_id, tpl.id);
    cr_assert_eq(hd_store_notification_insert(store, &note, m, 1, NULL, 0), 0);
    cr_assert_eq(hd_store_delivery_mark(store, sys.id, "ada", note.id, HD_DELIVERY_SEEN, NOW), 0);
    cr_assert_eq(hd_store_end_user_delete(store, sys.id, "ada"), 0);
    cr_assert_eq(hd_store_end_user_get(store, sys.id, "ada", ar, out), HD_E_NOT_FOUND);
    cr_assert_eq(raw("SELECT count(*) FROM delivery_state"), 0);
    cr_assert_eq(raw("SELECT count(*) FROM audience_members"), 1);
    cr_assert_eq(raw("SELECT member_count FROM audiences"), 1);
    cr_assert_eq(hd_store_end_user_delete(store, sys.id, "ada"), HD_E_NOT_FOUND);
}

Test(audience, bulk_upsert)
{
    struct hd_audience a;
    cr_assert_eq(rule_audience_in(&sys, "{\"all\":[" COND("team", "is", "blue") "]}", &a), 0);
    user("u0", "old", NULL, "{}");
    enum { N = 2000 };
    struct hd_end_user *u = calloc(N, sizeof(*u));
    for (int i = 0; i < N; i++) {
        u[i] = (struct hd_end_user){.id = hd_arena_printf(ar, "u%d", i),
                                    .attributes_json = i % 2 ? "{\"team\":\"blue\"}" : "{}",
                                    .created_at = NOW,
                                    .updated_at = NOW};
        strcpy(u[i].system_id, sys.id);
    }
    size_t created, updated;
    cr_assert_eq(hd_store_end_users_upsert_many(store, u, N, &created, &updated), 0);
    cr_assert_eq(created, N - 1);
    cr_assert_eq(updated, 1);
    struct hd_audience got;
    cr_assert_eq(hd_store_audience_get(store, sys.id, a.id, ar, &got), 0);
    cr_assert_eq(got.size, N / 2, "imported users' rule memberships are evaluated");
    strcpy(u[0].system_id, "0000000000000000000000000000dead");
    cr_assert_eq(hd_store_end_users_upsert_many(store, u, 1, &created, &updated), HD_E_NOT_FOUND);
    free(u);
}
