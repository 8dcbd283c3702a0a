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

/* Say why w x h is refused (r); false when it is fine. */
static bool size_refused(uint64_t w, uint64_t h, strata_result *r)
{
    if (w == 0 || h == 0) {
        strata_fail(r, STRATA_ERR_FORMAT, "image header says %llux%llu", (unsigned long long)w,
                    (unsigned long long)h);
        return true;
    }
    if (w > BANK_MAX_SIDE || h > BANK_MAX_SIDE) {
        strata_fail(r, STRATA_ERR_FORMAT, "%llux%llu is larger than the limit %dx%d",
                    (unsigned long long)w, (unsigned long long)h, BANK_MAX_SIDE, BANK_MAX_SIDE);
        return true;
    }
    if (w * h > BANK_MAX_PIXELS) {
        strata_fail(r, STRATA_ERR_FORMAT,
                    "%llux%llu is larger than the limit of %u megapixels (8192x8192)",
                    (unsigned long long)w, (unsigned long long)h, BANK_MAX_PIXELS >> 20);
        return true;
    }
    return false;
}

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Width and height from a PNG's IHDR or a JPEG's frame header, read before any decoder
 * sees the file: a decoder that refuses a huge image only says "unknown image type". */
static bool header_size(const uint8_t *d, size_t len, bank_format f, uint64_t *w, uint64_t *h)
{
    if (f == BANK_FMT_PNG) {
        if (len < 24 || memcmp(d + 12, "IHDR", 4) != 0)
            return false;
        *w = be32(d + 16);
        *h = be32(d + 20);
        return true;
    }
    size_t i = 2; /* JPEG: walk the markers up to the first start-of-frame */
    while (i + 9 < len) {
        if (d[i] != 0xFF)
            return false;
        uint8_t m = d[i + 1];
        if (m == 0xFF) {
            i++;
            continue;
        }
        bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof) {
            *h = be16(d + i + 5);
            *w = be16(d + i + 7);
            return true;
        }
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
            i += 2;
            continue;
        }
        i += 2 + be16(d + i + 2);
    }
    return false;
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
        if (!WebPGetInfo(data, len, &ww, &hh)) {
            strata_fail(r, STRATA_ERR_FORMAT, "bad WebP header");
            return NULL;
        }
        if (size_refused((uint64_t)ww, (uint64_t)hh, r))
            return NULL;
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
    uint64_t hw, hh0;
    if (header_size(data, len, f, &hw, &hh0) && size_refused(hw, hh0, r))
        return NULL;
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

/* Same size: rows copied as they are (the sRGB filter at 1:1 still moved values by up to
 * 4 levels, softening the previews of neural banks that play at their own size). */
static void copy_rows(const uint8_t *src, int sstride, uint8_t *dst, int dstride, int w, int h)
{
    for (int y = 0; y < h; y++)
        memcpy(dst + (size_t)y * (size_t)dstride, src + (size_t)y * (size_t)sstride,
               (size_t)w * 4);
}

strata_status strata_bank_resample(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh,
                                   strata_bank_fit fit, strata_result *r)
{
    size_t dstride = (size_t)dw * 4;
    int ok = 1;
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
        if (cw == dw && ch == dh)
            copy_rows(start, sw * 4, dst, (int)dstride, dw, dh);
        else
            ok = stbir_resize_uint8_srgb(start, cw, ch, sw * 4, dst, dw, dh, (int)dstride, 4, 3,
                                         0);
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
        if (fw == sw && fh == sh)
            copy_rows(src, sw * 4, start, (int)dstride, sw, sh);
        else
            ok = stbir_resize_uint8_srgb(src, sw, sh, sw * 4, start, fw, fh, (int)dstride, 4, 3,
                                         0);
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

/* Below this much work (n * n * dim) the graph is exact; above it, candidates come
 * from a bounded set per keyframe, so a 65,536-latent set opens in seconds instead of
 * the 11 minutes of the exact quadratic search. */
#define KNN_EXACT_WORK (1ull << 31)
#define KNN_PROJ 4   /* random projections */
#define KNN_WINDOW 6 /* neighbours on each side in each projection's order */

typedef struct knn_job {
    const float *feat;
    int n, dim, k, first, step;
    int32_t *out;
    float *out_d;         /* distances of out (approximate mode) */
    const int32_t *order; /* KNN_PROJ x n: keyframes by projection */
    const int32_t *rank;  /* KNN_PROJ x n: position of keyframe i in order */
    const int32_t *graph; /* refinement: the first graph, n x k */
    const float *graph_d; /* and its distances */
    void (*row)(struct knn_job *j, int i, float *best_d);
} knn_job;

/* Squared distance, given up (returning something >= limit) as soon as the partial sum
 * passes limit: most candidates are out after a fraction of a long latent. Eight
 * independent sums let the compiler use vector lanes. */
static float dist2_below(const float *a, const float *b, int dim, float limit)
{
    float acc[8] = {0};
    int c = 0;
    while (c + 32 <= dim) {
        for (int e = c; e < c + 32; e += 8)
            for (int l = 0; l < 8; l++) {
                float x = a[e + l] - b[e + l];
                acc[l] += x * x;
            }
        c += 32;
        float d = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        if (d >= limit)
            return d;
    }
    float d = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; c < dim; c++) {
        float x = a[c] - b[c];
        d += x * x;
    }
    return d;
}

