/* strata morph: traversal (which keyframe next, and when) and the morph passes that
 * draw the way between two keyframes on the GPU: blend, flow, latent (the CPPN of a latent
 * set) and neural (diffusion latents slerped and decoded by a TAESD decoder; neural.c).
 *
 * Use (render thread)
 *   strata_morph *m = strata_morph_create(&(strata_morph_desc){ .bank = b, .mode = ...,
 *       .width = rw, .height = rh, .seed = 7 }, &r);
 *   each frame, after parameters:
 *       strata_morph_update(m, &in);      // traversal: audio, tempo, drift, pulse, motion
 *       strata_morph_draw(m, &target, &u) // the morph pass into target
 *   strata_morph_goto(m, i, seconds)      // morph to keyframe i (OSC /strata/key)
 *
 * Traversal
 *   drift 0 holds the current keyframe (the picture stays alive: generators breathe,
 *   images drift slowly); drift 1 travels continuously; in between it sets dwell and
 *   transition times. Orders: sequence, shuffle, neighbours (a walk through the
 *   similarity graph), ping-pong. With a tempo, dwell and transitions count in beats
 *   and start on the beat. Onsets push (pulse), energy advances the walk (motion):
 *   both are registry parameters, so routes can drive them too. A keyframe that is not
 *   loaded yet is not chosen yet: the traversal waits on the current one.
 *
 * Threads
 *   Render thread only. Image pixels arrive from the bank's loader thread through the
 *   bank's non-blocking poll; this module uploads them and keeps GPU textures in an
 *   LRU under a byte budget (cache_mb).
 *
 * Ownership
 *   The morph borrows the bank (the caller closes it after strata_morph_destroy).
 */
#ifndef STRATA_MORPH_H
#define STRATA_MORPH_H

#include "audio/audio.h"
#include "bank/bank.h"
#include "control/control.h"
#include "core/core.h"
#include "neural/neural.h"
#include "render/render.h"

typedef enum strata_morph_mode {
    STRATA_MORPH_BLEND = 0,
    STRATA_MORPH_FLOW = 1,
    STRATA_MORPH_LATENT = 2,
    STRATA_MORPH_NEURAL = 3, /* neural banks: slerp between latents, decoded on the GPU */
} strata_morph_mode;

typedef enum strata_order {
    STRATA_ORDER_SEQUENCE = 0,
    STRATA_ORDER_SHUFFLE,
    STRATA_ORDER_NEIGHBOURS,
    STRATA_ORDER_PINGPONG,
} strata_order;

/* Parse "blend|flow|latent|neural" and "sequence|shuffle|neighbours|pingpong"; false if
 * unknown. */
bool strata_morph_mode_parse(const char *s, strata_morph_mode *out);
const char *strata_morph_mode_name(strata_morph_mode m);
bool strata_order_parse(const char *s, strata_order *out);
const char *strata_order_name(strata_order o);

/* ---- traversal (pure CPU, deterministic for a seed) ----------------------- */

typedef struct strata_traverse_in {
    double dt;    /* seconds */
    float drift;  /* 0..1 */
    float pulse;  /* 0..1: how far onsets push */
    float motion; /* 0..1: how far energy advances the walk */
    float onset;  /* onset pulse 0..1 this frame */
    float energy; /* level, fast, 0..1 */
    float bpm;    /* 0: no tempo */
    double beat;  /* beats since start (fractional), when bpm > 0 */
} strata_traverse_in;

/* 1: ready, 0: not yet (wait for it), -1: bad (skip it). */
typedef int (*strata_ready_fn)(void *user, int index);

typedef struct strata_traversal {
    int count;
    strata_order order;
    uint64_t rng;      /* xorshift state from the seed */
    int a, b;          /* current keyframe and the one being morphed to (-1: none) */
    double t;          /* progress 0..1 of the transition a -> b */
    double dwell_left; /* seconds (or beats with a tempo) to hold a before moving */
    double trans_len;  /* length of the current transition, seconds or beats */
    bool in_beats;     /* trans_len and dwell_left count beats */
    bool waiting_beat; /* a transition is due and waits for the next beat */
    double last_beat;  /* beat count last frame */
    int dir;           /* ping-pong direction */
    int *shuffle;      /* a permutation, reshuffled at each pass */
    int shuffle_pos;
    const strata_bank *bank; /* for neighbours; may be NULL */
    strata_ready_fn ready;
    void *ready_user;
    bool exact;       /* the current transition was asked for (goto): no push, no motion */
    int goto_pending; /* -1 or a keyframe index asked for */
    double goto_seconds;
    uint32_t transitions; /* completed transitions */
} strata_traversal;

void strata_traversal_init(strata_traversal *tr, int count, strata_order order, uint64_t seed,
                           const strata_bank *bank, strata_ready_fn ready, void *user);
