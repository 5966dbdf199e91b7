/* render_test.c: finding ###NAME### placeholders (including ambiguous runs of '#'), override
 * keys, and rendering (one pass, values never rescanned, output cap). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "notify/render.h"

static struct hd_arena *ar;

static void setup(void)
{
    ar = hd_arena_create();
}

static void teardown(void)
{
    hd_arena_destroy(ar);
}

TestSuite(render, .init = setup, .fini = teardown);

/* Asserts the placeholders of text are exactly the names given, in order, NULL-terminated. */
static void extracts(const char *text, const char *const *want)
{
    struct hd_placeholders ph = {0};
    cr_assert_eq(hd_render_extract(text, strlen(text), &ph), 0, "%s", text);
    size_t n = 0;
    while (want[n])
        n++;
    cr_assert_eq(ph.n, n, "\"%s\": %zu names, expected %zu", text, ph.n, n);
    for (size_t k = 0; k < n; k++)
        cr_assert_str_eq(ph.names[k], want[k], "\"%s\" name %zu", text, k);
}

#define EXTRACTS(text, ...) extracts(text, (const char *const[]){__VA_ARGS__, NULL})
#define EXTRACTS_NONE(text) extracts(text, (const char *const[]){NULL})

Test(render, extract_order_and_dedupe)
{
    EXTRACTS("Opportunity ###OPP### needs you", "OPP");
    EXTRACTS("###B### then ###A### and ###B### again ###A###", "B", "A");
    EXTRACTS("###a.b_c-9###", "a.b_c-9");
    EXTRACTS("###-### ###.### ###_###", "-", ".", "_");
    EXTRACTS("###x######y###", "x", "y");
    EXTRACTS("###Opp### ###OPP###", "Opp", "OPP"); /* names are case-sensitive */
    EXTRACTS_NONE("");
    EXTRACTS_NONE("no placeholders here");
}

Test(render, ambiguous_runs_of_hashes)
{
    EXTRACTS("#####A###", "A"); /* the last three of a run open */
    EXTRACTS("###A#####", "A"); /* the first three of a run close */
    EXTRACTS("###A######B###", "A", "B");
    EXTRACTS("###A###B###", "A");   /* the closing ### of A cannot also open B */
    EXTRACTS("###A#####B###", "A"); /* "##B###" is left: too few to open */
    EXTRACTS("###A###B###C###", "A", "C");
    EXTRACTS_NONE("###");
    EXTRACTS_NONE("######");
    EXTRACTS_NONE("#########");
    EXTRACTS_NONE("##A##");
    EXTRACTS_NONE("###A##");
    EXTRACTS_NONE("##A###");
    EXTRACTS_NONE("###A B###");
    EXTRACTS_NONE("### A###");
    EXTRACTS_NONE("###A ###");
    EXTRACTS_NONE("###A!###");
    EXTRACTS_NONE("###\xc3\x84###");
}

static void name_of(char *buf, size_t n, char c)
{
    memset(buf, c, n);
    buf[n] = '\0';
}

Test(render, name_length_limit)
{
    char name[80], text[200];
    name_of(name, 64, 'N');
    snprintf(text, sizeof(text), "###%s###", name);
    EXTRACTS(text, name);
    name_of(name, 65, 'N');
    snprintf(text, sizeof(text), "###%s###", name);
    EXTRACTS_NONE(text);
    /* the too-long candidate is plain text, so its closing ### may open the next one */
    snprintf(text, sizeof(text), "###%s###B###", name);
    EXTRACTS(text, "B");
}

Test(render, at_most_32_distinct_names)
{
    char text[1024] = "", item[32];
    for (int k = 0; k < 32; k++) {
        snprintf(item, sizeof(item), "###P%d### ###P%d### ", k, k);
        strcat(text, item);
    }
    struct hd_placeholders ph = {0};
    cr_assert_eq(hd_render_extract(text, strlen(text), &ph), 0);
    cr_assert_eq(ph.n, 32);
    strcat(text, "###P32###");
    struct hd_placeholders ph2 = {0};
    cr_assert_eq(hd_render_extract(text, strlen(text), &ph2), HD_E_VALIDATION);
    cr_assert_eq(ph2.n, 32);
    cr_assert_str_eq(ph2.names[31], "P31");
}

