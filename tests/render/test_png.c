/* render/writer: PNG output through libpng. Generated pixels (gradients, noise, alpha)
 * written and read back with stb_image (the tests' decoder) equal every byte; the same
 * pixels give the same file; the file holds only IHDR, IDAT and IEND (no tIME, no text:
 * nothing that changes from run to run); failures are errors naming the file. No GL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render/render.h"
#include "support/gl_fixture.h"
#include "support/image.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/strata-png-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return test_dir_remove(dir) ? 0 : -1;
}

enum { GRADIENT, NOISE, ALPHA, FLAT, NKINDS };

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* w x h RGBA of one kind; malloc'd. */
static uint8_t *make_pixels(int kind, int w, int h, uint32_t seed)
{
    uint8_t *p = malloc((size_t)w * h * 4);
    assert_non_null(p);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * w + x) * 4;
            switch (kind) {
            case GRADIENT: /* smooth ramps in x and y, opaque */
                q[0] = (uint8_t)(x * 255 / (w > 1 ? w - 1 : 1));
                q[1] = (uint8_t)(y * 255 / (h > 1 ? h - 1 : 1));
                q[2] = (uint8_t)((x + y) * 255 / (w + h > 2 ? w + h - 2 : 1));
                q[3] = 255;
                break;
            case NOISE: /* incompressible, every channel including alpha */
                for (int c = 0; c < 4; c++)
                    q[c] = (uint8_t)lcg(&seed);
                break;
            case ALPHA: /* colour ramps under an alpha ramp with fully clear pixels */
                q[0] = (uint8_t)(x * 7);
                q[1] = (uint8_t)(255 - y * 3);
                q[2] = (uint8_t)(lcg(&seed) & 0x0f);
                q[3] = (uint8_t)((x + y) % 3 == 0 ? 0 : (x * 255 / (w > 1 ? w - 1 : 1)));
                break;
            default: /* one colour, half transparent */
                q[0] = 12, q[1] = 200, q[2] = 99, q[3] = 128;
            }
        }
    return p;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc((size_t)n + 1);
    assert_non_null(d);
    assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return d;
}

static void roundtrip_every_byte(void **state)
{
    (void)state;
    static const int sizes[][2] = {{1, 1}, {3, 2}, {257, 3}, {64, 64}, {480, 270}};
    for (int k = 0; k < NKINDS; k++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            int w = sizes[s][0], h = sizes[s][1];
            uint8_t *px = make_pixels(k, w, h, 7u + (uint32_t)s);
            char path[128];
            snprintf(path, sizeof path, "%s/k%d_%dx%d.png", dir, k, w, h);
            strata_result r = {0};
            assert_int_equal(strata_png_write(path, w, h, px, &r), STRATA_OK);
            test_image img;
            assert_true(test_image_load(path, &img));
            assert_int_equal(img.w, w);
            assert_int_equal(img.h, h);
            if (memcmp(img.rgba, px, (size_t)w * h * 4) != 0)
                fail_msg("%s: decoded pixels differ from those written", path);
            test_image_free(&img);
            free(px);
        }
}

/* Walk the chunks after the signature; their types in order, space separated. */
static void chunk_types(const uint8_t *d, size_t len, char *out, size_t cap)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_true(len >= 8 && memcmp(d, sig, 8) == 0);
    out[0] = 0;
    size_t at = 8;
    while (at + 12 <= len) {
        uint32_t n = (uint32_t)d[at] << 24 | (uint32_t)d[at + 1] << 16 | (uint32_t)d[at + 2] << 8 |
                     d[at + 3];
        char t[6] = {(char)d[at + 4], (char)d[at + 5], (char)d[at + 6], (char)d[at + 7], ' ', 0};
        if (!out[0] || strcmp(out + strlen(out) - 5, t) != 0) /* runs of IDAT count once */
            strncat(out, t, cap - strlen(out) - 1);
        at += 12 + (size_t)n;
    }
    assert_int_equal(at, len); /* the last chunk ends the file exactly */
}