/* Insert o at distance d into the sorted top-k (best, best_d; *have filled). Equal
 * distances keep the earlier candidate first, so the graph does not depend on the
 * thread count; a candidate already held is ignored. */
static void topk_insert(int32_t *best, float *best_d, int *have, int k, int32_t o, float d)
{
    if (*have == k && d >= best_d[k - 1])
        return;
    for (int c = 0; c < *have; c++)
        if (best[c] == o)
            return;
    int pos = *have < k ? (*have)++ : k - 1;
    while (pos > 0 && best_d[pos - 1] > d) {
        best_d[pos] = best_d[pos - 1];
        best[pos] = best[pos - 1];
        pos--;
    }
    best_d[pos] = d;
    best[pos] = o;
}

static void row_exact(knn_job *j, int i, float *best_d)
{
    int32_t *best = j->out + (size_t)i * j->k;
    int have = 0;
    const float *a = j->feat + (size_t)i * j->dim;
    for (int o = 0; o < j->n; o++) {
        if (o == i)
            continue;
        float d = dist2_below(a, j->feat + (size_t)o * j->dim, j->dim,
                              have == j->k ? best_d[j->k - 1] : 3.4e38f);
        if (have == j->k && d >= best_d[have - 1])
            continue;
        topk_insert(best, best_d, &have, j->k, o, d);
    }
    for (int c = have; c < j->k; c++)
        best[c] = -1;
}

/* Candidates: the keyframes next to i in the order of each random projection. */
static void row_projected(knn_job *j, int i, float *best_d)
{
    int32_t *best = j->out + (size_t)i * j->k;
    int have = 0;
    const float *a = j->feat + (size_t)i * j->dim;
    for (int p = 0; p < KNN_PROJ; p++) {
        const int32_t *order = j->order + (size_t)p * j->n;
        int at = j->rank[(size_t)p * j->n + i];
        int lo = at - KNN_WINDOW < 0 ? 0 : at - KNN_WINDOW;
        int hi = at + KNN_WINDOW >= j->n ? j->n - 1 : at + KNN_WINDOW;
        for (int q = lo; q <= hi; q++) {
            int32_t o = order[q];
            if (o != i)
                topk_insert(best, best_d, &have, j->k, o,
                            dist2_below(a, j->feat + (size_t)o * j->dim, j->dim,
                                        have == j->k ? best_d[j->k - 1] : 3.4e38f));
        }
    }
    for (int c = 0; c < j->k; c++)
        j->out_d[(size_t)i * j->k + c] = c < have ? best_d[c] : 3.4e38f;
    for (int c = have; c < j->k; c++)
        best[c] = -1;
}

/* One refinement round: a neighbour's neighbour is often a neighbour (NN-descent). */
static void row_refine(knn_job *j, int i, float *best_d)
{
    int32_t *best = j->out + (size_t)i * j->k;
    const int32_t *g = j->graph + (size_t)i * j->k;
    int have = 0;
    for (int c = 0; c < j->k && g[c] >= 0; c++)
        topk_insert(best, best_d, &have, j->k, g[c], j->graph_d[(size_t)i * j->k + c]);
    const float *a = j->feat + (size_t)i * j->dim;
    for (int c = 0; c < j->k && g[c] >= 0; c++) {
        const int32_t *g2 = j->graph + (size_t)g[c] * j->k;
        for (int e = 0; e < j->k && g2[e] >= 0; e++)
            if (g2[e] != i)
                topk_insert(best, best_d, &have, j->k, g2[e],
                            dist2_below(a, j->feat + (size_t)g2[e] * j->dim, j->dim,
                                        have == j->k ? best_d[j->k - 1] : 3.4e38f));
    }
    for (int c = have; c < j->k; c++)
        best[c] = -1;
}

