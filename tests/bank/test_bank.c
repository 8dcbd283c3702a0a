/* bank: folders, packed banks, hostile files, the loader, CPPN, slerp, LRU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bank/bank_internal.h"
#include "bank_fixtures.h"

/* A folder with PNG, JPEG and WebP of different sizes, a corrupt PNG and a 0-byte
 * JPEG. Natural order: frame1 frame2 frame3 frame4 frame10. */
static void make_mixed_folder(const char *dir)
{
    char p[512];
    uint8_t *px = malloc(320 * 200 * 4);
    fx_fill(px, 320, 200, 250, 10, 10);
    snprintf(p, sizeof p, "%s/frame1.png", dir);
    assert_true(fx_write_png(p, px, 320, 200));
    fx_fill(px, 100, 150, 10, 250, 10);
    snprintf(p, sizeof p, "%s/frame2.jpg", dir);
    assert_true(fx_write_jpg(p, px, 100, 150));
    snprintf(p, sizeof p, "%s/frame3.png", dir);
    assert_true(fx_write_bytes(p, "\x89PNG\r\n\x1a\nthis is not a png at all", 32));
    snprintf(p, sizeof p, "%s/frame4.jpg", dir);
    assert_true(fx_write_bytes(p, "", 0));
    fx_fill(px, 64, 64, 10, 10, 250);
    snprintf(p, sizeof p, "%s/frame10.webp", dir);
    assert_true(fx_write_webp(p, px, 64, 64));
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    assert_true(fx_write_bytes(p, "ignored", 7));
    free(px);
}

static void centre_near(const strata_keyframe_pixels *px, int r, int g, int b, int tol)
{
    const uint8_t *c = px->rgba + ((size_t)(px->height / 2) * px->width + px->width / 2) * 4;
    assert_true(abs(c[0] - r) <= tol && abs(c[1] - g) <= tol && abs(c[2] - b) <= tol);
    assert_int_equal(c[3], 255);
}

static const int expect_rgb[5][3] = {
    {250, 10, 10}, {10, 250, 10}, {0, 0, 0}, {0, 0, 0}, {10, 10, 250}};

static void natural_order(void **state)
{
    (void)state;
    assert_true(strata_bank_natural_cmp("frame2", "frame10") < 0);
    assert_true(strata_bank_natural_cmp("Frame10", "frame9") > 0);
    assert_true(strata_bank_natural_cmp("a007", "a7") == 0);
    assert_true(strata_bank_natural_cmp("a", "a1") < 0);
}

static void folder_loads_and_skips_bad(void **state)
{
    (void)state;
    char dir[256];
    fx_tempdir(dir, sizeof dir);
    make_mixed_folder(dir);
    strata_result r = {0};
    char logpath[300];
    snprintf(logpath, sizeof logpath, "%s.log", dir);
    assert_int_equal(strata_log_open_file(logpath, 0, &r), STRATA_OK);
    strata_bank *b = strata_bank_open(
        dir, &(strata_bank_open_desc){.width = 32, .height = 18, .fit = STRATA_BANK_FILL}, &r);
    assert_non_null(b);
    assert_int_equal(strata_bank_count(b), 5);
    assert_int_equal(strata_bank_kind(b), STRATA_BANK_IMAGE);
    assert_string_equal(strata_bank_name(b, 0), "frame1.png");
    assert_string_equal(strata_bank_name(b, 4), "frame10.webp");
    assert_null(strata_bank_latent(b, 0));
    /* Through the loader thread: three keyframes arrive, the two broken ones turn bad. */
    int want[5] = {0, 1, 2, 3, 4};
    assert_true(strata_bank_request(b, want, 5));
    int got = 0, seen[5] = {0};
    double t0 = strata_time_s();
    while ((got < 3 || !strata_bank_is_bad(b, 2) || !strata_bank_is_bad(b, 3)) &&
           strata_time_s() - t0 < 10.0) {
        strata_keyframe_pixels px;
        if (strata_bank_poll_ready(b, &px)) {
            assert_int_equal(px.width, 32);
            assert_int_equal(px.height, 18);
            const int *e = expect_rgb[px.index];
            centre_near(&px, e[0], e[1], e[2], 6);
            seen[px.index]++;
            got++;
            strata_bank_release_pixels(b, &px);
        } else {
            strata_sleep_s(0.001);
        }
    }
    assert_int_equal(got, 3);
    assert_true(seen[0] == 1 && seen[1] == 1 && seen[4] == 1);
    assert_true(strata_bank_is_bad(b, 2) && strata_bank_is_bad(b, 3));
    assert_false(strata_bank_is_bad(b, 0));
    /* Bad keyframes are never delivered, even when asked for again. */
    assert_true(strata_bank_request(b, want + 2, 2));
    strata_sleep_s(0.05);
    strata_keyframe_pixels px;
    assert_false(strata_bank_poll_ready(b, &px));
    /* load_sync reports the failure with the file name. */
    r = (strata_result){0};
    assert_int_not_equal(strata_bank_load_sync(b, 3, &px, &r), STRATA_OK);
    assert_non_null(strstr(r.msg, "bad"));
    assert_int_equal(strata_bank_load_sync(b, 0, &px, &r), STRATA_OK);
    centre_near(&px, 250, 10, 10, 3);
    strata_bank_release_pixels(b, &px);
    assert_null(px.rgba);
    strata_bank_close(b);
    /* One log line per broken file, naming it, however often it was asked for. */
    strata_log_open_file(NULL, 0, NULL);
    size_t len;
    char *log = (char *)fx_read(logpath, &len);
    assert_non_null(log);
    log[len] = 0;
    const char *files[2] = {"frame3.png", "frame4.jpg"};
    for (int f = 0; f < 2; f++) {
        int lines = 0;
        for (const char *q = log; (q = strstr(q, files[f])) != NULL; q++)
            lines++;
        assert_int_equal(lines, 1);
    }
    free(log);
    remove(logpath);
    fx_rmtree(dir);
}

