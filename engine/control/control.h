/* strata control: parameters, modulation routes, the tempo clock, OSC and Ableton Link.
 *
 * What it is
 *   - The parameter registry (params.def): every controllable value declared once. The
 *     registry gives it an id (STRATA_P_<name>), a range, a default, a smoothing time, an
 *     OSC address /strata/<name>, a preset key, a shader uniform u_<name>, a
 *     --list-params row and a docs/OSC.md entry. strata_params holds the live values:
 *     base (last set), smoothed, mod (this frame's modulation) and value (what passes read).
 *   - Modulation routes: source (audio snapshot, tempo clock, LFO) -> parameter, with an
 *     amount, a curve and attack/release, evaluated once per frame into strata_params.mod.
 *   - The tempo clock: sources internal, tap, audio beat tracker, Ableton Link, and a
 *     frame clock for offline render (the app passes time = frame / fps).
 *   - The OSC server (UDP, or TCP), its own thread. Packets are parsed by liblo's
 *     validating deserialiser; bundles are unpacked here so that a bundle is applied whole
 *     in one frame and a future timetag waits for its frame. See docs/OSC.md.
 *
 * Step by step (the app, i.e. engine/app)
 *   setup:   strata_control_config cfg = {0};     zero is default: port 8000, UDP, all
 *            cfg.osc_port = ...;                   senders, screenshots in the state dir
 *            strata_control *ctl = strata_control_create(&cfg, &r);  NULL + r on failure
 *            strata_params_init(&params);  then --set NAME=VALUE via strata_params_set_arg,
 *            --route via strata_control_route_parse, --bpm via strata_control_set_bpm,
 *            --link via strata_control_set_link(ctl, true).
 *   frame:   1. audio snapshot (strata_audio_frame), once
 *            2. strata_control_apply(ctl, &frame): drains OSC commands due this frame,
 *               applies them to params and tempo, calls cfg.on_command for the others
 *               (scene, key, screenshot, get of non-control names), advances the tempo
 *               clock, evaluates routes into params.mod, runs strata_params_update(dt)
 *               and sends subscriber feedback (<= 30 Hz). After it, params.value[] and
 *               frame.tempo are this frame's values.
 *            3. traverse, morph, fx, output ... reading params.value[] and frame.tempo.
 *   key T:   strata_control_tap(ctl) (render thread), same as /strata/tempo/tap.
 *   exit:    strata_control_destroy(ctl).
 *
 * Command line the app wires (each maps to one call or config field)
 *   --osc-port N         cfg.osc_port (default 8000; -1 in cfg.osc_disabled for render mode)
 *   --osc-bind ADDR      cfg.osc_bind (default 0.0.0.0)
 *   --osc-tcp            cfg.osc_tcp (OSC 1.0 size-prefixed TCP instead of UDP)
 *   --osc-allow CIDR[,CIDR]  cfg.osc_allow (e.g. "127.0.0.1/32,192.168.1.0/24")
 *   --link               strata_control_set_link(ctl, true)
 *   --route SPEC         strata_control_route_parse(ctl, SPEC, &r) (repeatable)
 *   --set NAME=VALUE     strata_params_set_arg(&params, ..., &r) (repeatable)
 *   --bpm F              strata_control_set_bpm(ctl, F)
 *   --list-params [--json]  strata_control_list_params(stdout, json), then exit
 *   strata bench --osc   strata_osc_flood_start + strata_control_stats (see below)
 *
 * Threads
 *   strata_params, routes, tempo and everything strata_control_apply touches belong to
 *   the render thread. The OSC thread (started by create) only parses packets and
 *   publishes commands: parameter sets outside bundles go to a per-parameter latest-value
 *   slot (a flood of one fader coalesces, last value wins, memory stays flat); everything
 *   else goes through a fixed-size SPSC queue of strata_cmd. Replies and feedback are sent
 *   by the render thread inside strata_control_apply with non-blocking UDP.
 *   The registry table is constant and can be read from any thread.
 *
 * Ownership
 *   create allocates everything (queue, pending list, sockets, thread); destroy frees it.
 *   Nothing allocates per message or per frame (Link is created on first use).
 *
 * Errors
 *   Setup returns NULL with a message. During a show nothing aborts: a bad message is
 *   answered with /strata/error s ("<address>: <reason>") to its sender and logged
 *   (rate-limited); an unknown or failing app command can be answered the same way with
 *   strata_control_reply_error.
 */
