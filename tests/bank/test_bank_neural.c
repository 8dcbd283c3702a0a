/* bank: neural banks (diffusion latents, previews, provenance): written with the writer,
 * read back through open, the loader, load_sync, info and verify; hostile files and
 * refused input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bank/bank_internal.h"
#include "bank_fixtures.h"

#define NK 12 /* keyframes of the round-trip bank */

static char dir[256];

/* Roughly normal values (sum of four uniforms) with a spread that makes fp16 round. */
static void gen_latent(uint64_t seed, int i, size_t dim, float *out)
{
    uint64_t s = seed * 1000003u + (uint64_t)i;
    for (size_t k = 0; k < dim; k++) {
        double u = 0;
        for (int q = 0; q < 4; q++)
            u += (double)(strata_bank_splitmix64(&s) >> 11) / 9007199254740992.0;
        out[k] = (float)((u - 2.0) * 2.1);
    }
}

static void gen_preview(int i, int w, int h, uint8_t *px)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = px + ((size_t)y * w + x) * 4;
            p[0] = (uint8_t)(x * 7 + i * 40);
            p[1] = (uint8_t)(y * 5 + i * 13);
            p[2] = (uint8_t)((x ^ y) * 3 + i * 90);
            p[3] = 255;
        }
}

static strata_bank_neural_shape shape_of(int c, int lh, int lw, const char *family,
                                         const char *format)
{
    strata_bank_neural_shape s = {.channels = c, .lh = lh, .lw = lw};
    snprintf(s.family, sizeof s.family, "%s", family);
    snprintf(s.format, sizeof s.format, "%s", format);
    return s;
}

static const char *const prov[NK] = {
    "{\"prompt\": \"a lighthouse at dusk\", \"seed\": 42, \"model\": \"flux2-dev\"}",
    NULL,
    "{\"parameters\": \"red moss\\nNegative prompt: blur\\nSteps: 20, Seed: 7, Model: sdxl\"}",
    "{}",
    "{\"source\": \"k4.png\", \"unicode\": \"caf\\u00e9 \xe2\x9c\x93\"}",
};

/* Write a bank of n keyframes at path; latents and previews from seed; the latents as
 * given are returned in lat (n x dim) when not NULL. */
static void write_bank(const char *path, const strata_bank_neural_shape *sh, int n, uint64_t seed,
                       float *lat)
{
    strata_result r = {0};
    strata_bank_neural_writer *w = strata_bank_neural_begin(path, sh, &r);
    if (!w)
        fail_msg("begin: %s", r.msg);
    size_t dim = (size_t)sh->channels * sh->lh * sh->lw;
    int pw = 8 * sh->lw, ph = 8 * sh->lh;
    float *z = malloc(sizeof(float) * dim);
    uint8_t *px = malloc((size_t)pw * ph * 4);
    for (int i = 0; i < n; i++) {
        gen_latent(seed, i, dim, z);
        if (lat)
            memcpy(lat + dim * (size_t)i, z, sizeof(float) * dim);
        gen_preview(i, pw, ph, px);
        char name[32];
        snprintf(name, sizeof name, "k%d.png", i);
        strata_bank_neural_keyframe kf = {name, z, px, i < NK ? prov[i] : NULL};
        if (strata_bank_neural_add(w, &kf, &r) != STRATA_OK)
            fail_msg("add %d: %s", i, r.msg);
    }
    free(z);
    free(px);
    if (strata_bank_neural_finish(w, &r) != STRATA_OK)
        fail_msg("finish: %s", r.msg);
}

static void expect_pixels(const strata_keyframe_pixels *px, const strata_bank_neural_shape *sh,
                          int w, int h, strata_bank_fit fit)
{
    int pw = 8 * sh->lw, ph = 8 * sh->lh;
    uint8_t *src = malloc((size_t)pw * ph * 4), *want = malloc((size_t)w * h * 4);
    gen_preview(px->index, pw, ph, src);
    strata_result r;
    assert_int_equal(strata_bank_resample(src, pw, ph, want, w, h, fit, &r), STRATA_OK);
    assert_int_equal(px->width, w);
    assert_int_equal(px->height, h);
    /* PNG is lossless and the loader resamples with the same function: exact. */
    if (memcmp(px->rgba, want, (size_t)w * h * 4) != 0)
        fail_msg("keyframe %d: pixels differ from the written preview", px->index);
    free(src);
    free(want);
}

