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

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The last non-blank byte before off, or 0. */
static char previous_token(const char *s, size_t off)
{
    while (off > 0) {
        char c = s[--off];
        if (!is_blank(c))
            return c;
    }
    return 0;
}

/* What the parser found, from its " near '…'" (absent when the token is long), or "". */
static void found_token(const json_error_t *e, char *out, size_t outlen)
{
    const char *near = strstr(e->text, " near '");
    const char *end = near ? strrchr(e->text, '\'') : NULL;
    out[0] = '\0';
    if (near && end > near + 7)
        snprintf(out, outlen, "%.*s", (int)(end - (near + 7)), near + 7);
}

struct opener {
    char c;
    int line, column;
};

enum open_state { NOTHING_OPEN, OPENER, IN_STRING };

/* Scans s[0, end) as the parser does (strings skipped, lines and characters counted like
 * jansson's columns) and tells what is still open there: the innermost [ or {, or a string. */
static enum open_state still_open(const char *s, size_t end, struct opener *out)
{
    struct opener stack[64];
    size_t depth = 0;
    int line = 1, col = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < end; i++) {
        char c = s[i];
        if (c == '\n') {
            line++;
            col = 0;
            continue;
        }
        if (((unsigned char)c & 0xC0) != 0x80)
            col++;
        if (esc)
            esc = false;
        else if (in_str && c == '\\')
            esc = true;
        else if (in_str)
            in_str = c != '"';
        else if (c == '"')
            in_str = true;
        else if ((c == '{' || c == '[') && depth++ < 64)
            stack[depth - 1] = (struct opener){c, line, col};
        else if ((c == '}' || c == ']') && depth > 0)
            depth--;
    }
    if (in_str)
        return IN_STRING;
    if (depth == 0 || depth > 64)
        return NOTHING_OPEN;
    *out = stack[depth - 1];
    return OPENER;
}

/* Whether s[i] starts a typographic quote (U+2018 to U+201F). */
static bool curly_quote_at(const char *s, size_t i, size_t hi)
{
    return i + 3 <= hi && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
           (unsigned char)s[i + 2] >= 0x98 && (unsigned char)s[i + 2] <= 0x9F;
}

