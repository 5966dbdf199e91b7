/* render.h: ###NAME### placeholders (SPEC §1): finding them in a template and filling them.
 *
 * A placeholder is "###" NAME "###" where NAME matches [A-Za-z0-9_.-]{1,64}. Anything else
 * that contains ### is plain text. Runs of '#' are read as the regular expression
 * /###([A-Za-z0-9_.-]{1,64})###/g reads them: leftmost match first, no overlap. So "#####A###"
 * is "##" then ###A###; "###A###B###" holds only A (its closing ### cannot also open B);
 * "###A######B###" holds A and B; "###" and "######" hold nothing. Pure functions: no I/O, no
 * globals. */
#ifndef HD_NOTIFY_RENDER_H
#define HD_NOTIFY_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/slice.h"

#define HD_PLACEHOLDER_NAME_MAX 64
#define HD_PLACEHOLDERS_MAX     32
/* A rendered text longer than this is refused (a template of ~1 KiB with many uses of a long
 * value could otherwise grow without bound). */
#define HD_RENDER_MAX_OUT (16 * 1024)

struct hd_placeholders {
    size_t n;
    char names[HD_PLACEHOLDERS_MAX][HD_PLACEHOLDER_NAME_MAX + 1];
};

/* Appends to ph, in order of first appearance and without repeats, the names found in text.
 * Returns 0, or HD_E_VALIDATION when more than HD_PLACEHOLDERS_MAX distinct names would result
 * (ph then holds the first HD_PLACEHOLDERS_MAX). */
int hd_render_extract(const char *text, size_t len, struct hd_placeholders *ph) HD_WUR;
bool hd_render_has(const struct hd_placeholders *ph, const char *name, size_t len);

/* Turns a key as written in an override ("OPP" or "###OPP###") into the bare name. Returns 0
 * and *name (pointing into key), or HD_E_VALIDATION when the name is not [A-Za-z0-9_.-]{1,64}
 * (also for unbalanced ###). */
int hd_render_key(struct hd_slice key, struct hd_slice *name) HD_WUR;

struct hd_override {
    struct hd_slice name; /* bare name, as hd_render_key gives */
    struct hd_slice value;
};

/* Returns text with every placeholder that has an override replaced by its value, others left
 * as they are; a NUL-terminated string from the arena. One pass: values are copied literally,
 * never scanned for placeholders. When a name has several overrides the first wins. Returns
 * NULL when the result would exceed HD_RENDER_MAX_OUT bytes (copies included). With n == 0 it
 * returns a copy. */
char *hd_render(struct hd_arena *ar, const char *text, size_t len, const struct hd_override *ov,
                size_t n);

#endif
