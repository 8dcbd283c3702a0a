/* fx: the fused chain (one pass per run of grade and per-pixel effects) against the same
 * chain one pass per stage, on every shipped preset and on random chains, over several
 * frames of a moving picture: equal within 1/255. Also: the fused pass drawn straight
 * into the output (same size and letterboxed, with a gain) equals the output copy of the
 * unfused picture, and the grade at glitch 0 is the grade pass it replaced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx/fx.h"
#include "preset/preset.h"
#include "support/gl_fixture.h"

/* Big enough for crush cells of 3 px, rgb splits of 6 and tear bands of several lines. */
#define W 480
#define H 270
#define FRAMES 4

static strata_gl gl;
static strata_audio_frame audio;
static uint8_t *px, *img_a, *img_b;

/* A picture that looks like one: a sky gradient, a textured ground (value noise), a sun,
 * a dark building with lit windows, thin lines; all moving `f` pixels a frame, so the
 * datamosh has motion and the trails something to trail. */
static float vnoise(int x, int y)
{
    uint32_t h = (uint32_t)x * 374761393u + (uint32_t)y * 668265263u;
    h = (h ^ (h >> 13)) * 1274126177u;
    return (float)((h ^ (h >> 16)) & 0xffff) / 65535.0f;
}

static void make_picture(uint8_t *out, int f)
{
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            int sx = x + 3 * f, sy = y + f;
            float r, g, b;
            float t = (float)y / (H - 1);
            if (y < H * 0.55f) {
                r = 0.95f - 0.6f * t;
                g = 0.55f - 0.2f * t;
                b = 0.35f + 0.6f * t;
            } else {
                float n = 0.5f * vnoise(sx / 4, sy / 4) + 0.3f * vnoise(sx / 2, sy / 2) +
                          0.2f * vnoise(sx, sy);
                r = 0.15f + 0.35f * n;
                g = 0.30f + 0.40f * n;
                b = 0.10f + 0.20f * n;
            }
            float dx = sx - W * 0.3f, dy = y - H * 0.3f;
            if (dx * dx + dy * dy < 900.0f)
                r = g = b = 0.98f, b = 0.8f;
            if (sx % W > W * 0.6f && sx % W < W * 0.75f && y > H * 0.25f) {
                bool lit = ((sx / 6) + (y / 9)) % 3 == 0;
                r = lit ? 1.0f : 0.06f;
                g = lit ? 0.85f : 0.05f;
                b = lit ? 0.4f : 0.08f;
            }
            if ((sx + y) % 37 == 0)
                r = g = b = 0.9f;
            uint8_t *p = out + ((size_t)y * W + x) * 4;
            p[0] = (uint8_t)lrintf(fminf(fmaxf(r, 0), 1) * 255);
            p[1] = (uint8_t)lrintf(fminf(fmaxf(g, 0), 1) * 255);
            p[2] = (uint8_t)lrintf(fminf(fmaxf(b, 0), 1) * 255);
            p[3] = 255;
        }
    }
}

static void upload(const strata_target *t, const uint8_t *rgba)
{
    glBindTexture(GL_TEXTURE_2D, t->tex);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, t->w, t->h, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
}

static int max_diff(const uint8_t *a, const uint8_t *b, size_t n, bool rgb_only)
{
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        if (rgb_only && i % 4 == 3)
            continue;
        int d = abs((int)a[i] - (int)b[i]);
        m = d > m ? d : m;
    }
    return m;
}

/* What a chain is set to: parameters, shapes, order, sort direction. */
typedef struct setup {
    char name[96];
    float prm[STRATA_PARAM_COUNT];
    strata_fx_shape shape[STRATA_FX_COUNT];
    bool has_shape[STRATA_FX_COUNT];
    strata_fx_effect order[STRATA_FX_COUNT];
    int norder; /* 0: the default order */
    bool vertical;
} setup;

