/* Placeholder until the GPU decoder lands (issue 10): no compute decoder yet, so every
 * caller takes its fallback and says why. */
#include "neural.h"

strata_neural_gpu *strata_neural_gpu_create(const strata_taesd *decoder, strata_result *r)
{
    (void)decoder;
    strata_fail(r, STRATA_ERR_GL, "neural: the GPU decoder is not built yet");
    return NULL;
}

bool strata_neural_gpu_decode(strata_neural_gpu *g, const float *latent, int lh, int lw,
                              const struct strata_target *out)
{
    (void)g, (void)latent, (void)lh, (void)lw, (void)out;
    return false;
}

void strata_neural_gpu_destroy(strata_neural_gpu *g)
{
    (void)g;
}
