/* embed.h: files compiled into the binary (web/ pages and SQL migrations), generated at build
 * time by scripts/embed.cmake. Each data array is NUL-terminated (size excludes the NUL). */
#ifndef HD_CORE_EMBED_H
#define HD_CORE_EMBED_H

#include <stddef.h>

struct hd_embedded {
    const char *path; /* "/console/index.html" or "migrations/001_init.sql" */
    const char *content_type;
    const unsigned char *data;
    size_t size;
};

/* Terminated by an entry whose path is NULL. Sorted by path. */
extern const struct hd_embedded hd_embedded_files[];

/* The entry for path, or NULL. */
const struct hd_embedded *hd_embed_find(const char *path, size_t len);

#endif
