/* strata-bank import: ComfyUI Save Latent files written here (a batch of 3 and a single, F32
 * and F16, with ComfyUI's prompt/workflow metadata), imported by the real program with seeded
 * TAESD decoders of each family; the bank's latents against the raw ones scaled as ComfyUI's
 * TAESD wrapper does, names, provenance, previews against the CPU decode, format inference,
 * FLUX.2's 128-channel patchified latents, the old format, and the refusals (mixed shapes
 * naming both files, no latent_tensor, wrong rank, ambiguous channels, no or wrong decoder).
 * Also the PNG provenance reader on chunks made here (tEXt, zTXt, iTXt, bad CRC, truncation,
 * a zTXt that inflates past the bound). Run with --gpu it checks GPU previews instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "bank/bank.h"
#include "bank/bank_internal.h"
#include "commands.h"
#include "neural/neural.h"
#include "neural_fixtures.h"

static char tmp[64];
static bool use_gpu;

static void in_tmp(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmp, name);
}

/* A seeded decoder of `channels` (taef2 shapes with pools at 32), last conv scaled so the
 * previews span 0..1. Written to dir/name. */
static void write_decoder(const char *name, int channels)
{
    nf_list l = {0};
    nf_taesd(&l, channels, true, channels == 32, 77u + (uint32_t)channels);
    assert_true(nf_taesd_visible(&l));
    char path[128];
    in_tmp(path, sizeof path, name);
    assert_true(nf_write(path, &l));
    nf_free(&l);
}

static float raw_value(int file, int i)
{
    return 2.5f * sinf(0.37f * (float)i + 1.3f * (float)file) + 0.2f;
}

/* A ComfyUI .latent: latent_tensor [n, c, h, w] of dtype, the empty version tensor unless
 * old, the metadata pairs given. Values raw_value(file, i). */
static void write_latent(const char *name, int file, int ndim, const int64_t *shape,
                         const char *dtype, bool old, const char *const *meta, int nmeta)
{
    nf_list l = {0};
    uint32_t seed = 1;
    nf_tensor *t = nf_add(&l, "latent_tensor", ndim, shape, 1.0f, &seed);
    t->dtype = dtype;
    for (int64_t i = 0; i < nf_count(t); i++) {
        float v = raw_value(file, (int)i);
        t->values[i] = strcmp(dtype, "F16") == 0 ? strata_half_to_float(strata_float_to_half(v))
                                                 : v;
    }
    if (!old) {
        nf_tensor *v = nf_add(&l, "latent_format_version_0", 1, (int64_t[]){0}, 1.0f, &seed);
        v->dtype = "F32";
    }
    char path[128];
    in_tmp(path, sizeof path, name);
    assert_true(nf_write_meta(path, &l, meta, nmeta));
    nf_free(&l);
}

static strata_bank *open_bank(const char *path, int w, int h)
{
    strata_result r = {0};
    strata_bank *b = strata_bank_open(path, &(strata_bank_open_desc){.width = w, .height = h}, &r);
    if (!b)
        fail_msg("open %s: %s", path, r.msg);
    assert_int_equal(strata_bank_kind(b), STRATA_BANK_NEURAL);
    return b;
}

/* fp16 storage: relative 2^-11, plus a little for values near zero. */
static void assert_fp16_close(float got, float want, const char *what, int i)
{
    if (fabsf(got - want) > 1e-3f * fabsf(want) + 1e-4f)
        fail_msg("%s[%d]: %.6f, expected %.6f", what, i, got, want);
}

/* The bank's preview i against the CPU decode of latent by dec, passed through the
 * loader's own resample (it resamples even at the stored size, as the bank's tests show):
 * exact on the CPU path, within 3 levels on the GPU path (the GPU decoder is held to 2/255
 * of the CPU reference, the resample can spread that a little). */