static strata_fx *make_chain(const setup *s, bool fused)
{
    strata_result r = {0};
    strata_fx *fx = strata_fx_create(W, H, &r);
    assert_non_null(fx);
    for (int e = 0; e < STRATA_FX_COUNT; e++)
        if (s->has_shape[e])
            strata_fx_set_shape(fx, (strata_fx_effect)e, s->shape[e]);
    if (s->norder > 0)
        assert_true(strata_fx_set_order(fx, s->order, s->norder));
    strata_fx_set_sort(fx, s->vertical, 0.8f);
    strata_fx_set_fused(fx, fused);
    return fx;
}

/* Run both paths FRAMES frames; returns the largest difference of any frame. The
 * parameters drift a little each frame (the grade too, as a route would move it) and
 * an onset fires on the second frame. */
static int compare(const setup *s, strata_target *src, int *ran_fused)
{
    strata_fx *fa = make_chain(s, true), *fb = make_chain(s, false);
    float prm[STRATA_PARAM_COUNT];
    memcpy(prm, s->prm, sizeof prm);
    int worst = 0;
    *ran_fused = 0;
    for (int f = 0; f < FRAMES; f++) {
        make_picture(px, f);
        upload(src, px);
        prm[STRATA_P_hue] += 0.01f * (prm[STRATA_P_hue] != 0.0f);
        strata_frame_uniforms u = {.time = 1.0 + f / 30.0,
                                   .frame = 30 + f,
                                   .dt = 1.0f / 30,
                                   .width = W,
                                   .height = H,
                                   .audio = &audio,
                                   .bpm = 120,
                                   .params = prm};
        strata_fx_inputs in = {.u = &u, .onset = f == 1 ? 1.0f : 0.0f};
        const strata_target *a = strata_fx_run(fa, src, &in);
        strata_target_read(a, img_a);
        const strata_target *b = strata_fx_run(fb, src, &in);
        strata_target_read(b, img_b);
        float aa[STRATA_FX_COUNT], ab[STRATA_FX_COUNT];
        strata_fx_amounts(fa, aa);
        strata_fx_amounts(fb, ab);
        for (int e = 0; e < STRATA_FX_COUNT; e++) {
            assert_true(aa[e] == ab[e]); /* the same effects ran, at the same amounts */
            *ran_fused += aa[e] > 0.0f && (e == STRATA_FX_TEAR || e == STRATA_FX_RGB ||
                                           e == STRATA_FX_VHS || e == STRATA_FX_CRUSH);
        }
        int d = max_diff(img_a, img_b, (size_t)W * H * 4, false);
        worst = d > worst ? d : worst;
    }
    strata_fx_destroy(fa);
    strata_fx_destroy(fb);
    return worst;
}

static int setup_all(void **state)
{
    (void)state;
    strata_audio_frame_silence(&audio);
    px = malloc((size_t)W * H * 4);
    img_a = malloc((size_t)W * H * 4 * 2);
    img_b = malloc((size_t)W * H * 4 * 2);
    if (!px || !img_a || !img_b || !test_gl_open(&gl, NULL))
        return -1;
    strata_uniforms_upload_audio(&audio);
    return 0;
}

static int teardown_all(void **state)
{
    (void)state;
    test_gl_close(&gl);
    free(px);
    free(img_a);
    free(img_b);
    return 0;
}

static void defaults(setup *s)
{
    memset(s, 0, sizeof *s);
    strata_params p;
    strata_params_init(&p);
    memcpy(s->prm, p.value, sizeof s->prm);
}