static void loader_pool_is_bounded(void **state)
{
    (void)state;
    char dir[256], p[512];
    fx_tempdir(dir, sizeof dir);
    uint8_t *img = malloc(16 * 16 * 4);
    for (int i = 0; i < 8; i++) {
        fx_fill(img, 16, 16, i * 30, 0, 0);
        snprintf(p, sizeof p, "%s/k%d.png", dir, i);
        assert_true(fx_write_png(p, img, 16, 16));
    }
    free(img);
    strata_result r;
    /* 1 MB of 256x256 frames (256 KiB each) is 4 buffers: the loader stops at 4 until
     * the render thread gives some back. */
    strata_bank *b = strata_bank_open(
        dir, &(strata_bank_open_desc){.width = 256, .height = 256, .cache_mb = 1}, &r);
    assert_non_null(b);
    int want[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_true(strata_bank_request(b, want, 8));
    strata_keyframe_pixels held[8];
    int n = 0;
    double t0 = strata_time_s();
    while (strata_time_s() - t0 < 0.5 && n < 8)
        if (strata_bank_poll_ready(b, &held[n]))
            n++;
        else
            strata_sleep_s(0.002);
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++)
        strata_bank_release_pixels(b, &held[i]);
    t0 = strata_time_s();
    while (strata_time_s() - t0 < 5.0 && n < 8)
        if (strata_bank_poll_ready(b, &held[n]))
            n++;
        else
            strata_sleep_s(0.002);
    assert_int_equal(n, 8);
    for (int i = 4; i < 8; i++) {
        assert_int_equal(held[i].index, i); /* most urgent first */
        strata_bank_release_pixels(b, &held[i]);
    }
    strata_bank_close(b);
    fx_rmtree(dir);
}

static void fit_and_fill_geometry(void **state)
{
    (void)state;
    /* 200x100: left half red, right half blue, into 100x100. */
    uint8_t *src = malloc(200 * 100 * 4);
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 200; x++) {
            uint8_t *q = src + ((size_t)y * 200 + x) * 4;
            q[0] = x < 100 ? 255 : 0;
            q[1] = 0;
            q[2] = x < 100 ? 0 : 255;
            q[3] = 255;
        }
    uint8_t *dst = malloc(100 * 100 * 4);
    strata_result r;
    assert_int_equal(strata_bank_resample(src, 200, 100, dst, 100, 100, STRATA_BANK_FIT, &r),
                     STRATA_OK);
    /* Letterbox: 100x50 picture in rows 25..74, black bars above and below. */
    const uint8_t *top = dst + ((size_t)10 * 100 + 50) * 4;
    assert_true(top[0] == 0 && top[1] == 0 && top[2] == 0 && top[3] == 255);
    const uint8_t *bot = dst + ((size_t)90 * 100 + 20) * 4;
    assert_true(bot[0] == 0 && bot[2] == 0);
    const uint8_t *l = dst + ((size_t)50 * 100 + 10) * 4, *rr = dst + ((size_t)50 * 100 + 90) * 4;
    assert_true(l[0] > 250 && l[2] < 5 && rr[2] > 250 && rr[0] < 5);
    assert_true(dst[((size_t)26 * 100 + 10) * 4] > 200 && dst[((size_t)23 * 100 + 10) * 4] == 0);
    assert_int_equal(strata_bank_resample(src, 200, 100, dst, 100, 100, STRATA_BANK_FILL, &r),
                     STRATA_OK);
    /* Fill: the centre 100x100 of the source covers everything, split down the middle. */
    for (int y = 0; y < 100; y += 9) {
        const uint8_t *a = dst + ((size_t)y * 100 + 20) * 4, *c = dst + ((size_t)y * 100 + 80) * 4;
        assert_true(a[0] > 250 && a[2] < 5 && c[2] > 250 && c[0] < 5);
    }
    /* The same size is the picture itself, bit for bit, in both modes (noise, which any
     * filter would soften); fill of 200x100 into 100x100 at 1:1 is its centre crop. */
    for (size_t i = 0; i < (size_t)200 * 100 * 4; i++)
        src[i] = (uint8_t)(i % 4 == 3 ? 255 : (i * 2654435761u) >> 24);
    uint8_t *same = malloc(200 * 100 * 4);
    for (int fit = 0; fit < 2; fit++) {
        assert_int_equal(strata_bank_resample(src, 200, 100, same, 200, 100,
                                              (strata_bank_fit)fit, &r), STRATA_OK);
        assert_memory_equal(same, src, (size_t)200 * 100 * 4);
    }
    assert_int_equal(strata_bank_resample(src, 200, 100, dst, 100, 100, STRATA_BANK_FILL, &r),
                     STRATA_OK);
    for (int y = 0; y < 100; y++)
        assert_memory_equal(dst + (size_t)y * 100 * 4, src + ((size_t)y * 200 + 50) * 4, 100 * 4);
    free(same);
    free(src);
    free(dst);
}

static void build_round_trip(void **state)
{
    (void)state;
    char dir[256], out[300];
    fx_tempdir(dir, sizeof dir);
    make_mixed_folder(dir);
    snprintf(out, sizeof out, "%s/bank.strata", dir);
    strata_result r = {0};
    strata_bank_build_stats st;
    strata_bank_build_desc d = {.dir = dir, .out = out, .threads = 2};
    assert_int_equal(strata_bank_build(&d, &st, &r), STRATA_OK);
    assert_int_equal(st.count, 3);
    assert_int_equal(st.skipped, 2);
    assert_int_equal(strata_bank_verify(out, &r), STRATA_OK);
    strata_bank_info info;
    assert_int_equal(strata_bank_read_info(out, &info, &r), STRATA_OK);
    assert_int_equal(info.count, 3);
    assert_int_equal(info.kind, STRATA_BANK_IMAGE);
    strata_bank_open_desc od = {.width = 40, .height = 30, .fit = STRATA_BANK_FIT};
    strata_bank *pk = strata_bank_open(out, &od, &r);
    strata_bank *fo = strata_bank_open(dir, &od, &r);
    assert_non_null(pk);
    assert_non_null(fo);
    assert_int_equal(strata_bank_count(pk), 3);
    const char *names[3] = {"frame1.png", "frame2.jpg", "frame10.webp"};
    const int fidx[3] = {0, 1, 4};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(strata_bank_name(pk, i), names[i]);
        strata_keyframe_pixels a, b;
        assert_int_equal(strata_bank_load_sync(pk, i, &a, &r), STRATA_OK);
        assert_int_equal(strata_bank_load_sync(fo, fidx[i], &b, &r), STRATA_OK);
        /* The source encoding is kept: same bytes in, same pixels out. */
        assert_memory_equal(a.rgba, b.rgba, 40 * 30 * 4);
        strata_bank_release_pixels(pk, &a);
        strata_bank_release_pixels(fo, &b);
        int tw, th;
        const uint8_t *t = strata_bank_thumbnail(pk, i, &tw, &th);
        assert_non_null(t);
        assert_int_equal(tw, 64);
        const uint8_t *c = t + ((size_t)32 * tw + 32) * 4;
        int e = i == 0 ? 0 : (i == 1 ? 1 : 2);
        assert_true(c[e] > 200);
    }
    int nb[8];
    assert_int_equal(strata_bank_neighbours(pk, 0, nb, 8), 2);
    assert_int_equal(strata_bank_neighbours(fo, 0, nb, 8), 0);
    strata_bank_close(pk);
    strata_bank_close(fo);
    /* --max-size re-encodes the 320x200 PNG and keeps the small ones. */
    d.max_size = 80;
    assert_int_equal(strata_bank_build(&d, &st, &r), STRATA_OK);
    assert_int_equal(st.reencoded, 2);
    pk = strata_bank_open(out, &od, &r);
    assert_non_null(pk);
    strata_keyframe_pixels px;
    assert_int_equal(strata_bank_load_sync(pk, 0, &px, &r), STRATA_OK);
    centre_near(&px, 250, 10, 10, 4);
    strata_bank_release_pixels(pk, &px);
    strata_bank_close(pk);
    fx_rmtree(dir);
}

