/* events.h: the stream's events (SPEC §6): recording a notification's start and end through the
 * group-commit writer (at once, or when due), and publishing each recorded event to every event
 * loop's hub. All events are recorded on the writer thread, so their seqs, which clients use as
 * Last-Event-ID, are published in order; with several nodes (PostgreSQL) seqs follow commit
 * order across nodes and the relay (api/relay.h) delivers them. */
#ifndef HD_API_EVENTS_H
#define HD_API_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "api/app.h"
#include "notify/hub.h"

/* The SSE text of an event about n: "notification" with the feed item, or "retract". Takes
 * the targets to route it by. Returns a new event (one reference). */
struct hd_event *hd_events_build(const char *kind, int64_t seq, const struct hd_notification *n,
                                 const char *const *users, size_t n_users,
                                 const char *const *audiences, size_t n_audiences);
/* The SSE text of one event (WHATWG SSE: id, event and one data line), from the arena. */
const char *hd_events_format(struct hd_arena *ar, const char *kind, int64_t seq,
                             const struct hd_notification *n);
/* Hands ev to every loop's hub (taking a reference each); the caller keeps its own. Any thread.
 * With a relay (api/relay.h) only the relay calls it, for every node's events, this one's
 * included: the writer then builds none. */
void hd_events_publish(struct hd_app_shared *shared, struct hd_event *ev);
/* Records the start (or end) of notification id at `at` (wall ms) on the writer, then publishes
 * it; a start schedules the end. Any thread. */
void hd_events_schedule(struct hd_app_shared *shared, const char *id, int64_t at, bool start);
/* On server start: schedules every start and end not yet recorded, including those that became
 * due while the server was down. */
int hd_events_resume(struct hd_app_shared *shared, struct hd_store *s) HD_WUR;

#endif
