/* neural: latent glitches (strata_latent_glitch_apply). Amount 0 bit-exact; the seed
 * decides the bits; each effect does what it says (shift moves whole latent pixels along
 * their row, swap hands channels over whole, quant posterises within half a step, noise
 * adds the std it promises); the damage grows with the amount; decoded by a seeded TAESD
 * decoder nothing is NaN, and with the real TAEF2 decoder (skipped when the weights are
 * absent) each effect changes the picture by a measured amount and keeps it in range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neural/neural.h"
#include "neural_fixtures.h"

typedef struct lat {
    int c, h, w;
    size_t n;
    float *v, *orig, *work;
} lat;

/* A latent of gaussian-like values (sum of uniforms), seeded, mean per channel varied. */
static lat make_random(int c, int h, int w, uint32_t seed)
{
    lat l = {c, h, w, (size_t)c * h * w, NULL, NULL, NULL};
    l.v = malloc(l.n * sizeof(float));
    l.orig = malloc(l.n * sizeof(float));
    l.work = malloc(l.n * sizeof(float));
    for (size_t i = 0; i < l.n; i++) {
        float s = 0;
        for (int k = 0; k < 4; k++) {
            seed = seed * 1664525u + 1013904223u;
            s += (float)(seed >> 8) / 16777216.0f - 0.5f;
        }
        l.v[i] = s * 1.7f + 0.1f * (float)(i / ((size_t)h * w) % 5);
    }
    memcpy(l.orig, l.v, l.n * sizeof(float));
    return l;
}

