/* bench_neural: the TAESD decoder's cost on this machine, GPU (compute passes, ms per
 * stage from the same GL timers the overlay shows) and CPU reference side by side; or the
 * encoder's, when the model is an encoder (or --encode with seeded weights).
 *
 *   bench_neural [--model DECODER.safetensors|ENCODER.safetensors] [--encode]
 *                [--channels 4|16|32] [--sizes 8,16,32] [--runs N] [--cpu-max N]
 *                [--shader-dir DIR] [--json]
 *
 * Sizes are latent sides: an encode of size 8 encodes a 64x64 picture. An encode's GPU
 * time includes reading the latent back (as strata-bank uses it); the encoders have no
 * stage timers. The GPU latent's largest difference to the CPU reference's is printed
 * where the CPU reference runs.
 *
 * Without --model the weights are made from a seed (taef2's shapes by default: 32
 * channels with pools; --channels 4 or 16 for the other families): the cost does not
 * depend on the values. Each size: one warm-up decode, then N decodes each followed by
 * glFinish; the wall time and the stage timers are averaged. The CPU reference runs once
 * per size up to --cpu-max (default 32; 0: never). FLOP counts 2 per multiply-add of
 * every conv. --shader-dir reads the shaders from a folder (tuning them without a
 * rebuild). Offscreen (SDL's offscreen driver over EGL, or the display's GL). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "neural/neural.h"
#include "neural_fixtures.h"
#include "support/gl_fixture.h"

#define MAX_SIZES 8
static const char *const stages[] = {"neural_1x", "neural_2x", "neural_4x", "neural_8x"};
#define NSTAGES 4

typedef struct options {
    const char *model, *shader_dir;
    bool encode; /* seeded weights: an encoder */
    int channels;
    int sizes[MAX_SIZES], nsizes;
    int runs, cpu_max;
    bool json;
} options;

static double conv_flops(const strata_taesd_conv *c, double pixels)
{
    return 2.0 * c->in * c->out * c->k * c->k * pixels;
}

/* Multiply-adds of one decode of a lh x lw latent (or one encode of its 8lh x 8lw
 * picture), x2. */
static double model_flops(const strata_taesd *m, int lh, int lw)
{
    bool dec = m->role == STRATA_TAESD_DECODER;
    double px = (double)lh * lw * (dec ? 1 : 64), f = 0;
    for (int i = 0; i < m->nops; i++) {
        const strata_taesd_op *op = &m->ops[i];
        if (op->kind == STRATA_TAESD_UPSAMPLE)
            px *= 4;
        else if (op->kind == STRATA_TAESD_CONV && op->conv.stride == 2)
            f += conv_flops(&op->conv, px /= 4);
        else if (op->kind == STRATA_TAESD_CONV)
            f += conv_flops(&op->conv, px);
        else if (op->kind == STRATA_TAESD_BLOCK) {
            for (int k = 0; k < 3; k++)
                f += conv_flops(&op->block.conv[k], px);
            if (op->block.pool)
                f += conv_flops(&op->block.pool_in, px) + conv_flops(&op->block.pool_out, px);
        }
    }
    return f;
}

