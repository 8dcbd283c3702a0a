/* strata preset: presets (scenes), setlists and their hot reload.
 *
 * What it is
 *   - A preset is one JSON file describing a scene: its bank (and, for a bank of
 *     diffusion latents, the decoder model and the latent size), morph mode, traversal
 *     order, starting parameters, the glitch chain's shapes and order, modulation
 *     routes, its own OSC aliases and how switching into it looks. docs/PRESETS.md has
 *     the format with every key. Parsing is strict: unknown keys, wrong types, unknown
 *     names (parameters, effects, curves, modes, orders) and out-of-range values are
 *     errors, and every error reads "FILE:LINE:COLUMN: message", pointing at the
 *     offending key or value, so a VJ's editor can jump there.
 *   - A setlist is an ordered list of presets with dwell and transition times, for a
 *     concert or an installation (loop, opening hours, black or dimmed outside them).
 *     All its presets are loaded and validated when the setlist loads: a broken scene is
 *     found at soundcheck, not in the middle of the show.
 *   - A watcher thread re-parses changed preset files and hands the fresh presets to
 *     the render thread without it ever touching the disk.
 *
 * Step by step (the app)
 *   setup:  strata_setlist list;
 *           if (strata_setlist_load(path, &list, &r) != STRATA_OK) log r.msg, exit.
 *           apply list.entries[0].preset (bank, morph, params, fx, routes, aliases).
 *           const char *paths[N] = { list.entries[i].preset.path ... };
 *           strata_preset_watch *w = strata_preset_watch_start(paths, list.count);
 *   frame:  int i; strata_preset fresh;
 *           while (strata_preset_watch_poll(w, &i, &fresh)) { list.entries[i].preset =
 *               fresh; if i is the running scene, re-apply its parameters, fx, routes. }
 *   exit:   strata_preset_watch_stop(w); strata_setlist_free(&list);
 *   A preset's values are what the scene starts with; the engine applies them when it
 *   switches into the scene (bank loaded first, then the transition_s long transition).
 *
 * Threads
 *   load / parse / save / setlist_load: any thread; they read or write files, so on the
 *   render thread only at setup. strata_preset_default, strata_setlist_find and
 *   strata_setlist_is_open are pure and never block. The watcher: start and stop on the
 *   setup thread, poll on one consumer thread (the render thread); poll is wait-free
 *   (one atomic exchange per file) and does no I/O.
 *
 * Ownership
 *   strata_preset is plain data (no pointers): copy it freely. A strata_setlist owns its
 *   entries array (strata_setlist_free). The watcher copies the paths it is given.
 */
#ifndef STRATA_PRESET_H
#define STRATA_PRESET_H

#include "control/control.h"
#include "core/core.h"
#include "fx/fx.h"
#include "morph/morph.h"

#define STRATA_PRESET_MAX_ROUTES 32
#define STRATA_PRESET_MAX_ALIASES 32
#define STRATA_PRESET_MAX_ISF 4 /* "isf": ISF shaders per scene */
#define STRATA_PRESET_MAX_DYN_PARAMS 16 /* "params" of dynamic parameters per scene */
#define STRATA_PRESET_NEURAL_MAX 128 /* neural_size: the GPU decoder's latent limit a side */

/* An OSC alias of the preset: a message to `address` with one float 0..1 sets `param`
 * to lo + x * (hi - lo). e.g. "/band/fader1" -> glitch 0..0.8. */
typedef struct strata_preset_alias {
    char address[64];
    int param; /* strata_param_id */
    float lo, hi;
} strata_preset_alias;

/* ---- MIDI mappings ("midi" in a preset, or a per-controller map file) ---------
 * One binding: a control of a controller (a CC, a 14-bit CC pair, a note, the pitch
 * bend) -> a parameter (by name) or a trigger. Applied by engine/midi (see midi.h). */
#define STRATA_MIDI_MAX_BINDINGS 64

typedef enum strata_midi_src {
    STRATA_MIDI_SRC_CC,   /* "cc": 0..127, 7 bits */
    STRATA_MIDI_SRC_CC14, /* "cc14": 0..31, MSB on it and LSB on it + 32 (14 bits) */
    STRATA_MIDI_SRC_NOTE, /* "note": 0..127, velocity is the amount */
    STRATA_MIDI_SRC_BEND, /* "bend": true, 14 bits, centre 8192 */
} strata_midi_src;

typedef enum strata_midi_mode {
    STRATA_MIDI_ABSOLUTE,    /* the value is the position */
    STRATA_MIDI_REL_TWOS,    /* endless encoder: 1..63 up, 127..65 down (two's complement) */
    STRATA_MIDI_REL_OFFSET,  /* endless encoder: 65.. up, ..63 down, 64 none (binary offset) */
} strata_midi_mode;

