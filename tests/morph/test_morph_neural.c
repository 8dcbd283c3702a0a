/* morph: the neural mode on llvmpipe (GL 4.3 compute under SDL's offscreen driver). Neural
 * banks written with the bank writer, a seeded 4-channel TAESD decoder written as a real
 * safetensors file (the look does not matter there), the real TAEF2 weights where it does
 * (../shared/models/taef2; skipped, saying why, when absent): slerp endpoints, in-betweens
 * that are not a crossfade, latent glitch, frame-exact offline renders, split decodes,
 * latent resampling, and the fallbacks that play the previews instead.
 * Run with --gl33 (and MESA_GL_VERSION_OVERRIDE=3.3) it checks the GL 3.3 fallback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "morph/morph.h"
#include "neural/neural_fixtures.h"
#include "support/gl_fixture.h"

/* Latent side of the seeded banks: 4x4 (32x32 pictures). llvmpipe takes about 0.6 s for
 * one 4x4 decode of this model on this 2-core machine under load, 1.8 s for 8x8. */
#define L 4
#define PX (8 * L) /* picture side */

static strata_gl gl;
static char tmpdir[64];
static strata_taesd *dec4;  /* seeded 4-channel decoder */
static strata_taesd *dec16; /* seeded 16-channel decoder: the wrong family */
static strata_taesd *enc4;  /* seeded 4-channel encoder */

/* ---- fixtures ----------------------------------------------------------------- */

static strata_taesd *seeded_model(int channels, bool decoder, uint32_t seed)
{
    static nf_list l;
    nf_taesd(&l, channels, decoder, false, seed);
    if (decoder) {
        /* The last conv scaled and biased to 0.5, so the picture spans much of 0..1 and
         * differences are not hidden by the clamp (as test_neural_gpu does). */
        assert_true(nf_taesd_visible(&l));
    }
    char path[128];
    snprintf(path, sizeof path, "%s/model-%d-%d.safetensors", tmpdir, channels, (int)decoder);
    assert_true(nf_write(path, &l));
    nf_free(&l);
    strata_taesd *m = NULL;
    strata_result r = {0};
    if (strata_taesd_load(path, &m, &r) != STRATA_OK)
        fail_msg("loading the fixture: %s", r.msg);
    unlink(path);
    return m;
}

/* Keyframe i's latent: smooth waves, a different phase and direction per keyframe, so
 * the keyframes are far apart (not parallel) and fp16 keeps them close to these. */
static void wave_latent(int i, int c, int lh, int lw, float *out)
{
    for (int k = 0; k < c; k++)
        for (int y = 0; y < lh; y++)
            for (int x = 0; x < lw; x++)
                out[((size_t)k * lh + y) * lw + x] =
                    1.6f * sinf(0.9f * k + (0.5f + 0.3f * i) * x + (1.1f - 0.2f * i) * y +
                                2.1f * i);
}

/* A preview unlike any decode: a coloured gradient per keyframe, never black. */
static void preview(int i, int w, int h, uint8_t *px)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = px + ((size_t)y * w + x) * 4;
            p[0] = (uint8_t)(60 + x * 2 + i * 30);
            p[1] = (uint8_t)(200 - y * 2);
            p[2] = (uint8_t)(90 + i * 50);
            p[3] = 255;
        }
}

/* Write a neural bank of n keyframes; latents[i] (c x lh x lw) when given, else waves. */
static void write_bank(const char *path, int c, const char *family, int lh, int lw, int n,
                       float *const *latents)
{
    strata_bank_neural_shape sh = {.channels = c, .lh = lh, .lw = lw};
    snprintf(sh.family, sizeof sh.family, "%s", family);
    strata_result r = {0};
    strata_bank_neural_writer *w = strata_bank_neural_begin(path, &sh, &r);
    if (!w)
        fail_msg("begin: %s", r.msg);
    size_t dim = (size_t)c * lh * lw;
    float *z = malloc(sizeof(float) * dim);
    uint8_t *px = malloc((size_t)64 * lw * lh * 4);
    for (int i = 0; i < n; i++) {
        if (latents)
            memcpy(z, latents[i], sizeof(float) * dim);
        else
            wave_latent(i, c, lh, lw, z);
        preview(i, 8 * lw, 8 * lh, px);
        char name[16];
        snprintf(name, sizeof name, "k%d", i);
        strata_bank_neural_keyframe kf = {name, z, px, NULL};
        if (strata_bank_neural_add(w, &kf, &r) != STRATA_OK)
            fail_msg("add %d: %s", i, r.msg);
    }
    free(z);
    free(px);
    if (strata_bank_neural_finish(w, &r) != STRATA_OK)
        fail_msg("finish: %s", r.msg);
}