#ifndef STRATA_CONTROL_H
#define STRATA_CONTROL_H

#include <stdio.h>

#include "audio/audio.h"
#include "control/link.h"
#include "core/core.h"

/* ---- parameter registry ------------------------------------------------ */

typedef enum strata_param_id {
#define X(name, lo, hi, def, smooth, unit, key, desc) STRATA_P_##name,
#include "control/params.def"
#undef X
    STRATA_PARAM_COUNT
} strata_param_id;

typedef struct strata_param_def {
    const char *name;
    float min, max, def;
    float smooth_s; /* time constant of the one-pole smoother; 0 = immediate */
    const char *unit;
    char key; /* keyboard binding, 0 for none */
    const char *desc;
} strata_param_def;

extern const strata_param_def strata_param_defs[STRATA_PARAM_COUNT];

/* ---- dynamic parameters -------------------------------------------------
 * Beside the fixed registry, up to STRATA_PARAM_DYN_MAX parameters can be registered at
 * run time (an ISF shader's INPUTS, for instance). They take ids from STRATA_PARAM_COUNT
 * up to STRATA_PARAM_MAX - 1 and are everything a fixed one is: OSC address
 * /strata/<name>, --set, routes, MIDI mappings, OSCQuery, subscriber feedback. Their name
 * is 1..63 of [a-z0-9_] in segments joined by '/', e.g. "isf/kaleido/sides"; it may not
 * collide with a fixed one or a live one. Arrays indexed by parameter are
 * STRATA_PARAM_MAX long; loops over every parameter go to STRATA_PARAM_MAX and skip ids
 * that are not live (strata_param_live).
 *
 * Threads: register and unregister on the render thread (or setup, before the others
 * start). Any thread may find, test and copy (strata_param_find, strata_param_live,
 * strata_param_get): the table is a seqlock and a reader retries when a write raced it.
 * strata_param_def_of returns a pointer into the table: the render thread only. */
#define STRATA_PARAM_DYN_MAX 128
#define STRATA_PARAM_MAX (STRATA_PARAM_COUNT + STRATA_PARAM_DYN_MAX)
#define STRATA_PARAM_NAME_MAX 64

typedef enum strata_param_kind {
    STRATA_PARAM_FLOAT, /* the fixed registry is all floats */
    STRATA_PARAM_INT,   /* whole numbers min..max (ISF long) */
    STRATA_PARAM_BOOL,  /* 0 or 1 */
    STRATA_PARAM_EVENT, /* a trigger: 1 for the frame it is set, then 0 */
} strata_param_kind;

/* One parameter by value, safe to hold on any thread. */
typedef struct strata_param_info {
    char name[STRATA_PARAM_NAME_MAX];
    float min, max, def, smooth_s;
    char unit[16];
    char desc[160];
    char owner[48]; /* who registered it ("isf:kaleido"); "" for the fixed registry */
    strata_param_kind kind;
} strata_param_info;

/* Register a parameter; its value starts at def in every strata_params on its next
 * strata_params_update. Returns its id, or -1 with a message in r (bad or taken name,
 * min >= max, def outside, table full). An id freed last is reused last. */
int strata_param_register(const strata_param_info *in, strata_result *r);
/* Remove a dynamic parameter (a fixed one or a dead id: nothing happens). */
void strata_param_unregister(int id);
/* Whether id names a parameter now (fixed ones always). */
bool strata_param_live(int id);
/* Copy parameter id; false when it is not live. */
bool strata_param_get(int id, strata_param_info *out);
/* Changes whenever a dynamic parameter comes or goes (OSCQuery's PATH_CHANGED, a
 * subscriber's full resend). */
