/* strata bank: keyframe banks, packed bank files, latent sets, the streaming loader,
 * the CPPN generator definition and a small LRU for the GPU cache.
 *
 * What it is
 *   A bank is an ordered list of keyframes. Four sources open through one call:
 *     - an image folder: PNG, JPEG, WebP of any size, natural name order (f2 < f10);
 *     - a packed image bank NAME.strata (made by `strata-bank build`): encoded images,
 *       thumbnails, feature vectors and a k-nearest-neighbour graph, read with pread
 *       into buffers the bank owns (never mmap: a file rewritten while it plays only
 *       makes the keyframes not yet loaded fail, logged, instead of a SIGBUS);
 *     - a packed latent set NAME.strata (made by `strata-bank latent`): latent vectors
 *       for the built-in CPPN generator, plus its seed and colour map;
 *     - a packed neural bank NAME.strata (made by `strata-bank encode` / `import`): the
 *       latents of a diffusion model's autoencoder, each with its preview picture and
 *       provenance ("neural banks" below); the previews load like a packed image bank's.
 *   Image keyframes are decoded on a loader thread into RGBA8 at the target size
 *   (fit = letterbox inside, fill = crop to cover). Latent keyframes need no loading.
 *
 * Step by step (render thread)
 *     strata_result r;
 *     strata_bank *b = strata_bank_open(path, &(strata_bank_open_desc){
 *         .width = 1280, .height = 720, .fit = STRATA_BANK_FILL, .cache_mb = 64 }, &r);
 *     if (!b) { log r.msg; fall back to the embedded latent default; }
 *     each frame:
 *         strata_bank_request(b, wanted, n);   // keyframes you want soon, not yet held
 *         strata_keyframe_pixels px;
 *         while (strata_bank_poll_ready(b, &px)) {
 *             upload px.rgba (px.width x px.height, tightly packed RGBA8) for px.index;
 *             strata_bank_release_pixels(b, &px);  // buffer back to the pool
 *         }
 *     strata_bank_close(b);
 *   A keyframe is "ready" once its pixels came out of poll_ready; choose only ready
 *   keyframes. strata_bank_is_bad(b, i) turns true for a keyframe that failed to load
 *   (logged once); it is never delivered, skip it.
 *
 * Threads
 *   open / close / load_sync: setup thread or an offline renderer (they may block).
 *   request, poll_ready, release_pixels: one thread only (the render thread); they
 *   never block, never touch the disk and never allocate.
 *   count, kind, latent, neighbours, name, is_bad, cppn, thumbnail, image_size and the
 *   neural accessors (shape_get, neural_latent, provenance): any thread.
 *   The loader thread is internal: it reads files, checks checksums, decodes, resizes.
 *   strata_lru is single-threaded (the render thread owns it).
 *
 * Ownership
 *   strata_bank_open returns a bank the caller closes. Pointers returned by latent,
 *   name, thumbnail and cppn live until close. Pixels from poll_ready belong to the
 *   bank's fixed pool and must be given back with release_pixels; pixels from
 *   load_sync are malloc'd and also given back with release_pixels (which frees them).
 *
 * Errors
 *   Opening returns NULL and fills r with a message naming the file and the problem
 *   (wrong magic, truncated, bad checksum, absurd sizes, offsets past the end).
 *   After open, a bad keyframe is logged once ("BANK: ...") and marked bad; nothing
 *   aborts. Packed files: open checks the header, the section table and the checksums
 *   of the index, names, neighbour graph, latents and colour map (neural banks: the
 *   shape, the latents, which must be finite, and the provenance layout); each image's
 *   own checksum is checked when it is loaded. `strata_bank_verify` checks everything
 *   (and that every provenance text is a JSON object).
 */
#ifndef STRATA_BANK_H
#define STRATA_BANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* ---- bank ------------------------------------------------------------- */

