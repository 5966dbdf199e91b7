/* form_test.c: the x-www-form-urlencoded decoder and the Basic credentials decoder. Inputs are
 * exact-size heap copies without a NUL, so ASan catches any read past the slice. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/form.h"

static struct hd_arena *ar;

static void setup(void)
{
    ar = hd_arena_create();
}

static void teardown(void)
{
    hd_arena_destroy(ar);
}

TestSuite(form, .init = setup, .fini = teardown);
TestSuite(basic, .init = setup, .fini = teardown);

/* Copies n bytes into a heap buffer of exactly n bytes, released with free(). */
static struct hd_slice exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    cr_assert_not_null(p);
    memcpy(p, s, n);
    return (struct hd_slice){p, n};
}

static int parse_n(const char *body, size_t n, struct hd_form *f, const char **why)
{
    struct hd_slice s = exact(body, n);
    int rc = hd_form_parse(s, ar, f, why);
    free((void *)s.ptr);
    return rc;
}

static int parse(const char *body, struct hd_form *f, const char **why)
{
    return parse_n(body, strlen(body), f, why);
}

static const char *value(const struct hd_form *f, const char *name)
{
    const struct hd_form_field *field = hd_form_get(f, name);
    return field ? field->value : NULL;
}

Test(form, token_request)
{
    struct hd_form f;
    const char *why = NULL;
    cr_assert_eq(parse("grant_type=client_credentials&scope=admin%3Aread+admin:write", &f, &why),
                 0);
    cr_assert_eq(f.n, 2);
    cr_expect_str_eq(value(&f, "grant_type"), "client_credentials");
    cr_expect_str_eq(value(&f, "scope"), "admin:read admin:write");
    cr_expect_eq(hd_form_get(&f, "scope")->value_len, 22);
    cr_expect_null(hd_form_get(&f, "client_id"));
    cr_expect_null(hd_form_get(&f, "Scope"));
}

Test(form, plus_and_escapes)
{
    struct hd_form f;
    const char *why = NULL;
    cr_assert_eq(parse("a=x+y&b=%41%42c&c=%2B&d=%2f%2F&e=%25&f+g=1&%68=2", &f, &why), 0);
    cr_expect_str_eq(value(&f, "a"), "x y");
    cr_expect_str_eq(value(&f, "b"), "ABc");
    cr_expect_str_eq(value(&f, "c"), "+");
    cr_expect_str_eq(value(&f, "d"), "//");
    cr_expect_str_eq(value(&f, "e"), "%");
    cr_expect_str_eq(value(&f, "f g"), "1");
    cr_expect_str_eq(value(&f, "h"), "2");
}

Test(form, names_values_and_equals_signs)
{
    struct hd_form f;
    const char *why = NULL;
    cr_assert_eq(parse("flag&empty=&eq=a=b%3Dc&=anon", &f, &why), 0);
    cr_assert_eq(f.n, 4);
    cr_expect_str_eq(value(&f, "flag"), "");
    cr_expect_eq(hd_form_get(&f, "flag")->value_len, 0);
    cr_expect_str_eq(value(&f, "empty"), "");
    cr_expect_str_eq(value(&f, "eq"), "a=b=c");
    cr_expect_str_eq(value(&f, ""), "anon");
}

Test(form, empty_pairs_skipped)
{
    struct hd_form f;
    const char *why = NULL;
    cr_assert_eq(parse("", &f, &why), 0);
    cr_expect_eq(f.n, 0);
    cr_assert_eq(parse("&&&", &f, &why), 0);
    cr_expect_eq(f.n, 0);
    cr_assert_eq(parse("&a=1&&b=2&", &f, &why), 0);
    cr_expect_eq(f.n, 2);
    cr_expect_str_eq(f.fields[0].name, "a");
    cr_expect_str_eq(f.fields[1].name, "b");
    cr_assert_eq(hd_form_parse((struct hd_slice){NULL, 0}, ar, &f, &why), 0);
    cr_expect_eq(f.n, 0);
}

