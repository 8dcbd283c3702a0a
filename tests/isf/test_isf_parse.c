/* isf: the header parser (strict, FILE:LINE:COLUMN errors), the size expressions and the
 * GLSL translation's text. No GL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isf/isf.h"

static strata_isf_desc d;

static strata_status parse(const char *text, strata_result *r)
{
    memset(r, 0, sizeof *r);
    return strata_isf_parse(text, strlen(text), "t.fs", &d, r);
}

static void expect_error(const char *text, const char *where, const char *words)
{
    strata_result r;
    assert_int_equal(parse(text, &r), STRATA_ERR_FORMAT);
    if (!strstr(r.msg, where) || !strstr(r.msg, words))
        fail_msg("got \"%s\", want \"%s\" and \"%s\"", r.msg, where, words);
}

static void full_header_parses(void **state)
{
    (void)state;
    static const char text[] =
        "/*{\n"
        "  \"DESCRIPTION\": \"all input kinds\", \"CREDIT\": \"tests\", \"ISFVSN\": \"2\",\n"
        "  \"CATEGORIES\": [\"Test\", \"Generator\"],\n"
        "  \"INPUTS\": [\n"
        "    {\"NAME\": \"inputImage\", \"TYPE\": \"image\"},\n"
        "    {\"NAME\": \"amount\", \"TYPE\": \"float\", \"DEFAULT\": 0.25, \"MIN\": 0, "
        "\"MAX\": 2, \"IDENTITY\": 0},\n"
        "    {\"NAME\": \"on\", \"TYPE\": \"bool\", \"DEFAULT\": true},\n"
        "    {\"NAME\": \"mode\", \"TYPE\": \"long\", \"VALUES\": [0, 1, 4], \"LABELS\": [\"a\", "
        "\"b\", \"c\"], \"DEFAULT\": 4},\n"
        "    {\"NAME\": \"tint\", \"TYPE\": \"color\", \"DEFAULT\": [1, 0.5, 0]},\n"
        "    {\"NAME\": \"center\", \"TYPE\": \"point2D\", \"DEFAULT\": [0.5, 0.25], \"MIN\": [0, "
        "0], \"MAX\": [1, 1]},\n"
        "    {\"NAME\": \"hit\", \"TYPE\": \"event\"},\n"
        "    {\"NAME\": \"wave\", \"TYPE\": \"audio\"},\n"
        "    {\"NAME\": \"fft\", \"TYPE\": \"audioFFT\", \"MAX\": 64}\n"
        "  ],\n"
        "  \"PASSES\": [{\"TARGET\": \"half\", \"WIDTH\": \"$WIDTH/2\", \"HEIGHT\": "
        "\"floor($HEIGHT*$amount)\"},\n"
        "             {\"TARGET\": \"acc\", \"PERSISTENT\": true, \"FLOAT\": true}, {}],\n"
        "  \"IMPORTED\": {\"logo\": {\"PATH\": \"logo.png\"}}\n"
        "}*/\n"
        "void main() { gl_FragColor = vec4(1.0); }\n";
    strata_result r;
    assert_int_equal(parse(text, &r), STRATA_OK);
    assert_string_equal(d.description, "all input kinds");
    assert_string_equal(d.vsn, "2");
    assert_int_equal(d.ncategories, 2);
    assert_int_equal(d.ninputs, 9);
    assert_true(d.filter);
    assert_int_equal(d.inputs[1].type, STRATA_ISF_FLOAT);
    assert_true(d.inputs[1].def[0] == 0.25f && d.inputs[1].max[0] == 2.0f);
    assert_true(d.inputs[2].def[0] == 1.0f);
    assert_int_equal(d.inputs[3].nvalues, 3);
    assert_string_equal(d.inputs[3].labels[2], "c");
    assert_true(d.inputs[3].def[0] == 4.0f && d.inputs[3].min[0] == 0.0f &&
                d.inputs[3].max[0] == 4.0f);
    assert_int_equal(d.inputs[4].ncomp, 4);
    assert_true(d.inputs[4].def[1] == 0.5f && d.inputs[4].def[3] == 1.0f); /* alpha added */
    assert_true(d.inputs[5].def[1] == 0.25f);
    assert_int_equal(d.inputs[6].type, STRATA_ISF_EVENT);
    assert_int_equal(d.inputs[8].type, STRATA_ISF_AUDIOFFT);
    assert_int_equal(d.npasses, 3);
    assert_string_equal(d.passes[0].width, "$WIDTH/2");
    assert_true(d.passes[1].persistent && d.passes[1].is_float);
    assert_string_equal(d.passes[2].target, "");
    assert_int_equal(d.nimports, 1);
    assert_string_equal(d.imports[0].path, "logo.png");
    assert_int_equal(d.header_end, 18);

    double x;
    assert_true(strata_isf_eval(d.passes[1 - 1].height, &d, 640, 360, NULL, &x, &r));
    assert_true(x == 90.0); /* floor(360 * 0.25) */
    float vals[9] = {0, 0.5f};
    assert_true(strata_isf_eval("floor($HEIGHT*$amount)", &d, 640, 360, vals, &x, &r));
    assert_true(x == 180.0);
    assert_true(strata_isf_eval("max($WIDTH, 2*(3+-1)) / 4", &d, 10, 10, NULL, &x, &r));
    assert_true(x == 2.5);
}

