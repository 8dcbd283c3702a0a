/* fx_bench [WxH] [FRAMES] [PNG] [EFFECT|workload]: per-effect GPU ms of the fx chain at glitch 1,
 * every effect at amount 1 (feedback 0.5), on the default scene rendered once at the given
 * size (1280x720 by default). Prints one row per pass from the GPU timers. Not a test:
 * figures go to docs/BENCHMARKS.md. PNG: write the last frame there, to look at. EFFECT:
 * run that effect alone ("rgb", "sort", ...). Then the whole chain's wall time fused and
 * unfused (strata_fx_set_fused), and each effect alone. "workload": the chain as issue 12's
 * workload runs it (default shapes, parameters and order at glitch 0.5: block, then tear,
 * rgb, vhs and crush fused), whole, its block alone and its fused run alone, wall and CPU
 * per frame (CPU moves less on a machine shared with other work) and the fastest frame's
 * wall (what a shared machine's bursts move least). FX_BENCH_SHADERS=DIR: the shaders from
 * DIR instead of the built-in ones (a changed copy of shaders/, timed against them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "fx/fx.h"
#include "support/gl_fixture.h"

/* CPU ms of this process so far, every thread (llvmpipe's rasteriser threads too): on a
 * machine shared with other work this moves far less than the wall time. */
static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-3;
}

static void timed_order(strata_fx *fx, const strata_target *src, strata_frame_uniforms *u,
                        int frames, const char *label, const strata_fx_effect *order, int n);

/* Wall ms per frame, glFinish included, of the chain running one effect at a time.
 * llvmpipe renders a pass when the next one binds its target or at glFinish, so its
 * timer queries can credit a pass's work to its successor; the wall time of a lone
 * effect cannot be misattributed. */
static void solo_table(strata_fx *fx, const strata_target *src, strata_frame_uniforms *u,
                       int frames)
{
    printf("\neach effect alone: ms per frame incl. glFinish, wall, CPU (all threads) and the "
           "fastest frame's wall\n");
    for (int e = 0; e < STRATA_FX_COUNT; e++) {
        strata_fx_effect one = (strata_fx_effect)e;
        timed_order(fx, src, u, frames, strata_fx_effect_name(one), &one, 1);
    }
}

/* What a new order costs once (its fused programs are made in strata_fx_set_order), and
 * what a frame costs that first needs a set of stages not made yet (llvmpipe compiles
 * a program's code at its first draw), against the same frame again. */
static void compile_table(strata_fx *fx, const strata_target *src, strata_frame_uniforms *u,
                          float *prm)
{
    const strata_fx_effect order[] = {STRATA_FX_CRUSH, STRATA_FX_VHS, STRATA_FX_RGB,
                                      STRATA_FX_TEAR};
    uint64_t t0 = strata_time_ns();
    strata_fx_set_order(fx, order, 4);
    double make = (double)(strata_time_ns() - t0) * 1e-6;
    double ms[3];
    for (int k = 0; k < 3; k++) {
        prm[STRATA_P_fx_vhs] = k == 2 ? 0.0f : 1.0f; /* the third frame: a new set */
        t0 = strata_time_ns();
        strata_fx_run(fx, src, &(strata_fx_inputs){.u = u});
        glFinish();
        ms[k] = (double)(strata_time_ns() - t0) * 1e-6;
    }
    prm[STRATA_P_fx_vhs] = 1.0f;
    printf("\nnew order (4 stages): made in %.1f ms; first frame %.1f ms, then %.1f; a frame "
           "with a new set of stages %.1f ms\n",
           make, ms[0], ms[1], ms[2]);
}

/* Wall and CPU ms per frame, glFinish included, of the chain as it is set, after three
 * frames that make its programs and fill its histories. */
