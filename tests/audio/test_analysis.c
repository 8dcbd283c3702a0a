/* Analysis on synthetic signals: a tone, silence, garbage input, a click train. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "audio/audio.h"
#include "measure.h"

#define RATE 48000

static strata_audio_frame frame;

static void push_tone(strata_analysis *an, double hz, double amp, double seconds)
{
    size_t n = (size_t)(seconds * RATE);
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2.0 * M_PI * hz * (double)i / RATE));
    strata_analysis_push(an, x, n);
    free(x);
}

static void assert_calm_band(const strata_band *b)
{
    print_message("band fast %.4f slow %.4f agc %.4f ratio %.4f\n", b->fast, b->slow, b->agc,
                  b->ratio);
    assert_true(isfinite(b->fast) && isfinite(b->slow) && isfinite(b->agc));
    assert_true(b->fast >= 0.0f && b->fast <= 0.01f);
    assert_true(b->agc >= 0.0f && b->agc <= 0.01f);
    assert_true(fabsf(b->ratio - 1.0f) < 0.01f);
}

static void assert_frame_finite(const strata_audio_frame *f)
{
    const float *v[] = {&f->onset,      &f->kick,      &f->snare,      &f->hat, &f->bpm,
                        &f->beat_phase, &f->bar_phase, &f->confidence, &f->beat};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_true(isfinite(*v[i]) && *v[i] >= 0.0f);
    for (int i = 0; i < STRATA_SPECTRUM_BINS; i++)
        assert_true(isfinite(f->spectrum[i]) && f->spectrum[i] >= 0.0f && f->spectrum[i] <= 1.0f);
    for (int i = 0; i < STRATA_WAVEFORM_SAMPLES; i++)
        assert_true(isfinite(f->waveform[i]) && fabsf(f->waveform[i]) <= 1.0f);
}

static void test_tone_440(void **state)
{
    (void)state;
    strata_analysis *an = strata_analysis_create(RATE, 0, 0, NULL);
    assert_non_null(an);
    push_tone(an, 440.0, 0.5, 2.0);
    strata_analysis_frame(an, &frame);
    assert_frame_finite(&frame);
    int best = 0;
    for (int i = 1; i < STRATA_SPECTRUM_BINS; i++)
        if (frame.spectrum[i] > frame.spectrum[best])
            best = i;
    /* The peak bin's band contains 440 Hz (one bin of slack for the window's skirt). */
    float lo = strata_analysis_bin_freq(an, best - 1), hi = strata_analysis_bin_freq(an, best + 1);
    print_message("440 Hz: peak bin %d (%.1f Hz) %.3f, mid agc %.3f, level %.2f dBFS\n", best,
                  strata_analysis_bin_freq(an, best), frame.spectrum[best], frame.mid.agc,
                  frame.level_db);
    assert_true(lo <= 440.0f && hi >= 440.0f);
    assert_true(frame.spectrum[best] > 0.8f);     /* -6 dBFS on an 80 dB scale */
    assert_true(frame.spectrum[best / 2] < 0.2f); /* an octave-ish below: floor */
    /* 440 Hz belongs to the mid band: it leads, bass and high stay near their floor. */
    assert_true(frame.mid.agc > 0.9f);
    assert_true(frame.level.agc > 0.9f);
    assert_true(fabsf(frame.level_db - (-9.03f)) < 0.5f); /* RMS of a 0.5 sine */
    strata_analysis_destroy(an);

    an = strata_analysis_create(RATE, 0, 0, NULL);
    push_tone(an, 60.0, 0.5, 1.0);
    push_tone(an, 8000.0, 0.05, 1.0); /* highs arrive; the bass envelope falls */
    strata_analysis_frame(an, &frame);
    assert_true(frame.high.agc > 0.9f);
    assert_true(frame.bass.agc < 0.05f);
    assert_true(frame.bass.ratio < 0.5f);
    strata_analysis_destroy(an);
}

static void test_silence(void **state)
{
    (void)state;
    strata_analysis *an = strata_analysis_create(RATE, 0, 0, NULL);
    assert_non_null(an);
    strata_analysis_frame(an, &frame); /* before any input */
    assert_frame_finite(&frame);
    assert_calm_band(&frame.level);
    float *zero = calloc(RATE * 4, sizeof *zero);
    strata_analysis_push(an, zero, RATE * 4);
    free(zero);
    strata_analysis_frame(an, &frame);
    assert_frame_finite(&frame);
    assert_calm_band(&frame.level);
    assert_calm_band(&frame.bass);
    assert_calm_band(&frame.mid);
    assert_calm_band(&frame.high);
    assert_int_equal(frame.onset_count, 0);
    assert_int_equal(frame.beat_count, 0);
    assert_true(frame.bpm == 0.0f);
    assert_true(frame.level_db <= -119.0f);
    assert_true(frame.spectrum[100] == 0.0f);
    assert_true(fabs(frame.time - 4.0) < 0.01);
    strata_analysis_destroy(an);
}