uint32_t strata_param_generation(void);
/* Render thread: the definition of a live id (fixed ones are strata_param_defs[id]),
 * NULL when not live. Valid until that id is unregistered. */
const strata_param_def *strata_param_def_of(int id);

typedef struct strata_params {
    float base[STRATA_PARAM_MAX];     /* last set value, clamped to the range */
    float smoothed[STRATA_PARAM_MAX]; /* base through the smoother */
    float mod[STRATA_PARAM_MAX];      /* sum of modulation this frame, in units of range */
    float value[STRATA_PARAM_MAX];    /* smoothed + mod, clamped: what passes read */
    uint32_t born[STRATA_PARAM_MAX];  /* dynamic ids: the registration this slot holds */
} strata_params;

/* All of these: any thread for the registry, the owner's thread for a strata_params. */
/* Find a parameter by name (fixed or live dynamic); -1 when unknown. */
int strata_param_find(const char *name);
void strata_params_init(strata_params *p);
/* Set the base value of one parameter (clamped). snap skips the smoothing. */
void strata_params_set(strata_params *p, int id, float v, bool snap);
/* Parse "NAME=VALUE" and set it (snap). False with a message in r when malformed. */
bool strata_params_set_arg(strata_params *p, const char *arg, strata_result *r);
/* Advance smoothing by dt seconds and recompute value from smoothed + mod. */
void strata_params_update(strata_params *p, float dt);

/* `strata --list-params`: a table, or a JSON array of {name,min,max,default,smoothing,
 * unit,key,osc,uniform,description}. Any thread. */
void strata_control_list_params(FILE *out, bool json);
/* Write docs/OSC.md (address space, parameter table, controller setup) from the
 * registry. `strata_control_docs docs/OSC.md` regenerates the committed file. */
void strata_control_write_docs(FILE *out);

/* ---- tempo clock --------------------------------------------------------- */

typedef enum strata_tempo_source {
    STRATA_TEMPO_INTERNAL, /* /strata/tempo/bpm, --bpm, or the default 120 */
    STRATA_TEMPO_TAP,      /* the average of the last taps */
    STRATA_TEMPO_AUDIO,    /* the audio beat tracker, while it is confident */
    STRATA_TEMPO_LINK,     /* an Ableton Link session */
    STRATA_TEMPO_AUDIO_HOLD, /* the tracker's last good tempo and phase, free-running */
    STRATA_TEMPO_MIDI,       /* MIDI clock in (engine/midi), while its ticks arrive */
} strata_tempo_source;

/* Why the source leads (strata_tempo_state.why); strata_tempo_reason() says it in words. */
typedef enum strata_tempo_why {
    STRATA_TEMPO_WHY_NO_AUDIO,   /* internal: no audio reading has led yet */
    STRATA_TEMPO_WHY_MANUAL,     /* internal: --bpm at start, /strata/tempo/bpm, manual mode */
    STRATA_TEMPO_WHY_TAP,        /* tap */
    STRATA_TEMPO_WHY_CONFIDENT,  /* audio: confidence at or above the upper threshold */
    STRATA_TEMPO_WHY_STABLE,     /* audio: a steady reading took the lead below the upper one */
    STRATA_TEMPO_WHY_KEPT,       /* audio: under the upper threshold, lead kept (hysteresis) */
    STRATA_TEMPO_WHY_FOLDED,     /* audio: an octave reading folded to the held level */
    STRATA_TEMPO_WHY_LOW,        /* audio-hold: confidence too low, or a dip in progress */
    STRATA_TEMPO_WHY_LEVEL,      /* audio-hold: a reading at another level must persist */
    STRATA_TEMPO_WHY_NO_INPUT,   /* audio-hold: the input stopped */
    STRATA_TEMPO_WHY_LINK,       /* an Ableton Link session */
    STRATA_TEMPO_WHY_MIDI,       /* MIDI clock in, running: its tempo and beat */
    STRATA_TEMPO_WHY_MIDI_STOPPED, /* MIDI clock in, stopped: its ticks give the tempo only */
} strata_tempo_why;