static bool parse(int argc, char **argv, options *o)
{
    *o = (options){.channels = 32, .sizes = {8, 16, 32}, .nsizes = 3, .runs = 3, .cpu_max = 32};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            o->json = true;
            continue;
        }
        if (!strcmp(a, "--encode")) {
            o->encode = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "bench_neural: %s: unknown option or missing value\n", a);
            return false;
        }
        i++;
        if (!strcmp(a, "--model")) {
            o->model = v;
        } else if (!strcmp(a, "--shader-dir")) {
            o->shader_dir = v;
        } else if (!strcmp(a, "--channels")) {
            o->channels = atoi(v);
            if (o->channels != 4 && o->channels != 16 && o->channels != 32) {
                fprintf(stderr, "bench_neural: --channels %s: expected 4, 16 or 32\n", v);
                return false;
            }
        } else if (!strcmp(a, "--runs")) {
            o->runs = atoi(v);
            if (o->runs < 1 || o->runs > 1000) {
                fprintf(stderr, "bench_neural: --runs %s: expected 1..1000\n", v);
                return false;
            }
        } else if (!strcmp(a, "--cpu-max")) {
            o->cpu_max = atoi(v);
        } else if (!strcmp(a, "--sizes")) {
            o->nsizes = 0;
            for (const char *p = v; *p && o->nsizes < MAX_SIZES;) {
                char *end;
                long n = strtol(p, &end, 10);
                if (end == p || n < 1 || n > 128) {
                    fprintf(stderr,
                            "bench_neural: --sizes %s: expected sides 1..128, "
                            "comma-separated\n",
                            v);
                    return false;
                }
                o->sizes[o->nsizes++] = (int)n;
                p = *end == ',' ? end + 1 : end;
            }
        } else {
            fprintf(stderr, "bench_neural: %s: unknown option\n", a);
            return false;
        }
    }
    return true;
}

static strata_taesd *load(const options *o, char *what, size_t n)
{
    strata_taesd *m = NULL;
    strata_result r = {0};
    if (o->model) {
        if (strata_taesd_load(o->model, &m, &r) != STRATA_OK) {
            fprintf(stderr, "bench_neural: %s\n", r.msg);
            return NULL;
        }
        snprintf(what, n, "%s (%s)", m->name, o->model);
        return m;
    }
    static nf_list l;
    nf_taesd(&l, o->channels, !o->encode, o->channels == 32, 7);
    size_t len;
    uint8_t *bytes = nf_bytes(&l, &len);
    nf_free(&l);
    strata_safetensors *st = NULL;
    if (strata_safetensors_parse(bytes, len, "seeded weights", &st, &r) != STRATA_OK ||
        strata_taesd_from_safetensors(st, "seeded weights", &m, &r) != STRATA_OK) {
        fprintf(stderr, "bench_neural: %s\n", r.msg);
        m = NULL;
    }
    free(bytes);
    strata_safetensors_close(st);
    if (m)
        snprintf(what, n, "%s shapes, seeded weights", m->name);
    return m;
}

typedef struct result {
    int side;
    double wall_ms, stage_ms[NSTAGES], gflop, cpu_ms;
    double max_diff; /* encode: max |GPU - CPU| latent, -1 when the CPU did not run */
} result;

static bool bench_size(strata_neural_gpu *g, const strata_taesd *m, const options *o, int side,
                       result *res)
{
    memset(res, 0, sizeof *res);
    res->side = side;
    res->cpu_ms = -1;
    res->gflop = model_flops(m, side, side) * 1e-9;
    size_t n = (size_t)m->latent_channels * side * side;
    float *latent = malloc(n * sizeof *latent);
    for (size_t i = 0; i < n; i++)
        latent[i] = 2.0f * sinf(0.37f * (float)i);
    strata_target t;
    if (!latent || !strata_target_init(&t, 8 * side, 8 * side, GL_RGBA8)) {
        free(latent);
        return false;
    }
    bool ok = strata_neural_gpu_decode(g, latent, side, side, &t);
    glFinish();
    strata_pass_time pt[STRATA_MAX_PASSES];
    for (int r = 0; ok && r < o->runs; r++) {
        uint64_t t0 = strata_time_ns();
        ok = strata_neural_gpu_decode(g, latent, side, side, &t);
        glFinish();
        res->wall_ms += (double)(strata_time_ns() - t0) * 1e-6 / o->runs;
        int np = strata_gpu_report(pt, STRATA_MAX_PASSES);
        for (int i = 0; i < np; i++)
            for (int s = 0; s < NSTAGES; s++)
                if (!strcmp(pt[i].name, stages[s]) && pt[i].gpu_ms >= 0)
                    res->stage_ms[s] += pt[i].gpu_ms / o->runs;
    }
    strata_target_free(&t);
    if (ok && side <= o->cpu_max) {
        float *rgb = malloc((size_t)3 * 64 * side * side * sizeof *rgb);
        uint64_t t0 = strata_time_ns();
        if (rgb && strata_taesd_decode_cpu(m, latent, side, side, rgb))
            res->cpu_ms = (double)(strata_time_ns() - t0) * 1e-6;
        free(rgb);
    }
    free(latent);
    return ok;
}

