/* time_test.c: the SPEC §3 date forms, their calendar checks and messages, and RFC 3339 output.
 *
 * Expected instants come from libc's timegm or from counting days, never from the code under
 * test, so a wrong days_from_civil cannot agree with itself. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/time.h"

/* Milliseconds of a UTC date-time according to libc. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return (int64_t)timegm(&tm) * 1000;
}

static int64_t parse_ok(const char *s)
{
    int64_t ms = -7;
    const char *why = NULL;
    int rc = hd_time_parse(s, strlen(s), &ms, &why);
    cr_assert_eq(rc, 0, "\"%s\" rejected: %s", s, why ? why : "(no reason)");
    return ms;
}

/* Asserts s is rejected, leaves *out_ms alone, and the reason contains part. */
static void parse_bad(const char *s, const char *part)
{
    int64_t ms = -7;
    const char *why = NULL;
    int rc = hd_time_parse(s, strlen(s), &ms, &why);
    cr_assert_eq(rc, HD_E_VALIDATION, "\"%s\" accepted as %lld", s, (long long)ms);
    cr_assert_eq(ms, -7, "out_ms written on error for \"%s\"", s);
    cr_assert_not_null(why, "no reason for \"%s\"", s);
    cr_assert_not_null(strstr(why, part), "\"%s\": reason \"%s\" lacks \"%s\"", s, why, part);
}

Test(time_parse, every_accepted_form)
{
    int64_t base = utc(2026, 12, 1, 9, 0, 0);
    cr_assert_eq(parse_ok("2026-12-01"), utc(2026, 12, 1, 0, 0, 0));
    cr_assert_eq(parse_ok("2026-12-01 09:00"), base);
    cr_assert_eq(parse_ok("2026-12-01 09:00:30"), base + 30000);
    cr_assert_eq(parse_ok("2026-12-01T09:00"), base);
    cr_assert_eq(parse_ok("2026-12-01T09:00:30"), base + 30000);
    cr_assert_eq(parse_ok("2026-12-01T09:00:30.123"), base + 30123);
    cr_assert_eq(parse_ok("2026-12-01T09:00Z"), base);
    cr_assert_eq(parse_ok("2026-12-01 09:00Z"), base);
    cr_assert_eq(parse_ok("2026-12-01T09:00:30Z"), base + 30000);
    cr_assert_eq(parse_ok("2026-12-01T09:00:30.123Z"), base + 30123);
    cr_assert_eq(parse_ok("2026-12-01 09:00:30.123+00:00"), base + 30123);
    cr_assert_eq(parse_ok("2026-12-01t09:00z"), base);
    cr_assert_eq(parse_ok("2026-12-01T09:00+01:00"), base - 3600000);
    cr_assert_eq(parse_ok("2026-12-01T09:00+0100"), base - 3600000);
    cr_assert_eq(parse_ok("2026-12-01 09:00:00-01:30"), base + 5400000);
}

Test(time_parse, offsets)
{
    cr_assert_eq(parse_ok("2023-05-10T11:30:00+03:00"), parse_ok("2023-05-10T08:30:00Z"));
    cr_assert_eq(parse_ok("2023-05-10T11:30:00+03:00"), utc(2023, 5, 10, 8, 30, 0));
    cr_assert_eq(parse_ok("2023-05-10T11:30:00-0500"), utc(2023, 5, 10, 16, 30, 0));
    cr_assert_eq(parse_ok("2023-05-10T11:30+0530"), utc(2023, 5, 10, 6, 0, 0));
    cr_assert_eq(parse_ok("2023-05-10T11:30-00:00"), utc(2023, 5, 10, 11, 30, 0));
    cr_assert_eq(parse_ok("2023-05-10T11:30+23:59"), utc(2023, 5, 9, 11, 31, 0));
    /* an offset may cross midnight, a month and a year */
    cr_assert_eq(parse_ok("2024-01-01T01:00+02:00"), utc(2023, 12, 31, 23, 0, 0));
    cr_assert_eq(parse_ok("2024-02-29T22:00-03:00"), utc(2024, 3, 1, 1, 0, 0));
}