static strata_bank *open_bank(const char *path, int w, int h, strata_bank_fit fit)
{
    strata_result r = {0};
    strata_bank *b = strata_bank_open(
        path, &(strata_bank_open_desc){.width = w, .height = h, .fit = fit}, &r);
    if (!b)
        fail_msg("open %s: %s", path, r.msg);
    assert_int_equal(strata_bank_kind(b), STRATA_BANK_NEURAL);
    return b;
}

static strata_morph *make(strata_bank *b, const strata_taesd *d, strata_morph_mode mode,
                          bool offline, int w, int h)
{
    strata_result r = {0};
    strata_morph *m = strata_morph_create(
        &(strata_morph_desc){.bank = b, .mode = mode, .width = w, .height = h, .seed = 3,
                             .offline = offline, .decoder = d},
        &r);
    if (!m)
        fail_msg("morph: %s", r.msg);
    return m;
}

/* One frame at drift 0 (the traversal moves only by goto): update, draw, read back. */
static bool frame(strata_morph *m, const strata_target *t, double dt, uint8_t *out)
{
    strata_morph_update(m, &(strata_traverse_in){.dt = dt});
    strata_frame_uniforms u = {.dt = (float)dt, .width = t->w, .height = t->h};
    bool drawn = strata_morph_draw(m, t, &u);
    if (drawn && out)
        strata_target_read(t, out);
    assert_int_equal(glGetError(), GL_NO_ERROR);
    return drawn;
}

/* The GPU decoder's picture of a latent, read back (a decoder of its own). */
static uint8_t *decode_ref(const strata_taesd *d, const float *z, int lh, int lw)
{
    strata_result r = {0};
    strata_neural_gpu *g = strata_neural_gpu_create(d, &r);
    if (!g)
        fail_msg("%s", r.msg);
    strata_target t;
    assert_true(strata_target_init(&t, 8 * lw, 8 * lh, GL_RGBA8));
    assert_true(strata_neural_gpu_decode(g, z, lh, lw, &t));
    uint8_t *px = malloc((size_t)t.w * t.h * 4);
    strata_target_read(&t, px);
    strata_target_free(&t);
    strata_neural_gpu_destroy(g);
    return px;
}

static uint8_t *bank_decode(const strata_bank *b, const strata_taesd *d, int i)
{
    strata_bank_neural_shape sh;
    assert_true(strata_bank_neural_shape_get(b, &sh));
    float *z = malloc(sizeof(float) * (size_t)sh.channels * sh.lh * sh.lw);
    assert_true(strata_bank_neural_latent(b, i, z)); /* what the bank holds (fp16) */
    uint8_t *px = decode_ref(d, z, sh.lh, sh.lw);
    free(z);
    return px;
}

static int max_diff(const uint8_t *a, const uint8_t *b, int w, int h)
{
    int m = 0;
    for (size_t i = 0; i < (size_t)w * h * 4; i++)
        if (i % 4 != 3 && abs((int)a[i] - (int)b[i]) > m)
            m = abs((int)a[i] - (int)b[i]);
    return m;
}

static double mean_rgb(const uint8_t *a, int w, int h)
{
    double s = 0;
    for (size_t i = 0; i < (size_t)w * h * 4; i++)
        if (i % 4 != 3)
            s += a[i];
    return s / (3.0 * w * h * 255.0);
}

/* The crossfade (1 - s) A + s B closest to M (least squares over s in 0..1) and the mean
 * absolute residual to it, on 0..1. */
static double crossfade_residual(const uint8_t *m, const uint8_t *a, const uint8_t *b, int w,
                                 int h, double *s_out)
{
    double num = 0, den = 0;
    size_t n = (size_t)w * h * 4;
    for (size_t i = 0; i < n; i++) {
        if (i % 4 == 3)
            continue;
        double d = (double)b[i] - a[i];
        num += ((double)m[i] - a[i]) * d;
        den += d * d;
    }
    double s = den > 0 ? num / den : 0;
    s = s < 0 ? 0 : s > 1 ? 1 : s;
    double res = 0;
    for (size_t i = 0; i < n; i++)
        if (i % 4 != 3)
            res += fabs((double)m[i] - ((1 - s) * a[i] + s * b[i])) / 255.0;
    if (s_out)
        *s_out = s;
    return res / (3.0 * w * h);
}

