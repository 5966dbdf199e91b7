/* store.h: the one interface to durable state. No SQL exists outside src/store/.
 *
 * A struct hd_store is one connection, used by one thread at a time; each event-loop thread
 * and each CLI command opens its own. Implementations: sqlite*.c (a data directory) and pg*.c (a
 * postgres:// URL) behind the same calls (store.c dispatches; see store_calls.h).
 *
 * Conventions:
 * - Every call returns 0 or a negative enum hd_err: HD_E_NOT_FOUND when a row is absent (also
 *   when it belongs to another account: callers never learn that), HD_E_CONFLICT on a uniqueness
 *   or state conflict, HD_E_STORAGE when the database fails. A row that names a missing parent
 *   (a system, template or audience that does not exist) is HD_E_NOT_FOUND too.
 * - Strings in results are allocated from the caller's arena; structs are filled in place.
 * - Every query about a tenant's data takes the account id, so isolation holds in one place.
 * - Times are int64 ms since the epoch, UTC. */
#ifndef HD_STORE_STORE_H
#define HD_STORE_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/ids.h"

struct hd_store;

/* Opens (creating if needed) the store at location: a directory path for SQLite, or a
 * postgres:// (postgresql://) URL. Applies pending migrations. Returns 0 and *out, to release with
 * hd_store_close(); or an error, with a sentence in errbuf. */
int hd_store_open(const char *location, struct hd_store **out, char *errbuf, size_t errlen) HD_WUR;
void hd_store_close(struct hd_store *s);
/* True when location names a PostgreSQL database rather than a SQLite directory. */
bool hd_store_is_postgres_url(const char *location);
/* True when s is a PostgreSQL connection: several nodes may share its database. */
bool hd_store_is_shared(const struct hd_store *s);

/* Group commit: every write call between hd_store_batch_begin and hd_store_batch_end shares one
 * transaction, so one disk sync covers them all; a call that fails undoes only its own changes.
 * hd_store_batch_end commits (commit true: returns the commit's result, and on failure nothing
 * of the batch remains) or rolls the batch back. */
int hd_store_batch_begin(struct hd_store *s) HD_WUR;
int hd_store_batch_end(struct hd_store *s, bool commit) HD_WUR;
/* Inside a batch: runs body(s, arg) as one unit; if it returns an error, or any store call it
 * makes fails (even one whose error it then ignores), all its changes are undone, it answers
 * that error, and the batch goes on. The calls it makes share its one savepoint. */
int hd_store_in_savepoint(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                          const void *arg) HD_WUR;
/* Inside a batch: runs body(s, arg) like hd_store_in_savepoint (the calls it makes, and the
 * first of them to fail, are the job's), but without a savepoint of its own, which costs less:
 * if it fails, its changes so far stay in the batch, and the caller must roll the batch back
 * whole (hd_store_batch_end with commit false). */
int hd_store_in_job(struct hd_store *s, int (*body)(struct hd_store *, const void *),
                    const void *arg) HD_WUR;

/* Pipelined durability for a writer: from now on this connection's commits return before they
 * are on disk, and a commit is durable once fdatasync(*fd) has returned after it (from any
 * thread); the caller closes *fd. *fd is -1 when commits stay durable by themselves
 * (PostgreSQL). SQLite: synchronous NORMAL on this connection, and the WAL file's descriptor;
 * the WAL is only ever written in order, so its sync makes every commit before it durable. */
int hd_store_defer_sync(struct hd_store *s, int *fd) HD_WUR;

/* For the writer's connection, whose statements check the rows they refer to in their own
 * transaction (a notification's template, system and account; an audience by its system) and
 * whose parents are never deleted (every delete of a referenced row is a soft one): SQLite stops
 * checking foreign keys on this connection, about a fifth of the writer's work per trigger; every
 * other connection keeps checking them. PostgreSQL: nothing (its checks run on the server). */
int hd_store_trust_references(struct hd_store *s) HD_WUR;

/* Copies what the log holds into the database without waiting for anyone (SQLite: a PASSIVE
 * checkpoint of the WAL, from any connection; 0 too when another checkpoint is running, with
 * both counts 0). Then *log_pages is the log's size in pages and *copied_pages how many of them
 * are in the database. PostgreSQL checkpoints by itself: nothing to do, both 0. */