typedef enum strata_bank_type {
    STRATA_BANK_IMAGE = 1,  /* folder or packed image bank: pixels via the loader */
    STRATA_BANK_LATENT = 2, /* latent set: strata_bank_latent + strata_bank_cppn */
    STRATA_BANK_NEURAL = 3, /* diffusion latents (strata_bank_neural_latent) and, for each,
                               its preview picture, delivered by the loader like an image
                               bank's: a player without a decoder plays the previews */
} strata_bank_type;

typedef enum strata_bank_fit {
    STRATA_BANK_FIT = 0,  /* letterbox: the whole image inside, opaque black bars */
    STRATA_BANK_FILL = 1, /* crop the centre to cover the target, no bars */
} strata_bank_fit;

/* Zero means default for every field. */
typedef struct strata_bank_open_desc {
    int width, height;   /* decoded size; default 1280x720, max 8192x8192 */
    strata_bank_fit fit; /* default STRATA_BANK_FIT */
    int cache_mb;        /* CPU pixel pool budget; default 64; 2..64 buffers of w*h*4 */
} strata_bank_open_desc;

/* Decoded pixels of one keyframe: width*height*4 bytes, RGBA8, rows top to bottom,
 * no padding, straight (not premultiplied) alpha. */
typedef struct strata_keyframe_pixels {
    int index; /* keyframe index */
    int width, height;
    uint8_t *rgba;
    int slot; /* pool slot (internal); -1 for load_sync buffers */
} strata_keyframe_pixels;

typedef struct strata_bank strata_bank;
typedef struct strata_cppn strata_cppn; /* defined below */

/* Open a folder, a packed image bank, a latent set or a neural bank. Only the header,
 * section table, index, names, neighbour graph (and latents, and a neural bank's shape and
 * provenance) are read: a 15,000-keyframe bank opens in milliseconds; images are read one
 * keyframe at a time, thumbnails on first use. Starts the loader thread for image and
 * neural banks. NULL on error (r says why). */
strata_bank *strata_bank_open(const char *path, const strata_bank_open_desc *d, strata_result *r);
/* An in-memory latent set with no file: count latents of dim floats from seed
 * (strata_cppn_random_latent), the CPPN of that seed, neighbours by latent distance.
 * The embedded default (needs no assets). count 1..65536. */
strata_bank *strata_bank_generate_latent(int count, int dim, uint64_t seed,
                                         const strata_bank_open_desc *d, strata_result *r);
void strata_bank_close(strata_bank *b); /* joins the loader; NULL is fine */

int strata_bank_count(const strata_bank *b);
strata_bank_type strata_bank_kind(const strata_bank *b);
/* The target size the bank decodes to (from the open desc). */
void strata_bank_size(const strata_bank *b, int *width, int *height);
/* Display name: the file name for images, "latent-00042" for latents. Never NULL. */
const char *strata_bank_name(const strata_bank *b, int i);
/* Latent sets: pointer to dim floats of keyframe i; NULL for image and neural banks (see
 * strata_bank_neural_latent) or bad i. */
const float *strata_bank_latent(const strata_bank *b, int i);
int strata_bank_latent_dim(const strata_bank *b); /* 0 for image banks */
/* Up to max nearest neighbours of keyframe i (most similar first) into out; returns
 * how many. Packed banks and latent sets have a k=8 graph; folders have none (0). */
int strata_bank_neighbours(const strata_bank *b, int i, int *out, int max);
/* Latent sets: the generator (weights from the stored seed, the stored colour map);
 * NULL for image banks. */
const strata_cppn *strata_bank_cppn(const strata_bank *b);
/* Packed banks and latent sets: thumbnail of keyframe i (RGBA8, *w x *h), else NULL. */
const uint8_t *strata_bank_thumbnail(const strata_bank *b, int i, int *w, int *h);
bool strata_bank_is_bad(const strata_bank *b, int i);
/* Packed image and neural banks: the size of keyframe i's stored image (a neural bank's
 * preview: 8lw x 8lh) from the index, no disk access; false for folders, latent sets and a
 * bad i. Any thread. */
bool strata_bank_image_size(const strata_bank *b, int i, int *width, int *height);

