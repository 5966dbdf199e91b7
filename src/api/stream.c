/* stream.c: GET /v1/me/stream, the end user's live feed as Server-Sent Events (SPEC §6, WHATWG
 * HTML §9.2). A client that reconnects with Last-Event-ID first gets what it missed, then live
 * events; the hub skips any live event it already got, so there are no gaps and no repeats. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/events.h"
#include "core/time.h"
#include "http/http.h"

#define REPLAY_MAX 1000 /* per connection; a client further behind reconnects for the rest */

static void on_close(void *client)
{
    hd_hub_leave(client);
}

/* The Last-Event-ID header, or ?lastEventId= where a client cannot set headers; -1 without. */
static int64_t last_event_id(const struct hd_req *req)
{
    struct hd_slice h = hd_slice_trim(hd_req_header(req, "last-event-id"));
    const char *text = h.ptr ? hd_arena_slice(req->arena, h) : hd_req_query(req, "lastEventId");
    if (!text || !*text)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    return errno || *end || v < 0 ? -1 : (int64_t)v;
}

/* Appends to res what the client missed since last; returns the seq it is now at. Sets *more
 * when it is further behind than one connection replays. */
static int replay(struct hd_req *req, struct hd_res *res, int64_t last, int64_t *at, bool *more)
{
    struct hd_app *app = hd_app_of(req);
    struct hd_stream_event *evs = hd_arena_alloc(req->arena, REPLAY_MAX * sizeof(*evs));
    size_t n;
    int err = hd_store_events_since(app->store, req->who.system_id, req->who.end_user_id, last,
                                    req->arena, evs, REPLAY_MAX, &n);
    *at = last;
    for (size_t i = 0; !err && i < n; i++) {
        hd_buf_puts(&res->body, hd_events_format(req->arena, evs[i].kind, evs[i].seq, &evs[i].n));
        *at = evs[i].seq;
    }
    *more = n == REPLAY_MAX;
    return err;
}

int hd_api_me_stream(struct hd_req *req, struct hd_res *res)
{
    struct hd_app *app = hd_app_of(req);
    const char **audiences;
    size_t n_aud;
    int64_t last = last_event_id(req), at;
    bool more = false;
    /* rule-based audiences: this user's memberships as their attributes are now */
    int err = hd_store_end_user_refresh_rules(app->store, req->who.system_id, req->who.end_user_id,
                                              hd_time_now_ms());
    if (!err)
        err = hd_store_user_audiences(app->store, req->who.system_id, req->who.end_user_id,
                                      req->arena, &audiences, HD_HUB_AUDIENCES_MAX, &n_aud);
    static const char hello[] = "retry: 3000\n: connected\n\n"; /* reconnect after 3 s */
    hd_res_bytes(res, 200, "text/event-stream", hello, sizeof(hello) - 1);
    if (!err)
        err =
            last >= 0 ? replay(req, res, last, &at, &more) : hd_store_events_last(app->store, &at);
    if (err) {
        hd_res_reset(res);
        return err;
    }
    hd_res_header(res, "X-Accel-Buffering", "no");
    if (more) { /* the rest on the next connection, from the last id sent */
        res->close = true;
        return 0;
    }
    struct hd_conn *c = hd_req_stream(req, res);
    struct hd_hub_client *client =
        hd_hub_join(app->hub, c, req->who.system_id, req->who.end_user_id, audiences, n_aud, at);
    hd_stream_on_close(c, on_close, client);
    return 0;
}
