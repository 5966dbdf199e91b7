/* time.h: wall-clock time, and the date formats of SPEC §3.
 *
 * Times are int64 milliseconds since the Unix epoch, UTC, everywhere in herald. */
#ifndef HD_CORE_TIME_H
#define HD_CORE_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define HD_MS_PER_DAY (86400LL * 1000)
/* The last instant hd_time_parse accepts, 9999-12-31T23:59:59.999Z; the first is 0. */
#define HD_TIME_MAX_MS 253402300799999LL

int64_t hd_time_now_ms(void);
/* Monotonic clock in milliseconds, for timeouts. */
int64_t hd_time_mono_ms(void);
/* Monotonic clock in microseconds, for measuring. */
int64_t hd_time_mono_us(void);

/* Parses one of the SPEC §3 forms: YYYY-MM-DD, YYYY-MM-DD hh:mm, YYYY-MM-DD hh:mm:ss, or
 * YYYY-MM-DDThh:mm[:ss[.fraction]], each with an optional Z, ±hh:mm or ±hhmm (no offset: UTC).
 * T/t and Z/z are alike and a space may stand for T, fractions included (RFC 3339 §5.6 NOTE);
 * a fraction has 1..9 digits, of which milliseconds are kept (the rest truncated); a date alone
 * takes no offset. Calendar-checked (leap years; no Feb 30, 24:00, minute 60, nor leap second
 * :60); years 1970..9999 as written, and the instant in UTC must lie in 0..HD_TIME_MAX_MS.
 * Returns 0 and sets *out_ms, or HD_E_VALIDATION and sets *why to a static sentence that says
 * what is wrong (e.g. "April has 30 days"). Reads exactly len bytes, never past. */
int hd_time_parse(const char *s, size_t len, int64_t *out_ms, const char **why) HD_WUR;

/* Writes RFC 3339 UTC with Z ("2026-12-01T09:00:00Z"; ".123" before Z when ms is not whole)
 * into out, which holds at least HD_TIME_BUF bytes. Any int64 formats (proleptic Gregorian);
 * outside 0..HD_TIME_MAX_MS the year has a sign or more than 4 digits, which is not RFC 3339. */
#define HD_TIME_BUF 32
void hd_time_format(int64_t ms, char out[HD_TIME_BUF]);

#endif
