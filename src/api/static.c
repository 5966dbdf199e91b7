/* static.c: the web pages (SPEC §8), embedded into the binary at build time from web/ and served
 * with their content type, an ETag, and a strict Content-Security-Policy: scripts and styles
 * from this origin only, no inline code, no framing. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/embed.h"

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
                          "object-src 'none'; base-uri 'none'; form-action 'self'; "
                          "frame-ancestors 'none'";

static unsigned long long fnv1a(const unsigned char *p, size_t n)
{
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* "/console" is the page itself; "/console/app.js" one of its files. */
static const struct hd_embedded *find(struct hd_slice path)
{
    char name[256];
    bool page =
        path.len && path.ptr[path.len - 1] != '/' && !memchr(path.ptr + 1, '/', path.len - 1);
    int n = snprintf(name, sizeof(name), "%.*s%s", (int)path.len, path.ptr,
                     page ? "/index.html" : (path.ptr[path.len - 1] == '/' ? "index.html" : ""));
    if (n <= 0 || (size_t)n >= sizeof(name) || strstr(name, ".."))
        return NULL;
    return hd_embed_find(name, (size_t)n);
}

int hd_api_static(struct hd_req *req, struct hd_res *res)
{
    const struct hd_embedded *e = find(req->path);
    if (!e || !strncmp(e->path, "migrations/", 11)) {
        hd_res_error(res, HD_E_NOT_FOUND, "No such page.", NULL);
        return HD_E_NOT_FOUND;
    }
    char etag[24];
    snprintf(etag, sizeof(etag), "\"%016llx\"", fnv1a(e->data, e->size));
    struct hd_slice match = hd_req_header(req, "if-none-match");
    hd_res_header(res, "ETag", etag);
    hd_res_header(res, "Content-Security-Policy", csp);
    hd_res_header(res, "Referrer-Policy", "no-referrer");
    hd_res_header(res, "X-Frame-Options", "DENY");
    hd_res_header(res, "Cache-Control", "no-cache"); /* revalidate: cheap with the ETag */
    res->no_store = false;
    if (match.ptr && hd_slice_eq(hd_slice_trim(match), etag)) {
        res->status = 304;
        return 0;
    }
    hd_res_bytes(res, 200, e->content_type, e->data, e->size);
    return 0;
}

int hd_api_root(struct hd_req *req, struct hd_res *res)
{
    hd_res_header(res, "Location", "/console");
    hd_res_bytes(res, 302, "text/plain; charset=utf-8", "See /console\n", 13);
    return 0;
}
