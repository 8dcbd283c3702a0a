/* morph: traversal rules, deterministic for a seed (pure CPU). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "morph/morph.h"

static strata_traverse_in frame_in(float drift)
{
    strata_traverse_in in = {.dt = 1.0 / 60.0, .drift = drift, .pulse = 0.5f, .motion = 0.5f};
    return in;
}

/* Run n frames; record the keyframe sequence (each transition's target). */
static int run(strata_traversal *tr, strata_traverse_in in, int frames, int *seq, int max)
{
    int n = 0, last_b = -1;
    for (int f = 0; f < frames; f++) {
        strata_traversal_update(tr, &in);
        if (tr->b >= 0 && tr->b != last_b && n < max)
            seq[n++] = tr->b;
        last_b = tr->b;
        if (in.bpm > 0)
            in.beat += in.dt * in.bpm / 60.0;
    }
    return n;
}

static void deterministic_for_a_seed(void **state)
{
    (void)state;
    strata_order orders[] = {STRATA_ORDER_SEQUENCE, STRATA_ORDER_SHUFFLE, STRATA_ORDER_PINGPONG};
    for (int k = 0; k < 3; k++) {
        int s1[64], s2[64], s3[64];
        strata_traversal a, b, c;
        strata_traversal_init(&a, 10, orders[k], 42, NULL, NULL, NULL);
        strata_traversal_init(&b, 10, orders[k], 42, NULL, NULL, NULL);
        strata_traversal_init(&c, 10, orders[k], 43, NULL, NULL, NULL);
        int n1 = run(&a, frame_in(1.0f), 60 * 60, s1, 64);
        int n2 = run(&b, frame_in(1.0f), 60 * 60, s2, 64);
        int n3 = run(&c, frame_in(1.0f), 60 * 60, s3, 64);
        assert_true(n1 >= 30); /* drift 1: a transition every 1.5 s */
        assert_int_equal(n1, n2);
        assert_memory_equal(s1, s2, sizeof(int) * (size_t)n1);
        if (orders[k] == STRATA_ORDER_SHUFFLE)
            assert_true(n3 != n1 || memcmp(s1, s3, sizeof(int) * (size_t)n1) != 0);
        for (int i = 1; i < n1; i++)
            assert_int_not_equal(s1[i], s1[i - 1]);
        if (orders[k] == STRATA_ORDER_SEQUENCE)
            for (int i = 0; i < n1; i++)
                assert_int_equal(s1[i], (i + 1) % 10);
        if (orders[k] == STRATA_ORDER_PINGPONG) /* 1..9 then back 8..0 */
            assert_int_equal(s1[9], 8);
        strata_traversal_free(&a);
        strata_traversal_free(&b);
        strata_traversal_free(&c);
    }
}

static void drift_zero_holds_and_drift_sets_pace(void **state)
{
    (void)state;
    int seq[256];
    strata_traversal tr;
    strata_traversal_init(&tr, 8, STRATA_ORDER_SEQUENCE, 1, NULL, NULL, NULL);
    assert_int_equal(run(&tr, frame_in(0.0f), 60 * 120, seq, 256), 0);
    assert_int_equal(tr.a, 0);
    /* Drift 0.5: 4 s dwell + 3.75 s transition: about 7-8 transitions a minute. */
    int n = run(&tr, frame_in(0.5f), 60 * 60, seq, 256);
    assert_true(n >= 6 && n <= 9);
    double dwell, trans;
    strata_drift_times(1.0f, &dwell, &trans);
    assert_true(dwell == 0.0 && fabs(trans - 1.5) < 1e-9);
    strata_drift_times(0.0f, &dwell, &trans);
    assert_true(isinf(dwell));
}

static void tempo_starts_transitions_on_the_beat(void **state)
{
    (void)state;
    strata_traversal tr;
    strata_traversal_init(&tr, 8, STRATA_ORDER_SEQUENCE, 1, NULL, NULL, NULL);
    strata_traverse_in in = frame_in(0.6f);
    in.bpm = 128;
    in.beat = 0.37; /* start between beats */
    int starts = 0, last_b = -1;
    for (int f = 0; f < 60 * 60; f++) {
        strata_traversal_update(&tr, &in);
        if (tr.b >= 0 && tr.b != last_b) {
            starts++;
            /* The frame that starts a transition is the first after a beat. */
            double frac = in.beat - floor(in.beat);
            assert_true(frac < 128.0 / 60.0 / 60.0 + 1e-9);
            assert_true(tr.in_beats);
            /* lengths on the musical grid: powers of two beats */
            double l2 = log2(tr.trans_len);
            assert_true(fabs(l2 - round(l2)) < 1e-9);
        }
        last_b = tr.b;
        in.beat += in.dt * in.bpm / 60.0;
    }
    assert_true(starts >= 5);
    strata_traversal_free(&tr);
}

