/* neural: the GPU decoder (GL 4.3 compute, llvmpipe under SDL's offscreen driver) held
 * to the CPU reference: TAESD models of every family (4, 16 and 32 channels with pools)
 * with seeded weights written as real safetensors files, square and non-square latents,
 * the TAEF2 weights on the golden latent when ../shared/models/taef2 is there; the GPU
 * encoder (stride-2 convs) against the CPU reference, seeded and TAEF2 (golden figures),
 * and each handle keeping to its role; compute
 * programs with file:line errors and hot reload; the stage timers; bad arguments.
 * Run with --gl33 (and MESA_GL_VERSION_OVERRIDE=3.3) it checks the GL 3.3 refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "neural/neural.h"
#include "neural_fixtures.h"
#include "support/gl_fixture.h"

static strata_gl gl;
static char dir[64];

static void write_file(const char *rel, const char *text)
{
    assert_true(test_shader_write(dir, rel, text));
}

static int setup(void **state)
{
    (void)state;
    if (!test_shader_dir_copy(dir, sizeof dir))
        return -1;
    return test_gl_open(&gl, dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    test_gl_close(&gl);
    return test_dir_remove(dir) ? 0 : -1;
}

/* A decoder of the family, weights from the seed, through a real file and the loader.
 * The last conv is scaled and its bias set to 0.5 so that the picture spans much of 0..1
 * without the clamp hiding differences. */
static strata_taesd *random_decoder(int channels, bool pools, uint32_t seed)
{
    static nf_list l;
    nf_taesd(&l, channels, true, pools, seed);
    assert_true(nf_taesd_visible(&l));
    char path[] = "/tmp/strata-neural-gpu-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_true(nf_write(path, &l));
    nf_free(&l);
    strata_taesd *m = NULL;
    strata_result r = {0};
    strata_status st = strata_taesd_load(path, &m, &r);
    unlink(path);
    if (st != STRATA_OK)
        fail_msg("loading the fixture: %s", r.msg);
    assert_int_equal(m->latent_channels, channels);
    return m;
}

static float *wave_latent(int c, int lh, int lw)
{
    float *l = malloc((size_t)c * lh * lw * sizeof *l);
    for (int k = 0; k < c; k++)
        for (int y = 0; y < lh; y++)
            for (int x = 0; x < lw; x++)
                l[((size_t)k * lh + y) * lw + x] = 2.0f * sinf(0.7f * k + 0.9f * x + 1.3f * y);
    return l;
}

typedef struct decoded {
    int w, h;
    uint8_t *gpu;  /* RGBA, top row first */
    float *cpu;    /* [3][h][w], before the clamp */
    int max_diff;  /* largest |gpu - round(255 clamp(cpu))| over R, G, B */
    double spread; /* standard deviation of the clamped CPU picture, 0..1 */
    double inside; /* share of CPU values strictly inside (0.02, 0.98) */
} decoded;

static void decode_both(const strata_taesd *m, strata_neural_gpu *g, const float *latent, int lh,
                        int lw, decoded *d)
{
    d->w = 8 * lw;
    d->h = 8 * lh;
    size_t n = (size_t)d->w * d->h;
    d->gpu = malloc(n * 4);
    d->cpu = malloc(n * 3 * sizeof(float));
    assert_true(strata_taesd_decode_cpu(m, latent, lh, lw, d->cpu));
    strata_target t;
    assert_true(strata_target_init(&t, d->w, d->h, GL_RGBA8));
    assert_true(strata_neural_gpu_decode(g, latent, lh, lw, &t));
    strata_target_read(&t, d->gpu);
    strata_target_free(&t);
    assert_int_equal(glGetError(), GL_NO_ERROR);
    d->max_diff = 0;
    double sum = 0, sq = 0, inside = 0;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++) {
            float v = d->cpu[c * n + i];
            inside += v > 0.02f && v < 0.98f;
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            sum += v;
            sq += (double)v * v;
            int diff = abs((int)d->gpu[i * 4 + c] - (int)lrintf(v * 255.0f));
            if (diff > d->max_diff)
                d->max_diff = diff;
        }
    double mean = sum / (3.0 * n);
    d->spread = sqrt(sq / (3.0 * n) - mean * mean);
    d->inside = inside / (3.0 * n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(d->gpu[i * 4 + 3], 255);
}

static void decoded_free(decoded *d)
{
    free(d->gpu);
    free(d->cpu);
}

