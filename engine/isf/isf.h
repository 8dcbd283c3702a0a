/* strata isf: Interactive Shader Format 2.0 shaders as effects and generators.
 *
 * What
 *   An ISF file is GLSL with a JSON header in its first comment: INPUTS (float, bool,
 *   long, color, point2D, event, image, audio, audioFFT), PASSES (render targets,
 *   PERSISTENT and FLOAT buffers, sizes as expressions like "$WIDTH/2"), IMPORTED images.
 *   This module parses that header strictly (isf_parse.c), translates ISF's GLSL dialect
 *   to strata's core profile (isf_glsl.c: gl_FragColor, texture2D, IMG_PIXEL,
 *   IMG_NORM_PIXEL, IMG_THIS_PIXEL, IMG_THIS_NORM_PIXEL, IMG_SIZE, isf_FragNormCoord,
 *   TIME, TIMEDELTA, FRAMEINDEX, RENDERSIZE, PASSINDEX, DATE) and renders its passes
 *   (isf_render.c). A file with an image input named "inputImage" is a filter; one
 *   without is a generator.
 *
 * Use
 *   Parse only (tools, tests; no GL):
 *       strata_isf_desc *d = calloc(1, sizeof *d);
 *       strata_isf_parse(text, len, "x.fs", d, &r);   or strata_isf_parse_file(path, d, &r)
 *   Render (render thread, after strata_render_init):
 *       strata_isf *s = strata_isf_load("kaleido.fs", &(strata_isf_opts){.width = w,
 *                                       .height = h, .register_params = true}, &r);
 *       each frame:
 *           const strata_target *out = strata_isf_run(s, &(strata_isf_frame){
 *               .image = picture_tex, .time = t, .dt = dt, .values = params.value});
 *       strata_isf_poll(s) once a frame picks up an edited file (hot reload);
 *       strata_isf_destroy(s) unregisters its parameters and frees its GL objects.
 *
 * Parameters
 *   With register_params, every non-image INPUT becomes a registry parameter named
 *   "isf/<file stem>/<input>" (lower case; characters outside [a-z0-9_] become '_'):
 *   float FLOAT, bool BOOL, long INT (min..max of VALUES), event EVENT, color four params
 *   ".../<input>/r", "g", "b", "a" (0..1), point2D two, ".../<input>/x" and "y" (MIN..MAX,
 *   or 0..width and 0..height). Each has an OSC address /strata/isf/<stem>/<input>, --set,
 *   routes, MIDI learn and OSCQuery. A name the registry refuses (taken, table full) is
 *   logged and the input keeps its DEFAULT (strata_isf_set still reaches it).
 *
 * Audio
 *   audio inputs read the frame's waveform as ISF expects it (512 samples, one row, in
 *   red: 0.5 + 0.5 * sample, so silence is 0.5), audioFFT ones the spectrum (256
 *   log-spaced bins, 0..1): textures of the shader's own, uploaded in strata_isf_run from
 *   strata_isf_frame.audio (NULL: silence). IMG_SIZE of them is (512, 1) and (256, 1).
 *   Image inputs other than inputImage read the same picture as inputImage.
 *
 * Threads
 *   strata_isf_parse* and the expression evaluator: any thread. Everything else: the
 *   render thread. A loaded shader's file is watched by a thread of its own (polls the
 *   mtime, reads the new text and decodes its IMPORTED images); the render thread only
 *   parses, compiles and uploads: it never waits on the disk after the load.
 *
 * Ownership
 *   strata_isf owns its GL programs, buffers, imported textures, parameters and watcher.
 *   The returned target belongs to the shader and is valid until the next run or destroy.
 *
 * Errors
 *   Parse errors name FILE:LINE:COLUMN ("kaleido.fs:7:18: INPUTS[2] \"sides\": DEFAULT
 *   must be a number, not a string"); GLSL errors name FILE:LINE with the ISF file's own
 *   line numbers ("kaleido.fs:41: error: ..."). A file over STRATA_ISF_MAX_BYTES, a file
 *   without a header, a header that lies (MIN > MAX, a DEFAULT of the wrong type, a
 *   PERSISTENT_BUFFERS name no pass writes, a TARGET that is also an INPUT) are refused
 *   with such a message. On hot reload a broken file keeps the last good program.
 */
