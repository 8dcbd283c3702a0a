/* strata render: the GL context, shader programs with hot reload, render targets,
 * per-pass GPU timers, shared uniforms, the output pass, the overlay and image output.
 *
 * Use
 *   1. strata_gl_open()          SDL2 window + GL 4.3 core (3.3 core fallback) + GLEW.
 *   2. strata_shaders_init(dir)  sources from the embedded table (dir NULL) or from disk,
 *                                watched by a thread and hot-reloaded.
 *   3. strata_program_make("scenes/pattern.frag", NULL) -> a handle. Each frame:
 *      strata_shaders_update() once (applies reloaded sources), then for each pass
 *      strata_gpu_begin("name"), strata_target_bind(), strata_program_use(),
 *      strata_uniforms_apply(), strata_draw_fullscreen(), strata_gpu_end().
 *   4. strata_output_draw() scales the final target into the window with letterbox;
 *      strata_overlay_draw() puts text on top; SDL_GL_SwapWindow().
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
void strata_gl_set_fullscreen(strata_gl *gl, bool on);
void strata_gl_drawable_size(const strata_gl *gl, int *w, int *h);

/* ---- shaders ----------------------------------------------------------- */

typedef struct strata_program {
    uint32_t id; /* 0 is invalid */
} strata_program;

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
/* Read t as RGBA8, top row first (PNG order). out holds w*h*4 bytes. */
void strata_target_read(const strata_target *t, uint8_t *out);
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
} strata_pass_time;

void strata_gpu_timers_init(const strata_gl *gl);
void strata_gpu_timers_shutdown(void);
/* Bracket one pass (not nested). Results arrive a few frames later, without stalls. */
void strata_gpu_begin(const char *name);
void strata_gpu_end(void);
int strata_gpu_report(strata_pass_time *out, int max);

/* ---- uniforms ---------------------------------------------------------- */

typedef struct strata_frame_uniforms {
    double time; /* seconds, scaled by the speed parameter's clock */
    int64_t frame;
    float dt;
    int width, height; /* render size */
    const strata_audio_frame *audio;
    float bpm, beat, beat_phase, bar_phase; /* the tempo clock */
    const float *params;                    /* STRATA_PARAM_COUNT modulated values */
    float morph;                            /* morph progress 0..1 of the current transition */
} strata_frame_uniforms;

/* Once per frame: upload the spectrum and waveform textures (units 14 and 15). */
void strata_uniforms_upload_audio(const strata_audio_frame *audio);
/* Set every shared uniform of common.glsl on the program in use. */
void strata_uniforms_apply(strata_program p, const strata_frame_uniforms *u);
/* Locations of u_<param> for every registered parameter (-1 where unused), resolved
 * once per link; NULL when the program FAILED. */
const GLint *strata_program_param_locs(strata_program p);
/* Location of a uniform in the program (cached glGetUniformLocation). */
GLint strata_uniform_loc(strata_program p, const char *name);

/* ---- output and overlay ------------------------------------------------ */

/* Draw src into dst (NULL: the window's drawable of win_w x win_h), aspect-correct
 * with letterbox. */
void strata_output_draw(const strata_target *src, const strata_target *dst, int win_w, int win_h);
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