/* Whether s[i] starts a non-breaking space (U+00A0). */
static bool nbsp_at(const char *s, size_t i, size_t hi)
{
    return i + 2 <= hi && (unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0xA0;
}

/* Whether a pasted character (at() true) occurs in s[lo, hi) outside any string: inside one it
 * is text, not the mistake. */
static bool pasted(const char *s, size_t lo, size_t hi, bool (*at)(const char *, size_t, size_t))
{
    struct opener o;
    for (size_t i = lo; i < hi; i++)
        if (at(s, i, hi) && still_open(s, i, &o) != IN_STRING)
            return true;
    return false;
}

/* The JSON stops before every [ { and " is closed. */
static void ends_early(const char *body, size_t len, char *h, size_t hlen)
{
    struct opener o;
    enum open_state st = still_open(body, len, &o);
    if (st == OPENER)
        snprintf(h, hlen, "the JSON ends early: the %c opened at line %d, column %d is not closed",
                 o.c, o.line, o.column);
    else if (st == IN_STRING)
        snprintf(h, hlen, "the JSON ends early: a string is not closed (a closing \" is missing)");
    else
        snprintf(h, hlen, "the JSON ends early: a closing } or ] or \" is missing");
}

/* A } where ] was expected, or the reverse: name the bracket left open. */
static bool mismatched(const char *body, size_t off, const char *found, char *h, size_t hlen)
{
    struct opener o;
    if (strcmp(found, "}") && strcmp(found, "]"))
        return false;
    if (still_open(body, off, &o) != OPENER)
        return false;
    snprintf(h, hlen, "the %c opened at line %d, column %d is not closed: add %c before this %s",
             o.c, o.line, o.column, o.c == '[' ? ']' : '}', found);
    return true;
}

static bool starts_value(const char *t)
{
    return t[0] == '"' || t[0] == '-' || t[0] == '{' || t[0] == '[' ||
           (t[0] >= '0' && t[0] <= '9') || !strcmp(t, "true") || !strcmp(t, "false") ||
           !strcmp(t, "null");
}

static bool is_word(const char *t)
{
    return (t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z') || t[0] == '_';
}

/* Mistakes recognized from the characters around the error (pasted text). */
static const char *hint_from_text(const char *body, size_t len, size_t off)
{
    size_t lo = off > 8 ? off - 8 : 0, hi = off + 8 < len ? off + 8 : len;
    const char *first = body;
    while (first < body + len && is_blank(*first))
        first++;
    if (len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3) && off < 3)
        return "the body starts with a byte order mark (U+FEFF): save it as UTF-8 without BOM, "
               "or remove that first invisible character";
    if (pasted(body, lo, hi, curly_quote_at))
        return "typographic quotes (“ ” ‘ ’) are not JSON quotes: replace them with straight "
               "double quotes \"";
    if (pasted(body, lo, hi, nbsp_at))
        return "a non-breaking space (U+00A0), often copied from a web page, is not JSON "
               "whitespace: replace it with an ordinary space";
    if (first < body + len && *first == '"')
        return "the payload must be one JSON object: wrap it in { and }, e.g. "
               "{\"notification\": {...}}";
    for (size_t i = lo; i + 1 < len && i <= off + 1; i++)
        if (body[i] == '/' && (body[i + 1] == '/' || body[i + 1] == '*'))
            return "JSON has no comments: remove the // or /* */ comments";
    if ((body[off] == '}' || body[off] == ']') && previous_token(body, off) == ',')
        return "remove the trailing comma before this bracket";
    if (body[off] == '\'')
        return "JSON strings use double quotes \", not single quotes '";
    return NULL;
}

/* Writes into h the likely mistake behind e, or "" when none is recognized. */
static void hint(const char *body, size_t len, const json_error_t *e, char *h, size_t hlen)
{
    size_t off = error_offset(body, len, e);
    const char *fixed = hint_from_text(body, len, off);
    char found[JSON_ERROR_TEXT_LENGTH];
    found_token(e, found, sizeof(found));
    h[0] = '\0';
    if (strstr(e->text, "JSON_ALLOW_NUL"))
        snprintf(h, hlen,
                 "a string holds \\u0000 (a NUL character), which no field accepts: "
                 "remove it");
    else if (fixed)
        snprintf(h, hlen, "%s", fixed);
    else if (strstr(e->text, "']' expected") && !strcmp(found, ":"))
        snprintf(h, hlen,
                 "inside [ ] write objects: [{\"key\": \"URL\", \"value\": \"...\"}] "
                 "rather than [\"key\": ...]");
    else if (strstr(e->text, "unexpected newline"))
        snprintf(h, hlen, "a string is not closed on this line: add the closing \"");
    else if (strstr(e->text, "control character"))
        snprintf(h, hlen,
                 "a string holds a control character: write it escaped (\\t, \\n) or "
                 "remove it");
    else if (strstr(e->text, "duplicate object key"))
        snprintf(h, hlen, "a key appears twice in the same object: keep one");
    else if (strstr(e->text, "premature end") || strstr(e->text, "near end of file"))
        ends_early(body, len, h, hlen);
    else if (strstr(e->text, "expected") && mismatched(body, off, found, h, hlen))
        return;
    else if ((strstr(e->text, "'}' expected") || strstr(e->text, "']' expected")) &&
             (!found[0] || starts_value(found)))
        snprintf(h, hlen, "a comma is missing before %s: separate fields and array items with ,",
                 found[0] ? found : "this");
    else if (strstr(e->text, "string or '}' expected") && is_word(found))
        snprintf(h, hlen, "names of fields are written in double quotes: \"%s\"", found);
    else if (strstr(e->text, "unexpected token") && previous_token(body, off) == ':')
        snprintf(h, hlen,
                 "a value is missing after the colon: write a string, a number, [ ], "
                 "{ }, true, false or null");
}

void hd_body_explain(const char *body, size_t len, const json_error_t *e, char *out, size_t outlen)
{
    char h[300] = "";
    if (len)
        hint(body, len, e, h, sizeof(h));
    if (h[0] && strstr(e->text, "JSON_ALLOW_NUL"))
        snprintf(out, outlen, "The body is not valid JSON at line %d, column %d: %s.", e->line,
                 e->column, h);
    else if (h[0])
        snprintf(out, outlen, "The body is not valid JSON at line %d, column %d: %s (parser: %s).",
                 e->line, e->column, h, e->text);
    else
        snprintf(out, outlen, "The body is not valid JSON at line %d, column %d: %s.", e->line,
                 e->column, e->text);
}

/* Nothing but blanks, line breaks included. */
static bool blank(struct hd_slice s)
{
    for (size_t i = 0; i < s.len; i++)
        if (!is_blank(s.ptr[i]))
            return false;
    return true;
}

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_NULL: return "null";
    default: return "true or false";
    }
}

int hd_body_json(const struct hd_req *req, struct hd_res *res, json_t **out)
{
    struct hd_slice ct = hd_req_header(req, "content-type");
    if (!ct.ptr || !is_json_type(ct))
        return refuse_type(req, res, ct);
    if (blank(req->body)) {
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
        char msg[120];
        snprintf(msg, sizeof(msg), "The body must be one JSON object ({...}), not %s.",
                 json_kind(j));
        json_decref(j);
        hd_res_error(res, HD_E_MALFORMED_JSON, msg, NULL);
        return HD_E_MALFORMED_JSON;
    }
    *out = j;
    return 0;
}
