/* Fixtures for the neural tests: safetensors files written from a list of tensors, and
 * TAESD weight files of any family made from a seed (the tensor names and shapes of
 * madebyollin/taesd's taesd.py, written out here independently of engine/neural). */
#ifndef STRATA_NEURAL_FIXTURES_H
#define STRATA_NEURAL_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