/* Render thread: the keyframes wanted soon, most urgent first (current, next, ...).
 * Ask only for keyframes you do not hold. A request replaces the part of earlier
 * requests the loader has not started; each index is delivered at most once per
 * request, and not again while its pixels are still out of the pool. At most
 * STRATA_BANK_REQUEST_MAX indices are taken; bad or out-of-range ones are ignored.
 * n = 0 cancels what is pending. Non-blocking; false when the request queue is full
 * (ask again next frame).
 * No-op (true) for latent sets. */
#define STRATA_BANK_REQUEST_MAX 32
bool strata_bank_request(strata_bank *b, const int *indices, int n);
/* Render thread: take one decoded keyframe if any is ready. Non-blocking. */
bool strata_bank_poll_ready(strata_bank *b, strata_keyframe_pixels *out);
/* Give pixels back (pool buffers are recycled, load_sync buffers freed). */
void strata_bank_release_pixels(strata_bank *b, strata_keyframe_pixels *px);
/* Decode keyframe i now on the calling thread (offline render, tests). For latent sets
 * it renders the CPPN on the CPU (the reference image). Deterministic. On failure the
 * keyframe is marked bad and r says why. */
strata_status strata_bank_load_sync(strata_bank *b, int i, strata_keyframe_pixels *out,
                                    strata_result *r);

/* Check every checksum of a packed bank (header, every section, every image, the whole
 * file). Folder paths are rejected. */
strata_status strata_bank_verify(const char *path, strata_result *r);

/* ---- bank building (strata-bank) -------------------------------------- */

typedef void (*strata_bank_progress_fn)(void *user, int done, int total);

typedef struct strata_bank_build_desc {
    const char *dir; /* image folder */
    const char *out; /* NAME.strata, written atomically */
    int max_size;    /* re-encode images larger than this (long side); 0 = keep */
    int threads;     /* decode threads; default 2 */
    strata_bank_progress_fn progress;
    void *progress_user;
} strata_bank_build_desc;

typedef struct strata_bank_build_stats {
    int count;     /* keyframes written */
    int skipped;   /* files that failed to decode (each logged once) */
    int reencoded; /* images re-encoded for max_size */
    uint64_t bytes;
} strata_bank_build_stats;

strata_status strata_bank_build(const strata_bank_build_desc *d, strata_bank_build_stats *st,
                                strata_result *r);

typedef struct strata_bank_latent_desc {
    const char *out;
    int count;     /* 1..1,000,000 */
    int dim;       /* 1..STRATA_CPPN_MAX_DIM */
    uint64_t seed; /* CPPN weights and latents */
    bool diverse;  /* farthest-point sampling in rendered-image space (count <= 4096) */
    int threads;
    strata_bank_progress_fn progress;
    void *progress_user;
} strata_bank_latent_desc;

strata_status strata_bank_build_latent(const strata_bank_latent_desc *d, strata_result *r);

/* ---- neural banks: latents of a diffusion model ---------------------------- *
 * A packed bank of kind STRATA_BANK_NEURAL holds, per keyframe, one latent of a
 * diffusion model's autoencoder (fp16 on disk, [C][lh][lw], the *scaled* latent the
 * diffusion model and the TAESD decoders take), its preview picture (the decode made
 * when the bank was built, 8lw x 8lh, stored as PNG and delivered by the loader like an
 * image bank's pixels) and its provenance (prompt, seed, model: JSON text, or none).
 * One family and one latent size per bank. The neighbour graph is over the latents
 * (average-pooled to a 4x4 grid per channel). */
typedef struct strata_bank_neural_shape {
    int channels; /* 4, 16 or 32 */
    int lh, lw;   /* latent rows and columns, 1..128; the picture is 8lw x 8lh */
    char family[24]; /* the decoder family, as strata_taesd_family_name spells it
                        ("taesd/taesdxl", "taesd3/taef1", "taef2") */
    char format[24]; /* the generator's latent format when known ("sd15", "sdxl", "sd3",
                        "flux1", "flux2"), else "" */
} strata_bank_neural_shape;

