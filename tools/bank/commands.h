/* strata-bank's neural commands: `encode` (a folder of images through a TAESD encoder) and
 * `import` (ComfyUI's Save Latent files), both writing a neural bank (engine/bank/bank.h,
 * "neural banks"); the provenance readers and the encoder/decoder backends they share.
 *
 * Threads: everything here runs on strata-bank's main thread (the GPU backend owns a hidden
 * GL context made current on it). Ownership: strings returned are malloc'd, the caller frees.
 * Errors: strata_result messages name the file (and keyframe or chunk); the commands print
 * them once and return an exit code (0 done, 1 failed, 2 usage).
 */
#ifndef STRATA_BANK_COMMANDS_H
#define STRATA_BANK_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "neural/neural.h"

/* argv[1] is the command name; options follow. */
int strata_bank_cmd_encode(int argc, char **argv);
int strata_bank_cmd_import(int argc, char **argv);

/* ---- provenance (provenance.c) ------------------------------------------------------ *
 * A keyframe's provenance is a JSON object: {"source": FILE NAME, then what the file
 * carried: "prompt" and "workflow" (ComfyUI; the parsed JSON when it parses, else the
 * text) and "parameters" (A1111's text)}. */

/* Bounds on what a PNG's text chunks may hold: one text (inflated) and all of them. */
#define BANK_PROV_TEXT_MAX (16u << 20)
#define BANK_PROV_TOTAL_MAX (32u << 20)

/* The tEXt, zTXt and iTXt chunks named prompt, workflow and parameters of a PNG in memory.
 * Always returns an object with "source" (NULL only out of memory). Damage is not fatal: a
 * chunk with a bad CRC, a truncated chunk, a text over the bounds or a zTXt/iTXt that does
 * not inflate ends or skips the reading, and one line about it (naming the chunk) goes to
 * warn (warn[0] = 0 when none). Bytes that are not PNG give {"source"} and no warning. */
char *bank_prov_png(const uint8_t *data, size_t len, const char *source, char *warn,
                    size_t warn_n);
/* The "prompt" and "workflow" strings of a .latent file's safetensors metadata, with
 * "source" and, when batch_n > 1, "batch_index". NULL only out of memory. */
char *bank_prov_latent(const strata_safetensors *st, const char *source, int batch_index,
                       int batch_n);

/* ---- encoder / decoder backends (neural_tool.c) ------------------------------------- */

typedef enum bank_nn_backend {
    BANK_NN_AUTO = 0, /* GPU (GL 4.3 compute, hidden context) unless none or software */
    BANK_NN_GPU,      /* GPU or fail, even on a software rasteriser (llvmpipe) */
    BANK_NN_CPU,      /* the CPU reference */
} bank_nn_backend;

typedef struct bank_nn bank_nn;

/* Load the models (enc may be NULL: import needs only the decoder) and pick the backend: on
 * the GPU both run as GL 4.3 compute (strata_neural_gpu_encode / _decode), else both run on
 * the CPU reference.
 * Refused with a message naming the files: a file that is no TAESD model, an encoder given
 * as decoder or the reverse, encoder and decoder of different families. With AUTO and no
 * usable GPU, note says in one line why the CPU reference is used ("" when the GPU is). */
bank_nn *bank_nn_open(const char *enc_path, const char *dec_path, bank_nn_backend want,
                      char *note, size_t note_n, strata_result *r);
void bank_nn_close(bank_nn *n); /* NULL is fine */
const strata_taesd *bank_nn_decoder(const bank_nn *n);
const strata_taesd *bank_nn_encoder(const bank_nn *n); /* NULL without one */
bool bank_nn_on_gpu(const bank_nn *n, bool encoder);
/* rgb [3][h][w] in 0..1 -> latent [C][h/8][w/8] (the scaled latent). */
bool bank_nn_encode(bank_nn *n, const float *rgb, int h, int w, float *latent,
                    strata_result *r);
/* latent [C][lh][lw] -> preview RGBA8 of 8lw x 8lh (clamped, alpha 255). */
bool bank_nn_preview(bank_nn *n, const float *latent, int lh, int lw, uint8_t *rgba,
                     strata_result *r);

/* ---- command-line helpers of every command (cli.c) ---------------------------------- */

/* The terminal progress bar (stderr, only on a terminal). */
void bank_tool_progress(int done, int total);
/* Parse the options after "strata-bank CMD" with the shared table parser; positional
 * words go to pos[]. Prints the error (naming the argument) and returns false. */
bool bank_tool_parse(const char *cmd, const strata_arg *table, int n, int argc, char **argv,
                     const char **pos, int max_pos, int *npos);
/* The last path component. */
const char *bank_tool_basename(const char *path);

#endif
