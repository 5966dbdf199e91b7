/* throttle.h: events counted per key in fixed windows, for the limits that answer 429 with
 * Retry-After: repeated failed client authentications per client id and address (SPEC §2, only
 * failures are counted, so a success is never delayed), and triggers per API key (SPEC §3).
 *
 * The table has a fixed number of slots, so an attacker spraying keys cannot grow memory; a
 * key evicted by others sharing its neighbourhood starts a fresh window. Thread-safe. */
#ifndef HD_AUTH_THROTTLE_H
#define HD_AUTH_THROTTLE_H

#include <stdint.h>

struct hd_throttle;

/* limit failures per key within window_ms. Release with hd_throttle_destroy(). */
struct hd_throttle *hd_throttle_create(unsigned limit, int64_t window_ms);
void hd_throttle_destroy(struct hd_throttle *t);
/* Records a failure for key; returns 0 while under the limit, else the seconds to wait. */
int hd_throttle_fail(struct hd_throttle *t, const char *key, int64_t now_ms);

/* A key's window after an event, as the RateLimit-Limit, -Remaining and -Reset headers say it. */
struct hd_throttle_state {
    unsigned limit, remaining;
    int reset_s; /* seconds until the window starts over (at least 1) */
};
/* Counts one event for key, like hd_throttle_fail, and describes its window in *st. */
int hd_throttle_count(struct hd_throttle *t, const char *key, int64_t now_ms,
                      struct hd_throttle_state *st);

#endif