/* The smooth latent of issue 10's decoder golden figures. */
static lat make_wave(int c, int h, int w)
{
    lat l = make_random(c, h, w, 1);
    for (int k = 0; k < c; k++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                l.v[((size_t)k * h + y) * w + x] = 2.0f * sinf(0.7f * k + 0.9f * x + 1.3f * y);
    memcpy(l.orig, l.v, l.n * sizeof(float));
    return l;
}

static void lat_reset(lat *l)
{
    memcpy(l->v, l->orig, l->n * sizeof(float));
}

static void lat_free(lat *l)
{
    free(l->v);
    free(l->orig);
    free(l->work);
}

static void apply(lat *l, strata_latent_glitch g, uint64_t seed)
{
    lat_reset(l);
    strata_latent_glitch_apply(&g, seed, l->v, l->c, l->h, l->w, l->work);
}

static double mean_abs_diff(const lat *l)
{
    double s = 0;
    for (size_t i = 0; i < l->n; i++)
        s += fabs((double)l->v[i] - l->orig[i]);
    return s / (double)l->n;
}

static const float *plane(const float *p, const lat *l, int ch)
{
    return p + (size_t)ch * l->h * l->w;
}

static bool same_plane(const float *a, const float *b, const lat *l)
{
    return memcmp(a, b, sizeof(float) * l->h * l->w) == 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void zero_is_bit_exact(void **state)
{
    (void)state;
    lat l = make_random(16, 9, 13, 7);
    apply(&l, (strata_latent_glitch){0}, 42);
    assert_memory_equal(l.v, l.orig, l.n * sizeof(float));
    /* negative and NaN amounts count as 0 */
    apply(&l, (strata_latent_glitch){-1, -0.5f, NAN, -INFINITY}, 42);
    assert_memory_equal(l.v, l.orig, l.n * sizeof(float));
    lat_free(&l);
}

static void seed_decides_the_bits(void **state)
{
    (void)state;
    lat l = make_random(32, 12, 10, 3);
    float *first = malloc(l.n * sizeof(float));
    const strata_latent_glitch each[] = {
        {.noise = 0.4f}, {.shift = 0.6f}, {.swap = 0.5f}, {0.3f, 0.5f, 0.4f, 0.2f}};
    for (size_t e = 0; e < sizeof each / sizeof each[0]; e++) {
        apply(&l, each[e], 1234);
        memcpy(first, l.v, l.n * sizeof(float));
        assert_true(memcmp(first, l.orig, l.n * sizeof(float)) != 0);
        apply(&l, each[e], 1234);
        assert_memory_equal(l.v, first, l.n * sizeof(float));
        apply(&l, each[e], 1235);
        assert_true(memcmp(l.v, first, l.n * sizeof(float)) != 0);
    }
    /* quant has no random part: the seed does not matter */
    apply(&l, (strata_latent_glitch){.quant = 0.5f}, 1);
    memcpy(first, l.v, l.n * sizeof(float));
    apply(&l, (strata_latent_glitch){.quant = 0.5f}, 2);
    assert_memory_equal(l.v, first, l.n * sizeof(float));
    free(first);
    lat_free(&l);
}

/* Each row of each channel keeps its values (sorted rows equal), and every latent pixel
 * (its vector over the channels) is one that stood in the same row before. */
static void shift_moves_whole_pixels_along_rows(void **state)
{
    (void)state;
    lat l = make_random(16, 20, 24, 5);
    float *a = malloc(sizeof(float) * l.w), *b = malloc(sizeof(float) * l.w);
    for (uint64_t seed = 1; seed <= 4; seed++) {
        apply(&l, (strata_latent_glitch){.shift = 0.8f}, seed);
        int moved = 0;
        for (int y = 0; y < l.h; y++) {
            for (int ch = 0; ch < l.c; ch++) {
                size_t o = ((size_t)ch * l.h + y) * l.w;
                memcpy(a, l.orig + o, sizeof(float) * l.w);
                memcpy(b, l.v + o, sizeof(float) * l.w);
                qsort(a, (size_t)l.w, sizeof(float), cmp_float);
                qsort(b, (size_t)l.w, sizeof(float), cmp_float);
                assert_memory_equal(a, b, sizeof(float) * l.w);
            }
            for (int x = 0; x < l.w; x++) {
                bool found = false;
                for (int x2 = 0; x2 < l.w && !found; x2++) {
                    found = true;
                    for (int ch = 0; ch < l.c && found; ch++) {
                        size_t o = ((size_t)ch * l.h + y) * l.w;
                        found = l.v[o + x] == l.orig[o + x2];
                    }
                }
                assert_true(found);
                moved += l.v[(size_t)y * l.w + x] != l.orig[(size_t)y * l.w + x];
            }
        }
        /* a real datamosh: a good part of the latent moved */
        print_message("shift 0.8 seed %d: %d of %d pixels moved\n", (int)seed, moved,
                      l.h * l.w);
        assert_true(moved > l.h * l.w / 5);
    }
    free(a);
    free(b);
    lat_free(&l);
}

/* At 1 every channel is another channel's values exactly (a permutation with no fixed
 * point); at 0.5 of 32 channels, 16 are handed over whole and 16 are untouched. */
static void swap_hands_channels_over(void **state)
{
    (void)state;
    lat l = make_random(32, 8, 8, 9);
    for (int ch = 0; ch < l.c; ch++)
        for (int k = 0; k < l.c; k++)
            if (k != ch)
                assert_false(same_plane(plane(l.orig, &l, ch), plane(l.orig, &l, k), &l));
    apply(&l, (strata_latent_glitch){.swap = 1}, 77);
    bool used[32] = {0};
    for (int ch = 0; ch < l.c; ch++) {
        int from = -1;
        for (int k = 0; k < l.c; k++)
            if (same_plane(plane(l.v, &l, ch), plane(l.orig, &l, k), &l))
                from = k;
        assert_true(from >= 0 && from != ch);
        assert_false(used[from]);
        used[from] = true;
    }
    apply(&l, (strata_latent_glitch){.swap = 0.5f}, 77);
    int handed = 0, kept = 0;
    for (int ch = 0; ch < l.c; ch++) {
        if (same_plane(plane(l.v, &l, ch), plane(l.orig, &l, ch), &l)) {
            kept++;
            continue;
        }
        for (int k = 0; k < l.c; k++)
            handed += k != ch && same_plane(plane(l.v, &l, ch), plane(l.orig, &l, k), &l);
    }
    assert_int_equal(handed, 16);
    assert_int_equal(kept, 16);
    /* in between, a blended channel keeps about the std of its sources (rescaled) */
    apply(&l, (strata_latent_glitch){.swap = 0.5f / 32 + 0.25f}, 77);
    int blended = 0;
    for (int ch = 0; ch < l.c; ch++) {
        const float *p = plane(l.v, &l, ch);
        bool whole = false;
        for (int k = 0; k < l.c; k++)
            whole = whole || same_plane(p, plane(l.orig, &l, k), &l);
        if (whole)
            continue;
        blended++;
        double s = 0, ss = 0;
        for (int i = 0; i < l.h * l.w; i++)
            s += p[i], ss += (double)p[i] * p[i];
        double m = s / (l.h * l.w), sd = sqrt(ss / (l.h * l.w) - m * m);
        print_message("blended channel %d: std %.3f (sources about 1.0)\n", ch, sd);
        assert_true(sd > 0.6 && sd < 1.1);
    }
    assert_int_equal(blended, 1);
    lat_free(&l);
}

/* At most 1 + 1/amount values per channel, each within half a step (of the channel's
 * range over levels - 1) of where it was. */
static void quant_posterises_within_a_step(void **state)
{
    (void)state;
    lat l = make_random(4, 16, 16, 21);
    const float amounts[] = {0.05f, 0.3f, 0.7f, 1.0f};
    for (int a = 0; a < 4; a++) {
        int levels = 1 + (int)lround(fmin(255, 1.0 / amounts[a]));
        apply(&l, (strata_latent_glitch){.quant = amounts[a]}, 0);
        for (int ch = 0; ch < l.c; ch++) {
            const float *p = plane(l.v, &l, ch), *o = plane(l.orig, &l, ch);
            int n = l.h * l.w;
            float lo = o[0], hi = o[0];
            for (int i = 0; i < n; i++)
                lo = fminf(lo, o[i]), hi = fmaxf(hi, o[i]);
            double step = ((double)hi - lo) / (levels - 1);
            float *s = malloc(sizeof(float) * n);
            memcpy(s, p, sizeof(float) * n);
            qsort(s, (size_t)n, sizeof(float), cmp_float);
            int distinct = 1;
            for (int i = 1; i < n; i++)
                distinct += s[i] != s[i - 1];
            free(s);
            assert_true(distinct <= levels);
            assert_true(distinct >= (levels < 8 ? levels : 8)); /* not collapsed */
            for (int i = 0; i < n; i++)
                assert_true(fabs((double)p[i] - o[i]) <= step / 2 * (1 + 1e-5));
        }
    }
    lat_free(&l);
}

/* At amount a of c channels, the first sqrt(a)*c channels of the seed's order get noise of
 * std sqrt(a) * (the latent's std): at 0.25, half the channels at half the std, measured
 * within 4% over 16 x 64 x 64 samples (the estimate's own spread is ~0.6%); the other
 * channels are bit-exact. */
static void noise_adds_the_promised_std(void **state)
{
    (void)state;
    const int chans[] = {4, 16, 32};
    for (int k = 0; k < 3; k++) {
        lat l = make_random(chans[k], 64, 64, 31);
        double var = 0;
        for (int ch = 0; ch < l.c; ch++) {
            const float *p = plane(l.orig, &l, ch);
            double s = 0, ss = 0;
            for (int i = 0; i < 64 * 64; i++)
                s += p[i], ss += (double)p[i] * p[i];
            var += (ss / 4096 - (s / 4096) * (s / 4096)) / l.c;
        }
        apply(&l, (strata_latent_glitch){.noise = 0.25f}, 99);
        int hit = 0;
        double s = 0, ss = 0;
        for (int ch = 0; ch < l.c; ch++) {
            if (same_plane(plane(l.v, &l, ch), plane(l.orig, &l, ch), &l))
                continue;
            hit++;
            for (int i = 0; i < 64 * 64; i++) {
                double d = (double)plane(l.v, &l, ch)[i] - plane(l.orig, &l, ch)[i];
                s += d, ss += d * d;
            }
        }
        double n = hit * 4096.0, sd = sqrt(ss / n - (s / n) * (s / n)), want = 0.5 * sqrt(var);
        print_message("noise 0.25, %d channels: %d hit, added std %.4f (target %.4f), mean %.4f\n",
                      l.c, hit, sd, want, s / n);
        assert_int_equal(hit, l.c / 2);
        assert_true(fabs(sd / want - 1) < 0.04);
        assert_true(fabs(s / n) < 0.05 * want);
        lat_free(&l);
    }
}

/* The damage (mean |glitched - clean|) does not fall as an amount rises from 0.1 to 1 in
 * steps of 0.1, with the seed fixed, and at 1 is well above 0.1's. Shift on a ramp in x
 * (on noise every slide is alike). */
static void damage_grows_with_the_amount(void **state)
{
    (void)state;
    lat rnd = make_random(16, 24, 24, 41);
    lat ramp = make_random(16, 24, 24, 41);
    for (size_t i = 0; i < ramp.n; i++)
        ramp.v[i] = ramp.orig[i] = (float)(i % 24) / 24.0f + 0.3f * (float)(i / 576 % 3);
    for (int e = 0; e < 4; e++) {
        for (uint64_t seed = 1; seed <= 3; seed++) {
            lat *l = e == 1 ? &ramp : &rnd;
            double prev = 0, first = 0;
            char line[256];
            int at = snprintf(line, sizeof line, "effect %d seed %d:", e, (int)seed);
            for (int step = 1; step <= 10; step++) {
                float a = step / 10.0f;
                strata_latent_glitch g = {0};
                float *amt[] = {&g.noise, &g.shift, &g.swap, &g.quant};
                *amt[e] = a;
                apply(l, g, seed);
                double d = mean_abs_diff(l);
                at += snprintf(line + at, sizeof line - (size_t)at, " %.3f", d);
                assert_true(d >= prev);
                if (step == 1)
                    first = d;
                prev = d;
            }
            print_message("%s\n", line);
            assert_true(prev > 3 * first);
        }
    }
    lat_free(&rnd);
    lat_free(&ramp);
}

static bool all_finite(const float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i]))
            return false;
    return true;
}