static void *knn_worker(void *arg)
{
    knn_job *j = arg;
    float best_d[64];
    for (int i = j->first; i < j->n; i += j->step)
        j->row(j, i, best_d);
    return NULL;
}

static void knn_run(const knn_job *proto, int threads)
{
    knn_job jobs[16];
    pthread_t tid[16];
    int started = 0;
    for (int t = 0; t < threads; t++) {
        jobs[t] = *proto;
        jobs[t].first = t;
        jobs[t].step = threads;
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

typedef struct proj_key {
    float key;
    int32_t idx;
} proj_key;

static int cmp_proj(const void *x, const void *y)
{
    const proj_key *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Orders of the keyframes along KNN_PROJ fixed random directions. */
static bool project(const float *feat, int n, int dim, int32_t *order, int32_t *rank)
{
    proj_key *keys = malloc(sizeof *keys * (size_t)n);
    float *dir = malloc(sizeof *dir * (size_t)dim);
    if (!keys || !dir) {
        free(keys);
        free(dir);
        return false;
    }
    uint64_t rng = 0x5eed6b6e6b6e0001ull; /* fixed: the graph is a function of the data */
    for (int p = 0; p < KNN_PROJ; p++) {
        for (int c = 0; c < dim; c++)
            dir[c] = (float)((double)(strata_bank_splitmix64(&rng) >> 11) * 0x1p-53 - 0.5);
        for (int i = 0; i < n; i++) {
            const float *a = feat + (size_t)i * dim;
            float key = 0;
            for (int c = 0; c < dim; c++)
                key += a[c] * dir[c];
            keys[i] = (proj_key){key, i};
        }
        qsort(keys, (size_t)n, sizeof *keys, cmp_proj);
        for (int q = 0; q < n; q++) {
            order[(size_t)p * n + q] = keys[q].idx;
            rank[(size_t)p * n + keys[q].idx] = q;
        }
    }
    free(keys);
    free(dir);
    return true;
}

void strata_bank_knn(const float *feat, int n, int dim, int k, int threads, int32_t *out)
{
    if (k > 64)
        k = 64;
    if (k < 1 || n < 1)
        return;
    if (threads < 1)
        threads = 1;
    if (threads > 16)
        threads = 16;
    knn_job j = {.feat = feat, .n = n, .dim = dim, .k = k, .out = out, .row = row_exact};
    if ((uint64_t)n * (uint64_t)n * (uint64_t)dim <= KNN_EXACT_WORK) {
        knn_run(&j, threads);
        return;
    }
    size_t nk = (size_t)n * (size_t)k;
    int32_t *order = malloc(sizeof *order * (size_t)n * KNN_PROJ);
    int32_t *rank = malloc(sizeof *rank * (size_t)n * KNN_PROJ);
    int32_t *graph = malloc(sizeof *graph * nk);
    float *graph_d = malloc(sizeof *graph_d * nk);
    if (order && rank && graph && graph_d && project(feat, n, dim, order, rank)) {
        j = (knn_job){.feat = feat,
                      .n = n,
                      .dim = dim,
                      .k = k,
                      .out = graph,
                      .out_d = graph_d,
                      .order = order,
                      .rank = rank,
                      .row = row_projected};
        knn_run(&j, threads);
        j = (knn_job){.feat = feat,
                      .n = n,
                      .dim = dim,
                      .k = k,
                      .out = out,
                      .graph = graph,
                      .graph_d = graph_d,
                      .row = row_refine};
        knn_run(&j, threads);
    } else {
        for (size_t c = 0; c < nk; c++)
            out[c] = -1; /* out of memory: no graph, traversal falls back to its order */
    }
    free(order);
    free(rank);
    free(graph);
    free(graph_d);
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
    if (n > 1) /* names is NULL in a folder without images: qsort(NULL, 0) is undefined */
        qsort(names, (size_t)n, sizeof(char *), cmp_names);
    *out = names;
    *count = n;
    return STRATA_OK;
oom:
    closedir(d);
    strata_bank_free_names(names, n);
    return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory listing files", dir);
}
