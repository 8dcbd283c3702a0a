/* strata-bank encode end to end with the real TAEF2 weights (../shared/models/taef2; skipped,
 * saying why, when absent): a folder of photo-like 64x64 images made here (gradients, shapes,
 * mild noise; one carrying ComfyUI tEXt chunks, one a JPEG, one corrupt) encoded at 64x64 by
 * the real program, its decoder found by name beside the encoder. The bank opens with the
 * right count and shape, the corrupt file is named once and skipped, the provenance is there,
 * and every preview resembles its input (PSNR >= 20 dB; TAEF2's round trip gives ~27.8 dB on
 * the golden image). Also the refusals: a size not a multiple of 8, a decoder of another
 * family, a decoder given as the model. With --gpu the program encodes and decodes on the GPU
 * (GL 4.3 compute; llvmpipe here) and the same checks hold. */
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
#include <stb/stb_image_write.h>
#include <zlib.h>

#include "bank/bank.h"
#include "neural/neural.h"
#include "neural_fixtures.h"

#define N_GOOD 4
#define SIDE 64

static char tmp[64];
static bool use_gpu; /* --gpu: the program runs both models on the GPU (llvmpipe here) */
static uint8_t images[N_GOOD][SIDE * SIDE * 3];

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static uint8_t clamp8(float v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrintf(v));
}

/* Photo-like: a smooth sky-to-ground gradient of the image's own hues, a disc and a bar, and
 * mild noise (+-6 levels) as a sensor would add. */
static void make_image(int k, uint8_t *px)
{
    uint32_t seed = 99u + (uint32_t)k;
    float cx = 16.0f + 10.0f * k, cy = 40.0f - 6.0f * k, rad = 10.0f + 2.0f * k;
    float hue[3] = {0.8f - 0.15f * k, 0.5f + 0.1f * k, 0.3f + 0.17f * k};
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            float t = (float)y / SIDE, dx = x - cx, dy = y - cy;
            bool disc = dx * dx + dy * dy < rad * rad;
            bool bar = x > 40 - 4 * k && x < 48 - 4 * k && y > 8;
            for (int c = 0; c < 3; c++) {
                float v = 255.0f * (hue[c] * (1.0f - t) + (1.0f - hue[c]) * t * 0.7f);
                if (disc)
                    v = 255.0f * (c == k % 3 ? 0.9f : 0.25f);
                if (bar)
                    v = 40.0f + 20.0f * c;
                v += (float)(rnd(&seed) % 13) - 6.0f;
                px[(y * SIDE + x) * 3 + c] = clamp8(v);
            }
        }
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * (3 - i)));
}

static const char *prompt_json = "{\"6\":{\"class_type\":\"CLIPTextEncode\",\"inputs\":{\"text\":"
                                 "\"a lighthouse at dusk\"}}}";

/* A PNG written by stb with ComfyUI's tEXt chunks spliced in after IHDR (byte 33). */
static void write_png_with_text(const char *path, const uint8_t *px)
{
    assert_true(stbi_write_png(path, SIDE, SIDE, 3, px, SIDE * 3));
    char *png = NULL;
    size_t len = 0;
    assert_int_equal(strata_file_read(path, &png, &len, 1u << 20, NULL), STRATA_OK);
    static const char *const kv[2][2] = {{"prompt", NULL}, {"workflow", "{\"last_node_id\":12}"}};
    uint8_t *out = malloc(len + 4096);
    size_t n = 33;
    memcpy(out, png, 33);
    for (int i = 0; i < 2; i++) {
        const char *key = kv[i][0], *text = i == 0 ? prompt_json : kv[i][1];
        size_t kn = strlen(key) + 1, tn = strlen(text);
        put32(out + n, (uint32_t)(kn + tn));
        memcpy(out + n + 4, "tEXt", 4);
        memcpy(out + n + 8, key, kn);
        memcpy(out + n + 8 + kn, text, tn);
        put32(out + n + 8 + kn + tn,
              (uint32_t)crc32(crc32(0L, Z_NULL, 0), out + n + 4, (uInt)(4 + kn + tn)));
        n += 12 + kn + tn;
    }
    memcpy(out + n, png + 33, len - 33);
    n += len - 33;
    assert_true(nf_write_bytes(path, out, n));
    free(out);
    free(png);
}

