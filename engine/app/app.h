/* strata app: command line, the engine that runs one frame, and the three modes
 * (live, render, bench). Internal to the executable: no other module includes it.
 *
 * The frame (strata_engine_frame) runs one fixed sequence on the render thread:
 *   events (live loop) -> drain command queues -> audio snapshot -> parameters
 *   -> traversal -> passes -> output -> swap (live loop).
 */
#ifndef STRATA_APP_H
#define STRATA_APP_H

#include "audio/audio.h"
#include "control/control.h"
#include "core/core.h"
#include "fx/fx.h"
#include "midi/midi.h"
#include "morph/morph.h"
#include "preset/preset.h"
#include "render/render.h"

#include <stdio.h>

typedef enum strata_mode { MODE_LIVE, MODE_RENDER, MODE_BENCH } strata_mode;

#define MAX_SETS 64

typedef struct strata_options {
    strata_mode mode;
    const char *preset;     /* positional PRESET, NULL: embedded default */
    int width, height;      /* window (live) or output size (render, bench) */
    int render_w, render_h; /* internal resolution, 0: same as the output */
    bool fullscreen;
    bool windowed; /* overrides fullscreen (install mode on a desk) */
    int display;
    const char *shader_dir; /* NULL: embedded shaders */
    const char *stats_path;
    const char *log_path;
    const char *out; /* render: folder, %05d.png pattern or video file */
    double fps;      /* render: frames per second */
    long frames;     /* render: frame count (or from duration) */
    double duration;
    double seconds; /* bench */
    bool json;      /* bench, list-params */
    const char *audio_file;
    bool no_vsync;
    bool overlay;      /* start with the overlay on */
    double target_fps; /* live: adaptive resolution's target (0: 60) */
    double min_scale;  /* live: its floor (0: 0.5) */
    bool no_adapt;     /* live: fixed render size */
    double quit_after; /* live: quit after S seconds (tests, kiosks); 0: never */
    const char *sets[MAX_SETS];
    int nsets;
    /* banks and morph */
    const char *bank;       /* folder, .strata image bank or latent set; NULL: default */
    const char *morph;      /* blend | flow | latent | neural; NULL: from the bank's kind */
    const char *model;      /* TAESD decoder for neural banks (every scene's); NULL: presets' */
    int neural_w, neural_h; /* --neural-size: latent size decoded; 0: presets' or auto */
    const char *order;      /* sequence | shuffle | neighbours | pingpong */
    double drift;           /* < 0: not given */
    int cache_mb;
    bool fill; /* fill (crop) instead of fit (letterbox) */
    /* audio */
    strata_audio_config audio;
    bool list_audio;
    /* control */
    strata_control_config control;
    const char *routes[MAX_SETS];
    int nroutes;
    double bpm; /* 0: not given */
    bool link;
    int oscquery_port; /* --oscquery PORT; 0: the OSC port + 1 */
    bool no_oscquery;  /* --no-oscquery (OSCQuery is on in live mode only) */
    const char *isf[MAX_SETS]; /* --isf FILE (repeatable): ISF shaders, on at start */
    int nisf;
    const char *isf_dir; /* --isf-dir DIR: every *.fs there, off at start */
    /* MIDI (live mode; engine/midi) */
    const char *midi;          /* --midi NAME|INDEX|all: ports to open, NULL: none */
    const char *midi_api;      /* --midi-api auto|alsa|jack */
    const char *midi_maps[8];  /* --midi-map FILE (repeatable) */
    int nmidi_maps;
    bool list_midi;            /* --list-midi */
    const char *midi_clock_out; /* --midi-clock-out NAME|INDEX: strata's tempo as MIDI clock */
    bool bench_osc;        /* bench: flood OSC and report latency */
    double osc_rate;       /* bench --osc: flood messages per second (100000) */
    const char *osc_param; /* bench --osc: the parameter flooded (pulse) */
    double pace;           /* bench: frames per second like vsync would; 0: flat out */
    bool sync_passes;      /* bench --sync-passes: each pass timed alone (strata_gpu_set_sync) */
    bool bench_audio;      /* bench: report audio ring-to-snapshot latency */
    /* installation */
    bool install;            /* --install: kiosk loop */
    const char *state_path;  /* where the show is saved; NULL: default in install mode */
    double watchdog_s;       /* 0: off (install mode: 2) */
    double latent_scale;     /* 0: auto */
    bool latent_scale_fixed; /* --latent-scale given: live mode does not adapt it */
    uint64_t seed;
    bool seed_given;
} strata_options;

/* Parse argv into o. Returns 0 to run, 1 when it handled the request (help, version,
 * listing) and the process should exit 0, -1 on a usage error (message printed). */
int strata_options_parse(strata_options *o, int argc, char **argv);
void strata_options_usage(FILE *out);
/* --out (render_mode.c): a PNG pattern holds exactly one %d or %0Nd and %% for a literal
 * %; a video name (.mp4 .mov .webm .mkv) is taken as it is. False, and why, otherwise. */
