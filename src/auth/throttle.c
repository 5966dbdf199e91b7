/* throttle.c: an open-addressed table of 4096 slots keyed by a hash of the key; a slot whose
 * window has passed is reused, and a full neighbourhood evicts its oldest slot. */
#include "auth/throttle.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define SLOTS 4096
#define PROBE 8

struct slot {
    uint64_t hash;
    int64_t window_start;
    unsigned events; /* in this window: failures, or triggers */
};

struct hd_throttle {
    pthread_mutex_t lock;
    unsigned limit;
    int64_t window_ms;
    struct slot slots[SLOTS];
};

struct hd_throttle *hd_throttle_create(unsigned limit, int64_t window_ms)
{
    struct hd_throttle *t = hd_xcalloc(1, sizeof(*t));
    pthread_mutex_init(&t->lock, NULL);
    t->limit = limit;
    t->window_ms = window_ms;
    return t;
}

void hd_throttle_destroy(struct hd_throttle *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h | 1; /* 0 marks an empty slot */
}

static struct slot *find_slot(struct hd_throttle *t, uint64_t h, int64_t now)
{
    struct slot *oldest = NULL;
    for (unsigned i = 0; i < PROBE; i++) {
        struct slot *s = &t->slots[(h + i) % SLOTS];
        if (s->hash == h)
            return s;
        bool stale = s->hash == 0 || now - s->window_start >= t->window_ms;
        if (stale || !oldest || s->window_start < oldest->window_start)
            oldest = s;
        if (stale)
            break;
    }
    *oldest = (struct slot){.hash = h, .window_start = now, .events = 0};
    return oldest;
}

int hd_throttle_count(struct hd_throttle *t, const char *key, int64_t now_ms,
                      struct hd_throttle_state *st)
{
    uint64_t h = fnv1a(key);
    pthread_mutex_lock(&t->lock);
    struct slot *s = find_slot(t, h, now_ms);
    if (now_ms - s->window_start >= t->window_ms) {
        s->window_start = now_ms;
        s->events = 0;
    }
    if (s->events <= t->limit)
        s->events++; /* past the limit the count stays: it only has to say "over" */
    int reset = (int)((s->window_start + t->window_ms - now_ms + 999) / 1000);
    bool over = s->events > t->limit;
    st->limit = t->limit;
    st->remaining = over ? 0 : t->limit - s->events;
    pthread_mutex_unlock(&t->lock);
    st->reset_s = reset < 1 ? 1 : reset;
    return over ? st->reset_s : 0;
}

int hd_throttle_fail(struct hd_throttle *t, const char *key, int64_t now_ms)
{
    struct hd_throttle_state st;
    return hd_throttle_count(t, key, now_ms, &st);
}
