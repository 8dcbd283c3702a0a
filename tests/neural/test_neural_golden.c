/* Golden figures of the CPU reference with the real TAEF2 weights (madebyollin/taesd,
 * MIT), from an independent PyTorch implementation (fp32 arithmetic over the fp16
 * weights; issue 10). The weights are read from ../shared/models/taef2 beside the source
 * tree and never copied into the project; without them the tests skip and say why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neural/neural.h"
#include "neural_fixtures.h"

#define TOL 1e-3

static void near(double got, double want, const char *what)
{
    if (fabs(got - want) > TOL)
        fail_msg("%s = %.5f, expected %.4f (within %g)", what, got, want, TOL);
}

#define PX(img, c, x, y) ((img)[((size_t)(c)*64 + (y)) * 64 + (x)])

static void decoder_golden(void **state)
{
    (void)state;
    strata_taesd *m;
    NF_TAEF2_OR_SKIP(m, "taef2_decoder.safetensors");
    assert_int_equal(m->family, STRATA_TAESD_F2);
    assert_int_equal(m->role, STRATA_TAESD_DECODER);
    assert_int_equal(m->latent_channels, 32);
    float *lat = malloc(sizeof(float) * 32 * 8 * 8), *rgb = malloc(sizeof(float) * 3 * 64 * 64);
    for (int c = 0; c < 32; c++)
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                lat[(c * 8 + y) * 8 + x] = 2.0f * sinf(0.7f * c + 0.9f * x + 1.3f * y);
    assert_true(strata_taesd_decode_cpu(m, lat, 8, 8, rgb));
    float lo = rgb[0], hi = rgb[0];
    double mean[3] = {0};
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 64 * 64; i++) {
            float v = rgb[c * 64 * 64 + i];
            lo = fminf(lo, v), hi = fmaxf(hi, v);
            mean[c] += strata_clampf(v, 0, 1) / (64.0 * 64.0);
        }
    print_message("decode: range %.4f .. %.4f, means %.4f %.4f %.4f\n", lo, hi, mean[0], mean[1],
                  mean[2]);
    near(lo, 0.0755, "min");
    near(hi, 0.9213, "max");
    static const struct {
        int x, y;
        double rgb[3];
    } px[] = {{0, 0, {0.7121, 0.5143, 0.5380}},
              {31, 17, {0.6921, 0.6602, 0.6047}},
              {63, 63, {0.1877, 0.1996, 0.2229}},
              {10, 50, {0.1946, 0.1751, 0.1784}}};
    for (size_t i = 0; i < sizeof px / sizeof *px; i++)
        for (int c = 0; c < 3; c++) {
            char what[64];
            snprintf(what, sizeof what, "pixel (%d, %d) channel %d", px[i].x, px[i].y, c);
            near(PX(rgb, c, px[i].x, px[i].y), px[i].rgb[c], what);
        }
    near(mean[0], 0.4656, "mean R");
    near(mean[1], 0.4434, "mean G");
    near(mean[2], 0.4081, "mean B");
    free(lat);
    free(rgb);
    strata_taesd_free(m);
}

static void encoder_golden(void **state)
{
    (void)state;
    strata_result r = {0};
    strata_taesd *enc = nf_taef2_load("taef2_encoder.safetensors", &r);
    strata_taesd *dec = enc ? nf_taef2_load("taef2_decoder.safetensors", &r) : NULL;
    if (r.status != STRATA_OK)
        fail_msg("%s", r.msg);
    if (!enc || !dec) {
        strata_taesd_free(enc);
        skip();
        return;
    }
    assert_int_equal(enc->role, STRATA_TAESD_ENCODER);
    assert_int_equal(enc->family, STRATA_TAESD_F2);
    float *img = malloc(sizeof(float) * 3 * 64 * 64), *lat = malloc(sizeof(float) * 32 * 64);
    float *out = malloc(sizeof(float) * 3 * 64 * 64);
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++) {
            PX(img, 0, x, y) = 4.0f * x / 255.0f;
            PX(img, 1, x, y) = 4.0f * y / 255.0f;
            PX(img, 2, x, y) = (128.0f + 100.0f * sinf((x + y) / 6.0f)) / 255.0f;
        }
    assert_true(strata_taesd_encode_cpu(enc, img, 64, 64, lat));
    double sum = 0, sq = 0;
    for (int i = 0; i < 32 * 64; i++)
        sum += lat[i];
    double mean = sum / (32 * 64);
    for (int i = 0; i < 32 * 64; i++)
        sq += (lat[i] - mean) * (lat[i] - mean);
    double std = sqrt(sq / (32 * 64 - 1)); /* torch.std: the unbiased estimate */
    print_message("encode: mean %.4f std %.4f\n", mean, std);
    near(mean, -0.0848, "latent mean");
    near(std, 0.8725, "latent std");
#define L(c, y, x) lat[((c)*8 + (y)) * 8 + (x)]
    near(L(0, 0, 0), 0.5354, "L[0][0][0]");
    near(L(5, 3, 4), 0.1448, "L[5][3][4]");
    near(L(31, 7, 7), 0.0533, "L[31][7][7]");
    near(L(17, 2, 6), 1.1527, "L[17][2][6]");
    /* encode, then decode: PSNR of the clamped picture against the original */
    assert_true(strata_taesd_decode_cpu(dec, lat, 8, 8, out));
    double se = 0;
    for (int i = 0; i < 3 * 64 * 64; i++) {
        double d = strata_clampf(out[i], 0, 1) - img[i];
        se += d * d;
    }
    double psnr = 10.0 * log10(1.0 / (se / (3 * 64 * 64)));
    print_message("encode then decode: PSNR %.3f dB\n", psnr);
    if (fabs(psnr - 27.80) > 0.05)
        fail_msg("PSNR %.3f dB, expected 27.80 (within 0.05)", psnr);
    free(img);
    free(lat);
    free(out);
    strata_taesd_free(enc);
    strata_taesd_free(dec);
}

int main(void)
{
    strata_log_set_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoder_golden),
        cmocka_unit_test(encoder_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