/* An encode of a 8side x 8side picture: one warm-up, runs timed with the read-back. */
static bool bench_encode(strata_neural_gpu *g, const strata_taesd *m, const options *o, int side,
                         result *res)
{
    memset(res, 0, sizeof *res);
    res->side = side;
    res->cpu_ms = res->max_diff = -1;
    res->gflop = model_flops(m, side, side) * 1e-9;
    int px = 8 * side;
    size_t n = (size_t)3 * px * px, nl = (size_t)m->latent_channels * side * side;
    float *rgb = malloc(n * sizeof *rgb), *lat = malloc(nl * sizeof *lat);
    float *cpu = malloc(nl * sizeof *cpu);
    bool ok = rgb && lat && cpu;
    for (size_t i = 0; ok && i < n; i++)
        rgb[i] = 0.5f + 0.45f * sinf(0.013f * (float)i);
    strata_result r = {0};
    ok = ok && strata_neural_gpu_encode(g, rgb, px, px, lat, &r);
    for (int k = 0; ok && k < o->runs; k++) {
        uint64_t t0 = strata_time_ns();
        ok = strata_neural_gpu_encode(g, rgb, px, px, lat, &r);
        res->wall_ms += (double)(strata_time_ns() - t0) * 1e-6 / o->runs;
    }
    if (!ok && r.msg[0])
        fprintf(stderr, "bench_neural: %s\n", r.msg);
    if (ok && side <= o->cpu_max) {
        uint64_t t0 = strata_time_ns();
        if (strata_taesd_encode_cpu(m, rgb, px, px, cpu)) {
            res->cpu_ms = (double)(strata_time_ns() - t0) * 1e-6;
            res->max_diff = 0;
            for (size_t i = 0; i < nl; i++)
                res->max_diff = fmax(res->max_diff, fabs((double)lat[i] - cpu[i]));
        }
    }
    free(rgb);
    free(lat);
    free(cpu);
    return ok;
}

static void print_encode(const result *r, const options *o)
{
    double gps = r->gflop / (r->wall_ms * 1e-3);
    double cps = r->cpu_ms > 0 ? r->gflop / (r->cpu_ms * 1e-3) : 0;
    if (o->json) {
        printf("{\"picture\":\"%dx%d\",\"latent\":\"%dx%d\",\"gflop\":%.3f,\"gpu_ms\":%.3f,"
               "\"gpu_gflops\":%.2f,\"cpu_ms\":%.3f,\"cpu_gflops\":%.2f,\"max_abs_diff\":%.3g}\n",
               8 * r->side, 8 * r->side, r->side, r->side, r->gflop, r->wall_ms, gps, r->cpu_ms,
               cps, r->max_diff);
        return;
    }
    char lat[32], img[32], cpu[64];
    snprintf(lat, sizeof lat, "%dx%d", r->side, r->side);
    snprintf(img, sizeof img, "%dx%d", 8 * r->side, 8 * r->side);
    if (r->cpu_ms >= 0)
        snprintf(cpu, sizeof cpu, "%10.1f %8.2f %10.2g", r->cpu_ms, cps, r->max_diff);
    else
        snprintf(cpu, sizeof cpu, "%10s %8s %10s", "-", "-", "-");
    printf("%-10s %-8s %7.2f %10.2f %10.2f %s\n", img, lat, r->gflop, r->wall_ms, gps, cpu);
}