/* ---- hostile files ------------------------------------------------------- */

static char hostile_dir[256];
static uint8_t *good;
static size_t good_len;

static void make_good_bank(void)
{
    fx_tempdir(hostile_dir, sizeof hostile_dir);
    char src[300], out[300], p[400];
    snprintf(src, sizeof src, "%s/img", hostile_dir);
    strata_result r;
    assert_int_equal(strata_file_mkdirs(src, &r), STRATA_OK);
    uint8_t px[24 * 16 * 4];
    for (int i = 0; i < 3; i++) {
        fx_fill(px, 24, 16, 80 * i, 40, 200 - 60 * i);
        snprintf(p, sizeof p, "%s/k%d.png", src, i);
        assert_true(fx_write_png(p, px, 24, 16));
    }
    snprintf(out, sizeof out, "%s/good.strata", hostile_dir);
    strata_bank_build_desc d = {.dir = src, .out = out};
    assert_int_equal(strata_bank_build(&d, NULL, &r), STRATA_OK);
    good = fx_read(out, &good_len);
    assert_non_null(good);
}

/* Write buf as a bank file, open it, expect NULL and a message naming the file that
 * contains want. */
static void expect_rejected(const uint8_t *buf, size_t len, const char *want)
{
    char path[400];
    snprintf(path, sizeof path, "%s/hostile.strata", hostile_dir);
    assert_true(fx_write_bytes(path, buf, len));
    strata_result r = {0};
    strata_bank *b = strata_bank_open(path, NULL, &r);
    if (b)
        fail_msg("%s accepted, expected: %s", path, want);
    assert_non_null(strstr(r.msg, path));
    if (!strstr(r.msg, want))
        fail_msg("message \"%s\" lacks \"%s\"", r.msg, want);
}

static bank_header *hdr(uint8_t *f)
{
    return (bank_header *)f;
}

static bank_section_entry *table(uint8_t *f)
{
    return (bank_section_entry *)(f + BANK_TABLE_OFFSET);
}

static void hostile_files_rejected(void **state)
{
    (void)state;
    make_good_bank();
    uint8_t *m = malloc(good_len);
    expect_rejected(good, 0, "truncated");
    expect_rejected(good, 100, "truncated");
    expect_rejected(good, good_len - 7, "truncated");

    memcpy(m, good, good_len);
    m[0] = 'X';
    expect_rejected(m, good_len, "wrong magic");

    memcpy(m, good, good_len);
    m[20] ^= 1; /* inside the header: count */
    expect_rejected(m, good_len, "header checksum");

    memcpy(m, good, good_len);
    hdr(m)->version = 99;
    fx_fix_checksums(m, good_len);
    expect_rejected(m, good_len, "version");

    memcpy(m, good, good_len);
    hdr(m)->count = 0xFFFFFFF0u;
    fx_fix_checksums(m, good_len);
    expect_rejected(m, good_len, "absurd keyframe count");

    memcpy(m, good, good_len);
    hdr(m)->count = 2; /* plausible but disagrees with the section sizes */
    fx_fix_checksums(m, good_len);
    expect_rejected(m, good_len, "section is");

    memcpy(m, good, good_len);
    table(m)[SEC_THUMBS].offset = 0xFFFFFFFFFFFFFF00ull; /* offset + size overflows */
    fx_fix_checksums(m, good_len);
    expect_rejected(m, good_len, "outside the file");

    memcpy(m, good, good_len);
    table(m)[SEC_DATA].size = good_len; /* runs past the end */
    fx_fix_checksums(m, good_len);
    expect_rejected(m, good_len, "outside the file");

    bank_entry *idx = (bank_entry *)(m + table((uint8_t *)good)[SEC_INDEX].offset);
    memcpy(m, good, good_len);
    idx[1].data_size = 0;
    fx_fix_checksums(m, good_len);
    expect_rejected(m, good_len, "0-byte image");

    memcpy(m, good, good_len);
    idx[2].width = 1000000;
    fx_fix_checksums(m, good_len);
    expect_rejected(m, good_len, "absurd size");

    memcpy(m, good, good_len);
    idx[0].data_offset = 1ull << 62;
    fx_fix_checksums(m, good_len);
    expect_rejected(m, good_len, "past the end");

    memcpy(m, good, good_len);
    m[table((uint8_t *)good)[SEC_INDEX].offset + 3] ^= 0x40; /* index bit flip, no fix */
    expect_rejected(m, good_len, "index section checksum");

    memcpy(m, good, good_len);
    m[table((uint8_t *)good)[SEC_KNN].offset] ^= 0x01;
    expect_rejected(m, good_len, "neighbours section checksum");
    free(m);
}

