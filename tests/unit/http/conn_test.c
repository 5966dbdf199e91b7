/* conn_test.c: the HTTP request path fed raw bytes: framing, pipelining, limits and the header
 * checks llhttp leaves to us. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "../../support/http_fixture.h"
#include "core/log.h"

static struct fixture f;

static void setup(void)
{
    hd_log_set_access(0);
    fixture_start(&f);
}

static void teardown(void)
{
    fixture_stop(&f);
}

TestSuite(conn, .init = setup, .fini = teardown);

static const char *feed(const char *s)
{
    return fixture_feed(&f, s, strlen(s));
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

Test(conn, simple_get)
{
    const char *out = feed("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    cr_assert(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", out);
    cr_assert(strstr(out, "Content-Length: 2\r\n"));
    cr_assert(!strstr(out, "Connection: close"));
    cr_assert(!f.conn.want_close);
}

/* The router's guard runs before each routed request; its refusal is the answer. */
Test(conn, guard_runs_before_each_routed_request)
{
    const char *out = feed("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    cr_expect(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", out);
    cr_expect_eq(fixture_guards, 1);
    out = feed("GET /denied HTTP/1.1\r\nHost: x\r\n\r\n");
    cr_expect(strstr(out, "HTTP/1.1 401 "), "%s", out);
    cr_expect_eq(fixture_guards, 2);
    feed("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
    cr_expect_eq(fixture_guards, 2, "no route, no guard");
}

Test(conn, request_split_byte_by_byte)
{
    const char *req = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    const char *out = "";
    for (size_t i = 0; req[i]; i++)
        out = fixture_feed(&f, req + i, 1);
    cr_assert(strstr(out, "200 OK"));
    cr_assert(strstr(out, "\r\n\r\nhello"), "%s", out);
}

Test(conn, pipelined_requests_answered_in_order)
{
    const char *out = feed("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                           "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ndef"
                           "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    cr_assert_eq(count(out, "HTTP/1.1 200 OK"), 3);
    const char *a = strstr(out, "abc"), *d = strstr(out, "def");
    cr_assert(a && d && a < d);
}

Test(conn, chunked_body)
{
    const char *out = feed("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    cr_assert(strstr(out, "200 OK"));
    cr_assert(strstr(out, "\r\n\r\nabcde"), "%s", out);
}

Test(conn, body_over_route_limit_is_413_before_reading)
{
    const char *out = feed("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n");
    cr_assert(strstr(out, "HTTP/1.1 413 "), "%s", out);
    cr_assert(strstr(out, "payload_too_large"));
    cr_assert(f.conn.want_close);
}

Test(conn, chunked_body_over_limit_is_413)
{
    char req[512];
    snprintf(req, sizeof(req),
             "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n%065d\r\n",
             0);
    cr_assert(strstr(feed(req), "HTTP/1.1 413 "));
}

Test(conn, header_block_over_16k_is_431)
{
    static char req[20000];
    int n = snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'a', 16500);
    strcpy(req + n + 16500, "\r\n\r\n");
    const char *out = feed(req);
    cr_assert(strstr(out, "HTTP/1.1 431 "), "%.60s", out);
}

Test(conn, header_block_just_under_16k_is_accepted)
{
    static char req[20000];
    int n = snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'a', 16000);
    strcpy(req + n + 16000, "\r\n\r\n");
    cr_assert(strstr(feed(req), "HTTP/1.1 200 "));
}

Test(conn, missing_host_on_1_1_is_400)
{
    const char *out = feed("GET /healthz HTTP/1.1\r\n\r\n");
    cr_assert(strstr(out, "HTTP/1.1 400 "));
    cr_assert(strstr(out, "Host"));
}

Test(conn, http_1_0_without_host_is_fine_and_closes)
{
    const char *out = feed("GET /healthz HTTP/1.0\r\n\r\n");
    cr_assert(strstr(out, "HTTP/1.1 200 "));
    cr_assert(strstr(out, "Connection: close"));
    cr_assert(f.conn.want_close);
}

Test(conn, duplicate_host_is_400)
{
    cr_assert(strstr(feed("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), "400 "));
}

Test(conn, duplicate_content_length_is_400)
{
    const char *out =
        feed("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx");
    cr_assert(strstr(out, "HTTP/1.1 400 "), "%s", out);
}

Test(conn, folded_header_is_400)
{
    const char *out = feed("GET /healthz HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n");
    cr_assert(strstr(out, "HTTP/1.1 400 "), "%s", out);
}

Test(conn, content_length_with_chunked_is_rejected)
{
    const char *out = feed("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    cr_assert(strstr(out, "HTTP/1.1 400 "), "%s", out);
}

Test(conn, expect_continue_then_body)
{
    const char *out = feed("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                           "Content-Length: 2\r\n\r\n");
    cr_assert(strstr(out, "HTTP/1.1 100 Continue\r\n\r\n"), "%s", out);
    out = feed("hi");
    cr_assert(strstr(out, "200 OK"));
}

Test(conn, unknown_expectation_is_417)
{
    cr_assert(strstr(feed("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n"
                          "Content-Length: 2\r\n\r\nhi"),
                     "HTTP/1.1 417 "));
}

Test(conn, garbage_is_400_and_closes)
{
    const char *out = feed("HELLO\r\n\r\n");
    cr_assert(strstr(out, "HTTP/1.1 400 "));
    cr_assert(f.conn.want_close);
}

Test(conn, unknown_path_is_404_and_keeps_connection)
{
    const char *out =
        feed("GET /nope HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
    cr_assert(strstr(out, "HTTP/1.1 404 "));
    cr_assert(strstr(out, "HTTP/1.1 200 "));
}

Test(conn, wrong_method_is_405_with_allow)
{
    const char *out = feed("DELETE /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
    cr_assert(strstr(out, "HTTP/1.1 405 "));
    cr_assert(strstr(out, "Allow: GET\r\n"), "%s", out);
}

Test(conn, head_gets_headers_only)
{
    const char *out = feed("HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
    cr_assert(strstr(out, "Content-Length: 2\r\n"));
    cr_assert(strcmp(out + strlen(out) - 4, "\r\n\r\n") == 0);
}

Test(conn, malformed_escape_in_path_parameter_is_400)
{
    cr_assert(strstr(feed("GET /items/%4 HTTP/1.1\r\nHost: a\r\n\r\n"), "HTTP/1.1 400 "));
    fixture_stop(&f);
    fixture_start(&f);
    cr_assert(strstr(feed("GET /items/a%00b HTTP/1.1\r\nHost: a\r\n\r\n"), "HTTP/1.1 400 "));
}

Test(conn, connection_close_is_honoured)
{
    const char *out = feed("GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    cr_assert(strstr(out, "Connection: close"));
    cr_assert(f.conn.want_close);
}

Test(conn, too_many_headers_is_431)
{
    static char req[8000];
    int n = snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 101; i++)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "X-%d: y\r\n", i);
    snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
    cr_assert(strstr(feed(req), "HTTP/1.1 431 "));
}
