/* jsonw.c: see jsonw.h. The plain ASCII runs of a string are copied whole; everything else is
 * decoded as UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF) and
 * written as \u escapes, astral code points as a surrogate pair (RFC 8259 §7). */
#include "core/jsonw.h"

#include <stdbool.h>
#include <string.h>

static const char HEX[] = "0123456789abcdef";

static void put_u(struct hd_buf *b, unsigned cp)
{
    char *p = hd_buf_reserve(b, 6);
    p[0] = '\\';
    p[1] = 'u';
    for (int i = 0; i < 4; i++)
        p[2 + i] = HEX[(cp >> (12 - 4 * i)) & 0xf];
    b->len += 6;
}

static void put_code_point(struct hd_buf *b, unsigned cp)
{
    if (cp < 0x10000) {
        put_u(b, cp);
        return;
    }
    cp -= 0x10000;
    put_u(b, 0xd800 + (cp >> 10));
    put_u(b, 0xdc00 + (cp & 0x3ff));
}

/* Decodes the UTF-8 sequence at s; returns its length, or 0 (and *cp U+FFFD) for a bad byte. */
static size_t decode_utf8(const unsigned char *s, unsigned *cp)
{
    static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n = s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
    unsigned v = n == 4 ? s[0] & 0x07u : n == 3 ? s[0] & 0x0fu : s[0] & 0x1fu;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            n = 0;
            break;
        }
        v = v << 6 | (s[i] & 0x3fu);
    }
    if (n == 0 || v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        *cp = 0xfffd;
        return 0;
    }
    *cp = v;
    return n;
}

static bool plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void put_escaped(struct hd_buf *b, const unsigned char *s, size_t *i)
{
    unsigned char c = s[*i];
    const char *short_form = c == '"'    ? "\\\""
                             : c == '\\' ? "\\\\"
                             : c == '\n' ? "\\n"
                             : c == '\r' ? "\\r"
                             : c == '\t' ? "\\t"
                                         : NULL;
    if (short_form) {
        hd_buf_append(b, short_form, 2);
        (*i)++;
    } else if (c < 0x80) {
        put_u(b, c);
        (*i)++;
    } else {
        unsigned cp;
        size_t n = decode_utf8(s + *i, &cp);
        put_code_point(b, cp);
        *i += n ? n : 1;
    }
}

void hd_jsonw_string(struct hd_buf *b, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    hd_buf_append(b, "\"", 1);
    size_t i = 0;
    while (s[i]) {
        size_t run = i;
        while (s[run] && plain(s[run]))
            run++;
        hd_buf_append(b, s + i, run - i);
        i = run;
        if (s[i])
            put_escaped(b, s, &i);
    }
    hd_buf_append(b, "\"", 1);
}

const char *hd_u64_text(char out[HD_U64_TEXT], uint64_t v)
{
    char *p = out + HD_U64_TEXT;
    *--p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

void hd_jsonw_i64(struct hd_buf *b, int64_t v)
{
    char text[HD_U64_TEXT];
    if (v < 0)
        hd_buf_append(b, "-", 1);
    hd_buf_puts(b, hd_u64_text(text, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v));
}