Test(render, extract_appends_without_repeats)
{
    struct hd_placeholders ph = {0};
    const char *title = "###A### ###B###", *body = "###B### ###C###";
    cr_assert_eq(hd_render_extract(title, strlen(title), &ph), 0);
    cr_assert_eq(hd_render_extract(body, strlen(body), &ph), 0);
    cr_assert_eq(ph.n, 3);
    cr_assert_str_eq(ph.names[2], "C");
}

Test(render, extract_reads_only_len_bytes)
{
    struct hd_placeholders ph = {0};
    cr_assert_eq(hd_render_extract("###A###", 6, &ph), 0);
    cr_assert_eq(ph.n, 0);
    cr_assert_eq(hd_render_extract("###A###B###", 7, &ph), 0);
    cr_assert_eq(ph.n, 1);
    cr_assert_eq(hd_render_extract(NULL, 0, &ph), 0);
}

Test(render, has)
{
    struct hd_placeholders ph = {0};
    cr_assert_eq(hd_render_extract("###AB### ###C###", 16, &ph), 0);
    cr_assert(hd_render_has(&ph, "AB", 2));
    cr_assert(hd_render_has(&ph, "C", 1));
    cr_assert(hd_render_has(&ph, "ABX", 2));
    cr_assert_not(hd_render_has(&ph, "A", 1));
    cr_assert_not(hd_render_has(&ph, "ABC", 3));
    cr_assert_not(hd_render_has(&ph, "", 0));
    cr_assert_not(hd_render_has(&ph, "ab", 2));
}

static void key_ok(const char *key, const char *want)
{
    struct hd_slice name = {0};
    cr_assert_eq(hd_render_key(hd_slice_of(key), &name), 0, "\"%s\" rejected", key);
    cr_assert(name.len == strlen(want) && memcmp(name.ptr, want, name.len) == 0,
              "\"%s\" gave \"%.*s\"", key, (int)name.len, name.ptr);
}

static void key_bad(const char *key)
{
    struct hd_slice name = {0};
    cr_assert_eq(hd_render_key(hd_slice_of(key), &name), HD_E_VALIDATION, "\"%s\" accepted", key);
}

Test(render, key)
{
    key_ok("OPP", "OPP");
    key_ok("###OPP###", "OPP");
    key_ok("a.b_c-9", "a.b_c-9");
    key_ok("###-###", "-");
    key_bad("##OPP##");
    key_bad("###OPP");
    key_bad("OPP###");
    key_bad("#OPP#");
    key_bad("####OPP####");
    key_bad("###O#P###");
    key_bad("");
    key_bad("###");
    key_bad("######");
    key_bad("#######");
    key_bad("OP P");
    key_bad(" OPP");
    key_bad("OPP!");
    key_bad("\xc3\x84PP");
    char name[80], key[100];
    name_of(name, 64, 'k');
    key_ok(name, name);
    snprintf(key, sizeof(key), "###%s###", name);
    key_ok(key, name);
    name_of(name, 65, 'k');
    key_bad(name);
    snprintf(key, sizeof(key), "###%s###", name);
    key_bad(key);
}

Test(render, key_reads_only_len_bytes)
{
    struct hd_slice name;
    cr_assert_eq(hd_render_key((struct hd_slice){"OPP!", 3}, &name), 0);
    cr_assert_eq(name.len, 3);
    cr_assert_eq(hd_render_key((struct hd_slice){"###OPP###", 8}, &name), HD_E_VALIDATION);
}

#define OV(k, v)                                                                                   \
    {                                                                                              \
        HD_SLICE_LIT(k), HD_SLICE_LIT(v)                                                           \
    }

static void renders(const char *text, const struct hd_override *ov, size_t n, const char *want)
{
    char *out = hd_render(ar, text, strlen(text), ov, n);
    cr_assert_not_null(out, "\"%s\" refused", text);
    cr_assert_str_eq(out, want);
}