/* A texture of an RGBA picture read back top row first (GL's row 0 is the bottom). */
static GLuint texture_of(const uint8_t *px, int w, int h)
{
    GLuint tex;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    for (int y = 0; y < h; y++)
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, h - 1 - y, w, 1, GL_RGBA, GL_UNSIGNED_BYTE,
                        px + (size_t)y * w * 4);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    return tex;
}

static void bank_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s.strata", tmpdir, name);
}

/* ---- cases -------------------------------------------------------------------- */

/* At t = 0 and 1 the picture is the keyframe's own decode, byte for byte; in between it
 * is neither. */
/* A bank of `keyframes` 4-channel L x L latents named `name`, written and opened at w x h
 * (fit); path gets its file. */
static strata_bank *seeded_bank(char *path, size_t n, const char *name, int keyframes, int w,
                                int h)
{
    bank_path(path, n, name);
    write_bank(path, 4, "taesd/taesdxl", L, L, keyframes, NULL);
    return open_bank(path, w, h, STRATA_BANK_FIT);
}

/* The end of a case: the morph, the bank, the target and the bank's file go. */
static void end_case(strata_morph *m, strata_bank *b, strata_target *t, const char *path)
{
    strata_morph_destroy(m);
    strata_bank_close(b);
    strata_target_free(t);
    unlink(path);
}

static void endpoints_exact(void **state)
{
    (void)state;
    char path[128];
    strata_bank *b = seeded_bank(path, sizeof path, "ends", 2, PX, PX);
    strata_morph *m = make(b, dec4, STRATA_MORPH_NEURAL, true, PX, PX);
    assert_int_equal(strata_morph_get_mode(m), STRATA_MORPH_NEURAL);
    strata_morph_neural_status st;
    assert_true(strata_morph_neural_status_get(m, &st));
    assert_true(st.neural);
    assert_true(st.decoding);
    assert_int_equal(st.lw, L);
    assert_int_equal(st.lh, L);
    assert_int_equal(st.passes, 35);
    uint8_t *k0 = bank_decode(b, dec4, 0), *k1 = bank_decode(b, dec4, 1);
    assert_true(max_diff(k0, k1, PX, PX) > 40); /* the keyframes differ */
    strata_target t;
    assert_true(strata_target_init(&t, PX, PX, GL_RGBA8));
    uint8_t *px = malloc(PX * PX * 4);
    assert_true(frame(m, &t, 0.25, px));
    assert_memory_equal(px, k0, PX * PX * 4);
    strata_morph_goto(m, 1, 1.0);
    assert_true(frame(m, &t, 0.5, px)); /* the transition starts: t = 0 */
    assert_memory_equal(px, k0, PX * PX * 4);
    for (int f = 1; f <= 1; f++) {
        assert_true(frame(m, &t, 0.5, px));
        int a, bb;
        float tt;
        strata_morph_state(m, &a, &bb, &tt);
        assert_int_equal(bb, 1);
        assert_true(tt > 0 && tt < 1);
        assert_true(max_diff(px, k0, PX, PX) > 8);
        assert_true(max_diff(px, k1, PX, PX) > 8);
    }
    assert_true(frame(m, &t, 0.5, px)); /* t reaches 1: keyframe 1 */
    assert_memory_equal(px, k1, PX * PX * 4);
    end_case(m, b, &t, path);
    free(k0);
    free(k1);
    free(px);
}

/* Two pictures for the TAEF2 encoder, unlike each other and with structure at several
 * scales: a dusk sky with a sun and hills, and tiles of colour with a diagonal band. */
static void picture(int which, int w, int h, float *rgb)
{
    size_t n = (size_t)w * h;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float u = (x + 0.5f) / w, v = (y + 0.5f) / h, r, g, b;
            if (which == 0) {
                float sun = expf(-((u - 0.65f) * (u - 0.65f) + (v - 0.35f) * (v - 0.35f)) * 60);
                float hill = v > 0.7f + 0.08f * sinf(u * 9.0f) ? 1.0f : 0.0f;
                r = 0.9f - 0.5f * v + 0.3f * sun;
                g = 0.35f + 0.2f * v + 0.5f * sun;
                b = 0.55f - 0.3f * v + 0.1f * sun;
                if (hill > 0)
                    r = 0.1f, g = 0.25f + 0.1f * sinf(u * 40), b = 0.1f;
            } else {
                int tx = (int)(u * 4), ty = (int)(v * 4);
                r = 0.2f + 0.6f * ((tx + ty) % 2);
                g = 0.2f + 0.15f * tx;
                b = 0.8f - 0.15f * ty;
                if (fabsf(u - v) < 0.1f)
                    r = g = b = 0.95f;
            }
            rgb[0 * n + (size_t)y * w + x] = strata_clampf(r, 0, 1);
            rgb[1 * n + (size_t)y * w + x] = strata_clampf(g, 0, 1);
            rgb[2 * n + (size_t)y * w + x] = strata_clampf(b, 0, 1);
        }
}