/* GPU within 2/255 of the CPU reference on a picture that is not flat. */
static void expect_close(const strata_taesd *m, strata_neural_gpu *g, int lh, int lw,
                         const char *what)
{
    float *latent = wave_latent(m->latent_channels, lh, lw);
    decoded d;
    decode_both(m, g, latent, lh, lw, &d);
    fprintf(stderr, "%s %dx%d latent: max |GPU - CPU| %d/255, spread %.5f, inside %.4f\n", what, lw,
            lh, d.max_diff, d.spread, d.inside);
    assert_true(d.max_diff <= 2);
    assert_true(d.spread > 0.02); /* a picture, so the comparison can fail */
    assert_true(d.inside > 0.3);
    decoded_free(&d);
    free(latent);
}

static void family(int channels, bool pools, uint32_t seed, const char *what)
{
    strata_taesd *m = random_decoder(channels, pools, seed);
    strata_result r = {0};
    strata_neural_gpu *g = strata_neural_gpu_create(m, &r);
    if (!g)
        fail_msg("create: %s", r.msg);
    /* non-square first (5x3: partial tiles at every stage, 40 and 24 are not multiples of
     * the 16-pixel tiles), then a larger latent: the buffers grow */
    expect_close(m, g, 3, 5, what);
    expect_close(m, g, 8, 8, what);
    strata_neural_gpu_destroy(g);
    strata_taesd_free(m);
}

static void sd_family_matches_cpu(void **state)
{
    (void)state;
    family(4, false, 11, "taesd (4 ch)");
}

static void sd3_family_matches_cpu(void **state)
{
    (void)state;
    family(16, false, 12, "taesd3 (16 ch)");
}

static void f2_family_with_pools_matches_cpu(void **state)
{
    (void)state;
    family(32, true, 13, "taef2-like (32 ch, pools)");
}

/* The real TAEF2 decoder on the golden latent of issue 10. */
static void taef2_matches_cpu_and_golden(void **state)
{
    (void)state;
    strata_taesd *m;
    NF_TAEF2_OR_SKIP(m, "taef2_decoder.safetensors");
    strata_result r = {0};
    strata_neural_gpu *g = strata_neural_gpu_create(m, &r);
    if (!g)
        fail_msg("create: %s", r.msg);
    float *latent = wave_latent(32, 8, 8);
    decoded d;
    decode_both(m, g, latent, 8, 8, &d);
    fprintf(stderr, "taef2 8x8: max |GPU - CPU| %d/255\n", d.max_diff);
    assert_true(d.max_diff <= 2);
    /* pixels of the independent PyTorch decode (issue 10), before the clamp */
    static const struct {
        int x, y;
        float rgb[3];
    } golden[] = {{0, 0, {0.7121f, 0.5143f, 0.5380f}},
                  {31, 17, {0.6921f, 0.6602f, 0.6047f}},
                  {63, 63, {0.1877f, 0.1996f, 0.2229f}},
                  {10, 50, {0.1946f, 0.1751f, 0.1784f}}};
    for (size_t i = 0; i < sizeof golden / sizeof *golden; i++)
        for (int c = 0; c < 3; c++) {
            int got = d.gpu[((size_t)golden[i].y * 64 + golden[i].x) * 4 + c];
            assert_true(abs(got - (int)lrintf(golden[i].rgb[c] * 255.0f)) <= 2);
        }
    decoded_free(&d);
    free(latent);
    strata_neural_gpu_destroy(g);
    strata_taesd_free(m);
}

/* Each stage has its GPU timer, as the overlay and --stats show them. */
static void stages_are_timed(void **state)
{
    (void)state;
    strata_taesd *m = random_decoder(4, false, 21);
    strata_result r = {0};
    strata_neural_gpu *g = strata_neural_gpu_create(m, &r);
    assert_non_null(g);
    float *latent = wave_latent(4, 2, 3);
    strata_target t;
    assert_true(strata_target_init(&t, 24, 16, GL_RGBA8));
    assert_true(strata_neural_gpu_decode(g, latent, 2, 3, &t));
    glFinish();
    strata_pass_time pt[STRATA_MAX_PASSES];
    int np = strata_gpu_report(pt, STRATA_MAX_PASSES);
    const char *want[] = {"neural_1x", "neural_2x", "neural_4x", "neural_8x"};
    for (int k = 0; k < 4; k++) {
        bool seen = false;
        for (int i = 0; i < np; i++)
            if (!strcmp(pt[i].name, want[k])) {
                seen = true;
                assert_true(pt[i].gpu_ms >= 0);
            }
        if (!seen)
            fail_msg("no timer %s", want[k]);
    }
    /* Wrong targets and latent sizes are refused, and nothing is drawn. */
    assert_false(strata_neural_gpu_decode(g, latent, 3, 2, &t));
    assert_false(strata_neural_gpu_decode(g, latent, 0, 3, &t));
    assert_false(strata_neural_gpu_decode(g, latent, 2, 129, &t));
    strata_target_free(&t);
    free(latent);
    strata_neural_gpu_destroy(g);
    strata_taesd_free(m);
}

