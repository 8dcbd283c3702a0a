/* Image decoding (stb_image, libwebp), fit/fill resampling (stb_image_resize), feature
 * vectors, the k-nearest-neighbour graph and folder scanning. */
#include "bank_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <float.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>
#include <webp/decode.h>
#include <zlib.h>

uint32_t strata_bank_crc32(uint32_t crc, const void *data, size_t len)
{
    const Bytef *p = data;
    /* zlib's crc32 takes a uInt length; feed large sections in pieces. */
    while (len > 0) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = (uint32_t)crc32(crc, p, n);
        p += n;
        len -= n;
    }
    return crc;
}

bank_format strata_bank_sniff(const uint8_t *d, size_t len)
{
    if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return BANK_FMT_PNG;
    if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return BANK_FMT_JPEG;
    if (len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return BANK_FMT_WEBP;
    return BANK_FMT_UNKNOWN;
}

static bool sane_size(int w, int h)
{
    return w > 0 && h > 0 && w <= BANK_MAX_SIDE && h <= BANK_MAX_SIDE &&
           (uint64_t)w * (uint64_t)h <= BANK_MAX_PIXELS;
}

uint8_t *strata_bank_decode(const uint8_t *data, size_t len, int *w, int *h, strata_result *r)
{
    if (len == 0) {
        strata_fail(r, STRATA_ERR_FORMAT, "empty image (0 bytes)");
        return NULL;
    }
    if (len > INT_MAX) {
        strata_fail(r, STRATA_ERR_FORMAT, "image larger than 2 GiB");
        return NULL;
    }
    bank_format f = strata_bank_sniff(data, len);
    if (f == BANK_FMT_UNKNOWN) {
        strata_fail(r, STRATA_ERR_FORMAT, "not a PNG, JPEG or WebP image");
        return NULL;
    }
    if (f == BANK_FMT_WEBP) {
        int ww = 0, hh = 0;
        if (!WebPGetInfo(data, len, &ww, &hh) || !sane_size(ww, hh)) {
            strata_fail(r, STRATA_ERR_FORMAT, "bad WebP header (%dx%d)", ww, hh);
            return NULL;
        }
        size_t bytes = (size_t)ww * (size_t)hh * 4;
        uint8_t *px = malloc(bytes);
        if (!px) {
            strata_fail(r, STRATA_ERR_NOMEM, "out of memory for %dx%d", ww, hh);
            return NULL;
        }
        if (!WebPDecodeRGBAInto(data, len, px, bytes, ww * 4)) {
            free(px);
            strata_fail(r, STRATA_ERR_FORMAT, "corrupt WebP data");
            return NULL;
        }
        *w = ww;
        *h = hh;
        return px;
    }
    int ww = 0, hh = 0, comp = 0;
    if (!stbi_info_from_memory(data, (int)len, &ww, &hh, &comp)) {
        strata_fail(r, STRATA_ERR_FORMAT, "bad image header: %s", stbi_failure_reason());
        return NULL;
    }
    if (!sane_size(ww, hh)) {
        strata_fail(r, STRATA_ERR_FORMAT, "absurd image size %dx%d", ww, hh);
        return NULL;
    }
    uint8_t *px = stbi_load_from_memory(data, (int)len, &ww, &hh, &comp, 4);
    if (!px) {
        strata_fail(r, STRATA_ERR_FORMAT, "corrupt image data: %s", stbi_failure_reason());
        return NULL;
    }
    *w = ww;
    *h = hh;
    return px; /* libstb's STBI_FREE is free() */
}

strata_status strata_bank_resample(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh,
                                   strata_bank_fit fit, strata_result *r)
{
    size_t dstride = (size_t)dw * 4;
    int ok;
    if (fit == STRATA_BANK_FILL) {
        /* Crop the source to the target aspect around its centre, then scale. */
        int cw = sw, ch = sh;
        if ((int64_t)sw * dh > (int64_t)sh * dw)
            cw = (int)(((int64_t)sh * dw + dh / 2) / dh);
        else
            ch = (int)(((int64_t)sw * dh + dw / 2) / dw);
        cw = cw < 1 ? 1 : cw;
        ch = ch < 1 ? 1 : ch;
        const uint8_t *start =
            src + ((size_t)((sh - ch) / 2) * (size_t)sw + (size_t)((sw - cw) / 2)) * 4;
        ok = stbir_resize_uint8_srgb(start, cw, ch, sw * 4, dst, dw, dh, (int)dstride, 4, 3, 0);
    } else {
        /* Letterbox: scale to fit inside, centre, opaque black bars. */
        int fw = dw, fh = dh;
        if ((int64_t)sw * dh > (int64_t)sh * dw)
            fh = (int)(((int64_t)sh * dw + sw / 2) / sw);
        else
            fw = (int)(((int64_t)sw * dh + sh / 2) / sh);
        fw = fw < 1 ? 1 : fw;
        fh = fh < 1 ? 1 : fh;
        for (size_t i = 0; i < (size_t)dw * (size_t)dh; i++) {
            dst[i * 4 + 0] = dst[i * 4 + 1] = dst[i * 4 + 2] = 0;
            dst[i * 4 + 3] = 255;
        }
        uint8_t *start = dst + (size_t)((dh - fh) / 2) * dstride + (size_t)((dw - fw) / 2) * 4;
        ok = stbir_resize_uint8_srgb(src, sw, sh, sw * 4, start, fw, fh, (int)dstride, 4, 3, 0);
    }
    if (!ok)
        return strata_fail(r, STRATA_ERR_NOMEM, "resize %dx%d -> %dx%d failed", sw, sh, dw, dh);
    return STRATA_OK;
}

void strata_bank_features(const uint8_t *t, int tw, int th, float *feat)
{
    /* Coarse structure: mean luma on an 8x8 grid. Colour: mean RGB per quadrant,
     * doubled so colour and structure weigh about the same in an L2 distance. */
    for (int gy = 0; gy < 8; gy++) {
        for (int gx = 0; gx < 8; gx++) {
            int x0 = gx * tw / 8, x1 = (gx + 1) * tw / 8;
            int y0 = gy * th / 8, y1 = (gy + 1) * th / 8;
            double acc = 0;
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) {
                    const uint8_t *p = t + ((size_t)y * tw + x) * 4;
                    acc += 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
                }
            int n = (x1 - x0) * (y1 - y0);
            feat[gy * 8 + gx] = n > 0 ? (float)(acc / n / 255.0) : 0.0f;
        }
    }
    for (int q = 0; q < 4; q++) {
        int x0 = (q & 1) * tw / 2, x1 = ((q & 1) + 1) * tw / 2;
        int y0 = (q >> 1) * th / 2, y1 = ((q >> 1) + 1) * th / 2;
        double acc[3] = {0, 0, 0};
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                for (int c = 0; c < 3; c++)
                    acc[c] += t[((size_t)y * tw + x) * 4 + c];
        int n = (x1 - x0) * (y1 - y0);
        for (int c = 0; c < 3; c++)
            feat[64 + q * 3 + c] = n > 0 ? (float)(2.0 * acc[c] / n / 255.0) : 0.0f;
    }
}

