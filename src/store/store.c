/* store.c: store.h's calls, each handed to the connection's backend (sqlite*.c or pg*.c), and
 * the few made of other calls, written once for both. */
#include "store/store_impl.h"

#include <string.h>

bool hd_store_is_postgres_url(const char *location)
{
    return strncmp(location, "postgres://", 11) == 0 || strncmp(location, "postgresql://", 13) == 0;
}

bool hd_store_is_shared(const struct hd_store *s)
{
    return s->pg != NULL;
}

int hd_store_open(const char *location, struct hd_store **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (hd_store_is_postgres_url(location))
        return hd_pg_open(location, out, errbuf, errlen);
    return hd_sqlite_open(location, out, errbuf, errlen);
}

void hd_store_close(struct hd_store *s)
{
    if (s && s->pg)
        hd_pg_close(s);
    else if (s)
        hd_sqlite_close(s);
}

int hd_store_audiences_refresh(struct hd_store *s, const char *system_id, const char *const *ids,
                               size_t n, int64_t now)
{
    int err = 0;
    for (size_t i = 0; !err && i < n; i++)
        err = hd_store_audience_refresh(s, system_id, ids[i], now);
    return err;
}

int hd_store_end_user_refresh_rules(struct hd_store *s, const char *system_id, const char *id,
                                    int64_t now)
{
    return hd_store_end_users_refresh_rules(s, system_id, &id, 1, now);
}

#define HD_DISPATCH(name, params, args)                                                            \
    int hd_store_##name params                                                                     \
    {                                                                                              \
        return s->pg ? hd_pg_##name args : hd_sqlite_##name args;                                  \
    }
HD_STORE_CALLS(HD_DISPATCH)
#undef HD_DISPATCH