int hd_store_checkpoint(struct hd_store *s, int64_t *log_pages, int64_t *copied_pages) HD_WUR;

/* What the writer's log holds and how much of it is copied into the database, shared between
 * the writer's connection and the checkpoint thread (store/checkpointer.h). */
struct hd_log_progress {
    atomic_llong pages;  /* the log's size in pages after the writer's last commit */
    atomic_llong copied; /* how many of them are in the database, as last seen */
};

/* For the writer's connection, with hd_store_defer_sync: after each commit it publishes the
 * log's size in p, and once the log is past HD_LOG_PAGES with little left to copy (the
 * checkpoint thread copied the rest), it copies that rest itself, which lets its next
 * transaction start the log over; past 3 × HD_LOG_PAGES it does so whatever is left. Replaces
 * SQLite's automatic checkpoint on that connection; p NULL puts it back (every HD_LOG_PAGES).
 * PostgreSQL: nothing. */
#define HD_LOG_PAGES 16000 /* 64 MB of 4 KiB pages: 8,000 cost 5-14% of the trigger rate */
int hd_store_watch_log(struct hd_store *s, struct hd_log_progress *p) HD_WUR;

/* The catalog's version: a number that every change of an API key, a system or a template
 * raises in the change's own transaction, on every process and node (SQL triggers, migrations
 * 006 and pg/003). Read it before the rows it vouches for (store/catalog.h). SQLite answers
 * from a counter that every process of the data directory maps and raises once such a change
 * is committed (sqlite_catalog_counter.h), without a read transaction; it reads the stored
 * version too, at most a second apart, and raises the counter when that moved unseen (a
 * process that died between its commit and the raise). */
int hd_store_catalog_version(struct hd_store *s, int64_t *version) HD_WUR;

/* SQLite: moves up to max rows of targets logged by triggers into the index of targets by user,
 * a file of its own (sqlite_by_user.c), in one transaction that takes no lock of herald.db;
 * *moved says how many. Run by one thread (the checkpoint thread, store/checkpointer.h). PostgreSQL
 * indexes its targets as it inserts them: nothing to do, *moved 0. */
int hd_store_targets_move(struct hd_store *s, size_t max, size_t *moved) HD_WUR;

/* The server's own HS256 secret for API tokens: created on first call, then stable. */
#define HD_SECRET_LEN 32
int hd_store_server_secret(struct hd_store *s, unsigned char out[HD_SECRET_LEN]) HD_WUR;

/* ---- accounts ---- */
struct hd_account {
    char id[HD_UUID_BUF];
    const char *name;
    int64_t created_at;
};
int hd_store_account_insert(struct hd_store *s, const struct hd_account *a) HD_WUR;
/* The oldest account (the one `make run` creates), or HD_E_NOT_FOUND when there is none. */
int hd_store_account_first(struct hd_store *s, struct hd_arena *ar, struct hd_account *out) HD_WUR;
int hd_store_account_get(struct hd_store *s, const char *id, struct hd_arena *ar,
                         struct hd_account *out) HD_WUR;
/* *claimed true for exactly one caller per database, ever: the server that creates the first
 * account when several start at once on an empty database. */
int hd_store_first_start_claim(struct hd_store *s, bool *claimed) HD_WUR;

/* ---- API keys ---- */
#define HD_CLIENT_ID_MAX   64
#define HD_SECRET_HASH_LEN 32
struct hd_api_key {
    char client_id[HD_CLIENT_ID_MAX + 1];
    char account_id[HD_UUID_BUF];
    const char *name;
    unsigned scopes; /* HD_SCOPE_* bits, see auth/scope.h */
    unsigned char secret_hash[HD_SECRET_HASH_LEN];
    int64_t created_at;
    int64_t revoked_at; /* 0 while valid */
};
int hd_store_key_insert(struct hd_store *s, const struct hd_api_key *k) HD_WUR;
/* Any key by client id, revoked or not (the caller checks revoked_at). */
int hd_store_key_get(struct hd_store *s, const char *client_id, struct hd_arena *ar,
                     struct hd_api_key *out) HD_WUR;

