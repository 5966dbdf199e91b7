/* scope.h: the four scopes of SPEC §1 as bits; write implies read. */
#ifndef HD_AUTH_SCOPE_H
#define HD_AUTH_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/slice.h"

enum hd_scope {
    HD_SCOPE_NONE = 0,
    HD_SCOPE_NOTIFICATIONS_READ = 1 << 0,
    HD_SCOPE_NOTIFICATIONS_WRITE = 1 << 1,
    HD_SCOPE_ADMIN_READ = 1 << 2,
    HD_SCOPE_ADMIN_WRITE = 1 << 3,
    HD_SCOPE_ALL = 15,
};

/* Parses scope names separated by spaces and/or commas (empty text gives 0). Returns 0, or
 * HD_E_VALIDATION with *bad set to the first unknown name. Duplicates are folded. */
int hd_scope_parse(struct hd_slice text, unsigned *out, struct hd_slice *bad) HD_WUR;
/* Writes the names of scopes, space-separated, in the order of enum hd_scope ("" for none). */
void hd_scope_format(unsigned scopes, char *out, size_t outlen);
/* Adds the read scope implied by each write scope. */
unsigned hd_scope_expand(unsigned scopes);
/* True when the scopes held (after expansion) include every bit of need. */
bool hd_scope_allows(unsigned have, unsigned need);

#endif
