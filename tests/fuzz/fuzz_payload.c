/* fuzz_payload.c: a trigger body as sent over HTTP: JSON parsing with the explanations given for
 * syntax errors, then the payload reader and the trigger preparation against a template with
 * placeholders in every text. Invariants: no crash, no leak, a sentence for every syntax error,
 * and a verdict (ok, or problems listed) for every object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/body.h"
#include "api/payload.h"
#include "core/time.h"

static const struct hd_template tpl = {
    .id = "1e5afe51-2d2a-4b22-a60a-cf2d6c01d726",
    .system_id = "bcf4c7f5682b4aa6875a0fc9bdfa21ca",
    .name = "Lead",
    .title = "New lead ###OPP###",
    .description = "Open ###OPP### at ###URL###",
    .button_text = "Open ###OPP###",
    .button_url = "###URL###",
    .type = "push",
};

static void check_object(json_t *j)
{
    struct hd_arena *ar = hd_arena_create();
    struct hd_problems p = {0};
    struct hd_payload pl = {0};
    int rc = hd_payload_read(j, ar, &p, &pl);
    if (rc != 0 && !hd_problems_any(&p))
        abort(); /* a refusal always says why */
    if (rc == 0) {
        struct hd_notification n = {0};
        int64_t now = 1795000000000LL;
        if (hd_trigger_prepare(&pl.trigger, &tpl, now, ar, &p, &n) == 0 &&
            (!n.runtime_title || !n.button_url))
            abort();
    }
    hd_problems_free(&p);
    hd_arena_destroy(ar);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        char msg[600];
        hd_body_explain((const char *)data, size, &e, msg, sizeof(msg));
        if (strncmp(msg, "The body is not valid JSON at line ", 35) != 0)
            abort();
        return 0;
    }
    if (json_is_object(j))
        check_object(j);
    json_decref(j);
    return 0;
}