/* Header facts for `strata-bank info`. */
typedef struct strata_bank_info {
    uint32_t version;
    strata_bank_type kind;
    int count, dim, thumb_w, thumb_h, feat_dim, knn_k;
    uint64_t seed, file_size;
    uint64_t image_bytes; /* size of the encoded image section */
    strata_bank_neural_shape neural; /* kind STRATA_BANK_NEURAL */
} strata_bank_info;
strata_status strata_bank_read_info(const char *path, strata_bank_info *info, strata_result *r);

/* Neural banks: the shape; false for other kinds. Any thread. */
bool strata_bank_neural_shape_get(const strata_bank *b, strata_bank_neural_shape *out);
/* Keyframe i's latent as fp32 into out (channels * lh * lw floats). false for a bad i or
 * another kind. Any thread; no disk access (latents are read at open). */
bool strata_bank_neural_latent(const strata_bank *b, int i, float *out);
/* Keyframe i's provenance: a JSON object as text ({"prompt": ..., "workflow": ...,
 * "parameters": ..., "source": ...}), or NULL when none was kept or another kind. */
const char *strata_bank_provenance(const strata_bank *b, int i);

/* Writing one (strata-bank encode and import): begin, add every keyframe, finish. The
 * file is written to NAME.tmp.PID and renamed by finish, never over a file that is not a
 * regular file; abort removes the temporary. Memory: the fp16 latents and the names are
 * held until finish, previews are encoded as they come. */
typedef struct strata_bank_neural_writer strata_bank_neural_writer;
typedef struct strata_bank_neural_keyframe {
    const char *name;       /* display name (the source file, "x.latent#2" for a batch) */
    const float *latent;    /* channels * lh * lw floats, scaled */
    const uint8_t *preview; /* RGBA8, 8lw x 8lh, rows top first */
    const char *provenance; /* JSON object text, or NULL */
} strata_bank_neural_keyframe;
strata_bank_neural_writer *strata_bank_neural_begin(const char *out,
                                                    const strata_bank_neural_shape *shape,
                                                    strata_result *r);
/* Refused: a NaN or infinite latent value, a value outside the fp16 range (naming the
 * keyframe), provenance that is not a JSON object. */
strata_status strata_bank_neural_add(strata_bank_neural_writer *w,
                                     const strata_bank_neural_keyframe *kf, strata_result *r);
/* Writes the bank (at least one keyframe) and frees w, whatever it returns. */
strata_status strata_bank_neural_finish(strata_bank_neural_writer *w, strata_result *r);
void strata_bank_neural_abort(strata_bank_neural_writer *w); /* NULL is fine */

/* Natural, case-insensitive name order ("frame2" < "frame10"); for qsort via a wrapper. */
int strata_bank_natural_cmp(const char *a, const char *b);

