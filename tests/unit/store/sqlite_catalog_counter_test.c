/* sqlite_catalog_counter_test.c: the catalog's version on SQLite (sqlite_catalog_counter.h). A
 * change committed through any store connection moves every connection's version at once,
 * without a read of herald.db; a change that no counter saw (made by raw SQL here, as by a
 * process that died before raising it) shows within a second; and without the counter file the
 * version is read from herald.db each time. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ids.h"
#include "store/catalog.h"
#include "store/sqlite_catalog_counter.h"
#include "../../support/store_seed.h"

#define RECHECK_US 1100000 /* past the second a connection trusts the counter alone */

static void setup(void)
{
    store_fixture_open("hd_catalog_counter_test");
    seed();
}

static void teardown(void)
{
    store_fixture_close();
}

TestSuite(sqlite_catalog_counter, .init = setup, .fini = teardown);

static mode_t current_umask(void)
{
    mode_t m = umask(0);
    umask(m);
    return m;
}

static int64_t version_of(struct hd_store *s)
{
    int64_t v = -1;
    cr_assert_eq(hd_store_catalog_version(s, &v), 0);
    return v;
}

static void open_second(struct hd_store **out)
{
    char err[256] = "";
    cr_assert_eq(hd_store_open(location, out, err, sizeof(err)), 0, "%s", err);
}

Test(sqlite_catalog_counter, a_change_through_another_connection_shows_at_once)
{
    struct hd_store *second;
    open_second(&second);
    int64_t before = version_of(store);
    cr_expect_eq(version_of(store), before, "nothing changed");
    struct hd_template edited = tpl;
    edited.title = "Edited";
    cr_assert_eq(hd_store_template_update(second, &edited, NOW + 1), 0);
    int64_t after = version_of(store);
    cr_expect_neq(after, before);
    cr_expect_eq(version_of(second), after, "one counter for every connection");
    cr_expect_eq(version_of(store), after);
    hd_store_close(second);
}

Test(sqlite_catalog_counter, a_change_no_counter_saw_shows_within_a_second)
{
    int64_t before = version_of(store);
    raw_text("UPDATE systems SET name = 'Renamed'"); /* raises catalog_version, not the counter */
    cr_expect_eq(version_of(store), before, "the counter alone answers, without a read");
    usleep(RECHECK_US);
    int64_t after = version_of(store);
    cr_expect_neq(after, before, "the stored version moved: the counter is raised");
    struct hd_store *second;
    open_second(&second);
    cr_expect_eq(version_of(second), after, "for every connection");
    hd_store_close(second);
}

Test(sqlite_catalog_counter, without_the_counter_file_each_read_goes_to_the_database)
{
    char path[PATH_MAX], fresh[512];
    snprintf(fresh, sizeof(fresh), "%s/no-counter", dir);
    cr_assert_eq(mkdir(fresh, 0700), 0);
    snprintf(path, sizeof(path), "%s/" HD_CATALOG_COUNTER_FILE, fresh);
    cr_assert_eq(mkdir(path, 0700), 0, "a directory where the counter file would be");
    struct hd_store *s;
    char err[256] = "";
    cr_assert_eq(hd_store_open(fresh, &s, err, sizeof(err)), 0, "%s", err);
    struct hd_store *second;
    cr_assert_eq(hd_store_open(fresh, &second, err, sizeof(err)), 0, "%s", err);
    int64_t before = version_of(s);
    struct hd_account a = {.name = "New", .created_at = NOW};
    hd_id_uuid4(a.id);
    cr_assert_eq(hd_store_account_insert(second, &a), 0);
    struct hd_system added = {.name = "Added", .created_at = NOW};
    hd_id_hex(added.id, 16);
    strcpy(added.account_id, a.id);
    cr_assert_eq(hd_store_system_insert(second, &added), 0);
    cr_expect_eq(version_of(s), before + 1, "the stored version, read at once");
    hd_store_close(second);
    hd_store_close(s);
}

/* Made by root (the CLI, say) beside a server that runs as its own user, the file is the
 * database's: its owner and its permissions, as SQLite makes its -wal and -shm files. */
Test(sqlite_catalog_counter, the_file_takes_the_databases_owner_and_permissions)
{
    char db[PATH_MAX], counter[PATH_MAX];
    snprintf(db, sizeof(db), "%s/herald.db", dir);
    snprintf(counter, sizeof(counter), "%s/" HD_CATALOG_COUNTER_FILE, dir);
    hd_store_close(store);
    store = NULL;
    cr_assert_eq(unlink(counter), 0);
    bool root = geteuid() == 0;
    cr_assert_eq(chmod(db, 0640), 0);
    if (root)
        cr_assert_eq(chown(db, 65534, 65534), 0);
    struct hd_store *s;
    char err[256] = "";
    cr_assert_eq(hd_store_open(location, &s, err, sizeof(err)), 0, "%s", err);
    struct stat sb;
    cr_assert_eq(stat(counter, &sb), 0);
    cr_expect_eq(sb.st_mode & 0777, 0640 & ~current_umask());
    if (root)
        cr_expect(sb.st_uid == 65534 && sb.st_gid == 65534, "owner %u:%u", (unsigned)sb.st_uid,
                  (unsigned)sb.st_gid);
    hd_store_close(s);
}
