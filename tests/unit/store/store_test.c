/* store_test.c: the store.h contract, run against each backend (store_fixture.h): a fresh
 * SQLite directory or PostgreSQL database per test.
 *
 * A second raw connection is used only to check what the interface cannot show (applied
 * migrations, rows kept) and to set delivery state directly. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../support/store_seed.h"

static void prepare(void)
{
    store_fixture_prepare("hd_store_test");
}

static void setup(void)
{
    store_fixture_open("hd_store_test");
}

static void teardown(void)
{
    store_fixture_close();
}

TestSuite(store, .init = setup, .fini = teardown);
/* Tests that fork: they open their stores after forking, never before (SQLite forbids it). */
TestSuite(store_procs, .init = prepare, .fini = teardown);

static struct hd_notification notif(int64_t created, int64_t start, int64_t end)
{
    return seed_notification(created, start, end);
}

static void send_to(struct hd_notification *n, const char *user)
{
    const char *users[] = {user};
    cr_assert_eq(hd_store_notification_insert(store, n, users, 1, NULL, 0), 0);
}

static struct hd_feed_query query(const char *user)
{
    return (struct hd_feed_query){
        .system_id = sys.id, .end_user_id = user, .now = NOW, .history_ms = 90 * DAY, .limit = 50};
}

static size_t feed(struct hd_feed_query q, struct hd_feed_item *out)
{
    size_t count = 99;
    cr_assert_eq(hd_store_feed(store, &q, ar, out, &count), 0);
    return count;
}

static size_t unread(const char *user)
{
    struct hd_feed_query q = query(user);
    size_t count = 99;
    cr_assert_eq(hd_store_feed_unread_count(store, &q, &count), 0);
    return count;
}

/* Runs one statement on a raw connection to the test's database. */

Test(store, open_twice_shares_secret_and_schema)
{
    unsigned char a[HD_SECRET_LEN], b[HD_SECRET_LEN], zero[HD_SECRET_LEN] = {0};
    cr_assert_eq(hd_store_server_secret(store, a), 0);
    struct hd_store *second;
    char err[256] = "";
    cr_assert_eq(hd_store_open(location, &second, err, sizeof(err)), 0, "reopen: %s", err);
    cr_assert_eq(hd_store_server_secret(second, b), 0);
    hd_store_close(second);
    cr_assert_arr_eq(a, b, sizeof(a));
    cr_assert_arr_neq(a, zero, sizeof(a));
    cr_assert_eq(hd_store_server_secret(store, b), 0);
    cr_assert_arr_eq(a, b, sizeof(a));
    int64_t migrations = fixture_on_pg() ? 3 : 8; /* src/store/migrations/{pg/,}*.sql */
    cr_assert_eq(raw("SELECT count(*) FROM schema_migrations"), migrations);
    cr_assert_eq(raw("SELECT max(version) FROM schema_migrations"), migrations);
    cr_assert_eq(raw(fixture_on_pg() ? "SELECT count(*) FROM pg_tables WHERE tablename = "
                                       "'notifications'"
                                     : "SELECT count(*) FROM sqlite_schema WHERE name = "
                                       "'notifications'"),
                 1);
}

