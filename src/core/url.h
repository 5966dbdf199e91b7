/* url.h: the one URL check herald needs: a link a button may open. */
#ifndef HD_CORE_URL_H
#define HD_CORE_URL_H

#include <stdbool.h>

/* True when s is an absolute http:// or https:// URL with a host, and holds no space, control
 * character, quote, angle bracket or backslash (nothing a page could misread). */
bool hd_url_is_http(const char *s);

#endif
