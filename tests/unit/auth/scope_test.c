/* scope_test.c: scope names to bits and back, and write-implies-read. */
#include <criterion/criterion.h>
#include <string.h>

#include "auth/scope.h"

static int parse(const char *text, unsigned *out, struct hd_slice *bad)
{
    return hd_scope_parse(hd_slice_of(text), out, bad);
}

Test(scope, parses_each_name)
{
    unsigned s = 99;
    cr_assert_eq(parse("notifications:read", &s, NULL), 0);
    cr_expect_eq(s, HD_SCOPE_NOTIFICATIONS_READ);
    cr_assert_eq(parse("notifications:write", &s, NULL), 0);
    cr_expect_eq(s, HD_SCOPE_NOTIFICATIONS_WRITE);
    cr_assert_eq(parse("admin:read", &s, NULL), 0);
    cr_expect_eq(s, HD_SCOPE_ADMIN_READ);
    cr_assert_eq(parse("admin:write", &s, NULL), 0);
    cr_expect_eq(s, HD_SCOPE_ADMIN_WRITE);
}

Test(scope, separators_duplicates_and_empty)
{
    unsigned s = 99;
    cr_assert_eq(parse("", &s, NULL), 0);
    cr_expect_eq(s, 0);
    cr_assert_eq(parse(" , ,", &s, NULL), 0);
    cr_expect_eq(s, 0);
    cr_assert_eq(parse("admin:read,notifications:write  admin:read , ", &s, NULL), 0);
    cr_expect_eq(s, HD_SCOPE_ADMIN_READ | HD_SCOPE_NOTIFICATIONS_WRITE);
    cr_assert_eq(parse("notifications:read notifications:write,admin:read,admin:write", &s, NULL),
                 0);
    cr_expect_eq(s, HD_SCOPE_ALL);
}

Test(scope, unknown_name_reported)
{
    static const char *bad_texts[] = {"admin",        "admin:read2", "Admin:read",
                                      "admin:read\t", "*",           "notifications:"};
    for (size_t i = 0; i < sizeof(bad_texts) / sizeof(bad_texts[0]); i++) {
        unsigned s = 0;
        struct hd_slice bad = {0};
        cr_expect_eq(parse(bad_texts[i], &s, &bad), HD_E_VALIDATION, "\"%s\"", bad_texts[i]);
    }
    unsigned s = 0;
    struct hd_slice bad = {0};
    const char *text = "admin:read, bogus:scope admin:write";
    cr_assert_eq(parse(text, &s, &bad), HD_E_VALIDATION);
    cr_expect(hd_slice_eq(bad, "bogus:scope"));
    cr_expect_eq(bad.ptr, text + 12);
}

Test(scope, reads_only_len_bytes)
{
    unsigned s = 0;
    struct hd_slice bad = {0};
    cr_assert_eq(hd_scope_parse((struct hd_slice){"admin:readXYZ", 10}, &s, &bad), 0);
    cr_expect_eq(s, HD_SCOPE_ADMIN_READ);
}

Test(scope, format_in_enum_order)
{
    char out[64];
    hd_scope_format(0, out, sizeof(out));
    cr_expect_str_eq(out, "");
    hd_scope_format(HD_SCOPE_ADMIN_WRITE | HD_SCOPE_NOTIFICATIONS_READ, out, sizeof(out));
    cr_expect_str_eq(out, "notifications:read admin:write");
    hd_scope_format(HD_SCOPE_ALL, out, sizeof(out));
    cr_expect_str_eq(out, "notifications:read notifications:write admin:read admin:write");
    cr_expect_eq(strlen(out), 61);
}

Test(scope, format_parse_round_trip)
{
    for (unsigned bits = 0; bits <= HD_SCOPE_ALL; bits++) {
        char out[64];
        unsigned back = 99;
        hd_scope_format(bits, out, sizeof(out));
        cr_assert_eq(parse(out, &back, NULL), 0, "\"%s\"", out);
        cr_expect_eq(back, bits);
    }
}

Test(scope, format_truncates_safely)
{
    char out[8];
    memset(out, 'x', sizeof(out));
    hd_scope_format(HD_SCOPE_ALL, out, sizeof(out));
    cr_expect_str_eq(out, "notific");
    hd_scope_format(HD_SCOPE_ALL, out, 1);
    cr_expect_str_eq(out, "");
}

Test(scope, write_implies_read)
{
    cr_expect_eq(hd_scope_expand(HD_SCOPE_NOTIFICATIONS_WRITE),
                 HD_SCOPE_NOTIFICATIONS_WRITE | HD_SCOPE_NOTIFICATIONS_READ);
    cr_expect_eq(hd_scope_expand(HD_SCOPE_ADMIN_WRITE), HD_SCOPE_ADMIN_WRITE | HD_SCOPE_ADMIN_READ);
    cr_expect_eq(hd_scope_expand(HD_SCOPE_NOTIFICATIONS_READ), HD_SCOPE_NOTIFICATIONS_READ);
    cr_expect_eq(hd_scope_expand(0), 0);
}

Test(scope, allows)
{
    cr_expect(hd_scope_allows(HD_SCOPE_NOTIFICATIONS_WRITE, HD_SCOPE_NOTIFICATIONS_READ));
    cr_expect(hd_scope_allows(HD_SCOPE_ADMIN_WRITE, HD_SCOPE_ADMIN_READ));
    cr_expect(hd_scope_allows(HD_SCOPE_ALL, HD_SCOPE_ALL));
    cr_expect(hd_scope_allows(HD_SCOPE_ADMIN_READ, HD_SCOPE_NONE));
    cr_expect_not(hd_scope_allows(HD_SCOPE_NOTIFICATIONS_READ, HD_SCOPE_NOTIFICATIONS_WRITE));
    cr_expect_not(hd_scope_allows(HD_SCOPE_ADMIN_WRITE, HD_SCOPE_NOTIFICATIONS_READ));
    cr_expect_not(hd_scope_allows(HD_SCOPE_NOTIFICATIONS_WRITE, HD_SCOPE_ADMIN_READ));
    cr_expect_not(hd_scope_allows(HD_SCOPE_NONE, HD_SCOPE_ADMIN_READ));
    cr_expect_not(hd_scope_allows(HD_SCOPE_ADMIN_READ | HD_SCOPE_NOTIFICATIONS_READ,
                                  HD_SCOPE_ADMIN_READ | HD_SCOPE_ADMIN_WRITE));
}