Test(time_parse, fractions_keep_milliseconds)
{
    int64_t base = utc(2026, 12, 1, 9, 0, 0);
    cr_assert_eq(parse_ok("2026-12-01T09:00:00.5"), base + 500);
    cr_assert_eq(parse_ok("2026-12-01T09:00:00.5Z"), base + 500);
    cr_assert_eq(parse_ok("2026-12-01T09:00:00.05"), base + 50);
    cr_assert_eq(parse_ok("2026-12-01T09:00:00.007"), base + 7);
    cr_assert_eq(parse_ok("2026-12-01T09:00:00.0009"), base);
    cr_assert_eq(parse_ok("2026-12-01T09:00:00.999999999"), base + 999);
    cr_assert_eq(parse_ok("2026-12-01T09:00:00.123456789+01:00"), base - 3600000 + 123);
}

Test(time_parse, date_alone_is_midnight_utc)
{
    cr_assert_eq(parse_ok("1970-01-01"), 0);
    cr_assert_eq(parse_ok("2026-12-31"), utc(2026, 12, 31, 0, 0, 0));
}

Test(time_parse, leap_years)
{
    cr_assert_eq(parse_ok("2024-02-29"), utc(2024, 2, 29, 0, 0, 0));
    cr_assert_eq(parse_ok("2000-02-29"), utc(2000, 2, 29, 0, 0, 0));
    parse_bad("2023-02-29", "February has 28 days");
    parse_bad("2100-02-29", "February has 28 days");
    parse_bad("2024-02-30", "February has 29 days");
    parse_bad("1900-02-29", "1970"); /* 1900 is not leap, and before 1970 anyway */
}

Test(time_parse, days_per_month)
{
    parse_bad("2026-04-31", "April has 30 days");
    parse_bad("2026-06-31", "June has 30 days");
    parse_bad("2026-09-31", "September has 30 days");
    parse_bad("2026-11-31", "November has 30 days");
    parse_bad("2026-01-32", "day must be 01-31");
    parse_bad("2026-12-00", "day must be 01-31");
    parse_bad("2026-13-01", "month must be 01-12");
    parse_bad("2026-00-10", "month must be 01-12");
}

Test(time_parse, impossible_times)
{
    parse_bad("2026-12-01T24:00", "hour 24 is not a time; use 00:00 of the next day");
    parse_bad("2026-12-01 24:00:00Z", "hour 24");
    parse_bad("2026-12-01T25:00", "hour must be 00-23");
    parse_bad("2026-12-01 12:60", "minute must be 00-59");
    parse_bad("2026-12-01 12:99:00", "minute must be 00-59");
    parse_bad("2026-12-01 12:30:60", "leap second");
    parse_bad("2026-12-01 12:30:61", "second must be 00-59");
}

Test(time_parse, pasted_shapes_get_specific_messages)
{
    parse_bad("", "empty");
    parse_bad("05/10/2023", "slashes");
    parse_bad("2023/05/10", "slashes");
    parse_bad("10.05.2023", "year first");
    parse_bad("10-05-2023", "year first");
    parse_bad("1700000000", "bare number");
    parse_bad(" 2026-12-01", "spaces");
    parse_bad("2026-12-01\t", "spaces");
    parse_bad("Dec 1, 2026", "use the form YYYY-MM-DD");
    parse_bad("20261-12-01", "4 digits");
    parse_bad("2026-1-01", "2 digits");
    parse_bad("2026-12-1", "2 digits");
    parse_bad("2026-12-0109:00", "space or T");
    parse_bad("1969-12-31", "between 1970 and 9999");
    parse_bad("0000-01-01", "between 1970 and 9999");
}

Test(time_parse, slash_message_is_the_documented_one)
{
    int64_t ms;
    const char *why = NULL;
    cr_assert_eq(hd_time_parse("05/10/2023", 10, &ms, &why), HD_E_VALIDATION);
    cr_assert_not_null(strstr(why, "use the form YYYY-MM-DD or YYYY-MM-DD hh:mm (UTC), "
                                   "e.g. 2026-12-01 09:00"));
}

Test(time_parse, bad_time_fields)
{
    parse_bad("2026-12-01T", "hh:mm");
    parse_bad("2026-12-01T09", "hh:mm");
    parse_bad("2026-12-01T9:00", "hh:mm");
    parse_bad("2026-12-01T09:5", "hh:mm");
    parse_bad("2026-12-01T09:00:", "hh:mm");
    parse_bad("2026-12-01  09:00", "hh:mm");
    parse_bad("2026-12-01T09:00:00.", "fraction");
    parse_bad("2026-12-01T09:00:00.1234567890", "fraction");
    parse_bad("2026-12-01T09:00.5", "fraction");
}

