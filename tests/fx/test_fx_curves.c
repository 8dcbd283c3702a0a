/* fx: glitch curves, names and chain order, without GL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>

#include "fx/fx.h"

static void curves_start_at_zero_end_at_one_and_rise(void **state)
{
    (void)state;
    for (int c = 0; c < STRATA_FX_CURVE_COUNT; c++) {
        float k = c == STRATA_FX_CURVE_EXP ? 3.0f : 0.4f;
        assert_true(strata_fx_curve_eval(c, k, 0.0f) == 0.0f);
        assert_true(fabsf(strata_fx_curve_eval(c, k, 1.0f) - 1.0f) < 1e-5f);
        float last = 0.0f;
        for (int i = 0; i <= 100; i++) {
            float v = strata_fx_curve_eval(c, k, i / 100.0f);
            assert_true(v >= last - 1e-6f && v >= 0.0f && v <= 1.0f);
            last = v;
        }
        /* Out of range and NaN clamp, never light the chain up. */
        assert_true(strata_fx_curve_eval(c, k, -3.0f) == 0.0f);
        assert_true(strata_fx_curve_eval(c, k, NAN) == 0.0f);
    }
}

static void curve_shapes(void **state)
{
    (void)state;
    assert_true(fabsf(strata_fx_curve_eval(STRATA_FX_CURVE_LINEAR, 0, 0.3f) - 0.3f) < 1e-6f);
    assert_true(fabsf(strata_fx_curve_eval(STRATA_FX_CURVE_SMOOTH, 0, 0.5f) - 0.5f) < 1e-6f);
    assert_true(strata_fx_curve_eval(STRATA_FX_CURVE_SMOOTH, 0, 0.2f) < 0.2f);
    assert_true(strata_fx_curve_eval(STRATA_FX_CURVE_EXP, 4.0f, 0.5f) < 0.2f);
    assert_true(strata_fx_curve_eval(STRATA_FX_CURVE_THRESHOLD, 0.5f, 0.5f) == 0.0f);
    assert_true(fabsf(strata_fx_curve_eval(STRATA_FX_CURVE_THRESHOLD, 0.5f, 0.75f) - 0.5f) < 1e-6f);
    assert_true(strata_fx_curve_eval(STRATA_FX_CURVE_STEP, 0.5f, 0.49f) == 0.0f);
    assert_true(strata_fx_curve_eval(STRATA_FX_CURVE_STEP, 0.5f, 0.5f) == 1.0f);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int e = 0; e < STRATA_FX_COUNT; e++)
        assert_int_equal(strata_fx_effect_find(strata_fx_effect_name(e)), e);
    for (int c = 0; c < STRATA_FX_CURVE_COUNT; c++)
        assert_int_equal(strata_fx_curve_find(strata_fx_curve_name(c)), c);
    assert_int_equal(strata_fx_effect_find("blur"), -1);
    assert_int_equal(strata_fx_curve_find(NULL), -1);
    assert_int_equal(strata_param_find("fx_sort"), STRATA_P_fx_sort);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(curves_start_at_zero_end_at_one_and_rise),
        cmocka_unit_test(curve_shapes),
        cmocka_unit_test(names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
