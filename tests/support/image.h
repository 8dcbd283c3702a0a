/* Test support: load PNGs and compare images with stated tolerances. */
#ifndef STRATA_TEST_IMAGE_H
#define STRATA_TEST_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct test_image {
    int w, h;
    uint8_t *rgba; /* w*h*4, top row first */
} test_image;

typedef struct image_diff {
    int max_abs;     /* largest channel difference, 0..255 (RGB only) */
    double mean_abs; /* mean channel difference, 0..255 */
    double psnr;     /* dB; 999 for identical images */
} image_diff;

bool test_image_load(const char *path, test_image *img);
void test_image_free(test_image *img);
/* Compare RGB channels of a and b (same size required; false otherwise). */
bool test_image_diff(const test_image *a, const test_image *b, image_diff *d);
bool test_image_diff_rgba(const uint8_t *a, const uint8_t *b, size_t pixels, image_diff *d);
/* Mean luma (0..255) of a rectangle. */
double test_image_mean_luma(const test_image *img, int x0, int y0, int x1, int y1);

/* Test pictures that look real without files: a hash of (x, y, seed) in 0..1, and smooth
 * value noise of it, octaves of cell 64, 32, 16 and 8 px, in 0..1. */
float test_hash2(int x, int y, int seed);
float test_noise(float x, float y, int seed);

#endif
