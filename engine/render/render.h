/* strata render: the GL context, shader programs with hot reload, render targets,
 * per-pass GPU timers, shared uniforms, the output pass, the overlay and image output.
 *
 * Use
 *   1. strata_gl_open()           SDL2 window + GL 4.3 core (3.3 core fallback) + GLEW.
 *   2. strata_render_init(gl, dir) the render state: shaders from the embedded table (dir
 *                                 NULL) or from disk, watched and hot-reloaded; GPU timers;
 *                                 the frame uniform buffer. strata_render_shutdown() frees it.
 *   3. strata_program_make("scenes/pattern.frag", NULL) -> a handle. Each frame:
 *      strata_render_begin_frame(&uniforms) once (applies reloaded sources, writes the
 *      frame's uniform block, starts the frame's timers), then one strata_pass_run() per
 *      pass: it times, binds the target, the program, the inputs and the pass's own
 *      uniforms, and draws.
 *   4. strata_output_draw() scales the final target into the window with letterbox;
 *      strata_overlay_draw() puts text on top; SDL_GL_SwapWindow().
 *
 * The render state
 *   Every GL object of this module (shader table, timers, uniform buffer, audio textures,
 *   the empty VAO, the output and overlay programs) is held in one state with init and
 *   shutdown. Program handles carry the state's generation: a handle made before a
 *   shutdown and re-init (a context re-made, a test's second context) reads as invalid
 *   ("stale program handle") and draws nothing; it never names another program.
 *
 * Uniforms
 *   The shared uniforms (time, tempo, audio bands, morph, every registered parameter) are
 *   one std140 block, `strata_frame`, declared by the loader before each vertex and
 *   fragment shader, bound at binding point 0 and written once per frame (again only when a
 *   pass asks for different values, e.g. a generator at its own size). A pass's own uniforms
 *   go in its strata_pass description. Samplers u_spectrum and u_waveform are on units 14
 *   and 15; pass inputs take units 0..7.
 *
 * Threads
 *   Everything here is render-thread only, except the shader watcher thread (internal)
 *   and the image writer thread (internal), which never touch GL.
 *
 * Errors
 *   A program that fails to compile is FAILED: strata_program_use returns 0 and the
 *   draw is dropped; on a reload failure the previous program keeps running. The log
 *   line names the file and line: "SHADER: scenes/x.frag:12: error: ...".
 */
#ifndef STRATA_RENDER_H
#define STRATA_RENDER_H

#include <GL/glew.h>
#include <SDL2/SDL.h>

#include "audio/audio.h"
#include "control/control.h"
#include "core/core.h"

/* ---- context ----------------------------------------------------------- */

typedef struct strata_window_desc {
    int width, height; /* 0: 1280x720 */
    bool fullscreen;   /* desktop fullscreen on `display` */
    int display;       /* display index for fullscreen */
    bool vsync;
    bool hidden; /* offscreen rendering (render and bench modes) */
    const char *title;
} strata_window_desc;

typedef struct strata_gl {
    SDL_Window *window;
    SDL_GLContext ctx;
    int major, minor; /* context version actually obtained */
    bool timer_query; /* GL_ARB_timer_query or core 3.3 */
    bool compute;     /* 4.3 core: compute shaders available */
    bool fullscreen;
    int display;
    char renderer[128];
    char version[128];
    const char *video_driver; /* SDL driver in use: x11, wayland, offscreen */
} strata_gl;

strata_status strata_gl_open(strata_gl *gl, const strata_window_desc *d, strata_result *r);
void strata_gl_close(strata_gl *gl);
/* Wait until the GPU has done everything issued (bench pacing offscreen, readbacks). */
void strata_gl_finish(void);
void strata_gl_set_fullscreen(strata_gl *gl, bool on);
void strata_gl_drawable_size(const strata_gl *gl, int *w, int *h);

/* ---- shaders ----------------------------------------------------------- */

typedef struct strata_program {
    uint32_t id; /* slot | generation << 16; 0 is invalid */
} strata_program;

typedef struct strata_frame_uniforms strata_frame_uniforms; /* below, under uniforms */

/* ---- render state ------------------------------------------------------ */

/* Shaders (strata_shaders_init), timers (strata_gpu_timers_init) and the frame uniform
 * buffer, in that order; shutdown undoes all of it and invalidates every handle. */