typedef struct knn_job {
    const float *feat;
    int n, dim, k, first, step;
    int32_t *out;
} knn_job;

static void *knn_worker(void *arg)
{
    knn_job *j = arg;
    float best_d[64];
    for (int i = j->first; i < j->n; i += j->step) {
        int32_t *best = j->out + (size_t)i * j->k;
        int have = 0;
        const float *a = j->feat + (size_t)i * j->dim;
        for (int o = 0; o < j->n; o++) {
            if (o == i)
                continue;
            const float *b = j->feat + (size_t)o * j->dim;
            float d = 0;
            for (int c = 0; c < j->dim; c++) {
                float e = a[c] - b[c];
                d += e * e;
            }
            if (have == j->k && d >= best_d[have - 1])
                continue;
            /* Insertion into the sorted top-k; equal distances keep the lower index
             * first, so the graph does not depend on thread count. */
            int pos = have < j->k ? have++ : j->k - 1;
            while (pos > 0 && best_d[pos - 1] > d) {
                best_d[pos] = best_d[pos - 1];
                best[pos] = best[pos - 1];
                pos--;
            }
            best_d[pos] = d;
            best[pos] = o;
        }
        for (int c = have; c < j->k; c++)
            best[c] = -1;
    }
    return NULL;
}

void strata_bank_knn(const float *feat, int n, int dim, int k, int threads, int32_t *out)
{
    if (k > 64)
        k = 64;
    if (threads < 1)
        threads = 1;
    if (threads > 16)
        threads = 16;
    knn_job jobs[16];
    pthread_t tid[16];
    int started = 0;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (knn_job){feat, n, dim, k, t, threads, out};
        if (t > 0 && pthread_create(&tid[t], NULL, knn_worker, &jobs[t]) == 0)
            started |= 1 << t;
    }
    knn_worker(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started & (1 << t))
            pthread_join(tid[t], NULL);
        else
            knn_worker(&jobs[t]); /* thread creation failed: do its share here */
    }
}

int strata_bank_natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0' && isdigit((unsigned char)a[1]))
                a++;
            while (*b == '0' && isdigit((unsigned char)b[1]))
                b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la]))
                la++;
            while (isdigit((unsigned char)b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = memcmp(a, b, la);
            if (c != 0)
                return c;
            a += la;
            b += lb;
            continue;
        }
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        a++;
        b++;
    }
    if (*a || *b)
        return *a ? 1 : -1;
    return 0;
}

static int cmp_names(const void *x, const void *y)
{
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    int c = strata_bank_natural_cmp(a, b);
    return c != 0 ? c : strcmp(a, b); /* total order: "a01" vs "a1" stay stable */
}

static bool image_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return false;
    return strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 ||
           strcasecmp(dot, ".jpeg") == 0 || strcasecmp(dot, ".webp") == 0;
}

void strata_bank_free_names(char **names, int count)
{
    if (!names)
        return;
    for (int i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

strata_status strata_bank_scan_dir(const char *dir, char ***out, int *count, strata_result *r)
{
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return strata_fail(r, STRATA_ERR_IO, "%s: cannot open folder", dir);
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !image_ext(e->d_name))
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == BANK_MAX_COUNT)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **nn = realloc(names, sizeof(char *) * (size_t)cap);
            if (!nn)
                goto oom;
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name)))
            goto oom;
        n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(char *), cmp_names);
    *out = names;
    *count = n;
    return STRATA_OK;
oom:
    closedir(d);
    strata_bank_free_names(names, n);
    return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory listing files", dir);
}