/* Latents (exact fp16 bits), shape, names, provenance, previews through load_sync and
 * the loader thread, thumbnails, info and verify. */
static void round_trip(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof path, "%s/rt.strata", dir);
    strata_bank_neural_shape sh = shape_of(4, 6, 5, "taesd/taesdxl", "sdxl");
    size_t dim = 4 * 6 * 5;
    float *lat = malloc(sizeof(float) * dim * NK);
    write_bank(path, &sh, NK, 3, lat);

    strata_result r = {0};
    const int W = 64, H = 36;
    strata_bank *b = strata_bank_open(
        path, &(strata_bank_open_desc){.width = W, .height = H, .fit = STRATA_BANK_FILL}, &r);
    if (!b)
        fail_msg("open: %s", r.msg);
    assert_int_equal(strata_bank_kind(b), STRATA_BANK_NEURAL);
    assert_int_equal(strata_bank_count(b), NK);
    strata_bank_neural_shape got;
    assert_true(strata_bank_neural_shape_get(b, &got));
    assert_int_equal(got.channels, 4);
    assert_int_equal(got.lh, 6);
    assert_int_equal(got.lw, 5);
    assert_string_equal(got.family, "taesd/taesdxl");
    assert_string_equal(got.format, "sdxl");
    assert_null(strata_bank_latent(b, 0)); /* the CPPN accessors stay for latent sets */
    assert_int_equal(strata_bank_latent_dim(b), 0);
    assert_null(strata_bank_cppn(b));

    float *z = malloc(sizeof(float) * dim);
    int rounded = 0;
    for (int i = 0; i < NK; i++) {
        assert_true(strata_bank_neural_latent(b, i, z));
        for (size_t k = 0; k < dim; k++) {
            float in = lat[dim * i + k], want = strata_half_to_float(strata_float_to_half(in));
            if (memcmp(&z[k], &want, sizeof want) != 0)
                fail_msg("keyframe %d value %zu: %a, want %a", i, k, z[k], want);
            rounded += z[k] != in;
            assert_true(fabsf(z[k] - in) <= fabsf(in) * 0x1p-11f + 0x1p-25f);
        }
        char name[32];
        snprintf(name, sizeof name, "k%d.png", i);
        assert_string_equal(strata_bank_name(b, i), name);
        const char *p = strata_bank_provenance(b, i);
        if (prov[i])
            assert_string_equal(p, prov[i]);
        else
            assert_null(p);
    }
    assert_true(rounded > 0); /* the generator made values fp16 must round */
    assert_false(strata_bank_neural_latent(b, NK, z));
    assert_false(strata_bank_neural_latent(b, -1, z));
    assert_null(strata_bank_provenance(b, NK));

    /* Through the loader: every preview, once, fill-cropped to the open size. */
    int want[NK], seen[NK] = {0}, got_n = 0;
    for (int i = 0; i < NK; i++)
        want[i] = i;
    assert_true(strata_bank_request(b, want, NK));
    double t0 = strata_time_s();
    while (got_n < NK && strata_time_s() - t0 < 20.0) {
        strata_keyframe_pixels px;
        if (strata_bank_poll_ready(b, &px)) {
            expect_pixels(&px, &sh, W, H, STRATA_BANK_FILL);
            seen[px.index]++;
            got_n++;
            strata_bank_release_pixels(b, &px);
        } else {
            strata_sleep_s(0.001);
        }
    }
    assert_int_equal(got_n, NK);
    for (int i = 0; i < NK; i++)
        assert_int_equal(seen[i], 1);
    strata_keyframe_pixels px;
    assert_int_equal(strata_bank_load_sync(b, 7, &px, &r), STRATA_OK);
    expect_pixels(&px, &sh, W, H, STRATA_BANK_FILL);
    strata_bank_release_pixels(b, &px);
    /* Thumbnails are the previews fill-scaled to 64x64. */
    int tw = 0, th = 0;
    const uint8_t *t = strata_bank_thumbnail(b, 5, &tw, &th);
    assert_non_null(t);
    assert_true(tw == 64 && th == 64);
    uint8_t *src = malloc(40 * 48 * 4), *tt = malloc(64 * 64 * 4);
    gen_preview(5, 40, 48, src);
    strata_bank_resample(src, 40, 48, tt, 64, 64, STRATA_BANK_FILL, &r);
    assert_memory_equal(t, tt, 64 * 64 * 4);
    free(src);
    free(tt);
    strata_bank_close(b);

    /* Letterboxed to another size: load_sync equals the fit of the written preview. */
    b = strata_bank_open(path, &(strata_bank_open_desc){.width = 50, .height = 50}, &r);
    assert_non_null(b);
    assert_int_equal(strata_bank_load_sync(b, 0, &px, &r), STRATA_OK);
    expect_pixels(&px, &sh, 50, 50, STRATA_BANK_FIT);
    strata_bank_release_pixels(b, &px);
    strata_bank_close(b);

    strata_bank_info in;
    assert_int_equal(strata_bank_read_info(path, &in, &r), STRATA_OK);
    assert_int_equal(in.kind, STRATA_BANK_NEURAL);
    assert_int_equal(in.count, NK);
    assert_int_equal(in.dim, (int)dim);
    assert_int_equal(in.feat_dim, 4 * 16);
    assert_int_equal(in.neural.channels, 4);
    assert_true(in.neural.lh == 6 && in.neural.lw == 5);
    assert_string_equal(in.neural.family, "taesd/taesdxl");
    assert_string_equal(in.neural.format, "sdxl");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(in.file_size, (uint64_t)st.st_size);
    if (strata_bank_verify(path, &r) != STRATA_OK)
        fail_msg("verify: %s", r.msg);
    free(z);
    free(lat);
}