/* ---- CPPN: the built-in generator ------------------------------------- *
 *
 * A per-pixel MLP whose latent z[D] reaches every stage of the picture: where the
 * coordinates come from (scale, rotation, offset, a domain warp and a blend of five
 * coordinate "species"), every layer's bias (structure and texture) and the palette.
 * Everything the latent decides is folded on the CPU once per frame into a
 * strata_cppn_frame (strata_cppn_frame_make); the pixel maths is then fixed. Every
 * quantity is a continuous function of z, so a slerp between two latents morphs
 * continuously (species cross-fade, hues rotate; nothing switches).
 *
 *   controls: g[i] = sum_k Wc[i][k] * z[k] / sqrt(D)   (i < STRATA_CPPN_CONTROLS;
 *             about N(0,1) for a standard-normal z)
 *   coordinates: for pixel column px, row py (row 0 = top) of a W x H image,
 *             x = aspect * (2 * (px + 0.5) / W - 1), aspect = W / H
 *             y = 2 * (py + 0.5) / H - 1            (y = -1 at the top row)
 *             GLSL: y = 1 - 2 * gl_FragCoord.y / H (gl_FragCoord at pixel centres).
 *   affine:   s = exp(0.55 g0), th = 1.3 g1:  (u, v) = s * R(th) (x, y) + 0.6 (g2, g3),
 *             R(th) = [cos -sin; sin cos]        (frame.xf = a b c d tx ty)
 *   warp:     A = 0.45 / (1 + exp(-2 g8)):
 *             u += A sin(2.1 v + 1.7 g9),  v += A sin(1.9 u + 1.7 g10)   (u first)
 *   species:  w = softmax(2.2 * (g4, g5, g6, g7, g14)), then
 *             (U, V) = sum_s w[s] * S_s(u, v):
 *             S0 plain      (u, v)
 *             S1 kaleido    rho = |(u,v)|, a = atan2(v, u), m = a - P floor(a / P),
 *                           P = 2 pi / n, a' = |m - P/2|: rho (cos a', sin a')
 *                           (n = nfold, 3..8 from the seed; (0, 0) when rho < 1e-6)
 *             S2 mirror     (|u|, v)
 *             S3 rings      (1.6 rho - 1.2, 0.9 sin(n a))   (0.9 sin(0) at rho < 1e-6)
 *             S4 horizon    on the screen's own axes x, y (never turned): with
 *                           s = sqrt(a*a + c*c) (the frame's scale), A the warp
 *                           amplitude, d = y + 0.2 + 0.3 A sin(1.7 x + 1.7 g9),
 *                           e = 1 / (max(d, 0) + 0.12),
 *                           ground G = (0.25 s x e + tx, 0.5 e + ty - 2.5),
 *                           sky K = (0.8 u, 0.8 v + 1.5), b = clamp(d / 0.03 + 0.5, 0, 1):
 *                           K + b (G - K)  (a ground plane in perspective below a
 *                           line a fifth above the centre, a sky of the warped plane)
 *   inputs:   X = U, Y = V, R = sqrt(U*U + V*V)
 *   layer 0:  h0[j] = tanh(W0[j][0]*X + W0[j][1]*Y + W0[j][2]*R + bias0[j])
 *             bias0[j] = b0[j] + sum_k Wz[j][k] * z[k]     (strata_cppn_first_layer_bias)
 *   layer l (1..L-1): hl[j] = act_l(sum_k Wl[j][k] * h(l-1)[k] + bias_l[j]),
 *             bias_l[j] = bl[j] + sum_k Wzh[l-1][j][k] * z[k],
 *             act_l = sin for odd l, tanh for even l
 *   output:   o[c] = sum_k Wout[c][k] * h(L-1)[k] + bout[c]     (c = 0..2)
 *   colour:   s[c] = 1 / (1 + exp(-o[c]))
 *             rgb[c] = clamp(M'[c][0]*s[0] + M'[c][1]*s[1] + M'[c][2]*s[2] + off'[c], 0, 1)
 *             M' = K * Hue(3 g11) * M, off' = K * Hue(3 g11) * off, where M, off is the
 *             seed's (or the latent set's stored) colour map, Hue(t) the rotation by t
 *             radians about the grey axis and K = grey + (0.55 + 0.9 sigm(g12)) (I - grey)
 *             a saturation (grey = the 3x3 matrix of 1/3), times a brightness
 *             0.65 + 0.7 sigm(1.5 g13) (sigm = logistic).
 *   fit:      so that every keyframe has form, strata_cppn_frame_make then evaluates the
 *             network (s[c], everything above) on a 16 x 9 grid of pixel centres of a
 *             16:9 frame (x = 16/9 (2 (i + 0.5) / 16 - 1), y = 2 (j + 0.5) / 9 - 1):
 *             e = mean over neighbouring grid points of sum_c |s[c] - s'[c]|;
 *             zoom = clamp(0.45 / e, 1, 5) multiplies a b c d of xf (tx, ty stay), and
 *             the grid is evaluated again when zoom > 1. Then, with rgb_lin = M' s
 *             (unclamped), its per-channel spread cstd = sqrt(mean_c var(rgb_lin[c])),
 *             its luma spread lstd (Rec. 709 weights) and mu[c] = mean s[c]:
 *             k = clamp(max(0.12 / cstd, 0.10 / lstd), 1, 3); when k > 1, s[c] is
 *             replaced by k s[c] + mu'[c] - k mu[c], mu' = mu + (1 - 1/k)(0.5 - mu),
 *             folded into M' (column c times k) and off' (plus M' column c times
 *             mu'[c] - k mu[c]). Both factors are continuous in z and 1 for most latents.
 *   L = STRATA_CPPN_LAYERS hidden layers of width H = STRATA_CPPN_WIDTH.
 *   All maths in float32 with plain mul/add, tanh, sin, cos, atan2, exp: a fragment
 *   shader reproduces the CPU reference to a few 1e-4 (GPU sin/atan error dominate;
 *   the GL test holds llvmpipe to 3/255 max).
 *
 * Shader layout: strata_cppn_pack_shader writes STRATA_CPPN_SHADER_FLOATS floats,
 * the weights that do not depend on the latent, every matrix row-major [out][in]:
 *   [STRATA_CPPN_OFF_W0]    W0   H x 3  (columns X, Y, R)
 *   [STRATA_CPPN_OFF_HID]   for l = 1..L-1: Wl H x H, then bl H   (H*H + H each; the
 *                           per-frame bias_l replaces bl)
 *   [STRATA_CPPN_OFF_WOUT]  Wout 3 x H
 *   [STRATA_CPPN_OFF_BOUT]  bout 3
 *   [STRATA_CPPN_OFF_COLOUR] M 3 x 3 then off 3 (the per-frame M', off' replace them)
 *   element (l, j, k) of hidden layer l: OFF_HID + (l-1)*(H*H+H) + j*H + k,
 *   its bias j: OFF_HID + (l-1)*(H*H+H) + H*H + j.
 *   Per frame the shader gets a strata_cppn_frame: bias0, bias_l, xf, warp, species,
 *   colour (the fit already folded into xf and colour).
 */