bool strata_out_pattern_check(const char *out, char *why, size_t n);
/* The file name of frame `frame` from a checked pattern (never used as a format). */
bool strata_out_pattern_format(const char *pattern, long frame, char *out, size_t n);

/* ---- the engine: state shared by every mode ------------------------------ */

typedef struct strata_frame_stats {
    double frame_ms[512]; /* ring of recent frame times */
    int n, pos;
} strata_frame_stats;

typedef struct strata_engine {
    strata_gl gl;
    strata_params params;
    strata_audio_frame audio;
    strata_audio *audio_in;
    strata_control *control;
    struct strata_oscquery *oscquery; /* live mode: the OSCQuery server, or NULL */
    struct strata_isf_chain *isf;     /* --isf / --isf-dir shaders, or NULL */
    struct strata_midi *midi;         /* live mode with --midi: controllers, or NULL */
    strata_midi_clock_state midi_clock; /* this frame's MIDI clock (strata_midi_apply) */
    strata_tempo_state tempo; /* this frame's tempo clock */
    bool offline;             /* render mode: frame clock, frame-exact audio */
    double fps;               /* render mode */
    double wall_start;
    char screenshot[1024]; /* pending screenshot path ("" none) */
    bool screenshot_pending;
    strata_writer *shots;
    const strata_options *opt;
    strata_fx *fx;
    strata_fx_shape fx_default_shape[STRATA_FX_COUNT];
    strata_fx_effect fx_default_order[STRATA_FX_COUNT];
    int fx_default_norder;
    double bank_open_ms; /* time to open the last scene's bank and its morph */
    /* scenes (scene.c) */
    strata_setlist setlist;  /* a setlist of one for a single preset or the default */
    char default_bank[1024]; /* the embedded default scene's bank: what "" means */
    int scene_index;
    struct strata_scene *scene;    /* on screen */
    struct strata_scene *incoming; /* opening or fading in */
    int incoming_index;
    bool incoming_loading; /* its bank is being opened by the scene loader */
    int pending_index;     /* a scene asked for while another bank opens, or -1 */
    bool fading;
    double xfade_t, xfade_len;
    int xfade_kind;
    strata_flow *xflow;
    bool xflow_started, xflow_ready;
    double scene_time; /* seconds the scene has been on screen */
    bool auto_advance; /* installation and render: dwell times move the setlist */
    struct strata_scene_loader *loader;
    strata_preset_watch *watch;
    /* installation */
    char state_path[1024];
    double state_last, install_last;
    float gain;               /* output gain: opening hours (1 open, 0 black, dim) */
    strata_target targets[2]; /* ping-pong at the render size */
    strata_target view;       /* a held keyframe read in place (strata_morph_view) */
    int cur;                  /* index of the target holding the last frame */
    int render_w, render_h; /* what the chain renders at now: full x adapt.scale */
    int full_w, full_h;     /* the render size asked for (--render-size or the output) */
    strata_adapt adapt;     /* live mode's render scale (off in render and bench) */
    double time;     /* scene clock, advanced by dt * speed */
    float last_t;    /* eased morph progress last frame (flow for datamosh) */
    float lat_burst; /* the latent glitches' burst envelope (stepped like the fx chain's) */
    strata_latent_glitch lat_glitch; /* this frame's latent glitch amounts (every scene's) */
    uint64_t lat_seed;               /* and the seed of its pattern */
    int64_t frame;
    /* stats */
    FILE *stats;
    double stats_last;   /* wall time of the last stats line */
    int64_t stats_frame; /* frame count at the last stats line */
    strata_frame_stats ft;
} strata_engine;

strata_status strata_engine_init(strata_engine *e, const strata_options *o, bool hidden,
                                 strata_result *r);
void strata_engine_shutdown(strata_engine *e);
/* Scenes (scene.c): load the setlist (or the single preset, or the default), open the
 * first scene, start the scene loader and the preset watcher. */
typedef struct strata_scene strata_scene;
typedef struct strata_scene_loader strata_scene_loader;
strata_status strata_engine_scenes_init(strata_engine *e, strata_result *r);
void strata_engine_scenes_shutdown(strata_engine *e);
/* Go to setlist scene `index`: its bank opens off the render thread, then it fades in. */
bool strata_engine_goto_scene(strata_engine *e, int index);
/* Traversal of the scenes that draw (a neural morph decodes here, with e->lat_glitch). */
void strata_engine_scenes_update(strata_engine *e, const strata_traverse_in *in, double dt);
bool strata_engine_scenes_draw(strata_engine *e, const strata_target *target,
                               const strata_frame_uniforms *u);
void strata_engine_scene_state(const strata_engine *e, int *a, int *b, float *t);
strata_morph *strata_engine_morph(const strata_engine *e);
strata_bank *strata_engine_bank(const strata_engine *e);
const char *strata_engine_scene_name(const strata_engine *e);
void strata_engine_install_tick(strata_engine *e, double now);
/* Run the frame sequence from "drain queues" through "passes" for a frame of dt
 * seconds (real time in live mode, 1/fps in render mode). Returns the target holding
 * the finished frame. */