static void print(const result *r, const options *o)
{
    double gps = r->gflop / (r->wall_ms * 1e-3);
    double cps = r->cpu_ms > 0 ? r->gflop / (r->cpu_ms * 1e-3) : 0;
    if (o->json) {
        printf("{\"latent\":\"%dx%d\",\"image\":\"%dx%d\",\"gflop\":%.3f,\"gpu_ms\":%.3f,", r->side,
               r->side, 8 * r->side, 8 * r->side, r->gflop, r->wall_ms);
        printf("\"stage_ms\":{");
        for (int s = 0; s < NSTAGES; s++)
            printf("%s\"%s\":%.3f", s ? "," : "", stages[s], r->stage_ms[s]);
        printf("},\"gpu_gflops\":%.2f,\"cpu_ms\":%.3f,\"cpu_gflops\":%.2f}\n", gps, r->cpu_ms, cps);
        return;
    }
    char lat[32], img[32], cpu[48];
    snprintf(lat, sizeof lat, "%dx%d", r->side, r->side);
    snprintf(img, sizeof img, "%dx%d", 8 * r->side, 8 * r->side);
    if (r->cpu_ms >= 0)
        snprintf(cpu, sizeof cpu, "%10.1f %7.2f", r->cpu_ms, cps);
    else
        snprintf(cpu, sizeof cpu, "%10s %7s", "-", "-");
    printf("%-8s %-10s %7.2f %9.2f %8.2f %8.2f %8.2f %8.2f %10.2f %s\n", lat, img, r->gflop,
           r->stage_ms[0], r->stage_ms[1], r->stage_ms[2], r->stage_ms[3], r->wall_ms, gps, cpu);
}

int main(int argc, char **argv)
{
    options o;
    if (!parse(argc, argv, &o))
        return 2;
    strata_log_set_level(STRATA_LOG_WARN);
    strata_gl gl;
    if (!test_gl_open(&gl, o.shader_dir)) {
        fprintf(stderr, "bench_neural: no GL context\n");
        return 1;
    }
    char what[512];
    strata_taesd *m = load(&o, what, sizeof what);
    strata_result r = {0};
    strata_neural_gpu *g = m ? strata_neural_gpu_create(m, &r) : NULL;
    if (!g) {
        if (m)
            fprintf(stderr, "bench_neural: %s\n", r.msg);
        strata_taesd_free(m);
        test_gl_close(&gl);
        return 1;
    }
    bool enc = m->role == STRATA_TAESD_ENCODER;
    if (!o.json) {
        printf("bench_neural: %s on %s (GL %d.%d), %d run%s per size\n", what, gl.renderer,
               gl.major, gl.minor, o.runs, o.runs > 1 ? "s" : "");
        if (enc)
            printf("%-10s %-8s %7s %10s %10s %10s %8s %10s\n", "picture", "latent", "GFLOP",
                   "GPU ms", "GPU GF/s", "CPU ms", "CPU GF/s", "max |diff|");
        else
            printf("%-8s %-10s %7s %9s %8s %8s %8s %8s %10s %10s %7s\n", "latent", "image",
                   "GFLOP", "1x ms", "2x ms", "4x ms", "8x ms", "GPU ms", "GPU GF/s", "CPU ms",
                   "CPU GF/s");
    }
    int rc = 0;
    for (int i = 0; i < o.nsizes; i++) {
        result res;
        bool ok = enc ? bench_encode(g, m, &o, o.sizes[i], &res)
                      : bench_size(g, m, &o, o.sizes[i], &res);
        if (!ok) {
            fprintf(stderr, "bench_neural: %s a %dx%d latent failed\n",
                    enc ? "encoding to" : "decoding", o.sizes[i], o.sizes[i]);
            rc = 1;
            break;
        }
        if (enc)
            print_encode(&res, &o);
        else
            print(&res, &o);
        fflush(stdout);
    }
    strata_neural_gpu_destroy(g);
    strata_taesd_free(m);
    test_gl_close(&gl);
    return rc;
}