/* Pooled features as the test computes them: 8x8 latent -> 4x4 cells of 2x2. */
static void pool8(const float *z, int c, float *out)
{
    for (int ch = 0; ch < c; ch++)
        for (int gy = 0; gy < 4; gy++)
            for (int gx = 0; gx < 4; gx++) {
                const float *p = z + ((size_t)ch * 64) + gy * 2 * 8 + gx * 2;
                out[(ch * 4 + gy) * 4 + gx] = (p[0] + p[1] + p[8] + p[9]) / 4;
            }
}

/* Four clusters of five latents (16 channels, 8x8): each keyframe's four nearest are its
 * own cluster, and the first is the true nearest by pooled latent. */
static void neighbours_by_pooled_latent(void **state)
{
    (void)state;
    enum { NC = 4, PER = 5, N = NC * PER, C = 16, DIM = C * 64, FD = C * 16 };
    char path[400];
    snprintf(path, sizeof path, "%s/knn.strata", dir);
    strata_bank_neural_shape sh = shape_of(C, 8, 8, "taesd3/taef1", "");
    float *lat = malloc(sizeof(float) * DIM * N), *feat = malloc(sizeof(float) * FD * N);
    float centre[DIM], noise[DIM];
    for (int c = 0; c < NC; c++) {
        gen_latent(100, c, DIM, centre);
        for (int m = 0; m < PER; m++) {
            gen_latent(200, c * PER + m, DIM, noise);
            float *z = lat + (size_t)DIM * (c * PER + m);
            for (int k = 0; k < DIM; k++)
                z[k] = centre[k] + 0.05f * noise[k];
        }
    }
    strata_result r = {0};
    strata_bank_neural_writer *w = strata_bank_neural_begin(path, &sh, &r);
    assert_non_null(w);
    uint8_t *px = malloc(64 * 64 * 4);
    for (int i = 0; i < N; i++) {
        gen_preview(i, 64, 64, px);
        /* Stored (fp16) values decide the graph; pool what the bank holds. */
        float q[DIM];
        for (int k = 0; k < DIM; k++)
            q[k] = strata_half_to_float(strata_float_to_half(lat[(size_t)DIM * i + k]));
        pool8(q, C, feat + (size_t)FD * i);
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        strata_bank_neural_keyframe kf = {name, lat + (size_t)DIM * i, px, NULL};
        assert_int_equal(strata_bank_neural_add(w, &kf, &r), STRATA_OK);
    }
    assert_int_equal(strata_bank_neural_finish(w, &r), STRATA_OK);
    strata_bank *b =
        strata_bank_open(path, &(strata_bank_open_desc){.width = 16, .height = 16}, &r);
    assert_non_null(b);
    for (int i = 0; i < N; i++) {
        int best = -1;
        double bd = INFINITY;
        for (int j = 0; j < N; j++) {
            if (j == i)
                continue;
            double d = 0;
            for (int k = 0; k < FD; k++) {
                double e = (double)feat[(size_t)FD * i + k] - feat[(size_t)FD * j + k];
                d += e * e;
            }
            if (d < bd) {
                bd = d;
                best = j;
            }
        }
        int nb[8], k = strata_bank_neighbours(b, i, nb, 8);
        assert_int_equal(k, 8);
        assert_int_equal(nb[0], best);
        for (int q = 0; q < PER - 1; q++)
            if (nb[q] / PER != i / PER)
                fail_msg("keyframe %d: neighbour %d is %d, outside its cluster", i, q, nb[q]);
    }
    strata_bank_close(b);
    free(px);
    free(lat);
    free(feat);
}

