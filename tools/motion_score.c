/* motion-score: how much a rendered sequence changes, as issue 11 measures it.
 *
 *   motion-score DIR [--size WxH] [--step N]
 *
 * Reads every .png/.jpg in DIR (name order), scales each frame to WxH (default 80x45) with
 * a box filter, and prints the mean absolute difference over every pair of frames (RGB in
 * 0..1, averaged over pixels and channels, then over all pairs i < j). --step N keeps every
 * Nth frame (the first, then N later...). A folder of one still scores 0; distinct photos
 * score about 0.2-0.28. Exit 1 with one message naming the file on a bad frame. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <math.h>

#include <stb_image.h>

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_image_ext(const char *n)
{
    const char *dot = strrchr(n, '.');
    if (!dot)
        return 0;
    return !strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg");
}

/* Box filter: each output pixel averages the source pixels whose centres fall in it. */
static void shrink(const unsigned char *src, int sw, int sh, float *dst, int dw, int dh)
{
    for (int y = 0; y < dh; y++) {
        int y0 = (int)((long)y * sh / dh), y1 = (int)((long)(y + 1) * sh / dh);
        if (y1 <= y0)
            y1 = y0 + 1;
        for (int x = 0; x < dw; x++) {
            int x0 = (int)((long)x * sw / dw), x1 = (int)((long)(x + 1) * sw / dw);
            if (x1 <= x0)
                x1 = x0 + 1;
            double acc[3] = {0, 0, 0};
            for (int sy = y0; sy < y1; sy++)
                for (int sx = x0; sx < x1; sx++)
                    for (int c = 0; c < 3; c++)
                        acc[c] += src[((size_t)sy * (size_t)sw + (size_t)sx) * 3 + (size_t)c];
            double n = (double)(y1 - y0) * (double)(x1 - x0) * 255.0;
            for (int c = 0; c < 3; c++)
                dst[((size_t)y * (size_t)dw + (size_t)x) * 3 + (size_t)c] = (float)(acc[c] / n);
        }
    }
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int dw = 80, dh = 45, step = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d", &dw, &dh) != 2 || dw < 1 || dh < 1 || dw > 4096 ||
                dh > 4096) {
                fprintf(stderr, "motion-score: --size wants WxH (1..4096), got \"%s\"\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--step") && i + 1 < argc) {
            step = atoi(argv[++i]);
            if (step < 1) {
                fprintf(stderr, "motion-score: --step wants a whole number >= 1\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: motion-score DIR [--size WxH] [--step N]\n"
                   "  mean absolute difference over every pair of frames in DIR (PNG/JPEG,\n"
                   "  name order), frames scaled to WxH (default 80x45), RGB 0..1\n");
            return 0;
        } else if (!dir && argv[i][0] != '-') {
            dir = argv[i];
        } else {
            fprintf(stderr, "motion-score: unknown argument \"%s\" (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "usage: motion-score DIR [--size WxH] [--step N]\n");
        return 2;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "motion-score: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!has_image_ext(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) {
                fprintf(stderr, "motion-score: out of memory\n");
                return 1;
            }
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    size_t kept = (n + (size_t)step - 1) / (size_t)step;
    size_t px = (size_t)dw * (size_t)dh * 3;
    float *frames = kept ? malloc(kept * px * sizeof(float)) : NULL;
    if (kept && !frames) {
        fprintf(stderr, "motion-score: out of memory\n");
        return 1;
    }
    int rc = 0;
    for (size_t i = 0, f = 0; i < n; i += (size_t)step, f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int w, h, comp;
        unsigned char *img = stbi_load(path, &w, &h, &comp, 3);
        if (!img) {
            fprintf(stderr, "motion-score: %s: %s\n", path, stbi_failure_reason());
            rc = 1;
            break;
        }
        shrink(img, w, h, frames + f * px, dw, dh);
        stbi_image_free(img);
    }
    if (!rc) {
        if (kept < 2) {
            fprintf(stderr, "motion-score: %s: %zu frame(s), need at least 2\n", dir, kept);
            rc = 1;
        } else {
            double total = 0.0;
            size_t pairs = 0;
            for (size_t a = 0; a < kept; a++)
                for (size_t b = a + 1; b < kept; b++, pairs++) {
                    double s = 0.0;
                    const float *fa = frames + a * px, *fb = frames + b * px;
                    for (size_t k = 0; k < px; k++)
                        s += fabsf(fa[k] - fb[k]);
                    total += s / (double)px;
                }
            printf("%.4f\n", total / (double)pairs);
            fprintf(stderr, "motion-score: %zu frames, %zu pairs, %dx%d\n", kept, pairs, dw,
                    dh);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(frames);
    return rc;
}
