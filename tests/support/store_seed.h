/* store_seed.h: the tenants most store tests start from: account `mine` with system `sys` and
 * template `tpl` (placeholders OPP and ID), and account `other`, empty; and notifications of
 * tpl. */
#ifndef HD_TESTS_STORE_SEED_H
#define HD_TESTS_STORE_SEED_H

#include <string.h>

#include "store_fixture.h"

static struct hd_account mine = {.name = "Acme", .created_at = NOW};
static struct hd_account other = {.name = "Other", .created_at = NOW + 1};
static struct hd_system sys = {.name = "ServiceNow", .created_at = NOW};
static struct hd_template tpl = {.name = "Lead",
                                 .title = "New lead",
                                 .description = "Opportunity ###OPP###",
                                 .button_text = "Open",
                                 .button_url = "https://crm.example.com/###ID###",
                                 .type = "push",
                                 .placeholders_json = "[\"OPP\",\"ID\"]",
                                 .created_at = NOW};

static inline void seed_ids(void)
{
    hd_id_uuid4(mine.id);
    hd_id_uuid4(other.id);
    hd_id_hex(sys.id, 16);
    strcpy(sys.account_id, mine.id);
    hd_random_bytes(sys.signing_secret, sizeof(sys.signing_secret));
    hd_id_uuid4(tpl.id);
    strcpy(tpl.system_id, sys.id);
}

/* Inserts the seed (ids made on first use). */
static inline void seed(void)
{
    if (!mine.id[0])
        seed_ids();
    cr_assert_eq(hd_store_account_insert(store, &mine), 0);
    cr_assert_eq(hd_store_account_insert(store, &other), 0);
    cr_assert_eq(hd_store_system_insert(store, &sys), 0);
    cr_assert_eq(hd_store_template_insert(store, &tpl), 0);
}

/* A notification of tpl created at `created` (its UUIDv7 sorts by it), live [start, end). */
static inline struct hd_notification seed_notification(int64_t created, int64_t start, int64_t end)
{
    struct hd_notification n = {.created_by = "key1",
                                .type = "push",
                                .title = "console name",
                                .runtime_title = "New lead",
                                .runtime_description = "Opportunity Acme",
                                .start_at = start,
                                .end_at = end,
                                .created_at = created};
    hd_id_uuid7(n.id, created);
    strcpy(n.account_id, mine.id);
    strcpy(n.system_id, sys.id);
    strcpy(n.template_id, tpl.id);
    return n;
}

#endif
