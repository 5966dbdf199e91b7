/* accept.h: accepting a prepared trigger (SPEC §3): the Idempotency-Key rules, then the write
 * through the group-commit writer, answering 202 only after the commit. */
#ifndef HD_API_ACCEPT_H
#define HD_API_ACCEPT_H

#include <stddef.h>
#include <stdint.h>

#include "auth/throttle.h"
#include "http/request.h"
#include "http/response.h"
#include "store/store.h"

#define HD_IDEMPOTENCY_KEY_MAX 255
#define HD_IDEMPOTENCY_TTL_MS  (24 * 3600 * 1000LL)

/* What will be written (n->created_at is the trigger's time). */
struct hd_accept {
    const struct hd_notification *n;
    const char *const *users;
    size_t n_users;
    const char *const *audiences;
    size_t n_audiences;
    struct hd_throttle_state limit; /* the key's rate limit (limit 0: none), for its headers */
};

/* RateLimit-Limit, -Remaining and -Reset (nothing when limit is 0: no limit). */
void hd_accept_limit_headers(struct hd_res *res, const struct hd_throttle_state *limit);

/* Answers a retry from the stored record when the request carries an Idempotency-Key that was
 * seen before: returns 1 (answered: the replay, or 409 for another body), 0 to go on, or an
 * error. A malformed key is a 400. */
int hd_accept_replay(struct hd_req *req, struct hd_res *res) HD_WUR;

/* Copies a, suspends the request and hands the write to the group-commit writer, which counts
 * the unknown end users for the 202's body in its transaction; the answer (202, the replay of a
 * concurrent retry's, or an error) comes after the commit. Returns HD_PENDING. */
int hd_accept_submit(struct hd_req *req, const struct hd_accept *a);

#endif