typedef enum strata_tempo_mode {
    STRATA_TEMPO_AUTO,   /* link if on, else audio when confident, else internal/tap */
    STRATA_TEMPO_MANUAL, /* internal/tap only (set by a tap or a bpm, until "auto") */
} strata_tempo_mode;

/* What the render thread reads each frame. */
typedef struct strata_tempo_state {
    double bpm;
    double beat;       /* fractional beat count since the clock started */
    float beat_phase;  /* 0..1 within the beat */
    float bar_phase;   /* 0..1 within the bar */
    float beat_pulse;  /* 1 at each beat, decaying over the beat (exp) */
    int beats_per_bar; /* 4 */
    strata_tempo_source source;
    int link_peers; /* peers in the Link session, 0 when Link is off */
    /* --- why the source leads (audio-follow details; zero for other sources) */
    strata_tempo_why why;
    float audio_bpm;        /* the tracker's reading this frame, 0 when none */
    float audio_confidence; /* its confidence */
    float why_seconds;      /* how long the condition behind `why` has held */
    float why_threshold;    /* the confidence threshold or the seconds it is measured against */
} strata_tempo_state;

/* The tempo clock; plain data, render thread only. */
typedef struct strata_tempo {
    strata_tempo_state st;
    strata_tempo_mode mode;
    double bpm_manual; /* internal/tap tempo */
    bool tapped;       /* the manual tempo came from taps */
    double taps[8];    /* times of the last taps, seconds */
    int ntaps;
    double time; /* time of the last advance */
    bool started;
    float audio_confidence; /* the tracker takes the lead at or above this (0.3) */
    float audio_confidence_off; /* ... and keeps it until below this for audio_lose_s (0.15) */
    float audio_lose_s;         /* 2 s */
    /* --- audio follow state (tempo.c) */
    bool audio_lead;   /* the tracker leads (AUTO mode) */
    bool audio_held;   /* a level exists: the tracker led once; held when it loses the lead */
    double level_bpm;  /* the tempo level the clock holds, at which readings are folded */
    double low_since;  /* when confidence fell below the lower threshold, <0 when above */
    double cand_bpm;   /* a reading at another level waiting to persist */
    double cand_since; /* since when, <0 when none */
    double steady_bpm; /* a reading watched for steadiness (acquisition below the upper) */
    double steady_since;
    /* --- MIDI clock in (strata_tempo_set_midi before each advance) */
    bool midi_active, midi_running, midi_led;
    double midi_bpm, midi_beat;
    double midi_offset; /* whole bars added to the clock's beat: ours never runs back */
} strata_tempo;

const char *strata_tempo_source_name(strata_tempo_source s);
/* MIDI clock in (engine/midi's clock state), set before each advance. While active it
 * leads in either mode (Link, when on, stays above it): its tempo, and while running its
 * beat (plus whole bars, so the clock's beat never runs back at a Start). When it stops
 * (no tick for 0.5 s), its last tempo holds as the internal one. Render thread. */
void strata_tempo_set_midi(strata_tempo *t, bool active, bool running, double bpm, double beat);
/* One line on why the source leads, for --stats, the overlay and the log, e.g.
 * "audio: confidence 0.72 >= 0.30", "audio-hold: confidence 0.12 < 0.15 for 3.1 s, holding
 * 109.0", "internal: no audio yet", "tap", "link: 2 peers". Writes at most n bytes
 * (NUL included) into buf and returns buf. Any thread (reads only st). */