static double psnr(const uint8_t *rgb, const uint8_t *rgba)
{
    double se = 0;
    for (int i = 0; i < SIDE * SIDE; i++)
        for (int c = 0; c < 3; c++) {
            double d = (double)rgb[i * 3 + c] - rgba[i * 4 + c];
            se += d * d;
        }
    double mse = se / (SIDE * SIDE * 3);
    return 10.0 * log10(255.0 * 255.0 / (mse > 1e-9 ? mse : 1e-9));
}

/* The folder: frame1..frame4 (frame2 a JPEG, frame3 with ComfyUI chunks), broken.png. */
static void make_folder(char *dir, size_t n)
{
    snprintf(dir, n, "%s/stills", tmp);
    assert_int_equal(mkdir(dir, 0700), 0);
    char path[256];
    for (int k = 0; k < N_GOOD; k++) {
        make_image(k, images[k]);
        if (k == 1) {
            snprintf(path, sizeof path, "%s/frame%d.jpg", dir, k + 1);
            assert_true(stbi_write_jpg(path, SIDE, SIDE, 3, images[k], 95));
        } else if (k == 2) {
            snprintf(path, sizeof path, "%s/frame%d.png", dir, k + 1);
            write_png_with_text(path, images[k]);
        } else {
            snprintf(path, sizeof path, "%s/frame%d.png", dir, k + 1);
            assert_true(stbi_write_png(path, SIDE, SIDE, 3, images[k], SIDE * 3));
        }
    }
    static const uint8_t broken[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                     'I',  'H', 'D', 'R', 0xde, 0xad, 0xbe, 0xef, 1, 2, 3};
    snprintf(path, sizeof path, "%s/broken.png", dir);
    assert_true(nf_write_bytes(path, broken, sizeof broken));
}

static void encode_taef2(void **state)
{
    (void)state;
    char enc[1024], dir[128], out[128], so[4096], err[4096];
    if (!nf_taef2_path("taef2_encoder.safetensors", enc, sizeof enc)) {
        skip();
        return;
    }
    make_folder(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/stills.strata", tmp);
    const char *args[] = {"encode", dir, "--model", enc,   "--size", "64x64",
                          "-o",     out, use_gpu ? "--gpu" : NULL, NULL};
    int rc = nf_run_bank(args, so, sizeof so, err, sizeof err);
    if (rc != 0)
        fail_msg("encode: exit %d: %s", rc, err);
    assert_non_null(strstr(so, use_gpu ? "encoded on the GPU, previews decoded on the GPU"
                                       : "previews decoded on the"));
    /* the corrupt file named once, the rest encoded; the backend said */
    assert_non_null(strstr(err, "skipped broken.png"));
    assert_null(strstr(strstr(err, "skipped broken.png") + 1, "skipped broken.png"));
    assert_non_null(strstr(so, "4 keyframes, 1 skipped, taef2 latents 32x8x8 for 64x64"));
    strata_result r = {0};
    strata_bank *b = strata_bank_open(
        out, &(strata_bank_open_desc){.width = SIDE, .height = SIDE}, &r);
    if (!b)
        fail_msg("%s", r.msg);
    assert_int_equal(strata_bank_kind(b), STRATA_BANK_NEURAL);
    assert_int_equal(strata_bank_count(b), N_GOOD);
    strata_bank_neural_shape sh;
    assert_true(strata_bank_neural_shape_get(b, &sh));
    assert_int_equal(sh.channels, 32);
    assert_int_equal(sh.lh, 8);
    assert_int_equal(sh.lw, 8);
    assert_string_equal(sh.family, "taef2");
    assert_string_equal(sh.format, "flux2");
    for (int k = 0; k < N_GOOD; k++) {
        char name[32];
        snprintf(name, sizeof name, "frame%d.%s", k + 1, k == 1 ? "jpg" : "png");
        assert_string_equal(strata_bank_name(b, k), name);
        json_t *j = json_loads(strata_bank_provenance(b, k), 0, NULL);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "source")), name);
        if (k == 2) {
            json_t *p = json_object_get(json_object_get(json_object_get(j, "prompt"), "6"),
                                        "inputs");
            assert_string_equal(json_string_value(json_object_get(p, "text")),
                                "a lighthouse at dusk");
            assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "workflow"),
                                                                "last_node_id")),
                             12);
        } else {
            assert_null(json_object_get(j, "prompt"));
        }
        json_decref(j);
        float lat[32 * 64];
        assert_true(strata_bank_neural_latent(b, k, lat));
        strata_keyframe_pixels px = {0};
        if (strata_bank_load_sync(b, k, &px, &r) != STRATA_OK)
            fail_msg("preview %d: %s", k, r.msg);
        double db = psnr(images[k], px.rgba);
        print_message("%s: preview PSNR %.2f dB against its input\n", name, db);
        if (db < 20.0)
            fail_msg("%s: preview PSNR %.2f dB < 20 dB", name, db);
        strata_bank_release_pixels(b, &px);
    }
    strata_bank_close(b);
}