/* Every shipped preset: its parameters, shapes and order, at its own glitch and at 1. */
static void every_preset_fused_equals_unfused(void **state)
{
    (void)state;
    const char *root = getenv("STRATA_SOURCE_DIR");
    assert_non_null(root);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/presets", root);
    DIR *d = opendir(dir);
    assert_non_null(d);
    strata_target src;
    assert_true(strata_target_init(&src, W, H, GL_RGBA8));
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        strata_preset p;
        strata_result r = {0};
        if (strata_preset_load(path, &p, &r) != STRATA_OK)
            fail_msg("%s", r.msg);
        for (int pass = 0; pass < 2; pass++) {
            setup s;
            defaults(&s);
            snprintf(s.name, sizeof s.name, "%s%s", p.name, pass ? " at glitch 1" : "");
            for (int i = 0; i < STRATA_PARAM_COUNT; i++)
                if (p.has_param[i])
                    s.prm[i] = p.param[i];
            if (pass)
                s.prm[STRATA_P_glitch] = 1.0f;
            for (int e = 0; e < STRATA_FX_COUNT; e++) {
                s.has_shape[e] = p.fx[e].set;
                s.shape[e] = p.fx[e].shape;
            }
            s.norder = p.n_order_fx;
            memcpy(s.order, p.order_fx, sizeof s.order);
            int ran = 0;
            int diff = compare(&s, &src, &ran);
            printf("%-28s max difference %d/255 (%d per-pixel stage-frames)\n", s.name, diff, ran);
            assert_true(diff <= 1);
        }
        n++;
    }
    closedir(d);
    assert_true(n >= 7); /* the shipped presets were found */
    strata_target_free(&src);
}

static uint32_t rng = 12345u;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 16777216.0f;
}

/* 20 random chains: a random subset of the effects in a random order, random amounts,
 * shapes, sort direction and (half of them) a grade. */