/* Finite in, finite out, at the edges of the float range and on flat latents. */
static void extreme_latents_stay_finite(void **state)
{
    (void)state;
    lat l = make_random(4, 6, 7, 2);
    const float fill[] = {FLT_MAX, -FLT_MAX, 0.0f, 1e-40f, 3.0f};
    for (int pattern = 0; pattern < 4; pattern++) {
        for (size_t i = 0; i < l.n; i++)
            l.orig[i] = pattern == 3 ? fill[2] : fill[(i * 7 + (size_t)pattern) % 5];
        strata_latent_glitch all = {1, 1, 1, 1};
        apply(&l, all, (uint64_t)pattern);
        assert_true(all_finite(l.v, l.n));
        apply(&l, (strata_latent_glitch){0.5f, 0.5f, 0.5f, 0.5f}, 9);
        assert_true(all_finite(l.v, l.n));
    }
    /* a flat (zero) latent still takes noise */
    apply(&l, (strata_latent_glitch){.noise = 1}, 4);
    assert_true(mean_abs_diff(&l) > 0.01);
    /* 1x1 and single-channel latents */
    float one = 0.5f, w1 = 0;
    strata_latent_glitch all = {1, 1, 1, 1};
    strata_latent_glitch_apply(&all, 5, &one, 1, 1, 1, &w1);
    assert_true(isfinite(one));
    lat_free(&l);
}

