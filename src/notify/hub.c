/* hub.c: two chained hash indexes of doubly-linked nodes (O(1) leave), keyed by
 * "system/user" and by audience id. A client delivered an event remembers its seq, so reaching
 * it through several keys still writes the event once. */
#include "notify/hub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "http/http.h"

#define SLOTS 4096 /* per index; chains stay short up to tens of thousands of clients */

struct node {
    struct node *prev, *next;
    uint64_t hash;
    const char *key;
    struct hd_hub_client *client;
};

struct hd_hub_client {
    struct hd_hub *hub;
    struct hd_conn *conn;
    int64_t last_seq;
    char *user_key; /* "system/user" */
    struct node user;
    size_t n_audiences;
    struct node *audiences; /* their keys point into the copied ids below */
    char **audience_ids;
};

struct hd_hub {
    struct node *users[SLOTS], *audiences[SLOTS];
    size_t count;
};

static uint64_t hash_of(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void link_node(struct node **table, struct node *n, const char *key, struct hd_hub_client *c)
{
    n->key = key;
    n->hash = hash_of(key);
    n->client = c;
    struct node **head = &table[n->hash % SLOTS];
    n->prev = NULL;
    n->next = *head;
    if (*head)
        (*head)->prev = n;
    *head = n;
}

static void unlink_node(struct node **table, struct node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        table[n->hash % SLOTS] = n->next;
    if (n->next)
        n->next->prev = n->prev;
}

struct hd_event *hd_event_new(void)
{
    struct hd_event *ev = hd_xcalloc(1, sizeof(*ev));
    atomic_init(&ev->refs, 1);
    ev->arena = hd_arena_create();
    return ev;
}

void hd_event_ref(struct hd_event *ev)
{
    atomic_fetch_add(&ev->refs, 1);
}

void hd_event_unref(struct hd_event *ev)
{
    if (ev && atomic_fetch_sub(&ev->refs, 1) == 1) {
        free(atomic_load(&ev->text));
        hd_arena_destroy(ev->arena);
        free(ev);
    }
}

const struct hd_event_text *hd_event_text(const struct hd_event *ev)
{
    struct hd_event *e = (struct hd_event *)ev; /* only text is written, once */
    struct hd_event_text *t = atomic_load(&e->text), *none = NULL;
    if (t)
        return t;
    t = ev->format(ev);
    if (atomic_compare_exchange_strong(&e->text, &none, t))
        return t;
    free(t); /* another loop made it first */
    return none;
}

struct hd_hub *hd_hub_create(void)
{
    return hd_xcalloc(1, sizeof(struct hd_hub));
}

void hd_hub_destroy(struct hd_hub *hub)
{
    free(hub);
}

size_t hd_hub_count(const struct hd_hub *hub)
{
    return hub->count;
}

struct hd_hub_client *hd_hub_join(struct hd_hub *hub, struct hd_conn *conn, const char *system_id,
                                  const char *user_id, const char *const *audiences, size_t n,
                                  int64_t last_seq)
{
    struct hd_hub_client *c = hd_xcalloc(1, sizeof(*c));
    c->hub = hub;
    c->conn = conn;
    c->last_seq = last_seq;
    size_t klen = strlen(system_id) + strlen(user_id) + 2;
    c->user_key = hd_xmalloc(klen);
    snprintf(c->user_key, klen, "%s/%s", system_id, user_id);
    link_node(hub->users, &c->user, c->user_key, c);
    c->n_audiences = n < HD_HUB_AUDIENCES_MAX ? n : HD_HUB_AUDIENCES_MAX;
    c->audiences = hd_xcalloc(c->n_audiences + 1, sizeof(*c->audiences));
    c->audience_ids = hd_xcalloc(c->n_audiences + 1, sizeof(*c->audience_ids));
    for (size_t i = 0; i < c->n_audiences; i++) {
        c->audience_ids[i] = hd_xstrdup(audiences[i]);
        link_node(hub->audiences, &c->audiences[i], c->audience_ids[i], c);
    }
    hub->count++;
    return c;
}

void hd_hub_leave(struct hd_hub_client *c)
{
    struct hd_hub *hub = c->hub;
    unlink_node(hub->users, &c->user);
    for (size_t i = 0; i < c->n_audiences; i++) {
        unlink_node(hub->audiences, &c->audiences[i]);
        free(c->audience_ids[i]);
    }
    free(c->audiences);
    free(c->audience_ids);
    free(c->user_key);
    free(c);
    hub->count--;
}

/* Writes ev to every client in key's chain, once each. A client dropped as too slow leaves the
 * hub inside hd_stream_send (its connection closes), so the next node is read first. */
static void deliver_chain(struct node **table, const char *key, const struct hd_event *ev)
{
    uint64_t h = hash_of(key);
    for (struct node *n = table[h % SLOTS], *next; n; n = next) {
        next = n->next;
        struct hd_hub_client *c = n->client;
        if (n->hash != h || strcmp(n->key, key) != 0 || c->last_seq >= ev->seq)
            continue;
        c->last_seq = ev->seq;
        const struct hd_event_text *t = hd_event_text(ev);
        hd_stream_send(c->conn, t->bytes, t->len);
    }
}

void hd_hub_deliver(struct hd_hub *hub, const struct hd_event *ev)
{
    char key[HD_SYSTEM_ID_BUF + 260];
    if (!hub->count)
        return; /* no client on this loop */
    size_t sys = strlen(ev->system_id);
    memcpy(key, ev->system_id, sys);
    key[sys] = '/';
    for (size_t i = 0; i < ev->n_users; i++) {
        size_t len = strlen(ev->users[i]);
        if (sys + 1 + len >= sizeof(key))
            continue; /* longer than any end-user id herald accepts: no client has it */
        memcpy(key + sys + 1, ev->users[i], len + 1);
        deliver_chain(hub->users, key, ev);
    }
    for (size_t i = 0; i < ev->n_audiences; i++)
        deliver_chain(hub->audiences, ev->audiences[i], ev);
}

void hd_hub_heartbeat(struct hd_hub *hub)
{
    static const char beat[] = ": heartbeat\n\n"; /* WHATWG SSE: a comment line */
    for (size_t i = 0; i < SLOTS; i++)
        for (struct node *n = hub->users[i], *next; n; n = next) {
            next = n->next;
            hd_stream_send(n->client->conn, beat, sizeof(beat) - 1);
        }
}