void strata_traversal_free(strata_traversal *tr);
/* Advance by one frame: in->dt seconds (and the beat's advance with a tempo). A step
 * longer than a dwell or a transition carries its rest on, and a transition due within
 * the step starts on the beat inside it, so the walk is a function of time: the same at
 * 1 fps as at 60. A beat step that dt does not explain (a resync, a new source, a live
 * stall whose dt was cut) counts as dt's worth of beats. */
void strata_traversal_update(strata_traversal *tr, const strata_traverse_in *in);
/* Morph to keyframe i over seconds (0: cut). Applied at the next update. */
void strata_traversal_goto(strata_traversal *tr, int i, double seconds);
/* Eased progress of the current transition, 0 when holding. */
float strata_traversal_eased(const strata_traversal *tr);
/* Dwell and transition lengths for a drift value, in seconds. */
void strata_drift_times(float drift, double *dwell_s, double *trans_s);

/* ---- morph passes --------------------------------------------------------- */

typedef struct strata_morph_desc {
    strata_bank *bank;
    strata_morph_mode mode;
    strata_order order;
    int width, height;  /* render size */
    uint64_t seed;      /* traversal seed */
    int cache_mb;       /* GPU texture budget; default 256 */
    bool offline;       /* render mode: load keyframes synchronously, deterministic */
    float latent_scale; /* resolution of the latent generator relative to the render
                           size, 0.1..1; 0: auto (1 on a GPU, 0.25 on a software
                           rasteriser such as llvmpipe, where every pixel costs) */
    const strata_taesd *decoder; /* neural banks: the TAESD decoder (borrowed; the caller
                                    frees it after strata_morph_destroy). NULL, a family
                                    that does not fit the bank, or a GL 3.3 context: the
                                    bank's previews play with blend and
                                    strata_morph_neural_status says why */
    const char *decoder_error; /* decoder NULL because its file failed to load: why (the
                                  loader's message), said instead of "pass --model" */
    int neural_w, neural_h; /* latent size the decoder runs at (the bank's latents are
                               resampled to it, bilinear), 1..128 a side; 0: auto, as large
                               as the picture shows at the render size under `fit`, never
                               above the bank's own, at most ~256 latent cells on a
                               software rasteriser */
    strata_bank_fit fit; /* the fit the bank was opened with: neural mode draws its
                            decodes (8 x the latent size) into the render size the same
                            way (letterbox or crop) */
} strata_morph_desc;

/* Modes and banks: a mode a bank cannot play is replaced, logged: latent on an image bank
 * and neural on an image bank play flow; neural on a latent set plays latent; latent on a
 * neural bank is neural. A neural bank plays whatever mode is asked: the caller passes
 * STRATA_MORPH_NEURAL unless the user asked for another (blend and flow play the bank's
 * previews). Neural mode without a usable decoder (none, another family or channel count,
 * an encoder, a context without compute) plays the previews with blend: one log line and
 * strata_morph_neural_status's why say why and what to do; strata_morph_get_mode then
 * says blend.
 *
 * Neural mode, per frame: strata_morph_update advances the traversal, slerps the current
 * and next keyframe latents (t 0 and 1 give a keyframe's own latent bit for bit), applies
 * the latent glitch and decodes on the GPU (so call it outside any strata_gpu_begin
 * bracket: the decoder times its own stages); strata_morph_draw draws the decode. Live, a
 * decode that does not fit the frame's budget is split over frames and the draw
 * crossfades between the last two complete decodes; offline every frame is decoded
 * whole, the same bytes every time. The previews are not streamed while it decodes. */
typedef struct strata_morph strata_morph;

strata_morph *strata_morph_create(const strata_morph_desc *d, strata_result *r);
void strata_morph_destroy(strata_morph *m);
/* Traversal and keyframe streaming for this frame. */
void strata_morph_update(strata_morph *m, const strata_traverse_in *in);
/* Draw the morph of the current pair into target (bound inside). Returns false when
 * nothing could be drawn yet (no keyframe ready), leaving target untouched. */
bool strata_morph_draw(strata_morph *m, const strata_target *target,
                       const strata_frame_uniforms *u);
void strata_morph_goto(strata_morph *m, int i, double seconds);
/* The latent generator's resolution, 0.1..1 of the render size (latent sets only). */
void strata_morph_set_latent_scale(strata_morph *m, float scale);
float strata_morph_latent_scale(const strata_morph *m);
/* Live mode, every half second or so: nudge the generator's resolution so frames take
 * about target_ms (dynamic resolution; never above the user's --latent-scale). Neural
 * mode: the GPU time a frame gives the decoder instead (0.5 ms .. 0.9 target_ms). */