Test(render, several_and_repeated_placeholders)
{
    struct hd_override ov[] = {OV("NAME", "Ada"), OV("OPP", "Acme renewal")};
    renders("Hi ###NAME###, ###OPP### is yours, ###NAME###.", ov, 2,
            "Hi Ada, Acme renewal is yours, Ada.");
    renders("###NAME######OPP###", ov, 2, "AdaAcme renewal");
    renders("###OPP###", ov, 2, "Acme renewal");
    renders("no placeholders", ov, 2, "no placeholders");
    renders("", ov, 2, "");
}

Test(render, unknown_placeholder_left_intact)
{
    struct hd_override ov[] = {OV("A", "x")};
    renders("###A### ###B### ###a###", ov, 1, "x ###B### ###a###");
    renders("##A## ###A", ov, 1, "##A## ###A");
}

Test(render, ambiguous_runs_render_as_extracted)
{
    struct hd_override ov[] = {OV("A", "x"), OV("B", "y")};
    renders("#####A###", ov, 2, "##x");
    renders("###A#####", ov, 2, "x##");
    renders("###A######B###", ov, 2, "xy");
    renders("###A###B###", ov, 2, "xB###");
    renders("###A#####B###", ov, 2, "x##B###");
}

Test(render, values_are_not_rescanned)
{
    struct hd_override ov[] = {OV("A", "###B###"), OV("B", "bee"), OV("C", "#")};
    renders("###A### ###B###", ov, 3, "###B### bee");
    /* a value joined with the text around it does not make a new placeholder: rescanning
     * "#####B###" would find ###B### */
    renders("#####C#####B###", ov, 3, "#####B###");
    renders("##C###C###B###", ov, 3, "##C#B###");
    renders("##C###B###", ov, 3, "##Cbee");
    renders("###C###", ov, 3, "#");
}

Test(render, empty_value_and_first_override_wins)
{
    struct hd_override ov[] = {OV("A", ""), OV("A", "second")};
    renders("[###A###]", ov, 2, "[]");
}

Test(render, no_overrides_is_a_copy)
{
    const char text[] = "a\0###A###b"; /* embedded NUL: length-based, not string-based */
    char *out = hd_render(ar, text, sizeof(text) - 1, NULL, 0);
    cr_assert_not_null(out);
    cr_assert_eq(memcmp(out, text, sizeof(text) - 1), 0);
    cr_assert_eq(out[sizeof(text) - 1], '\0');
    out = hd_render(ar, NULL, 0, NULL, 0);
    cr_assert_str_eq(out, "");
}

Test(render, reads_only_len_bytes)
{
    struct hd_override ov[] = {OV("A", "x")};
    char *out = hd_render(ar, "###A###tail", 7, ov, 1);
    cr_assert_str_eq(out, "x");
    out = hd_render(ar, "###A###", 6, ov, 1);
    cr_assert_str_eq(out, "###A##");
}

Test(render, output_cap)
{
    static char big[HD_RENDER_MAX_OUT + 2];
    memset(big, 'v', sizeof(big));
    char *out = hd_render(ar, big, HD_RENDER_MAX_OUT, NULL, 0);
    cr_assert_not_null(out);
    cr_assert_eq(strlen(out), HD_RENDER_MAX_OUT);
    cr_assert_null(hd_render(ar, big, HD_RENDER_MAX_OUT + 1, NULL, 0));

    /* 16 uses of a 1 KiB value fill the cap exactly; one more byte is refused */
    struct hd_override ov = {HD_SLICE_LIT("V"), {big, 1024}};
    char text[256] = "";
    for (int k = 0; k < 16; k++)
        strcat(text, "###V###");
    out = hd_render(ar, text, strlen(text), &ov, 1);
    cr_assert_not_null(out);
    cr_assert_eq(strlen(out), HD_RENDER_MAX_OUT);
    strcat(text, "!");
    cr_assert_null(hd_render(ar, text, strlen(text), &ov, 1));
    ov.value.len = (size_t)-1 / 2; /* a huge length must not wrap the size check */
    cr_assert_null(hd_render(ar, "###V###", 7, &ov, 1));
}