Test(time_parse, bad_offsets)
{
    parse_bad("2026-12-01T09:00+3:00", "offset must be like +03:00 or -0500");
    parse_bad("2026-12-01T09:00+03", "offset must be like");
    parse_bad("2026-12-01T09:00+03:0", "offset must be like");
    parse_bad("2026-12-01T09:00-", "offset must be like");
    parse_bad("2026-12-01T09:00+24:00", "offset hours must be 00-23");
    parse_bad("2026-12-01T09:00+0360", "minutes 00-59");
    parse_bad("2026-12-01Z", "date alone");
    parse_bad("2026-12-01+03:00", "date alone");
    parse_bad("2026-12-01-0500", "date alone");
}

Test(time_parse, zone_words_and_trailing_junk)
{
    parse_bad("2026-12-01 09:00 UTC", "write Z instead of UTC");
    parse_bad("2026-12-01T09:00utc", "write Z");
    parse_bad("2026-12-01 09:00 GMT", "write Z");
    parse_bad("2026-12-01 09:00 EST", "time zone names are not supported");
    parse_bad("2026-12-01 09:00 Europe/Paris", "time zone names");
    parse_bad("2026-12-01 09:00 PM", "24-hour");
    parse_bad("2026-12-01 09:00 Z", "remove the space");
    parse_bad("2026-12-01 09:00 +03:00", "remove the space");
    parse_bad("2026-12-01T09:00Zjunk", "trailing characters");
    parse_bad("2026-12-01T09:00:00+03:00:00", "trailing characters");
    parse_bad("2026-12-01x", "trailing characters");
    parse_bad("2026-12-01T09:00x", "trailing characters");
    parse_bad("2026-12-01 UTC", "a date alone means 00:00 UTC");
    parse_bad("2026-12-01UTC", "a date alone means 00:00 UTC");
    parse_bad("2026-12-01T09:00CEST", "time zone names");
    parse_bad("2026-12-01T09:00 ", "spaces");
}

Test(time_parse, outside_range_after_offset)
{
    cr_assert_eq(parse_ok("9999-12-31T23:59:59.999Z"), HD_TIME_MAX_MS);
    cr_assert_eq(parse_ok("9999-12-31T23:59:59+01:00"), HD_TIME_MAX_MS - 999 - 3600000);
    parse_bad("9999-12-31T23:59-01:00", "1970-01-01 to 9999-12-31");
    parse_bad("1970-01-01T00:00+00:01", "1970-01-01 to 9999-12-31");
    cr_assert_eq(parse_ok("1970-01-01T00:00-00:01"), 60000);
}

Test(time_parse, reads_exactly_len_bytes)
{
    int64_t ms = 0;
    const char *why = NULL;
    const char *s = "2026-12-01T09:00Zjunk";
    cr_assert_eq(hd_time_parse(s, 17, &ms, &why), 0);
    cr_assert_eq(ms, utc(2026, 12, 1, 9, 0, 0));
    cr_assert_eq(hd_time_parse(s, 10, &ms, &why), 0);
    cr_assert_eq(ms, utc(2026, 12, 1, 0, 0, 0));
    cr_assert_eq(hd_time_parse("2026-12-01\0", 11, &ms, &why), HD_E_VALIDATION);
    /* a heap copy without a NUL: ASan fails the test on any read past the end */
    const char *forms[] = {"2026-12-01",          "2026-12-01T09:00",      "2026-12-01T09:00:00.12",
                           "2026-12-01T09:00+01", "2026-12-01T09:00+01:0", "2026-12-0",
                           "2026-12-01 09:00 U"};
    for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
        size_t n = strlen(forms[k]);
        char *copy = malloc(n);
        memcpy(copy, forms[k], n);
        int rc = hd_time_parse(copy, n, &ms, &why);
        (void)rc;
        free(copy);
    }
}

