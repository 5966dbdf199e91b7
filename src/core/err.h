/* err.h: every error herald can answer with, in one table.
 *
 * Each entry maps an enum constant to an HTTP status, a machine code (the "code" of the
 * SPEC §3 error format) and a default sentence for a person. Functions return 0 or a negative
 * enum hd_err; the API layer turns it into a response with hd_err_status()/hd_err_code(). */
#ifndef HD_CORE_ERR_H
#define HD_CORE_ERR_H

#define HD_WUR __attribute__((warn_unused_result))

/* X(name, http status, machine code, default message) */
#define HD_ERRORS(X)                                                                               \
    X(BAD_REQUEST, 400, "bad_request", "The request is malformed.")                                \
    X(MALFORMED_JSON, 400, "malformed_json", "The body is not valid JSON.")                        \
    X(UNAUTHORIZED, 401, "unauthorized", "A valid bearer token is required.")                      \
    X(FORBIDDEN, 403, "forbidden", "The token lacks the scope this call needs.")                   \
    X(NOT_FOUND, 404, "not_found", "No such resource.")                                            \
    X(METHOD, 405, "method_not_allowed", "This method is not allowed on this path.")               \
    X(TIMEOUT, 408, "request_timeout", "The request was not received in time.")                    \
    X(CONFLICT, 409, "conflict", "The resource is in a state that forbids this change.")           \
    X(LENGTH_REQUIRED, 411, "length_required", "Send a Content-Length or a chunked body.")         \
    X(TOO_LARGE, 413, "payload_too_large", "The request body is too large.")                       \
    X(URI_TOO_LONG, 414, "uri_too_long", "The request target is too long.")                        \
    X(MEDIA_TYPE, 415, "unsupported_media_type", "Send the body as application/json.")             \
    X(EXPECTATION, 417, "expectation_failed", "Only the expectation 100-continue is supported.")   \
    X(VALIDATION, 422, "validation_failed", "Some fields are invalid.")                            \
    X(RATE_LIMITED, 429, "rate_limited", "Too many requests; retry later.")                        \
    X(HEADERS_TOO_LARGE, 431, "headers_too_large", "The request header block exceeds 16 KiB.")     \
    X(INTERNAL, 500, "internal_error", "Something went wrong on the server.")                      \
    X(UNSUPPORTED, 501, "unsupported", "This server does not support that.")                       \
    X(UNAVAILABLE, 503, "unavailable", "The server is busy; retry later.")                         \
    X(STORAGE, 503, "storage_unavailable", "Storage is unavailable; retry later.")                 \
    X(STOPPING, 503, "stopping", "The server is stopping; retry later.")                           \
    X(VERSION, 505, "http_version_not_supported", "Only HTTP/1.0 and HTTP/1.1 are supported.")

enum hd_err {
    HD_OK = 0,
#define HD_X(name, status, code, msg) HD_E_##name,
    HD_E_FIRST_ = -1000,
    HD_ERRORS(HD_X)
#undef HD_X
        HD_E_LAST_
};

/* Each returns a static string or status for err (0 or a negative enum hd_err). */
int hd_err_status(int err);
const char *hd_err_code(int err);
const char *hd_err_message(int err);

#endif
