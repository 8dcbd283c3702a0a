/* isf: a preset's "isf" key: one path or up to four, resolved against the preset's
 * folder, strict errors with positions, written back relative by the preset writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preset/preset.h"

static strata_preset p;

static strata_status parse(const char *text, strata_result *r)
{
    memset(r, 0, sizeof *r);
    return strata_preset_parse(text, strlen(text), "/shows/a/scene.json", &p, r);
}

static void isf_paths_resolve_against_the_preset(void **state)
{
    (void)state;
    strata_result r;
    assert_int_equal(parse("{\"isf\": \"plasma.fs\"}", &r), STRATA_OK);
    assert_int_equal(p.n_isf, 1);
    assert_string_equal(p.isf[0], "/shows/a/plasma.fs");
    assert_int_equal(parse("{\"isf\": [\"fx/kaleido.fs\", \"/opt/isf/glow.fs\"]}", &r), STRATA_OK);
    assert_int_equal(p.n_isf, 2);
    assert_string_equal(p.isf[0], "/shows/a/fx/kaleido.fs");
    assert_string_equal(p.isf[1], "/opt/isf/glow.fs");
    /* Written back relative below the preset's folder, absolute elsewhere; read again,
     * the same. */
    char *text = NULL;
    assert_int_equal(strata_preset_format(&p, "/shows/a/scene.json", &text, &r), STRATA_OK);
    assert_non_null(strstr(text, "\"isf\": [\"fx/kaleido.fs\", \"/opt/isf/glow.fs\"],\n"));
    strata_preset q = p;
    assert_int_equal(parse(text, &r), STRATA_OK);
    assert_int_equal(p.n_isf, q.n_isf);
    assert_string_equal(p.isf[0], q.isf[0]);
    assert_string_equal(p.isf[1], q.isf[1]);
    free(text);
    assert_int_equal(parse("{}", &r), STRATA_OK);
    assert_int_equal(p.n_isf, 0);
}

/* "params" may name an ISF input (a name with a '/'): kept by name, applied when the
 * scene starts; a fixed parameter beside it works as before. */
static void params_may_name_isf_inputs(void **state)
{
    (void)state;
    strata_result r;
    assert_int_equal(parse("{\"params\": {\"glitch\": 0.5, \"isf/gen/level\": 0.25}}", &r),
                     STRATA_OK);
    assert_true(p.has_param[STRATA_P_glitch] && p.param[STRATA_P_glitch] == 0.5f);
    assert_int_equal(p.n_dyn_params, 1);
    assert_string_equal(p.dyn_param[0].name, "isf/gen/level");
    assert_true(p.dyn_param[0].value == 0.25f);
    char *text = NULL;
    assert_int_equal(strata_preset_format(&p, "/shows/a/scene.json", &text, &r), STRATA_OK);
    assert_int_equal(parse(text, &r), STRATA_OK);
    assert_int_equal(p.n_dyn_params, 1);
    assert_true(p.dyn_param[0].value == 0.25f);
    free(text);
    assert_int_equal(parse("{\"params\": {\n  \"isf/gen/level\": \"high\"}}", &r),
                     STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "scene.json:2:20: \"isf/gen/level\" must be a number"));
    assert_int_equal(parse("{\"params\": {\"glitsh\": 1}}", &r), STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "did you mean \"glitch\""));
}

static void bad_isf_values_name_their_position(void **state)
{
    (void)state;
    strata_result r;
    assert_int_equal(parse("{\n  \"isf\": 5\n}", &r), STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "scene.json:2:10: \"isf\" must be a path or an array"));
    assert_int_equal(parse("{\"isf\": [\"a.fs\", 3]}", &r), STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "scene.json:1:18: \"isf\" entries must be paths"));
    assert_int_equal(parse("{\"isf\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}", &r),
                     STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "at most 4 shaders a scene"));
    assert_int_equal(parse("{\"isf\": [\"\"]}", &r), STRATA_ERR_FORMAT);
    assert_int_equal(parse("{\"ISF\": \"a.fs\"}", &r), STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "unknown key \"ISF\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(isf_paths_resolve_against_the_preset),
        cmocka_unit_test(params_may_name_isf_inputs),
        cmocka_unit_test(bad_isf_values_name_their_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
