/* control: the parameter registry, --set parsing and smoothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "control/control.h"

static void registry_finds_and_clamps(void **state)
{
    (void)state;
    strata_params p;
    strata_params_init(&p);
    int g = strata_param_find("glitch");
    assert_int_equal(g, STRATA_P_glitch);
    assert_int_equal(strata_param_find("nope"), -1);
    strata_params_set(&p, g, 5.0f, true);
    assert_true(p.base[g] == 1.0f);
    strata_params_set(&p, g, NAN, true);
    assert_true(p.base[g] == 1.0f);
    strata_params_set(&p, g, -1.0f, true);
    strata_params_update(&p, 0.016f);
    assert_true(p.value[g] == 0.0f);
}

static void set_arg_parses_and_reports(void **state)
{
    (void)state;
    strata_params p;
    strata_params_init(&p);
    strata_result r = {0};
    assert_true(strata_params_set_arg(&p, "drift=0.75", &r));
    assert_true(fabsf(p.base[STRATA_P_drift] - 0.75f) < 1e-6f);
    assert_false(strata_params_set_arg(&p, "drift", &r));
    assert_false(strata_params_set_arg(&p, "wobble=1", &r));
    assert_non_null(strstr(r.msg, "wobble"));
    assert_false(strata_params_set_arg(&p, "drift=abc", &r));
    assert_non_null(strstr(r.msg, "abc"));
}

static void smoothing_converges(void **state)
{
    (void)state;
    strata_params p;
    strata_params_init(&p);
    int id = STRATA_P_brightness; /* smooth 0.1 s */
    strata_params_set(&p, id, 2.0f, false);
    strata_params_update(&p, 1.0f / 60.0f);
    assert_true(p.value[id] > 1.0f && p.value[id] < 2.0f);
    for (int i = 0; i < 120; i++)
        strata_params_update(&p, 1.0f / 60.0f);
    assert_true(fabsf(p.value[id] - 2.0f) < 1e-4f);
    p.mod[id] = -0.25f; /* a quarter of the 0..2 range */
    strata_params_update(&p, 1.0f / 60.0f);
    assert_true(fabsf(p.value[id] - 1.5f) < 1e-4f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_finds_and_clamps),
        cmocka_unit_test(set_arg_parses_and_reports),
        cmocka_unit_test(smoothing_converges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
