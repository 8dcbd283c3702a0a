/* PNG encode time and size of one frame: stb_image_write (what strata used before) against
 * libpng at zlib level 1 with each row filter, and strata_png_write (the shipped path,
 * which also writes and fsyncs the file). Median of --runs encodes each.
 *
 *   png_bench [--runs N] [--size WxH] [IMAGE]
 *
 * IMAGE (PNG or JPEG) is centre-cropped to the aspect of WxH (default 480x270, render
 * mode's size in the issue) and area-averaged to it; without one, a synthetic frame.
 * Times are the median wall ms and the median CPU ms of this thread: on a shared machine
 * the CPU time is the steadier figure (the wall time includes waiting for a core).
 * Every encoded file is decoded again and must equal the frame (exit 1 otherwise): ctest
 * runs it once as a smoke test. Not a timing test: it prints, it does not judge. */
#include <png.h>
#include <setjmp.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "render/render.h"

typedef struct enc {
    strata_buf out;
} enc;

static void on_error(png_structp png, png_const_charp msg)
{
    fprintf(stderr, "png_bench: libpng: %s\n", msg);
    png_longjmp(png, 1);
}

static void on_write(png_structp png, png_bytep data, size_t n)
{
    if (!strata_buf_append(png_get_io_ptr(png), data, n))
        png_error(png, "out of memory");
}

static void on_flush(png_structp png)
{
    (void)png;
}

/* libpng with one filter set (PNG_FILTER_NONE ... PNG_ALL_FILTERS) at a zlib level. */
static bool libpng_encode(strata_buf *out, int w, int h, const uint8_t *rgba, int filters,
                          int level)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_set_write_fn(png, out, on_write, on_flush);
    png_set_compression_level(png, level);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB_ALPHA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, rgba + (size_t)y * w * 4);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return true;
}

/* Centre crop of src to the aspect of w x h, area-averaged down (or nearest up). */
static uint8_t *fit(const uint8_t *src, int sw, int sh, int w, int h)
{
    double cw = sw, ch = sh;
    if (cw / ch > (double)w / h)
        cw = ch * w / h;
    else
        ch = cw * h / w;
    double x0 = (sw - cw) / 2, y0 = (sh - ch) / 2, fx = cw / w, fy = ch / h;
    uint8_t *dst = malloc((size_t)w * h * 4);
    for (int y = 0; dst && y < h; y++)
        for (int x = 0; x < w; x++) {
            int ax = (int)(x0 + x * fx), bx = (int)(x0 + (x + 1) * fx);
            int ay = (int)(y0 + y * fy), by = (int)(y0 + (y + 1) * fy);
            if (bx <= ax)
                bx = ax + 1;
            if (by <= ay)
                by = ay + 1;
            unsigned sum[4] = {0}, n = 0;
            for (int v = ay; v < by && v < sh; v++)
                for (int u = ax; u < bx && u < sw; u++, n++)
                    for (int c = 0; c < 4; c++)
                        sum[c] += src[((size_t)v * sw + u) * 4 + c];
            for (int c = 0; c < 4; c++)
                dst[((size_t)y * w + x) * 4 + c] = (uint8_t)(n ? (sum[c] + n / 2) / n : 0);
        }
    return dst;
}