typedef enum strata_midi_action {
    STRATA_MIDI_ACT_PARAM,      /* set "param" */
    STRATA_MIDI_ACT_SCENE_NEXT, /* "trigger": "scene_next" ... */
    STRATA_MIDI_ACT_SCENE_PREV,
    STRATA_MIDI_ACT_SCENE,      /* scene "index" (0-based, like /strata/scene) */
    STRATA_MIDI_ACT_KEY,        /* keyframe "index" */
    STRATA_MIDI_ACT_TAP,
    STRATA_MIDI_ACT_BURST,      /* an onset of the velocity's height: fires a glitch burst */
    STRATA_MIDI_ACT_COUNT
} strata_midi_action;

typedef struct strata_midi_binding {
    uint8_t src;    /* strata_midi_src */
    uint8_t mode;   /* strata_midi_mode (CC only) */
    uint8_t action; /* strata_midi_action */
    int8_t channel; /* 0..15, -1: any channel ("channel" in files is 1..16) */
    int16_t number; /* CC or note number */
    int16_t index;  /* SCENE, KEY */
    char param[STRATA_PARAM_NAME_MAX]; /* ACT_PARAM: a fixed or dynamic parameter's name */
    float lo, hi; /* the part of the range the control sweeps (units of the parameter) */
    bool has_lo, has_hi; /* else the parameter's min / max */
    float step;   /* relative modes: per encoder tick, in units of the range (0: 1/128) */
} strata_midi_binding;

typedef struct strata_midi_map {
    char name[64]; /* "name": the controller's (map files) */
    strata_midi_binding b[STRATA_MIDI_MAX_BINDINGS];
    int n;
} strata_midi_map;

/* Read a map file: {"name": "...", "bindings": [...]}, strict like presets (unknown keys,
 * wrong types, unknown parameters or triggers: "FILE:LINE:COLUMN: message"). A name with
 * a '/' is a dynamic parameter (an ISF input) and is looked up when applied; any other
 * must be in the fixed registry. Any thread (reads the file). */
strata_status strata_midi_map_load(const char *path, strata_midi_map *out, strata_result *r);
strata_status strata_midi_map_parse(const char *text, size_t len, const char *path_for_errors,
                                    strata_midi_map *out, strata_result *r);
/* One binding as a JSON object on one line ({"cc": 21, "param": "glitch"}), as the
 * files have it: what MIDI learn logs. Pure. */
void strata_midi_binding_format(const strata_midi_binding *b, char *buf, size_t n);
/* The names of strata_midi_action for files ("param" for ACT_PARAM). Pure. */
const char *strata_midi_action_name(strata_midi_action a);

typedef enum strata_preset_transition {
    STRATA_PRESET_TRANSITION_BLEND = 0, /* crossfade of both rendered scenes */
    STRATA_PRESET_TRANSITION_FLOW = 1,  /* flow morph between the two scene images */
} strata_preset_transition;

typedef struct strata_preset {
    char name[64];   /* "name", default: the file stem */
    char path[1024]; /* the file it came from ("" for the default scene) */
    /* "" = the built-in latent set; "latent:COUNT:DIM:SEED" = a generated latent set;
     * anything else is a path, resolved against the preset's folder to an absolute path. */
    char bank[1024];
    /* "model": the TAESD decoder a neural bank is decoded with; "" = none (a neural bank
     * then plays its previews). A path, resolved against the preset's folder like bank. */
    char model[1024];
    /* "neural_size": "WxH", the latent size the decoder runs at, 1..128 a side; 0 x 0 =
     * auto (from the render size, smaller on a software rasteriser). */
    int neural_w, neural_h;
    strata_morph_mode morph; /* valid when has_morph, else the app's --morph */
    bool has_morph;
    strata_order order; /* valid when has_order, else the app's --order */
    bool has_order;
    bool fill;           /* "fit": "fill" crops to cover, "fit" letterboxes (default) */
    uint64_t seed;       /* traversal and every other random choice of the scene (default 1) */
    float transition_s;  /* how long switching INTO this scene takes (default 4) */
    int transition_kind; /* strata_preset_transition (default blend) */
    float dwell_s;       /* installation auto-advance dwell (default 120) */
    /* Starting parameters; those not named keep their current value. */
    bool has_param[STRATA_PARAM_COUNT];
    float param[STRATA_PARAM_COUNT];
    /* "params" naming dynamic parameters ("isf/plasma/speed": a name with a '/'): looked
     * up when the scene starts (the shader may load after the preset is read), clamped
     * to their range then; one not there is logged. */
    struct {
        char name[STRATA_PARAM_NAME_MAX];
        float value;
    } dyn_param[STRATA_PRESET_MAX_DYN_PARAMS];
    int n_dyn_params;
    /* Per-effect glitch shape; effects not named keep the chain's default shape. The
     * amounts themselves are the parameters fx_<name>. */
    struct {
        bool set;
        strata_fx_shape shape;
    } fx[STRATA_FX_COUNT];
    /* Chain order; n_order_fx 0 = the chain's default order (all effects). */
    strata_fx_effect order_fx[STRATA_FX_COUNT];
    int n_order_fx;
    strata_route routes[STRATA_PRESET_MAX_ROUTES]; /* replace the scene's routes */
    int n_routes;
    strata_preset_alias aliases[STRATA_PRESET_MAX_ALIASES];
    int n_aliases;
    /* "midi": {"bindings": [...]}: the scene's MIDI mappings, added to --midi-map's
     * while the scene runs; n 0 = none. */
    strata_midi_map midi;
    /* "isf": a path or an array of up to STRATA_PRESET_MAX_ISF paths (resolved like
     * bank) of ISF shaders the scene runs: the app loads them at start and turns them on
     * while the scene is on screen (docs/ISF.md). */
    char isf[STRATA_PRESET_MAX_ISF][512];
    int n_isf;
} strata_preset;