const char *strata_tempo_reason(const strata_tempo_state *st, char *buf, size_t n);
void strata_tempo_init(strata_tempo *t, double bpm);
/* Advance to time `now` (seconds on the caller's clock: monotonic live, frame / fps in
 * render). audio may be NULL. Link is followed by the control module, not here.
 * A step of any size advances the beat by its time: offline a 1 fps step is a second,
 * live a stall is time in which the band kept playing. A `now` before the last holds.
 * In AUTO mode the tracker takes the lead at confidence >= audio_confidence (or after a
 * reading steady within 1 % for 4 s at >= audio_confidence_off) and keeps it until the
 * confidence stays under audio_confidence_off for audio_lose_s; then the clock free-runs
 * on the last good tempo and phase (AUDIO_HOLD), never back to 120. A reading at twice
 * or half the held level is folded to it (tempo and phase); one at 3/2, 2/3, 4/3 or 3/4
 * must persist 8 s (16 s for octaves, 2 s for an unrelated tempo) before the clock
 * follows. Phase is slewed, never stepped: each frame advances between 0.5 and 1.5 times
 * dt * bpm / 60 beats, so a half-beat jump of the tracker is absorbed in about a beat. */
void strata_tempo_advance(strata_tempo *t, double now, const strata_audio_frame *audio);
/* A tap at time `at`: average of the last taps, a gap over 2 s starts again. Moves the
 * phase so that the tap lands on a beat. Pins the mode to manual. */
void strata_tempo_tap(strata_tempo *t, double at);
void strata_tempo_set_bpm(strata_tempo *t, double bpm); /* clamps 20..999, pins manual */
/* Make `now` a downbeat (bar start). */
void strata_tempo_resync(strata_tempo *t);

/* ---- modulation routes ----------------------------------------------------- */

typedef enum strata_mod_source {
    STRATA_SRC_LEVEL,
    STRATA_SRC_BASS,
    STRATA_SRC_MID,
    STRATA_SRC_HIGH, /* fast, 0..1 */
    STRATA_SRC_LEVEL_SLOW,
    STRATA_SRC_BASS_SLOW,
    STRATA_SRC_MID_SLOW,
    STRATA_SRC_HIGH_SLOW,
    STRATA_SRC_ONSET,
    STRATA_SRC_KICK,
    STRATA_SRC_SNARE,
    STRATA_SRC_HAT,
    STRATA_SRC_AUDIO_BEAT, /* the tracker's beat pulse */
    STRATA_SRC_BEAT_PHASE,
    STRATA_SRC_BAR_PHASE,
    STRATA_SRC_BEAT_PULSE, /* tempo clock */
    STRATA_SRC_SINE,
    STRATA_SRC_TRI,
    STRATA_SRC_SAW,
    STRATA_SRC_SQUARE, /* LFOs, 0..1 */
    STRATA_SRC_COUNT
} strata_mod_source;

typedef enum strata_mod_curve {
    STRATA_CURVE_LINEAR,
    STRATA_CURVE_EXP,
    STRATA_CURVE_LOG,
    STRATA_CURVE_SMOOTH,
    STRATA_CURVE_STEP,
    STRATA_CURVE_COUNT
} strata_mod_curve;

typedef struct strata_route {
    strata_mod_source src;
    int param;    /* strata_param_id */
    float amount; /* in units of the parameter's range; may be negative */
    strata_mod_curve curve;
    float attack_s, release_s; /* envelope follower on the curved source; 0 = immediate */
    float rate;                /* LFOs: cycles per second, or per beat when rate_beats */
    bool rate_beats;
    float phase;    /* LFOs: phase offset 0..1 */
    bool bipolar;   /* map the 0..1 source to -1..1 before the amount */
    float env;      /* state: follower output */
    double lfo_pos; /* state: LFO position in cycles (for Hz rates) */
} strata_route;

#define STRATA_ROUTES_MAX 64

typedef struct strata_routes {
    strata_route r[STRATA_ROUTES_MAX];
    int n;
} strata_routes;

