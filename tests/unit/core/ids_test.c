/* ids_test.c: the identifiers herald makes: UUIDs of version 4 and 7 in their canonical form
 * (RFC 9562), v7's time prefix, and no repeats from the random pool. */
#include <criterion/criterion.h>
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