/* The embedded default scene (what runs without a preset): name "default", built-in
 * latent set, app's morph and order, no parameters, fx or routes of its own. Pure. */
void strata_preset_default(strata_preset *p);
/* Read and parse a preset file. On error *out is untouched and r->msg is
 * "FILE:LINE:COLUMN: message" ("FILE: reason" when the file cannot be read). */
strata_status strata_preset_load(const char *path, strata_preset *out, strata_result *r);
/* Parse preset text; path_for_errors names the file in messages, gives the default name
 * (its stem) and the folder relative bank paths resolve against (NULL: "<preset>", cwd). */
strata_status strata_preset_parse(const char *text, size_t len, const char *path_for_errors,
                                  strata_preset *out, strata_result *r);
/* Write p as a preset file atomically (temp + fsync + rename). Loading it back gives the
 * same struct except path (the bank is written relative to the file's folder when it
 * lies below it). */
strata_status strata_preset_save(const char *path, const strata_preset *p, strata_result *r);
/* Write p's JSON text into a malloc'd NUL-terminated string (*out, caller frees). */
strata_status strata_preset_format(const strata_preset *p, const char *path, char **out,
                                   strata_result *r);

/* ---- setlists ------------------------------------------------------------- */

typedef struct strata_setlist_entry {
    strata_preset preset;
    float dwell_s;      /* from the setlist entry, else the preset's dwell_s */
    float transition_s; /* from the setlist entry, else the preset's transition_s */
} strata_setlist_entry;

typedef enum strata_setlist_outside {
    STRATA_SETLIST_OUTSIDE_BLACK = 0,
    STRATA_SETLIST_OUTSIDE_DIM = 1,
} strata_setlist_outside;

typedef struct strata_setlist {
    char name[64]; /* "name", default: the file stem */
    char path[1024];
    int count;                     /* >= 1 */
    strata_setlist_entry *entries; /* owned; presets loaded and validated at load */
    bool loop;                     /* after the last scene comes the first (default true) */
    /* Installation opening hours, minutes after midnight; close < open runs overnight,
     * close == open is open around the clock. Without hours: always open. */
    bool has_hours;
    int open_min, close_min;
    int outside; /* strata_setlist_outside */
    float dim;   /* brightness outside hours when dimmed, 0..1 (default 0.15) */
} strata_setlist;

/* Load a setlist ({"scenes": [...]}) or a single preset file (a setlist of one). Preset
 * paths resolve against the setlist's folder. On error *out is empty and r->msg is
 * "FILE:LINE:COLUMN: message" (the preset's own position when a preset is broken). */
strata_status strata_setlist_load(const char *path, strata_setlist *out, strata_result *r);
void strata_setlist_free(strata_setlist *s);
/* Index of the scene whose preset is named `name`, -1 when none. Pure. */
int strata_setlist_find(const strata_setlist *s, const char *name);
/* Whether the installation is open at minute_of_day (0..1439, taken modulo a day). */
bool strata_setlist_is_open(const strata_setlist *s, int minute_of_day);

/* ---- hot reload ----------------------------------------------------------- */

/* A watcher thread stats the files every 250 ms (mtime, size, inode: an atomic rename
 * is seen even within one timestamp tick), re-parses a changed one and leaves the result
 * in that file's one-slot mailbox (an atomic pointer swap; an unclaimed older result is
 * replaced). A broken edit is logged once ("PRESET: FILE:LINE:COLUMN: ...") and not handed
 * over: the running scene stays. Returns NULL when the thread cannot start. */
typedef struct strata_preset_watch strata_preset_watch;
strata_preset_watch *strata_preset_watch_start(const char *const *paths, int n);
/* Consumer thread: take one freshly parsed preset (for file *index) if any; false when
 * none is waiting. Wait-free, no I/O. Call in a loop to drain. */
bool strata_preset_watch_poll(strata_preset_watch *w, int *index, strata_preset *out);
/* How many broken edits the watcher has reported (tests, overlay). Any thread. */
uint64_t strata_preset_watch_errors(const strata_preset_watch *w);
/* Stops the thread (waits at most one poll period) and frees everything. NULL is fine. */
void strata_preset_watch_stop(strata_preset_watch *w);

#endif
