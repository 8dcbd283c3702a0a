/* strata fx: the glitch and effect chain that runs between the morph pass and the output.
 *
 * What
 *   The grade (zoom, rotate, hue, saturation, contrast, brightness: skipped while every
 *   one is neutral) and seven effects, each in shaders/fx/ with its parameters declared in
 *   a `//! param` header: block (datamosh), sort (GPU pixel sorting), trails (feedback),
 *   tear (scanline tear and jitter), rgb (chroma split), vhs (tape), crush (posterize and
 *   bit-crush). `glitch` (0..1) is the master. Each effect's amount this frame is
 *
 *       amount = clamp(curve(glitch) * fx_<name> + burst * burst_mix, 0, 1)
 *
 *   with curve and burst_mix set per effect (strata_fx_set_shape, usually by a preset),
 *   and `burst` an envelope that onsets fire (parameter burst: height, burst_decay: time
 *   constant). The trails effect also adds the `feedback` parameter, which works without
 *   glitch. An effect whose amount is under 1/256 costs nothing. At glitch 0 with
 *   feedback 0 and a neutral grade the chain returns its input itself: bit-exact bypass
 *   (bursts need glitch above 0: the master off means off).
 *
 * The fused chain
 *   The grade and the per-pixel effects (tear, rgb, vhs, crush) are stages of one shader,
 *   fx/chain.frag; each run of them in the order (the grade opens the first) is ONE pass
 *   of a program generated for that order (#defines name the stages), made when the order
 *   changes, never per frame; a stage whose amount is 0 is left out of the program (one
 *   program per set of stages running, the others made on first use). Block (with its
 *   motion pass), sort and trails need neighbours or history and keep their passes. A
 *   stage reads its input at whole pixels and rounds its result to 8 bits as an RGBA8
 *   target does, so the fused pass equals the passes one stage each (strata_fx_set_fused
 *   false): to the bit on llvmpipe, within 1/255 as tests/fx/test_fx_fused allows.
 *   The grade stays first, before block as it always was: its zoom and rotate read the
 *   picture between pixels, which only the first stage (reading a texture) can do.
 *
 * Use
 *   strata_fx *fx = strata_fx_create(render_w, render_h, &r);    after strata_render_init
 *   each frame, after the morph pass:
 *       const strata_target *img = strata_fx_run(fx, morph_out, &(strata_fx_inputs){
 *           .u = &uniforms, .flow_tex = 0, .onset = audio.onset });
 *       strata_output_draw(img, ...);
 *   or, saving the output copy, with the output as the chain's last destination:
 *       img = strata_fx_present(fx, morph_out, &in, &(strata_fx_output){NULL, win_w, win_h});
 *       if (img) strata_output_draw(img, NULL, win_w, win_h);   NULL: it is on the output
 *   strata_fx_resize(fx, w, h) when the render size changes; strata_fx_destroy(fx).
 *   The returned target belongs to the chain (or is src) and stays valid until the next
 *   strata_fx_run, resize or destroy. Do not bracket strata_fx_run with strata_gpu_begin:
 *   the chain times each pass itself ("fx_chain" for a fused run, "fx_motion", "fx_block",
 *   "fx_sort", "fx_trails"; unfused: "grade", "fx_tear", ...) and timers don't nest.
 *
 * Threads
 *   Render thread only (GL). Nothing here blocks or allocates per frame.
 *
 * Determinism
 *   All noise is an integer hash of (pixel, u_frame); motion comes from the inputs and
 *   the chain's history targets. The same frames, parameters and onsets in render mode
 *   give the same bytes.
 *
 * Errors
 *   Creation fails (NULL, r filled) when render targets can't be made. During a show an
 *   effect whose shader is FAILED is skipped (its input passes through) and the rest run:
 *   a fused program that FAILED runs its stages one pass each, so only the broken one goes.
 */
#ifndef STRATA_FX_H
#define STRATA_FX_H

#include "render/render.h"

typedef enum strata_fx_effect {
    STRATA_FX_BLOCK,  /* datamosh: blocks stick to their history, moved by motion */
    STRATA_FX_SORT,   /* pixel sorting by luma within bright spans */
    STRATA_FX_TRAILS, /* feedback trails: zoom, rotate, decay */
    STRATA_FX_TEAR,   /* scanline tear and jitter */
    STRATA_FX_RGB,    /* RGB / chroma split */
    STRATA_FX_VHS,    /* tape noise, chroma bleed, tracking roll, wobble */
    STRATA_FX_CRUSH,  /* posterize and bit-crush */
    STRATA_FX_COUNT
} strata_fx_effect;

/* How glitch 0..1 maps onto an effect, before fx_<name> scales it. Every curve is 0 at 0. */
typedef enum strata_fx_curve {
    STRATA_FX_CURVE_LINEAR,    /* g */
    STRATA_FX_CURVE_SMOOTH,    /* smoothstep(0, 1, g) */
    STRATA_FX_CURVE_EXP,       /* (e^(k g) - 1) / (e^k - 1): quiet low, steep high; k > 0 */
    STRATA_FX_CURVE_THRESHOLD, /* 0 up to k, then linear to 1 at g = 1 */
    STRATA_FX_CURVE_STEP,      /* 0 up to k, then 1 */
    STRATA_FX_CURVE_COUNT
} strata_fx_curve;

typedef struct strata_fx_shape {
    strata_fx_curve curve;
    float k;         /* the curve's parameter (EXP: steepness, THRESHOLD/STEP: the knee) */
    float burst_mix; /* how much of the burst envelope this effect takes, 0..1 */
} strata_fx_shape;

typedef struct strata_fx strata_fx;

