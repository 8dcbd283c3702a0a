/* Tempo accuracy on synthesised grooves (issue 4): bpm within 1 of the truth from 8 s on,
 * beat phase within 30 ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <math.h>
#include <stdlib.h>

#include <cmocka.h>

#include "audio/audio.h"
#include "measure.h"
#include "synth_track.h"

#define RATE 48000

static void check(double bpm)
{
    tempo_figures t;
    assert_int_equal(measure_tempo(bpm, 11.0, &t), 0);
    print_message("%.0f BPM: at 8 s %.2f, err max %.2f, phase max %.1f ms (mean %.1f), "
                  "beat max %.1f ms, conf %.2f\n",
                  bpm, t.bpm_at_8s, t.bpm_err_max, t.phase_err_max, t.phase_err_mean,
                  t.beat_err_max, t.confidence);
    assert_true(t.bpm_err_max <= 1.0);
    assert_true(t.phase_err_max <= 30.0);
    assert_true(t.beat_err_max <= 30.0);
    assert_true(t.confidence > 0.2);
}

static void test_90(void **state)
{
    (void)state;
    check(90.0);
}
static void test_120(void **state)
{
    (void)state;
    check(120.0);
}
static void test_128(void **state)
{
    (void)state;
    check(128.0);
}
static void test_140(void **state)
{
    (void)state;
    check(140.0);
}

/* Feed x in 60 fps frames; returns the first time from which bpm stayed within 1 of
 * want (or -1), and the frame at the end in *f. */
static double settle_time(strata_analysis *an, const float *x, size_t n, double want,
                          strata_audio_frame *f)
{
    double since = -1.0;
    for (size_t at = 0; at + RATE / 60 <= n; at += RATE / 60) {
        strata_analysis_push(an, x + at, RATE / 60);
        strata_analysis_frame(an, f);
        if (fabs(f->bpm - want) <= 1.0) {
            if (since < 0.0)
                since = f->time;
        } else {
            since = -1.0;
        }
    }
    return since;
}

/* A 90 BPM groove with --bpm-range 100:200 is reported in range: 180. */
static void test_range_folds(void **state)
{
    (void)state;
    size_t n = RATE * 12;
    float *x = malloc(n * sizeof *x);
    strata_audio_frame *f = malloc(sizeof *f);
    synth_groove(x, n, RATE, 90.0, 5);
    strata_analysis *an = strata_analysis_create(RATE, 100.0f, 200.0f, NULL);
    double t = settle_time(an, x, n, 180.0, f);
    print_message("90 BPM in 100:200: %.2f BPM, stable from %.2f s\n", f->bpm, t);
    assert_true(t >= 0.0 && t < 8.0);
    strata_analysis_destroy(an);
    free(f);
    free(x);
}

/* The band changes tempo: 120 for 10 s, then 140. The grid follows within 5 s, and
 * beat times stay within 30 ms of the new grid once it has. */
static void test_tempo_change(void **state)
{
    (void)state;
    size_t half = RATE * 10, n = 2 * half;
    float *x = malloc(n * sizeof *x);
    strata_audio_frame *f = malloc(sizeof *f);
    synth_groove(x, half, RATE, 120.0, 6);
    synth_groove(x + half, half, RATE, 140.0, 7);
    strata_analysis *an = strata_analysis_create(RATE, 0, 0, NULL);
    double t = settle_time(an, x, n, 140.0, f);
    double since = f->last_beat_time - 10.0, period = 60.0 / 140.0;
    double err = (since - floor(since / period + 0.5) * period) * 1000.0;
    print_message("120 -> 140 at 10 s: %.2f BPM, stable from %.2f s, last beat %.1f ms off\n",
                  f->bpm, t, err);
    assert_true(t >= 10.0 && t < 15.0);
    assert_true(fabs(err) <= 30.0);
    strata_analysis_destroy(an);
    free(f);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_90),          cmocka_unit_test(test_120),
        cmocka_unit_test(test_128),         cmocka_unit_test(test_140),
        cmocka_unit_test(test_range_folds), cmocka_unit_test(test_tempo_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
