/* request.c: header lookups, query parameters and the header-block checks. */
#include "http/request.h"

#include <string.h>

struct hd_slice hd_req_header(const struct hd_req *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (hd_slice_caseeq(req->headers[i].name, name))
            return req->headers[i].value;
    return (struct hd_slice){NULL, 0};
}

char *hd_percent_decode(struct hd_arena *ar, struct hd_slice s, bool plus_is_space)
{
    char *out = hd_arena_alloc(ar, s.len + 1);
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '%') {
            if (i + 2 >= s.len)
                return NULL;
            int hi = hd_hex_digit(s.ptr[i + 1]), lo = hd_hex_digit(s.ptr[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c < 0x20 || c == 0x7f)
            return NULL;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return out;
}

const char *hd_req_query(const struct hd_req *req, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = req->query.ptr, *end = p + req->query.len;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *key_end = eq ? eq : stop;
        if ((size_t)(key_end - p) == nlen && memcmp(p, name, nlen) == 0) {
            struct hd_slice v = {eq ? eq + 1 : stop, eq ? (size_t)(stop - eq - 1) : 0};
            return hd_percent_decode(req->arena, v, true);
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

int hd_req_check_headers(const struct hd_header *h, size_t n, int http_minor, const char **why)
{
    size_t hosts = 0, lengths = 0, encodings = 0;
    for (size_t i = 0; i < n; i++) {
        if (hd_slice_caseeq(h[i].name, "host"))
            hosts++;
        else if (hd_slice_caseeq(h[i].name, "content-length"))
            lengths++;
        else if (hd_slice_caseeq(h[i].name, "transfer-encoding"))
            encodings++;
    }
    if (hosts == 0 && http_minor >= 1) {
        *why = "HTTP/1.1 requests must carry a Host header (RFC 9112 §3.2).";
        return HD_E_BAD_REQUEST;
    }
    if (hosts > 1) {
        *why = "The Host header appears more than once.";
        return HD_E_BAD_REQUEST;
    }
    if (lengths > 1) {
        *why = "The Content-Length header appears more than once.";
        return HD_E_BAD_REQUEST;
    }
    if (encodings > 1) {
        *why = "The Transfer-Encoding header appears more than once.";
        return HD_E_BAD_REQUEST;
    }
    return 0;
}