#ifndef STRATA_ISF_H
#define STRATA_ISF_H

#include "render/render.h"

#define STRATA_ISF_MAX_BYTES (1u << 20) /* larger files are refused, not read */
#define STRATA_ISF_MAX_INPUTS 32
#define STRATA_ISF_MAX_PASSES 32
#define STRATA_ISF_MAX_BUFFERS 16 /* distinct TARGETs; past 8 they need 24 texture units */
#define STRATA_ISF_MAX_IMPORTS 3
#define STRATA_ISF_MAX_VALUES 32 /* VALUES of a long */
#define STRATA_ISF_NAME_MAX 48   /* INPUT, TARGET and IMPORTED names, including the NUL */
#define STRATA_ISF_EXPR_MAX 96   /* WIDTH / HEIGHT expressions */

typedef enum strata_isf_type {
    STRATA_ISF_FLOAT,
    STRATA_ISF_BOOL,
    STRATA_ISF_LONG,
    STRATA_ISF_COLOR,
    STRATA_ISF_POINT2D,
    STRATA_ISF_EVENT,
    STRATA_ISF_IMAGE,
    STRATA_ISF_AUDIO,
    STRATA_ISF_AUDIOFFT,
} strata_isf_type;

typedef struct strata_isf_input {
    char name[STRATA_ISF_NAME_MAX];
    char label[64];
    strata_isf_type type;
    int ncomp; /* components: 4 color, 2 point2D, 0 image/audio, else 1 */
    float def[4], min[4], max[4], identity[4];
    bool has_min, has_max, has_identity;
    int nvalues; /* long with VALUES */
    int values[STRATA_ISF_MAX_VALUES];
    char labels[STRATA_ISF_MAX_VALUES][32];
} strata_isf_input;

typedef struct strata_isf_pass {
    char target[STRATA_ISF_NAME_MAX]; /* "" : the output */
    bool persistent, is_float;
    char width[STRATA_ISF_EXPR_MAX], height[STRATA_ISF_EXPR_MAX]; /* "" : the render size */
} strata_isf_pass;

typedef struct strata_isf_import {
    char name[STRATA_ISF_NAME_MAX];
    char path[256]; /* as written, relative to the ISF file's folder */
} strata_isf_import;

typedef struct strata_isf_desc {
    char description[256], credit[128], vsn[16];
    char categories[8][32];
    int ncategories;
    strata_isf_input inputs[STRATA_ISF_MAX_INPUTS];
    int ninputs;
    strata_isf_pass passes[STRATA_ISF_MAX_PASSES];
    int npasses; /* at least 1: a file without PASSES has one pass to the output */
    strata_isf_import imports[STRATA_ISF_MAX_IMPORTS];
    int nimports;
    bool filter;    /* an image input named inputImage */
    int header_end; /* line of the header's closing comment */
} strata_isf_desc;

/* Parse the header of an ISF file held in text (len bytes; a NUL need not follow).
 * file names it in messages. STRATA_OK or STRATA_ERR_FORMAT with "FILE:L:C: ..." in r.
 * Any thread. */
strata_status strata_isf_parse(const char *text, size_t len, const char *file, strata_isf_desc *out,
                               strata_result *r);
/* Read path (at most STRATA_ISF_MAX_BYTES; FIFOs and folders refused) and parse it. */
strata_status strata_isf_parse_file(const char *path, strata_isf_desc *out, strata_result *r);
/* The input named name, or -1. */
int strata_isf_find_input(const strata_isf_desc *d, const char *name);

/* Evaluate a PASSES WIDTH/HEIGHT expression: numbers, $WIDTH, $HEIGHT, $<input> (float,
 * long, bool inputs; values[i] is input i's first component, NULL: defaults), + - * /,
 * unary minus, parentheses, floor ceil round abs sqrt max min pow. False with a message
 * naming the expression on a syntax error or an unknown name. Any thread. */
