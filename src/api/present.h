/* present.h: the JSON shapes of domain objects in responses (one place, so every route shows
 * a resource the same way). Each returns a new reference. */
#ifndef HD_API_PRESENT_H
#define HD_API_PRESENT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* RFC 3339 UTC string, or JSON null for 0. */
json_t *hd_present_time(int64_t ms);
json_t *hd_present_system(const struct hd_system *s);
json_t *hd_present_template(const struct hd_template *t);
/* The template with "locked" (used by a notification: edits are refused), "archived",
 * "updatedAt", "lockedAt" and "archivedAt". */
json_t *hd_present_template_admin(const struct hd_template_admin *a);
/* The end user's view of a notification (SPEC §6 item). */
json_t *hd_present_feed_item(const struct hd_feed_item *it, int64_t now);
/* The console's view of a notification (SPEC §4): a row of the notification table, its status
 * computed at now; with stats (non-NULL), the whole notification: also its description, button
 * and {"targeted","received","seen","clicked","dismissed"}. */
json_t *hd_present_notification(const struct hd_notification *n,
                                const struct hd_notification_stats *stats, int64_t now);
/* An end user: {"id","systemId","name","email","attributes","createdAt","updatedAt"}. */
json_t *hd_present_end_user(const struct hd_end_user *u);
/* An audience: {"id","systemId","name","size","rules" (null for an explicit list),"createdAt",
 * "updatedAt","evaluatedAt" (a rule audience's last full evaluation, else null)}. */
json_t *hd_present_audience(const struct hd_audience *a);
/* {"items": items, "nextCursor": cursor or null}, taking items. */
json_t *hd_present_page(json_t *items, const char *next_cursor);

#endif