static void no_passes_is_one_pass(void **state)
{
    (void)state;
    strata_result r;
    assert_int_equal(parse("  \n/* {} */ void main() {}", &r), STRATA_OK);
    assert_int_equal(d.npasses, 1);
    assert_false(d.filter);
    assert_int_equal(d.header_end, 2);
}

static void bad_headers_name_file_line_column(void **state)
{
    (void)state;
    expect_error("void main() {}", "t.fs:1:1:", "no ISF header");
    expect_error("\n\n  /*{ \"INPUTS\": [] ", "t.fs:3:3:", "never closed");
    /* JSON syntax: jansson's position, in the file's own lines. */
    expect_error("/*{\n  \"INPUTS\": [,]\n}*/", "t.fs:2:", "");
    /* A DEFAULT of the wrong type, on the line it is written. */
    expect_error("/*{\n\"INPUTS\": [\n {\"NAME\": \"a\", \"TYPE\": \"float\",\n"
                 "  \"DEFAULT\": \"big\"}]}*/",
                 "t.fs:4:14:", "DEFAULT must be a number, not a string");
    expect_error("/*{\"INPUTS\": [{\"NAME\": \"c\", \"TYPE\": \"color\", \"DEFAULT\": 1}]}*/",
                 "t.fs:1:", "DEFAULT must be an array of 3 or 4 numbers");
    expect_error("/*{\"INPUTS\": [{\"NAME\": \"b\", \"TYPE\": \"bool\", \"DEFAULT\": 2}]}*/",
                 "t.fs:1:", "not 0 or 1");
    expect_error("/*{\"INPUTS\": [{\"NAME\": \"n\", \"TYPE\": \"long\", \"DEFAULT\": 1.5}]}*/",
                 "t.fs:1:", "whole number");
    /* MIN > MAX, DEFAULT outside, a long DEFAULT not among its VALUES. */
    expect_error("/*{\"INPUTS\": [\n{\"NAME\": \"a\", \"TYPE\": \"float\", \"MIN\": 2, \"MAX\": "
                 "1}]}*/",
                 "t.fs:2:", "MIN 2 is above MAX 1");
    expect_error("/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"float\", \"MIN\": 0, \"MAX\": 1, "
                 "\"DEFAULT\": 3}]}*/",
                 "t.fs:1:", "outside MIN..MAX");
    expect_error("/*{\"INPUTS\": [{\"NAME\": \"m\", \"TYPE\": \"long\", \"VALUES\": [1, 4], "
                 "\"DEFAULT\": 3}]}*/",
                 "t.fs:1:", "not one of its VALUES");
    expect_error("/*{\"INPUTS\": [{\"NAME\": \"m\", \"TYPE\": \"long\", \"VALUES\": [1, 2], "
                 "\"LABELS\": [\"x\"]}]}*/",
                 "t.fs:1:", "LABELS must be an array of 2 strings");
    /* Types and names. */
    expect_error("/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"flaot\"}]}*/",
                 "t.fs:1:", "did you mean \"float\"");
    expect_error("/*{\"INPUTS\": [{\"NAME\": \"a b\", \"TYPE\": \"float\"}]}*/",
                 "t.fs:1:", "not a GLSL name");
    expect_error("/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"float\"}, {\"NAME\": \"a\", "
                 "\"TYPE\": \"bool\"}]}*/",
                 "t.fs:1:", "declared twice");
    expect_error("/*{\"INPUTS\": [{\"TYPE\": \"float\"}]}*/", "t.fs:1:", "needs a string NAME");
    expect_error("/*{\"INPUTZ\": []}*/", "t.fs:1:4:", "unknown key \"INPUTZ\"");
    /* Passes: a TARGET that is an input, a persistent buffer no pass writes, sizes. */
    expect_error("/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"float\"}],\n"
                 "\"PASSES\": [{\"TARGET\": \"a\"}]}*/",
                 "t.fs:2:", "also the name of an INPUT");
    expect_error("/*{\"PERSISTENT_BUFFERS\": [\"acc\"],\n\"PASSES\": [{\"TARGET\": \"other\"}]}*/",
                 "t.fs:1:", "\"acc\" is never a TARGET");
    expect_error("/*{\"PASSES\": [{\"TARGET\": \"b\", \"WIDTH\": \"$WIDTH/\"}]}*/",
                 "t.fs:1:", "unexpected end");
    expect_error("/*{\"PASSES\": [{\"TARGET\": \"b\", \"WIDTH\": \"$nope*2\"}]}*/",
                 "t.fs:1:", "unknown $name");
    expect_error("/*{\"PASSES\": [{\"TARGET\": \"b\", \"PERSISTENT\": \"yes\"}]}*/",
                 "t.fs:1:", "PERSISTENT must be true or false");
    expect_error("/*{\"PASSES\": [{\"TARGET\": \"b\"}, {\"TARGET\": \"b\", \"FLOAT\": true}]}*/",
                 "t.fs:1:", "different PERSISTENT, FLOAT or size");
    expect_error("/*{\"IMPORTED\": {\"logo\": {\"FILE\": \"x.png\"}}}*/",
                 "t.fs:1:", "needs a PATH");
    expect_error("/*[1, 2]*/", "t.fs:1:", "must be a JSON object");
    expect_error("/*{\"DESCRIPTION\": 5}*/", "t.fs:1:", "must be a string");
}

