/* admin_test.c: the store.h administration calls (systems and templates administration, API key
 * rotation) against SQLite in a fresh temporary directory per test, including tenancy: another
 * account's ids read as HD_E_NOT_FOUND. */
#include <criterion/criterion.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../support/store_seed.h"

static void setup(void)
{
    store_fixture_open("hd_admin_test");
    seed();
}

static void teardown(void)
{
    store_fixture_close();
}

TestSuite(admin, .init = setup, .fini = teardown);

static void add_system(const char *account_id, int64_t created, struct hd_system *out)
{
    *out = (struct hd_system){.name = "more", .created_at = created};
    hd_id_hex(out->id, 16);
    strcpy(out->account_id, account_id);
    cr_assert_eq(hd_store_system_insert(store, out), 0);
}

/* A notification of tpl, live [start, end). */
static struct hd_notification notify(int64_t start, int64_t end)
{
    struct hd_notification n = {.created_by = "key1",
                                .type = "push",
                                .title = "console name",
                                .runtime_title = "New lead",
                                .start_at = start,
                                .end_at = end,
                                .created_at = NOW};
    hd_id_uuid7(n.id, start);
    strcpy(n.account_id, mine.id);
    strcpy(n.system_id, sys.id);
    strcpy(n.template_id, tpl.id);
    const char *users[] = {"ann"};
    cr_assert_eq(hd_store_notification_insert(store, &n, users, 1, NULL, 0), 0);
    return n;
}