static void encode_refusals(void **state)
{
    (void)state;
    char enc[1024], dec4[128], dir[128], out[128], so[1024], err[2048];
    if (!nf_taef2_path("taef2_encoder.safetensors", enc, sizeof enc)) {
        skip();
        return;
    }
    snprintf(dir, sizeof dir, "%s/one", tmp);
    assert_int_equal(mkdir(dir, 0700), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/a.png", dir);
    make_image(0, images[0]);
    assert_true(stbi_write_png(path, SIDE, SIDE, 3, images[0], SIDE * 3));
    snprintf(out, sizeof out, "%s/r.strata", tmp);
    const char *size[] = {"encode", dir, "--model", enc, "--size", "100x64", "-o", out, NULL};
    assert_int_equal(nf_run_bank(size, so, sizeof so, err, sizeof err), 2);
    assert_non_null(strstr(err, "--size 100x64: both sides must be multiples of 8"));
    nf_list l = {0};
    nf_taesd(&l, 4, true, false, 3);
    snprintf(dec4, sizeof dec4, "%s/taesd_decoder.safetensors", tmp);
    assert_true(nf_write(dec4, &l));
    nf_free(&l);
    const char *fam[] = {"encode", dir,   "--model", enc, "--decoder", dec4, "--size", "64x64",
                         "-o",     out,   NULL};
    assert_int_equal(nf_run_bank(fam, so, sizeof so, err, sizeof err), 1);
    assert_non_null(strstr(err, "taef2_encoder.safetensors is taef2 (32 channels) but the "
                                "decoder"));
    assert_non_null(strstr(err, "taesd_decoder.safetensors is taesd/taesdxl (4)"));
    const char *role[] = {"encode", dir, "--model", dec4, "--size", "64x64", "-o", out, NULL};
    assert_int_equal(nf_run_bank(role, so, sizeof so, err, sizeof err), 1);
    assert_non_null(strstr(err, "is a TAESD decoder, --model takes the encoder"));
    struct stat st;
    assert_int_not_equal(stat(out, &st), 0);
}

static int setup(void **state)
{
    (void)state;
    return nf_tempdir(tmp, sizeof tmp, "encode") ? 0 : -1;
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
    if (use_gpu) {
        const struct CMUnitTest gpu[] = {cmocka_unit_test(encode_taef2)};
        return cmocka_run_group_tests(gpu, setup, teardown);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encode_taef2),
        cmocka_unit_test(encode_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
