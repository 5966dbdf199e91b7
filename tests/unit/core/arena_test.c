/* arena_test.c: the request arena's copies: strings, lists of strings, and strings joined. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/arena.h"

Test(arena, concat_joins_in_order_and_terminates)
{
    struct hd_arena *a = hd_arena_create();
    const char *parts[] = {"{\"id\":\"", "01abc", "\",\"n\":", "42", "}"};
    cr_assert_str_eq(hd_arena_concat(a, parts, 5), "{\"id\":\"01abc\",\"n\":42}");
    cr_assert_str_eq(hd_arena_concat(a, parts, 0), "");
    static char big[6000]; /* longer than a block */
    memset(big, 'x', sizeof(big) - 1);
    const char *two[] = {big, "!"};
    char *joined = hd_arena_concat(a, two, 2);
    cr_assert_eq(strlen(joined), sizeof(big));
    cr_assert_eq(joined[sizeof(big) - 1], '!');
    hd_arena_destroy(a);
}

Test(arena, strdup_list_copies_each_string)
{
    struct hd_arena *a = hd_arena_create();
    char one[] = "ada", two[] = "bob";
    const char *list[] = {one, two};
    const char **copy = hd_arena_strdup_list(a, list, 2);
    one[0] = two[0] = '?';
    cr_assert_str_eq(copy[0], "ada");
    cr_assert_str_eq(copy[1], "bob");
    cr_assert_null(copy[2]);
    hd_arena_destroy(a);
}