static void read_target(const strata_target *t, uint8_t *px)
{
    strata_target_read(t, px);
    assert_int_equal(glGetError(), GL_NO_ERROR);
}

/* A decode split over steps (frames) gives the one-shot picture byte for byte, and until
 * its last pass the target keeps the previous picture. */
static void split_decode_equals_one_shot(void **state)
{
    (void)state;
    strata_taesd *m = random_decoder(32, true, 23);
    strata_result r = {0};
    strata_neural_gpu *g = strata_neural_gpu_create(m, &r);
    assert_non_null(g);
    float *a = wave_latent(32, 2, 3), *b = wave_latent(32, 2, 3);
    for (int i = 0; i < 32 * 6; i++)
        b[i] = -b[i];
    strata_target t;
    assert_true(strata_target_init(&t, 24, 16, GL_RGBA8));
    static uint8_t pa[24 * 16 * 4], pb[24 * 16 * 4], px[24 * 16 * 4];
    assert_true(strata_neural_gpu_decode(g, b, 2, 3, &t));
    read_target(&t, pb);
    assert_true(strata_neural_gpu_decode(g, a, 2, 3, &t));
    read_target(&t, pa);
    assert_true(memcmp(pa, pb, sizeof pa) != 0);

    assert_int_equal(strata_neural_gpu_step(g, 5), -1); /* nothing under way */
    assert_true(strata_neural_gpu_begin(g, b, 2, 3, &t));
    int passes = strata_neural_gpu_passes(g);
    /* taef2: conv, 3 Blocks with pools (conv1x1, GroupNorm statistics, conv1x1, 3 convs),
     * then 3 x (conv, 3 Blocks) less 2 Blocks at the last stage, and the last conv */
    assert_int_equal(passes, 1 + 3 * 6 + 2 * (1 + 3 * 3) + (1 + 3) + 1);
    int left = passes, steps = 0;
    while (left > 0) {
        int now = strata_neural_gpu_step(g, 7);
        assert_int_equal(now, left > 7 ? left - 7 : 0);
        left = now;
        steps++;
        if (left > 0) {
            read_target(&t, px);
            assert_memory_equal(px, pa, sizeof px); /* still the previous picture */
        }
    }
    assert_int_equal(steps, (passes + 6) / 7);
    read_target(&t, px);
    assert_memory_equal(px, pb, sizeof px);
    assert_int_equal(strata_neural_gpu_passes(g), 0);
    strata_target_free(&t);
    free(a);
    free(b);
    strata_neural_gpu_destroy(g);
    strata_taesd_free(m);
}

/* A decoder made again and again (a model per scene, for months) shares its programs:
 * the program table (128) never fills. */
static void decoder_made_again_and_again(void **state)
{
    (void)state;
    strata_taesd *m = random_decoder(4, false, 22);
    for (int i = 0; i < 100; i++) {
        strata_result r = {0};
        strata_neural_gpu *g = strata_neural_gpu_create(m, &r);
        if (!g)
            fail_msg("create #%d: %s", i + 1, r.msg);
        strata_neural_gpu_destroy(g);
    }
    strata_taesd_free(m);
}

/* An encoder of the family, weights from the seed, through bytes in memory. */
static strata_taesd *random_encoder(int channels, bool pools, uint32_t seed)
{
    static nf_list l;
    nf_taesd(&l, channels, false, pools, seed);
    strata_result r = {0};
    strata_taesd *m = nf_taesd_model(&l, "enc.safetensors", &r);
    nf_free(&l);
    if (!m)
        fail_msg("loading the fixture: %s", r.msg);
    assert_int_equal(m->role, STRATA_TAESD_ENCODER);
    return m;
}

