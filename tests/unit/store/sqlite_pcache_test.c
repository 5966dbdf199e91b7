/* sqlite_pcache_test.c: the page cache wrapper (store/sqlite_pcache.h) drops exactly what the
 * default cache would: a truncation removes every page at or past its limit, including pages
 * moved to high numbers (as a b-tree split does), and keeps the pages below it. */
#include <criterion/criterion.h>
#include <sqlite3.h>

#include "store/sqlite_pcache.h"

#define PAGE_SIZE 4096
#define PARKED    262145u /* where a b-tree split parks a page with 4 KiB pages */
#define PAGES     50u

static sqlite3_pcache_methods2 m;
static sqlite3_pcache *cache;

/* Each test runs in a process of its own, where SQLite is not initialized yet. */
static void setup(void)
{
    cr_assert_eq(hd_sqlite_pcache_install(), 0);
    cr_assert_eq(sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &m), SQLITE_OK);
    cr_assert_eq(sqlite3_initialize(), SQLITE_OK);
    cache = NULL;
}

static void teardown(void)
{
    if (cache)
        m.xDestroy(cache);
    sqlite3_shutdown();
}

TestSuite(sqlite_pcache, .init = setup, .fini = teardown);

static void open_cache(void)
{
    cache = m.xCreate(PAGE_SIZE, 64, 1);
    cr_assert_not_null(cache);
    m.xCachesize(cache, 1000);
    for (unsigned k = 1; k <= PAGES; k++) {
        sqlite3_pcache_page *p = m.xFetch(cache, k, 2);
        cr_assert_not_null(p, "page %u created", k);
        m.xUnpin(cache, p, 0);
    }
}

static bool cached(unsigned key)
{
    sqlite3_pcache_page *p = m.xFetch(cache, key, 0);
    if (p)
        m.xUnpin(cache, p, 0);
    return p != NULL;
}

static void move_page(unsigned from, unsigned to)
{
    sqlite3_pcache_page *p = m.xFetch(cache, from, 0);
    cr_assert_not_null(p, "page %u is cached", from);
    m.xRekey(cache, p, from, to);
    m.xUnpin(cache, p, 0);
}

Test(sqlite_pcache, wraps_the_default_cache)
{
    cr_expect_eq(hd_sqlite_pcache_install(), -1, "too late once SQLite is initialized");
    open_cache();
    cr_expect_eq(m.xPagecount(cache), (int)PAGES);
    cr_expect(cached(1) && cached(PAGES) && !cached(PAGES + 1));
}

Test(sqlite_pcache, drops_the_pages_past_the_limit_and_keeps_the_others)
{
    open_cache();
    m.xTruncate(cache, 41);
    for (unsigned k = 1; k <= PAGES; k++)
        cr_expect_eq(cached(k), k < 41, "page %u", k);
    m.xTruncate(cache, PAGES + 1); /* nothing there: nothing changes */
    cr_expect(cached(40) && !cached(41));
    m.xTruncate(cache, 1);
    cr_expect_eq(m.xPagecount(cache), 0);
}

Test(sqlite_pcache, drops_a_page_parked_past_the_limit)
{
    open_cache();
    move_page(7, PARKED);
    m.xTruncate(cache, PAGES + 1);
    cr_expect_not(cached(PARKED), "the parked page is past the limit");
    cr_expect(cached(8) && cached(PAGES));
}

Test(sqlite_pcache, keeps_a_page_moved_back_below_the_limit)
{
    open_cache();
    move_page(7, PARKED);
    move_page(PARKED, 7);
    m.xTruncate(cache, PAGES + 1);
    cr_expect(cached(7));
    move_page(7, PAGES + 5); /* and a later move past it still counts */
    m.xTruncate(cache, PAGES + 1);
    cr_expect_not(cached(PAGES + 5));
}

Test(sqlite_pcache, drops_every_moved_page_when_more_were_moved_than_it_tracks)
{
    open_cache();
    for (unsigned k = 1; k <= 20; k++)
        move_page(k, PARKED + k);
    for (unsigned k = 1; k <= 8; k++) /* the first ones come back */
        move_page(PARKED + k, k);
    m.xTruncate(cache, PAGES + 1);
    for (unsigned k = 9; k <= 20; k++)
        cr_expect_not(cached(PARKED + k), "moved page %u", PARKED + k);
    cr_expect(cached(1) && cached(8) && cached(21) && cached(PAGES));
    cr_expect_eq(m.xPagecount(cache), (int)(PAGES - 12));
}

Test(sqlite_pcache, a_page_created_past_the_limit_is_dropped)
{
    open_cache();
    m.xTruncate(cache, 31);
    sqlite3_pcache_page *p = m.xFetch(cache, PARKED, 1);
    cr_assert_not_null(p);
    m.xUnpin(cache, p, 0);
    m.xTruncate(cache, 31);
    cr_expect_not(cached(PARKED));
    cr_expect(cached(30));
}