strata_status strata_render_init(const strata_gl *gl, const char *shader_dir, strata_result *r);
void strata_render_shutdown(void);
/* Once per frame, before the first pass: applies reloaded shader sources
 * (strata_shaders_update), ends a timer left open, starts the frame's timer totals and
 * writes u into the frame block (u NULL: keep the last). Returns the programs rebuilt. */
int strata_render_begin_frame(const strata_frame_uniforms *u);

/* dir NULL: the sources embedded at build time. Otherwise read from dir and reloaded
 * when a file changes (a watcher thread polls mtimes; the render thread compiles). */
strata_status strata_shaders_init(const strata_gl *gl, const char *dir, strata_result *r);
void strata_shaders_shutdown(void);
/* frag: a path relative to the shader root, e.g. "scenes/pattern.frag". vert NULL: the
 * fullscreen triangle. Compiles now; a failure is logged and the handle is FAILED. */
strata_program strata_program_make(const char *frag, const char *vert);
/* A compute program from one file, e.g. "neural/conv3x3.comp": the same #include,
 * file:line errors and hot reload as above. FAILED (with "compute shaders need GL 4.3"
 * as its error) on a 3.3 context. Run it with strata_program_use and glDispatchCompute.
 * Every call for the same file returns the same handle (a FAILED one is rebuilt). */
strata_program strata_program_make_compute(const char *comp);
/* The same file compiled with `defines` (e.g. "#define FX_STAGES 3\n#define ...") after
 * the #version line and the uniform block: one source, several programs (a fused chain per
 * effect order). Hot reload rebuilds it with the same defines. Each call makes a new
 * program: free the ones no longer used. defines NULL is strata_program_make. */
strata_program strata_program_make_defs(const char *frag, const char *vert, const char *defines);
/* Release a program's slot (the GL program too). Its handle, and every copy of it, reads
 * as invalid from now on; 0 and stale handles are ignored. */
void strata_program_free(strata_program p);
/* True while p names a program of the current render state (whether it built or not). */
bool strata_program_valid(strata_program p);
/* glUseProgram and return the GL name, or 0 (nothing bound) when the program FAILED. */
GLuint strata_program_use(strata_program p);
/* The last compile/link error of p, "" when none. */
const char *strata_program_error(strata_program p);
/* How many programs made so far have no working build; the first one's error goes to
 * first (n bytes). Render thread. */
int strata_shaders_failed(char *first, size_t n);
/* Render thread, once per frame: apply sources the watcher has reloaded. Returns how
 * many programs were rebuilt successfully; failures keep the old program. */
int strata_shaders_update(void);
/* Total successful reloads and failed ones since start (tests, overlay). */
void strata_shaders_reload_counts(int *ok, int *failed);
/* Source text of an embedded or loaded file, NULL when absent (render thread). */
const char *strata_shaders_source(const char *name);

/* ---- targets ----------------------------------------------------------- */

typedef struct strata_target {
    GLuint fbo, tex;
    int w, h;
    GLenum format; /* GL_RGBA8 (default) or GL_RGBA16F */
} strata_target;

bool strata_target_init(strata_target *t, int w, int h, GLenum format);
void strata_target_free(strata_target *t);
/* Bind t as the draw framebuffer with a full viewport; NULL binds the window. */
void strata_target_bind(const strata_target *t);
/* Read t as RGBA8, top row first (PNG order). out holds w*h*4 bytes. t may be a
 * texture-only view (fbo 0, tex set: a keyframe read in place): it is read through a
 * framebuffer made for the call. */
void strata_target_read(const strata_target *t, uint8_t *out);
/* Clear t (NULL: the window) to rgba. */
void strata_target_clear(const strata_target *t, float r, float g, float b, float a);
/* The bound GL_TEXTURE_2D's filter (min and mag) and clamp-to-edge wrap: every texture
 * strata makes is clamped; filter GL_NEAREST for integer ones (a linear one is incomplete). */
void strata_texture_clamp(GLenum filter);
/* A w x h texture of `internal` format, no contents, with strata_texture_clamp(filter):
 * bound to GL_TEXTURE_2D on return. The caller deletes it. */
GLuint strata_texture_create(int w, int h, GLenum internal, GLenum format, GLenum type,
                             GLenum filter);
