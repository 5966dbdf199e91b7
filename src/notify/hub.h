/* hub.h: the end users connected to one event loop, and delivering events to them (SPEC §6).
 *
 * Each loop thread has its own hub and touches only it: an event published once is handed to
 * every loop (a reference each), and each loop writes it to its own clients. Clients are indexed
 * by (system, end user) and by each audience they belong to, so an event costs work in
 * proportion to the clients it reaches, not to the size of its audiences. */
#ifndef HD_NOTIFY_HUB_H
#define HD_NOTIFY_HUB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/ids.h"

#define HD_HUB_AUDIENCES_MAX 256 /* audiences indexed per client */

/* An event's SSE text, "id: …\nevent: …\ndata: …\n\n", of len bytes. */
struct hd_event_text {
    size_t len;
    char bytes[];
};

/* One event as every client receives it: whom it is for, and its SSE text. Immutable once
 * published (but for the text, made once); freed by the last hd_event_unref.
 *
 * The text is made by format(ev) the first time a loop has a client to send it to, so an
 * event that no connected client is targeted by costs no formatting. Two loops may format it
 * at once: the first to finish installs its text, the other frees its own. */
struct hd_event {
    atomic_int refs;
    int64_t seq;
    char system_id[HD_SYSTEM_ID_BUF];
    const char **users, **audiences;
    size_t n_users, n_audiences;
    struct hd_event_text *(*format)(const struct hd_event *ev); /* a malloc'd text */
    const void *data;                                           /* what format reads */
    _Atomic(struct hd_event_text *) text;                       /* NULL until made */
    struct hd_arena *arena;                                     /* owns everything above but text */
};

/* A new event with one reference and an arena for its contents. */
struct hd_event *hd_event_new(void);
void hd_event_ref(struct hd_event *ev);
void hd_event_unref(struct hd_event *ev);
/* The event's text, made on first use (any thread). */
const struct hd_event_text *hd_event_text(const struct hd_event *ev);

struct hd_hub;
struct hd_hub_client;
struct hd_conn;

struct hd_hub *hd_hub_create(void);
/* Every client must have left (their connections are closed before the hub goes). */
void hd_hub_destroy(struct hd_hub *hub);

/* Registers a stream: it gets events for (system_id, user_id) and for the audiences given,
 * with seq greater than last_seq (what it already has). Strings are copied. */
struct hd_hub_client *hd_hub_join(struct hd_hub *hub, struct hd_conn *conn, const char *system_id,
                                  const char *user_id, const char *const *audiences, size_t n,
                                  int64_t last_seq);
void hd_hub_leave(struct hd_hub_client *client);
/* Writes ev to each client it targets, once per client. */
void hd_hub_deliver(struct hd_hub *hub, const struct hd_event *ev);
/* Writes an SSE comment to every client, so proxies and clients know the stream lives. */
void hd_hub_heartbeat(struct hd_hub *hub);
size_t hd_hub_count(const struct hd_hub *hub);

#endif
