/* time.c: the clocks, and the date forms of SPEC §3 (parse) and RFC 3339 UTC (format).
 *
 * Calendar arithmetic is our own (proleptic Gregorian, days since 1970-01-01, after Howard
 * Hinnant's days_from_civil/civil_from_days), not timegm/gmtime/mktime: pure, thread-safe, no
 * locale or TZ involved. The parser reads exactly len bytes and stops at the first problem,
 * reporting it as a static sentence that tells a person what to write instead. */
#include "core/time.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

/* The sentences a parse error can give; static, so callers may keep the pointer. */
#define FORM_HINT "use the form YYYY-MM-DD or YYYY-MM-DD hh:mm (UTC), e.g. 2026-12-01 09:00"
static const char MSG_EMPTY[] = "the date is empty; " FORM_HINT;
static const char MSG_FORM[] = FORM_HINT;
static const char MSG_SLASH[] = "dates with slashes like 05/10/2023 are ambiguous (US or European "
                                "order); " FORM_HINT;
static const char MSG_YEAR_LAST[] = "put the year first; " FORM_HINT;
static const char MSG_NUMBER[] = "a bare number is not a date; " FORM_HINT;
static const char MSG_SPACES[] = "remove the spaces around the date";
static const char MSG_YEAR_DIGITS[] = "the year must have 4 digits, e.g. 2026-12-01";
static const char MSG_TWO_DIGITS[] = "month and day need 2 digits each, e.g. 2026-03-07";
static const char MSG_YEAR_RANGE[] = "year must be between 1970 and 9999";
static const char MSG_MONTH[] = "month must be 01-12";
static const char MSG_DAY[] = "day must be 01-31";
static const char MSG_SEPARATOR[] = "separate the date and the time with a space or T, e.g. "
                                    "2026-12-01 09:00";
static const char MSG_TIME[] = "the time must be hh:mm or hh:mm:ss (24-hour clock, 2 digits "
                               "each), e.g. 09:05";
static const char MSG_HOUR24[] = "hour 24 is not a time; use 00:00 of the next day";
static const char MSG_HOUR[] = "hour must be 00-23";
static const char MSG_MINUTE[] = "minute must be 00-59";
static const char MSG_LEAP_SECOND[] = "second 60 (a leap second) is not supported; use 59";
static const char MSG_SECOND[] = "second must be 00-59";
static const char MSG_FRACTION[] = "the fraction of a second must be 1 to 9 digits after the "
                                   "seconds, e.g. 09:00:00.250";
static const char MSG_OFFSET[] = "offset must be like +03:00 or -0500";
static const char MSG_OFFSET_RANGE[] = "offset hours must be 00-23 and minutes 00-59, e.g. +03:00";
static const char MSG_DATE_OFFSET[] = "a date alone cannot carry an offset; add a time, e.g. "
                                      "2026-12-01T00:00+03:00";
static const char MSG_DATE_ZONE[] = "a date alone means 00:00 UTC; remove the time zone, or add "
                                    "a time and an offset, e.g. 2026-12-01T00:00+03:00";
static const char MSG_UTC_WORD[] = "write Z instead of UTC or GMT, e.g. 2026-12-01T09:00Z";
static const char MSG_ZONE_NAME[] = "time zone names are not supported; write Z or an offset "
                                    "like +03:00";
static const char MSG_AMPM[] = "AM/PM is not supported; use the 24-hour clock, e.g. 14:30";
static const char MSG_SPACE_ZONE[] = "remove the space before Z or the offset, e.g. "
                                     "2026-12-01 09:00Z";
static const char MSG_TRAILING[] = "trailing characters after the date";
static const char MSG_UTC_RANGE[] = "with its offset the time falls outside 1970-01-01 to "
                                    "9999-12-31 in UTC";

static const char *const MSG_MONTH_DAYS[12] = {
    "January has 31 days",   "February has 28 days in a year that is not a leap year",
    "March has 31 days",     "April has 30 days",
    "May has 31 days",       "June has 30 days",
    "July has 31 days",      "August has 31 days",
    "September has 30 days", "October has 31 days",
    "November has 30 days",  "December has 31 days",
};
static const char MSG_FEB_LEAP[] = "February has 29 days, even in a leap year";

struct cursor {
    const char *s;
    size_t len, i;
};

/* Broken-down time as written; off_min is the offset east of UTC in minutes. */
struct fields {
    int year, month, day, hour, minute, second, ms, off_min;
};

int64_t hd_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t hd_time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t hd_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12, d 1..31). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil, for any int64 day count that ms/86400000 can give. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool at_end(const struct cursor *c)
{
    return c->i >= c->len;
}

static char peek(const struct cursor *c)
{
    return at_end(c) ? '\0' : c->s[c->i];
}

/* Consumes ch if it is next. */
static bool eat(struct cursor *c, char ch)
{
    if (peek(c) != ch)
        return false;
    c->i++;
    return true;
}