/* A w x 1 R32F texture, linear and clamped, for a line of samples (the audio waveform and
 * spectrum the uniforms bind, an ISF shader's audio inputs). Render thread; the caller
 * deletes it. */
GLuint strata_line_texture_create(int w);
/* Bind t's texture on texture unit `unit`. */
void strata_texture_bind(GLuint tex, int unit);
/* Draw the fullscreen triangle (any program using the fullscreen vertex shader). */
void strata_draw_fullscreen(void);

/* ---- timers ------------------------------------------------------------ */

#define STRATA_MAX_PASSES 24

typedef struct strata_pass_time {
    const char *name;
    double gpu_ms;     /* last result available (GL timer query), -1 when none */
    double gpu_avg_ms; /* running average */
    double gpu_peak_ms;
    double cpu_ms; /* CPU time spent issuing the pass */
    int64_t frame; /* the frame (counted by strata_render_begin_frame) gpu_ms sums; 0: none */
} strata_pass_time;

/* The GPU time of a recent frame: the sum of every name measured in the last few frames
 * (names report a frame or two apart). 0 while nothing has. Render thread. */
double strata_gpu_frame_ms(void);

void strata_gpu_timers_init(const strata_gl *gl);
void strata_gpu_timers_shutdown(void);
/* Bracket GPU work under a name (a stable string: the table keeps the pointer). Timers
 * do not nest: a begin while another is open ends the open one. A name used several times
 * in one frame reports the frame's sum (a pass run three times, the seven levels of a
 * pyramid); consecutive begins of the same name share one query. Results arrive a few
 * frames later, without stalls. strata_pass_run does this for every pass it draws. */
void strata_gpu_begin(const char *name);
void strata_gpu_end(void);
/* on: every timer waits for the GPU before it starts and before it ends, so it holds its
 * own work and nothing else. llvmpipe renders a pass only when a later one needs its
 * target (or at a finish), so without this its time lands in that later pass's timer.
 * Slows every frame: for attributing time (strata bench --sync-passes), never a show. */
void strata_gpu_set_sync(bool on);
/* on: begins are ignored, so work that is not a frame's (a warm-up) is in no timer. */
void strata_gpu_set_muted(bool on);
int strata_gpu_report(strata_pass_time *out, int max);

/* ---- uniforms ---------------------------------------------------------- */

struct strata_frame_uniforms {
    double time; /* seconds, scaled by the speed parameter's clock */
    int64_t frame;
    float dt;
    int width, height; /* render size */
    const strata_audio_frame *audio;
    float bpm, beat, beat_phase, bar_phase; /* the tempo clock */
    const float *params;                    /* STRATA_PARAM_COUNT modulated values */
    float morph;                            /* morph progress 0..1 of the current transition */
};

/* Once per frame: upload the spectrum and waveform textures (units 14 and 15). */
void strata_uniforms_upload_audio(const strata_audio_frame *audio);
/* Make u the frame block every program reads (binding point 0). Values equal to the block
 * in use cost a memcmp; different ones go to the next slot of a streaming buffer. */
void strata_uniforms_frame(const strata_frame_uniforms *u);
/* u for the passes that follow until the next strata_pass_run without values of its own
 * (which goes back to the frame's block); for code that draws without the pass helper
 * (tests, tools). p is unused. */
void strata_uniforms_apply(strata_program p, const strata_frame_uniforms *u);
/* Location of a uniform in the program (cached glGetUniformLocation). */
GLint strata_uniform_loc(strata_program p, const char *name);

/* ---- passes ------------------------------------------------------------ */

#define STRATA_PASS_INPUTS 8
#define STRATA_PASS_UNIFORMS 16

typedef enum strata_uniform_type {
    STRATA_U_NONE,
    STRATA_U_FLOAT,
    STRATA_U_VEC2,
    STRATA_U_VEC3,
    STRATA_U_VEC4,
    STRATA_U_INT,
    STRATA_U_IVEC2,
} strata_uniform_type;

typedef struct strata_pass_uniform {
    const char *name; /* NULL ends the list */
    strata_uniform_type type;
    float f[4]; /* FLOAT, VECn */
    int i[2];   /* INT, IVEC2 */
} strata_pass_uniform;