Test(store, open_rejects_a_file_as_directory)
{
    char path[128], err[256] = "";
    struct hd_store *s = (struct hd_store *)1;
    snprintf(path, sizeof(path), "%s/herald.db", dir);
    cr_assert_eq(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
    cr_assert_eq(hd_store_open(path, &s, err, sizeof(err)), HD_E_STORAGE);
    cr_assert_null(s);
    cr_assert_neq(err[0], '\0');
}

Test(store, open_names_an_unreachable_postgres)
{
    char err[256] = "";
    struct hd_store *s = (struct hd_store *)1;
    /* port 1 on loopback: nothing listens there */
    cr_assert_eq(hd_store_open("postgres://herald@127.0.0.1:1/none", &s, err, sizeof(err)),
                 HD_E_UNAVAILABLE);
    cr_assert_null(s);
    cr_assert(strstr(err, "cannot connect to PostgreSQL"), "%s", err);
    cr_assert_null(strstr(err, "herald@"), "the URL is not echoed: %s", err);
}

struct opener {
    const char *dir;
    int rc;
    unsigned char secret[HD_SECRET_LEN];
};

static void *open_and_secret(void *arg)
{
    struct opener *o = arg;
    struct hd_store *s;
    char err[256];
    o->rc = hd_store_open(o->dir, &s, err, sizeof(err));
    if (o->rc == 0) {
        o->rc = hd_store_server_secret(s, o->secret);
        hd_store_close(s);
    }
    return NULL;
}

Test(store, concurrent_first_open_migrates_once)
{
    char fresh[512];
    fixture_fresh_location(fresh, sizeof(fresh));
    struct opener o[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        o[i] = (struct opener){.dir = fresh, .rc = -1};
        cr_assert_eq(pthread_create(&t[i], NULL, open_and_secret, &o[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(o[i].rc, 0, "opener %d: %d", i, o[i].rc);
        cr_assert_arr_eq(o[i].secret, o[0].secret, HD_SECRET_LEN);
    }
}

Test(store, accounts)
{
    struct hd_account got;
    cr_assert_eq(hd_store_account_first(store, ar, &got), HD_E_NOT_FOUND);
    seed();
    cr_assert_eq(hd_store_account_first(store, ar, &got), 0);
    cr_assert_str_eq(got.id, mine.id);
    cr_assert_str_eq(got.name, "Acme");
    cr_assert_eq(got.created_at, NOW);
    cr_assert_eq(hd_store_account_get(store, other.id, ar, &got), 0);
    cr_assert_str_eq(got.name, "Other");
    cr_assert_eq(hd_store_account_get(store, "nope", ar, &got), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_account_insert(store, &mine), HD_E_CONFLICT);
}

Test(store, api_keys)
{
    seed();
    struct hd_api_key k = {.client_id = "hd_abc", .name = "ci", .scopes = 5, .created_at = NOW};
    strcpy(k.account_id, mine.id);
    memset(k.secret_hash, 0xab, sizeof(k.secret_hash));
    cr_assert_eq(hd_store_key_insert(store, &k), 0);
    struct hd_api_key got;
    cr_assert_eq(hd_store_key_get(store, "hd_abc", ar, &got), 0);
    cr_assert_str_eq(got.client_id, "hd_abc");
    cr_assert_str_eq(got.account_id, mine.id);
    cr_assert_str_eq(got.name, "ci");
    cr_assert_eq(got.scopes, 5);
    cr_assert_arr_eq(got.secret_hash, k.secret_hash, sizeof(k.secret_hash));
    cr_assert_eq(got.created_at, NOW);
    cr_assert_eq(got.revoked_at, 0);
    cr_assert_eq(hd_store_key_insert(store, &k), HD_E_CONFLICT);
    cr_assert_eq(hd_store_key_get(store, "hd_none", ar, &got), HD_E_NOT_FOUND);
    strcpy(k.client_id, "hd_orphan");
    strcpy(k.account_id, "no-such-account");
    cr_assert_eq(hd_store_key_insert(store, &k), HD_E_NOT_FOUND);
}

Test(store, systems)
{
    seed();
    struct hd_system got, list[4];
    cr_assert_eq(hd_store_system_get(store, mine.id, sys.id, ar, &got), 0);
    cr_assert_str_eq(got.id, sys.id);
    cr_assert_str_eq(got.account_id, mine.id);
    cr_assert_str_eq(got.name, "ServiceNow");
    cr_assert_arr_eq(got.signing_secret, sys.signing_secret, HD_SECRET_LEN);
    cr_assert_eq(hd_store_system_get(store, other.id, sys.id, ar, &got), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_system_get_any(store, sys.id, ar, &got), 0);
    cr_assert_str_eq(got.account_id, mine.id);
    cr_assert_eq(hd_store_system_get_any(store, "0123", ar, &got), HD_E_NOT_FOUND);

    struct hd_system older = sys, newer = sys;
    hd_id_hex(older.id, 16);
    hd_id_hex(newer.id, 16);
    older.created_at = NOW - 10;
    newer.created_at = NOW + 10;
    cr_assert_eq(hd_store_system_insert(store, &newer), 0);
    cr_assert_eq(hd_store_system_insert(store, &older), 0);
    cr_assert_eq(hd_store_system_insert(store, &older), HD_E_CONFLICT);
    size_t n = 99;
    cr_assert_eq(hd_store_system_list(store, mine.id, ar, list, 4, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(list[0].id, older.id);
    cr_assert_str_eq(list[1].id, sys.id);
    cr_assert_str_eq(list[2].id, newer.id);
    cr_assert_eq(hd_store_system_list(store, mine.id, ar, list, 2, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(hd_store_system_list(store, other.id, ar, list, 4, &n), 0);
    cr_assert_eq(n, 0);
}

Test(store, templates_with_and_without_button)
{
    seed();
    struct hd_template got, plain = tpl;
    cr_assert_eq(hd_store_template_get(store, sys.id, tpl.id, ar, &got), 0);
    cr_assert_str_eq(got.id, tpl.id);
    cr_assert_str_eq(got.system_id, sys.id);
    cr_assert_str_eq(got.name, "Lead");
    cr_assert_str_eq(got.title, "New lead");
    cr_assert_str_eq(got.description, "Opportunity ###OPP###");
    cr_assert_str_eq(got.button_text, "Open");
    cr_assert_str_eq(got.button_url, "https://crm.example.com/###ID###");
    cr_assert_str_eq(got.type, "push");
    cr_assert_str_eq(got.placeholders_json, "[\"OPP\",\"ID\"]");
    cr_assert_eq(got.created_at, NOW);

    hd_id_uuid4(plain.id);
    plain.button_text = plain.button_url = NULL;
    plain.type = "popup";
    plain.placeholders_json = "[]";
    cr_assert_eq(hd_store_template_insert(store, &plain), 0);
    cr_assert_eq(hd_store_template_get(store, sys.id, plain.id, ar, &got), 0);
    cr_assert_null(got.button_text);
    cr_assert_null(got.button_url);
    cr_assert_str_eq(got.type, "popup");
    cr_assert_eq(hd_store_template_get(store, "ffff", tpl.id, ar, &got), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_template_insert(store, &plain), HD_E_CONFLICT);
    hd_id_uuid4(plain.id);
    strcpy(plain.system_id, "0000000000000000000000000000dead");
    cr_assert_eq(hd_store_template_insert(store, &plain), HD_E_NOT_FOUND);
}

Test(store, end_users_upsert_and_count_unknown)
{
    seed();
    struct hd_end_user u = {.id = "ada@example.com",
                            .name = "Ada",
                            .email = "ada@example.com",
                            .attributes_json = "{\"dept\":\"R&D\"}",
                            .created_at = NOW,
                            .updated_at = NOW};
    strcpy(u.system_id, sys.id);
    bool created = false;
    cr_assert_eq(hd_store_end_user_upsert(store, &u, &created), 0);
    cr_assert(created);
    u.name = "Ada L.";
    u.created_at = u.updated_at = NOW + 5;
    cr_assert_eq(hd_store_end_user_upsert(store, &u, &created), 0);
    cr_assert_not(created);
    cr_assert_eq(raw("SELECT count(*) FROM end_users WHERE name = 'Ada L.' AND created_at = "
                     "1800000000000 AND updated_at = 1800000000005"),
                 1);

    const char *ids[] = {"ada@example.com", "bob@example.com", "eve@example.com"};
    size_t unknown = 99;
    cr_assert_eq(hd_store_end_users_count_unknown(store, sys.id, ids, 3, &unknown), 0);
    cr_assert_eq(unknown, 2);
    cr_assert_eq(hd_store_end_users_count_unknown(store, "other", ids, 3, &unknown), 0);
    cr_assert_eq(unknown, 3);
    strcpy(u.system_id, "0000000000000000000000000000dead");
    cr_assert_eq(hd_store_end_user_upsert(store, &u, &created), HD_E_NOT_FOUND);
}

Test(store, feed_direct_targets)
{
    seed();
    struct hd_notification n = notif(NOW - 1000, NOW - 1000, NOW + DAY);
    n.button_text = "Open";
    n.button_url = "https://crm.example.com/42";
    send_to(&n, "ada");
    struct hd_feed_item items[8];
    cr_assert_eq(feed(query("ada"), items), 1);
    cr_assert_str_eq(items[0].n.id, n.id);
    cr_assert_str_eq(items[0].n.account_id, mine.id);
    cr_assert_str_eq(items[0].n.system_id, sys.id);
    cr_assert_str_eq(items[0].n.template_id, tpl.id);
    cr_assert_str_eq(items[0].n.created_by, "key1");
    cr_assert_str_eq(items[0].n.runtime_title, "New lead");
    cr_assert_str_eq(items[0].n.button_url, "https://crm.example.com/42");
    cr_assert_eq(items[0].n.end_at, NOW + DAY);
    cr_assert_eq(items[0].n.cancelled_at, 0);
    cr_assert_eq(items[0].seen_at, 0);
    cr_assert_eq(feed(query("bob"), items), 0);
    struct hd_feed_query q = query("ada");
    q.system_id = "0000000000000000000000000000dead";
    cr_assert_eq(feed(q, items), 0);
    cr_assert_eq(unread("ada"), 1);
    cr_assert_eq(unread("bob"), 0);
}

Test(store, feed_through_audiences)
{
    seed();
    struct hd_audience a = {.name = "R&D", .created_at = NOW};
    hd_id_uuid4(a.id);
    strcpy(a.system_id, sys.id);
    const char *members[] = {"ada", "bob", "ada"};
    cr_assert_eq(hd_store_audience_insert(store, &a, members, 3), 0);
    cr_assert_eq(raw("SELECT count(*) FROM audience_members"), 2);

    struct hd_notification n = notif(NOW - 1000, NOW - 1000, NOW + DAY);
    const char *users[] = {"ada"}, *auds[] = {a.id};
    cr_assert_eq(hd_store_notification_insert(store, &n, users, 1, auds, 1), 0);
    cr_assert_eq(raw("SELECT count(*) FROM notification_users"), 1);
    cr_assert_eq(raw("SELECT count(*) FROM notification_audiences"), 1);
    struct hd_feed_item items[8];
    cr_assert_eq(feed(query("ada"), items), 1, "direct and audience count once");
    cr_assert_eq(feed(query("bob"), items), 1);
    cr_assert_str_eq(items[0].n.id, n.id);
    cr_assert_eq(feed(query("eve"), items), 0);
    cr_assert_eq(unread("bob"), 1);
    cr_assert_eq(raw("SELECT locked_at FROM templates"), NOW - 1000, "the template is locked");
}

/* Shared by the two tests below: the second runs it on a connection that trusts its
 * references (the writer's), where only the statements' own checks stand. */
static void insert_checks_ownership(void)
{
    seed();
    struct hd_audience a = {.name = "Elsewhere", .created_at = NOW};
    struct hd_system sys2 = sys;
    hd_id_hex(sys2.id, 16);
    cr_assert_eq(hd_store_system_insert(store, &sys2), 0);
    hd_id_uuid4(a.id);
    strcpy(a.system_id, sys2.id);
    cr_assert_eq(hd_store_audience_insert(store, &a, NULL, 0), 0);

    struct hd_notification n = notif(NOW, NOW, NOW + DAY);
    const char *users[] = {"ada", "ada"}, *auds[] = {a.id};
    cr_assert_eq(hd_store_notification_insert(store, &n, users, 1, auds, 1), HD_E_NOT_FOUND);
    strcpy(n.account_id, other.id);
    cr_assert_eq(hd_store_notification_insert(store, &n, users, 1, NULL, 0), HD_E_NOT_FOUND);
    n = notif(NOW, NOW, NOW + DAY);
    strcpy(n.system_id, sys2.id);
    cr_assert_eq(hd_store_notification_insert(store, &n, users, 1, NULL, 0), HD_E_NOT_FOUND);
    n = notif(NOW, NOW, NOW + DAY);
    strcpy(n.template_id, "00000000-0000-4000-8000-000000000000");
    cr_assert_eq(hd_store_notification_insert(store, &n, users, 1, NULL, 0), HD_E_NOT_FOUND);
    n = notif(NOW, NOW, NOW + DAY);
    cr_assert_eq(hd_store_notification_insert(store, &n, users, 2, NULL, 0), HD_E_CONFLICT);
    cr_assert_eq(raw("SELECT count(*) FROM notifications"), 0, "failed inserts roll back");
    cr_assert_eq(raw("SELECT count(*) FROM notification_users"), 0);
    cr_assert_eq(raw("SELECT count(*) FROM templates WHERE locked_at IS NOT NULL"), 0);
    struct hd_feed_item items[2];
    cr_assert_eq(feed(query("ada"), items), 0);
}

Test(store, notification_insert_checks_ownership)
{
    insert_checks_ownership();
}

Test(store, notification_insert_checks_ownership_on_the_writers_connection)
{
    cr_assert_eq(hd_store_trust_references(store), 0);
    insert_checks_ownership();
}

Test(store, feed_time_window_and_cancel)
{
    seed();
    struct hd_notification future = notif(NOW - 5000, NOW + 60000, NOW + DAY);
    struct hd_notification cancelled = notif(NOW - 4000, NOW - 4000, NOW + DAY);
    struct hd_notification recent = notif(NOW - 3000, NOW - 10 * DAY, NOW - DAY);
    struct hd_notification ancient = notif(NOW - 2000, NOW - 200 * DAY, NOW - 100 * DAY);
    struct hd_notification active = notif(NOW - 1000, NOW - 1000, NOW + DAY);
    cancelled.cancelled_at = NOW - 500;
    send_to(&future, "ada");
    send_to(&cancelled, "ada");
    send_to(&recent, "ada");
    send_to(&ancient, "ada");
    send_to(&active, "ada");
    struct hd_feed_item items[8];
    cr_assert_eq(feed(query("ada"), items), 2);
    cr_assert_str_eq(items[0].n.id, active.id);
    cr_assert_str_eq(items[1].n.id, recent.id, "expired within history is listed");
    cr_assert_eq(unread("ada"), 1, "expired ones are not unread");
    struct hd_feed_query q = query("ada");
    q.now = NOW + 61000;
    cr_assert_eq(feed(q, items), 3, "a scheduled one appears at its start");
    cr_assert_str_eq(items[0].n.id, active.id);
    cr_assert_str_eq(items[1].n.id, recent.id);
    cr_assert_str_eq(items[2].n.id, future.id, "ordered by id, that is by creation");
    q.history_ms = 0;
    cr_assert_eq(feed(q, items), 2, "no history: only unexpired ones");
}

Test(store, feed_pages_newest_first)
{
    seed();
    struct hd_notification n[7];
    for (int i = 0; i < 7; i++) {
        n[i] = notif(NOW - 10000 + i * 10, NOW - 10000, NOW + DAY);
        send_to(&n[i], "ada");
    }
    struct hd_feed_item items[8];
    struct hd_feed_query q = query("ada");
    q.limit = 3;
    const int expect[] = {6, 5, 4, 3, 2, 1, 0};
    size_t seen = 0, got;
    while ((got = feed(q, items)) > 0) {
        for (size_t i = 0; i < got; i++)
            cr_assert_str_eq(items[i].n.id, n[expect[seen + i]].id, "item %zu", seen + i);
        seen += got;
        q.before = hd_arena_strdup(ar, items[got - 1].n.id);
    }
    cr_assert_eq(seen, 7);
    q.limit = 0;
    cr_assert_eq(feed(q, items), 0);
}

Test(store, feed_read_state)
{
    seed();
    struct hd_notification a = notif(NOW - 3000, NOW - 3000, NOW + DAY);
    struct hd_notification b = notif(NOW - 2000, NOW - 2000, NOW + DAY);
    struct hd_notification c = notif(NOW - 1000, NOW - 1000, NOW + DAY);
    send_to(&a, "ada");
    send_to(&b, "ada");
    send_to(&c, "ada");
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO delivery_state (notification_id, system_id, end_user_id, received_at,"
             " seen_at, dismissed_at) VALUES ('%s', '%s', 'ada', 1, 2, NULL), ('%s', '%s', "
             "'ada', 1, 2, 3)",
             b.id, sys.id, c.id, sys.id);
    raw(sql);
    struct hd_feed_item items[8];
    cr_assert_eq(feed(query("ada"), items), 2, "dismissed ones leave the list");
    cr_assert_str_eq(items[0].n.id, b.id);
    cr_assert_eq(items[0].received_at, 1);
    cr_assert_eq(items[0].seen_at, 2);
    cr_assert_eq(items[0].dismissed_at, 0);
    struct hd_feed_query q = query("ada");
    q.unread_only = true;
    cr_assert_eq(feed(q, items), 1);
    cr_assert_str_eq(items[0].n.id, a.id);
    cr_assert_eq(unread("ada"), 1);
}

struct writer {
    const char *dir;
    int id, failures;
};

/* Each thread has its own connection, as each event loop and CLI command does. */
static void *write_many(void *arg)
{
    struct writer *w = arg;
    struct hd_store *s;
    char err[256], user[32];
    if (hd_store_open(w->dir, &s, err, sizeof(err)) != 0) {
        w->failures = -1;
        return NULL;
    }
    for (int i = 0; i < 100; i++) {
        struct hd_notification n = notif(NOW - 100000 + i * 2 + w->id, NOW - DAY, NOW + DAY);
        struct hd_end_user u = {.id = user, .created_at = NOW, .updated_at = NOW};
        const char *users[] = {"ada"};
        snprintf(user, sizeof(user), "user-%d-%d", w->id, i % 10);
        strcpy(u.system_id, sys.id);
        bool created;
        w->failures += hd_store_notification_insert(s, &n, users, 1, NULL, 0) != 0;
        w->failures += hd_store_end_user_upsert(s, &u, &created) != 0;
    }
    hd_store_close(s);
    return NULL;
}

/* The child process waits for the parent's seed rows, then writes like a CLI command would. */
static pid_t fork_writer(int *go)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        char c = 0;
        close(fds[1]);
        struct writer w = {location, 2, 0};
        if (read(fds[0], &c, 1) == 1)
            write_many(&w);
        _exit(w.failures == 0 && c == 'g' ? 0 : 1);
    }
    close(fds[0]);
    *go = fds[1];
    return pid;
}

/* Two threads, each with its own connection, and another process, all writing at once. */
Test(store_procs, concurrent_writers_on_three_connections)
{
    seed_ids();
    int go, status;
    pid_t child = fork_writer(&go);
    char err[256] = "";
    cr_assert_eq(hd_store_open(location, &store, err, sizeof(err)), 0, "open: %s", err);
    seed();
    struct writer w[2] = {{location, 0, 0}, {location, 1, 0}};
    pthread_t t[2];
    cr_assert_eq(write(go, "g", 1), 1);
    close(go);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, write_many, &w[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(w[i].failures, 0, "writer %d had %d failures", i, w[i].failures);
    }
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer process failed");
    cr_assert_eq(raw("SELECT count(*) FROM notifications"), 300);
    cr_assert_eq(raw("SELECT count(*) FROM end_users"), 30);
    cr_assert_eq(unread("ada"), 300);
}

/* ---- notification management (SPEC §4) ---- */

static struct hd_audience audience(const char *const *members, size_t n)
{
    struct hd_audience a = {.name = "group", .created_at = NOW};
    hd_id_uuid4(a.id);
    strcpy(a.system_id, sys.id);
    cr_assert_eq(hd_store_audience_insert(store, &a, members, n), 0);
    return a;
}

/* An audience of "u<from>" .. "u<to - 1>", filled in bulk by SQL (through the count triggers). */
static struct hd_audience audience_range(long from, long to)
{
    struct hd_audience a = audience(NULL, 0);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE c(i) AS (SELECT %ld UNION ALL SELECT i + 1 FROM c WHERE i < %ld)"
             " INSERT INTO audience_members SELECT '%s', '%s', 'u' || i, 0 FROM c",
             from, to - 1, a.id, sys.id);
    raw(sql);
    return a;
}

/* Sends a new notification to users and audiences; returns its targeted, as get and stats
 * report it. */
static int64_t targeted(const char *const *users, size_t nu, const struct hd_audience *auds,
                        size_t na)
{
    struct hd_notification n = notif(NOW, NOW, NOW + DAY), got;
    const char *ids[4];
    for (size_t i = 0; i < na; i++)
        ids[i] = auds[i].id;
    cr_assert_eq(hd_store_notification_insert(store, &n, users, nu, ids, na), 0);
    struct hd_notification_stats st;
    cr_assert_eq(hd_store_notification_get(store, mine.id, n.id, ar, &got), 0);
    cr_assert_eq(hd_store_notification_stats(store, mine.id, n.id, &st), 0);
    cr_assert_eq(got.targeted, st.targeted);
    return st.targeted;
}

Test(store, targeted_counts_each_person_once)
{
    seed();
    const char *m1[] = {"ada", "bob", "cy", "ada"}, *m2[] = {"bob", "cy", "dan"};
    struct hd_audience a[2] = {audience(m1, 4), audience(m2, 3)};
    cr_assert_eq(raw("SELECT sum(member_count) FROM audiences"), 6, "duplicates are folded");
    const char *direct[] = {"ada", "eve"}, *outside[] = {"eve", "fay"};
    cr_assert_eq(targeted(direct, 2, NULL, 0), 2);
    cr_assert_eq(targeted(direct, 2, a, 1), 4, "ada is in the audience: counted once");
    cr_assert_eq(targeted(NULL, 0, a, 2), 4, "bob and cy are in both audiences");
    cr_assert_eq(targeted(direct, 2, a, 2), 5);
    cr_assert_eq(targeted(outside, 2, a, 2), 6);
    cr_assert_eq(targeted(direct, 1, (struct hd_audience[]){audience(NULL, 0)}, 1), 1, "empty");
    struct hd_feed_item items[8];
    cr_assert_eq(feed(query("dan"), items), 3, "the three sent to the second audience");
    raw("INSERT INTO audience_members SELECT audience_id, system_id, 'bob', 0"
        " FROM audience_members LIMIT 1 ON CONFLICT DO NOTHING");
    cr_assert_eq(raw("SELECT sum(member_count) FROM audiences"), 6, "bob was there already");
    raw("DELETE FROM audience_members WHERE end_user_id = 'cy'");
    cr_assert_eq(raw("SELECT sum(member_count) FROM audiences"), 4);
}

/* SPEC §10: a trigger to an audience of 1,000,000 members takes at most 10 ms (with reading
 * back targeted). Past HD_TARGETED_EXACT_MAX members in several audiences, targeted is an upper
 * bound: people in two audiences count twice. */
Test(store, targeted_of_a_million_member_audience_is_cheap, .timeout = 120)
{
    seed();
    struct hd_audience big[2] = {audience_range(0, 1000000), audience_range(999990, 1000010)};
    const char *direct[] = {"u7", "zed"};
    int64_t best = INT64_MAX;
    for (int i = 0; i < 3; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cr_assert_eq(targeted(direct, 2, big, 1), 1000001, "u7 is a member; zed is not");
        clock_gettime(CLOCK_MONOTONIC, &t1);
        int64_t us = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
        best = us < best ? us : best;
    }
    cr_assert_lt(best, 10000, "a trigger to a million members took %lld µs", (long long)best);
    cr_assert_eq(targeted(direct, 2, big, 2), 1000021, "exact would be 1000011");
}

/* Another account with a system and template of its own, and one notification there. */
static struct hd_notification other_notification(void)
{
    struct hd_notification n = notif(NOW - 1, NOW - 1, NOW + DAY);
    struct hd_system s2 = sys;
    struct hd_template t2 = tpl;
    hd_id_hex(s2.id, 16);
    hd_id_uuid4(t2.id);
    strcpy(n.account_id, strcpy(s2.account_id, other.id));
    strcpy(n.system_id, strcpy(t2.system_id, s2.id));
    strcpy(n.template_id, t2.id);
    cr_assert_eq(hd_store_system_insert(store, &s2), 0);
    cr_assert_eq(hd_store_template_insert(store, &t2), 0);
    send_to(&n, "ada");
    return n;
}

Test(store, notification_get_stats_and_tenancy)
{
    seed();
    struct hd_notification n = notif(NOW - 1000, NOW - 1000, NOW + DAY), got;
    send_to(&n, "ada");
    struct hd_notification theirs = other_notification();
    cr_assert_eq(hd_store_notification_get(store, mine.id, n.id, ar, &got), 0);
    cr_assert(!strcmp(got.id, n.id) && !strcmp(got.title, "console name") && got.targeted == 1);
    struct hd_notification_stats st, want = {.targeted = 1, 3, 2, 1, 1};
    cr_assert_eq(hd_store_notification_get(store, other.id, n.id, ar, &got), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_notification_get(store, mine.id, theirs.id, ar, &got), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_notification_get(store, mine.id, "nope", ar, &got), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_notification_stats(store, other.id, n.id, &st), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_notification_cancel(store, other.id, n.id, NOW), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_notification_cancel(store, mine.id, theirs.id, NOW), HD_E_NOT_FOUND);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO delivery_state VALUES ('%1$s', '%2$s', 'ada', 1, 2, 3, NULL),"
             " ('%1$s', '%2$s', 'bob', 1, 2, NULL, 4), ('%1$s', '%2$s', 'cy', 1, NULL, NULL, NULL)",
             n.id, sys.id);
    raw(sql);
    cr_assert_eq(hd_store_notification_stats(store, mine.id, n.id, &st), 0);
    cr_assert_arr_eq(&st, &want, sizeof(st), "targeted, received, seen, clicked, dismissed");
}

static size_t list(const char *account, struct hd_notification_filter f,
                   struct hd_notification *out)
{
    size_t count = 99;
    cr_assert_eq(hd_store_notification_list(store, account, &f, ar, out, &count), 0);
    return count;
}

Test(store, notification_list_filters_and_pages)
{
    seed();
    struct hd_system sys2 = sys;
    hd_id_hex(sys2.id, 16);
    cr_assert_eq(hd_store_system_insert(store, &sys2), 0);
    struct hd_notification n[5] = {
        notif(NOW - 5000, NOW + DAY, NOW + 2 * DAY), /* scheduled */
        notif(NOW - 4000, NOW - 4000, NOW + DAY),    /* active */
        notif(NOW - 3000, NOW - 2 * DAY, NOW - DAY), /* completed */
        notif(NOW - 2000, NOW - 2000, NOW + DAY),    /* cancelled below */
        notif(NOW - 1000, NOW - 1000, NOW + DAY)};   /* active, in tpl's system */
    for (int i = 0; i < 5; i++)
        send_to(&n[i], "ada");
    cr_assert_eq(hd_store_notification_cancel(store, mine.id, n[3].id, NOW - 500), 0);
    struct hd_notification theirs = other_notification(), out[8];
    struct hd_notification_filter f = {.now = NOW, .limit = 8};
    cr_assert_eq(list(mine.id, f, out), 5);
    for (int i = 0; i < 5; i++)
        cr_assert_str_eq(out[i].id, n[4 - i].id, "newest first, item %d", i);
    cr_assert_eq(list(other.id, f, out), 1);
    cr_assert_str_eq(out[0].id, theirs.id);
    const char *status[] = {"scheduled", "active", "completed", "cancelled", "paused"};
    const size_t expect[] = {1, 2, 1, 1, 0};
    for (int i = 0; i < 5; i++) {
        f.status = status[i];
        cr_assert_eq(list(mine.id, f, out), expect[i], "status %s", status[i]);
    }
    f.status = "active";
    cr_assert_eq(list(mine.id, f, out), 2);
    cr_assert_str_eq(out[0].id, n[4].id);
    cr_assert_str_eq(out[1].id, n[1].id);
    f.now = NOW + 2 * DAY;
    cr_assert_eq(list(mine.id, f, out), 0, "everything has ended by then");
    f = (struct hd_notification_filter){.now = NOW, .limit = 8, .system_id = sys.id};
    cr_assert_eq(list(mine.id, f, out), 5);
    f.system_id = sys2.id;
    cr_assert_eq(list(mine.id, f, out), 0);
    f.system_id = theirs.system_id;
    cr_assert_eq(list(mine.id, f, out), 0, "another account's system lists nothing");
    f = (struct hd_notification_filter){.now = NOW, .limit = 2};
    size_t seen = 0, got;
    while ((got = list(mine.id, f, out)) > 0) {
        for (size_t i = 0; i < got; i++)
            cr_assert_str_eq(out[i].id, n[4 - seen - i].id);
        seen += got;
        f.before = hd_arena_strdup(ar, out[got - 1].id);
    }
    cr_assert_eq(seen, 5);
}

/* A system of mine with a template of its own. */
static void another_system(struct hd_system *s2, struct hd_template *t2)
{
    *s2 = sys;
    *t2 = tpl;
    hd_id_hex(s2->id, 16);
    hd_id_uuid4(t2->id);
    strcpy(t2->system_id, s2->id);
    cr_assert_eq(hd_store_system_insert(store, s2), 0);
    cr_assert_eq(hd_store_template_insert(store, t2), 0);
}

/* Without systemId, the account's systems are listed as one: newest first across them, pages
 * that cross from one system to another, a deleted system's notifications still there. */
Test(store, an_accounts_list_merges_its_systems_newest_first)
{
    seed();
    struct hd_system systems[3] = {sys};
    struct hd_template templates[3] = {tpl};
    another_system(&systems[1], &templates[1]);
    another_system(&systems[2], &templates[2]);
    struct hd_notification n[7];
    const int system_of[7] = {2, 0, 0, 1, 2, 1, 0};
    for (int i = 0; i < 7; i++) {
        n[i] = notif(NOW - 7000 + i * 1000, NOW - 7000 + i * 1000, NOW + DAY);
        strcpy(n[i].system_id, systems[system_of[i]].id);
        strcpy(n[i].template_id, templates[system_of[i]].id);
        send_to(&n[i], "ada");
    }
    cr_assert_eq(hd_store_notification_cancel(store, mine.id, n[3].id, NOW - 500), 0);
    struct hd_notification theirs = other_notification(), out[8];
    int64_t live;
    const char **cancelled;
    cr_assert_eq(
        hd_store_system_delete(store, mine.id, systems[2].id, true, NOW, ar, &live, &cancelled), 0);
    cr_assert_eq(live, 2, "n[0] and n[4], cancelled with their system");
    struct hd_notification_filter f = {.now = NOW, .limit = 8};
    cr_assert_eq(list(mine.id, f, out), 7);
    for (int i = 0; i < 7; i++)
        cr_assert_str_eq(out[i].id, n[6 - i].id, "newest first, item %d", i);
    for (size_t limit = 1; limit <= 3; limit++) {
        f = (struct hd_notification_filter){.now = NOW, .limit = limit};
        size_t seen = 0, got;
        while ((got = list(mine.id, f, out)) > 0) {
            cr_assert_leq(got, limit);
            for (size_t i = 0; i < got; i++)
                cr_assert_str_eq(out[i].id, n[6 - seen - i].id, "limit %zu", limit);
            seen += got;
            f.before = hd_arena_strdup(ar, out[got - 1].id);
        }
        cr_assert_eq(seen, 7, "limit %zu", limit);
    }
    f = (struct hd_notification_filter){.now = NOW, .limit = 8, .status = "active"};
    cr_assert_eq(list(mine.id, f, out), 4);
    const int active[4] = {6, 5, 2, 1};
    for (int i = 0; i < 4; i++)
        cr_assert_str_eq(out[i].id, n[active[i]].id, "active item %d", i);
    f.before = n[5].id;
    f.limit = 1;
    cr_assert_eq(list(mine.id, f, out), 1);
    cr_assert_str_eq(out[0].id, n[2].id, "the next active one, in another system");
    f = (struct hd_notification_filter){.now = NOW, .limit = 8, .status = "cancelled"};
    cr_assert_eq(list(mine.id, f, out), 3, "n[4], n[3] and n[0]");
    cr_assert_eq(list(other.id, f, out), 0);
    f.status = NULL;
    cr_assert_eq(list(other.id, f, out), 1);
    cr_assert_str_eq(out[0].id, theirs.id);
}

Test(store, notification_cancel_rules_and_feed)
{
    seed();
    struct hd_notification live = notif(NOW - 3000, NOW - 3000, NOW + DAY);
    struct hd_notification later = notif(NOW - 2000, NOW + DAY, NOW + 2 * DAY);
    struct hd_notification over = notif(NOW - 1000, NOW - 2 * DAY, NOW);
    send_to(&live, "ada");
    send_to(&later, "ada");
    send_to(&over, "ada");
    struct hd_feed_item items[4];
    cr_assert_eq(feed(query("ada"), items), 2);
    cr_assert_eq(hd_store_notification_cancel(store, mine.id, live.id, NOW), 0);
    cr_assert_eq(feed(query("ada"), items), 1, "a cancelled one leaves the feed at once");
    cr_assert_str_eq(items[0].n.id, over.id);
    struct hd_notification got;
    cr_assert_eq(hd_store_notification_get(store, mine.id, live.id, ar, &got), 0);
    cr_assert_eq(got.cancelled_at, NOW);
    cr_assert_str_eq(hd_notification_status(&got, NOW), "cancelled");
    cr_assert_eq(hd_store_notification_cancel(store, mine.id, live.id, NOW), HD_E_CONFLICT);
    cr_assert_eq(hd_store_notification_cancel(store, mine.id, over.id, NOW), HD_E_CONFLICT,
                 "completed: end_at <= now");
    cr_assert_eq(hd_store_notification_cancel(store, mine.id, later.id, NOW), 0, "scheduled");
    struct hd_feed_query q = query("ada");
    q.now = NOW + DAY;
    cr_assert_eq(feed(q, items), 1, "a cancelled scheduled one never appears");
}

/* A group-commit job: inserts `first`, then `second` (a duplicate id fails it). */
struct batch_job {
    struct hd_system *first, *second;
};

static int insert_two_systems(struct hd_store *s, const void *arg)
{
    const struct batch_job *j = arg;
    int err = hd_store_system_insert(s, j->first);
    return err ? err : j->second ? hd_store_system_insert(s, j->second) : 0;
}

static struct hd_system system_named(const char *name)
{
    struct hd_system s = {.name = name, .created_at = NOW};
    hd_id_hex(s.id, 16);
    strcpy(s.account_id, mine.id);
    return s;
}

Test(store, a_failed_job_of_a_batch_is_undone_whole_and_the_batch_goes_on)
{
    seed();
    struct hd_system a = system_named("a"), b = system_named("b"), c = system_named("c");
    struct batch_job ok1 = {&a, NULL}, failing = {&b, &a}, ok2 = {&c, NULL};
    cr_assert_eq(hd_store_batch_begin(store), 0);
    cr_assert_eq(hd_store_in_savepoint(store, insert_two_systems, &ok1), 0);
    cr_assert_eq(hd_store_in_savepoint(store, insert_two_systems, &failing), HD_E_CONFLICT);
    cr_assert_eq(hd_store_in_savepoint(store, insert_two_systems, &ok2), 0);
    cr_assert_eq(hd_store_batch_end(store, true), 0);
    struct hd_system got;
    cr_assert_eq(hd_store_system_get(store, mine.id, a.id, ar, &got), 0);
    cr_assert_eq(hd_store_system_get(store, mine.id, b.id, ar, &got), HD_E_NOT_FOUND,
                 "the failed job's first insert was undone");
    cr_assert_eq(hd_store_system_get(store, mine.id, c.id, ar, &got), 0, "the batch went on");
}

Test(store, a_batch_rolled_back_keeps_nothing)
{
    seed();
    struct hd_system a = system_named("a");
    struct batch_job job = {&a, NULL};
    cr_assert_eq(hd_store_batch_begin(store), 0);
    cr_assert_eq(hd_store_in_savepoint(store, insert_two_systems, &job), 0);
    cr_assert_eq(hd_store_batch_end(store, false), 0);
    struct hd_system got;
    cr_assert_eq(hd_store_system_get(store, mine.id, a.id, ar, &got), HD_E_NOT_FOUND);
}

/* The trigger's write: a notification that starts at once has its start event in the same
 * transaction, numbered after every earlier event; one that starts later has none yet. */
Test(store, notification_send_records_the_start_with_the_row)
{
    seed();
    struct hd_notification now_n = notif(NOW, NOW - 1000, NOW + DAY);
    struct hd_notification later = notif(NOW + 1, NOW + DAY / 24, NOW + DAY);
    struct hd_notification again = notif(NOW + 2, NOW, NOW + DAY);
    const char *users[] = {"alice@example.com"};
    int64_t first = -1, none = -1, third = -1, seq = -1;
    size_t unknown;
    cr_assert_eq(
        hd_store_notification_send(store, &now_n, users, 1, NULL, 0, NOW, &first, &unknown), 0);
    cr_expect_gt(first, 0);
    cr_assert_eq(hd_store_notification_send(store, &later, users, 1, NULL, 0, NOW, &none, &unknown),
                 0);
    cr_expect_eq(none, 0);
    /* the start is recorded once: a second record of it has nothing to do */
    cr_assert_eq(hd_store_event_record(store, now_n.id, true, NOW, &seq), 0);
    cr_expect_eq(seq, 0);
    cr_assert_eq(hd_store_event_record(store, later.id, true, NOW + DAY / 24, &seq), 0);
    cr_expect_gt(seq, first);
    cr_assert_eq(
        hd_store_notification_send(store, &again, users, 1, NULL, 0, NOW, &third, &unknown), 0);
    cr_expect_gt(third, seq);

    struct hd_stream_event ev[8];
    size_t n = 0;
    cr_assert_eq(hd_store_events_since(store, sys.id, "alice@example.com", 0, ar, ev, 8, &n), 0);
    cr_assert_eq(n, 3);
    cr_expect_eq(ev[0].seq, first);
    cr_expect_str_eq(ev[0].n.id, now_n.id);
    cr_expect_str_eq(ev[0].kind, "notification");
    cr_expect_str_eq(ev[1].n.id, later.id);
    cr_expect_eq(ev[2].seq, third);
}

/* The send counts, in its transaction, the ids that are no end user of the system, as
 * hd_store_end_users_count_unknown does; with audiences too, and 0 without any id. */
Test(store, notification_send_counts_the_end_users_it_does_not_know)
{
    seed();
    struct hd_end_user u = {.id = "ada@example.com", .attributes_json = "{}", .created_at = NOW};
    strcpy(u.system_id, sys.id);
    bool created;
    cr_assert_eq(hd_store_end_user_upsert(store, &u, &created), 0);
    const char *members[] = {"bob@example.com"};
    struct hd_audience group = audience(members, 1);
    const char *users[] = {"ada@example.com", "bob@example.com", "eve@example.com"};
    const char *audiences[] = {group.id};
    struct hd_notification a = notif(NOW, NOW, NOW + DAY), b = notif(NOW + 1, NOW, NOW + DAY);
    struct hd_notification c = notif(NOW + 2, NOW, NOW + DAY);
    int64_t seq;
    size_t unknown = 99;
    cr_assert_eq(hd_store_notification_send(store, &a, users, 3, NULL, 0, NOW, &seq, &unknown), 0);
    cr_expect_eq(unknown, 2, "bob and eve");
    cr_assert_eq(hd_store_notification_send(store, &b, users, 1, audiences, 1, NOW, &seq, &unknown),
                 0);
    cr_expect_eq(unknown, 0, "ada alone, and an audience");
    cr_assert_eq(hd_store_notification_send(store, &c, NULL, 0, audiences, 1, NOW, &seq, &unknown),
                 0);
    cr_expect_eq(unknown, 0);
}

/* Starts and retractions in one order, whichever way they are read: a user's replay, the page
 * of every event after a seq (what another node's relay reads), and the last seq; a
 * retraction's seq is never used again, even once a later start takes the next. */
Test(store, events_read_in_seq_order_starts_and_retractions_alike)
{
    seed();
    struct hd_notification a = notif(NOW, NOW - 1000, NOW + DAY);
    struct hd_notification b = notif(NOW + 1, NOW + DAY / 24, NOW + DAY);
    struct hd_notification c = notif(NOW + 2, NOW, NOW + DAY);
    const char *users[] = {"alice@example.com"};
    int64_t seq[4] = {0}, last = -1, unused;
    size_t unknown;
    cr_assert_eq(hd_store_events_last(store, &last), 0);
    cr_expect_eq(last, 0, "no event yet");
    cr_assert_eq(hd_store_notification_send(store, &a, users, 1, NULL, 0, NOW, &seq[0], &unknown),
                 0);
    cr_assert_eq(hd_store_notification_send(store, &b, users, 1, NULL, 0, NOW, &unused, &unknown),
                 0);
    cr_assert_eq(hd_store_event_record(store, b.id, true, NOW + DAY / 24, &seq[1]), 0);
    cr_assert_eq(hd_store_event_record(store, a.id, false, NOW + DAY, &seq[2]), 0);
    cr_assert_eq(hd_store_notification_send(store, &c, users, 1, NULL, 0, NOW, &seq[3], &unknown),
                 0);
    const char *ids[] = {a.id, b.id, a.id, c.id};
    const char *kinds[] = {"notification", "notification", "retract", "notification"};
    for (int i = 1; i < 4; i++)
        cr_expect_gt(seq[i], seq[i - 1], "event %d", i);
    cr_assert_eq(hd_store_events_last(store, &last), 0);
    cr_expect_eq(last, seq[3]);

    struct hd_stream_event ev[8];
    size_t n = 0;
    cr_assert_eq(hd_store_events_page(store, 0, ar, ev, 8, &n), 0);
    cr_assert_eq(n, 4);
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(ev[i].seq, seq[i], "page, event %zu", i);
        cr_expect_str_eq(ev[i].n.id, ids[i], "page, event %zu", i);
        cr_expect_str_eq(ev[i].kind, kinds[i], "page, event %zu", i);
    }
    cr_assert_eq(hd_store_events_page(store, seq[0], ar, ev, 2, &n), 0);
    cr_assert_eq(n, 2, "after the first, at most two");
    cr_expect(ev[0].seq == seq[1] && ev[1].seq == seq[2]);
    cr_assert_eq(hd_store_events_since(store, sys.id, "alice@example.com", seq[1], ar, ev, 8, &n),
                 0);
    cr_assert_eq(n, 2);
    cr_expect(ev[0].seq == seq[2] && !strcmp(ev[0].kind, "retract") && ev[1].seq == seq[3]);
}

/* A send that fails stores neither the row nor its event; the next one is numbered after. */
Test(store, notification_send_that_fails_keeps_nothing)
{
    seed();
    struct hd_notification ok = notif(NOW, NOW, NOW + DAY), bad = notif(NOW + 1, NOW, NOW + DAY);
    struct hd_notification next = notif(NOW + 2, NOW, NOW + DAY);
    strcpy(bad.template_id, "00000000-0000-4000-8000-000000000000");
    const char *users[] = {"bob@example.com"};
    int64_t a = 0, b = -1, c = 0;
    size_t unknown;
    cr_assert_eq(hd_store_notification_send(store, &ok, users, 1, NULL, 0, NOW, &a, &unknown), 0);
    cr_expect_eq(hd_store_notification_send(store, &bad, users, 1, NULL, 0, NOW, &b, &unknown),
                 HD_E_NOT_FOUND);
    cr_expect_eq(b, 0);
    cr_assert_eq(hd_store_notification_send(store, &next, users, 1, NULL, 0, NOW, &c, &unknown), 0);
    cr_expect_gt(c, a);
    struct hd_stream_event ev[4];
    size_t n = 0;
    cr_assert_eq(hd_store_events_since(store, sys.id, "bob@example.com", 0, ar, ev, 4, &n), 0);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(ev[0].n.id, ok.id);
    cr_expect_str_eq(ev[1].n.id, next.id);
}

/* A job of a batch that sends its notification (to bob), then fails when `fail` is set. */
struct send_job {
    struct hd_notification *n;
    int64_t seq;
    bool fail;
};

static int send_then_maybe_fail(struct hd_store *s, const void *arg)
{
    struct send_job *j = (struct send_job *)arg;
    const char *users[] = {"bob@example.com"};
    size_t unknown;
    int err = hd_store_notification_send(s, j->n, users, 1, NULL, 0, NOW, &j->seq, &unknown);
    return err ? err : j->fail ? HD_E_CONFLICT : 0;
}

/* The writer's batches number their starts in order: across a job undone after taking its seq,
 * an event recorded in between, and another connection's event between two batches; no seq is
 * used twice, and the undone job's event is gone. */
Test(store, a_batch_numbers_its_starts_after_every_event_before_them)
{
    seed();
    struct hd_notification n[5];
    for (int i = 0; i < 5; i++)
        n[i] = notif(NOW + i, NOW, NOW + DAY);
    n[2].start_at = NOW + DAY / 2; /* scheduled: its start is recorded apart */
    const char *users[] = {"bob@example.com"};
    cr_assert_eq(hd_store_notification_insert(store, &n[2], users, 1, NULL, 0), 0);
    struct send_job first = {&n[0], 0, false}, undone = {&n[1], 0, true}, third = {&n[3], 0, false};
    int64_t recorded = 0, theirs = 0;
    cr_assert_eq(hd_store_batch_begin(store), 0);
    cr_assert_eq(hd_store_in_savepoint(store, send_then_maybe_fail, &first), 0);
    cr_assert_eq(hd_store_in_savepoint(store, send_then_maybe_fail, &undone), HD_E_CONFLICT);
    cr_assert_eq(hd_store_event_record(store, n[2].id, true, NOW, &recorded), 0);
    cr_assert_eq(hd_store_in_savepoint(store, send_then_maybe_fail, &third), 0);
    cr_assert_eq(hd_store_batch_end(store, true), 0);
    cr_expect_gt(recorded, first.seq);
    cr_expect_gt(third.seq, recorded);

    /* another connection records an event between two batches */
    struct hd_notification late = notif(NOW + 9, NOW + DAY / 2, NOW + DAY);
    cr_assert_eq(hd_store_notification_insert(store, &late, users, 1, NULL, 0), 0);
    struct hd_store *second;
    char err[256] = "";
    cr_assert_eq(hd_store_open(location, &second, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(hd_store_event_record(second, late.id, true, NOW, &theirs), 0);
    hd_store_close(second);
    struct send_job next = {&n[4], 0, false};
    cr_assert_eq(hd_store_batch_begin(store), 0);
    cr_assert_eq(hd_store_in_savepoint(store, send_then_maybe_fail, &next), 0);
    cr_assert_eq(hd_store_batch_end(store, true), 0);
    cr_expect_gt(theirs, third.seq);
    cr_expect_gt(next.seq, theirs);

    struct hd_stream_event ev[8];
    size_t count = 0;
    cr_assert_eq(hd_store_events_since(store, sys.id, "bob@example.com", 0, ar, ev, 8, &count), 0);
    const char *order[] = {n[0].id, n[2].id, n[3].id, late.id, n[4].id};
    cr_assert_eq(count, 5, "the undone job left no event");
    for (size_t i = 0; i < count; i++) {
        cr_expect_str_eq(ev[i].n.id, order[i]);
        cr_expect(i == 0 || ev[i].seq > ev[i - 1].seq);
    }
}

/* A batch job that archives tpl, then fails when `fail` is set (so the archive is undone). */
static int archive_then_maybe_fail(struct hd_store *s, const void *arg)
{
    int err = hd_store_template_archive(s, sys.id, tpl.id, NOW);
    return err ? err : *(const bool *)arg ? HD_E_CONFLICT : 0;
}

/* Within one batch, a template archived by an earlier job refuses the triggers after it, even
 * when triggers before it were accepted with that template; an archive undone with its job
 * refuses nothing. */
Test(store, a_batch_sees_its_own_changes_of_a_template)
{
    seed();
    struct hd_notification n[4];
    for (int i = 0; i < 4; i++)
        n[i] = notif(NOW + i, NOW, NOW + DAY);
    struct send_job before = {&n[0], 0, false}, kept = {&n[1], 0, false};
    struct send_job after = {&n[2], 0, false}, again = {&n[3], 0, false};
    bool fail = true, succeed = false;
    cr_assert_eq(hd_store_batch_begin(store), 0);
    cr_assert_eq(hd_store_in_savepoint(store, send_then_maybe_fail, &before), 0);
    cr_assert_eq(hd_store_in_savepoint(store, archive_then_maybe_fail, &fail), HD_E_CONFLICT);
    cr_assert_eq(hd_store_in_savepoint(store, send_then_maybe_fail, &kept), 0,
                 "the archive was undone with its job");
    cr_assert_eq(hd_store_in_savepoint(store, archive_then_maybe_fail, &succeed), 0);
    cr_assert_eq(hd_store_in_savepoint(store, send_then_maybe_fail, &after), HD_E_NOT_FOUND,
                 "archived earlier in the same batch");
    cr_assert_eq(hd_store_batch_end(store, true), 0);
    cr_assert_eq(hd_store_batch_begin(store), 0);
    cr_assert_eq(hd_store_in_savepoint(store, send_then_maybe_fail, &again), HD_E_NOT_FOUND);
    cr_assert_eq(hd_store_batch_end(store, true), 0);
    struct hd_notification got;
    cr_assert_eq(hd_store_notification_get(store, mine.id, n[1].id, ar, &got), 0);
    cr_assert_eq(hd_store_notification_get(store, mine.id, n[2].id, ar, &got), HD_E_NOT_FOUND);
}
