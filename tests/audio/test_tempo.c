/* Tempo accuracy on synthesised grooves (issue 4): bpm within 1 of the truth from 8 s on,
 * beat phase within 30 ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "measure.h"

static void check(double bpm)
{
    tempo_figures t;
    assert_int_equal(measure_tempo(bpm, 11.0, &t), 0);
    print_message("%.0f BPM: at 8 s %.2f, err max %.2f, phase max %.1f ms (mean %.1f), "
                  "beat max %.1f ms, conf %.2f\n", bpm, t.bpm_at_8s, t.bpm_err_max,
                  t.phase_err_max, t.phase_err_mean, t.beat_err_max, t.confidence);
    assert_true(t.bpm_err_max <= 1.0);
    assert_true(t.phase_err_max <= 30.0);
    assert_true(t.beat_err_max <= 30.0);
    assert_true(t.confidence > 0.2);
}

static void test_90(void **state) { (void)state; check(90.0); }
static void test_120(void **state) { (void)state; check(120.0); }
static void test_128(void **state) { (void)state; check(128.0); }
static void test_140(void **state) { (void)state; check(140.0); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_90),
        cmocka_unit_test(test_120),
        cmocka_unit_test(test_128),
        cmocka_unit_test(test_140),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