/* Shorthands for a pass's uniform list. */
#define STRATA_UF(n, x) ((strata_pass_uniform){.name = (n), .type = STRATA_U_FLOAT, .f = {(x)}})
#define STRATA_U2(n, x, y)                                                                         \
    ((strata_pass_uniform){.name = (n), .type = STRATA_U_VEC2, .f = {(x), (y)}})
#define STRATA_U4(n, x, y, z, w)                                                                   \
    ((strata_pass_uniform){.name = (n), .type = STRATA_U_VEC4, .f = {(x), (y), (z), (w)}})
#define STRATA_UI(n, x) ((strata_pass_uniform){.name = (n), .type = STRATA_U_INT, .i = {(x)}})
#define STRATA_UI2(n, x, y)                                                                        \
    ((strata_pass_uniform){.name = (n), .type = STRATA_U_IVEC2, .i = {(x), (y)}})

typedef enum strata_blend { STRATA_BLEND_NONE, STRATA_BLEND_ADD, STRATA_BLEND_ALPHA } strata_blend;

/* One pass: what it reads, what it writes, which program, under which timer. */
typedef struct strata_pass {
    const char *timer;       /* stable string; NULL: not timed by the helper */
    strata_program program;
    const strata_target *target; /* NULL: the window, window_w x window_h */
    int window_w, window_h;
    int viewport[4];             /* x, y, w, h in the target; w == 0: all of it */
    bool clear;                  /* clear the whole target to clear_color first */
    float clear_color[4];
    /* NULL: the frame block of strata_render_begin_frame; else this pass's own values
     * (written to a fresh slot only when they differ from the block in use). */
    const strata_frame_uniforms *u;
    struct {
        const char *name; /* sampler uniform; NULL ends the list */
        GLuint tex;
    } in[STRATA_PASS_INPUTS]; /* on units 0, 1, ... in this order */
    strata_pass_uniform uni[STRATA_PASS_UNIFORMS];
    GLenum primitive; /* with count > 0: glDrawArrays(primitive, 0, count) */
    int count;        /* vertices, with gl_VertexID; 0: the fullscreen triangle. GL_POINTS
                       * (which is 0) get the program's point size */
    strata_blend blend;
} strata_pass;

/* Run one pass. False when its program FAILED or its handle is stale: then nothing is
 * drawn (a clear still happens) and the caller passes its input on. Render thread. */
bool strata_pass_run(const strata_pass *p);

/* ---- output and overlay ------------------------------------------------ */

/* Draw src into dst (NULL: the window's drawable of win_w x win_h), aspect-correct
 * with letterbox. */
void strata_output_draw(const strata_target *src, const strata_target *dst, int win_w, int win_h);
/* The viewport (x, y, w, h) strata_output_draw fits a src_w x src_h picture into, in a
 * win_w x win_h output; the rest is letterbox. For a pass that draws the output itself. */
void strata_output_fit(int src_w, int src_h, int win_w, int win_h, int vp[4]);
/* The gain set below (a pass drawing the output applies it as the output pass does). */
float strata_output_gain(void);
/* Scale everything the output pass draws (1 by default): an installation dims its
 * output outside opening hours. Render thread. */
void strata_output_set_gain(float gain);
/* Draw lines of text at the top-left of the window (overlay). */
void strata_overlay_draw(const char *text, int win_w, int win_h);

/* ---- image output ------------------------------------------------------ */

/* Writes PNG frames on a thread of its own. Frames are copied into a fixed pool;
 * strata_writer_submit blocks when the pool is full if wait is true, else drops. */
typedef struct strata_writer strata_writer;
strata_writer *strata_writer_create(int w, int h, int pool);
bool strata_writer_submit(strata_writer *wr, const char *path, const uint8_t *rgba, bool wait);
/* Wait for all pending writes; returns the number of failed writes so far. */
int strata_writer_flush(strata_writer *wr);
/* On: create each file exclusively, never replacing one (an existing name fails and is
 * logged); for screenshots. Off (default): replace atomically, for render mode's frames. */
void strata_writer_set_exclusive(strata_writer *wr, bool on);
void strata_writer_destroy(strata_writer *wr);
/* Write one PNG now (calling thread). */
strata_status strata_png_write(const char *path, int w, int h, const uint8_t *rgba,
                               strata_result *r);

#endif