Test(time_parse, why_may_be_null)
{
    int64_t ms;
    cr_assert_eq(hd_time_parse("2026-02-30", 10, &ms, NULL), HD_E_VALIDATION);
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Writes "YYYY-MM-DD" without snprintf, which would dominate the sweep below. */
static void put_date(char s[11], int y, int m, int d)
{
    int v[8] = {y / 1000, y / 100 % 10, y / 10 % 10, y % 10, m / 10, m % 10, d / 10, d % 10};
    static const int at[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (int k = 0; k < 8; k++)
        s[at[k]] = (char)('0' + v[k]);
    s[4] = s[7] = '-';
    s[10] = '\0';
}

/* Every calendar day of the range, counted one by one from 1970-01-01. */
Test(time_parse, every_day_of_the_range)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t expect = 0;
    char s[11], f[HD_TIME_BUF];
    for (int y = 1970; y <= 9999; y++) {
        cr_assert_eq(expect, utc(y, 1, 1, 0, 0, 0), "Jan 1 of %d", y);
        for (int m = 1; m <= 12; m++) {
            int days = dim[m - 1] + (m == 2 && leap(y));
            for (int d = 1; d <= days + 1; d++) {
                put_date(s, y, m, d);
                int64_t ms = -1;
                const char *why = NULL;
                int rc = hd_time_parse(s, 10, &ms, &why);
                if (d > days) {
                    if (rc != HD_E_VALIDATION)
                        cr_assert_fail("%s accepted", s);
                    continue;
                }
                if (rc != 0 || ms != expect)
                    cr_assert_fail("%s: rc %d, %lld, %s", s, rc, (long long)ms, why);
                hd_time_format(ms, f);
                if (memcmp(f, s, 10) != 0 || strcmp(f + 10, "T00:00:00Z") != 0)
                    cr_assert_fail("%s formats as %s", s, f);
                expect += HD_MS_PER_DAY;
            }
        }
    }
    cr_assert_eq(expect, HD_TIME_MAX_MS + 1);
}

static void format_is(int64_t ms, const char *want)
{
    char out[HD_TIME_BUF];
    hd_time_format(ms, out);
    cr_assert_str_eq(out, want, "ms %lld", (long long)ms);
}

Test(time_format, known_values)
{
    format_is(0, "1970-01-01T00:00:00Z");
    format_is(1, "1970-01-01T00:00:00.001Z");
    format_is(999, "1970-01-01T00:00:00.999Z");
    format_is(1000, "1970-01-01T00:00:01Z");
    format_is(1700000000000, "2023-11-14T22:13:20Z");
    format_is(utc(2026, 12, 1, 9, 0, 0), "2026-12-01T09:00:00Z");
    format_is(utc(2026, 12, 1, 9, 0, 0) + 120, "2026-12-01T09:00:00.120Z");
    format_is(utc(2024, 2, 29, 23, 59, 59), "2024-02-29T23:59:59Z");
    format_is(HD_TIME_MAX_MS - 999, "9999-12-31T23:59:59Z");
    format_is(HD_TIME_MAX_MS, "9999-12-31T23:59:59.999Z");
}

Test(time_format, outside_the_range_still_formats)
{
    format_is(-1, "1969-12-31T23:59:59.999Z");
    format_is(HD_TIME_MAX_MS + 1, "10000-01-01T00:00:00Z");
    char out[HD_TIME_BUF];
    hd_time_format(INT64_MIN, out);
    cr_assert_lt(strlen(out), (size_t)HD_TIME_BUF);
    hd_time_format(INT64_MAX, out);
    cr_assert_lt(strlen(out), (size_t)HD_TIME_BUF);
}

static void round_trip(int64_t ms)
{
    char out[HD_TIME_BUF];
    hd_time_format(ms, out);
    int64_t back = -1;
    const char *why = NULL;
    cr_assert_eq(hd_time_parse(out, strlen(out), &back, &why), 0, "%s: %s", out, why);
    cr_assert_eq(back, ms, "%s", out);
}

Test(time_format, round_trip)
{
    int64_t fixed[] = {0,
                       1,
                       999,
                       1000,
                       86399999,
                       86400000,
                       951782400000,
                       1709164800123,
                       HD_TIME_MAX_MS - 999,
                       HD_TIME_MAX_MS};
    for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
        round_trip(fixed[k]);
    uint64_t x = 88172645463325252u; /* xorshift64: reproducible spread over the range */
    for (int k = 0; k < 200000; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t ms = (int64_t)(x % (uint64_t)(HD_TIME_MAX_MS + 1));
        round_trip(k % 2 ? ms : ms - ms % 1000);
    }
}

Test(time_clock, now_and_monotonic)
{
    int64_t now = hd_time_now_ms();
    cr_assert_gt(now, utc(2024, 1, 1, 0, 0, 0));
    cr_assert_lt(now, utc(2100, 1, 1, 0, 0, 0));
    int64_t a = hd_time_mono_ms(), b = hd_time_mono_ms();
    cr_assert_geq(b, a);
}