/* The account's keys, revoked ones included, oldest first (at most max). */
int hd_store_key_list(struct hd_store *s, const char *account_id, struct hd_arena *ar,
                      struct hd_api_key *out, size_t max, size_t *count) HD_WUR;
/* Revokes an active key of the account; HD_E_NOT_FOUND when there is none (or it is already
 * revoked). */
int hd_store_key_revoke(struct hd_store *s, const char *account_id, const char *client_id,
                        int64_t now) HD_WUR;

/* ---- systems ---- */
struct hd_system {
    char id[HD_SYSTEM_ID_BUF];
    char account_id[HD_UUID_BUF];
    const char *name;
    unsigned char signing_secret[HD_SECRET_LEN]; /* signs end-user tokens */
    int64_t created_at;
};
int hd_store_system_insert(struct hd_store *s, const struct hd_system *sys) HD_WUR;
/* Replaces the system's signing secret: end-user tokens signed with the old one stop working. */
int hd_store_system_rotate_secret(struct hd_store *s, const char *account_id, const char *id,
                                  const unsigned char secret[HD_SECRET_LEN]) HD_WUR;
/* The account's system; a deleted one is HD_E_NOT_FOUND, as is every other account's. */
int hd_store_system_get(struct hd_store *s, const char *account_id, const char *id,
                        struct hd_arena *ar, struct hd_system *out) HD_WUR;
/* A system by id alone: only for verifying end-user tokens, which name their system. */
int hd_store_system_get_any(struct hd_store *s, const char *id, struct hd_arena *ar,
                            struct hd_system *out) HD_WUR;
/* The account's systems, oldest first; *count gets how many (at most max). */
int hd_store_system_list(struct hd_store *s, const char *account_id, struct hd_arena *ar,
                         struct hd_system *out, size_t max, size_t *count) HD_WUR;

/* ---- templates ---- */
struct hd_template {
    char id[HD_UUID_BUF];
    char system_id[HD_SYSTEM_ID_BUF];
    const char *name, *title, *description;
    const char *button_text, *button_url; /* both NULL when the template has no button */
    const char *type;                     /* "push" or "popup" */
    const char *placeholders_json;        /* JSON array of names, in order of appearance */
    int64_t created_at;
};
/* Inserts into a system; the caller has checked that the system is the account's. */
int hd_store_template_insert(struct hd_store *s, const struct hd_template *t) HD_WUR;
/* The system's template, unless archived (then HD_E_NOT_FOUND). */
int hd_store_template_get(struct hd_store *s, const char *system_id, const char *id,
                          struct hd_arena *ar, struct hd_template *out) HD_WUR;

/* ---- systems and templates administration ---- */
/* The account's live systems after the system `after` (a cursor: NULL for the first page),
 * oldest first: at most max into out; *count gets how many. */
int hd_store_system_page(struct hd_store *s, const char *account_id, const char *after, size_t max,
                         struct hd_arena *ar, struct hd_system *out, size_t *count) HD_WUR;
/* Deletes the account's system (it reads as absent everywhere after). Its live notifications
 * (scheduled or active: not cancelled, end_at > now) are counted in *live. Without cascade, any
 * of them make it HD_E_CONFLICT and nothing changes; with cascade they are cancelled at now in
 * the same transaction, and *cancelled gets their ids (*live of them, from ar). HD_E_NOT_FOUND
 * when absent, deleted or another account's. */
int hd_store_system_delete(struct hd_store *s, const char *account_id, const char *id, bool cascade,
                           int64_t now, struct hd_arena *ar, int64_t *live,
                           const char ***cancelled) HD_WUR;

/* A template with its administrative state; times are 0 when not yet. */
struct hd_template_admin {
    struct hd_template t;
    int64_t updated_at, locked_at, archived_at;
};
/* The system's template, archived or not. */
int hd_store_template_get_admin(struct hd_store *s, const char *system_id, const char *id,
                                struct hd_arena *ar, struct hd_template_admin *out) HD_WUR;