/* The in-between frames of two real latents (TAEF2, two encoded pictures) are not a
 * crossfade: the residual to the best crossfade of the endpoint decodes stays well above
 * what a crossfade leaves (0 plus rounding). The PyTorch check measured 0.035 to
 * 0.048 mean absolute on two photos; the figures here are printed, the threshold is
 * below them with margin (see /work/notes/morph.md). */
#define LT 16 /* TAEF2 latent side here: 128x128 pictures */
#define NOT_XFADE_MIN 0.03

static void not_a_crossfade(void **state)
{
    (void)state;
    strata_result r = {0};
    strata_taesd *d = nf_taef2_load("taef2_decoder.safetensors", &r);
    strata_taesd *e = d ? nf_taef2_load("taef2_encoder.safetensors", &r) : NULL;
    if (r.status != STRATA_OK)
        fail_msg("%s", r.msg);
    if (!e) {
        strata_taesd_free(d);
        skip();
        return;
    }
    int pw = 8 * LT;
    size_t dim = (size_t)32 * LT * LT;
    float *rgb = malloc(sizeof(float) * 3 * pw * pw), *z[2];
    strata_neural_gpu *ge = strata_neural_gpu_create(e, &r); /* (the CPU's is slow here) */
    if (!ge)
        fail_msg("%s", r.msg);
    for (int i = 0; i < 2; i++) {
        z[i] = malloc(sizeof(float) * dim);
        picture(i, pw, pw, rgb);
        if (!strata_neural_gpu_encode(ge, rgb, pw, pw, z[i], &r))
            fail_msg("%s", r.msg);
    }
    strata_neural_gpu_destroy(ge);
    char path[128];
    bank_path(path, sizeof path, "taef2");
    write_bank(path, 32, "taef2", LT, LT, 2, z);
    strata_bank *b = open_bank(path, pw, pw, STRATA_BANK_FIT);
    strata_morph *m = make(b, d, STRATA_MORPH_NEURAL, true, pw, pw);
    /* The ends are the keyframes' own decodes (endpoints_exact holds that byte for byte):
     * taken from the morph itself, so TAEF2 decodes three times in all. */
    size_t bytes = (size_t)pw * pw * 4;
    uint8_t *k0 = malloc(bytes), *k1 = malloc(bytes), *px = malloc(bytes);
    strata_target t;
    assert_true(strata_target_init(&t, pw, pw, GL_RGBA8));
    assert_true(frame(m, &t, 0.5, k0));
    strata_morph_goto(m, 1, 1.0);
    assert_true(frame(m, &t, 0.5, NULL)); /* t = 0: the same latent, not decoded again */
    assert_true(frame(m, &t, 0.5, px));
    int a, bb;
    float tt;
    strata_morph_state(m, &a, &bb, &tt);
    assert_int_equal(bb, 1);
    assert_true(frame(m, &t, 0.5, k1));
    strata_morph_state(m, &a, &bb, &tt);
    assert_int_equal(a, 1);
    assert_int_equal(bb, -1);
    double s, res = crossfade_residual(px, k0, k1, pw, pw, &s);
    print_message("TAEF2 %dx%d latents of two encoded pictures, halfway: best crossfade s "
                  "%.3f, mean abs residual %.4f (threshold %.3f)\n",
                  LT, LT, s, res, NOT_XFADE_MIN);
    assert_true(res > NOT_XFADE_MIN);
    /* The control: a real crossfade of the same ends (the blend morph's pass) measures as
     * rounding only. */
    GLuint tex0 = texture_of(k0, pw, pw), tex1 = texture_of(k1, pw, pw);
    strata_blend_draw(tex0, tex1, 0.5f, &t);
    strata_target_read(&t, px);
    double ctl = crossfade_residual(px, k0, k1, pw, pw, NULL);
    print_message("control, the blend pass at 0.5: residual %.4f\n", ctl);
    assert_true(ctl < 0.003);
    glDeleteTextures(1, &tex0);
    glDeleteTextures(1, &tex1);
    end_case(m, b, &t, path);
    strata_taesd_free(d);
    strata_taesd_free(e);
    free(k0);
    free(k1);
    free(px);
    free(rgb);
    free(z[0]);
    free(z[1]);
}

