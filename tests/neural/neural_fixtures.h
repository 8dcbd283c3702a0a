/* Fixtures for the neural tests: safetensors files written from a list of tensors, and
 * TAESD weight files of any family made from a seed (the tensor names and shapes of
 * madebyollin/taesd's taesd.py, written out here independently of engine/neural); the real
 * TAEF2 weights found outside the project; temp folders; strata-bank run with its output
 * captured. None of it uses cmocka (bench_neural shares it): failures come back as values,
 * with the reason printed, and the tests assert on them. */
#ifndef STRATA_NEURAL_FIXTURES_H
#define STRATA_NEURAL_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "neural/neural.h"

typedef struct nf_tensor {
    char name[48];
    const char *dtype; /* "F16", "BF16", "F32" */
    int ndim;
    int64_t shape[4];
    float *values; /* count floats, owned */
} nf_tensor;

typedef struct nf_list {
    nf_tensor t[200];
    int n;
} nf_list;

int64_t nf_count(const nf_tensor *t);
/* Add a tensor of the given shape, values from a seeded generator scaled by `scale`. */
nf_tensor *nf_add(nf_list *l, const char *name, int ndim, const int64_t *shape, float scale,
                  uint32_t *seed);
/* Remove the tensor called name; false when there is none. */
bool nf_remove(nf_list *l, const char *name);
nf_tensor *nf_find(nf_list *l, const char *name);
void nf_free(nf_list *l);

/* Replace the list with the tensors of a TAESD decoder or encoder with `channels` latent channels
 * (pools in the middle blocks when pools is true), weights ~ U(-1, 1) / sqrt(fan in). */
void nf_taesd(nf_list *l, int channels, bool decoder, bool pools, uint32_t seed);

/* The bytes of a safetensors file (malloc'd), with a "__metadata__" {"note": ...}. */
uint8_t *nf_bytes(const nf_list *l, size_t *len);
/* The same with "__metadata__" holding the nmeta pairs meta[2i] -> meta[2i+1] (strings,
 * JSON-escaped here), as ComfyUI's Save Latent writes "prompt" and "workflow". */
uint8_t *nf_bytes_meta(const nf_list *l, const char *const *meta, int nmeta, size_t *len);
bool nf_write_meta(const char *path, const nf_list *l, const char *const *meta, int nmeta);
bool nf_write(const char *path, const nf_list *l);
bool nf_write_bytes(const char *path, const void *data, size_t len);

/* A seeded decoder's last conv (19) scaled by 4 and its bias set to 0.5, so the picture spans
 * much of 0..1 and differences are not hidden by the clamp. False when l is no decoder. */
bool nf_taesd_visible(nf_list *l);
/* The model of l through nf_bytes and the loader in memory (name for messages); NULL with r
 * saying why. */
strata_taesd *nf_taesd_model(const nf_list *l, const char *name, strata_result *r);

/* $STRATA_SOURCE_DIR/../shared/models/taef2/FILE into path. False, after printing why the test
 * skips ("skipped: ... is not here"), when the file is absent or STRATA_SOURCE_DIR unset: the
 * TAEF2 weights live outside the project. */
bool nf_taef2_path(const char *file, char *path, size_t n);
/* The TAEF2 model FILE loaded; NULL with r->status STRATA_OK when it is absent (the reason
 * printed, as nf_taef2_path), NULL with r saying why when it does not load. */
strata_taesd *nf_taef2_load(const char *file, strata_result *r);
/* In a cmocka test (it expands to cmocka's fail_msg and skip): m = the TAEF2 model FILE; the
 * test is skipped (the reason printed) when it is absent and fails when it does not load. */
#define NF_TAEF2_OR_SKIP(m, file)                                                              \
    do {                                                                                       \
        strata_result nf_r_ = {0};                                                             \
        (m) = nf_taef2_load((file), &nf_r_);                                                   \
        if (nf_r_.status != STRATA_OK)                                                         \
            fail_msg("%s", nf_r_.msg);                                                         \
        if (!(m))                                                                              \
            skip();                                                                            \
    } while (0)

/* A fresh folder /tmp/strata-TAG-XXXXXX into dir (at least 64 bytes); false on failure. */
bool nf_tempdir(char *dir, size_t n, const char *tag);
/* dir and everything below it (links not followed); false when something stayed. */
bool nf_rmtree(const char *dir);

/* What nf_run_bank gives when strata-bank could not be run or hung. */
#define NF_RUN_FAILED (-2)
/* Run $STRATA_BINARY_DIR/strata-bank with args (NULL-terminated, 22 at most; no shell): its
 * stdout into out (NUL-terminated; out NULL drops it), the tail of its stderr into err. The
 * exit code (-1 when it did not exit normally), or NF_RUN_FAILED, the reason printed to
 * stderr and left in err, when it could not be started or went 60 s without output or exit. */
int nf_run_bank(const char *const *args, char *out, size_t ocap, char *err, size_t ecap);

#endif
