/* catalog.c: see catalog.h.
 *
 * Each kind is a direct-mapped table: the hash of a row's key picks one slot, and a fill
 * replaces whatever the slot held. The rows' strings live in one arena, which is emptied with
 * the tables when the version moves, or after FILLS_MAX fills so that replaced rows do not pile
 * up. Callers get copies in their own arena: a later fill never pulls a string from under them. */
#include "store/catalog.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define SLOTS     128 /* per kind; a power of two */
#define FILLS_MAX 512

struct key_slot {
    bool used;
    struct hd_key_state v;
};
struct system_slot {
    bool used;
    struct hd_system v;
};
struct only_slot {
    bool used;
    char account_id[HD_UUID_BUF];
    size_t count;
    struct hd_system v; /* when count is 1 */
};
struct template_slot {
    bool used;
    struct hd_template v;
};

struct hd_catalog {
    bool synced;
    int64_t version;
    unsigned fills;
    struct hd_arena *ar; /* the rows' strings */
    struct key_slot keys[SLOTS];
    struct system_slot systems[SLOTS];
    struct only_slot only[SLOTS];
    struct template_slot templates[SLOTS];
};

struct hd_catalog *hd_catalog_create(void)
{
    struct hd_catalog *c = hd_xcalloc(1, sizeof(*c));
    c->ar = hd_arena_create();
    return c;
}

void hd_catalog_destroy(struct hd_catalog *c)
{
    if (!c)
        return;
    hd_arena_destroy(c->ar);
    free(c);
}

static void forget(struct hd_catalog *c)
{
    memset(c->keys, 0, sizeof(c->keys));
    memset(c->systems, 0, sizeof(c->systems));
    memset(c->only, 0, sizeof(c->only));
    memset(c->templates, 0, sizeof(c->templates));
    hd_arena_reset(c->ar);
    c->fills = 0;
}

int hd_catalog_sync(struct hd_catalog *c, struct hd_store *s)
{
    int64_t version;
    int err = hd_store_catalog_version(s, &version);
    if (err)
        return err;
    if (!c->synced || version != c->version)
        forget(c);
    c->synced = true;
    c->version = version;
    return 0;
}

/* FNV-1a over a, then b (NULL for none), reduced to a slot. */
static size_t slot_of(const char *a, const char *b)
{
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = a; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (const char *p = b; p && *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return (size_t)(h & (SLOTS - 1));
}

/* Before a fill: the arena is emptied (with every slot) once it holds FILLS_MAX rows. */
static void count_fill(struct hd_catalog *c)
{
    if (++c->fills > FILLS_MAX)
        forget(c);
}

static const char *dup(struct hd_arena *ar, const char *s)
{
    return s ? hd_arena_strdup(ar, s) : NULL;
}

static void copy_system(const struct hd_system *from, struct hd_arena *ar, struct hd_system *to)
{
    *to = *from;
    to->name = dup(ar, from->name);
}

int hd_catalog_key_state(struct hd_catalog *c, struct hd_store *s, const char *client_id,
                         struct hd_arena *ar, struct hd_key_state *out)
{
    struct key_slot *slot = &c->keys[slot_of(client_id, NULL)];
    if (!slot->used || strcmp(slot->v.key.client_id, client_id) != 0) {
        count_fill(c);
        slot->used = false;
        int err = hd_store_key_get_state(s, client_id, c->ar, &slot->v);
        if (err)
            return err;
        slot->used = true;
    }
    *out = slot->v;
    out->key.name = dup(ar, slot->v.key.name);
    return 0;
}

int hd_catalog_system(struct hd_catalog *c, struct hd_store *s, const char *account_id,
                      const char *id, struct hd_arena *ar, struct hd_system *out)
{
    struct system_slot *slot = &c->systems[slot_of(account_id, id)];
    if (!slot->used || strcmp(slot->v.id, id) != 0 || strcmp(slot->v.account_id, account_id) != 0) {
        count_fill(c);
        slot->used = false;
        int err = hd_store_system_get(s, account_id, id, c->ar, &slot->v);
        if (err)
            return err;
        slot->used = true;
    }
    copy_system(&slot->v, ar, out);
    return 0;
}

int hd_catalog_only_system(struct hd_catalog *c, struct hd_store *s, const char *account_id,
                           struct hd_arena *ar, struct hd_system *out, size_t *count)
{
    struct only_slot *slot = &c->only[slot_of(account_id, NULL)];
    if (strlen(account_id) >= sizeof(slot->account_id)) { /* no account has such an id */
        *count = 0;
        return 0;
    }
    if (!slot->used || strcmp(slot->account_id, account_id) != 0) {
        count_fill(c);
        slot->used = false;
        struct hd_system two[2];
        int err = hd_store_system_list(s, account_id, c->ar, two, 2, &slot->count);
        if (err)
            return err;
        strcpy(slot->account_id, account_id);
        if (slot->count)
            slot->v = two[0];
        slot->used = true;
    }
    *count = slot->count;
    if (slot->count)
        copy_system(&slot->v, ar, out);
    return 0;
}

int hd_catalog_template(struct hd_catalog *c, struct hd_store *s, const char *system_id,
                        const char *id, struct hd_arena *ar, struct hd_template *out)
{
    struct template_slot *slot = &c->templates[slot_of(system_id, id)];
    if (!slot->used || strcmp(slot->v.id, id) != 0 || strcmp(slot->v.system_id, system_id) != 0) {
        count_fill(c);
        slot->used = false;
        int err = hd_store_template_get(s, system_id, id, c->ar, &slot->v);
        if (err)
            return err;
        slot->used = true;
    }
    const struct hd_template *t = &slot->v;
    *out = *t;
    out->name = dup(ar, t->name);
    out->title = dup(ar, t->title);
    out->description = dup(ar, t->description);
    out->button_text = dup(ar, t->button_text);
    out->button_url = dup(ar, t->button_url);
    out->type = dup(ar, t->type);
    out->placeholders_json = dup(ar, t->placeholders_json);
    return 0;
}
