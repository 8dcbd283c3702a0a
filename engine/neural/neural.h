/* strata neural: the TAESD family of tiny autoencoders (madebyollin/taesd, MIT) that turn
 * diffusion latents into pictures and back. Safetensors files, the model description and
 * its validation, a CPU reference in plain C, and the GPU decoder in compute passes.
 *
 * Use
 *   1. strata_taesd_load("taef2_decoder.safetensors", &m, &r): reads the file (mmap),
 *      detects the family from the tensors, checks every tensor of the architecture and
 *      converts the weights to fp32. A missing, extra or mis-shaped tensor, a NaN weight
 *      or a hostile file is one clear error naming the file and the tensor.
 *   2. CPU: strata_taesd_decode_cpu(m, latent, lh, lw, rgb): latent C x lh x lw (planar
 *      fp32, the diffusion model's scaled latent), rgb 3 x 8lh x 8lw planar fp32 in about
 *      0..1, not clamped. strata_taesd_encode_cpu() the other way.
 *   3. GPU (GL 4.3, render thread): strata_neural_gpu_create(m) uploads the weights once;
 *      strata_neural_gpu_decode(g, latent, lh, lw, target) writes the picture into an RGBA
 *      target of 8lw x 8lh that enters the normal chain (grade, fx, output).
 *
 * The architecture (every family): decoder = tanh(x/3)*3, conv3x3(C->64), ReLU, 3 Blocks,
 * up x2, conv3x3 (no bias), 3 Blocks, up x2, conv, 3 Blocks, up x2, conv, 1 Block,
 * conv3x3(64->3). Block(x) = ReLU(conv3(ReLU(conv2(ReLU(conv1(x))))) + x), preceded in
 * the middle blocks of taef2 by x += pool(x), pool = conv1x1(64->256) -> GroupNorm(4, 256)
 * -> ReLU -> conv1x1(256->64). Encoder = conv3x3(3->64), Block, 3 x [conv3x3 stride 2
 * (no bias), 3 Blocks], conv3x3(64->C). Tensor names are the indices of that sequence
 * ("1.weight", "3.conv.0.weight", "3.pool.1.bias"); ../shared/models/README.md.
 *
 * Threads: safetensors, model and CPU functions are pure over their arguments and may run
 * on any thread (a model is immutable once loaded and may be shared). GPU functions are
 * render-thread only.
 */
#ifndef STRATA_NEURAL_H
#define STRATA_NEURAL_H

#include "core/core.h"

/* ---- safetensors ----------------------------------------------------------- */

typedef enum strata_dtype { STRATA_DT_F16, STRATA_DT_BF16, STRATA_DT_F32 } strata_dtype;

#define STRATA_TENSOR_MAX_DIMS 8

typedef struct strata_tensor {
    const char *name;  /* owned by the file */
    strata_dtype dtype;
    int ndim;
    int64_t shape[STRATA_TENSOR_MAX_DIMS];
    int64_t count;     /* elements: the product of shape */
    const void *data;  /* little-endian, inside the mapping; count * dtype size bytes */
} strata_tensor;

typedef struct strata_safetensors strata_safetensors;

/* Map and parse a file. Refused, with the file named: a header length past the file or
 * over 100 MB, JSON that is not an object of tensors, offsets outside the data or
 * overlapping, shapes that do not multiply out to the bytes, unknown dtypes. */
strata_status strata_safetensors_open(const char *path, strata_safetensors **out,
                                      strata_result *r);
/* The same over bytes in memory (copied); name is used in messages. For the fuzzer. */
strata_status strata_safetensors_parse(const void *bytes, size_t len, const char *name,
                                       strata_safetensors **out, strata_result *r);