bool strata_isf_eval(const char *expr, const strata_isf_desc *d, int width, int height,
                     const float *values, double *out, strata_result *r);

/* The fragment (or vertex, vs true) shader strata compiles for d from the ISF text
 * (whole file, with its header), for GLSL glsl_version (330 or 430): a prelude of
 * uniforms and macros, then "#line 1" and the file with ISF's names rewritten token by
 * token (comments and line breaks kept), so the driver's line numbers are the file's.
 * With vs true, text is the ISF .vs file's text, or NULL for the default vertex shader
 * (a fullscreen triangle setting isf_FragNormCoord). malloc'd; NULL when out of memory.
 * Any thread. */
char *strata_isf_glsl(const strata_isf_desc *d, const char *text, size_t len, bool vs,
                      int glsl_version);

/* ---- rendering (render thread) -------------------------------------------- */

typedef struct strata_isf strata_isf;

typedef struct strata_isf_opts {
    int width, height;    /* render size (the output target's); 0: 1280x720 */
    bool register_params; /* make every non-image INPUT a registry parameter */
    bool watch;           /* hot reload: a watcher thread polls the file */
    const char *name;     /* parameter namespace instead of the file stem; NULL: stem */
} strata_isf_opts;

typedef struct strata_isf_frame {
    GLuint image;                    /* what inputImage and other image inputs read; 0: black */
    double time;                     /* TIME, seconds */
    float dt;                        /* TIMEDELTA */
    int64_t frame;                   /* FRAMEINDEX */
    const float *values;             /* strata_params.value (STRATA_PARAM_MAX long) or NULL */
    const strata_audio_frame *audio; /* audio and audioFFT inputs; NULL: silence */
    float date[4]; /* DATE: year, month, day, seconds of the day; all 0: the clock */
    /* strata_isf_chain_run: the parameters values came from; a hot reload then carries
     * each input's value over to the reloaded shader's parameter of the same name and
     * type (snapped). NULL: reloaded inputs start at their DEFAULTs. */
    strata_params *params;
    /* Where the passes without a TARGET (the output) draw, when it is the render size:
     * a generator scene's own target, saving a copy. NULL: the shader's own target. The
     * shader must not read it (a filter reading dst as its image would read what it
     * writes: strata_isf_chain_run_scene gives it to generators only). */
    const strata_target *dst;
} strata_isf_frame;

/* Load, translate and compile path. NULL with r filled on a parse or compile error. */
strata_isf *strata_isf_load(const char *path, const strata_isf_opts *o, strata_result *r);
void strata_isf_destroy(strata_isf *s);
/* Run every pass; returns the output target (render size: f->dst when given and that
 * size, else the shader's own), or NULL when the shader has no working program (the
 * caller shows its input). */
const strata_target *strata_isf_run(strata_isf *s, const strata_isf_frame *f);
/* Apply a reloaded file if the watcher has one: parse and compile it; on success the new
 * program (and its parameters) replace the old, on failure the error is logged with
 * file:line and the last good program keeps running. Returns 1 reloaded, -1 failed, 0
 * nothing new. */
int strata_isf_poll(strata_isf *s);
/* Reload from disk now, like a watcher-detected change (tests, a /reload command). */
int strata_isf_reload(strata_isf *s);
/* Set an input's value directly (n components); overridden by a registered parameter's
 * value whenever a frame carries values. False when there is no such input. */
bool strata_isf_set(strata_isf *s, const char *input, const float *v, int n);
void strata_isf_resize(strata_isf *s, int width, int height);
const strata_isf_desc *strata_isf_describe(const strata_isf *s);
/* The registry id of input i's component c, -1 when none. */
int strata_isf_param(const strata_isf *s, int input, int comp);
/* The last error (parse, compile, reload), "" when none. */
const char *strata_isf_error(const strata_isf *s);
/* The file's path as loaded. */
const char *strata_isf_path(const strata_isf *s);
/* The parameter namespace: "isf/<stem>" without the prefix, e.g. "kaleido". */
const char *strata_isf_stem(const strata_isf *s);