static int ready_state[16];
static int ready(void *user, int i)
{
    (void)user;
    return ready_state[i];
}

static void waits_for_unready_and_skips_bad(void **state)
{
    (void)state;
    for (int i = 0; i < 16; i++)
        ready_state[i] = 1;
    ready_state[1] = 0;  /* not loaded yet */
    ready_state[2] = -1; /* bad */
    strata_traversal tr;
    strata_traversal_init(&tr, 6, STRATA_ORDER_SEQUENCE, 1, NULL, ready, NULL);
    int seq[64];
    assert_int_equal(run(&tr, frame_in(1.0f), 60 * 10, seq, 64), 0); /* holds on 0 */
    ready_state[1] = 1;
    int n = run(&tr, frame_in(1.0f), 60 * 5, seq, 64);
    assert_true(n >= 2);
    assert_int_equal(seq[0], 1);
    assert_int_equal(seq[1], 3); /* 2 is bad: skipped */
}

static void goto_morphs_over_given_seconds(void **state)
{
    (void)state;
    strata_traversal tr;
    strata_traversal_init(&tr, 10, STRATA_ORDER_SEQUENCE, 1, NULL, NULL, NULL);
    strata_traverse_in in = frame_in(0.0f);
    strata_traversal_goto(&tr, 7, 2.0);
    strata_traversal_update(&tr, &in);
    assert_int_equal(tr.b, 7);
    int frames = 0;
    while (tr.b >= 0 && frames < 1000) {
        strata_traversal_update(&tr, &in);
        frames++;
    }
    assert_int_equal(tr.a, 7);
    assert_true(frames >= 110 && frames <= 125); /* 2 s at 60 fps, motion at 0 energy */
    strata_traversal_goto(&tr, 3, 0.0);          /* a cut */
    strata_traversal_update(&tr, &in);
    assert_int_equal(tr.a, 3);
    assert_int_equal(tr.b, -1);
}

static void onsets_push_the_walk(void **state)
{
    (void)state;
    strata_traversal calm, pushed;
    strata_traversal_init(&calm, 10, STRATA_ORDER_SEQUENCE, 1, NULL, NULL, NULL);
    strata_traversal_init(&pushed, 10, STRATA_ORDER_SEQUENCE, 1, NULL, NULL, NULL);
    strata_traverse_in in = frame_in(0.3f);
    int s[64];
    int n_calm = run(&calm, in, 60 * 60, s, 64);
    strata_traverse_in loud = in;
    loud.onset = 0.5f; /* a steady stream of onsets */
    loud.energy = 1.0f;
    int n_pushed = run(&pushed, loud, 60 * 60, s, 64);
    assert_true(n_pushed > n_calm);
    in.pulse = in.motion = 0.0f; /* routes and parameters off: audio does nothing */
    loud.pulse = loud.motion = 0.0f;
    strata_traversal x, y;
    strata_traversal_init(&x, 10, STRATA_ORDER_SEQUENCE, 1, NULL, NULL, NULL);
    strata_traversal_init(&y, 10, STRATA_ORDER_SEQUENCE, 1, NULL, NULL, NULL);
    assert_int_equal(run(&x, in, 3600, s, 64), run(&y, loud, 3600, s, 64));
}

/* The walk at `fps` for `secs` seconds, sampled at each whole second: keyframe on screen,
 * next, eased progress. The beat comes from the time (frame / fps), as the tempo clock
 * gives it offline. */
static void walk_at(double fps, int secs, float drift, float bpm, int *a, int *b, float *t)
{
    strata_traversal tr;
    strata_traversal_init(&tr, 8, STRATA_ORDER_SEQUENCE, 7, NULL, NULL, NULL);
    strata_traverse_in in = {.dt = 1.0 / fps, .drift = drift, .bpm = bpm};
    long frames = lround(secs * fps);
    for (long f = 0; f <= frames; f++) {
        double now = (double)f / fps;
        in.dt = f == 0 ? 0.0 : 1.0 / fps;
        in.beat = 0.37 + now * bpm / 60.0;
        strata_traversal_update(&tr, &in);
        if (fabs(now - round(now)) < 1e-9) { /* sample at whole seconds */
            int k = (int)lround(now);
            a[k] = tr.a;
            b[k] = tr.b;
            t[k] = strata_traversal_eased(&tr);
        }
    }
    strata_traversal_free(&tr);
}

