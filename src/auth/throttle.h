/* throttle.h: slows down repeated failed client authentications (SPEC §2).
 *
 * Failures are counted per key (a client id, a remote address) in a fixed window. Past the
 * limit, further failures from that key answer 429 with Retry-After. Successes are never
 * delayed or refused: the check happens only after a failed verification. The table has a fixed
 * number of slots, so an attacker spraying keys cannot grow memory. Thread-safe. */
#ifndef HD_AUTH_THROTTLE_H
#define HD_AUTH_THROTTLE_H

#include <stdint.h>

struct hd_throttle;

/* limit failures per key within window_ms. Release with hd_throttle_destroy(). */
struct hd_throttle *hd_throttle_create(unsigned limit, int64_t window_ms);
void hd_throttle_destroy(struct hd_throttle *t);
/* Records a failure for key; returns 0 while under the limit, else the seconds to wait. */
int hd_throttle_fail(struct hd_throttle *t, const char *key, int64_t now_ms);

#endif