struct hd_template_query {
    const char *system_id;
    const char *before; /* cursor: a template id of the system, or NULL for the first page */
    bool archived;      /* include archived templates */
    size_t limit;
};
/* The system's templates, newest first: at most q->limit into out; *count gets how many. */
int hd_store_template_list(struct hd_store *s, const struct hd_template_query *q,
                           struct hd_arena *ar, struct hd_template_admin *out,
                           size_t *count) HD_WUR;
/* Replaces the texts, button, type and placeholders of t->id in t->system_id (created_at is
 * kept), at now. HD_E_NOT_FOUND when absent or archived; HD_E_CONFLICT when locked (used by a
 * notification). */
int hd_store_template_update(struct hd_store *s, const struct hd_template *t, int64_t now) HD_WUR;
/* Archives the template: new triggers cannot use it. HD_E_NOT_FOUND when absent or already
 * archived. */
int hd_store_template_archive(struct hd_store *s, const char *system_id, const char *id,
                              int64_t now) HD_WUR;
/* How many notifications were made from the template. */
int hd_store_template_uses(struct hd_store *s, const char *system_id, const char *id,
                           int64_t *uses) HD_WUR;

/* ---- API key administration ---- */
/* A key with the time its secret was last replaced (0 if never): tokens issued before that
 * are dead. Any account's key, revoked or not, like hd_store_key_get. */
struct hd_key_state {
    struct hd_api_key key;
    int64_t secret_rotated_at;
};
int hd_store_key_get_state(struct hd_store *s, const char *client_id, struct hd_arena *ar,
                           struct hd_key_state *out) HD_WUR;
/* Counts a failed authentication of an existing key in the window starting at window_start (a
 * new window restarts the count); *failures gets the count so far. HD_E_NOT_FOUND for no such
 * key. Shared by every node of the database. */
int hd_store_key_auth_failed(struct hd_store *s, const char *client_id, int64_t window_start,
                             int64_t *failures) HD_WUR;
/* Replaces the secret hash of an active key of the account at now; HD_E_NOT_FOUND when there
 * is none (or it is revoked). */
int hd_store_key_rotate(struct hd_store *s, const char *account_id, const char *client_id,
                        const unsigned char hash[HD_SECRET_HASH_LEN], int64_t now) HD_WUR;

/* ---- end users ---- */
struct hd_end_user {
    char system_id[HD_SYSTEM_ID_BUF];
    const char *id; /* the customer's own string */
    const char *name, *email;
    const char *attributes_json; /* a JSON object, "{}" when none */
    int64_t created_at, updated_at;
};
/* Inserts or updates (name, email, attributes, updated_at; created_at only on insert), in one
 * transaction; *created tells which. HD_E_NOT_FOUND when the system does not exist. */
int hd_store_end_user_upsert(struct hd_store *s, const struct hd_end_user *u, bool *created) HD_WUR;
/* Of the ids given, how many are not known end users of the system. */
int hd_store_end_users_count_unknown(struct hd_store *s, const char *system_id,
                                     const char *const *ids, size_t n, size_t *unknown) HD_WUR;

/* ---- audiences ---- */
struct hd_audience {
    char id[HD_UUID_BUF];
    char system_id[HD_SYSTEM_ID_BUF];
    const char *name;
    const char *rules_json; /* NULL for an explicit list; else valid rules (see HD_RULES_*) */
    int64_t created_at;
    /* read back only: */
    int64_t size;         /* members now (materialized for a rule audience) */
    int64_t updated_at;   /* last change of the audience or its explicit members */
    int64_t evaluated_at; /* rule audience: last evaluation over every end user; else 0 */
};
/* Inserts the audience and its n members (end-user ids, known or not; duplicates folded) in one
 * transaction; the caller has checked that the system is the account's. Borrows everything.
 * With rules_json (then n must be 0) the members are the end users matching the rules now;
 * HD_E_VALIDATION when the rules do not compile. */
int hd_store_audience_insert(struct hd_store *s, const struct hd_audience *a,
                             const char *const *member_ids, size_t n) HD_WUR;

/* ---- end users and audiences administration ---- */

/* The system's end user, or HD_E_NOT_FOUND. */
int hd_store_end_user_get(struct hd_store *s, const char *system_id, const char *id,
                          struct hd_arena *ar, struct hd_end_user *out) HD_WUR;