/* ---- the app's chain (render thread) ---------------------------------------
 * The shaders of --isf FILE (on at start) and --isf-dir DIR (every *.fs there, in name
 * order, at most STRATA_ISF_CHAIN_MAX, off at start), each with a BOOL parameter
 * "isf/<stem>/enabled". Each frame the first enabled generator replaces the picture,
 * then every enabled filter runs on it in order; the glitch chain follows. Presets'
 * shaders live in the same chain (one parameter namespace, one hot reload) but run in
 * their scenes' draws (strata_isf_chain_run_scene), so scene transitions mix them. A --isf file
 * that fails to load is an error; a broken file in the folder is logged and skipped.
 * Two files with one stem: the second is named <stem>_2 (and so on). */
#define STRATA_ISF_CHAIN_MAX 32

typedef struct strata_isf_chain strata_isf_chain;

typedef struct strata_isf_chain_desc {
    const char *const *files; /* --isf, in order */
    int nfiles;
    const char *dir;   /* --isf-dir or NULL */
    int width, height; /* 0: 1280x720 */
    bool watch;        /* hot reload */
    /* --list-params: read the headers only (no GL, nothing compiled or run): the chain
     * registers the parameters the shaders would have and runs nothing. */
    bool headers_only;
} strata_isf_chain_desc;

strata_isf_chain *strata_isf_chain_create(const strata_isf_chain_desc *d, strata_result *r);
void strata_isf_chain_destroy(strata_isf_chain *c);
/* Run the enabled shaders on src (f->image is set here); returns src when none ran. */
const strata_target *strata_isf_chain_run(strata_isf_chain *c, const strata_target *src,
                                          const strata_isf_frame *f);
void strata_isf_chain_resize(strata_isf_chain *c, int width, int height);
int strata_isf_chain_count(const strata_isf_chain *c);
/* One line for the overlay: "ISF: plasma gen on, kaleido off (+3 more)", and the first
 * shader's last error ("kaleido.fs:41: error: ...") on a second line. values: the
 * parameters' values (NULL: the switches as loaded). Returns the length written. */
int strata_isf_chain_status(const strata_isf_chain *c, const float *values, char *buf, size_t n);
/* A preset's "isf" shader (at setup: this reads the disk). It runs inside the draw of
 * each scene naming it (strata_isf_chain_run_scene), never in strata_isf_chain_run; its
 * "isf/<stem>/enabled" starts on and bypasses it in every such scene when off. A path
 * already in the chain is not loaded twice (one given with --isf too runs in both). */
bool strata_isf_chain_add_scene(strata_isf_chain *c, const char *path, strata_result *r);
/* A scene starts with these shaders: a path not loaded is logged (a preset edited mid-show
 * naming a new file). p is unused: the scenes draw their shaders themselves. */
void strata_isf_chain_scene(strata_isf_chain *c, const char (*paths)[512], int n, strata_params *p);
/* True when one of paths is a loaded generator: that scene's picture is the shader's (a
 * generator scene: the app opens no bank for it). */
bool strata_isf_chain_is_generator_scene(const strata_isf_chain *c, const char (*paths)[512],
                                         int n);
/* A scene's own shaders, in the preset's order: with src NULL the first enabled generator
 * makes the picture (image inputs read black), then every enabled filter runs on the
 * picture. Returns the last output (the shader's target, valid until it runs again), src
 * when none ran, NULL when src is NULL and no generator ran. Polls nothing (the chain's
 * strata_isf_chain_run does, once a frame). */
const strata_target *strata_isf_chain_run_scene(strata_isf_chain *c, const char (*paths)[512],
                                                int n, const strata_target *src,
                                                const strata_isf_frame *f);
strata_isf *strata_isf_chain_get(const strata_isf_chain *c, int i);

#endif