/* How many digits follow, without consuming them. */
static size_t digit_run(const struct cursor *c)
{
    size_t n = 0;
    while (c->i + n < c->len && is_digit(c->s[c->i + n]))
        n++;
    return n;
}

/* Consumes exactly n digits (n <= 9) and returns their value. */
static int take_digits(struct cursor *c, size_t n)
{
    int v = 0;
    for (size_t k = 0; k < n; k++)
        v = v * 10 + (c->s[c->i++] - '0');
    return v;
}

/* Recognizes shapes people paste that are not ours, before any field is read, so the message
 * names the real mistake rather than "year must have 4 digits". */
static const char *check_shape(const char *s, size_t len)
{
    if (len == 0)
        return MSG_EMPTY;
    if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
        return MSG_SPACES;
    if (memchr(s, '/', len < 10 ? len : 10)) /* in the date part; "Europe/Paris" is later */
        return MSG_SLASH;
    struct cursor c = {s, len, 0};
    size_t lead = digit_run(&c);
    if (lead == len)
        return MSG_NUMBER;
    if ((lead == 1 || lead == 2) && (s[lead] == '.' || s[lead] == '-'))
        return MSG_YEAR_LAST;
    return NULL;
}

static const char *check_date(const struct fields *f)
{
    if (f->year < 1970)
        return MSG_YEAR_RANGE;
    if (f->month < 1 || f->month > 12)
        return MSG_MONTH;
    if (f->day < 1 || f->day > 31)
        return MSG_DAY;
    if (f->day > days_in_month(f->year, f->month))
        return f->month == 2 && is_leap(f->year) ? MSG_FEB_LEAP : MSG_MONTH_DAYS[f->month - 1];
    return NULL;
}

/* YYYY-MM-DD */
static const char *parse_date(struct cursor *c, struct fields *f)
{
    size_t n = digit_run(c);
    if (n != 4) {
        bool dashed = n > 0 && c->i + n < c->len && c->s[c->i + n] == '-';
        return dashed ? MSG_YEAR_DIGITS : MSG_FORM;
    }
    f->year = take_digits(c, 4);
    if (!eat(c, '-'))
        return MSG_FORM;
    if (digit_run(c) != 2)
        return MSG_TWO_DIGITS;
    f->month = take_digits(c, 2);
    if (!eat(c, '-'))
        return MSG_FORM;
    n = digit_run(c);
    if (n < 2)
        return MSG_TWO_DIGITS;
    f->day = take_digits(c, 2);
    if (n > 2)
        return MSG_SEPARATOR;
    return check_date(f);
}

/* hh:mm or hh:mm:ss, each field range-checked as soon as it is read. */
static const char *parse_clock(struct cursor *c, struct fields *f)
{
    if (digit_run(c) != 2)
        return MSG_TIME;
    f->hour = take_digits(c, 2);
    if (f->hour >= 24)
        return f->hour == 24 ? MSG_HOUR24 : MSG_HOUR;
    if (!eat(c, ':') || digit_run(c) != 2)
        return MSG_TIME;
    f->minute = take_digits(c, 2);
    if (f->minute > 59)
        return MSG_MINUTE;
    if (!eat(c, ':'))
        return peek(c) == '.' ? MSG_FRACTION : NULL;
    if (digit_run(c) != 2)
        return MSG_TIME;
    f->second = take_digits(c, 2);
    if (f->second > 59)
        return f->second == 60 ? MSG_LEAP_SECOND : MSG_SECOND;
    return NULL;
}

/* .fraction: 1..9 digits; milliseconds are kept, finer digits truncated. */
static const char *parse_fraction(struct cursor *c, struct fields *f)
{
    if (!eat(c, '.'))
        return NULL;
    size_t n = digit_run(c);
    if (n < 1 || n > 9)
        return MSG_FRACTION;
    size_t keep = n < 3 ? n : 3;
    f->ms = take_digits(c, keep);
    for (size_t k = keep; k < 3; k++)
        f->ms *= 10;
    c->i += n - keep;
    return NULL;
}

/* Z, ±hh:mm or ±hhmm (RFC 3339 §5.6, with ISO 8601's basic ±hhmm), or nothing (UTC). */
static const char *parse_zone(struct cursor *c, struct fields *f)
{
    if (eat(c, 'Z') || eat(c, 'z') || at_end(c))
        return NULL;
    int sign = peek(c) == '+' ? 1 : peek(c) == '-' ? -1 : 0;
    if (sign == 0)
        return NULL; /* not a zone; the caller explains what is left */
    c->i++;
    if (digit_run(c) == 4) {
        int hhmm = take_digits(c, 4);
        f->off_min = hhmm / 100 * 60 + hhmm % 100;
        if (hhmm / 100 > 23 || hhmm % 100 > 59)
            return MSG_OFFSET_RANGE;
    } else {
        if (digit_run(c) != 2)
            return MSG_OFFSET;
        int hh = take_digits(c, 2);
        if (!eat(c, ':') || digit_run(c) != 2)
            return MSG_OFFSET;
        int mm = take_digits(c, 2);
        if (hh > 23 || mm > 59)
            return MSG_OFFSET_RANGE;
        f->off_min = hh * 60 + mm;
    }
    f->off_min *= sign;
    return NULL;
}