static void v1_persistent_buffers_mark_targets(void **state)
{
    (void)state;
    strata_result r;
    assert_int_equal(parse("/*{\"PERSISTENT_BUFFERS\": [\"acc\"], \"PASSES\": [{\"TARGET\": "
                           "\"acc\"}, {}]}*/",
                           &r),
                     STRATA_OK);
    assert_true(d.passes[0].persistent);
    assert_false(d.passes[1].persistent);
}

/* What files in the wild carry: KEYWORDS, a numeric ISFVSN, many passes (16 targets). */
static void headers_from_the_wild(void **state)
{
    (void)state;
    strata_result r;
    assert_int_equal(parse("/*{\"ISFVSN\": 2, \"KEYWORDS\": [\"a\"]}*/", &r), STRATA_OK);
    assert_string_equal(d.vsn, "2");
    char text[2048] = "/*{\"PASSES\": [";
    for (int k = 0; k < 17; k++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s{\"TARGET\": \"t%d\"}",
                 k ? ", " : "", k);
    strcat(text, "]}*/");
    expect_error(text, "t.fs:1:", "PASSES name 17 TARGETs; at most 16");
    strcpy(strstr(text, ", {\"TARGET\": \"t16\"}"), "]}*/");
    assert_int_equal(parse(text, &r), STRATA_OK);
    assert_int_equal(d.npasses, 16);
}

static void huge_and_binary_files_are_refused(void **state)
{
    (void)state;
    size_t n = 10u << 20;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    memcpy(big, "/*{}*/", 6);
    big[n] = 0;
    strata_result r = {0};
    assert_int_equal(strata_isf_parse(big, n, "big.fs", &d, &r), STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "more than an ISF file may be"));
    /* The same from disk: refused before reading it all. */
    char path[] = "/tmp/strata-isf-big-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, big, n), (ssize_t)n);
    close(fd);
    assert_int_equal(strata_isf_parse_file(path, &d, &r), STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "larger than"));
    unlink(path);
    free(big);
    char bin[] = "/*{}*/ \0\1\2";
    assert_int_equal(strata_isf_parse(bin, sizeof bin, "bin.fs", &d, &r), STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "NUL byte"));
}

static void glsl_keeps_the_file_lines(void **state)
{
    (void)state;
    static const char text[] = "/*{\"INPUTS\": [{\"NAME\": \"inputImage\", \"TYPE\": \"image\"},\n"
                               "{\"NAME\": \"k\", \"TYPE\": \"color\"}]}*/\n"
                               "#version 120\n"
                               "varying vec2 uv; // gl_FragColor in a comment stays\n"
                               "void main() { gl_FragColor = texture2D(inputImage, uv) * k; }\n";
    strata_result r;
    assert_int_equal(parse(text, &r), STRATA_OK);
    char *fs = strata_isf_glsl(&d, text, strlen(text), false, 330);
    assert_non_null(fs);
    assert_non_null(strstr(fs, "#version 330 core\n"));
    assert_non_null(strstr(fs, "uniform sampler2D inputImage;\n"));
    assert_non_null(strstr(fs, "uniform vec4 k;\n"));
    const char *body = strstr(fs, "#line 1\n");
    assert_non_null(body);
    body += 8;
    /* Line 3 of the file is line 3 after #line 1, its #version made a comment. */
    const char *l3 = body;
    for (int k = 0; k < 2; k++)
        l3 = strchr(l3, '\n') + 1;
    assert_true(
        strncmp(l3, "//#version 120\nin vec2 uv; // gl_FragColor in a comment stays\n", 60) == 0);
    assert_non_null(strstr(l3, "isf_FragColor = texture(inputImage, uv) * k;"));
    free(fs);
    const char *vt = "varying vec2 uv;\nvoid main() { isf_vertShaderInit(); "
                     "uv = isf_FragNormCoord; }\n";
    char *vs = strata_isf_glsl(&d, vt, strlen(vt), true, 330);
    assert_non_null(vs);
    assert_non_null(strstr(vs, "out vec2 uv;"));
    free(vs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_header_parses),
        cmocka_unit_test(no_passes_is_one_pass),
        cmocka_unit_test(bad_headers_name_file_line_column),
        cmocka_unit_test(v1_persistent_buffers_mark_targets),
        cmocka_unit_test(headers_from_the_wild),
        cmocka_unit_test(huge_and_binary_files_are_refused),
        cmocka_unit_test(glsl_keeps_the_file_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
