/* bench_morph [WxH] [runs] [base] [frame.png]: where the flow morph's time goes, stage by
 * stage, on two generated keyframes (a textured scene and the same scene moved and zoomed,
 * so the flow has real work; BENCH_UNRELATED=1: the second turned upside down and mirrored, an
 * unrelated pair), and what a cheaper estimate costs in quality.
 *
 * Time: each stage of a transition (the pyramids, the A->B estimate, the B->A estimate
 * with the two confidence checks) and the per-frame pair (splat + compose), each ended by
 * glFinish, median wall ms over the runs; the GPU timers of every pass name beside them.
 * Quality (base given): in-between frames at t = 0.25, 0.5, 0.75 of the default estimate
 * against one whose base level is `base` texels wide (a quarter of the width was the
 * default before): mean abs difference (0..255), max and PSNR. Figures for /work/notes and docs;
 * nothing here asserts a time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "morph/morph.h"
#include "support/gl_fixture.h"
#include "support/image.h"

/* A scene in its own units (0..1 across the width): rock texture under a sky gradient,
 * three discs. move shifts the discs and zooms the ground, as a camera and things do. */
static void scene(uint8_t *p, int w, int h, float move)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float u = (float)x / w, v = (float)y / h;
            float zu = 0.5f + (u - 0.5f) / (1.0f + 0.15f * move);
            float zv = 0.5f + (v - 0.5f) / (1.0f + 0.15f * move);
            float n = test_noise(zu * 640.0f, zv * 640.0f, 3),
                  m = test_noise(zu * 640.0f, zv * 640.0f, 17);
            float r = 0.25f + 0.5f * n, g = 0.3f + 0.4f * m, b = 0.2f + 0.3f * n * m;
            if (v < 0.35f)
                r = 0.3f + 0.4f * v, g = 0.5f + 0.3f * v, b = 0.95f - 0.4f * v;
            for (int k = 0; k < 3; k++) {
                float cx = 0.2f + 0.3f * k + 0.12f * move * (k == 1 ? -1.0f : 1.0f);
                float cy = 0.5f + 0.1f * k - 0.05f * move;
                if (hypotf((u - cx) * w, (v - cy) * w) < 0.06f * w)
                    r = 0.9f - 0.3f * k, g = 0.3f + 0.25f * k, b = 0.4f;
            }
            uint8_t *q = p + ((size_t)(h - 1 - y) * w + x) * 4; /* GL rows: bottom first */
            q[0] = (uint8_t)(fminf(fmaxf(r, 0), 1) * 255 + 0.5f);
            q[1] = (uint8_t)(fminf(fmaxf(g, 0), 1) * 255 + 0.5f);
            q[2] = (uint8_t)(fminf(fmaxf(b, 0), 1) * 255 + 0.5f);
            q[3] = 255;
        }
}

static GLuint make_texture(int w, int h, float move)
{
    uint8_t *p = malloc((size_t)w * h * 4);
    scene(p, w, h, move);
    if (move > 0 && getenv("BENCH_UNRELATED")) {
        /* An unrelated second picture: the first one turned upside down and mirrored. */
        for (size_t i = 0, n = (size_t)w * h; i < n / 2; i++)
            for (int c = 0; c < 4; c++) {
                uint8_t t = p[i * 4 + c];
                p[i * 4 + c] = p[(n - 1 - i) * 4 + c];
                p[(n - 1 - i) * 4 + c] = t;
            }
    }
    GLuint t;
    glGenTextures(1, &t);
    glBindTexture(GL_TEXTURE_2D, t);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, p);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    free(p);
    return t;
}

/* Wall ms, or with BENCH_CPU=1 the CPU ms of the whole process (llvmpipe's rasteriser
 * threads included): on a shared machine under load, wall time measures the neighbours. */
static double now_ms(void)
{
    static int cpu = -1;
    if (cpu < 0)
        cpu = getenv("BENCH_CPU") != NULL;
    if (cpu) {
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
    }
    return strata_time_s() * 1000.0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n ? v[n / 2] : 0;
}

#define MAXR 64

