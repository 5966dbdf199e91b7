/* pg_reconnect_test.c: PostgreSQL only (run as unit.pg.pg_reconnect_test): what a connection
 * does when the server drops it. Dropped while idle, it is re-made before the next call, which
 * succeeds; dropped inside a transaction, the transaction fails as a whole with
 * HD_E_UNAVAILABLE (nothing of it is kept) and the next call reconnects. The server drops it
 * here with pg_terminate_backend, as a restart would. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "../../support/store_seed.h"

static void setup(void)
{
    cr_assert(fixture_on_pg(), "pg_reconnect_test runs on PostgreSQL: HD_TEST_BACKEND=pg");
    store_fixture_open("hd_pg_reconnect_test");
    seed();
}

static void teardown(void)
{
    store_fixture_close();
}

TestSuite(pg_reconnect, .init = setup, .fini = teardown);

#define STORE_BACKENDS                                                                             \
    " FROM pg_stat_activity WHERE application_name = 'herald' AND datname = current_database()"

/* Ends every connection of the test's store (they call themselves "herald"), and waits until
 * their server processes are gone (termination is a signal: it takes a moment). */
static void drop_store_connections(void)
{
    cr_assert_gt(raw("SELECT count(pg_terminate_backend(pid))" STORE_BACKENDS), 0);
    for (int i = 0; i < 200 && raw("SELECT count(*)" STORE_BACKENDS) > 0; i++)
        usleep(10000);
    cr_assert_eq(raw("SELECT count(*)" STORE_BACKENDS), 0);
}

Test(pg_reconnect, a_connection_dropped_while_idle_is_remade_before_the_next_call)
{
    struct hd_account got;
    cr_assert_eq(hd_store_account_get(store, mine.id, ar, &got), 0);
    drop_store_connections();
    cr_assert_eq(hd_store_account_get(store, mine.id, ar, &got), 0, "the first call succeeds");
    cr_assert_str_eq(got.name, "Acme");
}

static struct hd_system another(const char *name)
{
    struct hd_system s = {.name = name, .created_at = NOW};
    hd_id_hex(s.id, 16);
    strcpy(s.account_id, mine.id);
    return s;
}

Test(pg_reconnect, a_connection_dropped_inside_a_batch_loses_the_whole_batch_only)
{
    struct hd_system one = another("one"), two = another("two"), three = another("three");
    cr_assert_eq(hd_store_batch_begin(store), 0);
    cr_assert_eq(hd_store_system_insert(store, &one), 0);
    drop_store_connections();
    cr_assert_eq(hd_store_system_insert(store, &two), HD_E_UNAVAILABLE);
    cr_assert_eq(hd_store_batch_end(store, true), HD_E_UNAVAILABLE, "the commit fails");
    struct hd_system got;
    cr_assert_eq(hd_store_system_insert(store, &three), 0, "the next call reconnects");
    cr_assert_eq(hd_store_system_get(store, mine.id, three.id, ar, &got), 0);
    cr_assert_eq(hd_store_system_get(store, mine.id, one.id, ar, &got), HD_E_NOT_FOUND,
                 "nothing of the lost batch was kept");
    cr_assert_eq(raw("SELECT count(*) FROM systems"), 2, "the seed's system and the third");
}