static void timed_frames(strata_fx *fx, const strata_target *src, strata_frame_uniforms *u,
                         int frames, const char *label)
{
    strata_fx_reset(fx);
    for (int f = 0; f < 3; f++) {
        u->frame = f;
        strata_fx_run(fx, src, &(strata_fx_inputs){.u = u});
        glFinish();
    }
    uint64_t t0 = strata_time_ns();
    double c0 = cpu_ms(), best = 1e9;
    for (int f = 3; f < frames + 3; f++) {
        u->frame = f;
        u->time = 1.0 + f / 30.0;
        uint64_t f0 = strata_time_ns();
        strata_fx_run(fx, src, &(strata_fx_inputs){.u = u});
        glFinish();
        double ms = (double)(strata_time_ns() - f0) * 1e-6;
        best = ms < best ? ms : best;
    }
    printf("%-10s %9.2f %9.2f %9.2f\n", label, (double)(strata_time_ns() - t0) * 1e-6 / frames,
           (cpu_ms() - c0) / frames, best);
}

/* The same, of the chain in `order` (n 0: default). */
static void timed_order(strata_fx *fx, const strata_target *src, strata_frame_uniforms *u,
                        int frames, const char *label, const strata_fx_effect *order, int n)
{
    strata_fx_effect all[STRATA_FX_COUNT];
    for (int i = 0; i < STRATA_FX_COUNT; i++)
        all[i] = (strata_fx_effect)i;
    strata_fx_set_order(fx, n ? order : all, n ? n : STRATA_FX_COUNT);
    timed_frames(fx, src, u, frames, label);
}

static void workload_table(strata_fx *fx, const strata_target *src, strata_frame_uniforms *u,
                           int frames)
{
    const strata_fx_effect block = STRATA_FX_BLOCK;
    const strata_fx_effect pixel[] = {STRATA_FX_TEAR, STRATA_FX_RGB, STRATA_FX_VHS,
                                      STRATA_FX_CRUSH};
    float a[STRATA_FX_COUNT];
    strata_fx_amounts(fx, a);
    printf("\nworkload amounts:");
    for (int e = 0; e < STRATA_FX_COUNT; e++)
        printf(" %s %.3f", strata_fx_effect_name((strata_fx_effect)e), (double)a[e]);
    printf("\nms per frame incl. glFinish, wall, CPU (all threads) and the fastest frame's wall\n");
    timed_order(fx, src, u, frames, "whole", NULL, 0);
    timed_order(fx, src, u, frames, "block", &block, 1);
    timed_order(fx, src, u, frames, "fused", pixel, 4);
}

/* Wall ms per frame, glFinish included, of the whole chain fused and one pass per stage. */
static void fused_table(strata_fx *fx, const strata_target *src, strata_frame_uniforms *u,
                        int frames)
{
    printf("\nthe whole chain: ms per frame incl. glFinish, wall, CPU (all threads) and the "
           "fastest frame's wall\n");
    for (int fused = 1; fused >= 0; fused--) {
        strata_fx_set_fused(fx, fused);
        timed_frames(fx, src, u, frames, fused ? "fused" : "unfused");
    }
    strata_fx_set_fused(fx, true);
}

