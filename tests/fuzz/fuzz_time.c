/* fuzz_time.c: libFuzzer target for hd_time_parse and hd_time_format.
 *
 * The input is parsed as a date. Invariants, each checked with abort(): a parse returns 0 or
 * HD_E_VALIDATION with a non-empty reason and leaves *out_ms alone on error; an accepted instant
 * lies in 0..HD_TIME_MAX_MS, formats as RFC 3339 that parses back to the same ms, and agrees
 * with libc's timegm. The first 8 bytes, read as an int64, must format without overflow, and
 * taken modulo the range, must round-trip and agree with timegm too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/time.h"

static void check_format(int64_t ms)
{
    char out[HD_TIME_BUF];
    memset(out, 'x', sizeof(out));
    hd_time_format(ms, out);
    if (!memchr(out, '\0', sizeof(out)))
        abort();
    if (ms < 0 || ms > HD_TIME_MAX_MS)
        return;
    int64_t back = -1;
    const char *why = NULL;
    if (hd_time_parse(out, strlen(out), &back, &why) != 0 || back != ms)
        abort();
}

/* The formatted fields, read back with sscanf and converted by libc, must give ms. */
static void check_against_libc(int64_t ms)
{
    char out[HD_TIME_BUF];
    hd_time_format(ms, out);
    struct tm tm = {0};
    if (sscanf(out, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        abort();
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    if ((int64_t)timegm(&tm) != (ms - ms % 1000) / 1000)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t ms = INT64_MIN;
    const char *why = NULL;
    int rc = hd_time_parse((const char *)data, size, &ms, &why);
    if (rc == 0) {
        if (ms < 0 || ms > HD_TIME_MAX_MS)
            abort();
        check_format(ms);
        check_against_libc(ms);
    } else if (rc != HD_E_VALIDATION || !why || !why[0] || ms != INT64_MIN) {
        abort();
    }
    if (size >= 8) {
        int64_t raw;
        memcpy(&raw, data, sizeof(raw));
        check_format(raw);
        int64_t in_range = (int64_t)((uint64_t)raw % (uint64_t)(HD_TIME_MAX_MS + 1));
        check_format(in_range);
        check_against_libc(in_range);
    }
    return 0;
}
