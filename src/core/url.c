/* url.c: absolute http(s) URL check. */
#include "core/url.h"

#include <string.h>
#include <strings.h>

bool hd_url_is_http(const char *s)
{
    const char *rest = !strncasecmp(s, "https://", 8)  ? s + 8
                       : !strncasecmp(s, "http://", 7) ? s + 7
                                                       : NULL;
    if (!rest || !*rest || strchr("/?#", *rest))
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f || strchr("\"<>\\", *s))
            return false;
    return true;
}
