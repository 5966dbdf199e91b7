/* pg_job_test.c: PostgreSQL only (run as unit.pg.pg_job_test): inside a group-commit job the
 * store's calls share the job's savepoint, so a call that fails has the whole job undone with
 * its error, even when the job goes on as if nothing happened; nothing of it is kept, and the
 * batch goes on. */
#include <criterion/criterion.h>

#include "../../support/store_seed.h"

static void setup(void)
{
    cr_assert(fixture_on_pg(), "pg_job_test runs on PostgreSQL: HD_TEST_BACKEND=pg");
    store_fixture_open("hd_pg_job_test");
    seed();
}

static void teardown(void)
{
    store_fixture_close();
}

TestSuite(pg_job, .init = setup, .fini = teardown);

static struct hd_system system_named(const char *name)
{
    struct hd_system s = {.name = name, .created_at = NOW};
    hd_id_hex(s.id, 16);
    strcpy(s.account_id, mine.id);
    return s;
}

/* Inserts a system, then inserts it again (a conflict) and goes on regardless. */
static int ignores_a_failed_call(struct hd_store *s, const void *arg)
{
    const struct hd_system *sys_ = arg;
    cr_assert_eq(hd_store_system_insert(s, sys_), 0);
    cr_assert_eq(hd_store_system_insert(s, sys_), HD_E_CONFLICT);
    return 0;
}

static int inserts(struct hd_store *s, const void *arg)
{
    return hd_store_system_insert(s, arg);
}

Test(pg_job, a_job_that_ignores_a_failed_call_is_undone_whole)
{
    struct hd_system a = system_named("a"), b = system_named("b");
    cr_assert_eq(hd_store_batch_begin(store), 0);
    cr_assert_eq(hd_store_in_savepoint(store, ignores_a_failed_call, &a), HD_E_CONFLICT,
                 "the job answers the call's error");
    cr_assert_eq(hd_store_in_savepoint(store, inserts, &b), 0, "the batch goes on");
    cr_assert_eq(hd_store_batch_end(store, true), 0);
    struct hd_system got;
    cr_assert_eq(hd_store_system_get(store, mine.id, a.id, ar, &got), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_system_get(store, mine.id, b.id, ar, &got), 0);
}