static void random_chains_fused_equal_unfused(void **state)
{
    (void)state;
    strata_target src;
    assert_true(strata_target_init(&src, W, H, GL_RGBA8));
    int total_ran = 0;
    for (int c = 0; c < 20; c++) {
        setup s;
        defaults(&s);
        snprintf(s.name, sizeof s.name, "random %d", c);
        strata_fx_effect all[STRATA_FX_COUNT];
        for (int i = 0; i < STRATA_FX_COUNT; i++)
            all[i] = (strata_fx_effect)i;
        for (int i = STRATA_FX_COUNT - 1; i > 0; i--) {
            int j = (int)(frand() * (i + 1));
            strata_fx_effect t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        s.norder = 1 + (int)(frand() * STRATA_FX_COUNT);
        memcpy(s.order, all, sizeof s.order);
        static const int amount[] = {STRATA_P_fx_block, STRATA_P_fx_sort, STRATA_P_fx_trails,
                                     STRATA_P_fx_tear,  STRATA_P_fx_rgb,  STRATA_P_fx_vhs,
                                     STRATA_P_fx_crush};
        for (int e = 0; e < STRATA_FX_COUNT; e++) {
            s.prm[amount[e]] = frand() < 0.15f ? 0.0f : frand();
            s.has_shape[e] = true;
            s.shape[e] = (strata_fx_shape){(strata_fx_curve)(frand() * STRATA_FX_CURVE_COUNT),
                                           frand(), frand()};
        }
        s.prm[STRATA_P_glitch] = 0.2f + 0.8f * frand();
        s.prm[STRATA_P_burst] = frand();
        s.prm[STRATA_P_fx_sort_threshold] = 0.3f + 0.5f * frand();
        s.vertical = frand() < 0.3f;
        if (c % 2) {
            s.prm[STRATA_P_hue] = frand() - 0.5f;
            s.prm[STRATA_P_saturation] = 0.5f + frand();
            s.prm[STRATA_P_contrast] = 0.7f + 0.6f * frand();
            s.prm[STRATA_P_brightness] = 0.8f + 0.4f * frand();
            s.prm[STRATA_P_zoom] = 0.8f + 0.4f * frand();
            s.prm[STRATA_P_rotate] = 0.1f * (frand() - 0.5f);
        }
        int ran = 0;
        int diff = compare(&s, &src, &ran);
        char order[128] = "";
        for (int i = 0; i < s.norder; i++) {
            strncat(order, strata_fx_effect_name(s.order[i]), sizeof order - strlen(order) - 2);
            strncat(order, " ", sizeof order - strlen(order) - 1);
        }
        printf("random %2d [%s] grade %d: max difference %d/255\n", c, order, c % 2, diff);
        assert_true(diff <= 1);
        total_ran += ran;
    }
    assert_true(total_ran > 20); /* the fused stages did run */
    strata_target_free(&src);
}

/* Every set of stages running, one a frame (tear, rgb, vhs, crush on and off, the grade
 * on and off: 32 sets, more than a run makes programs for): each frame equal to unfused,
 * the sets past the cap going one pass per stage. */
static void every_stage_set_fused_equals_unfused(void **state)
{
    (void)state;
    setup s;
    defaults(&s);
    const strata_fx_effect order[] = {STRATA_FX_TEAR, STRATA_FX_RGB, STRATA_FX_VHS,
                                      STRATA_FX_CRUSH};
    memcpy(s.order, order, sizeof order);
    s.norder = 4;
    strata_target src;
    assert_true(strata_target_init(&src, W, H, GL_RGBA8));
    strata_fx *fa = make_chain(&s, true), *fb = make_chain(&s, false);
    static const int amount[] = {STRATA_P_fx_tear, STRATA_P_fx_rgb, STRATA_P_fx_vhs,
                                 STRATA_P_fx_crush};
    int worst = 0;
    for (int m = 0; m < 32; m++) {
        make_picture(px, m);
        upload(&src, px);
        s.prm[STRATA_P_glitch] = 0.9f;
        for (int i = 0; i < 4; i++)
            s.prm[amount[i]] = (m >> i) & 1 ? 0.8f : 0.0f;
        s.prm[STRATA_P_saturation] = m & 16 ? 1.5f : 1.0f;
        strata_frame_uniforms u = {.time = 1.0 + m / 30.0,
                                   .frame = m,
                                   .dt = 1.0f / 30,
                                   .width = W,
                                   .height = H,
                                   .audio = &audio,
                                   .params = s.prm};
        strata_fx_inputs in = {.u = &u};
        strata_target_read(strata_fx_run(fa, &src, &in), img_a);
        strata_target_read(strata_fx_run(fb, &src, &in), img_b);
        int d = max_diff(img_a, img_b, (size_t)W * H * 4, false);
        worst = d > worst ? d : worst;
    }
    printf("32 stage sets: max difference %d/255\n", worst);
    assert_true(worst <= 1);
    strata_fx_destroy(fa);
    strata_fx_destroy(fb);
    strata_target_free(&src);
}

/* A float input (an ISF scene's float target may be the chain's source): its values lie
 * between the 8-bit steps. Tear and rgb only select, and the fused pass does not round
 * after them, so its stage 0 rounds such an input (FX_SRC_Q) as the unfused first
 * pass's RGBA8 target does; a first stage that computes (vhs) reads it as it is in both.
 * Equal to the bit, every order of the four stages that starts with each of them. */
static void float_input_fused_equals_unfused(void **state)
{
    (void)state;
    setup s;
    defaults(&s);
    s.prm[STRATA_P_glitch] = 0.9f;
    s.prm[STRATA_P_fx_tear] = 0.8f;
    s.prm[STRATA_P_fx_rgb] = 0.8f;
    s.prm[STRATA_P_fx_vhs] = 0.8f;
    s.prm[STRATA_P_fx_crush] = 0.8f;
    strata_target src;
    assert_true(strata_target_init(&src, W, H, GL_RGBA16F));
    float *fpx = malloc((size_t)W * H * 4 * sizeof *fpx);
    assert_non_null(fpx);
    make_picture(px, 0);
    /* A third of a step off the 8-bit grid, varying over the picture. */
    for (size_t i = 0; i < (size_t)W * H * 4; i++)
        fpx[i] = i % 4 == 3 ? 1.0f : ((float)px[i] + 0.1f + 0.6f * (float)(i % 7) / 7.0f) / 255.0f;
    glBindTexture(GL_TEXTURE_2D, src.tex);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, W, H, GL_RGBA, GL_FLOAT, fpx);
    free(fpx);
    static const strata_fx_effect orders[][4] = {
        {STRATA_FX_TEAR, STRATA_FX_RGB, STRATA_FX_VHS, STRATA_FX_CRUSH},
        {STRATA_FX_RGB, STRATA_FX_VHS, STRATA_FX_TEAR, STRATA_FX_CRUSH},
        {STRATA_FX_VHS, STRATA_FX_TEAR, STRATA_FX_RGB, STRATA_FX_CRUSH},
        {STRATA_FX_CRUSH, STRATA_FX_TEAR, STRATA_FX_RGB, STRATA_FX_VHS},
    };
    for (int o = 0; o < 4; o++) {
        memcpy(s.order, orders[o], sizeof orders[o]);
        s.norder = 4;
        strata_fx *fa = make_chain(&s, true), *fb = make_chain(&s, false);
        strata_frame_uniforms u = {.time = 1.0,
                                   .frame = 30,
                                   .dt = 1.0f / 30,
                                   .width = W,
                                   .height = H,
                                   .audio = &audio,
                                   .params = s.prm};
        strata_fx_inputs in = {.u = &u};
        strata_target_read(strata_fx_run(fa, &src, &in), img_a);
        strata_target_read(strata_fx_run(fb, &src, &in), img_b);
        int d = max_diff(img_a, img_b, (size_t)W * H * 4, false);
        printf("float input, %s first: max difference %d/255\n",
               strata_fx_effect_name(orders[o][0]), d);
        assert_int_equal(d, 0);
        strata_fx_destroy(fa);
        strata_fx_destroy(fb);
    }
    strata_target_free(&src);
}