void strata_safetensors_close(strata_safetensors *st); /* NULL is fine */
int strata_safetensors_count(const strata_safetensors *st);
const strata_tensor *strata_safetensors_at(const strata_safetensors *st, int i);
const strata_tensor *strata_safetensors_find(const strata_safetensors *st, const char *name);
/* A string of the "__metadata__" object, or NULL. */
const char *strata_safetensors_meta(const strata_safetensors *st, const char *key);
/* Convert a tensor's elements to fp32 (n = t->count floats). */
void strata_tensor_to_f32(const strata_tensor *t, float *out);
/* fp16 <-> float: strata_half_to_float, strata_float_to_half in core/core.h. */

/* ---- the model --------------------------------------------------------------- */

typedef enum strata_taesd_role { STRATA_TAESD_DECODER, STRATA_TAESD_ENCODER } strata_taesd_role;

/* What the tensors tell: the latent channels, and pools in the middle blocks. */
typedef enum strata_taesd_family {
    STRATA_TAESD_SD = 0, /* 4 channels: taesd (SD 1.x/2.x) or taesdxl */
    STRATA_TAESD_SD3,    /* 16 channels: taesd3 or taef1 (FLUX.1) */
    STRATA_TAESD_F2,     /* 32 channels with pools: taef2 (FLUX.2) */
} strata_taesd_family;

typedef enum strata_taesd_op_kind {
    STRATA_TAESD_CLAMP,    /* x = tanh(x / 3) * 3 */
    STRATA_TAESD_CONV,     /* conv (k 3 pad 1, or k 1), stride 1 or 2 */
    STRATA_TAESD_RELU,
    STRATA_TAESD_BLOCK,
    STRATA_TAESD_UPSAMPLE, /* nearest, x2 */
} strata_taesd_op_kind;

typedef struct strata_taesd_conv {
    int in, out, k, stride;
    const float *w; /* [out][in][k][k] */
    const float *b; /* [out], NULL: no bias */
} strata_taesd_conv;

typedef struct strata_taesd_block {
    strata_taesd_conv conv[3]; /* 3x3, 64 -> 64, with bias */
    bool pool;
    strata_taesd_conv pool_in;  /* 1x1, 64 -> 256, no bias */
    const float *gn_w, *gn_b;   /* GroupNorm affine, [256] */
    int gn_groups;              /* 4 */
    strata_taesd_conv pool_out; /* 1x1, 256 -> 64, no bias */
} strata_taesd_block;

typedef struct strata_taesd_op {
    strata_taesd_op_kind kind;
    int index; /* position in the sequence: the tensor name prefix */
    strata_taesd_conv conv;   /* CONV */
    strata_taesd_block block; /* BLOCK */
} strata_taesd_op;

#define STRATA_TAESD_MAX_OPS 24

typedef struct strata_taesd {
    strata_taesd_role role;
    strata_taesd_family family;
    int latent_channels; /* 4, 16 or 32 */
    int64_t params;      /* weights and biases */
    char name[64];       /* "taef2 decoder" ... */
    int nops;
    strata_taesd_op ops[STRATA_TAESD_MAX_OPS];
    float *weights; /* owned: every w and b above points in here */
} strata_taesd;

/* Load and validate a model file (the role and family come from the tensors). */
strata_status strata_taesd_load(const char *path, strata_taesd **out, strata_result *r);
/* The same from an open file; name is used in messages. */
strata_status strata_taesd_from_safetensors(const strata_safetensors *st, const char *name,
                                            strata_taesd **out, strata_result *r);
void strata_taesd_free(strata_taesd *m); /* NULL is fine */
const char *strata_taesd_family_name(strata_taesd_family f); /* "taesd/taesdxl" ... */

/* ---- CPU reference (clear, not fast; any thread) ------------------------------ */

/* latent [C][lh][lw] -> rgb [3][8lh][8lw], before clamping to 0..1. false: not a decoder,
 * a side outside 1..1024, or out of memory (work memory: 4 x 64 x 8lh x 8lw floats). */
bool strata_taesd_decode_cpu(const strata_taesd *m, const float *latent, int lh, int lw,
                             float *rgb);
