/* response.c: building and serializing responses. */
#include "http/response.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/jsonw.h"

void hd_res_reset(struct hd_res *res)
{
    res->status = 0;
    res->content_type = NULL;
    res->headers.len = 0;
    res->body.len = 0;
    res->close = false;
    res->no_store = true;
    res->stream = false;
}

void hd_res_free(struct hd_res *res)
{
    hd_buf_free(&res->headers);
    hd_buf_free(&res->body);
}

void hd_res_header(struct hd_res *res, const char *name, const char *value)
{
    hd_buf_puts(&res->headers, name);
    hd_buf_append(&res->headers, ": ", 2);
    hd_buf_puts(&res->headers, value);
    hd_buf_append(&res->headers, "\r\n", 2);
}

void hd_res_headerf(struct hd_res *res, const char *name, const char *fmt, ...)
{
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    hd_res_header(res, name, value);
}

void hd_res_header_uint(struct hd_res *res, const char *name, uint64_t value)
{
    char text[HD_U64_TEXT];
    hd_res_header(res, name, hd_u64_text(text, value));
}

static int dump_to_buf(const char *chunk, size_t size, void *data)
{
    hd_buf_append(data, chunk, size);
    return 0;
}

void hd_res_json(struct hd_res *res, int status, json_t *body)
{
    res->status = status;
    res->body.len = 0;
    if (!body) {
        res->content_type = NULL;
        return;
    }
    res->content_type = "application/json";
    json_dump_callback(body, dump_to_buf, &res->body, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(body);
}

void hd_res_bytes(struct hd_res *res, int status, const char *content_type, const void *data,
                  size_t len)
{
    res->status = status;
    res->content_type = content_type;
    res->body.len = 0;
    hd_buf_append(&res->body, data, len);
}

void hd_res_error(struct hd_res *res, int err, const char *message, json_t *details)
{
    json_t *e = json_pack("{s:s, s:s}", "code", hd_err_code(err), "message",
                          message ? message : hd_err_message(err));
    if (details)
        json_object_set_new(e, "details", details);
    if (hd_err_status(err) == 503) /* e.g. the database is unreachable: worth a retry soon */
        hd_res_headerf(res, "Retry-After", "%d", 1);
    hd_res_json(res, hd_err_status(err), json_pack("{s:o}", "error", e));
}

const char *hd_status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

const char *hd_http_date(void)
{
    static _Thread_local char cached[40];
    static _Thread_local time_t cached_at = -1;
    time_t now = time(NULL);
    if (now != cached_at) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(cached, sizeof(cached), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached_at = now;
    }
    return cached;
}

static void put_size(struct hd_buf *out, size_t v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    hd_buf_append(out, digits + sizeof(digits) - n, n);
}

/* Hand-assembled rather than printf'd: this runs for every response. */
void hd_res_serialize(const struct hd_res *res, bool keep_alive, bool head_only, struct hd_buf *out)
{
    int status = res->status ? res->status : 500;
    bool has_body = status != 204 && status != 304 && !res->stream;
    hd_buf_puts(out, "HTTP/1.1 ");
    put_size(out, (size_t)status);
    hd_buf_append(out, " ", 1);
    hd_buf_puts(out, hd_status_text(status));
    hd_buf_puts(out, "\r\nDate: ");
    hd_buf_puts(out, hd_http_date());
    if (res->content_type) {
        hd_buf_puts(out, "\r\nContent-Type: ");
        hd_buf_puts(out, res->content_type);
    }
    if (has_body) {
        hd_buf_puts(out, "\r\nContent-Length: ");
        put_size(out, res->body.len);
    }
    hd_buf_puts(out, res->no_store ? "\r\nCache-Control: no-store\r\n" : "\r\n");
    hd_buf_puts(out, "X-Content-Type-Options: nosniff\r\n");
    if (!keep_alive || res->close)
        hd_buf_puts(out, "Connection: close\r\n");
    hd_buf_append(out, res->headers.data, res->headers.len);
    hd_buf_append(out, "\r\n", 2);
    if (!head_only && (has_body || res->stream))
        hd_buf_append(out, res->body.data, res->body.len);
}