static void check_preview(strata_bank *b, int i, const strata_taesd *dec, const float *latent,
                          int lh, int lw)
{
    int w = 8 * lw, h = 8 * lh;
    size_t n = (size_t)w * h;
    float *rgb = malloc(n * 3 * sizeof(float));
    uint8_t *dec8 = malloc(n * 4), *want = malloc(n * 4);
    assert_true(strata_taesd_decode_cpu(dec, latent, lh, lw, rgb));
    for (size_t p = 0; p < n; p++) {
        for (int c = 0; c < 3; c++) {
            float v = rgb[c * n + p];
            dec8[p * 4 + c] = (uint8_t)lrintf((v < 0 ? 0 : v > 1 ? 1 : v) * 255.0f);
        }
        dec8[p * 4 + 3] = 255;
    }
    strata_result r = {0};
    assert_int_equal(strata_bank_resample(dec8, w, h, want, w, h, STRATA_BANK_FIT, &r),
                     STRATA_OK);
    strata_keyframe_pixels px = {0};
    if (strata_bank_load_sync(b, i, &px, &r) != STRATA_OK)
        fail_msg("preview %d: %s", i, r.msg);
    assert_int_equal(px.width, w);
    assert_int_equal(px.height, h);
    int worst = 0;
    for (size_t p = 0; p < n * 4; p++) {
        int d = abs((int)px.rgba[p] - (int)want[p]);
        worst = d > worst ? d : worst;
    }
    strata_bank_release_pixels(b, &px);
    free(rgb);
    free(dec8);
    free(want);
    if (worst > (use_gpu ? 3 : 0))
        fail_msg("preview %d differs from the CPU decode by %d levels", i, worst);
}

static json_t *provenance(strata_bank *b, int i)
{
    const char *s = strata_bank_provenance(b, i);
    assert_non_null(s);
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    return j;
}

static const char *prompt_json = "{\"3\":{\"class_type\":\"KSampler\",\"inputs\":{\"seed\":42}}}";
static const char *workflow_json = "{\"last_node_id\":9,\"nodes\":[]}";

/* A batch of 3 (F32, metadata) and a single (F16, none), 16 channels as FLUX.1. */
static void import_batch_and_single(void **state)
{
    (void)state;
    const char *meta[] = {"prompt", prompt_json, "workflow", workflow_json};
    write_latent("a.latent", 0, 4, (int64_t[]){3, 16, 4, 6}, "F32", false, meta, 2);
    write_latent("b.latent", 1, 4, (int64_t[]){1, 16, 4, 6}, "F16", false, NULL, 0);
    write_decoder("taef1_decoder.safetensors", 16);
    char a[128], bl[128], dec[128], out[128], err[2048];
    in_tmp(a, sizeof a, "a.latent");
    in_tmp(bl, sizeof bl, "b.latent");
    in_tmp(dec, sizeof dec, "taef1_decoder.safetensors");
    in_tmp(out, sizeof out, "ab.strata");
    const char *args[] = {"import", a,     bl, "--format", "flux1", "--decoder", dec, "-o", out,
                          use_gpu ? "--gpu" : "--cpu", NULL};
    if (nf_run_bank(args, NULL, 0, err, sizeof err) != 0)
        fail_msg("import failed: %s", err);
    strata_bank *b = open_bank(out, 48, 32);
    assert_int_equal(strata_bank_count(b), 4);
    strata_bank_neural_shape sh;
    assert_true(strata_bank_neural_shape_get(b, &sh));
    assert_int_equal(sh.channels, 16);
    assert_int_equal(sh.lh, 4);
    assert_int_equal(sh.lw, 6);
    assert_string_equal(sh.family, "taesd3/taef1");
    assert_string_equal(sh.format, "flux1");
    static const char *const names[] = {"a.latent#0", "a.latent#1", "a.latent#2", "b.latent"};
    strata_taesd *m = NULL;
    strata_result r = {0};
    assert_int_equal(strata_taesd_load(dec, &m, &r), STRATA_OK);
    float got[16 * 24], want[16 * 24];
    for (int k = 0; k < 4; k++) {
        assert_string_equal(strata_bank_name(b, k), names[k]);
        assert_true(strata_bank_neural_latent(b, k, got));
        int file = k < 3 ? 0 : 1, base = k < 3 ? k * 16 * 24 : 0;
        for (int i = 0; i < 16 * 24; i++) {
            float raw = raw_value(file, base + i);
            if (file == 1) /* stored as F16 in the file */
                raw = strata_half_to_float(strata_float_to_half(raw));
            want[i] = (raw - 0.1159f) * 0.3611f; /* ComfyUI: (x - vae_shift) * vae_scale */
            assert_fp16_close(got[i], want[i], names[k], i);
        }
        check_preview(b, k, m, want, 4, 6);
        json_t *j = provenance(b, k);
        assert_string_equal(json_string_value(json_object_get(j, "source")),
                            k < 3 ? "a.latent" : "b.latent");
        if (k < 3) {
            assert_int_equal(json_integer_value(json_object_get(j, "batch_index")), k);
            json_t *p = json_object_get(j, "prompt"), *wf = json_object_get(j, "workflow");
            assert_true(json_is_object(p)); /* the parsed JSON, not a string */
            assert_int_equal(
                json_integer_value(json_object_get(
                    json_object_get(json_object_get(p, "3"), "inputs"), "seed")),
                42);
            assert_int_equal(json_integer_value(json_object_get(wf, "last_node_id")), 9);
        } else {
            assert_null(json_object_get(j, "prompt"));
            assert_null(json_object_get(j, "batch_index"));
        }
        json_decref(j);
    }
    strata_taesd_free(m);
    strata_bank_close(b);
}