/* A decoder of the family from a seed, loaded from bytes in memory. */
static strata_taesd *seeded_decoder(int channels, bool pools)
{
    nf_list *nl = calloc(1, sizeof *nl);
    nf_taesd(nl, channels, true, pools, 5);
    strata_result r = {0};
    strata_taesd *m = nf_taesd_model(nl, "seeded", &r);
    nf_free(nl);
    free(nl);
    if (!m)
        fail_msg("%s", r.msg);
    return m;
}

static void seeded_decodes_are_never_nan(void **state)
{
    (void)state;
    const int chans[] = {4, 16};
    for (int k = 0; k < 2; k++) {
        strata_taesd *m = seeded_decoder(chans[k], false);
        lat l = make_random(chans[k], 3, 2, 11);
        float *rgb = malloc(sizeof(float) * 3 * 24 * 16);
        const strata_latent_glitch gs[] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0},
                                           {0, 0, 0, 1}, {1, 1, 1, 1}};
        for (int i = 0; i < 5; i++) {
            apply(&l, gs[i], 8);
            assert_true(strata_taesd_decode_cpu(m, l.v, 3, 2, rgb));
            assert_true(all_finite(rgb, 3 * 24 * 16));
        }
        free(rgb);
        lat_free(&l);
        strata_taesd_free(m);
    }
}

