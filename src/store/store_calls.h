/* store_calls.h: the list of store.h calls that each backend implements, as an X-macro:
 * X(name, (parameters), (arguments)). store.c turns it into hd_store_NAME(), which calls
 * hd_sqlite_NAME() or hd_pg_NAME() by the connection's backend; store_impl.h declares both.
 * A new store call is declared in store.h, listed here, and written once per backend.
 * Not listed: hd_store_open and hd_store_close, and the calls made of other calls
 * (hd_store_audiences_refresh, hd_store_end_user_refresh_rules), all in store.c;
 * hd_store_rules_check (pure, rules.c). */
#ifndef HD_STORE_STORE_CALLS_H
#define HD_STORE_STORE_CALLS_H

#define HD_STORE_CALLS(X)                                                                          \
    X(batch_begin, (struct hd_store * s), (s))                                                     \
    X(batch_end, (struct hd_store * s, bool commit), (s, commit))                                  \
    X(in_savepoint,                                                                                \
      (struct hd_store * s, int (*body)(struct hd_store *, const void *), const void *arg),        \
      (s, body, arg))                                                                              \
    X(in_job,                                                                                      \
      (struct hd_store * s, int (*body)(struct hd_store *, const void *), const void *arg),        \
      (s, body, arg))                                                                              \
    X(defer_sync, (struct hd_store * s, int *fd), (s, fd))                                         \
    X(trust_references, (struct hd_store * s), (s))                                                \
    X(checkpoint, (struct hd_store * s, int64_t * log_pages, int64_t * copied_pages),              \
      (s, log_pages, copied_pages))                                                                \
    X(watch_log, (struct hd_store * s, struct hd_log_progress * p), (s, p))                        \
    X(catalog_version, (struct hd_store * s, int64_t * version), (s, version))                     \
    X(targets_move, (struct hd_store * s, size_t max, size_t * moved), (s, max, moved))            \
    X(server_secret, (struct hd_store * s, unsigned char out[HD_SECRET_LEN]), (s, out))            \
    X(account_insert, (struct hd_store * s, const struct hd_account *a), (s, a))                   \
    X(account_first, (struct hd_store * s, struct hd_arena * ar, struct hd_account * out),         \
      (s, ar, out))                                                                                \
    X(account_get,                                                                                 \
      (struct hd_store * s, const char *id, struct hd_arena *ar, struct hd_account *out),          \
      (s, id, ar, out))                                                                            \
    X(key_insert, (struct hd_store * s, const struct hd_api_key *k), (s, k))                       \
    X(key_get,                                                                                     \
      (struct hd_store * s, const char *client_id, struct hd_arena *ar, struct hd_api_key *out),   \
      (s, client_id, ar, out))                                                                     \
    X(key_list,                                                                                    \
      (struct hd_store * s, const char *account_id, struct hd_arena *ar, struct hd_api_key *out,   \
       size_t max, size_t *count),                                                                 \
      (s, account_id, ar, out, max, count))                                                        \
    X(key_revoke,                                                                                  \
      (struct hd_store * s, const char *account_id, const char *client_id, int64_t now),           \
      (s, account_id, client_id, now))                                                             \
    X(system_insert, (struct hd_store * s, const struct hd_system *sys), (s, sys))                 \
    X(system_rotate_secret,                                                                        \
      (struct hd_store * s, const char *account_id, const char *id,                                \
       const unsigned char secret[HD_SECRET_LEN]),                                                 \
      (s, account_id, id, secret))                                                                 \
    X(system_get,                                                                                  \
      (struct hd_store * s, const char *account_id, const char *id, struct hd_arena *ar,           \
       struct hd_system *out),                                                                     \
      (s, account_id, id, ar, out))                                                                \
    X(system_get_any,                                                                              \
      (struct hd_store * s, const char *id, struct hd_arena *ar, struct hd_system *out),           \
      (s, id, ar, out))                                                                            \
    X(system_list,                                                                                 \
      (struct hd_store * s, const char *account_id, struct hd_arena *ar, struct hd_system *out,    \
       size_t max, size_t *count),                                                                 \
      (s, account_id, ar, out, max, count))                                                        \
    X(template_insert, (struct hd_store * s, const struct hd_template *t), (s, t))                 \
    X(template_get,                                                                                \
      (struct hd_store * s, const char *system_id, const char *id, struct hd_arena *ar,            \
       struct hd_template *out),                                                                   \
      (s, system_id, id, ar, out))                                                                 \
    X(system_page,                                                                                 \
      (struct hd_store * s, const char *account_id, const char *after, size_t max,                 \
       struct hd_arena *ar, struct hd_system *out, size_t *count),                                 \
      (s, account_id, after, max, ar, out, count))                                                 \
    X(system_delete,                                                                               \
      (struct hd_store * s, const char *account_id, const char *id, bool cascade, int64_t now,     \
       struct hd_arena *ar, int64_t *live, const char ***cancelled),                               \
      (s, account_id, id, cascade, now, ar, live, cancelled))                                      \
    X(template_get_admin,                                                                          \
      (struct hd_store * s, const char *system_id, const char *id, struct hd_arena *ar,            \
       struct hd_template_admin *out),                                                             \
      (s, system_id, id, ar, out))                                                                 \
    X(template_list,                                                                               \
      (struct hd_store * s, const struct hd_template_query *q, struct hd_arena *ar,                \
       struct hd_template_admin *out, size_t *count),                                              \
      (s, q, ar, out, count))                                                                      \
    X(template_update, (struct hd_store * s, const struct hd_template *t, int64_t now),            \
      (s, t, now))                                                                                 \
    X(template_archive, (struct hd_store * s, const char *system_id, const char *id, int64_t now), \
      (s, system_id, id, now))                                                                     \
    X(template_uses, (struct hd_store * s, const char *system_id, const char *id, int64_t *uses),  \
      (s, system_id, id, uses))                                                                    \
    X(key_get_state,                                                                               \
      (struct hd_store * s, const char *client_id, struct hd_arena *ar, struct hd_key_state *out), \
      (s, client_id, ar, out))                                                                     \
    X(key_rotate,                                                                                  \
      (struct hd_store * s, const char *account_id, const char *client_id,                         \
       const unsigned char hash[HD_SECRET_HASH_LEN], int64_t now),                                 \
      (s, account_id, client_id, hash, now))                                                       \
    X(end_user_upsert, (struct hd_store * s, const struct hd_end_user *u, bool *created),          \
      (s, u, created))                                                                             \
    X(end_users_count_unknown,                                                                     \
      (struct hd_store * s, const char *system_id, const char *const *ids, size_t n,               \
       size_t *unknown),                                                                           \
      (s, system_id, ids, n, unknown))                                                             \
    X(audience_insert,                                                                             \
      (struct hd_store * s, const struct hd_audience *a, const char *const *member_ids, size_t n), \
      (s, a, member_ids, n))                                                                       \
    X(end_user_get,                                                                                \
      (struct hd_store * s, const char *system_id, const char *id, struct hd_arena *ar,            \
       struct hd_end_user *out),                                                                   \
      (s, system_id, id, ar, out))                                                                 \
    X(end_user_list,                                                                               \
      (struct hd_store * s, const char *system_id, const char *search, const char *after,          \
       struct hd_arena *ar, struct hd_end_user *out, size_t max, size_t *count),                   \
      (s, system_id, search, after, ar, out, max, count))                                          \
    X(end_user_delete, (struct hd_store * s, const char *system_id, const char *id),               \
      (s, system_id, id))                                                                          \
    X(end_users_upsert_many,                                                                       \
      (struct hd_store * s, const struct hd_end_user *users, size_t n, size_t *created,            \
       size_t *updated),                                                                           \
      (s, users, n, created, updated))                                                             \
    X(audience_get,                                                                                \
      (struct hd_store * s, const char *system_id, const char *id, struct hd_arena *ar,            \
       struct hd_audience *out),                                                                   \
      (s, system_id, id, ar, out))                                                                 \
    X(audience_list,                                                                               \
      (struct hd_store * s, const char *system_id, const char *after, struct hd_arena *ar,         \
       struct hd_audience *out, size_t max, size_t *count),                                        \
      (s, system_id, after, ar, out, max, count))                                                  \
    X(audience_delete, (struct hd_store * s, const char *system_id, const char *id, int64_t now),  \
      (s, system_id, id, now))                                                                     \
    X(audience_add_members,                                                                        \
      (struct hd_store * s, const char *system_id, const char *id, const char *const *member_ids,  \
       size_t n, int64_t now, size_t *added, int64_t *size),                                       \
      (s, system_id, id, member_ids, n, now, added, size))                                         \
    X(audience_remove_member,                                                                      \
      (struct hd_store * s, const char *system_id, const char *id, const char *end_user_id,        \
       int64_t now),                                                                               \
      (s, system_id, id, end_user_id, now))                                                        \
    X(audience_refresh, (struct hd_store * s, const char *system_id, const char *id, int64_t now), \
      (s, system_id, id, now))                                                                     \
    X(end_users_refresh_rules,                                                                     \
      (struct hd_store * s, const char *system_id, const char *const *ids, size_t n, int64_t now), \
      (s, system_id, ids, n, now))                                                                 \
    X(audience_preview,                                                                            \
      (struct hd_store * s, const char *system_id, const char *rules_json, struct hd_arena *ar,    \
       int64_t *count, struct hd_end_user *sample, size_t max, size_t *n_sample),                  \
      (s, system_id, rules_json, ar, count, sample, max, n_sample))                                \
    X(notification_insert,                                                                         \
      (struct hd_store * s, const struct hd_notification *n, const char *const *end_user_ids,      \
       size_t n_users, const char *const *audience_ids, size_t n_audiences),                       \
      (s, n, end_user_ids, n_users, audience_ids, n_audiences))                                    \
    X(notification_send,                                                                           \
      (struct hd_store * s, const struct hd_notification *n, const char *const *end_user_ids,      \
       size_t n_users, const char *const *audience_ids, size_t n_audiences, int64_t now,           \
       int64_t *seq, size_t *unknown),                                                             \
      (s, n, end_user_ids, n_users, audience_ids, n_audiences, now, seq, unknown))                 \
    X(feed,                                                                                        \
      (struct hd_store * s, const struct hd_feed_query *q, struct hd_arena *ar,                    \
       struct hd_feed_item *out, size_t *count),                                                   \
      (s, q, ar, out, count))                                                                      \
    X(feed_unread_count, (struct hd_store * s, const struct hd_feed_query *q, size_t *count),      \
      (s, q, count))                                                                               \
    X(audiences_missing,                                                                           \
      (struct hd_store * s, const char *system_id, const char *const *ids, size_t n,               \
       size_t *missing, size_t *n_missing),                                                        \
      (s, system_id, ids, n, missing, n_missing))                                                  \
    X(notification_get,                                                                            \
      (struct hd_store * s, const char *account_id, const char *id, struct hd_arena *ar,           \
       struct hd_notification *out),                                                               \
      (s, account_id, id, ar, out))                                                                \
    X(notification_list,                                                                           \
      (struct hd_store * s, const char *account_id, const struct hd_notification_filter *f,        \
       struct hd_arena *ar, struct hd_notification *out, size_t *count),                           \
      (s, account_id, f, ar, out, count))                                                          \
    X(notification_stats,                                                                          \
      (struct hd_store * s, const char *account_id, const char *id,                                \
       struct hd_notification_stats *out),                                                         \
      (s, account_id, id, out))                                                                    \
    X(notification_cancel,                                                                         \
      (struct hd_store * s, const char *account_id, const char *id, int64_t now),                  \
      (s, account_id, id, now))                                                                    \
    X(event_record,                                                                                \
      (struct hd_store * s, const char *notification_id, bool start, int64_t at, int64_t *seq),    \
      (s, notification_id, start, at, seq))                                                        \
    X(events_since,                                                                                \
      (struct hd_store * s, const char *system_id, const char *end_user_id, int64_t after,         \
       struct hd_arena *ar, struct hd_stream_event *out, size_t max, size_t *count),               \
      (s, system_id, end_user_id, after, ar, out, max, count))                                     \
    X(events_last, (struct hd_store * s, int64_t * seq), (s, seq))                                 \
    X(schedule_pending,                                                                            \
      (struct hd_store * s, int64_t before, struct hd_due * out, size_t max, size_t * count),      \
      (s, before, out, max, count))                                                                \
    X(notification_any,                                                                            \
      (struct hd_store * s, const char *id, struct hd_arena *ar, struct hd_notification *out),     \
      (s, id, ar, out))                                                                            \
    X(notification_targets,                                                                        \
      (struct hd_store * s, const char *id, struct hd_arena *ar, const char ***users,              \
       size_t *n_users, const char ***audiences, size_t *n_audiences),                             \
      (s, id, ar, users, n_users, audiences, n_audiences))                                         \
    X(user_audiences,                                                                              \
      (struct hd_store * s, const char *system_id, const char *end_user_id, struct hd_arena *ar,   \
       const char ***ids, size_t max, size_t *n),                                                  \
      (s, system_id, end_user_id, ar, ids, max, n))                                                \
    X(delivery_mark,                                                                               \
      (struct hd_store * s, const char *system_id, const char *user_id, const char *id,            \
       enum hd_delivery what, int64_t now),                                                        \
      (s, system_id, user_id, id, what, now))                                                      \
    X(delivery_received,                                                                           \
      (struct hd_store * s, const char *system_id, const char *user_id, const char *const *ids,    \
       size_t n, int64_t now),                                                                     \
      (s, system_id, user_id, ids, n, now))                                                        \
    X(idempotency_get,                                                                             \
      (struct hd_store * s, const char *account_id, const char *key, int64_t since,                \
       struct hd_arena *ar, struct hd_idempotent *out),                                            \
      (s, account_id, key, since, ar, out))                                                        \
    X(idempotency_put,                                                                             \
      (struct hd_store * s, const char *account_id, const char *key,                               \
       const struct hd_idempotent *r, int64_t since),                                              \
      (s, account_id, key, r, since))                                                              \
    X(events_page,                                                                                 \
      (struct hd_store * s, int64_t after, struct hd_arena * ar, struct hd_stream_event * out,     \
       size_t max, size_t * count),                                                                \
      (s, after, ar, out, max, count))                                                             \
    X(events_wait, (struct hd_store * s, int timeout_ms, bool *notified),                          \
      (s, timeout_ms, notified))                                                                   \
    X(key_auth_failed,                                                                             \
      (struct hd_store * s, const char *client_id, int64_t window_start, int64_t *failures),       \
      (s, client_id, window_start, failures))                                                      \
    X(first_start_claim, (struct hd_store * s, bool *claimed), (s, claimed))

#endif