/* FLUX.2 as ComfyUI stores it: 128 channels at 1/16, unpatchified as DecoderFlux2 does;
 * inferred without --format. And 32 channels taken as they are. */
static void import_flux2(void **state)
{
    (void)state;
    write_latent("f2.latent", 2, 4, (int64_t[]){1, 128, 2, 3}, "BF16", false, NULL, 0);
    write_latent("f32.latent", 3, 4, (int64_t[]){2, 32, 4, 6}, "F32", false, NULL, 0);
    write_decoder("taef2_decoder.safetensors", 32);
    char f2[128], f32[128], dec[128], out[128], err[2048];
    in_tmp(f2, sizeof f2, "f2.latent");
    in_tmp(f32, sizeof f32, "f32.latent");
    in_tmp(dec, sizeof dec, "taef2_decoder.safetensors");
    in_tmp(out, sizeof out, "f2.strata");
    const char *args[] = {"import", f2, "--decoder", dec, "-o", out, "--cpu", NULL};
    if (nf_run_bank(args, NULL, 0, err, sizeof err) != 0)
        fail_msg("import failed: %s", err);
    strata_bank *b = open_bank(out, 48, 32);
    strata_bank_neural_shape sh;
    assert_true(strata_bank_neural_shape_get(b, &sh));
    assert_int_equal(sh.channels, 32);
    assert_int_equal(sh.lh, 4);
    assert_int_equal(sh.lw, 6);
    assert_string_equal(sh.format, "flux2");
    assert_string_equal(sh.family, "taef2");
    float got[32 * 24];
    assert_true(strata_bank_neural_latent(b, 0, got));
    for (int c = 0; c < 32; c++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 3; x++) {
                        uint32_t u;
                        float raw = raw_value(2, ((4 * c + 2 * i + j) * 2 + y) * 3 + x);
                        memcpy(&u, &raw, 4);
                        u &= 0xffff0000u; /* the file's BF16, by truncation */
                        memcpy(&raw, &u, 4);
                        int at = (c * 4 + 2 * y + i) * 6 + 2 * x + j;
                        assert_fp16_close(got[at], raw, "f2", at);
                    }
    strata_bank_close(b);
    /* 32 channels: no unpatchify, no scale */
    const char *args32[] = {"import", f32, "--format", "flux2", "--decoder", dec,
                            "-o",     out, "--cpu",    NULL};
    if (nf_run_bank(args32, NULL, 0, err, sizeof err) != 0)
        fail_msg("import failed: %s", err);
    b = open_bank(out, 48, 32);
    assert_int_equal(strata_bank_count(b), 2);
    assert_true(strata_bank_neural_latent(b, 1, got));
    for (int i = 0; i < 32 * 24; i++)
        assert_fp16_close(got[i], raw_value(3, 32 * 24 + i), "f32#1", i);
    strata_bank_close(b);
}

/* No latent_format_version_0: ComfyUI's LoadLatent takes the values as multiplied by
 * 0.18215 already and divides them back. */