static void flipped_image_byte(void **state)
{
    (void)state;
    char path[400], cmd[1200];
    uint8_t *m = malloc(good_len);
    memcpy(m, good, good_len);
    const bank_section_entry *t = table((uint8_t *)good);
    m[t[SEC_DATA].offset + t[SEC_DATA].size / 2] ^= 0x10;
    snprintf(path, sizeof path, "%s/flipped.strata", hostile_dir);
    assert_true(fx_write_bytes(path, m, good_len));
    free(m);
    strata_result r = {0};
    /* Opening stays fast (image checksums are lazy) ... */
    strata_bank *b = strata_bank_open(path, &(strata_bank_open_desc){.width = 8, .height = 8}, &r);
    assert_non_null(b);
    /* ... the damaged keyframe is refused when loaded, the others still load ... */
    int bad = 0;
    for (int i = 0; i < strata_bank_count(b); i++) {
        strata_keyframe_pixels px;
        if (strata_bank_load_sync(b, i, &px, &r) == STRATA_OK)
            strata_bank_release_pixels(b, &px);
        else {
            assert_non_null(strstr(r.msg, "checksum"));
            assert_true(strata_bank_is_bad(b, i));
            bad++;
        }
    }
    assert_int_equal(bad, 1);
    strata_bank_close(b);
    /* ... and verify finds it, through the library and through strata-bank. */
    assert_int_not_equal(strata_bank_verify(path, &r), STRATA_OK);
    assert_non_null(strstr(r.msg, "checksum"));
    const char *bin = getenv("STRATA_BINARY_DIR");
    assert_non_null(bin);
    snprintf(cmd, sizeof cmd, "%s/strata-bank verify %s 2>/dev/null", bin, path);
    assert_int_not_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/strata-bank verify %s/good.strata >/dev/null", bin, hostile_dir);
    assert_int_equal(system(cmd), 0);
    free(good);
    good = NULL;
    fx_rmtree(hostile_dir);
}

/* ---- neighbours ---------------------------------------------------------- */

static void neighbours_find_near_duplicates(void **state)
{
    (void)state;
    char dir[256], p[400], out[400];
    fx_tempdir(dir, sizeof dir);
    uint8_t *px = malloc(64 * 48 * 4);
    /* Six distinct scenes (a bright box in different places and colours) and a
     * near-duplicate of each with a little noise. */
    uint64_t s = 1;
    for (int scene = 0; scene < 6; scene++) {
        for (int dup = 0; dup < 2; dup++) {
            for (int y = 0; y < 48; y++)
                for (int x = 0; x < 64; x++) {
                    bool in = x / 16 == scene % 4 && y / 24 == scene / 4;
                    int n = dup ? (int)(strata_bank_splitmix64(&s) % 9) - 4 : 0;
                    uint8_t *q = px + ((size_t)y * 64 + x) * 4;
                    q[0] = (uint8_t)((in ? 230 : 20 + scene * 30) + n);
                    q[1] = (uint8_t)((in ? 200 : 60) + n);
                    q[2] = (uint8_t)(scene * 40 + 10);
                    q[3] = 255;
                }
            snprintf(p, sizeof p, "%s/s%d_%c.png", dir, scene, dup ? 'b' : 'a');
            assert_true(fx_write_png(p, px, 64, 48));
        }
    }
    free(px);
    snprintf(out, sizeof out, "%s/n.strata", dir);
    strata_result r;
    assert_int_equal(strata_bank_build(&(strata_bank_build_desc){.dir = dir, .out = out}, NULL, &r),
                     STRATA_OK);
    strata_bank *b = strata_bank_open(out, NULL, &r);
    assert_non_null(b);
    assert_int_equal(strata_bank_count(b), 12);
    for (int i = 0; i < 12; i++) {
        int nb[8];
        int n = strata_bank_neighbours(b, i, nb, 8);
        assert_int_equal(n, 8);
        assert_int_equal(nb[0], i ^ 1); /* s<k>_a and s<k>_b sit side by side */
        for (int k = 0; k < n; k++)
            assert_true(nb[k] != i && nb[k] >= 0 && nb[k] < 12);
    }
    strata_bank_close(b);
    fx_rmtree(dir);
}

/* ---- CPPN, latents, slerp ----------------------------------------------- */

static void cppn_deterministic(void **state)
{
    (void)state;
    strata_cppn *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    strata_result r;
    assert_int_equal(strata_cppn_init(a, 42, 16, &r), STRATA_OK);
    assert_int_equal(strata_cppn_init(b, 42, 16, &r), STRATA_OK);
    assert_memory_equal(a, b, sizeof *a);
    assert_int_equal(strata_cppn_init(b, 43, 16, &r), STRATA_OK);
    assert_memory_not_equal(a->w0, b->w0, sizeof a->w0);
    assert_int_not_equal(strata_cppn_init(b, 1, 0, &r), STRATA_OK);
    assert_int_not_equal(strata_cppn_init(b, 1, STRATA_CPPN_MAX_DIM + 1, &r), STRATA_OK);

    float z[16], z2[16];
    strata_cppn_random_latent(42, 3, 16, z);
    strata_cppn_random_latent(42, 3, 16, z2);
    assert_memory_equal(z, z2, sizeof z);
    strata_cppn_random_latent(42, 4, 16, z2);
    assert_memory_not_equal(z, z2, sizeof z);

    uint8_t i1[32 * 18 * 4], i2[32 * 18 * 4], i3[32 * 18 * 4];
    strata_cppn_render(a, z, 32, 18, i1);
    strata_cppn_render(a, z, 32, 18, i2);
    assert_memory_equal(i1, i2, sizeof i1);
    strata_cppn_render(a, z2, 32, 18, i3);
    assert_memory_not_equal(i1, i3, sizeof i1);

    /* The shader layout holds exactly the documented elements. */
    float packed[STRATA_CPPN_SHADER_FLOATS];
    strata_cppn_pack_shader(a, packed);
    assert_true(packed[STRATA_CPPN_OFF_W0 + 5 * 3 + 2] == a->w0[5][2]);
    int l = 2, j = 7, k = 11;
    assert_true(packed[STRATA_CPPN_OFF_HID + (l - 1) * STRATA_CPPN_HID_STRIDE +
                       j * STRATA_CPPN_WIDTH + k] == a->w[l - 1][j][k]);
    assert_true(packed[STRATA_CPPN_OFF_HID + (l - 1) * STRATA_CPPN_HID_STRIDE +
                       STRATA_CPPN_WIDTH * STRATA_CPPN_WIDTH + j] == a->b[l - 1][j]);
    assert_true(packed[STRATA_CPPN_OFF_WOUT + 2 * STRATA_CPPN_WIDTH + 9] == a->wout[2][9]);
    assert_true(packed[STRATA_CPPN_OFF_BOUT + 1] == a->bout[1]);
    assert_true(packed[STRATA_CPPN_OFF_COLOUR + 11] == a->colour[11]);

    /* The folded frame is the latent's whole effect: eval with it matches a render. */
    strata_cppn_frame f;
    float rgb[3];
    strata_cppn_frame_make(a, z, &f);
    float aspect = 32.0f / 18.0f;
    strata_cppn_eval_pixel(a, &f, aspect * (2 * 5.5f / 32 - 1), 2 * 7.5f / 18 - 1, rgb);
    const uint8_t *p = i1 + ((size_t)7 * 32 + 5) * 4;
    for (int c = 0; c < 3; c++)
        assert_int_equal(p[c], (int)(rgb[c] * 255.0f + 0.5f));
    free(a);
    free(b);
}

