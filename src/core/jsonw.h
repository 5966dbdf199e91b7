/* jsonw.h: JSON written straight into an hd_buf, for the answers every call makes (a token, a
 * trigger's 202), where building a jansson tree to dump it cost more than the rest of the call. */
#ifndef HD_CORE_JSONW_H
#define HD_CORE_JSONW_H

#include <stdint.h>

#include "core/buf.h"

/* Appends s as a JSON string, quotes included, ASCII only (like JSON_ENSURE_ASCII): '"', '\\'
 * and control characters are escaped, and so is all of UTF-8 as \u escapes; a byte that is
 * not part of valid UTF-8 becomes U+FFFD. */
void hd_jsonw_string(struct hd_buf *b, const char *s);

/* Appends v in decimal. */
void hd_jsonw_i64(struct hd_buf *b, int64_t v);

/* v in decimal, written at the end of out (no printf; also for headers): returns where it
 * starts. */
#define HD_U64_TEXT 21
const char *hd_u64_text(char out[HD_U64_TEXT], uint64_t v);

#endif
