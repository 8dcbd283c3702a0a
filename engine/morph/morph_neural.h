/* Internal to engine/morph: the neural mode's decoder side (neural.c), driven by morph.c.
 *
 * morph.c keeps the traversal and the previews (the image path of a neural bank); this
 * part turns (a, b, t) into a latent (slerp of the keyframes' latents, resampled to the
 * decode size, then the frame's latent glitch), decodes it on the GPU into one of two
 * targets (whole, or split over frames under a budget) and draws the newest decodes into
 * the morph target with the bank's fit.
 *
 * Threads: render thread only. Ownership: borrows the bank and the decoder model; owns the
 * GPU decoder, its targets and its latent buffers. */
#ifndef STRATA_MORPH_NEURAL_H
#define STRATA_MORPH_NEURAL_H

#include "morph.h"

typedef struct morph_neural morph_neural;

typedef struct morph_neural_desc {
    strata_bank *bank;           /* a neural bank */
    const strata_taesd *decoder; /* may be NULL: not usable, why says so */
    const char *decoder_error;   /* NULL, or why the decoder's file did not load */
    int width, height;           /* render size */
    strata_bank_fit fit;
    int neural_w, neural_h; /* 0: auto */
    bool offline;
} morph_neural_desc;

/* Checks the bank and the decoder (CPU only, nothing on the GPU yet). NULL only when out
 * of memory; otherwise an object that is usable or says why not. */
morph_neural *morph_neural_create(const morph_neural_desc *d);
void morph_neural_destroy(morph_neural *n); /* NULL is fine */
/* Make the GPU decoder now (the first time neural mode plays). false (logged once, why
 * filled) when the decoder cannot be used: the previews play instead. */
bool morph_neural_start(morph_neural *n);
/* The latent of (a, b, t) decoded this frame: whole, or the next passes within the
 * budget. dt: seconds since the last update (the clock of the crossfade between the last
 * two decodes). Not inside a strata_gpu_begin bracket: the decoder times its stages. */
void morph_neural_update(morph_neural *n, int a, int b, float t, double dt);
/* A decode is complete (there is something to draw). */
bool morph_neural_has_picture(const morph_neural *n);
/* The newest decodes into target with the bank's fit; false when none is complete yet. */
bool morph_neural_draw(morph_neural *n, const strata_target *target);
void morph_neural_set_glitch(morph_neural *n, const strata_latent_glitch *g, uint64_t seed);
void morph_neural_adapt(morph_neural *n, double frame_ms, double target_ms);
void morph_neural_set_passes(morph_neural *n, int passes_per_frame);
/* Fills everything but `neural` and, when the mode is not neural, `why`. */
void morph_neural_status(const morph_neural *n, strata_morph_neural_status *out);

#endif