Test(form, bad_escapes)
{
    static const char *bodies[] = {"a=%4",  "a=%zz",    "a=%",     "a=b%",   "a=%4g",
                                   "a=%g4", "%=1",      "a%2=1",   "a=%%",   "a=%+1",
                                   "a=% 1", "a=1&b=%x", "a=%-1&b", "a=%0x&b"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct hd_form f;
        const char *why = NULL;
        cr_expect_eq(parse(bodies[i], &f, &why), HD_E_BAD_REQUEST, "\"%s\"", bodies[i]);
        cr_expect(why && strstr(why, "escape"), "\"%s\": %s", bodies[i], why ? why : "(null)");
    }
}

/* the escape is cut by the slice's end, with more text beyond it */
Test(form, escape_at_slice_end)
{
    struct hd_form f;
    const char *why = NULL;
    cr_expect_eq(parse_n("a=%41", 4, &f, &why), HD_E_BAD_REQUEST);
    cr_assert_eq(parse_n("a=%41&b=2", 5, &f, &why), 0);
    cr_expect_str_eq(value(&f, "a"), "A");
    cr_expect_null(hd_form_get(&f, "b"));
}

Test(form, repeated_name_rejected)
{
    struct hd_form f;
    const char *why = NULL;
    cr_expect_eq(parse("scope=a&grant_type=x&scope=b", &f, &why), HD_E_BAD_REQUEST);
    cr_expect(why && strstr(why, "repeated"));
    /* the same name spelled differently is still the same name */
    cr_expect_eq(parse("scope=a&sc%6Fpe=b", &f, &why), HD_E_BAD_REQUEST);
    cr_expect_eq(parse("a=1&a", &f, &why), HD_E_BAD_REQUEST);
}

Test(form, nul_in_value_kept_with_its_length)
{
    struct hd_form f;
    const char *why = NULL;
    cr_assert_eq(parse("v=ab%00cd&w=%00", &f, &why), 0);
    const struct hd_form_field *v = hd_form_get(&f, "v");
    cr_assert_not_null(v);
    cr_expect_eq(v->value_len, 5);
    cr_expect_arr_eq(v->value, "ab\0cd", 6);
    cr_expect_eq(hd_form_get(&f, "w")->value_len, 1);
}

Test(form, nul_in_name_rejected)
{
    struct hd_form f;
    const char *why = NULL;
    cr_expect_eq(parse("a%00b=1", &f, &why), HD_E_BAD_REQUEST);
    cr_expect(why && strstr(why, "NUL"));
}

Test(form, field_limit)
{
    char body[512] = "";
    for (int i = 0; i < HD_FORM_MAX_FIELDS; i++)
        sprintf(body + strlen(body), "%sf%d=%d", i ? "&" : "", i, i);
    struct hd_form f;
    const char *why = NULL;
    cr_assert_eq(parse(body, &f, &why), 0);
    cr_expect_eq(f.n, HD_FORM_MAX_FIELDS);
    cr_expect_str_eq(value(&f, "f31"), "31");
    strcat(body, "&&");
    cr_assert_eq(parse(body, &f, &why), 0, "empty pairs do not count");
    strcat(body, "one=more");
    cr_expect_eq(parse(body, &f, &why), HD_E_BAD_REQUEST);
    cr_expect(why && strstr(why, "too many"));
}

Test(form, binary_and_utf8_pass_through)
{
    struct hd_form f;
    const char *why = NULL;
    cr_assert_eq(parse("name=%C3%A9t%C3%A9&raw=\xc3\xa9", &f, &why), 0);
    cr_expect_str_eq(value(&f, "name"), "\xc3\xa9t\xc3\xa9");
    cr_expect_str_eq(value(&f, "raw"), "\xc3\xa9");
}

static int basic(const char *header, const char **id, const char **secret, const char **why)
{
    struct hd_slice s = exact(header, strlen(header));
    *id = *secret = NULL;
    int rc = hd_basic_parse(s, ar, id, secret, why);
    free((void *)s.ptr);
    return rc;
}

