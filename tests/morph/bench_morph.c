/* bench_morph [WxH] [frames]: GPU and wall time of each morph piece (blend, flow
 * estimate, flow compose, latent) on two synthetic keyframes. Figures for
 * docs/BENCHMARKS.md; nothing here asserts a time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "morph/morph.h"
#include "support/gl_fixture.h"

static GLuint make_texture(int w, int h, int seed)
{
    uint8_t *p = malloc((size_t)w * h * 4);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * w + x) * 4;
            double cx = w * (0.3 + 0.4 * seed), cy = h * 0.5;
            double d = hypot(x - cx, y - cy) / h;
            q[0] = (uint8_t)(127 + 127 * sin(x * 0.02 + seed));
            q[1] = (uint8_t)(d < 0.2 ? 255 : 60);
            q[2] = (uint8_t)(127 + 127 * cos(y * 0.03 - seed));
            q[3] = 255;
        }
    GLuint t;
    glGenTextures(1, &t);
    glBindTexture(GL_TEXTURE_2D, t);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, p);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    free(p);
    return t;
}

static double now_ms(void)
{
    return strata_time_s() * 1000.0;
}

int main(int argc, char **argv)
{
    int w = 1280, h = 720, frames = 20;
    if (argc > 1 && !strata_parse_size(argv[1], &w, &h))
        return 2;
    if (argc > 2)
        frames = atoi(argv[2]);
    strata_gl gl;
    if (!test_gl_open(&gl, NULL))
        return 1;
    GLuint a = make_texture(w, h, 0), b = make_texture(w, h, 1);
    strata_target out;
    strata_target_init(&out, w, h, GL_RGBA8);
    strata_flow *f = strata_flow_create(w, h);
    static strata_cppn c;
    strata_cppn_init(&c, 7, 16, NULL);
    float z[16];
    strata_cppn_random_latent(7, 1, 16, z);
    strata_audio_frame af;
    strata_audio_frame_silence(&af);
    strata_params p;
    strata_params_init(&p);
    strata_frame_uniforms u = {.width = w, .height = h, .audio = &af, .params = p.value};
    const char *names[4] = {"blend", "flow estimate", "flow compose", "latent (full res)"};
    double wall[4] = {0};
    for (int k = 0; k < 4; k++) {
        for (int i = 0; i < frames + 2; i++) {
            double t0 = now_ms();
            strata_gpu_begin(names[k]);
            if (k == 0)
                strata_blend_draw(a, b, 0.5f, &out);
            else if (k == 1)
                strata_flow_estimate(f, a, b);
            else if (k == 2)
                strata_flow_compose(f, a, b, (float)i / frames, &out);
            else
                strata_latent_draw(&c, z, &out, &u);
            strata_gpu_end();
            glFinish();
            if (i >= 2) /* the first runs compile and warm caches */
                wall[k] += now_ms() - t0;
        }
    }
    strata_pass_time pt[STRATA_MAX_PASSES];
    int n = strata_gpu_report(pt, STRATA_MAX_PASSES);
    printf("bench_morph %dx%d on %s, %d runs each\n", w, h, gl.renderer, frames);
    for (int k = 0; k < 4; k++) {
        double gpu = -1;
        for (int i = 0; i < n; i++)
            if (!strcmp(pt[i].name, names[k]))
                gpu = pt[i].gpu_avg_ms;
        printf("  %-18s wall %7.2f ms   gpu %7.2f ms\n", names[k], wall[k] / frames, gpu);
    }
    strata_flow_destroy(f);
    strata_target_free(&out);
    test_gl_close(&gl);
    return 0;
}