/* Glitch 0 is the picture without glitch, bit for bit, mid-transition too; a glitch
 * changes it, the same seed the same way. */
static void latent_glitch(void **state)
{
    (void)state;
    char path[128];
    strata_bank *b = seeded_bank(path, sizeof path, "glitch", 2, PX, PX);
    strata_target t;
    assert_true(strata_target_init(&t, PX, PX, GL_RGBA8));
    uint8_t *plain[2] = {malloc(PX * PX * 4), malloc(PX * PX * 4)};
    uint8_t *zero = malloc(PX * PX * 4), *g1 = malloc(PX * PX * 4), *g2 = malloc(PX * PX * 4);
    for (int run = 0; run < 2; run++) {
        strata_morph *m = make(b, dec4, STRATA_MORPH_NEURAL, true, PX, PX);
        uint8_t *hold = run ? zero : plain[0];
        if (run)
            strata_morph_set_latent_glitch(m, &(strata_latent_glitch){0}, 0x1234);
        assert_true(frame(m, &t, 0.25, hold));
        strata_morph_goto(m, 1, 1.0);
        frame(m, &t, 0.25, NULL);
        uint8_t *mid = run ? g1 : plain[1];
        if (run)
            strata_morph_set_latent_glitch(m, &(strata_latent_glitch){0}, 0x9876);
        assert_true(frame(m, &t, 0.25, mid)); /* t 0.25, eased 0.156 */
        strata_morph_destroy(m);
    }
    assert_memory_equal(plain[0], zero, PX * PX * 4);
    assert_memory_equal(plain[1], g1, PX * PX * 4);
    /* A shift glitch on the held keyframe: a different picture, the same for the seed. */
    for (int run = 0; run < 2; run++) {
        strata_morph *m = make(b, dec4, STRATA_MORPH_NEURAL, true, PX, PX);
        strata_morph_set_latent_glitch(m, &(strata_latent_glitch){.shift = 0.7f, .noise = 0.3f},
                                       77);
        assert_true(frame(m, &t, 0.25, run ? g2 : g1));
        strata_morph_destroy(m);
    }
    int diff = max_diff(g1, plain[0], PX, PX);
    print_message("glitch shift 0.7 noise 0.3: max difference %d/255\n", diff);
    assert_true(diff > 16);
    assert_memory_equal(g1, g2, PX * PX * 4);
    strata_bank_close(b);
    strata_target_free(&t);
    free(plain[0]);
    free(plain[1]);
    free(zero);
    free(g1);
    free(g2);
    unlink(path);
}

/* Offline: the same frames twice (a transition, a glitch seeded by the frame) are the
 * same bytes. */
static void offline_identical(void **state)
{
    (void)state;
    char path[128];
    strata_bank *b = seeded_bank(path, sizeof path, "offline", 3, PX, PX);
    strata_target t;
    assert_true(strata_target_init(&t, PX, PX, GL_RGBA8));
    enum { FRAMES = 5 };
    uint8_t *run[2];
    for (int k = 0; k < 2; k++) {
        run[k] = malloc((size_t)FRAMES * PX * PX * 4);
        strata_morph *m = make(b, dec4, STRATA_MORPH_NEURAL, true, PX, PX);
        for (int f = 0; f < FRAMES; f++) {
            if (f == 1)
                strata_morph_goto(m, 2, 0.6);
            float amt = f >= 3 ? 0.4f : 0.0f;
            strata_morph_set_latent_glitch(m, &(strata_latent_glitch){.shift = amt, .swap = amt},
                                           (uint64_t)f * 7919u);
            assert_true(frame(m, &t, 0.2, run[k] + (size_t)f * PX * PX * 4));
        }
        strata_morph_destroy(m);
    }
    assert_memory_equal(run[0], run[1], (size_t)FRAMES * PX * PX * 4);
    /* and the frames are not all the same picture */
    assert_true(max_diff(run[0], run[0] + (size_t)3 * PX * PX * 4, PX, PX) > 8);
    strata_bank_close(b);
    strata_target_free(&t);
    free(run[0]);
    free(run[1]);
    unlink(path);
}