/* Issue 10's encoder picture: R = 4x/255, G = 4y/255, B = (128 + 100 sin((x+y)/6))/255,
 * planar [3][h][w], top row first. */
static float *golden_picture(int h, int w)
{
    float *p = malloc(sizeof(float) * 3 * (size_t)h * w);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x, n = (size_t)h * w;
            p[i] = 4.0f * x / 255.0f;
            p[n + i] = 4.0f * y / 255.0f;
            p[2 * n + i] = (128.0f + 100.0f * sinf((x + y) / 6.0f)) / 255.0f;
        }
    return p;
}

typedef struct encoded {
    float *gpu, *cpu;
    size_t n;
    double std, max_diff; /* the CPU latent's std; max |GPU - CPU| */
} encoded;

static void encode_both(const strata_taesd *m, strata_neural_gpu *g, const float *rgb, int h,
                        int w, encoded *e)
{
    e->n = (size_t)m->latent_channels * (h / 8) * (w / 8);
    e->gpu = malloc(e->n * sizeof(float));
    e->cpu = malloc(e->n * sizeof(float));
    assert_true(strata_taesd_encode_cpu(m, rgb, h, w, e->cpu));
    strata_result r = {0};
    for (size_t i = 0; i < e->n; i++)
        e->gpu[i] = NAN; /* every value must be written */
    if (!strata_neural_gpu_encode(g, rgb, h, w, e->gpu, &r))
        fail_msg("encode: %s", r.msg);
    double s = 0, ss = 0;
    e->max_diff = 0;
    for (size_t i = 0; i < e->n; i++) {
        s += e->cpu[i], ss += (double)e->cpu[i] * e->cpu[i];
        double d = fabs((double)e->gpu[i] - e->cpu[i]);
        if (!(d <= e->max_diff))
            e->max_diff = isnan(d) ? INFINITY : d;
    }
    double mean = s / (double)e->n;
    e->std = sqrt(ss / (double)e->n - mean * mean);
}

static void encoded_free(encoded *e)
{
    free(e->gpu);
    free(e->cpu);
}

/* GPU vs CPU: max |diff| under 1e-4 of the latent's std. Both are fp32 over the same
 * weights; only the order of the sums differs (the GPU adds 8-channel blocks of taps),
 * which over ~20 convs of 576 terms moves values by a few 1e-6 relative: 1e-4 leaves
 * room for drivers that fuse multiply-adds and still catches any wrong tap, stride,
 * offset or border (each moves values by a sizeable part of the std). */
#define ENC_TOL 1e-4

/* Seeded 4- and 16-channel encoders on a non-square picture whose sides halve to odd
 * sizes (24x16 -> 12x8 -> 6x4 -> 3x2: partial tiles and stride-2 borders everywhere). */
static void seeded_encoders_match_cpu(void **state)
{
    (void)state;
    const int chans[] = {4, 16};
    float *rgb = golden_picture(16, 24);
    for (int k = 0; k < 2; k++) {
        strata_taesd *m = random_encoder(chans[k], false, 31 + (uint32_t)k);
        strata_result r = {0};
        strata_neural_gpu *g = strata_neural_gpu_create(m, &r);
        if (!g)
            fail_msg("create: %s", r.msg);
        encoded e;
        encode_both(m, g, rgb, 16, 24, &e);
        fprintf(stderr, "encoder %d ch, 24x16: max |GPU - CPU| %.3g, latent std %.4f\n",
                chans[k], e.max_diff, e.std);
        assert_true(e.std > 0.05); /* not a flat latent: the comparison can fail */
        assert_true(e.max_diff <= ENC_TOL * e.std);
        encoded_free(&e);
        strata_neural_gpu_destroy(g);
        strata_taesd_free(m);
    }
    free(rgb);
}

/* The real TAEF2 encoder on issue 10's 64x64 picture: GPU vs CPU, and the golden figures
 * of the independent PyTorch encode within 1e-3. */
