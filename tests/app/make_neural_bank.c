/* make_neural_bank ENCODER DECODER OUT.strata COUNT LWxLH: a neural bank for the end-to-end
 * tests, made the way `strata-bank encode` makes one: COUNT procedural pictures of
 * 8LW x 8LH (colour fields, rings and bars, each keyframe its own), encoded by the real
 * TAESD encoder (CPU reference), the previews decoded back by the decoder, written with
 * strata_bank_neural_begin / add / finish. Deterministic: the same arguments give the
 * same file. Exit 0 on success, 1 with a message on stderr otherwise. */
#include "bank/bank.h"
#include "neural/neural.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Keyframe k's picture, planar rgb [3][h][w] in 0..1. */
static void picture(int k, int w, int h, float *rgb)
{
    float cx = 0.3f + 0.4f * (float)((k * 37) % 11) / 10.0f;
    float cy = 0.3f + 0.4f * (float)((k * 53) % 7) / 6.0f;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            float u = (x + 0.5f) / w, v = (y + 0.5f) / h;
            float d = sqrtf((u - cx) * (u - cx) + (v - cy) * (v - cy));
            float ring = 0.5f + 0.5f * sinf(d * (14.0f + 3.0f * k));
            float bars = 0.5f + 0.5f * sinf((u + v * (k % 3)) * 9.0f + k);
            float c[3] = {
                0.15f + 0.7f * ring * (k % 2 ? 1.0f : u),
                0.1f + 0.6f * bars * v,
                0.2f + 0.6f * (1.0f - ring) * (k % 3 == 1 ? 1.0f : 1.0f - u),
            };
            for (int ch = 0; ch < 3; ch++)
                rgb[((size_t)ch * h + y) * w + x] = c[ch];
        }
    }
}

static int fail(const char *what, const strata_result *r)
{
    fprintf(stderr, "make_neural_bank: %s: %s\n", what, r->msg);
    return 1;
}

int main(int argc, char **argv)
{
    int count, lw, lh;
    if (argc != 6 || sscanf(argv[4], "%d", &count) != 1 || count < 1 || count > 64 ||
        sscanf(argv[5], "%dx%d", &lw, &lh) != 2 || lw < 1 || lh < 1 || lw > 64 || lh > 64) {
        fprintf(stderr, "usage: make_neural_bank ENCODER DECODER OUT.strata COUNT(1..64) "
                        "LWxLH(1..64)\n");
        return 2;
    }
    strata_result r = {0};
    strata_taesd *enc = NULL, *dec = NULL;
    if (strata_taesd_load(argv[1], &enc, &r) != STRATA_OK)
        return fail("encoder", &r);
    if (strata_taesd_load(argv[2], &dec, &r) != STRATA_OK)
        return fail("decoder", &r);
    if (enc->role != STRATA_TAESD_ENCODER || dec->role != STRATA_TAESD_DECODER ||
        enc->family != dec->family) {
        fprintf(stderr, "make_neural_bank: need an encoder and a decoder of one family\n");
        return 1;
    }
    int w = lw * 8, h = lh * 8, c = enc->latent_channels;
    strata_bank_neural_shape shape = {.channels = c, .lh = lh, .lw = lw};
    snprintf(shape.family, sizeof shape.family, "%s", strata_taesd_family_name(enc->family));
    float *rgb = malloc(sizeof(float) * 3 * (size_t)w * h);
    float *back = malloc(sizeof(float) * 3 * (size_t)w * h);
    float *lat = malloc(sizeof(float) * (size_t)c * lw * lh);
    uint8_t *px = malloc((size_t)w * h * 4);
    strata_bank_neural_writer *wr = strata_bank_neural_begin(argv[3], &shape, &r);
    if (!rgb || !back || !lat || !px || !wr)
        return fail(argv[3], &r);
    for (int k = 0; k < count; k++) {
        picture(k, w, h, rgb);
        if (!strata_taesd_encode_cpu(enc, rgb, h, w, lat) ||
            !strata_taesd_decode_cpu(dec, lat, lh, lw, back)) {
            fprintf(stderr, "make_neural_bank: keyframe %d: encode or decode failed\n", k);
            strata_bank_neural_abort(wr);
            return 1;
        }
        for (int i = 0; i < w * h; i++) {
            for (int ch = 0; ch < 3; ch++) {
                float v = back[(size_t)ch * w * h + i];
                v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
                px[i * 4 + ch] = (uint8_t)lrintf(v * 255.0f);
            }
            px[i * 4 + 3] = 255;
        }
        char name[32], prov[96];
        snprintf(name, sizeof name, "picture-%02d", k);
        snprintf(prov, sizeof prov, "{\"source\": \"make_neural_bank\", \"seed\": %d}", k);
        strata_bank_neural_keyframe kf = {
            .name = name, .latent = lat, .preview = px, .provenance = prov};
        if (strata_bank_neural_add(wr, &kf, &r) != STRATA_OK) {
            strata_bank_neural_abort(wr);
            return fail(name, &r);
        }
    }
    if (strata_bank_neural_finish(wr, &r) != STRATA_OK)
        return fail(argv[3], &r);
    printf("%s: %d keyframes of %s latents %dx%d (%d channels)\n", argv[3], count,
           shape.family, lw, lh, c);
    free(rgb);
    free(back);
    free(lat);
    free(px);
    strata_taesd_free(enc);
    strata_taesd_free(dec);
    return 0;
}
