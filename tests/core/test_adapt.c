/* The adaptive-resolution controller (core/adapt.c) against simulated workloads whose cost
 * is proportional to pixels, as a fill-bound GPU's is: it must find a scale that fits,
 * keep the floor, recover when the load goes, and not pump under noisy frame times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>

#include "core/core.h"

/* Run seconds of frames at fps; work = base * scale^2 * (1 + jitter * noise). */
static void run(strata_adapt *a, double base, double seconds, double fps, double jitter,
                uint32_t *seed)
{
    for (double t = 0; t < seconds; t += 1.0 / fps) {
        *seed = *seed * 1664525u + 1013904223u;
        double noise = ((double)(*seed >> 8) / 16777216.0) * 2.0 - 1.0;
        double w = base * a->scale * a->scale * (1.0 + jitter * noise);
        strata_adapt_step(a, w, 1.0 / fps);
    }
}

static void heavy_load_finds_a_scale_that_fits(void **state)
{
    (void)state;
    strata_adapt a;
    uint32_t seed = 1;
    strata_adapt_init(&a, true, 60.0, 0.5f);
    run(&a, 30.0, 3.0, 60.0, 0.0, &seed); /* 30 ms at full size, budget 16.7 */
    print_message("30 ms at full size: scale %.2f after 3 s, %d changes\n", a.scale, a.changes);
    assert_true(a.scale < 1.0f);
    assert_true(30.0 * a.scale * a.scale <= 1000.0 / 60.0 * 1.05); /* it fits */
    assert_true(a.scale >= 0.5f);
    float settled = a.scale;
    run(&a, 30.0, 30.0, 60.0, 0.0, &seed);
    /* Settled: at most one notch more in 30 s, and still fitting. */
    assert_true(fabsf(a.scale - settled) <= 0.051f);
    assert_true(30.0 * a.scale * a.scale <= 1000.0 / 60.0 * 1.05);
}

static void light_load_stays_at_full_size(void **state)
{
    (void)state;
    strata_adapt a;
    uint32_t seed = 2;
    strata_adapt_init(&a, true, 60.0, 0.5f);
    run(&a, 9.0, 20.0, 60.0, 0.1, &seed);
    assert_true(a.scale == 1.0f);
    assert_int_equal(a.changes, 0);
}

static void never_below_the_floor(void **state)
{
    (void)state;
    strata_adapt a;
    uint32_t seed = 3;
    strata_adapt_init(&a, true, 60.0, 0.6f);
    run(&a, 500.0, 10.0, 60.0, 0.0, &seed);
    assert_true(fabsf(a.scale - 0.6f) < 1e-4f);
}

static void recovers_when_the_load_goes(void **state)
{
    (void)state;
    strata_adapt a;
    uint32_t seed = 4;
    strata_adapt_init(&a, true, 60.0, 0.5f);
    run(&a, 40.0, 5.0, 60.0, 0.0, &seed);
    assert_true(a.scale <= 0.65f);
    run(&a, 8.0, 30.0, 60.0, 0.0, &seed); /* the heavy scene is gone */
    print_message("after the load went: scale %.2f\n", a.scale);
    assert_true(a.scale == 1.0f);
}

/* Frame times jittering +-30% around a load that fits only just: a few changes, not a
 * change every second (which a VJ would see as the picture pumping). */
static void noisy_frames_do_not_pump(void **state)
{
    (void)state;
    strata_adapt a;
    uint32_t seed = 5;
    strata_adapt_init(&a, true, 60.0, 0.5f);
    run(&a, 24.0, 120.0, 60.0, 0.3, &seed);
    print_message("noisy 24 ms: scale %.2f, %d changes in 120 s\n", a.scale, a.changes);
    assert_true(a.changes <= 6);
    assert_true(a.scale < 1.0f);
}

/* The same seconds at 30 and at 144 fps reach the same scale: the controller counts time. */
static void frame_rate_does_not_matter(void **state)
{
    (void)state;
    strata_adapt a, b;
    uint32_t s1 = 6, s2 = 6;
    strata_adapt_init(&a, true, 60.0, 0.5f);
    strata_adapt_init(&b, true, 60.0, 0.5f);
    run(&a, 35.0, 8.0, 30.0, 0.0, &s1);
    run(&b, 35.0, 8.0, 144.0, 0.0, &s2);
    assert_true(fabsf(a.scale - b.scale) < 1e-4f);
}

static void off_never_changes(void **state)
{
    (void)state;
    strata_adapt a;
    uint32_t seed = 7;
    strata_adapt_init(&a, false, 60.0, 0.5f);
    run(&a, 100.0, 10.0, 60.0, 0.0, &seed);
    assert_true(a.scale == 1.0f);
    strata_adapt_init(&a, true, 0.0, 0.5f); /* no target: off too */
    run(&a, 100.0, 10.0, 60.0, 0.0, &seed);
    assert_true(a.scale == 1.0f);
    /* Garbage in (NaN, negative, a stall) changes nothing by itself. */
    strata_adapt_init(&a, true, 60.0, 0.5f);
    assert_false(strata_adapt_step(&a, NAN, 1.0 / 60.0));
    assert_false(strata_adapt_step(&a, -5.0, 1.0 / 60.0));
    assert_false(strata_adapt_step(&a, 10.0, 0.0));
}

static void sizes_are_even_and_bounded(void **state)
{
    (void)state;
    int w, h;
    strata_adapt_size(1280, 720, 0.7f, &w, &h);
    assert_int_equal(w, 896);
    assert_int_equal(h, 504);
    strata_adapt_size(1920, 1080, 0.55f, &w, &h);
    assert_int_equal(w % 2, 0);
    assert_int_equal(h % 2, 0);
    strata_adapt_size(100, 50, 0.01f, &w, &h);
    assert_int_equal(w, 16);
    assert_int_equal(h, 16);
    strata_adapt_size(1279, 719, 1.0f, &w, &h);
    assert_int_equal(w, 1279); /* never above the full size */
    assert_int_equal(h, 719);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heavy_load_finds_a_scale_that_fits),
        cmocka_unit_test(light_load_stays_at_full_size),
        cmocka_unit_test(never_below_the_floor),
        cmocka_unit_test(recovers_when_the_load_goes),
        cmocka_unit_test(noisy_frames_do_not_pump),
        cmocka_unit_test(frame_rate_does_not_matter),
        cmocka_unit_test(off_never_changes),
        cmocka_unit_test(sizes_are_even_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