const char *strata_mod_source_name(strata_mod_source s);
const char *strata_mod_curve_name(strata_mod_curve c);
/* Parse a route: SRC>PARAM*AMOUNT[,OPTION...]
 *   SRC     level|bass|mid|high[.slow], onset, kick, snare, hat, beat (audio tracker),
 *           beat_phase, bar_phase, beat_pulse (tempo clock), sine|tri|saw|square@RATE
 *           where RATE is NUMBERhz (cycles per second) or NUMBERb (beats per cycle)
 *   OPTION  curve=linear|exp|log|smooth|step, attack=SECONDS, release=SECONDS,
 *           phase=0..1, bipolar
 *   e.g. "bass>glitch*0.6,curve=exp,release=0.2"  "sine@4b>hue*0.2,bipolar"
 * Any thread (pure). False with a message in r when malformed. */
bool strata_route_parse(const char *spec, strata_route *out, strata_result *r);
/* Write a route back in the same syntax (for presets and logs). */
void strata_route_format(const strata_route *rt, char *buf, size_t n);
/* Zero params->mod, then add every route's contribution. audio may be NULL (silence).
 * Render thread. */
void strata_routes_eval(strata_routes *rs, const strata_tempo_state *tempo,
                        const strata_audio_frame *audio, float dt, strata_params *params);

/* ---- OSC commands ---------------------------------------------------------- */

typedef enum strata_cmd_type {
    STRATA_CMD_NONE,
    STRATA_CMD_SET,   /* param, value */
    STRATA_CMD_SCENE, /* ival >= 0: index; ival < 0: by name in str */
    STRATA_CMD_SCENE_NEXT,
    STRATA_CMD_SCENE_PREV,
    STRATA_CMD_KEY,       /* ival keyframe, value seconds (<0: the app's default) */
    STRATA_CMD_TEMPO_BPM, /* value */
    STRATA_CMD_TEMPO_TAP,
    STRATA_CMD_TEMPO_RESYNC,
    STRATA_CMD_TEMPO_SOURCE, /* str: auto|manual */
    STRATA_CMD_LINK,         /* ival 0/1 */
    STRATA_CMD_GET,          /* str: a parameter, tempo/..., link, or passed to the app */
    STRATA_CMD_SUBSCRIBE,    /* ival: reply port, 0 = the sender's port */
    STRATA_CMD_UNSUBSCRIBE,
    STRATA_CMD_SCREENSHOT, /* str: a bare file name ([A-Za-z0-9._-]+.png) that did not
                              exist in strata_control_screenshot_dir when checked */
    STRATA_CMD_PING,
    STRATA_CMD_MIDI_LEARN, /* str: a parameter to arm for MIDI learn, "" disarms (the app) */
    STRATA_CMD_ERROR,      /* internal: str is the reply to send to the sender */
    STRATA_CMD_BUNDLE_END, /* internal: closes bundle `bundle` */
    STRATA_CMD_COUNT
} strata_cmd_type;

#define STRATA_CMD_STR 120

/* One command, fixed size, as it travels the queue. */
typedef struct strata_cmd {
    uint16_t type;   /* strata_cmd_type */
    int16_t param;   /* STRATA_CMD_SET: strata_param_id */
    uint32_t bundle; /* outermost bundle id, 0 when not in a bundle */
    float value;
    int32_t ival;
    uint64_t timetag;       /* OSC NTP 32.32; 0 or 1 = immediately */
    uint64_t recv_ns;       /* strata_time_ns() at receive, for latency */
    uint64_t recv_frame;    /* apply count at receive, for latency in frames */
    unsigned char from[28]; /* sender sockaddr (in or in6), from_len 0 when unknown */
    uint8_t from_len;
    uint8_t complete; /* render thread: its bundle has fully arrived */
    uint8_t tcp_slot; /* 1 + the TCP client it came from (replies go back there); 0: UDP */
    uint32_t tcp_gen; /* that connection's generation, so a reply never reaches a newer one */
    char str[STRATA_CMD_STR];
} strata_cmd;

typedef struct strata_control strata_control;

/* Called by strata_control_apply on the render thread for commands the control module
 * does not handle itself: SCENE, SCENE_NEXT/PREV, KEY, SCREENSHOT, and GET of names it
 * does not know. Return false when the command failed or the name is unknown: the
 * sender then gets /strata/error. The app may also reply itself with
 * strata_control_reply_value / strata_control_reply_error. */
