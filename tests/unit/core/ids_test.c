/* ids_test.c: the identifiers herald makes: UUIDs of version 4 and 7 in their canonical form
 * (RFC 9562), v7's time prefix and its order within a millisecond, and no repeats from the
 * random pool. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "core/ids.h"

Test(ids, uuid4_is_canonical_version_4)
{
    char id[HD_UUID_BUF];
    hd_id_uuid4(id);
    cr_assert(hd_id_is_uuid(hd_slice_of(id)), "%s", id);
    cr_expect_eq(id[14], '4');
    cr_expect(strchr("89ab", id[19]), "variant of %s", id);
}

Test(ids, uuid7_carries_its_millisecond_first)
{
    char id[HD_UUID_BUF];
    hd_id_uuid7(id, 0x0123456789abLL);
    cr_assert(hd_id_is_uuid(hd_slice_of(id)), "%s", id);
    cr_expect(strncmp(id, "01234567-89ab-7", 15) == 0, "%s", id);
    cr_expect(strchr("89ab", id[19]), "variant of %s", id);
}

Test(ids, uuid7_sorts_by_time)
{
    char a[HD_UUID_BUF], b[HD_UUID_BUF];
    hd_id_uuid7(a, 1800000000000LL);
    hd_id_uuid7(b, 1800000000001LL);
    cr_expect_lt(strcmp(a, b), 0);
}

Test(ids, uuid7s_of_one_millisecond_sort_in_the_order_they_were_made)
{
    enum { N = 1500 };
    static char ids[N][HD_UUID_BUF];
    for (int i = 0; i < N; i++)
        hd_id_uuid7(ids[i], 1800000000123LL);
    for (int i = 1; i < N; i++)
        cr_assert_lt(strcmp(ids[i - 1], ids[i]), 0, "%s then %s", ids[i - 1], ids[i]);
    char older[HD_UUID_BUF];
    hd_id_uuid7(older, 1800000000000LL); /* a caller's earlier time is kept as given */
    cr_assert(strncmp(older, "01a3185c-5000-7", 15) == 0, "%s", older);
    cr_assert(hd_id_is_uuid(hd_slice_of(older)));
}

enum { PER_THREAD = 900 }; /* two of them fit the counter of one millisecond */
static char made[2][PER_THREAD][HD_UUID_BUF];

static void *make_ids(void *arg)
{
    char(*out)[HD_UUID_BUF] = arg;
    for (int i = 0; i < PER_THREAD; i++)
        hd_id_uuid7(out[i], 1800000000456LL);
    return NULL;
}

Test(ids, uuid7s_made_at_once_on_two_threads_are_distinct_and_each_in_order)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, make_ids, made[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int k = 0; k < 2; k++)
        for (int i = 1; i < PER_THREAD; i++)
            cr_assert_lt(strcmp(made[k][i - 1], made[k][i]), 0);
    for (int i = 0; i < PER_THREAD; i++)
        for (int j = 0; j < PER_THREAD; j++)
            cr_assert_str_neq(made[0][i], made[1][j]);
}

Test(ids, no_repeats)
{
    enum { N = 2000 };
    static char ids[N][HD_UUID_BUF];
    for (int i = 0; i < N; i++)
        hd_id_uuid4(ids[i]);
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            cr_assert_str_neq(ids[i], ids[j]);
}