/* The system's end users in id order (byte order) after `after` ("" for the first page), at
 * most max into out; search (NULL for all): only those whose id, name or email contains it,
 * ASCII case-insensitively. */
int hd_store_end_user_list(struct hd_store *s, const char *system_id, const char *search,
                           const char *after, struct hd_arena *ar, struct hd_end_user *out,
                           size_t max, size_t *count) HD_WUR;
/* Erases the end user and everything kept about them in the system, in one transaction: their
 * row, delivery state, audience memberships and direct targets (so their past notifications
 * leave their feed; notifications keep their `targeted` count). HD_E_NOT_FOUND when there was
 * nothing at all to erase. */
int hd_store_end_user_delete(struct hd_store *s, const char *system_id, const char *id) HD_WUR;
/* Upserts n end users of one system (distinct ids, all with users[0].system_id) in one
 * transaction, then re-evaluates their rule-audience memberships; *created and *updated get the
 * counts. HD_E_NOT_FOUND, storing nothing, when the system does not exist. */
int hd_store_end_users_upsert_many(struct hd_store *s, const struct hd_end_user *users, size_t n,
                                   size_t *created, size_t *updated) HD_WUR;

/* Rules of a rule audience, as JSON: a group {"all":[node…]} (every node holds) or
 * {"any":[node…]} (at least one holds); a node is a group or a condition
 * {"attribute":A,"operator":"is"|"is not"|"like","value":V}. A is "id", "name", "email" (the end
 * user's columns) or a key of their attributes object (1..HD_RULE_ATTRIBUTE_MAX bytes, no '"'
 * and no control characters); V a string of at most HD_RULE_VALUE_MAX bytes. An attribute
 * compares by its text (numbers as written, true/false as 1/0; a missing one is NULL: `is`
 * never holds, `is not` always does). `is` is exact; `like` is SQL LIKE: % any run, _ one
 * character, \ escapes them, ASCII case-insensitive. Groups nest at most HD_RULES_MAX_DEPTH
 * deep, with HD_RULES_MAX_CONDITIONS conditions in all; no group is empty. Rules compile to SQL
 * whose only inputs are bound parameters. */
#define HD_RULES_MAX_DEPTH      3
#define HD_RULES_MAX_CONDITIONS 20
#define HD_RULE_ATTRIBUTE_MAX   128
#define HD_RULE_VALUE_MAX       1024

/* 0 when rules_json is valid rules, else HD_E_VALIDATION. Pure. */
int hd_store_rules_check(const char *rules_json) HD_WUR;

/* The system's live audience, or HD_E_NOT_FOUND (also once deleted). */
int hd_store_audience_get(struct hd_store *s, const char *system_id, const char *id,
                          struct hd_arena *ar, struct hd_audience *out) HD_WUR;
/* The system's live audiences in id order after `after` ("" for the first page); at most max. */
int hd_store_audience_list(struct hd_store *s, const char *system_id, const char *after,
                           struct hd_arena *ar, struct hd_audience *out, size_t max,
                           size_t *count) HD_WUR;
/* Soft delete at now: the audience can no longer be read, targeted or changed; its members stay,
 * so what was sent to it stays in their feeds. HD_E_NOT_FOUND when absent or already deleted. */
int hd_store_audience_delete(struct hd_store *s, const char *system_id, const char *id,
                             int64_t now) HD_WUR;
/* Adds n explicit members (duplicates and existing members folded) in one transaction; *added
 * gets how many were new, *size the audience's size after. HD_E_NOT_FOUND for no live audience;
 * HD_E_CONFLICT for a rule audience (its rules decide its members). */
int hd_store_audience_add_members(struct hd_store *s, const char *system_id, const char *id,
                                  const char *const *member_ids, size_t n, int64_t now,
                                  size_t *added, int64_t *size) HD_WUR;
/* Removes one explicit member: HD_E_NOT_FOUND for no live audience or no such member;
 * HD_E_CONFLICT for a rule audience. */
int hd_store_audience_remove_member(struct hd_store *s, const char *system_id, const char *id,
                                    const char *end_user_id, int64_t now) HD_WUR;
