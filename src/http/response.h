/* response.h: what a handler fills in; the connection turns it into bytes.
 *
 * Handlers set a status, a content type, a body and extra headers. The body and header buffers
 * belong to the thread and are reused from one request to the next. */
#ifndef HD_HTTP_RESPONSE_H
#define HD_HTTP_RESPONSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct hd_res {
    int status;               /* 0 until a handler sets one */
    const char *content_type; /* static string, or NULL with an empty body */
    struct hd_buf headers;    /* extra "Name: value\r\n" lines */
    struct hd_buf body;
    bool close;    /* close the connection after this response */
    bool no_store; /* add Cache-Control: no-store (the default for JSON) */
    bool stream;   /* open-ended (hd_req_stream): no Content-Length; body holds its first bytes */
};

void hd_res_reset(struct hd_res *res);
void hd_res_free(struct hd_res *res);
/* Appends a header line; name and value must not hold CR or LF (the caller's constants). */
void hd_res_header(struct hd_res *res, const char *name, const char *value);
/* A header whose value is a number, written without printf (on every trigger's answer). */
void hd_res_header_uint(struct hd_res *res, const char *name, uint64_t value);
void hd_res_headerf(struct hd_res *res, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets status and a JSON body, taking ownership of body (NULL: empty body). */
void hd_res_json(struct hd_res *res, int status, json_t *body);
void hd_res_bytes(struct hd_res *res, int status, const char *content_type, const void *data,
                  size_t len);
/* The SPEC §3 error format: {"error":{"code","message","details"}}; message NULL takes the
 * table's default; details (may be NULL) is taken over. */
void hd_res_error(struct hd_res *res, int err, const char *message, json_t *details);
/* Appends the status line, standard headers and body to out. */
void hd_res_serialize(const struct hd_res *res, bool keep_alive, bool head_only,
                      struct hd_buf *out);

/* "Sat, 28 Nov 2026 08:00:00 GMT" for now, cached per second per thread. */
const char *hd_http_date(void);
const char *hd_status_text(int status);

#endif
