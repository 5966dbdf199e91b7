/* catalog_test.c: the loops' memory of keys, systems and templates (store/catalog.h), on each
 * backend. It answers as the store does; it answers from memory until the next sync; and after
 * a sync it never answers what a change made on another connection (another process or node)
 * has made untrue: a revoked key, a rotated secret, a deleted system, a second system, an
 * edited or archived template. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "core/ids.h"
#include "store/catalog.h"
#include "../../support/store_seed.h"

static struct hd_catalog *cat;
static struct hd_store *other_conn; /* changes come from here, as from another process */

static void setup(void)
{
    store_fixture_open("hd_catalog_test");
    seed();
    cat = hd_catalog_create();
    char err[256] = "";
    cr_assert_eq(hd_store_open(location, &other_conn, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
    hd_catalog_destroy(cat);
    hd_store_close(other_conn);
    store_fixture_close();
}

TestSuite(catalog, .init = setup, .fini = teardown);

static void insert_key(const char *client_id)
{
    struct hd_api_key k = {.name = "ci", .scopes = 5, .created_at = NOW};
    snprintf(k.client_id, sizeof(k.client_id), "%s", client_id);
    strcpy(k.account_id, mine.id);
    memset(k.secret_hash, 0xab, sizeof(k.secret_hash));
    cr_assert_eq(hd_store_key_insert(other_conn, &k), 0);
}

static void sync_now(void)
{
    cr_assert_eq(hd_catalog_sync(cat, store), 0);
}

Test(catalog, a_revoked_key_or_a_rotated_secret_shows_at_the_next_sync)
{
    insert_key("hk_1");
    struct hd_key_state st;
    sync_now();
    cr_assert_eq(hd_catalog_key_state(cat, store, "hk_1", ar, &st), 0);
    cr_assert_str_eq(st.key.client_id, "hk_1");
    cr_assert_str_eq(st.key.name, "ci");
    cr_assert_str_eq(st.key.account_id, mine.id);
    cr_assert_eq(st.key.revoked_at, 0);

    cr_assert_eq(hd_store_key_revoke(other_conn, mine.id, "hk_1", NOW + 5), 0);
    cr_assert_eq(hd_catalog_key_state(cat, store, "hk_1", ar, &st), 0);
    cr_assert_eq(st.key.revoked_at, 0, "from memory until the next sync");
    sync_now();
    cr_assert_eq(hd_catalog_key_state(cat, store, "hk_1", ar, &st), 0);
    cr_assert_eq(st.key.revoked_at, NOW + 5);

    insert_key("hk_2");
    sync_now();
    cr_assert_eq(hd_catalog_key_state(cat, store, "hk_2", ar, &st), 0);
    unsigned char hash[HD_SECRET_HASH_LEN];
    memset(hash, 0xcd, sizeof(hash));
    cr_assert_eq(hd_store_key_rotate(other_conn, mine.id, "hk_2", hash, NOW + 9), 0);
    sync_now();
    cr_assert_eq(hd_catalog_key_state(cat, store, "hk_2", ar, &st), 0);
    cr_assert_eq(st.secret_rotated_at, NOW + 9);
    cr_assert_eq(memcmp(st.key.secret_hash, hash, sizeof(hash)), 0);
    cr_assert_eq(hd_catalog_key_state(cat, store, "hk_nope", ar, &st), HD_E_NOT_FOUND);
}

Test(catalog, systems_follow_deletes_and_the_count_of_the_accounts_systems)
{
    struct hd_system got;
    size_t n = 9;
    sync_now();
    cr_assert_eq(hd_catalog_only_system(cat, store, mine.id, ar, &got, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(got.id, sys.id);
    cr_assert_str_eq(got.name, "ServiceNow");
    cr_assert_eq(hd_catalog_only_system(cat, store, other.id, ar, &got, &n), 0);
    cr_assert_eq(n, 0);

    struct hd_system second = {.name = "Okta", .created_at = NOW + 1};
    hd_id_hex(second.id, 16);
    strcpy(second.account_id, mine.id);
    cr_assert_eq(hd_store_system_insert(other_conn, &second), 0);
    sync_now();
    cr_assert_eq(hd_catalog_only_system(cat, store, mine.id, ar, &got, &n), 0);
    cr_assert_eq(n, 2, "a second system: systemId becomes required");

    cr_assert_eq(hd_catalog_system(cat, store, mine.id, second.id, ar, &got), 0);
    cr_assert_str_eq(got.name, "Okta");
    cr_assert_eq(hd_catalog_system(cat, store, other.id, second.id, ar, &got), HD_E_NOT_FOUND,
                 "another account's system is not found, from memory or not");
    int64_t live;
    const char **cancelled;
    cr_assert_eq(hd_store_system_delete(other_conn, mine.id, second.id, false, NOW + 2, ar, &live,
                                        &cancelled),
                 0);
    sync_now();
    cr_assert_eq(hd_catalog_system(cat, store, mine.id, second.id, ar, &got), HD_E_NOT_FOUND);
    cr_assert_eq(hd_catalog_only_system(cat, store, mine.id, ar, &got, &n), 0);
    cr_assert_eq(n, 1);
}

Test(catalog, templates_follow_edits_and_archiving)
{
    struct hd_template got;
    sync_now();
    cr_assert_eq(hd_catalog_template(cat, store, sys.id, tpl.id, ar, &got), 0);
    cr_assert_str_eq(got.title, "New lead");
    cr_assert_str_eq(got.placeholders_json, "[\"OPP\",\"ID\"]");
    cr_assert_str_eq(got.button_url, "https://crm.example.com/###ID###");

    struct hd_template edited = tpl;
    edited.title = "Lead won";
    cr_assert_eq(hd_store_template_update(other_conn, &edited, NOW + 1), 0);
    cr_assert_eq(hd_catalog_template(cat, store, sys.id, tpl.id, ar, &got), 0);
    cr_assert_str_eq(got.title, "New lead", "from memory until the next sync");
    sync_now();
    cr_assert_eq(hd_catalog_template(cat, store, sys.id, tpl.id, ar, &got), 0);
    cr_assert_str_eq(got.title, "Lead won");

    cr_assert_eq(hd_store_template_archive(other_conn, sys.id, tpl.id, NOW + 2), 0);
    sync_now();
    cr_assert_eq(hd_catalog_template(cat, store, sys.id, tpl.id, ar, &got), HD_E_NOT_FOUND);
}

Test(catalog, many_templates_share_the_slots_and_each_answer_is_its_own)
{
    enum { MANY = 700 }; /* past the slots and past the fills that empty the memory */
    static struct hd_template many[MANY];
    static char titles[MANY][16];
    for (int i = 0; i < MANY; i++) {
        many[i] = tpl;
        hd_id_uuid4(many[i].id);
        snprintf(titles[i], sizeof(titles[i]), "title %d", i);
        many[i].title = titles[i];
        cr_assert_eq(hd_store_template_insert(other_conn, &many[i]), 0);
    }
    sync_now();
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < MANY; i++) {
            struct hd_template got;
            cr_assert_eq(hd_catalog_template(cat, store, sys.id, many[i].id, ar, &got), 0);
            cr_assert_str_eq(got.id, many[i].id);
            cr_assert_str_eq(got.title, titles[i]);
        }
    }
}

Test(catalog, a_value_outlives_the_catalog_memory_it_came_from)
{
    struct hd_template first;
    sync_now();
    cr_assert_eq(hd_catalog_template(cat, store, sys.id, tpl.id, ar, &first), 0);
    struct hd_template edited = tpl;
    edited.title = "Lead won";
    cr_assert_eq(hd_store_template_update(other_conn, &edited, NOW + 1), 0);
    sync_now(); /* the memory is emptied: first's strings are the caller's copies */
    struct hd_template second;
    cr_assert_eq(hd_catalog_template(cat, store, sys.id, tpl.id, ar, &second), 0);
    cr_assert_str_eq(first.title, "New lead");
    cr_assert_str_eq(second.title, "Lead won");
}