/* Time, not frames (issue 11): the walk at 0.5, 1, 10 and 60 fps is in the same place at
 * the same time, with and without a tempo: a step longer than a dwell, a transition or a
 * beat carries its rest on (at 0.5 fps and 240 BPM a step is 8 beats). Progress within
 * 1e-4 (the eased t; the clock's rounding only). */
static void same_walk_at_any_frame_rate(void **state)
{
    (void)state;
    static const struct {
        float drift, bpm;
    } cases[] = {{0.6f, 0.0f},  {0.95f, 0.0f},  {0.2f, 0.0f}, {0.6f, 128.0f},
                 {0.2f, 97.0f}, {0.9f, 240.0f}, {1.0f, 60.0f}};
    static const double rates[] = {0.5, 1.0, 10.0};
    enum { SECS = 60 };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int a0[SECS + 1], b0[SECS + 1], a1[SECS + 1], b1[SECS + 1];
        float t0[SECS + 1], t1[SECS + 1];
        walk_at(60.0, SECS, cases[c].drift, cases[c].bpm, a0, b0, t0);
        int changes = 0;
        for (int k = 1; k <= SECS; k++)
            changes += a0[k] != a0[k - 1];
        assert_true(changes >= 2); /* the case does walk */
        for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
            walk_at(rates[r], SECS, cases[c].drift, cases[c].bpm, a1, b1, t1);
            int step = rates[r] < 1.0 ? 2 : 1; /* 0.5 fps: every other second */
            for (int k = 0; k <= SECS; k += step) {
                if (a0[k] != a1[k] || b0[k] != b1[k] || fabsf(t0[k] - t1[k]) > 1e-4f)
                    print_message("drift %.2f bpm %.0f at %g fps, %d s: %d>%d %.4f vs 60 fps "
                                  "%d>%d %.4f\n",
                                  (double)cases[c].drift, (double)cases[c].bpm, rates[r], k, a1[k],
                                  b1[k], (double)t1[k], a0[k], b0[k], (double)t0[k]);
                assert_int_equal(a0[k], a1[k]);
                assert_int_equal(b0[k], b1[k]);
                assert_true(fabsf(t0[k] - t1[k]) <= 1e-4f);
            }
        }
    }
}

/* A long step the clock explains is not a jump; a leap far beyond what dt allows (a new
 * source, a live stall whose dt the frame clock cut) is, and advances the walk by dt only. */
static void clock_jumps_do_not_leap(void **state)
{
    (void)state;
    strata_traversal tr;
    strata_traversal_init(&tr, 8, STRATA_ORDER_SEQUENCE, 1, NULL, NULL, NULL);
    strata_traverse_in in = {.dt = 1.0 / 60.0, .drift = 0.6f, .bpm = 120.0f, .beat = 0.0};
    strata_traversal_update(&tr, &in);
    in.beat = 1000.0; /* a new source 1000 beats on, in 1/60 s */
    strata_traversal_update(&tr, &in);
    assert_int_equal(tr.b, -1);
    assert_true(fabs(tr.dwell_left - 2.0 / 60.0) < 1e-9); /* 1/60 s at 2 beats a second */
    in.dt = 4.0; /* a 4 s step (8 beats at 120): real time, the walk moves */
    in.beat += 8.0;
    strata_traversal_update(&tr, &in);
    assert_true(tr.b >= 0 || tr.a != 0);
    strata_traversal_free(&tr);
}

static void parse_names(void **state)
{
    (void)state;
    strata_morph_mode m;
    strata_order o;
    assert_true(strata_morph_mode_parse("flow", &m) && m == STRATA_MORPH_FLOW);
    assert_false(strata_morph_mode_parse("warp", &m));
    assert_true(strata_order_parse("neighbours", &o) && o == STRATA_ORDER_NEIGHBOURS);
    assert_true(strata_order_parse("neighbors", &o) && o == STRATA_ORDER_NEIGHBOURS);
    assert_string_equal(strata_order_name(STRATA_ORDER_PINGPONG), "pingpong");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deterministic_for_a_seed),
        cmocka_unit_test(drift_zero_holds_and_drift_sets_pace),
        cmocka_unit_test(tempo_starts_transitions_on_the_beat),
        cmocka_unit_test(waits_for_unready_and_skips_bad),
        cmocka_unit_test(goto_morphs_over_given_seconds),
        cmocka_unit_test(onsets_push_the_walk),
        cmocka_unit_test(same_walk_at_any_frame_rate),
        cmocka_unit_test(clock_jumps_do_not_leap),
        cmocka_unit_test(parse_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