static void taef2_encoder_matches_cpu_and_golden(void **state)
{
    (void)state;
    strata_taesd *m;
    NF_TAEF2_OR_SKIP(m, "taef2_encoder.safetensors");
    strata_result r = {0};
    strata_neural_gpu *g = strata_neural_gpu_create(m, &r);
    if (!g)
        fail_msg("create: %s", r.msg);
    float *rgb = golden_picture(64, 64);
    encoded e;
    encode_both(m, g, rgb, 64, 64, &e);
    double s = 0, ss = 0;
    for (size_t i = 0; i < e.n; i++)
        s += e.gpu[i], ss += (double)e.gpu[i] * e.gpu[i];
    double mean = s / (double)e.n, sd = sqrt(ss / (double)e.n - mean * mean);
    fprintf(stderr, "taef2 encoder 64x64: max |GPU - CPU| %.3g (latent std %.4f); GPU mean %.4f "
            "std %.4f\n", e.max_diff, e.std, mean, sd);
    assert_true(e.max_diff <= ENC_TOL * e.std);
    assert_true(fabs(mean - -0.0848) <= 1e-3);
    assert_true(fabs(sd - 0.8725) <= 1e-3);
    static const struct {
        int c, y, x;
        double v;
    } golden[] = {{0, 0, 0, 0.5354}, {5, 3, 4, 0.1448}, {31, 7, 7, 0.0533}, {17, 2, 6, 1.1527}};
    for (size_t i = 0; i < sizeof golden / sizeof *golden; i++) {
        double got = e.gpu[((size_t)golden[i].c * 8 + golden[i].y) * 8 + golden[i].x];
        if (fabs(got - golden[i].v) > 1e-3)
            fail_msg("L[%d][%d][%d] = %.5f, expected %.4f", golden[i].c, golden[i].y,
                     golden[i].x, got, golden[i].v);
    }
    encoded_free(&e);
    free(rgb);
    strata_neural_gpu_destroy(g);
    strata_taesd_free(m);
}

/* A decoder handle does not encode and an encoder handle does not decode: each refusal
 * names the model and says which file to give; bad picture sizes are refused. */
static void roles_are_kept(void **state)
{
    (void)state;
    strata_taesd *dec = random_decoder(4, false, 5), *enc = random_encoder(4, false, 5);
    strata_result r = {0};
    strata_neural_gpu *gd = strata_neural_gpu_create(dec, &r);
    strata_neural_gpu *ge = strata_neural_gpu_create(enc, &r);
    assert_non_null(gd);
    assert_non_null(ge);
    float *rgb = golden_picture(16, 16), latent[4 * 2 * 2];
    assert_false(strata_neural_gpu_encode(gd, rgb, 16, 16, latent, &r));
    fprintf(stderr, "refused: %s\n", r.msg);
    assert_non_null(strstr(r.msg, "is a decoder: it cannot encode"));
    assert_non_null(strstr(r.msg, dec->name));

    char log[] = "/tmp/strata-neural-gpu-log-XXXXXX";
    int fd = mkstemp(log);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(strata_log_open_file(log, 0, &r), STRATA_OK);
    strata_target t;
    assert_true(strata_target_init(&t, 16, 16, GL_RGBA8));
    assert_false(strata_neural_gpu_decode(ge, latent, 2, 2, &t));
    assert_false(strata_neural_gpu_begin(ge, latent, 2, 2, &t));
    assert_int_equal(strata_neural_gpu_step(ge, 5), -1);
    strata_log_open_file(NULL, 0, &r);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(strata_file_read(log, &text, &len, 1 << 20, &r), STRATA_OK);
    unlink(log);
    fprintf(stderr, "refused: %s", text);
    assert_non_null(strstr(text, "is an encoder: it cannot decode"));
    free(text);
    strata_target_free(&t);

    const int bad[][2] = {{0, 16}, {12, 16}, {16, 20}, {1032, 8}, {8, 2048}};
    for (int i = 0; i < 5; i++) {
        r.msg[0] = 0;
        assert_false(strata_neural_gpu_encode(ge, rgb, bad[i][0], bad[i][1], latent, &r));
        assert_non_null(strstr(r.msg, "multiple of 8"));
    }
    assert_false(strata_neural_gpu_encode(ge, NULL, 16, 16, latent, &r));
    assert_true(strata_neural_gpu_encode(ge, rgb, 16, 16, latent, &r));
    free(rgb);
    strata_neural_gpu_destroy(gd);
    strata_neural_gpu_destroy(ge);
    strata_taesd_free(dec);
    strata_taesd_free(enc);
}

