/* body.h: reading a JSON request body, with errors that tell a person what to fix (SPEC §3
 * "Errors people really make"): wrong or missing Content-Type, empty body, and for syntax
 * errors the line, the column, what was found there and the likely fix. */
#ifndef HD_API_BODY_H
#define HD_API_BODY_H

#include <jansson.h>

#include "core/err.h"
#include "http/request.h"
#include "http/response.h"

/* Parses req->body as a JSON object. Returns 0 and *out (json_decref it), or an error after
 * writing the response. Duplicate keys are rejected. */
int hd_body_json(const struct hd_req *req, struct hd_res *res, json_t **out) HD_WUR;

/* Explains a jansson syntax error in body (pure: exposed for tests). Writes one sentence. */
void hd_body_explain(const char *body, size_t len, const json_error_t *e, char *out, size_t outlen);

#endif
