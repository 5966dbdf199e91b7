/* present.c: response shapes. */
#include "api/present.h"

#include "core/time.h"

json_t *hd_present_time(int64_t ms)
{
    if (!ms)
        return json_null();
    char buf[HD_TIME_BUF];
    hd_time_format(ms, buf);
    return json_string(buf);
}

json_t *hd_present_system(const struct hd_system *s)
{
    return json_pack("{s:s, s:s, s:o}", "id", s->id, "name", s->name, "createdAt",
                     hd_present_time(s->created_at));
}

static json_t *button(const char *text, const char *url)
{
    if (!text && !url)
        return json_null();
    return json_pack("{s:s?, s:s?}", "text", text, "url", url);
}

json_t *hd_present_template(const struct hd_template *t)
{
    json_t *ph = json_loads(t->placeholders_json ? t->placeholders_json : "[]", 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o}", "id", t->id, "systemId",
                     t->system_id, "name", t->name, "title", t->title, "description",
                     t->description, "button", button(t->button_text, t->button_url),
                     "notificationType", t->type, "placeholders", ph ? ph : json_array(),
                     "createdAt", hd_present_time(t->created_at));
}

json_t *hd_present_template_admin(const struct hd_template_admin *a)
{
    json_t *o = hd_present_template(&a->t);
    json_object_set_new(o, "locked", json_boolean(a->locked_at != 0));
    json_object_set_new(o, "archived", json_boolean(a->archived_at != 0));
    json_object_set_new(o, "updatedAt", hd_present_time(a->updated_at));
    json_object_set_new(o, "lockedAt", hd_present_time(a->locked_at));
    json_object_set_new(o, "archivedAt", hd_present_time(a->archived_at));
    return o;
}

json_t *hd_present_feed_item(const struct hd_feed_item *it, int64_t now)
{
    const struct hd_notification *n = &it->n;
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "id", n->id,
                     "type", n->type, "title", n->runtime_title, "description",
                     n->runtime_description, "button", button(n->button_text, n->button_url),
                     "startAt", hd_present_time(n->start_at), "endAt", hd_present_time(n->end_at),
                     "receivedAt", hd_present_time(it->received_at), "seenAt",
                     hd_present_time(it->seen_at), "clickedAt", hd_present_time(it->clicked_at),
                     "dismissedAt", hd_present_time(it->dismissed_at), "expired", n->end_at <= now);
}

json_t *hd_present_notification(const struct hd_notification *n,
                                const struct hd_notification_stats *stats, int64_t now)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s}", "id", n->id,
                  "systemId", n->system_id, "templateId", n->template_id, "title", n->title,
                  "runtimeTitle", n->runtime_title, "notificationType", n->type, "status",
                  hd_notification_status(n, now), "startAt", hd_present_time(n->start_at), "endAt",
                  hd_present_time(n->end_at), "createdAt", hd_present_time(n->created_at),
                  "cancelledAt", hd_present_time(n->cancelled_at), "createdBy", n->created_by);
    if (!o || !stats)
        return o;
    json_object_set_new(o, "description",
                        n->runtime_description ? json_string(n->runtime_description) : json_null());
    json_object_set_new(o, "button", button(n->button_text, n->button_url));
    json_object_set_new(
        o, "stats",
        json_pack("{s:I, s:I, s:I, s:I, s:I}", "targeted", (json_int_t)stats->targeted, "received",
                  (json_int_t)stats->received, "seen", (json_int_t)stats->seen, "clicked",
                  (json_int_t)stats->clicked, "dismissed", (json_int_t)stats->dismissed));
    return o;
}

json_t *hd_present_page(json_t *items, const char *next_cursor)
{
    return json_pack("{s:o, s:s?}", "items", items, "nextCursor", next_cursor);
}

json_t *hd_present_end_user(const struct hd_end_user *u)
{
    json_t *attrs = json_loads(u->attributes_json ? u->attributes_json : "{}", 0, NULL);
    return json_pack("{s:s, s:s, s:s?, s:s?, s:o, s:o, s:o}", "id", u->id, "systemId", u->system_id,
                     "name", u->name, "email", u->email, "attributes",
                     attrs ? attrs : json_object(), "createdAt", hd_present_time(u->created_at),
                     "updatedAt", hd_present_time(u->updated_at));
}

json_t *hd_present_audience(const struct hd_audience *a)
{
    json_t *rules = a->rules_json ? json_loads(a->rules_json, 0, NULL) : NULL;
    return json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "id", a->id, "systemId",
                     a->system_id, "name", a->name, "size", (json_int_t)a->size, "rules",
                     rules ? rules : json_null(), "createdAt", hd_present_time(a->created_at),
                     "updatedAt", hd_present_time(a->updated_at), "evaluatedAt",
                     hd_present_time(a->evaluated_at));
}