/* A compute program that writes its uniform into a storage buffer: the value read back. */
static float run_compute(strata_program p)
{
    GLuint buf;
    glGenBuffers(1, &buf);
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, buf);
    float zero = 0;
    glBufferData(GL_SHADER_STORAGE_BUFFER, sizeof zero, &zero, GL_DYNAMIC_COPY);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, buf);
    if (strata_program_use(p))
        glDispatchCompute(1, 1, 1);
    glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);
    float v = -1;
    glGetBufferSubData(GL_SHADER_STORAGE_BUFFER, 0, sizeof v, &v);
    glDeleteBuffers(1, &buf);
    return v;
}

static void wait_reload(int ok0, int fail0)
{
    for (int i = 0; i < 250; i++) {
        strata_shaders_update();
        int ok, failed;
        strata_shaders_reload_counts(&ok, &failed);
        if (ok != ok0 || failed != fail0)
            return;
        usleep(20000);
    }
    fail_msg("no reload seen within 5 s");
}

#define COMPUTE_SRC(value, semicolon)                                                              \
    "layout(local_size_x = 1) in;\n"                                                               \
    "layout(std430, binding = 0) buffer B { float v[]; };\n"                                       \
    "void main() { v[0] = " value semicolon " }\n"

static void compute_programs_name_file_and_line_and_hot_reload(void **state)
{
    (void)state;
    /* an error in an included file names that file and line */
    write_file("neural/test_inc.glsl", "float seven()\n{\n    return 7.0 +;\n}\n");
    write_file("neural/test_bad.comp",
               "#include \"neural/test_inc.glsl\"\n" COMPUTE_SRC("seven()", ";"));
    strata_program p = strata_program_make_compute("neural/test_bad.comp");
    fprintf(stderr, "error was: %s\n", strata_program_error(p));
    assert_non_null(strstr(strata_program_error(p), "neural/test_inc.glsl:3:"));
    assert_int_equal(strata_program_use(p), 0);

    write_file("neural/test_ok.comp", COMPUTE_SRC("1.0", ";"));
    p = strata_program_make_compute("neural/test_ok.comp");
    assert_string_equal(strata_program_error(p), "");
    assert_true(run_compute(p) == 1.0f);
    int ok, failed;
    strata_shaders_reload_counts(&ok, &failed);
    usleep(30000); /* let the watcher take its first look at the folder */
    write_file("neural/test_ok.comp", COMPUTE_SRC("2.0", ""));
    wait_reload(ok, failed);
    assert_non_null(strstr(strata_program_error(p), "neural/test_ok.comp:3:"));
    assert_true(run_compute(p) == 1.0f); /* the old program keeps running */
    strata_shaders_reload_counts(&ok, &failed);
    write_file("neural/test_ok.comp", COMPUTE_SRC("2.0", ";"));
    wait_reload(ok, failed);
    assert_string_equal(strata_program_error(p), "");
    assert_true(run_compute(p) == 2.0f);
}

/* Under MESA_GL_VERSION_OVERRIDE=3.3 the context is 3.3: no compute, said plainly. */
static void gl33_is_refused(void **state)
{
    (void)state;
    fprintf(stderr, "context %d.%d (%s)\n", gl.major, gl.minor, gl.version);
    assert_int_equal(gl.major * 10 + gl.minor, 33);
    assert_false(gl.compute);
    strata_taesd *m = random_decoder(4, false, 3);
    strata_result r = {0};
    assert_null(strata_neural_gpu_create(m, &r));
    assert_string_equal(r.msg, "neural mode needs GL 4.3 (compute shaders); this context is 3.3");
    strata_program p = strata_program_make_compute("neural/conv3x3.comp");
    assert_int_equal(strata_program_use(p), 0);
    assert_non_null(strstr(strata_program_error(p), "need GL 4.3"));
    strata_taesd_free(m);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--gl33")) {
        const struct CMUnitTest t33[] = {cmocka_unit_test(gl33_is_refused)};
        return cmocka_run_group_tests(t33, setup, teardown);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compute_programs_name_file_and_line_and_hot_reload),
        cmocka_unit_test(stages_are_timed),
        cmocka_unit_test(roles_are_kept),
        cmocka_unit_test(seeded_encoders_match_cpu),
        cmocka_unit_test(decoder_made_again_and_again),
        cmocka_unit_test(split_decode_equals_one_shot),
        cmocka_unit_test(sd_family_matches_cpu),
        cmocka_unit_test(sd3_family_matches_cpu),
        cmocka_unit_test(f2_family_with_pools_matches_cpu),
        cmocka_unit_test(taef2_matches_cpu_and_golden),
        cmocka_unit_test(taef2_encoder_matches_cpu_and_golden),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