typedef bool (*strata_control_command_fn)(strata_control *ctl, const strata_cmd *cmd, void *user);

/* Whether "CIDR[,CIDR]" is a valid --osc-allow list (r names the bad entry). Pure; the
 * command line checks with it before anything starts. */
bool strata_control_check_allow(const char *list, strata_result *r);
/* Whether a peer at addr (a sockaddr_in or sockaddr_in6 of len bytes) is inside the
 * control's --osc-allow list; true when there is no list. Any thread: the list is fixed
 * after create. OSCQuery's HTTP and WebSocket accept ask it. Silent (not counted). */
bool strata_control_allowed(const strata_control *ctl, const void *addr, size_t len);

typedef struct strata_control_config {
    int osc_port;               /* 0 = 8000; -1 = any free port (tests) */
    bool osc_disabled;          /* no server (render mode, tests of routes/tempo) */
    const char *osc_bind;       /* NULL = 0.0.0.0 */
    bool osc_tcp;               /* TCP (size-prefixed packets) instead of UDP */
    const char *osc_allow;      /* "CIDR[,CIDR]" or NULL for everyone */
    /* Screenshots go only here, as bare names; NULL = $XDG_STATE_HOME/strata/screenshots
     * (~/.local/state/strata/screenshots), made on first use. */
    const char *screenshot_dir;
    int screenshot_max_files;      /* the folder's budget: 0 = 500 files */
    int screenshot_max_mb;         /* and 0 = 1024 MB */
    double subscribe_lifetime_s;   /* a subscription not renewed ends: 0 = 60 s */
    double osc_tcp_idle_s;         /* a silent TCP client is closed: 0 = 300 s */
    double osc_tcp_frame_s;        /* a packet half-sent this long: closed, 0 = 5 s */
    /* A command that waited this long for its time is dropped (a wall clock stepped
     * back must not hold it forever): 0 = the 10 s horizon + 2 s. */
    double pending_limit_s;
    double bpm;                 /* 0 = 120 */
    bool link;                  /* join Ableton Link at start */
    int queue_size;             /* 0 = 4096 commands */
    strata_control_command_fn on_command;
    void *user;
} strata_control_config;

/* Per frame, filled by the app, completed by strata_control_apply. */
typedef struct strata_control_frame {
    strata_params *params;           /* in/out */
    const strata_audio_frame *audio; /* in, NULL = silence */
    double time;              /* in: seconds; strata_time_s() live, frame / fps in render mode */
    float dt;                 /* in: seconds since the last frame */
    strata_tempo_state tempo; /* out */
    int applied;              /* out: commands and parameter sets applied */
} strata_control_frame;

/* Setup thread. Starts the OSC thread unless cfg->osc_disabled. */
strata_control *strata_control_create(const strata_control_config *cfg, strata_result *r);
void strata_control_destroy(strata_control *ctl);
/* The port actually bound (tests use osc_port -1), 0 when disabled. Any thread. */
int strata_control_port(const strata_control *ctl);
/* The folder screenshots go to (absolute). Any thread. The app writes a SCREENSHOT
 * command's name there without ever replacing a file (strata_writer_set_exclusive). */
const char *strata_control_screenshot_dir(const strata_control *ctl);

/* Render thread, once per frame at its one apply point. */
void strata_control_apply(strata_control *ctl, strata_control_frame *frame);

/* An OSC alias of the running scene: one number x to `address` sets `param` to
 * lo + x * (hi - lo). Presets declare them (e.g. "/band/fader1" -> glitch 0..0.8). */
#define STRATA_CONTROL_MAX_ALIASES 32
typedef struct strata_control_alias {
    char address[64];
    int param;
    float lo, hi;
} strata_control_alias;
/* Render thread: replace the alias table (n 0 clears it; addresses under /strata/ are
 * ignored). Wait-free for the OSC thread. */