/* Mean absolute difference of two RGBA8 images' RGB, in 0..1. */
static double rgb_mad(const uint8_t *a, const uint8_t *b, size_t px)
{
    double s = 0.0;
    for (size_t i = 0; i < px; i++)
        for (int c = 0; c < 3; c++)
            s += abs((int)a[i * 4 + c] - (int)b[i * 4 + c]);
    return s / (255.0 * 3.0 * (double)px);
}

/* Issue 11's measure on the embedded default's own keyframes (assets/default.json:
 * latent:48:16:20261122), CPU reference at 64x36: the mean absolute difference over every
 * pair of the first 16. Distinct photos score 0.20-0.28 on it; the bias-only generator
 * before the latent reached the coordinates and palette rendered the default at 0.085
 * over 96 s. 0.15 leaves room for the measure's size (64x36, not 80x45) while failing
 * any return to one look for the whole set. */
static void cppn_default_keyframes_differ(void **state)
{
    (void)state;
    enum { N = 16, W = 64, Hh = 36 };
    strata_result r = {0};
    strata_bank *b = strata_bank_generate_latent(48, 16, 20261122, NULL, &r);
    assert_non_null(b);
    const strata_cppn *c = strata_bank_cppn(b);
    uint8_t(*img)[W * Hh * 4] = malloc(sizeof *img * N);
    assert_non_null(img);
    for (int i = 0; i < N; i++)
        strata_cppn_render(c, strata_bank_latent(b, i), W, Hh, img[i]);
    double total = 0.0;
    int pairs = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++, pairs++)
            total += rgb_mad(img[i], img[j], (size_t)W * Hh);
    double score = total / pairs;
    fprintf(stderr, "default keyframes: mean pairwise difference %.4f over %d pairs\n", score,
            pairs);
    assert_true(score >= 0.15);

    /* A slerp between keyframes 0 and 1 morphs without a pop: 48 equal steps of t, no
     * step changes the picture more than 4x the mean step (species blend continuously;
     * a switch would put most of the change into one step). */
    enum { S = 48 };
    float z[16];
    double steps[S], mean = 0.0, worst = 0.0;
    uint8_t *prev = malloc(W * Hh * 4), *cur = malloc(W * Hh * 4);
    strata_cppn_render(c, strata_bank_latent(b, 0), W, Hh, prev);
    for (int k = 1; k <= S; k++) {
        strata_latent_slerp(strata_bank_latent(b, 0), strata_bank_latent(b, 1), (float)k / S, 16,
                            z);
        strata_cppn_render(c, z, W, Hh, cur);
        steps[k - 1] = rgb_mad(prev, cur, (size_t)W * Hh);
        mean += steps[k - 1] / S;
        uint8_t *t = prev;
        prev = cur;
        cur = t;
    }
    for (int k = 0; k < S; k++)
        worst = steps[k] > worst ? steps[k] : worst;
    fprintf(stderr, "slerp 0 -> 1: mean step %.4f, largest %.4f\n", mean, worst);
    assert_true(mean > 0.0);
    assert_true(worst <= 4.0 * mean);
    free(prev);
    free(cur);
    free(img);
    strata_bank_close(b);
}

/* Luma (Rec. 709 weights on the 0..1 values) spread and edge energy of an RGBA8 image:
 * the standard deviation, and the mean |difference| between horizontal and vertical
 * neighbours. */
static void luma_form(const uint8_t *rgba, int w, int h, double *sd, double *edge)
{
    double *l = malloc(sizeof *l * (size_t)w * (size_t)h), s = 0.0, q = 0.0, e = 0.0;
    assert_non_null(l);
    for (int i = 0; i < w * h; i++) {
        const uint8_t *p = rgba + (size_t)i * 4;
        l[i] = (0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]) / 255.0;
        s += l[i];
        q += l[i] * l[i];
    }
    int n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (x + 1 < w)
                e += fabs(l[y * w + x + 1] - l[y * w + x]), n++;
            if (y + 1 < h)
                e += fabs(l[(y + 1) * w + x] - l[y * w + x]), n++;
        }
    double m = s / (w * h);
    *sd = sqrt(fmax(q / (w * h) - m * m, 0.0));
    *edge = e / n;
    free(l);
}

/* Every keyframe has form: the default set's seed (assets/default.json), its first 64
 * keyframes (the set holds 48; keyframe i does not depend on the count), CPU reference
 * at 64x36. Measured before the fit in strata_cppn_frame_make: keyframe 9 (one teal
 * colour) luma sd 0.028, edge 0.0025; keyframe 29 (a soft olive gradient) 0.052,
 * 0.0037; keyframe 40 (an olive field with one faint curve) edge 0.0090; the softest
 * frames that do show a shape (10, 15: large soft forms) edge 0.015-0.016, and the
 * lowest luma sd of a formed frame 0.097. Thresholds between the two: sd >= 0.07 and
 * edge >= 0.012. With the fit (and the horizon and output gain of 2026-12) the lowest
 * are sd 0.100 and edge 0.018. */