Test(admin, system_pages_follow_the_cursor)
{
    struct hd_system more[4], page[3];
    for (int i = 0; i < 4; i++)
        add_system(mine.id, NOW + 1 + i, &more[i]);
    struct hd_system theirs;
    add_system(other.id, NOW + 10, &theirs);
    size_t n;
    cr_assert_eq(hd_store_system_page(store, mine.id, NULL, 3, ar, page, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(page[0].id, sys.id);
    cr_assert_str_eq(page[2].id, more[1].id);
    cr_assert_eq(hd_store_system_page(store, mine.id, page[2].id, 3, ar, page, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(page[0].id, more[2].id);
    cr_assert_str_eq(page[1].id, more[3].id);
    /* another account's system as a cursor leads nowhere */
    cr_assert_eq(hd_store_system_page(store, mine.id, theirs.id, 3, ar, page, &n), 0);
    cr_assert_eq(n, 0);
}

Test(admin, system_delete_is_refused_with_live_notifications)
{
    notify(NOW - DAY, NOW + DAY);     /* active */
    notify(NOW + DAY, NOW + 2 * DAY); /* scheduled */
    notify(NOW - 2 * DAY, NOW - DAY); /* completed: does not count */
    int64_t live = -1;
    const char **ids;
    cr_assert_eq(hd_store_system_delete(store, mine.id, sys.id, false, NOW, ar, &live, &ids),
                 HD_E_CONFLICT);
    cr_assert_eq(live, 2);
    struct hd_system got;
    cr_assert_eq(hd_store_system_get(store, mine.id, sys.id, ar, &got), 0);
}

Test(admin, system_delete_with_cascade_cancels_them)
{
    struct hd_notification n = notify(NOW - DAY, NOW + DAY), got;
    int64_t live = -1;
    const char **ids;
    cr_assert_eq(hd_store_system_delete(store, mine.id, sys.id, true, NOW, ar, &live, &ids), 0);
    cr_assert_eq(live, 1);
    cr_assert_str_eq(ids[0], n.id);
    cr_assert_eq(hd_store_notification_get(store, mine.id, n.id, ar, &got), 0);
    cr_assert_eq(got.cancelled_at, NOW);
    struct hd_system s;
    cr_assert_eq(hd_store_system_get(store, mine.id, sys.id, ar, &s), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_system_get_any(store, sys.id, ar, &s), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_system_delete(store, mine.id, sys.id, true, NOW, ar, &live, &ids),
                 HD_E_NOT_FOUND);
}

Test(admin, system_delete_of_another_account_is_not_found)
{
    int64_t live;
    const char **ids;
    cr_assert_eq(hd_store_system_delete(store, other.id, sys.id, true, NOW, ar, &live, &ids),
                 HD_E_NOT_FOUND);
    struct hd_system s;
    cr_assert_eq(hd_store_system_get(store, mine.id, sys.id, ar, &s), 0);
}

static void add_template(int64_t created, struct hd_template *out)
{
    *out = tpl;
    hd_id_uuid4(out->id);
    out->created_at = created;
    cr_assert_eq(hd_store_template_insert(store, out), 0);
}

Test(admin, template_list_newest_first_with_cursor_and_archived)
{
    struct hd_template t1, t2;
    add_template(NOW + 1, &t1);
    add_template(NOW + 2, &t2);
    cr_assert_eq(hd_store_template_archive(store, sys.id, t1.id, NOW + 5), 0);
    struct hd_template_admin out[4];
    size_t n;
    struct hd_template_query q = {.system_id = sys.id, .limit = 4};
    cr_assert_eq(hd_store_template_list(store, &q, ar, out, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(out[0].t.id, t2.id);
    cr_assert_str_eq(out[1].t.id, tpl.id);
    q.archived = true;
    q.limit = 2;
    cr_assert_eq(hd_store_template_list(store, &q, ar, out, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(out[1].t.id, t1.id);
    cr_assert_eq(out[1].archived_at, NOW + 5);
    q.before = t1.id;
    cr_assert_eq(hd_store_template_list(store, &q, ar, out, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(out[0].t.id, tpl.id);
}

Test(admin, template_update_until_locked)
{
    struct hd_template t = tpl;
    t.title = "Changed ###OPP###";
    t.button_text = t.button_url = NULL;
    t.placeholders_json = "[\"OPP\"]";
    t.created_at = 0;
    cr_assert_eq(hd_store_template_update(store, &t, NOW + 1), 0);
    struct hd_template_admin a;
    cr_assert_eq(hd_store_template_get_admin(store, sys.id, tpl.id, ar, &a), 0);
    cr_assert_str_eq(a.t.title, "Changed ###OPP###");
    cr_assert_null(a.t.button_url);
    cr_assert_eq(a.t.created_at, NOW, "created_at is kept");
    cr_assert_eq(a.updated_at, NOW + 1);
    cr_assert_eq(a.locked_at, 0);
    notify(NOW - DAY, NOW + DAY);
    int64_t uses = 0;
    cr_assert_eq(hd_store_template_uses(store, sys.id, tpl.id, &uses), 0);
    cr_assert_eq(uses, 1);
    cr_assert_eq(hd_store_template_get_admin(store, sys.id, tpl.id, ar, &a), 0);
    cr_assert_neq(a.locked_at, 0);
    cr_assert_eq(hd_store_template_update(store, &t, NOW + 2), HD_E_CONFLICT);
}

Test(admin, archived_templates_are_hidden_from_triggers)
{
    cr_assert_eq(hd_store_template_archive(store, sys.id, tpl.id, NOW), 0);
    cr_assert_eq(hd_store_template_archive(store, sys.id, tpl.id, NOW), HD_E_NOT_FOUND);
    struct hd_template t;
    cr_assert_eq(hd_store_template_get(store, sys.id, tpl.id, ar, &t), HD_E_NOT_FOUND);
    struct hd_template_admin a;
    cr_assert_eq(hd_store_template_get_admin(store, sys.id, tpl.id, ar, &a), 0);
    cr_assert_eq(a.archived_at, NOW);
    cr_assert_eq(hd_store_template_update(store, &tpl, NOW), HD_E_NOT_FOUND);
}

Test(admin, templates_of_another_system_are_not_found)
{
    struct hd_system theirs;
    add_system(other.id, NOW, &theirs);
    struct hd_template t = tpl;
    strcpy(t.system_id, theirs.id);
    struct hd_template_admin a;
    cr_assert_eq(hd_store_template_get_admin(store, theirs.id, tpl.id, ar, &a), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_template_update(store, &t, NOW), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_template_archive(store, theirs.id, tpl.id, NOW), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_template_get_admin(store, sys.id, tpl.id, ar, &a), 0);
    cr_assert_eq(a.archived_at, 0);
}

static struct hd_api_key key(const char *account_id)
{
    struct hd_api_key k = {.name = "ci", .scopes = 1, .created_at = NOW};
    snprintf(k.client_id, sizeof(k.client_id), "cid_%s", account_id);
    strcpy(k.account_id, account_id);
    memset(k.secret_hash, 1, sizeof(k.secret_hash));
    cr_assert_eq(hd_store_key_insert(store, &k), 0);
    return k;
}

Test(admin, key_rotate_replaces_the_hash_and_records_when)
{
    struct hd_api_key k = key(mine.id);
    struct hd_key_state st;
    cr_assert_eq(hd_store_key_get_state(store, k.client_id, ar, &st), 0);
    cr_assert_eq(st.secret_rotated_at, 0);
    unsigned char hash[HD_SECRET_HASH_LEN];
    memset(hash, 2, sizeof(hash));
    cr_assert_eq(hd_store_key_rotate(store, mine.id, k.client_id, hash, NOW + 7), 0);
    cr_assert_eq(hd_store_key_get_state(store, k.client_id, ar, &st), 0);
    cr_assert_eq(st.secret_rotated_at, NOW + 7);
    cr_assert_eq(memcmp(st.key.secret_hash, hash, sizeof(hash)), 0);
    cr_assert_str_eq(st.key.name, "ci");
}

Test(admin, key_rotate_refuses_other_accounts_and_revoked_keys)
{
    struct hd_api_key k = key(mine.id);
    unsigned char hash[HD_SECRET_HASH_LEN] = {0};
    cr_assert_eq(hd_store_key_rotate(store, other.id, k.client_id, hash, NOW), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_key_revoke(store, mine.id, k.client_id, NOW), 0);
    cr_assert_eq(hd_store_key_rotate(store, mine.id, k.client_id, hash, NOW), HD_E_NOT_FOUND);
    struct hd_key_state st;
    cr_assert_eq(hd_store_key_get_state(store, k.client_id, ar, &st), 0);
    cr_assert_eq(st.secret_rotated_at, 0);
    cr_assert_eq(st.key.secret_hash[0], 1);
}