static void expect_basic(const char *header, const char *want_id, const char *want_secret)
{
    const char *id, *secret, *why = NULL;
    cr_assert_eq(basic(header, &id, &secret, &why), 0, "\"%s\": %s", header, why ? why : "");
    cr_expect_str_eq(id, want_id, "id of \"%s\"", header);
    cr_expect_str_eq(secret, want_secret, "secret of \"%s\"", header);
}

static void expect_basic_error(const char *header, int want)
{
    const char *id, *secret, *why = NULL;
    cr_expect_eq(basic(header, &id, &secret, &why), want, "\"%s\"", header);
    cr_expect_null(id, "no id for \"%s\"", header);
    cr_expect_null(secret, "no secret for \"%s\"", header);
    if (want == HD_E_BAD_REQUEST)
        cr_expect_not_null(why, "a reason for \"%s\"", header);
}

Test(basic, decodes_id_and_secret)
{
    expect_basic("Basic Zm9vOmJhcg==", "foo", "bar");
    expect_basic("Basic Zm9vOmJhcg", "foo", "bar");
    expect_basic("Basic aGtfMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3Olp4LV85",
                 "hk_0123456789abcdef01234567", "Zx-_9");
}

Test(basic, scheme_case_insensitive_and_spaces)
{
    expect_basic("basic Zm9vOmJhcg==", "foo", "bar");
    expect_basic("BASIC Zm9vOmJhcg==", "foo", "bar");
    expect_basic("bAsIc Zm9vOmJhcg==", "foo", "bar");
    expect_basic("Basic    Zm9vOmJhcg==", "foo", "bar");
    expect_basic("  Basic Zm9vOmJhcg==  ", "foo", "bar");
}

Test(basic, other_schemes_not_found)
{
    expect_basic_error("Bearer x", HD_E_NOT_FOUND);
    expect_basic_error("Bearer Zm9vOmJhcg==", HD_E_NOT_FOUND);
    expect_basic_error("Basicx Zm9vOmJhcg==", HD_E_NOT_FOUND);
    expect_basic_error("Basi Zm9vOmJhcg==", HD_E_NOT_FOUND);
    expect_basic_error("Zm9vOmJhcg==", HD_E_NOT_FOUND);
    expect_basic_error("", HD_E_NOT_FOUND);
}

Test(basic, malformed_basic)
{
    expect_basic_error("Basic Zm9vYmFy", HD_E_BAD_REQUEST); /* "foobar": no colon */
    expect_basic_error("Basic", HD_E_BAD_REQUEST);
    expect_basic_error("Basic ", HD_E_BAD_REQUEST);
    expect_basic_error("Basic Zm9v!mJhcg==", HD_E_BAD_REQUEST);
    expect_basic_error("Basic Zm9vOmJhcg=", HD_E_BAD_REQUEST);
    expect_basic_error("Basic Zm9vOmJhcg===", HD_E_BAD_REQUEST);
    expect_basic_error("Basic Zm9v OmJhcg==", HD_E_BAD_REQUEST);
    expect_basic_error("Basic Zm9vOmJhcg-_", HD_E_BAD_REQUEST);
}

/* RFC 6749 §2.3.1: id and secret are form-encoded before being put in the header */
Test(basic, percent_encoded_credentials_decoded)
{
    expect_basic("Basic bXklMjBpZDpzJTNBcg==", "my id", "s:r"); /* my%20id:s%3Ar */
    expect_basic("Basic YStiOmMrZA==", "a b", "c d");           /* a+b:c+d */
    expect_basic("Basic aWQ6JUMzJUE5dCVDMyVBOQ==", "id", "\xc3\xa9t\xc3\xa9");
}

Test(basic, bad_percent_encoding_rejected)
{
    expect_basic_error("Basic aSV6ejp4", HD_E_BAD_REQUEST);         /* i%zz:x */
    expect_basic_error("Basic aWQ6c2UlMDBjcmV0", HD_E_BAD_REQUEST); /* id:se%00cret */
}

Test(basic, split_on_first_colon)
{
    expect_basic("Basic aWQ6YTpiOmM=", "id", "a:b:c"); /* id:a:b:c */
    expect_basic("Basic aWQ6", "id", "");              /* id: */
    expect_basic("Basic OnNlY3JldA==", "", "secret");  /* :secret */
}