static void expect_open_fails(const char *path, const char *want)
{
    strata_result r = {0};
    strata_bank *b = strata_bank_open(path, &(strata_bank_open_desc){.width = 8, .height = 8}, &r);
    if (b)
        fail_msg("%s opened, expected: %s", path, want);
    if (!strstr(r.msg, path) || !strstr(r.msg, want))
        fail_msg("message \"%s\" lacks the file or \"%s\"", r.msg, want);
    r = (strata_result){0};
    assert_int_not_equal(strata_bank_verify(path, &r), STRATA_OK);
    assert_non_null(strstr(r.msg, path));
}

static bank_section_entry *table(uint8_t *f)
{
    return (bank_section_entry *)(f + BANK_TABLE_OFFSET);
}

/* Damaged files: one clear error naming the file, at open and in verify. */
static void hostile_neural_files(void **state)
{
    (void)state;
    char good_path[400], bad[400];
    snprintf(good_path, sizeof good_path, "%s/good.strata", dir);
    snprintf(bad, sizeof bad, "%s/bad.strata", dir);
    strata_bank_neural_shape sh = shape_of(32, 2, 3, "taef2", "flux2");
    write_bank(good_path, &sh, 5, 9, NULL);
    size_t len;
    uint8_t *good = fx_read(good_path, &len), *m = malloc(len);
    const bank_section_entry *t = table(good);
    static const struct {
        int sec;
        const char *msg;
    } flips[] = {{SEC_LATENTS, "latents section checksum"},
                 {SEC_NEURAL, "neural shape section checksum"},
                 {SEC_PROVENANCE, "provenance section checksum"},
                 {SEC_INDEX, "index section checksum"}};
    for (size_t f = 0; f < sizeof flips / sizeof *flips; f++) {
        memcpy(m, good, len);
        m[t[flips[f].sec].offset + t[flips[f].sec].size / 2] ^= 0x08;
        assert_true(fx_write_bytes(bad, m, len));
        expect_open_fails(bad, flips[f].msg);
    }
    /* A flipped preview byte: open works, that keyframe fails to load, verify finds it. */
    memcpy(m, good, len);
    m[t[SEC_DATA].offset + 60] ^= 0x08;
    assert_true(fx_write_bytes(bad, m, len));
    strata_result r = {0};
    assert_int_not_equal(strata_bank_verify(bad, &r), STRATA_OK);
    assert_non_null(strstr(r.msg, "images section checksum"));
    strata_bank *b = strata_bank_open(bad, &(strata_bank_open_desc){.width = 8, .height = 8}, &r);
    assert_non_null(b);
    strata_keyframe_pixels px;
    assert_int_not_equal(strata_bank_load_sync(b, 0, &px, &r), STRATA_OK);
    assert_non_null(strstr(r.msg, "checksum"));
    assert_true(strata_bank_is_bad(b, 0));
    assert_int_equal(strata_bank_load_sync(b, 1, &px, &r), STRATA_OK);
    strata_bank_release_pixels(b, &px);
    strata_bank_close(b);
    /* Truncated anywhere past the header. */
    assert_true(fx_write_bytes(bad, good, len - 5));
    expect_open_fails(bad, "truncated");
    assert_true(fx_write_bytes(bad, good, 100));
    expect_open_fails(bad, "truncated");

    /* Structural damage with every checksum repaired reaches the deeper checks. */
    memcpy(m, good, len);
    bank_neural_desc *d = (bank_neural_desc *)(m + t[SEC_NEURAL].offset);
    d->channels = 16; /* disagrees with the family */
    fx_fix_checksums(m, len);
    assert_true(fx_write_bytes(bad, m, len));
    expect_open_fails(bad, "family taef2 has 32 latent channels, not 16");
    memcpy(m, good, len);
    d->lw = 4; /* a valid shape that disagrees with the header's dim */
    fx_fix_checksums(m, len);
    assert_true(fx_write_bytes(bad, m, len));
    expect_open_fails(bad, "disagrees with the latent shape");
    memcpy(m, good, len);
    memset(d->family, 'x', sizeof d->family); /* not terminated */
    fx_fix_checksums(m, len);
    assert_true(fx_write_bytes(bad, m, len));
    expect_open_fails(bad, "not terminated");
    memcpy(m, good, len);
    uint16_t nan16 = 0x7e00;
    memcpy(m + t[SEC_LATENTS].offset + 2 * (2 * 192 + 5), &nan16, 2); /* keyframe 2 */
    fx_fix_checksums(m, len);
    assert_true(fx_write_bytes(bad, m, len));
    expect_open_fails(bad, "keyframe 2: latent value 5 is not finite");
    memcpy(m, good, len);
    bank_prov *pv = (bank_prov *)(m + t[SEC_PROVENANCE].offset);
    pv[2].offset = 1ull << 62;
    fx_fix_checksums(m, len);
    assert_true(fx_write_bytes(bad, m, len));
    expect_open_fails(bad, "keyframe 2: provenance at");
    memcpy(m, good, len);
    pv[0].length += 1; /* would swallow the NUL */
    fx_fix_checksums(m, len);
    assert_true(fx_write_bytes(bad, m, len));
    expect_open_fails(bad, "keyframe 0: provenance text not NUL-terminated");
    memcpy(m, good, len);
    bank_entry *idx = (bank_entry *)(m + t[SEC_INDEX].offset);
    idx[1].width = 16; /* a preview of the wrong size */
    fx_fix_checksums(m, len);
    assert_true(fx_write_bytes(bad, m, len));
    expect_open_fails(bad, "keyframe 1: preview 16x16");
    memcpy(m, good, len);
    table(m)[SEC_PROVENANCE].size = 16; /* shorter than its index */
    fx_fix_checksums(m, len);
    assert_true(fx_write_bytes(bad, m, len));
    expect_open_fails(bad, "provenance section is 16 bytes");
    /* A provenance that is valid text but not a JSON object: opens (open does not parse
     * JSON), verify names the keyframe. */
    memcpy(m, good, len);
    char *text = (char *)(m + t[SEC_PROVENANCE].offset + 5 * sizeof(bank_prov));
    text[0] = '[';
    fx_fix_checksums(m, len);
    assert_true(fx_write_bytes(bad, m, len));
    assert_int_not_equal(strata_bank_verify(bad, &r), STRATA_OK);
    if (!strstr(r.msg, "keyframe 0 (k0.png): provenance is not a JSON object"))
        fail_msg("%s", r.msg);
    free(m);
    free(good);
}