static void cppn_every_keyframe_has_form(void **state)
{
    (void)state;
    enum { N = 64, W = 64, Hh = 36 };
    strata_result r = {0};
    strata_bank *b = strata_bank_generate_latent(N, 16, 20261122, NULL, &r);
    assert_non_null(b);
    const strata_cppn *c = strata_bank_cppn(b);
    uint8_t *img = malloc((size_t)W * Hh * 4);
    assert_non_null(img);
    double min_sd = 1.0, min_edge = 1.0;
    int flat = 0;
    for (int i = 0; i < N; i++) {
        strata_cppn_render(c, strata_bank_latent(b, i), W, Hh, img);
        double sd, edge;
        luma_form(img, W, Hh, &sd, &edge);
        if (sd < 0.07 || edge < 0.012) {
            fprintf(stderr, "keyframe %d has no form: luma sd %.4f, edge %.4f\n", i, sd, edge);
            flat++;
        }
        min_sd = fmin(min_sd, sd);
        min_edge = fmin(min_edge, edge);
    }
    fprintf(stderr, "default set, %d keyframes: lowest luma sd %.4f, lowest edge %.4f\n", N, min_sd,
            min_edge);
    assert_int_equal(flat, 0);
    free(img);
    strata_bank_close(b);
}

static void slerp_endpoints_exact(void **state)
{
    (void)state;
    float a[24], b[24], o[24];
    strata_cppn_random_latent(9, 0, 24, a);
    strata_cppn_random_latent(9, 1, 24, b);
    strata_latent_slerp(a, b, 0.0f, 24, o);
    assert_memory_equal(o, a, sizeof a);
    strata_latent_slerp(a, b, 1.0f, 24, o);
    assert_memory_equal(o, b, sizeof b);
    strata_latent_slerp(a, b, 0.5f, 24, o);
    double na = 0, nb = 0, no = 0;
    for (int k = 0; k < 24; k++) {
        na += a[k] * a[k];
        nb += b[k] * b[k];
        no += o[k] * o[k];
    }
    /* For near-orthogonal Gaussian latents slerp keeps the norm (lerp would shrink it
     * by about 1/sqrt(2)). */
    assert_true(sqrt(no) > 0.85 * sqrt(0.5 * (na + nb)));
    strata_latent_slerp(a, a, 0.3f, 24, o); /* parallel: no NaN */
    for (int k = 0; k < 24; k++)
        assert_true(fabsf(o[k] - a[k]) < 1e-5f);
}