static void import_old_format(void **state)
{
    (void)state;
    write_latent("old.latent", 4, 4, (int64_t[]){1, 4, 3, 5}, "F32", true, NULL, 0);
    write_decoder("taesdxl_decoder.safetensors", 4);
    char lat[128], dec[128], out[128], err[2048];
    in_tmp(lat, sizeof lat, "old.latent");
    in_tmp(dec, sizeof dec, "taesdxl_decoder.safetensors");
    in_tmp(out, sizeof out, "old.strata");
    const char *args[] = {"import", lat, "--format", "sdxl", "--decoder", dec, "-o", out,
                          "--cpu",  NULL};
    if (nf_run_bank(args, NULL, 0, err, sizeof err) != 0)
        fail_msg("import failed: %s", err);
    strata_bank *b = open_bank(out, 40, 24);
    float got[4 * 15];
    assert_true(strata_bank_neural_latent(b, 0, got));
    for (int i = 0; i < 4 * 15; i++)
        assert_fp16_close(got[i], raw_value(4, i) / 0.18215f * 0.13025f, "old", i);
    strata_bank_close(b);
}

/* A refused import: exit 1 (2 for usage), every expected phrase in stderr, no output file
 * and no temporary left. */
static void refused(const char *const *args, int code, const char *const *phrases)
{
    char err[2048], out[128];
    in_tmp(out, sizeof out, "refused.strata");
    int rc = nf_run_bank(args, NULL, 0, err, sizeof err);
    if (rc != code)
        fail_msg("exit %d, expected %d: %s", rc, code, err);
    for (int i = 0; phrases[i]; i++)
        if (!strstr(err, phrases[i]))
            fail_msg("\"%s\" not in: %s", phrases[i], err);
    struct stat st;
    assert_int_not_equal(stat(out, &st), 0);
}

static void import_refusals(void **state)
{
    (void)state;
    write_latent("m16.latent", 5, 4, (int64_t[]){3, 16, 4, 6}, "F32", false, NULL, 0);
    write_latent("m16w.latent", 6, 4, (int64_t[]){1, 16, 4, 8}, "F32", false, NULL, 0);
    write_latent("m4.latent", 7, 4, (int64_t[]){1, 4, 4, 6}, "F32", false, NULL, 0);
    write_latent("rank3.latent", 8, 3, (int64_t[]){16, 4, 6}, "F32", false, NULL, 0);
    nf_list l = {0};
    uint32_t seed = 3;
    nf_add(&l, "samples", 4, (int64_t[]){1, 16, 4, 6}, 1.0f, &seed);
    char p[128], q[128], m4[128], r3[128], none[128], d16[128], d4[128], out[128];
    in_tmp(none, sizeof none, "none.latent");
    assert_true(nf_write(none, &l));
    nf_free(&l);
    write_decoder("d16_decoder.safetensors", 16);
    write_decoder("d4_decoder.safetensors", 4);
    in_tmp(p, sizeof p, "m16.latent");
    in_tmp(q, sizeof q, "m16w.latent");
    in_tmp(m4, sizeof m4, "m4.latent");
    in_tmp(r3, sizeof r3, "rank3.latent");
    in_tmp(d16, sizeof d16, "d16_decoder.safetensors");
    in_tmp(d4, sizeof d4, "d4_decoder.safetensors");
    in_tmp(out, sizeof out, "refused.strata");
    /* mixed shapes: both files named */
    refused((const char *[]){"import", p, q, "--format", "sd3", "--decoder", d16, "-o", out,
                             "--cpu", NULL},
            1, (const char *[]){"m16w.latent: latent [16, 4, 8]", "m16.latent's [16, 4, 6]", NULL});
    refused((const char *[]){"import", none, "--decoder", d16, "-o", out, NULL}, 1,
            (const char *[]){"none.latent: no latent_tensor", NULL});
    refused((const char *[]){"import", r3, "--decoder", d16, "-o", out, NULL}, 1,
            (const char *[]){"rank3.latent: latent_tensor has 3 dimensions", NULL});
    refused((const char *[]){"import", p, "--decoder", d16, "-o", out, NULL}, 1,
            (const char *[]){"m16.latent: 16 channels are SD3 or FLUX.1", "--format sd3|flux1",
                             NULL});
    refused((const char *[]){"import", m4, "--decoder", d4, "-o", out, NULL}, 1,
            (const char *[]){"--format sd15|sdxl", NULL});
    refused((const char *[]){"import", p, "--format", "flux1", "-o", out, NULL}, 1,
            (const char *[]){"--decoder taef1_decoder.safetensors", "docs/NEURAL.md", NULL});
    refused((const char *[]){"import", p, "--format", "sd15", "--decoder", d4, "-o", out, NULL},
            1, (const char *[]){"--format sd15", "m16.latent holds 16", NULL});
    refused((const char *[]){"import", p, "--format", "sd3", "--decoder", d4, "-o", out, "--cpu",
                             NULL},
            1,
            (const char *[]){"d4_decoder.safetensors is taesd/taesdxl", "m16.latent holds SD3",
                             NULL});
    refused((const char *[]){"import", p, "--format", "sd3", "--decoder", d16, NULL}, 2,
            (const char *[]){"-o NAME.strata is required", NULL});
}