#define STRATA_CPPN_LAYERS 4
#define STRATA_CPPN_WIDTH 16
#define STRATA_CPPN_MAX_DIM 256
#define STRATA_CPPN_CONTROLS 15
#define STRATA_CPPN_OFF_W0 0
#define STRATA_CPPN_OFF_HID (STRATA_CPPN_WIDTH * 3)
#define STRATA_CPPN_HID_STRIDE (STRATA_CPPN_WIDTH * STRATA_CPPN_WIDTH + STRATA_CPPN_WIDTH)
#define STRATA_CPPN_OFF_WOUT                                                                       \
    (STRATA_CPPN_OFF_HID + (STRATA_CPPN_LAYERS - 1) * STRATA_CPPN_HID_STRIDE)
#define STRATA_CPPN_OFF_BOUT (STRATA_CPPN_OFF_WOUT + 3 * STRATA_CPPN_WIDTH)
#define STRATA_CPPN_OFF_COLOUR (STRATA_CPPN_OFF_BOUT + 3)
#define STRATA_CPPN_SHADER_FLOATS (STRATA_CPPN_OFF_COLOUR + 12)

struct strata_cppn {
    uint64_t seed;
    int dim;                                          /* latent size D */
    int nfold;                                        /* kaleidoscope / ring order, 3..8 */
    float w0[STRATA_CPPN_WIDTH][3];                   /* X, Y, R */
    float wz[STRATA_CPPN_WIDTH][STRATA_CPPN_MAX_DIM]; /* latent -> layer 0 (CPU only) */
    float b0[STRATA_CPPN_WIDTH];
    float w[STRATA_CPPN_LAYERS - 1][STRATA_CPPN_WIDTH][STRATA_CPPN_WIDTH];
    float b[STRATA_CPPN_LAYERS - 1][STRATA_CPPN_WIDTH];
    /* latent -> hidden biases and controls (CPU only) */
    float wzh[STRATA_CPPN_LAYERS - 1][STRATA_CPPN_WIDTH][STRATA_CPPN_MAX_DIM];
    float wc[STRATA_CPPN_CONTROLS][STRATA_CPPN_MAX_DIM];
    float wout[3][STRATA_CPPN_WIDTH];
    float bout[3];
    float colour[12]; /* M row-major 3x3, then off[3] */
};