/* What the writer refuses: bad values naming the keyframe, bad provenance, bad shapes,
 * outputs that are not regular files; abort and an empty finish leave no file. */
static void writer_refusals(void **state)
{
    (void)state;
    char path[400], fifo[400], tmp[500];
    snprintf(path, sizeof path, "%s/w.strata", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo.strata", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    strata_result r = {0};
    strata_bank_neural_shape sh = shape_of(4, 1, 2, "taesd/taesdxl", "sd15");
    static const struct {
        strata_bank_neural_shape s;
        const char *msg;
    } shapes[] = {
        {{8, 4, 4, "taesd/taesdxl", ""}, "8 latent channels"},
        {{4, 0, 4, "taesd/taesdxl", ""}, "latent size 4x0"},
        {{4, 4, 129, "taesd/taesdxl", ""}, "latent size 129x4"},
        {{4, 4, 4, "taef2", ""}, "family taef2 has 32 latent channels, not 4"},
        {{4, 4, 4, "vae", ""}, "unknown decoder family \"vae\""},
        {{4, 4, 4, "taesd/taesdxl", "SD 1.5"}, "latent format \"SD 1.5\""},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        assert_null(strata_bank_neural_begin(path, &shapes[i].s, &r));
        if (!strstr(r.msg, shapes[i].msg) || !strstr(r.msg, path))
            fail_msg("message \"%s\" lacks \"%s\"", r.msg, shapes[i].msg);
    }
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_null(strata_bank_neural_begin(fifo, &sh, &r));
    assert_non_null(strstr(r.msg, "fifo.strata: is a FIFO"));
    assert_null(strata_bank_neural_begin("/dev/full", &sh, &r));
    assert_non_null(strstr(r.msg, "/dev/full: is a character device"));

    strata_bank_neural_writer *w = strata_bank_neural_begin(path, &sh, &r);
    assert_non_null(w);
    uint8_t px[16 * 8 * 4];
    gen_preview(0, 16, 8, px);
    float z[8] = {0.5f, -1, 2, 3, 65504, -65519.9f, 1e-9f, 0};
    strata_bank_neural_keyframe kf = {"ok0", z, px, NULL};
    assert_int_equal(strata_bank_neural_add(w, &kf, &r), STRATA_OK);
    static const struct {
        float v;
        int at;
        const char *msg;
    } vals[] = {{NAN, 3, "latent value nan at channel 1, row 0, column 1 is not a finite"},
                {INFINITY, 0, "latent value inf at channel 0, row 0, column 0 is not a finite"},
                {65520.0f, 6,
                 "latent value 65520 at channel 3, row 0, column 0 is outside the "
                 "fp16 range"},
                {-1e6f, 7, "latent value -1e+06 at channel 3, row 0, column 1 is outside"}};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        float bad[8] = {0};
        bad[vals[i].at] = vals[i].v;
        kf = (strata_bank_neural_keyframe){"bad.latent#2", bad, px, NULL};
        assert_int_equal(strata_bank_neural_add(w, &kf, &r), STRATA_ERR_FORMAT);
        if (!strstr(r.msg, "keyframe 1 (bad.latent#2)") || !strstr(r.msg, vals[i].msg))
            fail_msg("message \"%s\" lacks \"%s\"", r.msg, vals[i].msg);
    }
    static const char *const not_obj[] = {"[1, 2]", "\"a prompt\"", "{\"a\": ", "", "42"};
    for (size_t i = 0; i < sizeof not_obj / sizeof *not_obj; i++) {
        kf = (strata_bank_neural_keyframe){"p.png", z, px, not_obj[i]};
        assert_int_equal(strata_bank_neural_add(w, &kf, &r), STRATA_ERR_FORMAT);
        if (!strstr(r.msg, "keyframe 1 (p.png): provenance is not a JSON object"))
            fail_msg("%s", r.msg);
    }
    kf = (strata_bank_neural_keyframe){NULL, z, px, NULL};
    assert_int_equal(strata_bank_neural_add(w, &kf, &r), STRATA_ERR_ARG);
    /* Refusals leave the writer as it was: one more keyframe, then a good file of two. */
    kf = (strata_bank_neural_keyframe){"ok1", z, px, "{\"seed\": 1}"};
    assert_int_equal(strata_bank_neural_add(w, &kf, &r), STRATA_OK);
    assert_int_equal(access(tmp, F_OK), 0); /* written as it goes, under the temporary */
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(strata_bank_neural_finish(w, &r), STRATA_OK);
    assert_int_not_equal(access(tmp, F_OK), 0);
    strata_bank *b = strata_bank_open(path, NULL, &r);
    assert_non_null(b);
    assert_int_equal(strata_bank_count(b), 2);
    float back[8];
    assert_true(strata_bank_neural_latent(b, 0, back));
    assert_true(back[4] == 65504.0f && back[5] == -65504.0f);
    assert_string_equal(strata_bank_provenance(b, 1), "{\"seed\": 1}");
    strata_bank_close(b);
    assert_int_equal(strata_bank_verify(path, &r), STRATA_OK);

    /* abort: no file under either name, and the existing bank is untouched. */
    size_t before_len;
    uint8_t *before = fx_read(path, &before_len);
    w = strata_bank_neural_begin(path, &sh, &r);
    assert_non_null(w);
    kf = (strata_bank_neural_keyframe){"gone", z, px, NULL};
    assert_int_equal(strata_bank_neural_add(w, &kf, &r), STRATA_OK);
    strata_bank_neural_abort(w);
    strata_bank_neural_abort(NULL);
    assert_int_not_equal(access(tmp, F_OK), 0);
    size_t after_len;
    uint8_t *after = fx_read(path, &after_len);
    assert_true(before_len == after_len && memcmp(before, after, before_len) == 0);
    free(before);
    free(after);
    /* finish without keyframes: an error, no file. */
    char empty[400];
    snprintf(empty, sizeof empty, "%s/empty.strata", dir);
    w = strata_bank_neural_begin(empty, &sh, &r);
    assert_non_null(w);
    assert_int_not_equal(strata_bank_neural_finish(w, &r), STRATA_OK);
    assert_non_null(strstr(r.msg, "no keyframes"));
    assert_int_not_equal(access(empty, F_OK), 0);
}

