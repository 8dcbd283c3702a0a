/* libFuzzer target for the safetensors reader and the TAESD model validation: every input
 * goes through strata_safetensors_parse, each tensor is converted to fp32, and a parsed
 * file is offered to strata_taesd_from_safetensors.
 * Build: CC=clang CXX=clang++ cmake -DSTRATA_FUZZ=ON ... && make fuzz_safetensors
 * Run:   ./fuzz_safetensors -max_len=65536 tests/fuzz/corpus_safetensors */
#include <stdint.h>
#include <stdlib.h>

#include "neural/neural.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strata_result r;
    strata_safetensors *st;
    if (strata_safetensors_parse(data, size, "fuzz", &st, &r) != STRATA_OK)
        return 0;
    for (int i = 0; i < strata_safetensors_count(st); i++) {
        const strata_tensor *t = strata_safetensors_at(st, i);
        float *f = malloc((size_t)(t->count ? t->count : 1) * sizeof *f);
        if (f)
            strata_tensor_to_f32(t, f);
        free(f);
        strata_safetensors_find(st, t->name);
    }
    strata_safetensors_meta(st, "source");
    strata_taesd *m;
    if (strata_taesd_from_safetensors(st, "fuzz", &m, &r) == STRATA_OK)
        strata_taesd_free(m);
    strata_safetensors_close(st);
    return 0;
}