/* Re-evaluates a rule audience over every end user of the system, in one transaction: its
 * members become exactly those matching now. An explicit audience costs one primary-key lookup
 * and changes nothing; a missing or deleted one is not an error (nothing to do). */
int hd_store_audience_refresh(struct hd_store *s, const char *system_id, const char *id,
                              int64_t now) HD_WUR;
/* hd_store_audience_refresh for each of n audiences (the trigger's write job). */
int hd_store_audiences_refresh(struct hd_store *s, const char *system_id, const char *const *ids,
                               size_t n, int64_t now) HD_WUR;
/* Re-evaluates the memberships of n end users in every live rule audience of the system; writes
 * only what changed. A system without rule audiences costs one index lookup. */
int hd_store_end_users_refresh_rules(struct hd_store *s, const char *system_id,
                                     const char *const *ids, size_t n, int64_t now) HD_WUR;
/* The same for one end user (who connects: GET /v1/me/notifications). */
int hd_store_end_user_refresh_rules(struct hd_store *s, const char *system_id, const char *id,
                                    int64_t now) HD_WUR;
/* How many of the system's end users match rules_json (*count), and the first max of them in id
 * order (sample, *n_sample). HD_E_VALIDATION when the rules do not compile. */
int hd_store_audience_preview(struct hd_store *s, const char *system_id, const char *rules_json,
                              struct hd_arena *ar, int64_t *count, struct hd_end_user *sample,
                              size_t max, size_t *n_sample) HD_WUR;

/* ---- notifications ---- */
struct hd_notification {
    char id[HD_UUID_BUF]; /* UUIDv7 */
    char account_id[HD_UUID_BUF];
    char system_id[HD_SYSTEM_ID_BUF];
    char template_id[HD_UUID_BUF];
    const char *created_by;                          /* client id of the key that triggered it */
    const char *type;                                /* "push" | "popup" */
    const char *title;                               /* console name */
    const char *runtime_title, *runtime_description; /* rendered */
    const char *button_text, *button_url;            /* rendered; NULL without a button */
    int64_t start_at, end_at, created_at;
    int64_t cancelled_at; /* 0 unless cancelled */
    int64_t targeted;     /* people reached at send time: see hd_store_notification_insert */
};
/* to = from, with every string copied into ar. */
void hd_notification_copy(struct hd_arena *ar, const struct hd_notification *from,
                          struct hd_notification *to);
/* Stores the notification and its targets in one transaction; returns after commit, and locks
 * the template (SPEC §1). end_user_ids and audience_ids are deduplicated by the caller (a
 * duplicate is HD_E_CONFLICT). HD_E_NOT_FOUND, storing nothing, unless the template is an
 * unarchived one of the system, the system one of n->account_id, and every audience the
 * system's.
 *
 * It also stores `targeted` (n->targeted is ignored; reads return it): the distinct people the
 * notification reaches at send time, |end_user_ids ∪ members of the audiences|, without walking
 * a large audience (each audience keeps its member count). Exact with no audience, with one
 * audience (its size plus the direct ids that are not in it), and with several audiences of
 * HD_TARGETED_EXACT_MAX members in all (a count over the union). Beyond that it is an upper
 * bound: the sum of the audiences' sizes (people in several count once per audience) plus the
 * direct ids that are in none of them. */
#define HD_TARGETED_EXACT_MAX 100000
int hd_store_notification_insert(struct hd_store *s, const struct hd_notification *n,
                                 const char *const *end_user_ids, size_t n_users,
                                 const char *const *audience_ids, size_t n_audiences) HD_WUR;
/* The trigger's write: hd_store_notification_insert, and, when the notification starts by `now`,
 * its start event recorded in the same transaction (as hd_store_event_record would): *seq gets
 * that event's seq, or 0 when it starts later. *unknown gets how many of end_user_ids are no
 * end user of the system (as hd_store_end_users_count_unknown would count them, in the same
 * transaction: the writer counts them for the trigger's answer at no extra round trip). */
int hd_store_notification_send(struct hd_store *s, const struct hd_notification *n,
                               const char *const *end_user_ids, size_t n_users,
                               const char *const *audience_ids, size_t n_audiences, int64_t now,
                               int64_t *seq, size_t *unknown) HD_WUR;