/* ---- PNG provenance ----------------------------------------------------------------- */

typedef struct png_buf {
    uint8_t b[1 << 16];
    size_t n;
} png_buf;

static void put32(png_buf *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--)
        p->b[p->n++] = (uint8_t)(v >> (8 * i));
}

static void chunk(png_buf *p, const char *type, const void *data, size_t n, bool bad_crc)
{
    put32(p, (uint32_t)n);
    size_t at = p->n;
    memcpy(p->b + p->n, type, 4);
    memcpy(p->b + p->n + 4, data, n);
    p->n += 4 + n;
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), p->b + at, (uInt)(n + 4));
    put32(p, bad_crc ? crc ^ 1u : crc);
}

/* keyword \0 then text (n bytes), for tEXt; for zTXt the text is compressed. */
static void text_chunk(png_buf *p, const char *type, const char *key, const char *text,
                       size_t n, bool bad_crc)
{
    uint8_t d[4096];
    size_t k = strlen(key) + 1;
    memcpy(d, key, k);
    if (!strcmp(type, "zTXt")) {
        d[k++] = 0;
        uLongf zn = sizeof d - k;
        assert_int_equal(compress2(d + k, &zn, (const Bytef *)text, n, 9), Z_OK);
        k += zn;
    } else if (!strcmp(type, "iTXt")) {
        memcpy(d + k, "\1\0en\0prompt\0", 12); /* compressed, method 0, lang, keyword */
        k += 12;
        uLongf zn = sizeof d - k;
        assert_int_equal(compress2(d + k, &zn, (const Bytef *)text, n, 9), Z_OK);
        k += zn;
    } else {
        memcpy(d + k, text, n);
        k += n;
    }
    chunk(p, type, d, k, bad_crc);
}

static void png_start(png_buf *p)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    p->n = 0;
    memcpy(p->b, sig, 8);
    p->n = 8;
    uint8_t ihdr[13] = {0, 0, 0, 8, 0, 0, 0, 8, 8, 2, 0, 0, 0};
    chunk(p, "IHDR", ihdr, 13, false);
}

static json_t *prov_of(const png_buf *p, char *warn, size_t wn)
{
    char *s = bank_prov_png(p->b, p->n, "x.png", warn, wn);
    assert_non_null(s);
    json_t *j = json_loads(s, 0, NULL);
    free(s);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "source")), "x.png");
    return j;
}