void strata_morph_adapt(strata_morph *m, double frame_ms, double target_ms);
void strata_morph_set_mode(strata_morph *m, strata_morph_mode mode);
strata_morph_mode strata_morph_get_mode(const strata_morph *m);
/* Current keyframe, next keyframe (-1 when holding) and eased progress. */
void strata_morph_state(const strata_morph *m, int *a, int *b, float *t);
const strata_traversal *strata_morph_traversal(const strata_morph *m);
/* When this frame's picture is a held keyframe as it is (an image or latent keyframe with
 * no next one, at the morph's size), fill view with that texture (fbo 0, tex, w, h) and
 * return true: the caller reads it instead of drawing a copy (morph_copy, a full-size
 * pass). False when the frame needs a pass (a transition, the latent generator, a neural
 * decode) or the keyframe is not there yet: then draw as usual. Call after update. */
bool strata_morph_view(strata_morph *m, const strata_frame_uniforms *u, strata_target *view);
/* Flow of the current transition (RG32F, uv units A->B at the flow resolution), or 0
 * when the mode has none. The fx chain's datamosh reads it. */
GLuint strata_morph_flow_texture(const strata_morph *m);

/* Neural mode: the latent glitch of this frame (amounts already scaled by the glitch
 * master and its curve, bursts included) and the seed of its pattern, derived from time
 * so that renders at any frame rate agree. Applied to the slerped latent before the
 * decode; all amounts 0 leaves the latent untouched. */
void strata_morph_set_latent_glitch(strata_morph *m, const strata_latent_glitch *g,
                                    uint64_t seed);

typedef struct strata_morph_neural_status {
    bool neural;        /* the bank is a neural bank */
    bool decoding;      /* its latents are decoded live (else the previews play) */
    char why[200];      /* when not decoding: why, for the log, overlay and --stats */
    int lw, lh;         /* latent size decoded */
    int passes;         /* passes of one decode */
    int passes_per_frame; /* 0: the whole decode in one frame */
    double decodes_per_s; /* completed decodes per second, live */
} strata_morph_neural_status;
/* False when the bank is not a neural bank (out is cleared). Any time after create. */
bool strata_morph_neural_status_get(const strata_morph *m, strata_morph_neural_status *out);
/* Neural mode, live: fix the passes issued per frame (a decode of P passes then takes
 * ceil(P / n) frames); 0 (default): as many as the measured cost fits in the budget. */
void strata_morph_set_neural_passes(strata_morph *m, int passes_per_frame);

/* Draw every pass of the flow morph once, at width x height, into targets of its own
 * (freed after), so that the driver makes their machine code now and not at the first
 * transition of the show. llvmpipe, like most drivers, compiles a program at its first
 * draw, for the formats, filters and power-of-two sizes of what it reads; at 1280x720
 * that made the first transition's frames 75 and 55 ms. Once per render state (a
 * second call returns at once); width x height: the keyframes' size, for the same
 * programs. Render thread; not for offline renders (a hitch costs them nothing). */
void strata_flow_warm(int width, int height);

/* ---- pieces exposed for tests and bench ----------------------------------- */

/* Draw keyframe textures a and b morphed at t (0..1) with the given mode into target.
 * For flow, estimate the flow first with strata_flow_estimate. */
typedef struct strata_flow strata_flow;
strata_flow *strata_flow_create(int width, int height);
/* The same with the flow's base level (its finest: the flow and confidence textures)
 * base_w texels wide; 0: the default, an eighth of the width within 160..240 texels and
 * at most a quarter of it. For measuring
 * what a coarser or finer estimate costs. */
strata_flow *strata_flow_create_base(int width, int height, int base_w);
/* Size of the flow's base level (the flow and confidence textures). */
void strata_flow_base_size(const strata_flow *f, int *w, int *h);
void strata_flow_destroy(strata_flow *f);
/* Estimate dense flow a->b and b->a (coarse-to-fine, on the GPU), all at once. */
void strata_flow_estimate(strata_flow *f, GLuint tex_a, GLuint tex_b);
/* (Here and below, tex_a and tex_b are textures of the width x height the flow was made
 * for: the keyframes of the morph, or the scenes' targets in a scene crossfade.) */
/* The same in stages: begin, then one step per frame until step returns true. */
void strata_flow_begin(strata_flow *f, GLuint tex_a, GLuint tex_b);
bool strata_flow_step(strata_flow *f);
/* Forward-splat both flows to time t and compose the warped keyframes into target. */
void strata_flow_compose(strata_flow *f, GLuint tex_a, GLuint tex_b, float t,
                         const strata_target *target);
GLuint strata_flow_texture(const strata_flow *f);
/* strata_blend_draw of the flow's keyframes: where target is their size, it reads their
 * texels by index, unfiltered (the frames of a transition while its flow is estimated). */
void strata_flow_fade(const strata_flow *f, GLuint tex_a, GLuint tex_b, float t,
                      const strata_target *target);
/* Plain crossfade (t already eased). */
void strata_blend_draw(GLuint tex_a, GLuint tex_b, float t, const strata_target *target);
/* The CPPN for a latent, on the GPU: weights from c, latent z (c->dim floats). */
void strata_latent_draw(const strata_cppn *c, const float *z, const strata_target *target,
                        const strata_frame_uniforms *u);

#endif