/* Live with 4 passes per frame: the 35 passes take 9 frames; before the first decode is
 * complete nothing is drawn, while the next is under way the display is the last complete
 * one, then it crossfades to the new one over one decode period and ends on it, byte for
 * byte the one-shot decode. */
static void split_decode(void **state)
{
    (void)state;
    char path[128];
    strata_bank *b = seeded_bank(path, sizeof path, "split", 2, PX, PX);
    strata_morph *m = make(b, dec4, STRATA_MORPH_NEURAL, false, PX, PX);
    strata_morph_set_neural_passes(m, 4);
    uint8_t *k0 = bank_decode(b, dec4, 0), *k1 = bank_decode(b, dec4, 1);
    strata_target t;
    assert_true(strata_target_init(&t, PX, PX, GL_RGBA8));
    uint8_t *px = malloc(PX * PX * 4);
    const double dt = 1.0 / 60;
    uint8_t *pre = malloc(PX * PX * 4);
    preview(0, PX, PX, pre);
    int f = 1;
    /* Until the first decode is complete: nothing, or keyframe 0's preview if the loader
     * has delivered it (the previews stream until then). */
    for (;;) {
        bool drawn = frame(m, &t, dt, px);
        if (drawn && !memcmp(px, k0, PX * PX * 4))
            break;
        if (drawn && max_diff(px, pre, PX, PX) > 2)
            fail_msg("frame %d shows neither the preview nor the decode", f);
        assert_true(++f <= 9);
    }
    assert_int_equal(f, 9); /* ceil(35 / 4) */
    free(pre);
    strata_morph_neural_status st;
    assert_true(strata_morph_neural_status_get(m, &st));
    assert_true(st.decoding);
    assert_int_equal(st.passes_per_frame, 4);
    assert_true(frame(m, &t, dt, px)); /* holding: nothing new to decode */
    assert_memory_equal(px, k0, PX * PX * 4);
    strata_morph_goto(m, 1, 0.0); /* a cut: the next decode is keyframe 1 */
    for (f = 1; f < 9; f++) {
        assert_true(frame(m, &t, dt, px));
        assert_memory_equal(px, k0, PX * PX * 4); /* never the unfinished decode */
    }
    assert_true(frame(m, &t, dt, px)); /* complete: the crossfade starts at k0 */
    assert_memory_equal(px, k0, PX * PX * 4);
    double last_s = 0;
    for (f = 1; f < 9; f++) {
        assert_true(frame(m, &t, dt, px));
        double s, res = crossfade_residual(px, k0, k1, PX, PX, &s);
        if (res > 1.0 / 255 || s + 1e-3 < last_s || s <= 0 || s >= 1)
            fail_msg("crossfade frame %d: s %.3f (last %.3f), residual %.4f", f, s, last_s, res);
        last_s = s;
    }
    assert_true(frame(m, &t, dt, px)); /* one period later: the new decode itself */
    assert_memory_equal(px, k1, PX * PX * 4);
    end_case(m, b, &t, path);
    free(k0);
    free(k1);
    free(px);
}

/* Adaptive passes (no fixed count) under the smallest budget the adaptation allows: the
 * decodes complete, the display shows only complete ones, the end is the one-shot
 * picture. How many passes a frame took depends on the machine: printed, not asserted. */
static void adaptive_budget(void **state)
{
    (void)state;
    char path[128];
    strata_bank *b = seeded_bank(path, sizeof path, "adapt", 2, PX, PX);
    strata_morph *m = make(b, dec4, STRATA_MORPH_NEURAL, false, PX, PX);
    for (int i = 0; i < 30; i++)
        strata_morph_adapt(m, 100.0, 33.3); /* slow frames: the budget falls to its floor */
    uint8_t *k0 = bank_decode(b, dec4, 0), *k1 = bank_decode(b, dec4, 1);
    strata_target t;
    assert_true(strata_target_init(&t, PX, PX, GL_RGBA8));
    uint8_t *px = malloc(PX * PX * 4);
    int f = 0, most = 0;
    strata_morph_neural_status st;
    while (!frame(m, &t, 1.0 / 60, px) || memcmp(px, k0, PX * PX * 4))
        assert_true(++f < 200); /* (the preview meanwhile: split_decode checks that) */
    strata_morph_goto(m, 1, 0.0);
    for (f = 0; f < 400; f++) {
        assert_true(frame(m, &t, 1.0 / 60, px));
        strata_morph_neural_status_get(m, &st);
        most = st.passes_per_frame > most ? st.passes_per_frame : most;
        if (!memcmp(px, k1, PX * PX * 4))
            break;
        double res = crossfade_residual(px, k0, k1, PX, PX, NULL);
        if (res > 1.0 / 255)
            fail_msg("frame %d shows neither a complete decode nor their crossfade (%.4f)", f,
                     res);
    }
    assert_true(f < 400);
    print_message("adaptive, 0.5 ms budget: the next decode shown after %d frames, at most %d "
                  "passes a frame (0: whole)\n",
                  f, most);
    end_case(m, b, &t, path);
    free(k0);
    free(k1);
    free(px);
}