static void png_provenance(void **state)
{
    (void)state;
    static png_buf p;
    char warn[300];
    /* ComfyUI (tEXt prompt, zTXt workflow), A1111 (iTXt parameters), Latin-1, other keys */
    png_start(&p);
    text_chunk(&p, "tEXt", "prompt", prompt_json, strlen(prompt_json), false);
    text_chunk(&p, "zTXt", "workflow", workflow_json, strlen(workflow_json), false);
    const char *a1111 = "a caf\xc3\xa9, oil\nSteps: 20, Sampler: Euler a, Seed: 7";
    static uint8_t itxt[512];
    size_t k = 0;
    memcpy(itxt, "parameters\0\0\0\0\0", 15); /* uncompressed, no lang, no keyword */
    k = 15;
    memcpy(itxt + k, a1111, strlen(a1111));
    chunk(&p, "iTXt", itxt, k + strlen(a1111), false);
    text_chunk(&p, "tEXt", "Comment", "not kept", 8, false);
    chunk(&p, "IEND", "", 0, false);
    json_t *j = prov_of(&p, warn, sizeof warn);
    assert_string_equal(warn, "");
    assert_true(json_is_object(json_object_get(j, "prompt")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "workflow"),
                                                        "last_node_id")),
                     9);
    assert_string_equal(json_string_value(json_object_get(j, "parameters")), a1111);
    assert_null(json_object_get(j, "Comment"));
    json_decref(j);
    /* Latin-1 tEXt becomes UTF-8; a text that is not JSON stays a string; compressed iTXt */
    png_start(&p);
    text_chunk(&p, "tEXt", "parameters", "caf\xe9", 4, false);
    text_chunk(&p, "iTXt", "prompt", "plain words", 11, false);
    j = prov_of(&p, warn, sizeof warn);
    assert_string_equal(json_string_value(json_object_get(j, "parameters")), "caf\xc3\xa9");
    assert_string_equal(json_string_value(json_object_get(j, "prompt")), "plain words");
    json_decref(j);
    /* a bad CRC: that chunk skipped, named with its offset; the next one still read */
    png_start(&p);
    size_t at = p.n;
    text_chunk(&p, "tEXt", "prompt", prompt_json, strlen(prompt_json), true);
    text_chunk(&p, "tEXt", "parameters", "Steps: 20", 9, false);
    j = prov_of(&p, warn, sizeof warn);
    char want[80];
    snprintf(want, sizeof want, "x.png: tEXt chunk at byte %zu: bad CRC", at);
    assert_non_null(strstr(warn, want));
    assert_null(json_object_get(j, "prompt"));
    assert_string_equal(json_string_value(json_object_get(j, "parameters")), "Steps: 20");
    json_decref(j);
    /* truncated: the length runs past the end */
    png_start(&p);
    text_chunk(&p, "tEXt", "prompt", prompt_json, strlen(prompt_json), false);
    p.n -= 10;
    j = prov_of(&p, warn, sizeof warn);
    assert_non_null(strstr(warn, "runs past the end"));
    assert_null(json_object_get(j, "prompt"));
    json_decref(j);
    /* a zTXt that inflates past 16 MiB: refused without inflating it all */
    size_t big = BANK_PROV_TEXT_MAX + 1024;
    char *zeros = calloc(big, 1);
    memset(zeros, 'a', big);
    uLongf zn = compressBound(big);
    uint8_t *z = malloc(zn + 16);
    memcpy(z, "workflow\0\0", 10);
    assert_int_equal(compress2(z + 10, &zn, (const Bytef *)zeros, big, 9), Z_OK);
    assert_true(zn + 10 < sizeof p.b - 64);
    png_start(&p);
    chunk(&p, "zTXt", z, zn + 10, false);
    j = prov_of(&p, warn, sizeof warn);
    assert_non_null(strstr(warn, "16 MiB"));
    assert_null(json_object_get(j, "workflow"));
    json_decref(j);
    free(zeros);
    free(z);
    /* not a PNG: only the source, no warning */
    memcpy(p.b, "\xff\xd8\xff\xe0JFIF", 8);
    p.n = 8;
    j = prov_of(&p, warn, sizeof warn);
    assert_string_equal(warn, "");
    assert_int_equal(json_object_size(j), 1);
    json_decref(j);
}

static int setup(void **state)
{
    (void)state;
    return nf_tempdir(tmp, sizeof tmp, "import") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nf_rmtree(tmp) ? 0 : -1;
}

int main(int argc, char **argv)
{
    strata_log_set_quiet(true);
    use_gpu = argc > 1 && !strcmp(argv[1], "--gpu");
    if (use_gpu) { /* the GPU preview path only */
        const struct CMUnitTest gpu[] = {cmocka_unit_test(import_batch_and_single)};
        return cmocka_run_group_tests(gpu, setup, teardown);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(png_provenance),   cmocka_unit_test(import_batch_and_single),
        cmocka_unit_test(import_flux2),     cmocka_unit_test(import_old_format),
        cmocka_unit_test(import_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