/* Run strata-bank with args (split at spaces: the test's paths have none), no shell; its
 * stdout and stderr together into out (the checks read both); the exit status. */
static int run_bank(const char *args, char *out, size_t cap)
{
    const char *bin = getenv("STRATA_BINARY_DIR");
    assert_non_null(bin);
    char exe[1100], words[1400];
    snprintf(exe, sizeof exe, "%s/strata-bank", bin);
    snprintf(words, sizeof words, "%s", args);
    char *argv[24] = {exe};
    int argc = 1;
    for (char *save = NULL, *w = strtok_r(words, " ", &save); w && argc < 23;
         w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    pid_t pid;
    extern char **environ;
    assert_int_equal(posix_spawn(&pid, exe, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    size_t n = 0;
    for (ssize_t got; n < cap - 1 && (got = read(fds[0], out + n, cap - 1 - n)) != 0;) {
        if (got < 0 && errno == EINTR)
            continue;
        assert_true(got > 0);
        n += (size_t)got;
    }
    out[n] = 0;
    close(fds[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void has(const char *out, const char *want)
{
    if (!strstr(out, want))
        fail_msg("output lacks \"%s\":\n%s", want, out);
}

/* `strata-bank info` and `info --keyframe N` on a neural bank and an image bank. */
static void info_command(void **state)
{
    (void)state;
    char path[400], args[600], out[16384];
    snprintf(path, sizeof path, "%s/info.strata", dir);
    strata_bank_neural_shape sh = shape_of(4, 6, 5, "taesd/taesdxl", "sdxl");
    write_bank(path, &sh, NK, 3, NULL);
    snprintf(args, sizeof args, "info %s", path);
    assert_int_equal(run_bank(args, out, sizeof out), 0);
    has(out, "kind       neural");
    has(out, "keyframes  12");
    has(out, "latent     4 channels of 5x6 (picture 40x48)");
    has(out, "family     taesd/taesdxl");
    has(out, "format     sdxl");
    has(out, "provenance 4 of 12 keyframes");

    /* Keyframe 0: the latent statistics against the stored values (two-pass std). */
    snprintf(args, sizeof args, "info %s --keyframe 0", path);
    assert_int_equal(run_bank(args, out, sizeof out), 0);
    has(out, "name       k0.png");
    has(out, "preview    40x48");
    has(out, "prompt      a lighthouse at dusk");
    has(out, "seed        42");
    has(out, "model       flux2-dev");
    strata_result r = {0};
    strata_bank *b = strata_bank_open(path, NULL, &r);
    assert_non_null(b);
    float z[120];
    assert_true(strata_bank_neural_latent(b, 0, z));
    double mean = 0, var = 0, lo = z[0], hi = z[0];
    for (int k = 0; k < 120; k++) {
        mean += z[k] / 120.0;
        lo = fmin(lo, z[k]);
        hi = fmax(hi, z[k]);
    }
    for (int k = 0; k < 120; k++)
        var += (z[k] - mean) * (z[k] - mean) / 120.0;
    const char *l = strstr(out, "latent     4 channels of 5x6: mean ");
    assert_non_null(l);
    double m2, s2, lo2, hi2;
    assert_int_equal(sscanf(l, "latent     4 channels of 5x6: mean %lf std %lf min %lf max %lf",
                            &m2, &s2, &lo2, &hi2),
                     4);
    assert_true(fabs(m2 - mean) < 1e-4 && fabs(s2 - sqrt(var)) < 1e-4);
    assert_true(fabs(lo2 - lo) < 1e-4 && fabs(hi2 - hi) < 1e-4);
    /* The neighbours line lists the graph's neighbours in order, with names. */
    int nb[8], k = strata_bank_neighbours(b, 0, nb, 8);
    char want[64];
    snprintf(want, sizeof want, "neighbours %d (k%d.png), %d (k%d.png)", nb[0], nb[0], nb[1],
             nb[1]);
    assert_true(k == 8);
    has(out, want);
    strata_bank_close(b);

    /* A1111 parameters picked apart; no provenance; the JSON itself. */
    snprintf(args, sizeof args, "info %s --keyframe 2", path);
    assert_int_equal(run_bank(args, out, sizeof out), 0);
    has(out, "prompt      red moss");
    has(out, "negative    blur");
    has(out, "seed        7");
    has(out, "model       sdxl");
    has(out, "settings    Steps: 20, Seed: 7, Model: sdxl");
    snprintf(args, sizeof args, "info %s --keyframe 1", path);
    assert_int_equal(run_bank(args, out, sizeof out), 0);
    has(out, "provenance none");
    snprintf(args, sizeof args, "info %s --keyframe 0 --json", path);
    assert_int_equal(run_bank(args, out, sizeof out), 0);
    has(out, "{\n  \"prompt\": \"a lighthouse at dusk\",\n  \"seed\": 42,\n");
    snprintf(args, sizeof args, "info %s --keyframe 12", path);
    assert_int_equal(run_bank(args, out, sizeof out), 2);
    has(out, "--keyframe 12: ");
    has(out, "has 12 keyframes (0..11)");
    snprintf(args, sizeof args, "info %s --keyframe x", path);
    assert_int_equal(run_bank(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "info %s --json", path);
    assert_int_equal(run_bank(args, out, sizeof out), 2);
    /* A damaged file: its error alone, exit 1. */
    size_t len;
    uint8_t *m = fx_read(path, &len);
    const bank_section_entry *t = table(m);
    m[t[SEC_LATENTS].offset + 3] ^= 1;
    char bad[400];
    snprintf(bad, sizeof bad, "%s/info-bad.strata", dir);
    assert_true(fx_write_bytes(bad, m, len));
    free(m);
    snprintf(args, sizeof args, "info %s", bad);
    assert_int_equal(run_bank(args, out, sizeof out), 1);
    has(out, "info-bad.strata: latents section checksum mismatch");
    assert_null(strstr(out, "kind"));

    /* An image bank: name, stored size, neighbours. */
    char src[400], img[400], p[500];
    snprintf(src, sizeof src, "%s/img", dir);
    snprintf(img, sizeof img, "%s/img.strata", dir);
    assert_int_equal(strata_file_mkdirs(src, &r), STRATA_OK);
    uint8_t px[30 * 20 * 4];
    for (int i = 0; i < 3; i++) {
        fx_fill(px, 30 - 5 * i, 20, 60 * i, 100, 200 - 60 * i);
        snprintf(p, sizeof p, "%s/%c.png", src, 'a' + i);
        assert_true(fx_write_png(p, px, 30 - 5 * i, 20));
    }
    assert_int_equal(strata_bank_build(&(strata_bank_build_desc){.dir = src, .out = img}, NULL, &r),
                     STRATA_OK);
    snprintf(args, sizeof args, "info %s --keyframe 1", img);
    assert_int_equal(run_bank(args, out, sizeof out), 0);
    has(out, "name       b.png");
    has(out, "image      25x20");
    has(out, "neighbours ");
    has(out, "(a.png)");
    has(out, "(c.png)");
    assert_null(strstr(out, "provenance"));
}

/* The other kinds answer the neural accessors with nothing. */
static void other_kinds_have_no_neural_data(void **state)
{
    (void)state;
    strata_result r = {0};
    strata_bank *b = strata_bank_generate_latent(4, 8, 1, NULL, &r);
    assert_non_null(b);
    strata_bank_neural_shape s;
    float z[8];
    assert_false(strata_bank_neural_shape_get(b, &s));
    assert_false(strata_bank_neural_latent(b, 0, z));
    assert_null(strata_bank_provenance(b, 0));
    strata_bank_close(b);
}

static int setup(void **state)
{
    (void)state;
    fx_tempdir(dir, sizeof dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_rmtree(dir);
    return 0;
}

int main(void)
{
    strata_log_set_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(neighbours_by_pooled_latent),
        cmocka_unit_test(hostile_neural_files),
        cmocka_unit_test(writer_refusals),
        cmocka_unit_test(other_kinds_have_no_neural_data),
        cmocka_unit_test(info_command),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