/* Latent size and fit: a PX x PX/2 render of an L x L bank (PX x PX pictures). Fit: auto
 * L/2 latents (the picture the letterbox shows is PX/2 square), the bank's latents
 * resampled (halving is the 2x2 average), black bars. Fill: L x L, the middle PX/2 rows of
 * the full decode. An explicit size is taken as given. */
#define H2 (L / 2)
static void sizes_and_fit(void **state)
{
    (void)state;
    char path[128];
    strata_bank *b = seeded_bank(path, sizeof path, "sizes", 2, PX, PX / 2);
    float z[4 * L * L], small[4 * H2 * H2];
    assert_true(strata_bank_neural_latent(b, 0, z));
    for (int k = 0; k < 4; k++)
        for (int y = 0; y < H2; y++)
            for (int x = 0; x < H2; x++) {
                const float *p = z + (size_t)k * L * L + (2 * y) * L + 2 * x;
                small[(k * H2 + y) * H2 + x] =
                    ((p[0] + p[1]) * 0.5f + (p[L] + p[L + 1]) * 0.5f) * 0.5f;
            }
    uint8_t *want = decode_ref(dec4, small, H2, H2), *full = bank_decode(b, dec4, 0);
    strata_target t;
    assert_true(strata_target_init(&t, PX, PX / 2, GL_RGBA8));
    uint8_t *px = malloc(PX * PX / 2 * 4);
    strata_morph *m = make(b, dec4, STRATA_MORPH_NEURAL, true, PX, PX / 2);
    strata_morph_neural_status st;
    strata_morph_neural_status_get(m, &st);
    assert_int_equal(st.lw, H2);
    assert_int_equal(st.lh, H2);
    assert_true(frame(m, &t, 0.1, px));
    const int side = 8 * H2, x0 = (PX - side) / 2;
    for (int y = 0; y < PX / 2; y++)
        for (int x = 0; x < PX; x++) {
            const uint8_t *p = px + ((size_t)y * PX + x) * 4;
            if (x < x0 || x >= x0 + side) {
                if (p[0] || p[1] || p[2])
                    fail_msg("bar pixel (%d, %d) is not black", x, y);
            } else if (memcmp(p, want + ((size_t)y * side + x - x0) * 4, 3)) {
                fail_msg("pixel (%d, %d) is not the %dx%d decode", x, y, H2, H2);
            }
        }
    strata_morph_destroy(m);
    strata_result r = {0};
    m = strata_morph_create(&(strata_morph_desc){.bank = b, .mode = STRATA_MORPH_NEURAL,
                                                 .width = PX, .height = PX / 2, .offline = true,
                                                 .decoder = dec4, .fit = STRATA_BANK_FILL},
                            &r);
    assert_non_null(m);
    strata_morph_neural_status_get(m, &st);
    assert_int_equal(st.lw, L);
    assert_true(frame(m, &t, 0.1, px));
    assert_memory_equal(px, full + (size_t)(PX / 4) * PX * 4, PX * PX / 2 * 4);
    strata_morph_destroy(m);
    m = strata_morph_create(&(strata_morph_desc){.bank = b, .mode = STRATA_MORPH_NEURAL,
                                                 .width = PX, .height = PX / 2, .offline = true,
                                                 .decoder = dec4, .neural_w = 3,
                                                 .neural_h = 200},
                            &r);
    assert_non_null(m);
    strata_morph_neural_status_get(m, &st);
    assert_int_equal(st.lw, 3);
    assert_int_equal(st.lh, 128); /* the decoder's limit */
    end_case(m, b, &t, path);
    free(want);
    free(full);
    free(px);
}