int main(int argc, char **argv)
{
    int w = 1280, h = 720, frames = 60;
    if (argc > 1 && sscanf(argv[1], "%dx%d", &w, &h) != 2) {
        fprintf(stderr, "usage: fx_bench [WxH] [FRAMES]\n");
        return 2;
    }
    if (argc > 2)
        frames = atoi(argv[2]);
    if (frames < 1)
        frames = 1;
    const char *png = argc > 3 ? argv[3] : NULL;
    bool workload = argc > 4 && !strcmp(argv[4], "workload");
    int only = argc > 4 ? strata_fx_effect_find(argv[4]) : -1;
    strata_gl gl;
    if (!test_gl_open(&gl, getenv("FX_BENCH_SHADERS")))
        return 1;
    strata_audio_frame audio;
    strata_audio_frame_silence(&audio);
    strata_uniforms_upload_audio(&audio);
    strata_params prm;
    strata_params_init(&prm);
    prm.value[STRATA_P_glitch] = workload ? 0.5f : 1.0f;
    prm.value[STRATA_P_feedback] = workload ? prm.value[STRATA_P_feedback] : 0.5f;
    for (int i = 0; !workload && i < STRATA_PARAM_COUNT; i++)
        if (!strncmp(strata_param_defs[i].name, "fx_", 3) &&
            strcmp(strata_param_defs[i].name, "fx_sort_threshold") != 0)
            prm.value[i] = 1.0f;
    if (!workload) {
        prm.value[STRATA_P_fx_trails_zoom] = 0.2f;
        prm.value[STRATA_P_fx_trails_rotate] = 0.2f;
    }

    strata_target src;
    if (!strata_target_init(&src, w, h, GL_RGBA8))
        return 1;
    strata_frame_uniforms u = {.time = 1.0,
                               .dt = 1.0f / 30,
                               .width = w,
                               .height = h,
                               .audio = &audio,
                               .bpm = 120,
                               .params = prm.value};
    strata_program scene = strata_program_make("scenes/pattern.frag", NULL);
    strata_target_bind(&src);
    if (strata_program_use(scene)) {
        strata_uniforms_apply(scene, &u);
        strata_draw_fullscreen();
    }
    strata_result r = {0};
    strata_fx *fx = strata_fx_create(w, h, &r);
    if (!fx) {
        fprintf(stderr, "fx_bench: %s\n", r.msg);
        return 1;
    }
    for (int i = 0; !workload && i < STRATA_FX_COUNT; i++)
        strata_fx_set_shape(fx, i, (strata_fx_shape){STRATA_FX_CURVE_LINEAR, 0, 0});
    if (only >= 0) {
        strata_fx_effect e = (strata_fx_effect)only;
        strata_fx_set_order(fx, &e, 1);
        if (only != STRATA_FX_TRAILS)
            prm.value[STRATA_P_feedback] = 0.0f;
    }
    /* Warm up: the first frames carry llvmpipe's shader JIT, not the passes' cost. */
    const strata_target *out = &src;
    for (int f = 0; f < 5; f++) {
        u.frame = f;
        out = strata_fx_run(fx, &src, &(strata_fx_inputs){.u = &u});
        glFinish();
    }
    strata_pass_time t[STRATA_MAX_PASSES];
    double sum_ms[STRATA_MAX_PASSES] = {0}, peak_ms[STRATA_MAX_PASSES] = {0};
    int count[STRATA_MAX_PASSES] = {0}, n = 0;
    uint64_t t0 = strata_time_ns();
    double c0 = cpu_ms();
    for (int f = 5; f < frames + 5; f++) {
        u.frame = f;
        u.time = 1.0 + f / 30.0;
        out = strata_fx_run(fx, &src, &(strata_fx_inputs){.u = &u});
        glFinish(); /* one frame at a time, and every timer query of it is done */
        n = strata_gpu_report(t, STRATA_MAX_PASSES);
        for (int i = 0; i < n; i++) {
            if (t[i].gpu_ms < 0)
                continue;
            sum_ms[i] += t[i].gpu_ms;
            peak_ms[i] = t[i].gpu_ms > peak_ms[i] ? t[i].gpu_ms : peak_ms[i];
            count[i]++;
        }
    }
    double wall = (double)(strata_time_ns() - t0) * 1e-6 / frames;
    double cpu = (cpu_ms() - c0) / frames;
    printf("fx chain %dx%d, %d frames, glitch 1, every amount 1, feedback 0.5\n", w, h, frames);
    printf("%-10s %9s %9s\n", "pass", "mean ms", "peak ms");
    double total = 0;
    for (int i = 0; i < n; i++) {
        double mean = count[i] ? sum_ms[i] / count[i] : -1;
        printf("%-10s %9.2f %9.2f\n", t[i].name, mean, peak_ms[i]);
        total += mean > 0 ? mean : 0;
    }
    printf("%-10s %9.2f   (ms per chain frame incl. glFinish: wall %.2f, CPU %.2f)\n", "sum", total,
           wall, cpu);
    if (png) {
        uint8_t *px = malloc((size_t)w * h * 4);
        if (px) {
            strata_target_read(out, px);
            if (strata_png_write(png, w, h, px, &r) != STRATA_OK)
                fprintf(stderr, "fx_bench: %s\n", r.msg);
            free(px);
        }
    }
    if (workload) {
        workload_table(fx, &src, &u, frames);
    } else if (only < 0) {
        fused_table(fx, &src, &u, frames);
        compile_table(fx, &src, &u, prm.value);
        solo_table(fx, &src, &u, frames);
    }
    strata_fx_destroy(fx);
    strata_target_free(&src);
    test_gl_close(&gl);
    return 0;
}