static void same_pixels_same_bytes(void **state)
{
    (void)state;
    uint8_t *px = make_pixels(ALPHA, 480, 270, 3);
    char a[128], b[128], c[128];
    snprintf(a, sizeof a, "%s/a.png", dir);
    snprintf(b, sizeof b, "%s/b.png", dir);
    snprintf(c, sizeof c, "%s/c.png", dir);
    strata_result r = {0};
    assert_int_equal(strata_png_write(a, 480, 270, px, &r), STRATA_OK);
    sleep(1); /* a timestamp in the file would differ now */
    assert_int_equal(strata_png_write(b, 480, 270, px, &r), STRATA_OK);
    /* The writer thread (render mode's path) gives the same bytes as the direct call. */
    strata_writer *wr = strata_writer_create(480, 270, 2);
    assert_non_null(wr);
    assert_true(strata_writer_submit(wr, c, px, true));
    assert_int_equal(strata_writer_flush(wr), 0);
    strata_writer_destroy(wr);
    size_t la, lb, lc;
    uint8_t *da = read_file(a, &la), *db = read_file(b, &lb), *dc = read_file(c, &lc);
    assert_int_equal(la, lb);
    assert_int_equal(la, lc);
    assert_memory_equal(da, db, la);
    assert_memory_equal(da, dc, la);
    char types[256];
    chunk_types(da, la, types, sizeof types);
    assert_string_equal(types, "IHDR IDAT IEND ");
    free(da);
    free(db);
    free(dc);
    free(px);
}

static void missing_folder_names_the_file(void **state)
{
    (void)state;
    uint8_t *px = make_pixels(GRADIENT, 16, 16, 1);
    char path[128];
    snprintf(path, sizeof path, "%s/no-such-folder/frame_000001.png", dir);
    strata_result r = {0};
    assert_int_equal(strata_png_write(path, 16, 16, px, &r), STRATA_ERR_IO);
    if (!strstr(r.msg, path))
        fail_msg("message does not name the file: %s", r.msg);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    free(px);
}

/* A libpng error (here a zero width, which libpng refuses in IHDR) comes back as an
 * error naming the file, not an abort, and leaves no file. */
static void libpng_error_is_a_result(void **state)
{
    (void)state;
    uint8_t px[4] = {1, 2, 3, 4};
    char path[128];
    snprintf(path, sizeof path, "%s/zero.png", dir);
    strata_result r = {0};
    strata_status st = strata_png_write(path, 0, 1, px, &r);
    assert_int_equal(st, STRATA_ERR_ARG);
    if (!strstr(r.msg, path) || !strstr(r.msg, "PNG encode failed"))
        fail_msg("message: %s", r.msg);
    print_message("%s\n", r.msg);
    struct stat sb;
    assert_int_not_equal(stat(path, &sb), 0);
    /* The encoder still works afterwards. */
    snprintf(path, sizeof path, "%s/after.png", dir);
    assert_int_equal(strata_png_write(path, 1, 1, px, &r), STRATA_OK);
}

/* Screenshots (exclusive): an existing file is kept and the write counts as failed. */
static void exclusive_keeps_existing(void **state)
{
    (void)state;
    uint8_t *px = make_pixels(NOISE, 8, 8, 5), *other = make_pixels(FLAT, 8, 8, 0);
    char path[128];
    snprintf(path, sizeof path, "%s/shot.png", dir);
    strata_result r = {0};
    assert_int_equal(strata_png_write(path, 8, 8, px, &r), STRATA_OK);
    strata_writer *wr = strata_writer_create(8, 8, 1);
    assert_non_null(wr);
    strata_writer_set_exclusive(wr, true);
    assert_true(strata_writer_submit(wr, path, other, true));
    assert_int_equal(strata_writer_flush(wr), 1);
    strata_writer_destroy(wr);
    test_image img;
    assert_true(test_image_load(path, &img));
    assert_memory_equal(img.rgba, px, 8 * 8 * 4);
    test_image_free(&img);
    free(px);
    free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_every_byte),
        cmocka_unit_test(same_pixels_same_bytes),
        cmocka_unit_test(missing_folder_names_the_file),
        cmocka_unit_test(libpng_error_is_a_result),
        cmocka_unit_test(exclusive_keeps_existing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
