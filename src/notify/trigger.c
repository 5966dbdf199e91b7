/* trigger.c: defaults, override rules and rendering of one trigger. */
#include "notify/trigger.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/time.h"
#include "core/url.h"

/* Every placeholder the texts will need: the template's, and any in the runtime texts. */
static void needed_placeholders(const struct hd_trigger *t, const struct hd_template *tpl,
                                struct hd_placeholders *ph)
{
    const char *texts[] = {t->runtime_title ? t->runtime_title : tpl->title,
                           t->runtime_description ? t->runtime_description : tpl->description,
                           tpl->button_text, tpl->button_url};
    for (size_t i = 0; i < 4; i++)
        if (texts[i] && hd_render_extract(texts[i], strlen(texts[i]), ph))
            return; /* more than the cap: the excess shows up as missing below */
}

static void list_names(const struct hd_placeholders *ph, struct hd_buf *out)
{
    if (ph->n == 0) {
        hd_buf_puts(out, "none");
        return;
    }
    for (size_t i = 0; i < ph->n; i++)
        hd_buf_printf(out, "%s%s", i ? ", " : "", ph->names[i]);
}

static bool overridden(const struct hd_trigger *t, const char *name)
{
    for (size_t i = 0; i < t->n_overrides; i++)
        if (hd_slice_eq(t->overrides[i].name, name))
            return true;
    return false;
}

static void check_overrides(const struct hd_trigger *t, const struct hd_placeholders *ph,
                            struct hd_problems *p)
{
    struct hd_buf names = {0}, missing = {0};
    list_names(ph, &names);
    hd_buf_append(&names, "", 1);
    for (size_t i = 0; i < t->n_overrides; i++) {
        struct hd_slice k = t->overrides[i].name;
        if (hd_render_has(ph, k.ptr, k.len))
            continue;
        char field[64];
        snprintf(field, sizeof(field), "notification.override[%zu].key", i);
        hd_problem(p, field,
                   "`%.*s` is not a placeholder of the template; its placeholders are: %s",
                   (int)k.len, k.ptr, names.data);
    }
    for (size_t i = 0; i < ph->n; i++)
        if (!overridden(t, ph->names[i]))
            hd_buf_printf(&missing, "%s%s", missing.len ? ", " : "", ph->names[i]);
    if (missing.len) {
        hd_buf_append(&missing, "", 1);
        hd_problem(p, "notification.override",
                   "no value for the placeholder(s) %s; add {\"key\": \"NAME\", \"value\": \"…\"} "
                   "for each (the template's placeholders are: %s)",
                   missing.data, names.data);
    }
    hd_buf_free(&names);
    hd_buf_free(&missing);
}

static const char *render(struct hd_arena *ar, const char *text, const struct hd_trigger *t,
                          struct hd_problems *p, const char *field)
{
    if (!text)
        return NULL;
    const char *out = hd_render(ar, text, strlen(text), t->overrides, t->n_overrides);
    if (!out)
        hd_problem(p, field, "is longer than %d bytes once the overrides are filled in",
                   HD_RENDER_MAX_OUT);
    return out;
}

static void prepare_dates(const struct hd_trigger *t, int64_t now, struct hd_problems *p,
                          struct hd_notification *n)
{
    n->start_at = t->has_start ? t->start_at : now;
    n->end_at = t->has_end ? t->end_at : n->start_at + HD_DEFAULT_DURATION_MS;
    char start[HD_TIME_BUF], end[HD_TIME_BUF];
    hd_time_format(n->start_at, start);
    hd_time_format(n->end_at, end);
    /* a startAt the caller did not write is not quoted back to them */
    if (n->end_at <= n->start_at && t->has_start)
        hd_problem(p, "notification.endAt", "%s is not after startAt (%s); endAt must be later",
                   end, start);
    else if (n->end_at <= now)
        hd_problem(p, "notification.endAt",
                   "%s is in the past; the notification would never show (times are UTC unless "
                   "they carry an offset)",
                   end);
}

int hd_trigger_prepare(const struct hd_trigger *t, const struct hd_template *tpl, int64_t now,
                       struct hd_arena *ar, struct hd_problems *p, struct hd_notification *n)
{
    struct hd_placeholders ph = {0};
    needed_placeholders(t, tpl, &ph);
    check_overrides(t, &ph, p);
    prepare_dates(t, now, p, n);
    n->type = t->type ? t->type : tpl->type;
    n->title = t->title ? t->title : tpl->name;
    n->runtime_title = render(ar, t->runtime_title ? t->runtime_title : tpl->title, t, p,
                              "notification.runtimeTitle");
    n->runtime_description =
        render(ar, t->runtime_description ? t->runtime_description : tpl->description, t, p,
               "notification.runtimeDescription");
    n->button_text = render(ar, tpl->button_text, t, p, "notification.override");
    n->button_url = render(ar, tpl->button_url, t, p, "notification.override");
    if (n->button_url && !hd_problems_any(p) && !hd_url_is_http(n->button_url))
        hd_problem(p, "notification.override",
                   "the button URL becomes \"%.200s\", which is not an http:// or https:// URL; "
                   "give the placeholder in it a value such as https://example.com/page",
                   n->button_url);
    n->created_at = now;
    return hd_problems_any(p) ? HD_E_VALIDATION : 0;
}