static void latent_set_round_trip(void **state)
{
    (void)state;
    char dir[256], out[300];
    fx_tempdir(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/l.strata", dir);
    strata_result r = {0};
    strata_bank_latent_desc d = {.out = out, .count = 40, .dim = 12, .seed = 77};
    assert_int_equal(strata_bank_build_latent(&d, &r), STRATA_OK);
    assert_int_equal(strata_bank_verify(out, &r), STRATA_OK);
    strata_bank *b = strata_bank_open(out, &(strata_bank_open_desc){.width = 16, .height = 9}, &r);
    assert_non_null(b);
    assert_int_equal(strata_bank_kind(b), STRATA_BANK_LATENT);
    assert_int_equal(strata_bank_count(b), 40);
    assert_int_equal(strata_bank_latent_dim(b), 12);
    float z[12];
    strata_cppn_random_latent(77, 17, 12, z);
    assert_memory_equal(strata_bank_latent(b, 17), z, sizeof z);
    strata_cppn *c = malloc(sizeof *c);
    strata_cppn_init(c, 77, 12, &r);
    assert_memory_equal(strata_bank_cppn(b)->w, c->w, sizeof c->w);
    assert_memory_equal(strata_bank_cppn(b)->colour, c->colour, sizeof c->colour);
    free(c);
    assert_string_equal(strata_bank_name(b, 17), "latent-00017");
    int nb[8];
    assert_int_equal(strata_bank_neighbours(b, 5, nb, 8), 8);
    strata_keyframe_pixels px;
    assert_false(strata_bank_poll_ready(b, &px));
    assert_int_equal(strata_bank_load_sync(b, 3, &px, &r), STRATA_OK);
    strata_bank_release_pixels(b, &px);
    strata_bank_close(b);

    /* Diverse: the chosen latents render farther apart than the first plain ones. */
    d.diverse = true;
    d.count = 12;
    assert_int_equal(strata_bank_build_latent(&d, &r), STRATA_OK);
    b = strata_bank_open(out, &(strata_bank_open_desc){.width = 32, .height = 18}, &r);
    assert_non_null(b);
    strata_bank *g = strata_bank_generate_latent(
        12, 12, 77, &(strata_bank_open_desc){.width = 32, .height = 18}, &r);
    assert_non_null(g);
    double spread[2] = {0, 0};
    strata_bank *banks[2] = {b, g};
    for (int which = 0; which < 2; which++) {
        strata_keyframe_pixels img[12];
        for (int i = 0; i < 12; i++)
            assert_int_equal(strata_bank_load_sync(banks[which], i, &img[i], &r), STRATA_OK);
        double minsum = 0;
        for (int i = 0; i < 12; i++) {
            double best = 1e30;
            for (int j = 0; j < 12; j++) {
                if (j == i)
                    continue;
                double dd = 0;
                for (int q = 0; q < 32 * 18 * 4; q++) {
                    double e = (double)img[i].rgba[q] - img[j].rgba[q];
                    dd += e * e;
                }
                best = dd < best ? dd : best;
            }
            minsum += best;
        }
        spread[which] = minsum;
        for (int i = 0; i < 12; i++)
            strata_bank_release_pixels(banks[which], &img[i]);
    }
    assert_true(spread[0] > spread[1]);
    strata_bank_close(b);
    strata_bank_close(g);
    d.count = 5000;
    assert_int_not_equal(strata_bank_build_latent(&d, &r), STRATA_OK);
    fx_rmtree(dir);
}

/* ---- files that change or lie --------------------------------------------- */

/* A packed bank truncated, then rewritten in place, while it is open: keyframes already
 * loaded stay, the others fail with a message (the mmap loader died of SIGBUS). */
static void bank_rewritten_while_open(void **state)
{
    (void)state;
    char dir[256], src[300], out[300], p[400];
    fx_tempdir(dir, sizeof dir);
    snprintf(src, sizeof src, "%s/img", dir);
    strata_result r = {0};
    assert_int_equal(strata_file_mkdirs(src, &r), STRATA_OK);
    uint8_t *px = malloc(96 * 64 * 4);
    for (int i = 0; i < 6; i++) {
        fx_fill(px, 96, 64, 40 * i, 250 - 40 * i, 90);
        snprintf(p, sizeof p, "%s/k%d.png", src, i);
        assert_true(fx_write_png(p, px, 96, 64));
    }
    free(px);
    snprintf(out, sizeof out, "%s/live.strata", dir);
    strata_bank_build_desc d = {.dir = src, .out = out};
    assert_int_equal(strata_bank_build(&d, NULL, &r), STRATA_OK);
    size_t len;
    uint8_t *file = fx_read(out, &len);
    assert_non_null(file);
    const bank_section_entry *t = (const bank_section_entry *)(file + BANK_TABLE_OFFSET);
    const bank_entry *idx = (const bank_entry *)(file + t[SEC_INDEX].offset);
    strata_bank *b = strata_bank_open(out, &(strata_bank_open_desc){.width = 32, .height = 18}, &r);
    assert_non_null(b);
    strata_keyframe_pixels k0;
    assert_int_equal(strata_bank_load_sync(b, 0, &k0, &r), STRATA_OK);
    /* Cut the file inside keyframe 1's image. */
    assert_int_equal(truncate(out, (off_t)(t[SEC_DATA].offset + idx[1].data_offset + 10)), 0);
    strata_keyframe_pixels k;
    assert_int_not_equal(strata_bank_load_sync(b, 3, &k, &r), STRATA_OK);
    if (!strstr(r.msg, "changed on disk"))
        fail_msg("message: %s", r.msg);
    assert_non_null(strstr(r.msg, "live.strata"));
    assert_true(strata_bank_is_bad(b, 3));
    /* The loader thread meets the same: keyframe 4 is marked bad, nothing crashes. */
    int want[2] = {4, 5};
    assert_true(strata_bank_request(b, want, 2));
    for (int i = 0; i < 2000 && !(strata_bank_is_bad(b, 4) && strata_bank_is_bad(b, 5)); i++)
        usleep(1000);
    assert_true(strata_bank_is_bad(b, 4) && strata_bank_is_bad(b, 5));
    /* Rewritten in place with other bytes: a checksum mismatch, not a crash. */
    memset(file + t[SEC_DATA].offset, 0x5a, t[SEC_DATA].size);
    FILE *f = fopen(out, "r+b");
    assert_non_null(f);
    assert_int_equal(fwrite(file, 1, len, f), len);
    fclose(f);
    assert_int_not_equal(strata_bank_load_sync(b, 2, &k, &r), STRATA_OK);
    assert_non_null(strstr(r.msg, "checksum mismatch"));
    /* What was read at open stays: names, neighbours, the pixels already held. */
    assert_string_equal(strata_bank_name(b, 5), "k5.png");
    int nb[8];
    assert_true(strata_bank_neighbours(b, 0, nb, 8) >= 1);
    assert_int_equal(k0.rgba[3], 255);
    strata_bank_release_pixels(b, &k0);
    strata_bank_close(b);
    free(file);
    fx_rmtree(dir);
}

static uint32_t crc_be(const uint8_t *p, size_t n)
{
    return strata_bank_crc32(0, p, n);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A PNG whose header says 20000x20000 is refused from its header, with its size and the
 * limit (stb_image only said "unknown image type"); a folder without images is fine. */
static void oversized_image_header(void **state)
{
    (void)state;
    uint8_t png[8 + 25 + 12];
    memcpy(png, "\x89PNG\r\n\x1a\n", 8);
    put_be32(png + 8, 13);
    memcpy(png + 12, "IHDR", 4);
    put_be32(png + 16, 20000);
    put_be32(png + 20, 20000);
    memcpy(png + 24, "\x08\x06\x00\x00\x00", 5);
    put_be32(png + 29, crc_be(png + 12, 17));
    memcpy(png + 33, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
    int w, h;
    strata_result r = {0};
    assert_null(strata_bank_decode(png, sizeof png, &w, &h, &r));
    assert_string_equal(r.msg, "20000x20000 is larger than the limit 16384x16384");
    put_be32(png + 16, 10000);
    put_be32(png + 20, 10000);
    put_be32(png + 29, crc_be(png + 12, 17));
    assert_null(strata_bank_decode(png, sizeof png, &w, &h, &r));
    assert_non_null(strstr(r.msg, "10000x10000 is larger than the limit of 64 megapixels"));
    char dir[256], p[300];
    fx_tempdir(dir, sizeof dir);
    snprintf(p, sizeof p, "%s/huge.png", dir);
    assert_true(fx_write_bytes(p, png, sizeof png));
    put_be32(png + 16, 20000);
    put_be32(png + 20, 20000);
    put_be32(png + 29, crc_be(png + 12, 17));
    assert_true(fx_write_bytes(p, png, sizeof png));
    strata_bank *b = strata_bank_open(dir, NULL, &r);
    assert_non_null(b);
    strata_keyframe_pixels px;
    assert_int_not_equal(strata_bank_load_sync(b, 0, &px, &r), STRATA_OK);
    assert_non_null(strstr(r.msg, "huge.png"));
    assert_non_null(strstr(r.msg, "20000x20000 is larger than the limit 16384x16384"));
    strata_bank_close(b);
    /* No images at all (qsort(NULL, 0) was undefined behaviour here). */
    unlink(p);
    assert_null(strata_bank_open(dir, NULL, &r));
    assert_non_null(strstr(r.msg, "no PNG, JPEG or WebP images"));
    fx_rmtree(dir);
}

/* The bank writer replaces only regular files and reports its own write error. */
static void bank_writer_refuses_devices_and_reports_errno(void **state)
{
    (void)state;
    char dir[256], fifo[300], out[300];
    fx_tempdir(dir, sizeof dir);
    snprintf(fifo, sizeof fifo, "%s/fifo.strata", dir);
    snprintf(out, sizeof out, "%s/ok.strata", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    strata_result r = {0};
    strata_bank_latent_desc d = {.out = fifo, .count = 64, .dim = 8, .seed = 3};
    assert_int_equal(strata_bank_build_latent(&d, &r), STRATA_ERR_IO);
    assert_non_null(strstr(r.msg, "fifo.strata: is a FIFO"));
    d.out = "/dev/full";
    assert_int_equal(strata_bank_build_latent(&d, &r), STRATA_ERR_IO);
    assert_non_null(strstr(r.msg, "/dev/full: is a character device"));
    struct stat st;
    assert_int_equal(stat("/dev/full", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    /* A file size limit makes the writes fail for real: the message carries that error
     * ("File too large"), not a stale errno ("Inappropriate ioctl for device"). */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    d.out = out;
    d.count = 256;
    strata_status s = strata_bank_build_latent(&d, &r);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    assert_int_equal(s, STRATA_ERR_IO);
    if (!strstr(r.msg, "File too large"))
        fail_msg("message: %s", r.msg);
    assert_int_not_equal(access(out, F_OK), 0); /* nothing half-written under the name */
    fx_rmtree(dir);
}

/* Above the exact-search budget the graph comes from bounded candidate sets; points in
 * tight clusters still find their cluster. */
static void neighbours_approximate_find_clusters(void **state)
{
    (void)state;
    const int n = 8192, dim = 48, k = 7;
    float *x = malloc(sizeof(float) * (size_t)n * dim);
    int32_t *out = malloc(sizeof(int32_t) * (size_t)n * k);
    assert_true((uint64_t)n * n * dim > (1ull << 31)); /* the approximate path */
    uint64_t rng = 11;
    float centre[48];
    for (int c = 0; c < n / 8; c++) {
        for (int j = 0; j < dim; j++)
            centre[j] = (float)((strata_bank_splitmix64(&rng) >> 11) * 0x1p-53);
        for (int m = 0; m < 8; m++)
            for (int j = 0; j < dim; j++)
                x[(size_t)(m * (n / 8) + c) * dim + j] =
                    centre[j] + 1e-4f * (float)((strata_bank_splitmix64(&rng) >> 11) * 0x1p-53);
    }
    strata_bank_knn(x, n, dim, k, 2, out);
    int hits = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            int32_t o = out[(size_t)i * k + j];
            assert_true(o >= 0 && o < n && o != i);
            hits += o % (n / 8) == i % (n / 8);
        }
    if (hits < n * k * 95 / 100)
        fail_msg("only %d of %d neighbours in the same cluster", hits, n * k);
    free(x);
    free(out);
}

/* ---- LRU ---------------------------------------------------------------- */

static void lru_evicts_under_budget(void **state)
{
    (void)state;
    strata_lru *l = strata_lru_create(4, 300);
    strata_lru_evicted ev[8];
    assert_int_equal(strata_lru_put(l, 10, 0, 100, ev, 8), 0);
    assert_int_equal(strata_lru_put(l, 11, 1, 100, ev, 8), 0);
    assert_int_equal(strata_lru_put(l, 12, 2, 100, ev, 8), 0);
    assert_int_equal(strata_lru_bytes(l), 300);
    int slot;
    assert_true(strata_lru_get(l, 10, &slot)); /* 10 becomes most recent */
    assert_int_equal(slot, 0);
    assert_int_equal(strata_lru_put(l, 13, 3, 100, ev, 8), 1);
    assert_int_equal(ev[0].key, 11); /* least recently used */
    assert_int_equal(ev[0].slot, 1);
    assert_false(strata_lru_contains(l, 11));
    assert_int_equal(strata_lru_bytes(l), 300);
    /* A pinned entry survives even when it is the coldest. */
    strata_lru_pin(l, 12, true);
    assert_int_equal(strata_lru_put(l, 14, 4, 150, ev, 8), 2);
    assert_int_equal(ev[0].key, 10);
    assert_int_equal(ev[1].key, 13);
    assert_true(strata_lru_contains(l, 12));
    assert_true(strata_lru_bytes(l) <= 300);
    /* Entry table full (4) with everything pinned: put refuses. */
    strata_lru_pin(l, 14, true);
    strata_lru_set_budget(l, 10000);
    assert_int_equal(strata_lru_put(l, 15, 5, 1, ev, 8), 0);
    assert_int_equal(strata_lru_put(l, 16, 6, 1, ev, 8), 0);
    strata_lru_pin(l, 15, true);
    strata_lru_pin(l, 16, true);
    assert_int_equal(strata_lru_put(l, 17, 7, 1, ev, 8), -1);
    strata_lru_pin(l, 15, false);
    assert_int_equal(strata_lru_put(l, 17, 7, 1, ev, 8), 1);
    assert_int_equal(ev[0].key, 15);
    assert_int_equal(strata_lru_count(l), 4);
    assert_true(strata_lru_remove(l, 17, &slot));
    assert_int_equal(slot, 7);
    assert_int_equal(strata_lru_count(l), 3);
    /* Many keys through a small table: bytes never exceed the budget. */
    strata_lru_pin(l, 12, false);
    strata_lru_pin(l, 14, false);
    strata_lru_pin(l, 16, false);
    strata_lru_set_budget(l, 1000);
    for (int k = 0; k < 5000; k++) {
        strata_lru_put(l, k * 7 % 1500, k, (size_t)(k % 300 + 1), ev, 8);
        assert_true(strata_lru_bytes(l) <= 1000 || strata_lru_count(l) == 1);
        assert_true(strata_lru_count(l) <= 4);
    }
    strata_lru_destroy(l);
}

int main(void)
{
    strata_log_set_quiet(getenv("STRATA_TEST_VERBOSE") == NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(natural_order),
        cmocka_unit_test(folder_loads_and_skips_bad),
        cmocka_unit_test(loader_pool_is_bounded),
        cmocka_unit_test(fit_and_fill_geometry),
        cmocka_unit_test(build_round_trip),
        cmocka_unit_test(hostile_files_rejected),
        cmocka_unit_test(flipped_image_byte),
        cmocka_unit_test(neighbours_find_near_duplicates),
        cmocka_unit_test(cppn_deterministic),
        cmocka_unit_test(cppn_default_keyframes_differ),
        cmocka_unit_test(cppn_every_keyframe_has_form),
        cmocka_unit_test(slerp_endpoints_exact),
        cmocka_unit_test(latent_set_round_trip),
        cmocka_unit_test(lru_evicts_under_budget),
        cmocka_unit_test(bank_rewritten_while_open),
        cmocka_unit_test(oversized_image_header),
        cmocka_unit_test(bank_writer_refuses_devices_and_reports_errno),
        cmocka_unit_test(neighbours_approximate_find_clusters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
