/* embed.c: lookup in the generated table of embedded files. */
#include "core/embed.h"

#include <string.h>

const struct hd_embedded *hd_embed_find(const char *path, size_t len)
{
    for (const struct hd_embedded *e = hd_embedded_files; e->path; e++)
        if (strlen(e->path) == len && memcmp(e->path, path, len) == 0)
            return e;
    return NULL;
}