/* A frame with what strata's output has: smooth areas, edges, grain, opaque. */
static uint8_t *synthetic(int w, int h)
{
    uint8_t *p = malloc((size_t)w * h * 4);
    uint32_t s = 1;
    for (int y = 0; p && y < h; y++)
        for (int x = 0; x < w; x++) {
            s = s * 1664525u + 1013904223u;
            int grain = (int)(s >> 28) - 8;
            uint8_t *q = p + ((size_t)y * w + x) * 4;
            int band = ((x / 37) + (y / 23)) & 1;
            q[0] = (uint8_t)(x * 255 / w);
            q[1] = (uint8_t)(band ? 200 : 40);
            q[2] = (uint8_t)((y * 255 / h + grain) & 0xff);
            q[3] = 255;
        }
    return p;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool same_pixels(const uint8_t *png, size_t len, const uint8_t *rgba, int w, int h)
{
    int dw, dh, n;
    uint8_t *d = stbi_load_from_memory(png, (int)len, &dw, &dh, &n, 4);
    bool ok = d && dw == w && dh == h && memcmp(d, rgba, (size_t)w * h * 4) == 0;
    stbi_image_free(d);
    return ok;
}

enum { STB = -1, SHIPPED = -2 };

/* Median encode wall and CPU ms and the size of one method; false when it fails or the
 * file decodes to other pixels. */
static bool measure(int method, const uint8_t *rgba, int w, int h, int runs, const char *tmp,
                    double *ms, double *cpu_ms, size_t *bytes)
{
    double *t = calloc((size_t)runs * 2, sizeof *t), *c = t ? t + runs : NULL;
    bool ok = t != NULL;
    for (int i = 0; ok && i < runs; i++) {
        strata_buf b = {0};
        strata_result r = {0};
        double t0 = strata_time_s(), c0 = cpu_s();
        if (method == STB)
            ok = stbi_write_png_to_func(strata_buf_write_cb, &b, w, h, 4, rgba, w * 4) && !b.failed;
        else if (method == SHIPPED)
            ok = strata_png_write(tmp, w, h, rgba, &r) == STRATA_OK;
        else
            ok = libpng_encode(&b, w, h, rgba, method, 1) && !b.failed;
        t[i] = (strata_time_s() - t0) * 1000.0;
        c[i] = (cpu_s() - c0) * 1000.0;
        if (ok && i == 0) {
            if (method == SHIPPED) {
                char *text = NULL;
                ok = strata_file_read(tmp, &text, bytes, 0, &r) == STRATA_OK &&
                     same_pixels((uint8_t *)text, *bytes, rgba, w, h);
                free(text);
            } else {
                *bytes = b.len;
                ok = same_pixels(b.data, b.len, rgba, w, h);
            }
        }
        strata_buf_free(&b);
    }
    if (ok) {
        *ms = strata_median(t, (size_t)runs);
        *cpu_ms = strata_median(c, (size_t)runs);
    }
    free(t);
    return ok;
}

int main(int argc, char **argv)
{
    int runs = 20, w = 480, h = 270;
    const char *image = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc)
            sscanf(argv[++i], "%dx%d", &w, &h);
        else if (argv[i][0] != '-')
            image = argv[i];
        else {
            fprintf(stderr, "usage: png_bench [--runs N] [--size WxH] [IMAGE]\n");
            return 2;
        }
    }
    if (runs < 1 || w < 1 || h < 1 || w > 8192 || h > 8192) {
        fprintf(stderr, "png_bench: bad --runs or --size\n");
        return 2;
    }
    uint8_t *frame;
    if (image) {
        int sw, sh, n;
        uint8_t *src = stbi_load(image, &sw, &sh, &n, 4);
        if (!src) {
            fprintf(stderr, "png_bench: %s: %s\n", image, stbi_failure_reason());
            return 1;
        }
        frame = fit(src, sw, sh, w, h);
        stbi_image_free(src);
    } else {
        frame = synthetic(w, h);
    }
    char tmp[] = "/tmp/png-bench-XXXXXX";
    int fd = mkstemp(tmp);
    if (!frame || fd < 0)
        return 1;
    close(fd);
    static const struct {
        const char *name;
        int method;
    } m[] = {
        {"stb_image_write (default level 8)", STB},
        {"libpng level 1, filter NONE", PNG_FILTER_NONE},
        {"libpng level 1, filter SUB", PNG_FILTER_SUB},
        {"libpng level 1, filter UP", PNG_FILTER_UP},
        {"libpng level 1, filter AVG", PNG_FILTER_AVG},
        {"libpng level 1, filter PAETH", PNG_FILTER_PAETH},
        {"libpng level 1, all filters", PNG_ALL_FILTERS},
        {"strata_png_write (encode+write+fsync)", SHIPPED},
    };
    printf("png_bench: %dx%d %s, median of %d\n", w, h, image ? image : "(synthetic)", runs);
    printf("  %-40s %9s %9s %9s\n", "encoder", "wall ms", "cpu ms", "bytes");
    int rc = 0;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        double ms = 0, cms = 0;
        size_t bytes = 0;
        if (!measure(m[i].method, frame, w, h, runs, tmp, &ms, &cms, &bytes)) {
            printf("  %-40s FAILED (or decoded pixels differ)\n", m[i].name);
            rc = 1;
            continue;
        }
        printf("  %-40s %9.2f %9.2f %9zu\n", m[i].name, ms, cms, bytes);
    }
    unlink(tmp);
    free(frame);
    return rc;
}
