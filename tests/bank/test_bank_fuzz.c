/* bank: open thousands of randomly damaged bank files; none may crash (run this
 * under the sanitizer build too). Half of the mutants get their checksums repaired
 * so the damage reaches the structural checks, the index and the image decoders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank/bank_internal.h"
#include "bank_fixtures.h"

#define MUTANTS 1500 /* per bank kind */

static uint64_t rng = 0x1234567;

static uint32_t rnd(uint32_t n)
{
    return (uint32_t)(strata_bank_splitmix64(&rng) % n);
}

static void mutate(uint8_t *m, size_t *len)
{
    int kind = (int)rnd(6);
    if (kind == 0) {
        *len = rnd((uint32_t)*len); /* truncate anywhere */
    } else if (kind == 1) {
        /* header and section table: where offsets and counts live */
        for (int k = 0, n = 1 + (int)rnd(4); k < n; k++)
            m[rnd(BANK_DATA_START)] = (uint8_t)rnd(256);
    } else if (kind == 2) {
        /* a 32-bit field set to a boundary value */
        static const uint32_t v[] = {0, 1, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu, 64, 65};
        uint32_t val = v[rnd(7)];
        memcpy(m + (rnd((uint32_t)*len - 4) & ~3u), &val, 4);
    } else {
        for (int k = 0, n = 1 + (int)rnd(8); k < n; k++)
            m[rnd((uint32_t)*len)] ^= (uint8_t)(1u << rnd(8));
    }
    if (rnd(2) == 0)
        fx_fix_checksums(m, *len);
}

/* Exercise everything a player would touch on whatever opened. */
static void use(strata_bank *b)
{
    int n = strata_bank_count(b);
    for (int i = 0; i < n && i < 4; i++) {
        int nb[8];
        strata_bank_neighbours(b, i, nb, 8);
        (void)strlen(strata_bank_name(b, i));
        const float *z = strata_bank_latent(b, i);
        if (z) {
            float bias[STRATA_CPPN_WIDTH];
            strata_cppn_first_layer_bias(strata_bank_cppn(b), z, bias);
        }
        strata_bank_neural_shape sh;
        if (strata_bank_neural_shape_get(b, &sh)) {
            float *lat = malloc(sizeof(float) * (size_t)sh.channels * sh.lh * sh.lw);
            assert_true(strata_bank_neural_latent(b, i, lat));
            for (int k = 0; k < sh.channels * sh.lh * sh.lw; k++)
                assert_true(isfinite(lat[k])); /* open refuses non-finite latents */
            free(lat);
            const char *p = strata_bank_provenance(b, i);
            if (p)
                (void)strlen(p);
        }
        int tw, th;
        strata_bank_thumbnail(b, i, &tw, &th);
        strata_keyframe_pixels px;
        strata_result r;
        if (strata_bank_load_sync(b, i, &px, &r) == STRATA_OK)
            strata_bank_release_pixels(b, &px);
    }
}

static void fuzz_file(const char *good_path, const char *dir)
{
    size_t len;
    uint8_t *good = fx_read(good_path, &len);
    assert_non_null(good);
    uint8_t *m = malloc(len);
    char path[400];
    snprintf(path, sizeof path, "%s/mutant.strata", dir);
    int opened = 0, rejected = 0;
    for (int t = 0; t < MUTANTS; t++) {
        memcpy(m, good, len);
        size_t ml = len;
        mutate(m, &ml);
        assert_true(fx_write_bytes(path, m, ml));
        strata_result r = {0};
        strata_bank *b =
            strata_bank_open(path, &(strata_bank_open_desc){.width = 8, .height = 8}, &r);
        if (b) {
            opened++;
            use(b);
            strata_bank_close(b);
        } else {
            rejected++;
            assert_true(r.msg[0] != 0); /* every rejection says why */
        }
        strata_bank_verify(path, &r);
    }
    /* Both outcomes occur, or the fuzzer is not reaching past the first check. */
    assert_true(opened > 0 && rejected > 0);
    free(m);
    free(good);
}

static void fuzz_banks(void **state)
{
    (void)state;
    char dir[256], src[300], p[400], out[400];
    fx_tempdir(dir, sizeof dir);
    snprintf(src, sizeof src, "%s/img", dir);
    strata_result r;
    assert_int_equal(strata_file_mkdirs(src, &r), STRATA_OK);
    uint8_t px[12 * 10 * 4];
    for (int i = 0; i < 3; i++) {
        fx_fill(px, 12, 10, 90 * i, 30, 60);
        snprintf(p, sizeof p, "%s/k%d.%s", src, i, i == 0 ? "png" : (i == 1 ? "jpg" : "webp"));
        bool ok = i == 0 ? fx_write_png(p, px, 12, 10)
                         : (i == 1 ? fx_write_jpg(p, px, 12, 10) : fx_write_webp(p, px, 12, 10));
        assert_true(ok);
    }
    snprintf(out, sizeof out, "%s/img.strata", dir);
    assert_int_equal(strata_bank_build(&(strata_bank_build_desc){.dir = src, .out = out}, NULL, &r),
                     STRATA_OK);
    fuzz_file(out, dir);
    snprintf(out, sizeof out, "%s/lat.strata", dir);
    assert_int_equal(
        strata_bank_build_latent(
            &(strata_bank_latent_desc){.out = out, .count = 3, .dim = 4, .seed = 5}, &r),
        STRATA_OK);
    fuzz_file(out, dir);
    /* A neural bank: 16 channels of 3x2, previews 16x24, provenance on two keyframes. */
    snprintf(out, sizeof out, "%s/neural.strata", dir);
    strata_bank_neural_shape sh = {.channels = 16, .lh = 3, .lw = 2, .family = "taesd3/taef1"};
    strata_bank_neural_writer *w = strata_bank_neural_begin(out, &sh, &r);
    assert_non_null(w);
    uint8_t prev[16 * 24 * 4];
    float lat[16 * 3 * 2];
    static const char *const prov[3] = {"{\"prompt\": \"moss\", \"seed\": 3}", NULL, "{}"};
    for (int i = 0; i < 3; i++) {
        fx_fill(prev, 16, 24, 80 * i, 200 - 50 * i, 30);
        for (int k = 0; k < 96; k++)
            lat[k] = (float)((k * 7 + i * 31) % 23) / 5.0f - 2.0f;
        strata_bank_neural_keyframe kf = {i == 1 ? "b.latent#1" : "a.png", lat, prev, prov[i]};
        assert_int_equal(strata_bank_neural_add(w, &kf, &r), STRATA_OK);
    }
    assert_int_equal(strata_bank_neural_finish(w, &r), STRATA_OK);
    fuzz_file(out, dir);
    fx_rmtree(dir);
}

int main(void)
{
    strata_log_set_quiet(true);
    const struct CMUnitTest tests[] = {cmocka_unit_test(fuzz_banks)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