/* What one latent decides, folded once per frame (the shader's per-frame uniforms). */
typedef struct strata_cppn_frame {
    float bias0[STRATA_CPPN_WIDTH];
    float bias[STRATA_CPPN_LAYERS - 1][STRATA_CPPN_WIDTH];
    float xf[6];      /* a b c d tx ty: (u, v) = (a x + b y + tx, c x + d y + ty) */
    float warp[3];    /* amplitude, phase u, phase v */
    float species[5]; /* plain, kaleidoscope, mirror, rings, horizon; sum 1 */
    float colour[12]; /* M' row-major 3x3, then off'[3] */
} strata_cppn_frame;

/* Weights and the default colour map from seed (splitmix64 + Box-Muller, no libc rand):
 * the same seed gives bit-identical weights on every machine. dim 1..MAX_DIM. */
strata_status strata_cppn_init(strata_cppn *c, uint64_t seed, int dim, strata_result *r);
/* bias0[H] for a latent of c->dim floats. */
void strata_cppn_first_layer_bias(const strata_cppn *c, const float *latent, float *bias0);
/* Everything the latent decides (c->dim floats), as documented above, fit included
 * (about 290 network evaluations: 0.4 ms on one core of the 2-core VM). Any thread. */
void strata_cppn_frame_make(const strata_cppn *c, const float *latent, strata_cppn_frame *f);
/* CPU reference for one pixel; x, y as documented above. */
void strata_cppn_eval_pixel(const strata_cppn *c, const strata_cppn_frame *f, float x, float y,
                            float rgb_out[3]);
/* Render a whole RGBA8 image (alpha 255) for a latent, using the coordinates above. */
void strata_cppn_render(const strata_cppn *c, const float *latent, int w, int h, uint8_t *rgba);
/* The shader layout documented above; out holds STRATA_CPPN_SHADER_FLOATS floats. */
void strata_cppn_pack_shader(const strata_cppn *c, float *out);
/* Latents: dim standard-normal floats from a seed and an index (deterministic). */
void strata_cppn_random_latent(uint64_t seed, uint64_t index, int dim, float *out);

/* Spherical interpolation; t <= 0 gives a exactly, t >= 1 gives b exactly; nearly
 * parallel vectors fall back to a linear blend. out may alias neither a nor b. */
void strata_latent_slerp(const float *a, const float *b, float t, int dim, float *out);

/* ---- LRU with a byte budget (GPU texture cache) ------------------------ *
 * Keys are keyframe indices (>= 0), values a caller slot (e.g. a texture index),
 * cost in bytes. put() evicts least recently used, unpinned entries while the total
 * exceeds the budget or the entry table is full, and reports them so the caller
 * frees or reuses their slots. Pin the keyframes on screen so they stay.
 * Single-threaded; no allocation after create. */
typedef struct strata_lru strata_lru;
typedef struct strata_lru_evicted {
    int key, slot;
    size_t cost;
} strata_lru_evicted;

strata_lru *strata_lru_create(int max_entries, size_t budget_bytes);
void strata_lru_destroy(strata_lru *l);
/* Look up key and mark it most recently used (slot may be NULL). */
bool strata_lru_get(strata_lru *l, int key, int *slot);
/* Look up without touching. */
bool strata_lru_contains(const strata_lru *l, int key);
/* Insert or replace key; returns the number of evictions written to ev (up to
 * max_ev; if more were needed they are still evicted, the count returned is the
 * true number, only the first max_ev are reported). A replaced entry's old slot
 * is reported as an eviction too. Returns -1 (nothing inserted) when the table is
 * full and every entry is pinned. */
int strata_lru_put(strata_lru *l, int key, int slot, size_t cost, strata_lru_evicted *ev,
                   int max_ev);
bool strata_lru_remove(strata_lru *l, int key, int *slot);
void strata_lru_pin(strata_lru *l, int key, bool pinned);
size_t strata_lru_bytes(const strata_lru *l);
size_t strata_lru_budget(const strata_lru *l);
void strata_lru_set_budget(strata_lru *l, size_t budget_bytes); /* evicts on next put */
int strata_lru_count(const strata_lru *l);

#endif