/* rgb [3][h][w] in 0..1 (h, w multiples of 8, 8..8192) -> latent [C][h/8][w/8]. false: not
 * an encoder, a bad size, or out of memory. */
bool strata_taesd_encode_cpu(const strata_taesd *m, const float *rgb, int h, int w,
                             float *latent);

/* ---- GPU decoder (GL 4.3 compute; render thread) ------------------------------- */

typedef struct strata_neural_gpu strata_neural_gpu;
struct strata_target;

/* NULL with r filled when the context has no compute shaders (GL 3.3) or a program
 * fails; the caller plays the bank another way and says why. The decoder keeps a pointer
 * to the model: free the model after strata_neural_gpu_destroy. */
strata_neural_gpu *strata_neural_gpu_create(const strata_taesd *decoder, strata_result *r);
/* Decode latent [C][lh][lw] (lh, lw 1..128) into out, an RGBA8 target of 8lw x 8lh,
 * clamped to 0..1, top row first like every pass. The stages have GPU timers of their
 * own (neural_1x, _2x, _4x, _8x: the overlay and --stats list them): do not bracket this
 * call with strata_gpu_begin. false (logged, nothing drawn): a bad size or target. */
bool strata_neural_gpu_decode(strata_neural_gpu *g, const float *latent, int lh, int lw,
                              const struct strata_target *out);
/* The same decode split over frames, for a frame budget: _begin checks the sizes and
 * uploads the latent (the latent is copied; out must stay alive until the decode is
 * done); each _step issues the next max_passes passes (one per conv; a GroupNorm's
 * statistics are one) and returns how many are left: 0 when the picture is complete in
 * out, -1 when no decode is under way. Until then out holds its previous picture. A
 * _begin abandons a decode under way. _passes: the passes of the decode under way (44
 * for taef2, 35 for the others), 0 when none. Each step times the stages it ran with the
 * stage timers. strata_neural_gpu_decode is _begin and one _step of them all. */
bool strata_neural_gpu_begin(strata_neural_gpu *g, const float *latent, int lh, int lw,
                             const struct strata_target *out);
int strata_neural_gpu_step(strata_neural_gpu *g, int max_passes);
int strata_neural_gpu_passes(const strata_neural_gpu *g);
void strata_neural_gpu_destroy(strata_neural_gpu *g); /* NULL is fine */

/* Encoders: strata_neural_gpu_create also takes an encoder model. Picture rgb [3][h][w]
 * in 0..1 (h, w multiples of 8, 8..1024) -> latent [C][h/8][w/8], read back (blocks until
 * the GPU is done: for strata-bank, never the live render loop). false with r filled
 * when g holds no encoder or on a bad size. Matches strata_taesd_encode_cpu within
 * fp32 rounding. */
bool strata_neural_gpu_encode(strata_neural_gpu *g, const float *rgb, int h, int w,
                              float *latent, strata_result *r);

/* ---- latent glitch (pure CPU; any thread) -------------------------------------- *
 * Glitches made in latent space, before the decode: the decoder turns them into coherent
 * hallucinated damage instead of pasted-on artefacts. Each amount 0..1 (already scaled by
 * the glitch master and its curve by the caller). */
typedef struct strata_latent_glitch {
    float noise; /* gaussian noise into a few channels, up to about the latent's own std */
    float shift; /* rows and blocks of the latent displaced sideways (a latent datamosh) */
    float swap;  /* channels rotated / swapped among themselves */
    float quant; /* values quantised to fewer levels */
} strata_latent_glitch;

/* Apply g to latent [c][lh][lw] in place. seed chooses the random pattern: the same seed
 * and input give the same bits (renders stay frame-exact). Every amount 0: the latent is
 * not touched at all (bit-exact). work: scratch of c * lh * lw floats. No allocation. */
void strata_latent_glitch_apply(const strata_latent_glitch *g, uint64_t seed, float *latent,
                                int c, int lh, int lw, float *work);

#endif
