/* jsonw_test.c: strings written by hd_jsonw_string read back, through jansson, as the text that
 * was written (ASCII only on the wire); bad UTF-8 becomes U+FFFD; integers at their limits. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "core/jsonw.h"

static char *written(const char *s)
{
    struct hd_buf b = {0};
    hd_jsonw_string(&b, s);
    hd_buf_append(&b, "", 1);
    return b.data;
}

/* Written, then parsed back: must be valid JSON, all ASCII, and the same text. */
static void expect_round_trip(const char *s, const char *want)
{
    char *w = written(s);
    for (const char *p = w; *p; p++)
        cr_expect((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "non-ASCII in %s", w);
    json_error_t err;
    json_t *j = json_loads(w, JSON_DECODE_ANY, &err);
    cr_assert_not_null(j, "%s does not parse: %s", w, err.text);
    cr_expect_str_eq(json_string_value(j), want, "written as %s", w);
    json_decref(j);
    free(w);
}

Test(jsonw, plain_ascii_is_copied)
{
    char *w = written("https://herald.example.com:8080/a?b=c");
    cr_expect_str_eq(w, "\"https://herald.example.com:8080/a?b=c\"");
    free(w);
    w = written("");
    cr_expect_str_eq(w, "\"\"");
    free(w);
}

Test(jsonw, quotes_backslashes_and_control_characters)
{
    char *w = written("a\"b\\c\nd\te\rf\x01g\x7f");
    cr_expect_str_eq(w, "\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g\\u007f\"");
    free(w);
    expect_round_trip("say \"hi\" \\ \x1f", "say \"hi\" \\ \x1f");
}

Test(jsonw, utf8_as_escapes)
{
    expect_round_trip("caf\xc3\xa9", "caf\xc3\xa9");             /* é */
    expect_round_trip("\xe2\x82\xac 5", "\xe2\x82\xac 5");       /* € */
    expect_round_trip("\xf0\x9f\x94\x94!", "\xf0\x9f\x94\x94!"); /* 🔔, a surrogate pair */
    expect_round_trip("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");   /* U+10FFFF */
    char *w = written("\xf0\x9f\x94\x94");
    cr_expect_str_eq(w, "\"\\ud83d\\udd14\"");
    free(w);
}

Test(jsonw, bad_utf8_becomes_replacement_characters)
{
    static const char *bad[] = {
        "\x80",             /* a continuation byte alone */
        "\xc0\xaf",         /* overlong '/' */
        "\xc3",             /* cut short at the end */
        "\xe2\x82",         /* cut short */
        "\xed\xa0\x80",     /* a surrogate */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
        "\xf5\x80\x80\x80", /* a lead byte that never occurs */
        "\xff",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *w = written(bad[i]);
        json_t *j = json_loads(w, JSON_DECODE_ANY, NULL);
        cr_assert_not_null(j, "case %zu: %s", i, w);
        const char *v = json_string_value(j);
        cr_expect(strncmp(v, "\xef\xbf\xbd", 3) == 0, "case %zu starts with U+FFFD: %s", i, w);
        cr_expect(strstr(w, "\\ufffd") != NULL, "case %zu: %s", i, w);
        json_decref(j);
        free(w);
    }
    expect_round_trip("a\xc3(b", "a\xef\xbf\xbd(b"); /* the byte after a bad lead is kept */
}

Test(jsonw, integers)
{
    static const int64_t v[] = {0, 7, -7, 3600, 1795792229, INT64_MAX, INT64_MIN};
    static const char *want[] = {
        "0", "7", "-7", "3600", "1795792229", "9223372036854775807", "-9223372036854775808"};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct hd_buf b = {0};
        hd_buf_puts(&b, "n=");
        hd_jsonw_i64(&b, v[i]);
        hd_buf_append(&b, "", 1);
        cr_expect_str_eq(b.data + 2, want[i]);
        hd_buf_free(&b);
    }
    char text[HD_U64_TEXT];
    cr_expect_str_eq(hd_u64_text(text, 0), "0");
    cr_expect_str_eq(hd_u64_text(text, UINT64_MAX), "18446744073709551615");
}
