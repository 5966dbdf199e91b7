/* sqlite_pcache.c: SQLite's own page cache, with a cheap answer to "drop the pages past N".
 *
 * At the end of every write transaction SQLite asks its page cache to drop the pages past the
 * database's size. The default cache answers by walking its whole hash table whenever a page
 * number past that size was ever used since the last time, and a b-tree split uses one on
 * purpose: it parks a page at the number after the 1 GiB lock page while it swaps two pages'
 * numbers. On the writer's connection, whose cache holds thousands of pages, that walk was the
 * most expensive single thing of a group commit.
 *
 * This wrapper passes every call to the default cache and keeps, per cache, a bound on the page
 * numbers it holds: the highest number a page was created at, plus the few numbers a page was
 * moved to above that. A truncation that starts past the bound has nothing to drop and is not
 * passed on. The bound only ever overestimates (pages the cache discards on its own are not
 * seen), so the worst case is the default cache's own walk. */
#include "store/sqlite_pcache.h"

#include <sqlite3.h>
#include <stdlib.h>

#define MOVED_MAX 8

struct bounded_cache {
    sqlite3_pcache *inner;
    unsigned created_max;      /* no page was created at a higher number since the last drop */
    unsigned moved[MOVED_MAX]; /* numbers above created_max that pages were moved to */
    int n_moved;
};

static sqlite3_pcache_methods2 base;

static unsigned highest_key(const struct bounded_cache *c)
{
    unsigned max = c->created_max;
    for (int i = 0; i < c->n_moved; i++)
        if (c->moved[i] > max)
            max = c->moved[i];
    return max;
}

static void forget_moved(struct bounded_cache *c, unsigned key)
{
    for (int i = 0; i < c->n_moved; i++)
        if (c->moved[i] == key) {
            c->moved[i] = c->moved[--c->n_moved];
            return;
        }
}

static void remember_moved(struct bounded_cache *c, unsigned key)
{
    if (key <= c->created_max)
        return;
    for (int i = 0; i < c->n_moved; i++)
        if (c->moved[i] == key)
            return;
    if (c->n_moved == MOVED_MAX) { /* fold them all into the plain bound */
        c->created_max = highest_key(c) > key ? highest_key(c) : key;
        c->n_moved = 0;
        return;
    }
    c->moved[c->n_moved++] = key;
}

static int bounded_init(void *arg)
{
    (void)arg;
    return base.xInit ? base.xInit(base.pArg) : SQLITE_OK;
}

static void bounded_shutdown(void *arg)
{
    (void)arg;
    if (base.xShutdown)
        base.xShutdown(base.pArg);
}

static sqlite3_pcache *bounded_create(int page_size, int extra_size, int purgeable)
{
    struct bounded_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->inner = base.xCreate(page_size, extra_size, purgeable);
    if (!c->inner) {
        free(c);
        return NULL;
    }
    return (sqlite3_pcache *)c;
}

static void bounded_cachesize(sqlite3_pcache *p, int n)
{
    base.xCachesize(((struct bounded_cache *)p)->inner, n);
}

static int bounded_pagecount(sqlite3_pcache *p)
{
    return base.xPagecount(((struct bounded_cache *)p)->inner);
}

static sqlite3_pcache_page *bounded_fetch(sqlite3_pcache *p, unsigned key, int create)
{
    struct bounded_cache *c = (struct bounded_cache *)p;
    sqlite3_pcache_page *page = base.xFetch(c->inner, key, create);
    if (page && create && key > c->created_max) {
        forget_moved(c, key);
        c->created_max = key;
    }
    return page;
}

static void bounded_unpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard)
{
    base.xUnpin(((struct bounded_cache *)p)->inner, page, discard);
}

static void bounded_rekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned from, unsigned to)
{
    struct bounded_cache *c = (struct bounded_cache *)p;
    base.xRekey(c->inner, page, from, to);
    forget_moved(c, from);
    remember_moved(c, to);
}

static void bounded_truncate(sqlite3_pcache *p, unsigned limit)
{
    struct bounded_cache *c = (struct bounded_cache *)p;
    if (highest_key(c) < limit)
        return; /* no page at or past limit */
    base.xTruncate(c->inner, limit);
    if (limit == 0)
        c->created_max = 0;
    else if (c->created_max >= limit)
        c->created_max = limit - 1;
    for (int i = c->n_moved - 1; i >= 0; i--)
        if (c->moved[i] >= limit)
            c->moved[i] = c->moved[--c->n_moved];
}

static void bounded_destroy(sqlite3_pcache *p)
{
    struct bounded_cache *c = (struct bounded_cache *)p;
    base.xDestroy(c->inner);
    free(c);
}

static void bounded_shrink(sqlite3_pcache *p)
{
    base.xShrink(((struct bounded_cache *)p)->inner);
}

int hd_sqlite_pcache_install(void)
{
    static const sqlite3_pcache_methods2 bounded = {
        .iVersion = 1,
        .xInit = bounded_init,
        .xShutdown = bounded_shutdown,
        .xCreate = bounded_create,
        .xCachesize = bounded_cachesize,
        .xPagecount = bounded_pagecount,
        .xFetch = bounded_fetch,
        .xUnpin = bounded_unpin,
        .xRekey = bounded_rekey,
        .xTruncate = bounded_truncate,
        .xDestroy = bounded_destroy,
        .xShrink = bounded_shrink,
    };
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base) != SQLITE_OK)
        return -1;
    return sqlite3_config(SQLITE_CONFIG_PCACHE2, &bounded) == SQLITE_OK ? 0 : -1;
}
