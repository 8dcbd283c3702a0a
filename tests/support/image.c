#include "image.h"

#include <math.h>
#include <stb/stb_image.h>
#include <stdlib.h>

bool test_image_load(const char *path, test_image *img)
{
    int n;
    img->rgba = stbi_load(path, &img->w, &img->h, &n, 4);
    return img->rgba != NULL;
}

void test_image_free(test_image *img)
{
    stbi_image_free(img->rgba);
    img->rgba = NULL;
}

bool test_image_diff_rgba(const uint8_t *a, const uint8_t *b, size_t pixels, image_diff *d)
{
    uint64_t sum = 0, sq = 0;
    int mx = 0;
    for (size_t i = 0; i < pixels; i++)
        for (int c = 0; c < 3; c++) {
            int e = abs((int)a[i * 4 + c] - (int)b[i * 4 + c]);
            sum += (uint64_t)e;
            sq += (uint64_t)(e * e);
            if (e > mx)
                mx = e;
        }
    double n = (double)pixels * 3.0;
    d->max_abs = mx;
    d->mean_abs = (double)sum / n;
    double mse = (double)sq / n;
    d->psnr = mse == 0 ? 999.0 : 10.0 * log10(255.0 * 255.0 / mse);
    return true;
}

bool test_image_diff(const test_image *a, const test_image *b, image_diff *d)
{
    if (a->w != b->w || a->h != b->h)
        return false;
    return test_image_diff_rgba(a->rgba, b->rgba, (size_t)a->w * a->h, d);
}

double test_image_mean_luma(const test_image *img, int x0, int y0, int x1, int y1)
{
    double s = 0;
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const uint8_t *p = img->rgba + ((size_t)y * img->w + x) * 4;
            s += 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
            n++;
        }
    return n ? s / n : 0;
}

float test_hash2(int x, int y, int seed)
{
    uint32_t h = (uint32_t)x * 374761393u + (uint32_t)y * 668265263u;
    h += (uint32_t)seed * 2246822519u;
    h = (h ^ (h >> 13)) * 1274126177u;
    return (float)((h ^ (h >> 16)) & 0xffffff) / 16777215.0f;
}

float test_noise(float x, float y, int seed)
{
    float v = 0, amp = 0.5f, cell = 64;
    for (int o = 0; o < 4; o++, amp *= 0.5f, cell *= 0.5f) {
        float fx = x / cell, fy = y / cell;
        int ix = (int)floorf(fx), iy = (int)floorf(fy);
        float tx = fx - ix, ty = fy - iy;
        tx = tx * tx * (3 - 2 * tx);
        ty = ty * ty * (3 - 2 * ty);
        float a = test_hash2(ix, iy, seed + o), b = test_hash2(ix + 1, iy, seed + o);
        float c = test_hash2(ix, iy + 1, seed + o), d = test_hash2(ix + 1, iy + 1, seed + o);
        v += amp * ((a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty);
    }
    return v / 0.9375f;
}
