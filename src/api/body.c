/* body.c: Content-Type checks and explanations for JSON syntax errors. */
#include "api/body.h"

#include <stdio.h>
#include <string.h>

static bool is_json_type(struct hd_slice ct)
{
    struct hd_slice t = hd_slice_trim(ct);
    const char *semi = t.ptr ? memchr(t.ptr, ';', t.len) : NULL;
    if (semi)
        t.len = (size_t)(semi - t.ptr);
    t = hd_slice_trim(t);
    return hd_slice_caseeq(t, "application/json");
}

static int refuse_type(const struct hd_req *req, struct hd_res *res, struct hd_slice ct)
{
    char msg[300];
    if (!ct.ptr)
        snprintf(msg, sizeof(msg),
                 "The request has no Content-Type; send the JSON body with "
                 "the header Content-Type: application/json.");
    else if (hd_slice_caseeq(ct, "application/x-www-form-urlencoded") ||
             (ct.len > 33 && !strncasecmp(ct.ptr, "application/x-www-form-urlencoded", 33)))
        snprintf(msg, sizeof(msg),
                 "The body was sent as form data (application/x-www-form-urlencoded); this "
                 "endpoint takes JSON: send Content-Type: application/json with a raw JSON "
                 "body (in curl, use --json or -H 'Content-Type: application/json').");
    else
        snprintf(msg, sizeof(msg),
                 "Content-Type %.*s is not accepted; send Content-Type: application/json.",
                 (int)(ct.len > 80 ? 80 : ct.len), ct.ptr);
    hd_res_error(res, HD_E_MEDIA_TYPE, msg, NULL);
    return HD_E_MEDIA_TYPE;
}

/* The byte offset where the error was found: jansson's position is just past it. */
static size_t error_offset(const char *body, size_t len, const json_error_t *e)
{
    size_t pos = e->position > 0 ? (size_t)e->position - 1 : 0;
    return pos < len ? pos : (len ? len - 1 : 0);
}

static bool has_curly_quote(const char *s, size_t len)
{
    for (size_t i = 0; i + 2 < len; i++)
        if ((unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] >= 0x98 && (unsigned char)s[i + 2] <= 0x9F))
            return true;
    return false;
}

/* The last non-blank byte before off, or 0. */
static char previous_token(const char *s, size_t off)
{
    while (off > 0) {
        char c = s[--off];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return c;
    }
    return 0;
}

static const char *hint(const char *body, size_t len, const json_error_t *e)
{
    size_t off = error_offset(body, len, e);
    size_t lo = off > 8 ? off - 8 : 0;
    const char *first = body;
    while (first < body + len && strchr(" \t\r\n", *first))
        first++;
    if (has_curly_quote(body + lo, (off + 8 < len ? off + 8 : len) - lo))
        return "typographic quotes (“ ” ‘ ’) are not JSON quotes: replace them with straight "
               "double quotes \"";
    if (first < body + len && *first == '"')
        return "the payload must be one JSON object: wrap it in { and }, e.g. "
               "{\"notification\": {...}}";
    for (size_t i = lo; i + 1 < len && i <= off + 1; i++)
        if (body[i] == '/' && (body[i + 1] == '/' || body[i + 1] == '*'))
            return "JSON has no comments: remove the // or /* */ comments";
    if (body[off] == '}' || body[off] == ']') {
        if (previous_token(body, off) == ',')
            return "remove the trailing comma before this bracket";
    }
    if (strstr(e->text, "']' expected") && body[off] == ':')
        return "inside [ ] write objects: [{\"key\": \"URL\", \"value\": \"...\"}] rather than "
               "[\"key\": ...]";
    if (strstr(e->text, "premature end") || strstr(e->text, "unexpected newline"))
        return "the JSON ends early: a closing } or ] or \" is missing";
    if (strstr(e->text, "duplicate object key"))
        return "a key appears twice in the same object: keep one";
    if (strstr(e->text, "invalid token") && body[off] == '\'')
        return "JSON strings use double quotes \", not single quotes '";
    return NULL;
}

void hd_body_explain(const char *body, size_t len, const json_error_t *e, char *out, size_t outlen)
{
    const char *h = len ? hint(body, len, e) : NULL;
    if (h)
        snprintf(out, outlen, "The body is not valid JSON at line %d, column %d: %s (parser: %s).",
                 e->line, e->column, h, e->text);
    else
        snprintf(out, outlen, "The body is not valid JSON at line %d, column %d: %s.", e->line,
                 e->column, e->text);
}

int hd_body_json(const struct hd_req *req, struct hd_res *res, json_t **out)
{
    struct hd_slice ct = hd_req_header(req, "content-type");
    if (!ct.ptr || !is_json_type(ct))
        return refuse_type(req, res, ct);
    if (hd_slice_trim(req->body).len == 0) {
        hd_res_error(res, HD_E_MALFORMED_JSON, "The body is empty; send a JSON object.", NULL);
        return HD_E_MALFORMED_JSON;
    }
    json_error_t e;
    json_t *j = json_loadb(req->body.ptr, req->body.len, JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        char msg[600];
        hd_body_explain(req->body.ptr, req->body.len, &e, msg, sizeof(msg));
        hd_res_error(res, HD_E_MALFORMED_JSON, msg, NULL);
        return HD_E_MALFORMED_JSON;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        hd_res_error(res, HD_E_MALFORMED_JSON, "The body must be a JSON object ({...}).", NULL);
        return HD_E_MALFORMED_JSON;
    }
    *out = j;
    return 0;
}