/* The fused pass drawn straight into the output equals the unfused picture drawn by the
 * output pass: at the same size and letterboxed in a taller output, with a gain. */
static void present_equals_output_copy(void **state)
{
    (void)state;
    setup s;
    defaults(&s);
    s.prm[STRATA_P_glitch] = 0.8f;
    s.prm[STRATA_P_saturation] = 1.3f;
    const strata_fx_effect order[] = {STRATA_FX_BLOCK, STRATA_FX_TEAR, STRATA_FX_RGB, STRATA_FX_VHS,
                                      STRATA_FX_CRUSH};
    memcpy(s.order, order, sizeof order);
    s.norder = 5;
    strata_target src;
    assert_true(strata_target_init(&src, W, H, GL_RGBA8));
    make_picture(px, 0);
    upload(&src, px);
    const int out_h[2] = {H, H + 30};
    const float gain[2] = {1.0f, 0.7f};
    for (int k = 0; k < 2; k++) {
        strata_target dst;
        assert_true(strata_target_init(&dst, W, out_h[k], GL_RGBA8));
        strata_output_set_gain(gain[k]);
        strata_fx *fa = make_chain(&s, true), *fb = make_chain(&s, false);
        strata_frame_uniforms u = {.time = 2.0,
                                   .frame = 60,
                                   .dt = 1.0f / 30,
                                   .width = W,
                                   .height = H,
                                   .audio = &audio,
                                   .params = s.prm};
        strata_fx_inputs in = {.u = &u};
        strata_target_clear(&dst, 1, 0, 1, 1); /* the letterbox must be cleared */
        const strata_target *t =
            strata_fx_present(fa, &src, &in, &(strata_fx_output){.target = &dst});
        assert_null(t); /* drawn straight into dst */
        strata_target_read(&dst, img_a);
        strata_target_clear(&dst, 1, 0, 1, 1);
        strata_output_draw(strata_fx_run(fb, &src, &in), &dst, 0, 0);
        strata_target_read(&dst, img_b);
        int diff = max_diff(img_a, img_b, (size_t)W * out_h[k] * 4, false);
        printf("present %dx%d gain %.1f: max difference %d/255\n", W, out_h[k], gain[k], diff);
        assert_true(diff <= 1);
        if (out_h[k] > H) /* the bars: cleared black, not left magenta */
            assert_true(img_a[0] == 0 && img_a[2] == 0 && img_a[3] == 255);
        strata_fx_destroy(fa);
        strata_fx_destroy(fb);
        strata_target_free(&dst);
    }
    strata_output_set_gain(1.0f);
    /* Nothing to fuse last (sort ends the order): the picture comes back for the copy. */
    s.order[5] = STRATA_FX_SORT;
    s.norder = 6;
    s.prm[STRATA_P_fx_sort] = 1.0f;
    s.prm[STRATA_P_glitch] = 1.0f;
    strata_fx *fa = make_chain(&s, true);
    strata_frame_uniforms u = {.time = 2.0,
                               .frame = 60,
                               .dt = 1.0f / 30,
                               .width = W,
                               .height = H,
                               .audio = &audio,
                               .params = s.prm};
    strata_target dst;
    assert_true(strata_target_init(&dst, W, H, GL_RGBA8));
    assert_non_null(strata_fx_present(fa, &src, &(strata_fx_inputs){.u = &u},
                                      &(strata_fx_output){.target = &dst}));
    strata_fx_destroy(fa);
    strata_target_free(&dst);
    strata_target_free(&src);
}