typedef struct strata_fx_inputs {
    const strata_frame_uniforms *u; /* this frame: time, frame, dt, audio, params */
    /* Optional motion of the picture this frame, RG float texture at any size, in
     * PIXELS of the render size: the content at p came from p - flow(p). 0: none, the
     * block effect then estimates motion from the difference to the last frame. */
    GLuint flow_tex;
    /* Multiplies flow_tex's two channels into pixels (e.g. a morph's flow in uv units
     * times this frame's share of the transition and the render size); 0,0 means 1,1. */
    float flow_scale[2];
    float onset; /* onset pulse 0..1 (audio onsets.x); fires bursts */
} strata_fx_inputs;

/* Render size w x h. The first chain compiles the fx programs, later ones share them
 * (FAILED ones are skipped when run; hot reload updates them for every chain). */
strata_fx *strata_fx_create(int w, int h, strata_result *r);
/* New render size: targets are re-made and every history starts afresh. False when a
 * target could not be made (the chain then bypasses until a resize succeeds). */
bool strata_fx_resize(strata_fx *fx, int w, int h);
/* Run the chain on src (the render size). Returns the target holding the result: src
 * itself when nothing is enabled. */
const strata_target *strata_fx_run(strata_fx *fx, const strata_target *src,
                                   const strata_fx_inputs *in);
/* Where strata_fx_present puts the picture: the output, as strata_output_draw would. */
typedef struct strata_fx_output {
    const strata_target *target; /* NULL: the window */
    int win_w, win_h;            /* the window's drawable size (target NULL) */
} strata_fx_output;

/* strata_fx_run whose last pass draws straight into the output when it can: when that
 * pass is a fused run and the render size equals the output's viewport (strata_output_fit:
 * same size, or letterboxed at 1:1), it draws there with the output gain and the
 * letterbox clear, and this returns NULL. Otherwise (nothing to fuse last, a history
 * effect last, another size, a FAILED program) it returns the picture as strata_fx_run
 * does, and the caller draws it with strata_output_draw. */
const strata_target *strata_fx_present(strata_fx *fx, const strata_target *src,
                                       const strata_fx_inputs *in, const strata_fx_output *out);
/* Fused (true, the default): each run of grade and per-pixel effects is one pass. False:
 * one pass per stage, the reference the fused chain is tested against. */
void strata_fx_set_fused(strata_fx *fx, bool on);
/* Forget every history (datamosh, trails, sort state) and the burst: e.g. on a scene cut. */
void strata_fx_reset(strata_fx *fx);
void strata_fx_destroy(strata_fx *fx);

/* ---- shaping (presets) ------------------------------------------------- */

/* Defaults: block THRESHOLD 0.2, sort THRESHOLD 0.5, trails LINEAR, tear SMOOTH,
 * rgb LINEAR, vhs LINEAR, crush EXP 3; burst_mix 1 for block, tear and rgb, 0.5 for vhs
 * and crush, 0 for sort and trails. */
void strata_fx_set_shape(strata_fx *fx, strata_fx_effect e, strata_fx_shape s);
strata_fx_shape strata_fx_get_shape(const strata_fx *fx, strata_fx_effect e);
/* The order effects run in: n distinct effects; those not named do not run. False (and
 * nothing changed) on a repeated or unknown effect. Default: the enum's order. A new order
 * makes its fused programs now (a compile on the render thread, once per preset). */
bool strata_fx_set_order(strata_fx *fx, const strata_fx_effect *order, int n);
int strata_fx_get_order(const strata_fx *fx, strata_fx_effect *order /* COUNT */);
/* Pixel sort direction (false: along rows, the default) and how often a sorted row or
 * column is re-seeded from the live picture, in seconds of scene time (staggered per row;
 * 0: only when the sort starts, so it keeps sorting one still; default 0.8). The sort runs
 * by time too: ceil(amount * 4) * 30 passes a second, each row gated to the passes due
 * since its re-seed, so it looks the same at any frame rate. */
void strata_fx_set_sort(strata_fx *fx, bool vertical, float reseed_s);

/* curve(g) as the chain evaluates it (clamped to 0..1). */
float strata_fx_curve_eval(strata_fx_curve c, float k, float g);
/* The burst envelope one frame on, as the chain steps its own: decays over dt seconds
 * with the time constant params[burst_decay], is lifted to onset * params[burst] when
 * that is higher, and is over (0) under 1/256. params: the registry's values. Pure: the
 * app steps a second envelope with it for the latent glitches, and with the same inputs
 * both agree to the bit. */
float strata_fx_burst_step(float burst, float dt, float onset, const float *params);
/* One effect's amount as the chain computes it: clamp(curve(glitch) * amount +
 * burst * burst_mix + extra, 0, 1), where curve and burst count only while glitch > 0
 * (the master off means off), and 0 under 1/256. extra: trails' feedback, else 0. Pure;
 * the latent glitches take their amounts from it too. */
float strata_fx_shape_amount(const strata_fx_shape *s, float glitch, float amount, float burst,
                             float extra);
/* Names for presets and logs: "block", "sort", ...; "linear", "smooth", "exp",
 * "threshold", "step". Lookups return -1 when unknown. */
const char *strata_fx_effect_name(strata_fx_effect e);
int strata_fx_effect_find(const char *name);
const char *strata_fx_curve_name(strata_fx_curve c);
int strata_fx_curve_find(const char *name);

/* ---- state (overlay, tests) -------------------------------------------- */

/* The amount each effect ran with in the last strata_fx_run (0: skipped). */
void strata_fx_amounts(const strata_fx *fx, float out[STRATA_FX_COUNT]);
/* The burst envelope after the last run, 0..1. */
float strata_fx_burst(const strata_fx *fx);

#endif