void strata_control_set_aliases(strata_control *ctl, const strata_control_alias *a, int n);
/* Any thread: copy the alias table now in force (at most max entries); returns how many
 * (0 when it kept changing under the copy). OSCQuery's namespace reads it. */
int strata_control_get_aliases(const strata_control *ctl, strata_control_alias *out, int max);

/* Render thread: the T key, and command-line setup. */
void strata_control_tap(strata_control *ctl);
void strata_control_set_bpm(strata_control *ctl, double bpm);
/* MIDI clock in (strata_tempo_set_midi on the module's clock): the app calls it each frame
 * before strata_control_apply. */
void strata_control_set_midi_clock(strata_control *ctl, bool active, bool running, double bpm,
                                   double beat);
/* Join (true) or leave an Ableton Link session. False with a log line when Link fails. */
bool strata_control_set_link(strata_control *ctl, bool on);
const strata_tempo_state *strata_control_tempo(const strata_control *ctl);
strata_routes *strata_control_routes(strata_control *ctl);
/* Parse and add a route (the --route option). */
bool strata_control_route_parse(strata_control *ctl, const char *spec, strata_result *r);

/* Render thread, inside on_command or right after apply: answer a command's sender. */
void strata_control_reply_value(strata_control *ctl, const strata_cmd *cmd, const char *name,
                                float v);
void strata_control_reply_error(strata_control *ctl, const strata_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Format a command's sender as "host:port" ("-" when unknown). Any thread. */
void strata_control_cmd_sender(const strata_cmd *cmd, char *buf, size_t n);

typedef struct strata_control_stats {
    uint64_t packets;   /* packets received */
    uint64_t messages;  /* messages accepted */
    uint64_t coalesced; /* parameter sets overwritten before a frame applied them */
    uint64_t errors;    /* messages rejected (bad address, type, arity, malformed) */
    uint64_t denied;    /* packets from senders outside --osc-allow */
    uint64_t dropped;   /* commands lost to a full queue */
    uint64_t expired;   /* commands dropped after waiting past pending_limit_s */
    uint64_t applied;   /* commands and parameter sets applied */
    uint64_t frames;    /* strata_control_apply calls */
    int subscribers;    /* live subscriptions */
    /* receive-to-applied latency of the last (up to 4096) applied commands */
    int lat_count;
    double lat_p50_ms, lat_p99_ms, lat_max_ms;
    double lat_p50_frames, lat_p99_frames;
} strata_control_stats;

/* Render thread (reads its own latency samples, the OSC thread's counters atomically). */
void strata_control_stats_get(strata_control *ctl, strata_control_stats *s);
void strata_control_stats_reset(strata_control *ctl);

/* ---- OSC packets, the parsing entry point (fuzzed) ------------------------- */

/* Handle one packet as if it arrived from `from` (may be NULL). This is what the OSC
 * thread calls for each datagram; tests and the fuzzer call it directly on a control
 * created with osc_disabled. Thread: the OSC thread (or, when disabled, any one thread
 * that is not concurrently applying). Never crashes on any input. */
void strata_osc_handle_packet(strata_control *ctl, const void *data, size_t len, const void *from,
                              size_t from_len);

/* A load generator for `strata bench --osc` and the flood test: a thread sending
 * /strata/glitch f (a ramp) to host:port at `rate` messages per second. */
typedef struct strata_osc_flood strata_osc_flood;
strata_osc_flood *strata_osc_flood_start(const char *host, int port, double rate, double seconds,
                                         strata_result *r);
/* The same, flooding `address` (one float, a 0..1 ramp) instead of /strata/glitch. */
strata_osc_flood *strata_osc_flood_start_at(const char *host, int port, const char *address,
                                            double rate, double seconds, strata_result *r);
/* Waits for the thread; returns how many messages were sent. */
uint64_t strata_osc_flood_stop(strata_osc_flood *f);

/* ---- Ableton Link shim: see control/link.h (the C API of link.cpp) ---------- */

#endif
