/* libFuzzer target: the ISF header parser, the GLSL translation and the size expressions
 * on arbitrary bytes. Any input must give STRATA_OK or an error message, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isf/isf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static strata_isf_desc d;
    strata_result r = {0};
    if (strata_isf_parse((const char *)data, size, "fuzz.fs", &d, &r) == STRATA_OK) {
        char *fs = strata_isf_glsl(&d, (const char *)data, size, false, 330);
        char *vs = strata_isf_glsl(&d, (const char *)data, size, true, 400);
        free(fs);
        free(vs);
        for (int p = 0; p < d.npasses; p++) {
            double x;
            strata_isf_eval(d.passes[p].width, &d, 1280, 720, NULL, &x, &r);
        }
    } else if (!r.msg[0]) {
        abort(); /* an error must say what */
    }
    /* The bytes as an expression too (NUL-terminated copy). */
    if (size < 256) {
        char expr[256];
        memcpy(expr, data, size);
        expr[size] = 0;
        double x;
        strata_isf_eval(expr, NULL, 640, 360, NULL, &x, &r);
    }
    return 0;
}