const strata_target *strata_engine_frame(strata_engine *e, double dt);
/* strata_engine_frame, then the output: the picture into dst (NULL: the window of
 * win_w x win_h) as strata_output_draw puts it. When the render size fits the output's
 * viewport the fx chain's last pass draws there itself (no output copy) and this returns
 * NULL; else the frame's target. */
const strata_target *strata_engine_present(strata_engine *e, double dt, const strata_target *dst,
                                           int win_w, int win_h);
/* MIDI (live mode with --midi): create the module and load --midi-map files; then once a
 * frame, before the control module's apply, drain it: parameter sets, triggers (as OSC's
 * commands), the clock into e->midi_clock. */
strata_status strata_engine_midi_init(strata_engine *e, strata_result *r);
void strata_engine_midi_frame(strata_engine *e);
struct json_t *strata_engine_midi_json(const strata_engine *e);
/* Commands from OSC the control module hands to the app (render thread). */
bool strata_engine_command(strata_control *ctl, const strata_cmd *cmd, void *user);
/* Live mode's adaptive resolution, once per frame after the swap: work_ms is the frame's
 * work (not the vsync wait). Resizes the chain's targets when the controller moves; the
 * scenes' keyframes and flows stay at the full size (the passes read them by uv). */
void strata_engine_adapt(strata_engine *e, double work_ms, double dt);
/* Render the chain at scale s (floor..1) of the full render size. False (the size
 * unchanged) when a target cannot be made. */
bool strata_engine_set_render_scale(strata_engine *e, float s);
/* Record a frame time and, once per second of `now`, write the --stats line. */
void strata_engine_stats(strata_engine *e, double now, double frame_ms);
/* The neural state of the scene on screen as a JSON object (jansson, the caller owns
 * it): {"decoding", "why", "latent": "WxH", "passes", "passes_per_frame",
 * "decodes_per_s", "glitch": {"noise", "shift", "swap", "quant"}}; NULL when its bank
 * is not a neural bank. --stats and bench --json print it. */
struct json_t;
struct json_t *strata_engine_neural_json(const strata_engine *e);
/* Why the picture on screen looks the way it does (render thread; the strings point into
 * the bank, valid until the scene changes): the overlay and --stats both print it. */
typedef struct strata_picture_state {
    const char *scene;                     /* scene (preset) name */
    const char *morph;                     /* morph mode name */
    int keyframe, next;                    /* next -1 while holding */
    const char *keyframe_name, *next_name; /* bank names; next_name NULL while holding */
    float progress;                        /* eased, 0..1 through the transition */
    const char *flow;       /* flow mode: "done" (the estimate of this pair is complete),
                             * "estimating" (staged, the keyframes blend until it is) or
                             * "holding" (no transition); NULL in other modes */
    int decode_w, decode_h; /* the size the picture is made at before the fx: latent: the
                             * render size x latent_scale; neural: 8 x the latent decoded;
                             * images and neural previews: the size the bank decodes
                             * its keyframes to */
    float latent_scale;     /* latent sets: of the render size; 1 for other banks */
} strata_picture_state;
void strata_engine_picture_state(const strata_engine *e, strata_picture_state *ps);
/* p50 and p99 of the recent frame times, in ms. */
void strata_frame_stats_pct(const strata_frame_stats *s, double *p50, double *p99, double *mean);

/* assets/ embedded at build time: the bytes of NAME (NUL-terminated, *len without the
 * NUL) or NULL. Pure. */
const char *strata_asset(const char *name, size_t *len);

int strata_live_run(const strata_options *o);
int strata_render_run(const strata_options *o);
int strata_bench_run(const strata_options *o);
/* `strata osc-flood HOST PORT RATE SECONDS`: the flood sender bench --osc starts. */
int strata_osc_flood_main(int argc, char **argv);

/* ---- installation loop ---------------------------------------------------- */

#define STRATA_EXIT_WATCHDOG 3

/* A thread that ends the process (exit code STRATA_EXIT_WATCHDOG) when no heartbeat
 * came for limit_s; the frame loop beats once per frame. */
void strata_watchdog_start(double limit_s);
void strata_watchdog_beat(void);
void strata_watchdog_stop(void);

/* Where the show is, saved atomically by a thread of its own and read back at start.
 * The file is one JSON object written and read with jansson:
 * {"version":1,"setlist":S,"scene":I,"scene_name":S,"keyframe":I,"time":F}. */
#define STRATA_STATE_VERSION 1
typedef struct strata_state {
    char setlist[1024];
    int scene;
    char scene_name[64];
    int keyframe;
    double time;
} strata_state;
bool strata_state_start(const char *path);
void strata_state_save(const strata_state *st); /* render thread: never waits on disk */
void strata_state_stop(void);
/* false when there is nothing to resume; a file that exists but cannot be used (not a
 * regular file, not JSON, another version, fields missing) is logged as
 * "STATE: state ignored: PATH: WHY". */
bool strata_state_load(const char *path, strata_state *st);
/* The file's text for st (malloc'd, newline-terminated); NULL when a string is not UTF-8. */
char *strata_state_format(const strata_state *st);

#endif