/* ---- the end user's feed (SPEC §6) ---- */
struct hd_feed_item {
    struct hd_notification n;
    int64_t received_at, seen_at, clicked_at, dismissed_at; /* 0 when not yet */
};
struct hd_feed_query {
    const char *system_id, *end_user_id;
    int64_t now;
    int64_t history_ms; /* completed ones stay listed this long after end_at */
    const char *before; /* cursor: only ids strictly less than this; NULL for the first page */
    bool unread_only;   /* only items without seen_at */
    size_t limit;
};
/* Active (started, not cancelled, not dismissed) and recently expired notifications that
 * target the user directly or through an audience, newest first: at most q->limit items into
 * out (which holds that many), *count gets how many. */
int hd_store_feed(struct hd_store *s, const struct hd_feed_query *q, struct hd_arena *ar,
                  struct hd_feed_item *out, size_t *count) HD_WUR;
/* How many started, unexpired, uncancelled, undismissed items the user has not seen. */
int hd_store_feed_unread_count(struct hd_store *s, const struct hd_feed_query *q,
                               size_t *count) HD_WUR;

/* ---- audiences ---- */
/* Of the audience ids given, those that are not live audiences of the system: their indexes go
 * to missing (at most n), *n_missing gets how many. */
int hd_store_audiences_missing(struct hd_store *s, const char *system_id, const char *const *ids,
                               size_t n, size_t *missing, size_t *n_missing) HD_WUR;

/* ---- notification management ---- */
/* A notification's status at time now (SPEC §1): "cancelled" once cancelled, else "scheduled"
 * before start_at, "active" until end_at, then "completed". */
static inline const char *hd_notification_status(const struct hd_notification *n, int64_t now)
{
    if (n->cancelled_at)
        return "cancelled";
    if (n->start_at > now)
        return "scheduled";
    return n->end_at > now ? "active" : "completed";
}

/* The account's notification, cancelled or not; HD_E_NOT_FOUND when absent or another
 * account's. */
int hd_store_notification_get(struct hd_store *s, const char *account_id, const char *id,
                              struct hd_arena *ar, struct hd_notification *out) HD_WUR;

struct hd_notification_filter {
    const char *system_id; /* only this system's; NULL for all of the account's */
    const char *status;    /* "scheduled" | "active" | "completed" | "cancelled" at now; or NULL */
    int64_t now;
    const char *before; /* cursor: only ids strictly less than this; NULL for the first page */
    size_t limit;
};
/* The account's notifications matching f, newest first (id order: ids are UUIDv7): at most
 * f->limit into out (which holds that many); *count gets how many. An unknown status matches
 * nothing. */
int hd_store_notification_list(struct hd_store *s, const char *account_id,
                               const struct hd_notification_filter *f, struct hd_arena *ar,
                               struct hd_notification *out, size_t *count) HD_WUR;

/* SPEC §4 stats: targeted as stored at send time; the others count the people whose delivery
 * state has that moment set. */
struct hd_notification_stats {
    int64_t targeted, received, seen, clicked, dismissed;
};
/* HD_E_NOT_FOUND when the notification is absent or another account's. */
int hd_store_notification_stats(struct hd_store *s, const char *account_id, const char *id,
                                struct hd_notification_stats *out) HD_WUR;

/* Cancels the account's notification at now: it leaves every user's feed at once.
 * HD_E_NOT_FOUND when absent or another account's; HD_E_CONFLICT when already cancelled or
 * already completed (end_at <= now); hd_store_notification_get tells which. */
int hd_store_notification_cancel(struct hd_store *s, const char *account_id, const char *id,
                                 int64_t now) HD_WUR;

/* ---- stream events and scheduling (SPEC §6) ---- */
#define HD_TARGETS_MAX 100 /* end users, and audiences, per notification */

struct hd_stream_event {
    int64_t seq;      /* the SSE event id */
    const char *kind; /* "notification" (it started) or "retract" (cancelled or ended) */
    struct hd_notification n;
};
/* Records, once, the start (start true) or the end of a notification as an event: *seq gets
 * the event's seq, or 0 when there is nothing to record (already recorded; a start of a
 * cancelled one; an end of one that never started, which is settled without an event). */
