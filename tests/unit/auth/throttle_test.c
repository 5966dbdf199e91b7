/* throttle_test.c: events counted per key in fixed windows (auth/throttle.h): the count, what is
 * left and when the window starts over, the wait past the limit, keys apart, and a new window. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "auth/throttle.h"

#define T0 1800000000000LL

Test(throttle, counts_down_then_refuses_until_the_window_ends)
{
    struct hd_throttle *t = hd_throttle_create(3, 60000);
    struct hd_throttle_state st;
    cr_expect_eq(hd_throttle_count(t, "hk_a", T0, &st), 0);
    cr_expect_eq(st.limit, 3);
    cr_expect_eq(st.remaining, 2);
    cr_expect_eq(st.reset_s, 60);
    cr_expect_eq(hd_throttle_count(t, "hk_a", T0 + 1000, &st), 0);
    cr_expect_eq(hd_throttle_count(t, "hk_a", T0 + 2000, &st), 0);
    cr_expect_eq(st.remaining, 0);
    cr_expect_eq(hd_throttle_count(t, "hk_a", T0 + 30500, &st), 30, "waits out the window");
    cr_expect_eq(st.remaining, 0);
    cr_expect_eq(st.reset_s, 30);
    cr_expect_eq(hd_throttle_count(t, "hk_a", T0 + 59999, &st), 1, "never less than a second");
    cr_expect_eq(hd_throttle_count(t, "hk_a", T0 + 60000, &st), 0, "a new window");
    cr_expect_eq(st.remaining, 2);
    hd_throttle_destroy(t);
}

Test(throttle, keys_are_counted_apart)
{
    struct hd_throttle *t = hd_throttle_create(1, 60000);
    struct hd_throttle_state st;
    cr_expect_eq(hd_throttle_count(t, "hk_a", T0, &st), 0);
    cr_expect_gt(hd_throttle_count(t, "hk_a", T0, &st), 0);
    cr_expect_eq(hd_throttle_count(t, "hk_b", T0, &st), 0);
    cr_expect_eq(hd_throttle_fail(t, "10.0.0.1", T0), 0);
    cr_expect_eq(hd_throttle_fail(t, "10.0.0.1", T0), 60);
    hd_throttle_destroy(t);
}

/* After many keys have come and gone (the table has a fixed size), a new key gets a full count. */
Test(throttle, a_key_after_a_spray_gets_a_full_count)
{
    struct hd_throttle *t = hd_throttle_create(2, 60000);
    struct hd_throttle_state st;
    char key[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof(key), "spray-%d", i);
        cr_assert_eq(hd_throttle_count(t, key, T0 + i, &st), 0);
    }
    cr_expect_eq(hd_throttle_count(t, "fresh", T0 + 100000, &st), 0);
    cr_expect_eq(st.remaining, 1);
    hd_throttle_destroy(t);
}