int main(int argc, char **argv)
{
    int w = 1280, h = 720, runs = 5, base = 0;
    if (argc > 1 && !strata_parse_size(argv[1], &w, &h))
        return 2;
    if (argc > 2)
        runs = atoi(argv[2]);
    if (argc > 3)
        base = atoi(argv[3]);
    if (runs < 1 || runs > MAXR)
        runs = 5;
    strata_gl gl;
    if (!test_gl_open(&gl, NULL))
        return 1;
    GLuint a = make_texture(w, h, 0.0f), b = make_texture(w, h, 1.0f);
    strata_target out;
    strata_target_init(&out, w, h, GL_RGBA8);
    strata_flow *f = strata_flow_create(w, h);
    /* The staged estimate's steps (one a frame live), then one frame of the morph. */
    enum { STEPS = 5, FRAME = STEPS, BLEND, N };
    const char *names[N] = {"step 1",           "step 2", "step 3",
                            "step 4",           "step 5", "frame (splat + compose)",
                            "blend (for scale)"};
    static double ms[N][MAXR], cold[N]; /* cold: the first run, which compiles the shaders */
    int nsteps = 0;
    for (int r = 0; r < runs + 1; r++) {
        glFinish();
        strata_flow_begin(f, a, b);
        bool done = false;
        for (int s = 0; s < STEPS && !done; s++) {
            double t0 = now_ms();
            done = strata_flow_step(f);
            glFinish();
            if (r > 0) /* the first run compiles and warms caches */
                ms[s][r - 1] = now_ms() - t0;
            else
                cold[s] = now_ms() - t0;
            nsteps = s + 1;
        }
        double t0 = now_ms();
        strata_flow_compose(f, a, b, 0.3f + 0.1f * (float)(r % 3), &out);
        glFinish();
        if (r > 0)
            ms[FRAME][r - 1] = now_ms() - t0;
        else
            cold[FRAME] = now_ms() - t0;
        t0 = now_ms();
        strata_blend_draw(a, b, 0.5f, &out);
        glFinish();
        if (r > 0)
            ms[BLEND][r - 1] = now_ms() - t0;
    }
    int bw, bh;
    strata_flow_base_size(f, &bw, &bh);
    printf(
        "bench_morph %dx%d on %s: flow base %dx%d, median (and min) of %d runs (wall, glFinish)\n",
        w, h, gl.renderer, bw, bh, runs);
    double worst = 0;
    for (int s = 0; s < N; s++) {
        if (s >= nsteps && s < STEPS)
            continue;
        double m = median(ms[s], runs); /* sorts ms[s] */
        printf("  %-32s %8.2f ms (min %.2f, cold %.2f)\n", names[s], m, ms[s][0], cold[s]);
        worst = s < STEPS && m > worst ? m : worst;
    }
    printf("  worst estimate frame             %8.2f ms\n", worst);
    strata_pass_time pt[STRATA_MAX_PASSES];
    int n = strata_gpu_report(pt, STRATA_MAX_PASSES);
    printf("  GPU timers (last run, ms):");
    for (int i = 0; i < n; i++)
        printf(" %s %.2f", pt[i].name, pt[i].gpu_ms);
    printf("\n");
    if (argc > 4) {
        /* The frame at t = 0.5 as a PNG, to compare builds (formats, shaders) with imgcmp. */
        uint8_t *px = malloc((size_t)w * h * 4);
        strata_flow_estimate(f, a, b);
        strata_flow_compose(f, a, b, 0.5f, &out);
        strata_target_read(&out, px);
        strata_png_write(argv[4], w, h, px, NULL);
        free(px);
    }
    if (base > 0) {
        strata_flow *g = strata_flow_create_base(w, h, base);
        strata_flow_estimate(f, a, b);
        strata_flow_estimate(g, a, b);
        int fw, fh;
        strata_flow_base_size(f, &fw, &fh);
        strata_flow_base_size(g, &bw, &bh);
        uint8_t *p0 = malloc((size_t)w * h * 4), *p1 = malloc((size_t)w * h * 4);
        for (int k = 1; k <= 3; k++) {
            float t = 0.25f * (float)k;
            strata_flow_compose(f, a, b, t, &out);
            strata_target_read(&out, p0);
            strata_flow_compose(g, a, b, t, &out);
            strata_target_read(&out, p1);
            image_diff d;
            test_image_diff_rgba(p0, p1, (size_t)w * h, &d);
            printf("  base %dx%d vs %dx%d at t=%.2f: mean abs %.3f, max %d, PSNR %.1f dB\n", fw, fh,
                   bw, bh, t, d.mean_abs, d.max_abs, d.psnr);
        }
        free(p0);
        free(p1);
        strata_flow_destroy(g);
    }
    strata_flow_destroy(f);
    strata_target_free(&out);
    test_gl_close(&gl);
    return 0;
}