/* At glitch 0 a non-neutral grade is the chain's only stage: the picture is the grade
 * pass's (post/grade.frag), which ran before the chain until the chain took it in. */
static void grade_at_glitch_zero_is_the_grade_pass(void **state)
{
    (void)state;
    setup s;
    defaults(&s);
    s.prm[STRATA_P_glitch] = 0.0f;
    s.prm[STRATA_P_hue] = 0.2f;
    s.prm[STRATA_P_saturation] = 1.4f;
    s.prm[STRATA_P_contrast] = 1.2f;
    s.prm[STRATA_P_brightness] = 0.9f;
    s.prm[STRATA_P_zoom] = 0.9f; /* zoomed out: the mirrored edges show */
    s.prm[STRATA_P_rotate] = 0.03f;
    strata_target src, ref;
    assert_true(strata_target_init(&src, W, H, GL_RGBA8));
    assert_true(strata_target_init(&ref, W, H, GL_RGBA8));
    make_picture(px, 0);
    upload(&src, px);
    strata_frame_uniforms u = {.time = 2.0,
                               .frame = 60,
                               .dt = 1.0f / 30,
                               .width = W,
                               .height = H,
                               .audio = &audio,
                               .params = s.prm};
    strata_program grade = strata_program_make("post/grade.frag", NULL);
    assert_true(strata_pass_run(
        &(strata_pass){.program = grade, .target = &ref, .u = &u, .in = {{"u_src", src.tex}}}));
    strata_target_read(&ref, img_b);
    for (int fused = 0; fused < 2; fused++) {
        strata_fx *fx = make_chain(&s, fused);
        const strata_target *t = strata_fx_run(fx, &src, &(strata_fx_inputs){.u = &u});
        assert_ptr_not_equal(t, &src);
        strata_target_read(t, img_a);
        int diff = max_diff(img_a, img_b, (size_t)W * H * 4, false);
        size_t off = 0;
        for (size_t i = 0; i < (size_t)W * H * 4; i++)
            off += img_a[i] != img_b[i];
        double share = (double)off / ((double)W * H * 3);
        printf("grade at glitch 0 (%s) vs the grade pass: max difference %d/255, %.3f%% of "
               "channels differ\n",
               fused ? "fused" : "unfused", diff, 100.0 * share);
        assert_true(diff <= 2);
        assert_true(share < 0.01);
        assert_true(max_diff(img_a, px, (size_t)W * H * 4, true) > 30); /* it did grade */
        strata_fx_destroy(fx);
    }
    strata_program_free(grade);
    strata_target_free(&src);
    strata_target_free(&ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_preset_fused_equals_unfused),
        cmocka_unit_test(random_chains_fused_equal_unfused),
        cmocka_unit_test(every_stage_set_fused_equals_unfused),
        cmocka_unit_test(float_input_fused_equals_unfused),
        cmocka_unit_test(present_equals_output_copy),
        cmocka_unit_test(grade_at_glitch_zero_is_the_grade_pass),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