static char ascii_lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* Whether the input from `from` to its end is word (lowercase), ignoring ASCII case. */
static bool rest_is(const struct cursor *c, size_t from, const char *word)
{
    size_t n = strlen(word);
    if (c->len - from != n)
        return false;
    for (size_t k = 0; k < n; k++)
        if (ascii_lower(c->s[from + k]) != word[k])
            return false;
    return true;
}

/* Explains whatever follows a complete date or date-time (has_time) that has no zone. */
static const char *explain_rest(const struct cursor *c, bool has_time)
{
    size_t i = c->i;
    while (i < c->len && c->s[i] == ' ')
        i++;
    if (i == c->len)
        return MSG_TRAILING;
    char ch = c->s[i];
    if (i > c->i && (ch == 'Z' || ch == 'z' || ch == '+' || ch == '-'))
        return MSG_SPACE_ZONE;
    if (has_time && (rest_is(c, i, "am") || rest_is(c, i, "pm") || rest_is(c, i, "a.m.") ||
                     rest_is(c, i, "p.m.")))
        return MSG_AMPM;
    /* a zone is written as a word of 3 or more letters: UTC, CEST, Europe/Paris */
    size_t j = i;
    while (j < c->len && (is_alpha(c->s[j]) || c->s[j] == '/' || c->s[j] == '_'))
        j++;
    if (j < c->len || j - i < 3 || !is_alpha(ch))
        return MSG_TRAILING;
    if (!has_time)
        return MSG_DATE_ZONE;
    return rest_is(c, i, "utc") || rest_is(c, i, "gmt") ? MSG_UTC_WORD : MSG_ZONE_NAME;
}

/* Everything after the date: the time, its fraction and its zone. */
static const char *parse_after_date(struct cursor *c, struct fields *f)
{
    char sep = peek(c);
    if (sep == '+' || sep == '-' || sep == 'Z' || sep == 'z')
        return MSG_DATE_OFFSET;
    bool word_next = c->i + 1 < c->len && is_alpha(c->s[c->i + 1]);
    if ((sep != ' ' && sep != 'T' && sep != 't') || (sep == ' ' && word_next))
        return explain_rest(c, false);
    c->i++;
    const char *why = parse_clock(c, f);
    if (!why)
        why = parse_fraction(c, f);
    size_t zone_at = c->i;
    if (!why)
        why = parse_zone(c, f);
    if (!why && !at_end(c))
        why = c->i > zone_at ? MSG_TRAILING : explain_rest(c, true);
    return why;
}

static const char *parse_fields(const char *s, size_t len, struct fields *f)
{
    const char *why = check_shape(s, len);
    if (why)
        return why;
    struct cursor c = {s, len, 0};
    why = parse_date(&c, f);
    if (why || at_end(&c))
        return why;
    return parse_after_date(&c, f);
}

int hd_time_parse(const char *s, size_t len, int64_t *out_ms, const char **why)
{
    struct fields f = {0};
    const char *msg = parse_fields(s, len, &f);
    if (!msg) {
        int64_t secs = days_from_civil(f.year, f.month, f.day) * 86400 + f.hour * 3600 +
                       f.minute * 60 + f.second - (int64_t)f.off_min * 60;
        int64_t ms = secs * 1000 + f.ms;
        if (ms < 0 || ms > HD_TIME_MAX_MS)
            msg = MSG_UTC_RANGE;
        else
            *out_ms = ms;
    }
    if (msg && why)
        *why = msg;
    return msg ? HD_E_VALIDATION : 0;
}

/* Writes v (>= 0) with at least width digits; returns the end. */
static char *put_num(char *p, int64_t v, int width)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (int k = n; k < width; k++)
        *p++ = '0';
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

void hd_time_format(int64_t ms, char out[HD_TIME_BUF])
{
    /* floor division, so times before 1970 still format sensibly */
    int64_t days = ms / HD_MS_PER_DAY, rem = ms % HD_MS_PER_DAY;
    if (rem < 0) {
        rem += HD_MS_PER_DAY;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    char *p = out;
    if (y < 0)
        *p++ = '-';
    p = put_num(p, y < 0 ? -y : y, 4);
    *p++ = '-';
    p = put_num(p, m, 2);
    *p++ = '-';
    p = put_num(p, d, 2);
    *p++ = 'T';
    p = put_num(p, rem / 3600000, 2);
    *p++ = ':';
    p = put_num(p, rem / 60000 % 60, 2);
    *p++ = ':';
    p = put_num(p, rem / 1000 % 60, 2);
    if (rem % 1000 != 0) {
        *p++ = '.';
        p = put_num(p, rem % 1000, 3);
    }
    *p++ = 'Z';
    *p = '\0';
}
