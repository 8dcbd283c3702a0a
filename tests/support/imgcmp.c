/* imgcmp A.png B.png [--max N] [--mean X] [--psnr DB]
 * imgcmp --luma A.png X0 Y0 X1 Y1   (mean luma 0..255 of a rectangle)
 * Prints max/mean absolute error and PSNR; exits 1 when a tolerance is exceeded. */
#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc == 7 && !strcmp(argv[1], "--luma")) {
        test_image a;
        if (!test_image_load(argv[2], &a)) {
            fprintf(stderr, "imgcmp: cannot load %s\n", argv[2]);
            return 2;
        }
        int x0 = atoi(argv[3]), y0 = atoi(argv[4]), x1 = atoi(argv[5]), y1 = atoi(argv[6]);
        if (x1 > a.w)
            x1 = a.w;
        if (y1 > a.h)
            y1 = a.h;
        printf("%.3f\n", test_image_mean_luma(&a, x0, y0, x1, y1));
        return 0;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: imgcmp A.png B.png [--max N] [--mean X] [--psnr DB]\n");
        return 2;
    }
    int max_ok = 255;
    double mean_ok = 255, psnr_ok = 0;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--max"))
            max_ok = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--mean"))
            mean_ok = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--psnr"))
            psnr_ok = atof(argv[i + 1]);
    }
    test_image a, b;
    if (!test_image_load(argv[1], &a) || !test_image_load(argv[2], &b)) {
        fprintf(stderr, "imgcmp: cannot load %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    image_diff d;
    if (!test_image_diff(&a, &b, &d)) {
        fprintf(stderr, "imgcmp: sizes differ: %dx%d vs %dx%d\n", a.w, a.h, b.w, b.h);
        return 1;
    }
    printf("max %d  mean %.3f  psnr %.2f dB\n", d.max_abs, d.mean_abs, d.psnr);
    bool ok = d.max_abs <= max_ok && d.mean_abs <= mean_ok && d.psnr >= psnr_ok;
    if (!ok)
        printf("imgcmp: over tolerance (max %d, mean %.3f, psnr %.1f)\n", max_ok, mean_ok, psnr_ok);
    return ok ? 0 : 1;
}