int hd_store_event_record(struct hd_store *s, const char *notification_id, bool start, int64_t at,
                          int64_t *seq) HD_WUR;
/* The user's events after seq `after`, oldest first, at most max. */
int hd_store_events_since(struct hd_store *s, const char *system_id, const char *end_user_id,
                          int64_t after, struct hd_arena *ar, struct hd_stream_event *out,
                          size_t max, size_t *count) HD_WUR;
/* Every event after seq `after`, whatever its system or user, oldest first, at most max: what a
 * node relays to its own clients when other nodes record events (PostgreSQL). */
int hd_store_events_page(struct hd_store *s, int64_t after, struct hd_arena *ar,
                         struct hd_stream_event *out, size_t max, size_t *count) HD_WUR;
/* Waits up to timeout_ms on this connection (used for nothing else) for other nodes to record
 * events; *notified tells whether some may have been recorded since the last call (also right
 * after the connection was (re)made, when some may have been missed). PostgreSQL: LISTEN/NOTIFY;
 * SQLite, where one server records them all: waits the time out, *notified false. */
int hd_store_events_wait(struct hd_store *s, int timeout_ms, bool *notified) HD_WUR;
/* The latest seq of all (0 before the first event). */
int hd_store_events_last(struct hd_store *s, int64_t *seq) HD_WUR;

/* A start or end the scheduler must record at `at` (maybe already past). */
struct hd_due {
    char id[HD_UUID_BUF];
    int64_t at;
    bool start;
};
/* Starts and ends not yet recorded that are due before `before`, at most max. */
int hd_store_schedule_pending(struct hd_store *s, int64_t before, struct hd_due *out, size_t max,
                              size_t *count) HD_WUR;
/* A notification by id alone, whatever its account (the scheduler's view). */
int hd_store_notification_any(struct hd_store *s, const char *id, struct hd_arena *ar,
                              struct hd_notification *out) HD_WUR;
/* Whom a notification targets (for routing its events to connected clients). */
int hd_store_notification_targets(struct hd_store *s, const char *id, struct hd_arena *ar,
                                  const char ***users, size_t *n_users, const char ***audiences,
                                  size_t *n_audiences) HD_WUR;
/* The audiences an end user is a member of, at most max. */
int hd_store_user_audiences(struct hd_store *s, const char *system_id, const char *end_user_id,
                            struct hd_arena *ar, const char ***ids, size_t max, size_t *n) HD_WUR;

/* ---- delivery state (SPEC §6) ---- */
enum hd_delivery {
    HD_DELIVERY_RECEIVED,
    HD_DELIVERY_SEEN,
    HD_DELIVERY_CLICKED,
    HD_DELIVERY_DISMISSED
};
/* Sets what's time (and received's) for the user, once; later calls change nothing.
 * HD_E_NOT_FOUND when the notification does not target the user in that system. */
int hd_store_delivery_mark(struct hd_store *s, const char *system_id, const char *user_id,
                           const char *id, enum hd_delivery what, int64_t now) HD_WUR;
/* Records that the user's client has these notifications (ids it was just given), in one
 * transaction; the caller passes only ids of the user's own feed. */
int hd_store_delivery_received(struct hd_store *s, const char *system_id, const char *user_id,
                               const char *const *ids, size_t n, int64_t now) HD_WUR;

/* ---- idempotency keys (SPEC §3) ---- */
struct hd_idempotent {
    unsigned char body_hash[32]; /* SHA-256 of the request body */
    int status;
    const char *response; /* the JSON body answered */
    int64_t created_at;
};
/* The record of (account, key) made after since, or HD_E_NOT_FOUND. */
int hd_store_idempotency_get(struct hd_store *s, const char *account_id, const char *key,
                             int64_t since, struct hd_arena *ar, struct hd_idempotent *out) HD_WUR;
/* Records the first answer to (account, key), replacing one made at or before since;
 * HD_E_CONFLICT when a newer record exists (a concurrent retry got there first). */
int hd_store_idempotency_put(struct hd_store *s, const char *account_id, const char *key,
                             const struct hd_idempotent *r, int64_t since) HD_WUR;

#endif