static void test_garbage_and_return_to_silence(void **state)
{
    (void)state;
    strata_analysis *an = strata_analysis_create(RATE, 0, 0, NULL);
    float junk[1024];
    for (int i = 0; i < 1024; i++)
        junk[i] = i % 3 == 0 ? NAN : (i % 3 == 1 ? INFINITY : 1e30f);
    strata_analysis_push(an, junk, 1024);
    push_tone(an, 1000.0, 0.9, 1.0);
    float *zero = calloc(RATE * 30, sizeof *zero);
    strata_analysis_push(an, zero, RATE * 30);
    free(zero);
    strata_analysis_frame(an, &frame);
    assert_frame_finite(&frame);
    /* After 30 s of silence the ratios are back to 1 and the levels at 0. */
    assert_calm_band(&frame.level);
    assert_calm_band(&frame.mid);
    strata_analysis_destroy(an);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    strata_result r = {0};
    assert_null(strata_analysis_create(100, 0, 0, &r));
    assert_int_equal(r.status, STRATA_ERR_ARG);
    assert_null(strata_analysis_create(RATE, 150, 100, &r));
    float lo, hi;
    assert_true(strata_audio_parse_bpm_range("70:180", &lo, &hi));
    assert_true(lo == 70.0f && hi == 180.0f);
    assert_false(strata_audio_parse_bpm_range("180:70", &lo, &hi));
    assert_false(strata_audio_parse_bpm_range("70", &lo, &hi));
    assert_false(strata_audio_parse_bpm_range("70:180x", &lo, &hi));
    assert_false(strata_audio_parse_bpm_range("5:180", &lo, &hi));
}

static void test_click_onsets(void **state)
{
    (void)state;
    onset_figures o;
    assert_int_equal(measure_onsets(20.0, 0.05, &o), 0);
    print_message("clicks: %zu true, %zu detected, %zu matched, F %.3f\n", o.truth, o.detected,
                  o.matched, o.f);
    assert_true(o.truth > 50);
    assert_true(o.f >= 0.9);
}

/* kick, snare and hat pulses follow the groove's pattern (approximations: the bar is
 * F >= 0.8, they reach 0.95..1 on these tracks). */
static void test_band_onsets(void **state)
{
    (void)state;
    static const double bpm[4] = {90.0, 120.0, 128.0, 140.0};
    for (int i = 0; i < 4; i++) {
        double f[3];
        assert_int_equal(measure_band_onsets(bpm[i], f), 0);
        print_message("%.0f BPM: kick F %.2f, snare F %.2f, hat F %.2f\n", bpm[i], f[0], f[1],
                      f[2]);
        assert_true(f[0] >= 0.8 && f[1] >= 0.8 && f[2] >= 0.8);
    }
}

static void test_pulses_decay(void **state)
{
    (void)state;
    strata_analysis *an = strata_analysis_create(RATE, 0, 0, NULL);
    float *x = calloc(RATE, sizeof *x);
    for (int i = 0; i < 200; i++)
        x[RATE / 2 + i] = 0.9f * (i % 2 ? 1.0f : -1.0f) * expf(-i / 50.0f);
    strata_analysis_push(an, x, RATE / 2 + 2048);
    strata_analysis_frame(an, &frame);
    print_message("click: %u onsets, last %.4f s, pulse %.3f at %.3f s\n", frame.onset_count,
                  frame.last_onset_time, frame.onset, frame.time);
    assert_int_equal(frame.onset_count, 1);
    assert_true(fabs(frame.last_onset_time - 0.5) < 0.02);
    assert_true(frame.onset > 0.5f);
    float first = frame.onset;
    strata_analysis_push(an, x + RATE / 2 + 2048, RATE / 2 - 2048);
    strata_analysis_frame(an, &frame);
    assert_true(frame.onset < first * 0.1f);
    free(x);
    strata_analysis_destroy(an);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tone_440),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_garbage_and_return_to_silence),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_click_onsets),
        cmocka_unit_test(test_band_onsets),
        cmocka_unit_test(test_pulses_decay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