/* The previews play with blend, equal to the preview within 2/255 and not black, and the
 * status says why; over the loader (live) and load_sync (offline). */
static void expect_previews(strata_bank *b, const strata_taesd *d, strata_morph_mode mode,
                            bool offline, const char *why)
{
    strata_morph *m = make(b, d, mode, offline, PX, PX);
    assert_int_equal(strata_morph_get_mode(m), STRATA_MORPH_BLEND);
    strata_morph_neural_status st;
    assert_true(strata_morph_neural_status_get(m, &st));
    assert_true(st.neural);
    assert_false(st.decoding);
    if (!strstr(st.why, why))
        fail_msg("why \"%s\" lacks \"%s\"", st.why, why);
    strata_target t;
    assert_true(strata_target_init(&t, PX, PX, GL_RGBA8));
    uint8_t *px = malloc(PX * PX * 4), *want = malloc(PX * PX * 4);
    int f = 0;
    while (!frame(m, &t, 0.01, px)) {
        assert_true(++f < 500); /* the loader delivers within 5 s */
        usleep(10000);
    }
    preview(0, PX, PX, want);
    int diff = max_diff(px, want, PX, PX);
    if (diff > 2)
        fail_msg("the played picture is %d/255 from the preview", diff);
    assert_true(mean_rgb(px, PX, PX) > 0.2);
    strata_morph_destroy(m);
    strata_target_free(&t);
    free(px);
    free(want);
}

static void fallback_previews(void **state)
{
    (void)state;
    char path[128];
    strata_bank *b = seeded_bank(path, sizeof path, "fallback", 2, PX, PX);
    expect_previews(b, NULL, STRATA_MORPH_NEURAL, true, "no decoder: pass --model");
    expect_previews(b, NULL, STRATA_MORPH_NEURAL, false, "no decoder");
    expect_previews(b, dec16, STRATA_MORPH_NEURAL, true, "takes 16 latent channels");
    expect_previews(b, enc4, STRATA_MORPH_NEURAL, true, "is an encoder");
    expect_previews(b, dec4, STRATA_MORPH_BLEND, true, "--morph blend plays the bank's previews");
    strata_bank_close(b);
    /* A latent set never touches the decoder: neural asked, its own latent morph plays. */
    strata_result r = {0};
    b = strata_bank_generate_latent(4, 8, 5, &(strata_bank_open_desc){.width = PX, .height = PX},
                                    &r);
    assert_non_null(b);
    strata_morph *m = make(b, dec4, STRATA_MORPH_NEURAL, true, PX, PX);
    assert_int_equal(strata_morph_get_mode(m), STRATA_MORPH_LATENT);
    strata_morph_neural_status st;
    assert_false(strata_morph_neural_status_get(m, &st));
    assert_false(st.neural);
    strata_morph_destroy(m);
    strata_bank_close(b);
    unlink(path);
}

/* Under a GL 3.3 context (no compute) the neural mode plays the previews and says so. */
static void fallback_gl33(void **state)
{
    (void)state;
    assert_false(gl.compute);
    char path[128];
    strata_bank *b = seeded_bank(path, sizeof path, "gl33", 2, PX, PX);
    expect_previews(b, dec4, STRATA_MORPH_NEURAL, true, "GL 4.3");
    strata_bank_close(b);
    unlink(path);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/strata-morph-neural-XXXXXX");
    if (!mkdtemp(tmpdir) || !test_gl_open(&gl, NULL))
        return -1;
    dec4 = seeded_model(4, true, 11);
    dec16 = seeded_model(16, true, 12);
    enc4 = seeded_model(4, false, 13);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    strata_taesd_free(dec4);
    strata_taesd_free(dec16);
    strata_taesd_free(enc4);
    test_gl_close(&gl);
    return test_dir_remove(tmpdir) ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--gl33")) {
        const struct CMUnitTest gl33[] = {cmocka_unit_test(fallback_gl33)};
        return cmocka_run_group_tests(gl33, setup, teardown);
    }
    if (argc > 1 && !strcmp(argv[1], "--taef2")) {
        const struct CMUnitTest real[] = {cmocka_unit_test(not_a_crossfade)};
        return cmocka_run_group_tests(real, setup, teardown);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(endpoints_exact),   cmocka_unit_test(latent_glitch),
        cmocka_unit_test(offline_identical), cmocka_unit_test(split_decode),
        cmocka_unit_test(adaptive_budget),   cmocka_unit_test(sizes_and_fit),
        cmocka_unit_test(fallback_previews),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
