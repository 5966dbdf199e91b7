/* api.h: the handlers of the route table, one file per resource (SPEC §2–§6). Each follows
 * hd_handler_fn: it reads req (already authenticated by the guard) and answers into res. */
#ifndef HD_API_API_H
#define HD_API_API_H

#include "http/request.h"
#include "http/response.h"
#include "store/store.h"

int hd_api_guard(struct hd_req *req, struct hd_res *res);

/* oauth.c */
int hd_api_token(struct hd_req *req, struct hd_res *res);
int hd_api_oauth_metadata(struct hd_req *req, struct hd_res *res);
/* static.c: the embedded web pages */
int hd_api_static(struct hd_req *req, struct hd_res *res);
int hd_api_root(struct hd_req *req, struct hd_res *res);
/* health.c */
int hd_api_healthz(struct hd_req *req, struct hd_res *res);
int hd_api_metrics(struct hd_req *req, struct hd_res *res);
/* systems.c */
int hd_api_system_create(struct hd_req *req, struct hd_res *res);
int hd_api_system_list(struct hd_req *req, struct hd_res *res);
int hd_api_system_get(struct hd_req *req, struct hd_res *res);
int hd_api_system_rotate_secret(struct hd_req *req, struct hd_res *res);
int hd_api_system_delete(struct hd_req *req, struct hd_res *res);
struct hd_problems;
/* List queries: ?limit= (1..HD_API_LIMIT_MAX, default HD_API_LIMIT_DEFAULT) and ?cursor=
 * (checked with cursor_ok); problems go to p. */
#define HD_API_LIMIT_DEFAULT 50
#define HD_API_LIMIT_MAX     200
void hd_api_page_query(struct hd_req *req, struct hd_problems *p,
                       bool (*cursor_ok)(struct hd_slice), size_t *limit, const char **cursor);
/* ?name=true|false (absent: false); HD_E_VALIDATION with a problem otherwise. */
int hd_api_query_bool(struct hd_req *req, struct hd_problems *p, const char *name, bool *out);
/* The key end-user tokens of sys are signed with, as the customer's backend sees it: the
 * signing secret's text (43 base64url characters), used as the HMAC key byte for byte, the way
 * JWT libraries take a string secret. */
#define HD_SIGNING_KEY_BUF 44
void hd_api_signing_key(const struct hd_system *sys, char out[HD_SIGNING_KEY_BUF]);
/* Loads the system of path parameter 0 for the caller's account, or answers 404. */
int hd_api_load_system(struct hd_req *req, struct hd_res *res, struct hd_system *out);
/* templates.c */
/* "push" or "popup" for s in any case, else NULL. */
const char *hd_api_notification_type(const char *s);
int hd_api_template_create(struct hd_req *req, struct hd_res *res);
int hd_api_template_get(struct hd_req *req, struct hd_res *res);
int hd_api_template_list(struct hd_req *req, struct hd_res *res);
int hd_api_template_update(struct hd_req *req, struct hd_res *res);
int hd_api_template_archive(struct hd_req *req, struct hd_res *res);
int hd_api_template_duplicate(struct hd_req *req, struct hd_res *res);
int hd_api_template_preview(struct hd_req *req, struct hd_res *res);
/* end_users.c */
int hd_api_end_user_put(struct hd_req *req, struct hd_res *res);
int hd_api_end_user_token(struct hd_req *req, struct hd_res *res);
int hd_api_end_user_get(struct hd_req *req, struct hd_res *res);
int hd_api_end_user_list(struct hd_req *req, struct hd_res *res);
int hd_api_end_user_delete(struct hd_req *req, struct hd_res *res);
int hd_api_end_user_bulk(struct hd_req *req, struct hd_res *res);
/* Why s (len bytes) is not an end-user id (1..256 bytes, no NUL or control characters, not a
 * documentation sample like "<end user id>"), or NULL when it is one. */
const char *hd_api_end_user_id_problem(const char *s, size_t len);
/* audiences.c */
int hd_api_audience_create(struct hd_req *req, struct hd_res *res);
int hd_api_audience_list(struct hd_req *req, struct hd_res *res);
int hd_api_audience_get(struct hd_req *req, struct hd_res *res);
int hd_api_audience_delete(struct hd_req *req, struct hd_res *res);
int hd_api_audience_members_add(struct hd_req *req, struct hd_res *res);
int hd_api_audience_member_remove(struct hd_req *req, struct hd_res *res);
int hd_api_audience_preview(struct hd_req *req, struct hd_res *res);
/* notifications.c */
int hd_api_notification_create(struct hd_req *req, struct hd_res *res);
/* notifications_admin.c (SPEC §4) */
int hd_api_notification_list(struct hd_req *req, struct hd_res *res);
int hd_api_notification_get(struct hd_req *req, struct hd_res *res);
int hd_api_notification_cancel(struct hd_req *req, struct hd_res *res);
/* api_keys.c */
int hd_api_key_create(struct hd_req *req, struct hd_res *res);
int hd_api_key_list(struct hd_req *req, struct hd_res *res);
int hd_api_key_revoke(struct hd_req *req, struct hd_res *res);
int hd_api_key_rotate(struct hd_req *req, struct hd_res *res);
/* stream.c */
int hd_api_me_stream(struct hd_req *req, struct hd_res *res);
/* me.c */
int hd_api_me_notifications(struct hd_req *req, struct hd_res *res);
int hd_api_me_seen(struct hd_req *req, struct hd_res *res);
int hd_api_me_clicked(struct hd_req *req, struct hd_res *res);
int hd_api_me_dismissed(struct hd_req *req, struct hd_res *res);

#endif