/* The real TAEF2 decoder on a smooth 6x6 latent (issue 10's golden wave): each effect at
 * 0.5 changes the picture (mean |glitched - clean| over the clamped 48x48 picture, 0..1,
 * above 0.01: a visible change; measured figures are printed) and keeps it in range
 * (every value in -0.1..1.1 before the clamp: the decoder's own range on natural latents,
 * not a blow-up). Nothing is written to disk. */
static void taef2_turns_glitches_into_pictures(void **state)
{
    (void)state;
    strata_taesd *m;
    NF_TAEF2_OR_SKIP(m, "taef2_decoder.safetensors");
    lat l = make_wave(32, 6, 6);
    size_t n = 3 * 48 * 48;
    float *clean = malloc(sizeof(float) * n), *rgb = malloc(sizeof(float) * n);
    assert_true(strata_taesd_decode_cpu(m, l.v, 6, 6, clean));
    const char *names[] = {"noise", "shift", "swap", "quant"};
    for (int e = 0; e < 4; e++) {
        strata_latent_glitch g = {0};
        float *amt[] = {&g.noise, &g.shift, &g.swap, &g.quant};
        *amt[e] = 0.5f;
        apply(&l, g, 2024);
        assert_true(strata_taesd_decode_cpu(m, l.v, 6, 6, rgb));
        double diff = 0;
        float lo = rgb[0], hi = rgb[0];
        for (size_t i = 0; i < n; i++) {
            assert_true(isfinite(rgb[i]));
            lo = fminf(lo, rgb[i]), hi = fmaxf(hi, rgb[i]);
            diff += fabs(strata_clampf(rgb[i], 0, 1) - strata_clampf(clean[i], 0, 1));
        }
        diff /= (double)n;
        print_message("taef2 %s 0.5: mean |glitched - clean| %.4f, range %.4f .. %.4f\n",
                      names[e], diff, lo, hi);
        assert_true(diff > 0.01);
        assert_true(lo > -0.1f && hi < 1.1f);
    }
    free(clean);
    free(rgb);
    lat_free(&l);
    strata_taesd_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zero_is_bit_exact),
        cmocka_unit_test(seed_decides_the_bits),
        cmocka_unit_test(shift_moves_whole_pixels_along_rows),
        cmocka_unit_test(swap_hands_channels_over),
        cmocka_unit_test(quant_posterises_within_a_step),
        cmocka_unit_test(noise_adds_the_promised_std),
        cmocka_unit_test(damage_grows_with_the_amount),
        cmocka_unit_test(extreme_latents_stay_finite),
        cmocka_unit_test(seeded_decodes_are_never_nan),
        cmocka_unit_test(taef2_turns_glitches_into_pictures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
