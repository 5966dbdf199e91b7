/* store.c: store.h's calls, each handed to the connection's backend (sqlite*.c or pg*.c), and
 * the few made of other calls, written once for both. */
#include "store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
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

/* The version a migration's file name starts with ("001_init.sql" → 1), or -1. */
static long migration_version(const char *name)
{
    char *end;
    long v = strtol(name, &end, 10);
    return end != name && *end == '_' && v > 0 ? v : -1;
}

int hd_store_migrate(const char *dir, long current, hd_migration_apply apply, void *ctx,
                     char *errbuf, size_t errlen)
{
    size_t len = strlen(dir);
    long last = 0;
    for (const struct hd_embedded *m = hd_embedded_files; m->path; m++) {
        if (strncmp(m->path, dir, len) != 0 || strchr(m->path + len, '/'))
            continue; /* not a migration of this directory */
        long v = migration_version(m->path + len);
        if (v <= last) {
            snprintf(errbuf, errlen, "bad migration name %s", m->path);
            return HD_E_STORAGE;
        }
        last = v;
        if (v > current && apply(ctx, m, v, errbuf, errlen))
            return HD_E_STORAGE;
    }
    if (current > last) {
        snprintf(errbuf, errlen, "the database schema (version %ld) is newer than this program",
                 current);
        return HD_E_STORAGE;
    }
    return 0;
}

void hd_notification_copy(struct hd_arena *ar, const struct hd_notification *from,
                          struct hd_notification *to)
{
    *to = *from;
    to->created_by = hd_arena_strdup(ar, from->created_by);
    to->type = hd_arena_strdup(ar, from->type);
    to->title = hd_arena_strdup(ar, from->title);
    to->runtime_title = hd_arena_strdup(ar, from->runtime_title);
    to->runtime_description = hd_arena_strdup(ar, from->runtime_description);
    to->button_text = hd_arena_strdup(ar, from->button_text);
    to->button_url = hd_arena_strdup(ar, from->button_url);
}

int hd_store_preview_sample(struct hd_store *s, const char *system_id, const char *const *ids,
                            size_t n, struct hd_arena *ar, struct hd_end_user *sample,
                            size_t *n_sample)
{
    int err = 0;
    for (size_t i = 0; !err && i < n; i++)
        if (!(err = hd_store_end_user_get(s, system_id, ids[i], ar, &sample[*n_sample])))
            (*n_sample)++;
        else if (err == HD_E_NOT_FOUND)
            err = 0; /* erased meanwhile */
    return err;
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
