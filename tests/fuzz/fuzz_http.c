/* fuzz_http.c: raw bytes into the HTTP request path (llhttp, our header checks, limits, routing,
 * response building), split into reads at a point the first byte chooses. Invariants: no crash,
 * no leak, and every answer starts with a status line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../support/http_fixture.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet++)
        hd_log_set_access(0);
    if (size == 0)
        return 0;
    struct fixture f;
    fixture_start(&f);
    size_t split = 1 + (size_t)data[0] * (size - 1) / 256;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    fixture_feed(&f, in, split - 1 < len ? split - 1 : len);
    const char *out = len > split - 1 ? fixture_feed(&f, in + split - 1, len - (split - 1))
                                      : fixture_feed(&f, "", 0);
    if (*out && strncmp(out, "HTTP/1.1 ", 9) != 0)
        abort();
    fixture_stop(&f);
    return 0;
}
