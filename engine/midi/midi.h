/* strata midi: MIDI controllers and MIDI clock in.
 *
 * What it is
 *   - Ports: RtMidi's C API (ALSA sequencer or JACK). `--midi NAME|INDEX|all` opens the
 *     input ports whose name contains NAME (case-insensitive), the one at INDEX of
 *     --list-midi, or every port. A thread polls the port list once a second: a matching
 *     port that appears (a controller plugged in mid-show) is opened, one that goes away is
 *     logged, and nothing else happens (its bindings stay; it is opened again if it comes
 *     back).
 *   - A byte parser (parse.c) per port, on the MIDI thread (RtMidi's callback): running
 *     status, system realtime bytes interleaved anywhere, sysex and junk skipped. Each
 *     complete message becomes a fixed-size strata_midi_event in that port's lock-free SPSC
 *     queue (strata_queue). Nothing allocates or locks there.
 *   - Mappings (map.c): CC (absolute, or relative encoders in two's-complement and offset
 *     forms), 14-bit CC pairs (MSB n, LSB n + 32), notes (velocity as the amount) and the
 *     pitch bend -> a parameter by name (fixed or dynamic), or a trigger (scene next/prev/
 *     index, keyframe, tap, burst). MIDI learn: arm a parameter, the next control moved is
 *     bound to it.
 *   - Clock in (clock.c): 24 ticks a beat, tempo from a least-squares line through the
 *     last two beats of tick times (the jitter of a USB or JACK period averages out),
 *     start / stop / continue and song position.
 *
 * Step by step (the app)
 *   setup:   strata_midi_config mc = {.ports = "all"};  zero is default: no ports
 *            strata_midi *m = strata_midi_create(&mc, &r);     NULL + r on failure
 *            strata_midi_add_map(m, &map_from_file);           --midi-map (repeatable)
 *   scene:   strata_midi_set_scene_map(m, &preset.midi);       the preset's "midi"
 *   frame:   before strata_control_apply, on the render thread:
 *            strata_midi_frame f = {.params = &params, .now = strata_time_s()};
 *            strata_midi_apply(m, &f);   sets parameters, fills f.triggers and f.clock
 *            then the app runs the triggers (scene, key, tap, burst) as OSC's commands do
 *            and hands f.clock to the tempo clock.
 *   learn:   strata_midi_learn(m, "glitch") (render thread): the next control moved binds.
 *   exit:    strata_midi_destroy(m).
 *
 * Threads
 *   create / destroy / list: the setup thread. The port thread (hot-plug) and RtMidi's
 *   input threads (one per open port with ALSA or JACK) are the producers, one per queue;
 *   everything else (apply, learn, maps, status) is the render thread's. The parser and
 *   the clock estimator are plain data and pure (any one thread).
 *
 * Ownership
 *   create allocates every queue (one per port slot) and starts the port thread; destroy
 *   closes the ports, joins and frees. Nothing allocates per message or per frame.
 *
 * Errors
 *   No MIDI system (no ALSA sequencer, no JACK server) is not an error: create succeeds,
 *   logs once and keeps looking. Bad bytes are counted and skipped; a full queue drops the
 *   event and counts it (strata_midi_stats).
 */
#ifndef STRATA_MIDI_H
#define STRATA_MIDI_H

#include <stdio.h>

#include "control/control.h"
#include "core/core.h"
#include "preset/preset.h"

/* ---- events and the byte parser (parse.c) --------------------------------- */

/* One complete channel or system message, as it travels a port's queue. */
typedef struct strata_midi_event {
    uint64_t t_ns;  /* strata_time_ns() when its last byte arrived */
    uint8_t status; /* 0x80..0xEF with the channel in the low nibble, or 0xF1..0xFF */
    uint8_t d1, d2; /* data bytes (0 when the message has fewer) */
    uint8_t port;   /* the port slot it came from */
} strata_midi_event;

typedef struct strata_midi_parser {
    uint8_t running; /* running status (a channel status), 0 when none */
    uint8_t data[2];
    uint8_t have, need; /* data bytes collected and needed for the current message */
    bool in_sysex;
    uint64_t junk; /* bytes that fit no message (data without status, cut messages) */
} strata_midi_parser;

/* Feed n bytes; each complete message calls emit(ev, user) with t_ns and port 0 (the
 * caller fills them). Realtime bytes (0xF8..0xFF) are emitted at once wherever they
 * come, without disturbing a message in progress. Sysex (F0..F7) is skipped whole.
 * Pure; any one thread. Never reads past n. */
void strata_midi_parse(strata_midi_parser *p, const uint8_t *bytes, size_t n,
                       void (*emit)(const strata_midi_event *ev, void *user), void *user);

/* ---- clock in (clock.c) ---------------------------------------------------- */

#define STRATA_MIDI_CLOCK_FIT 48 /* ticks in the tempo fit: two beats */

typedef struct strata_midi_clock {
    double ticks[STRATA_MIDI_CLOCK_FIT]; /* times of the last ticks (s), a ring */
    int nticks, pos;
    uint64_t count;  /* ticks since start (or song position), the beat is count / 24 */
    double last_t;   /* time of the last tick, < 0 when none */
    double bpm;      /* the fitted tempo, 0 until 12 ticks */
    bool running;    /* between start/continue and stop */
    bool seen;       /* a tick or transport message has come */
    bool first;      /* started or continued, its first tick not come yet */
} strata_midi_clock;

void strata_midi_clock_init(strata_midi_clock *c);
/* One realtime or song-position message at time t (seconds); others are ignored. */
void strata_midi_clock_event(strata_midi_clock *c, const strata_midi_event *ev, double t);

/* What the tempo clock reads each frame (f.clock). */
typedef struct strata_midi_clock_state {
    bool active;    /* ticks are arriving (the last under 0.5 s ago) at a fitted tempo */
    bool running;   /* transport: started or continued, not stopped */
    double bpm;     /* fitted */
    double beat;    /* beats since start / song position, extrapolated to now */
} strata_midi_clock_state;

void strata_midi_clock_state_at(const strata_midi_clock *c, double now,
                                strata_midi_clock_state *out);

/* ---- the module ------------------------------------------------------------- */

#define STRATA_MIDI_MAX_PORTS 16
#define STRATA_MIDI_MAX_TRIGGERS 32 /* per frame; more are dropped and counted */

typedef enum strata_midi_api {
    STRATA_MIDI_API_AUTO, /* ALSA when the sequencer exists (/dev/snd/seq), else JACK */
    STRATA_MIDI_API_ALSA,
    STRATA_MIDI_API_JACK,
} strata_midi_api;

typedef struct strata_midi_config {
    const char *ports;   /* NAME part, INDEX, "all", or NULL: none (learn and maps only) */
    strata_midi_api api; /* --midi-api */
    double poll_s;       /* hot-plug poll period: 0 = 1 s */
    const char *client;  /* the client name others see: NULL = "strata" */
    const char *clock_out; /* --midi-clock-out NAME|INDEX: an output port, NULL: none */
} strata_midi_config;

typedef struct strata_midi strata_midi;

typedef struct strata_midi_trigger {
    uint8_t action; /* strata_midi_action, never ACT_PARAM */
    int16_t index;  /* SCENE, KEY */
    float amount;   /* velocity / 127 */
} strata_midi_trigger;

typedef struct strata_midi_frame {
    strata_params *params; /* in/out: parameter sets land in base (smoothed as OSC's) */
    double now;            /* in: strata_time_s() */
    strata_midi_trigger triggers[STRATA_MIDI_MAX_TRIGGERS]; /* out */
    int ntriggers;                                         /* out */
    strata_midi_clock_state clock;                         /* out */
    int applied;                                           /* out: events applied */
} strata_midi_frame;

typedef struct strata_midi_stats {
    uint64_t events;  /* messages parsed */
    uint64_t junk;    /* bytes skipped */
    uint64_t dropped; /* events lost to a full queue, triggers past a frame's room */
    uint64_t applied; /* events that moved a binding */
    int ports_open;
} strata_midi_stats;

/* Setup thread. Never fails for want of a MIDI system (see Errors); NULL + r only when
 * memory or the thread cannot be had. */
strata_midi *strata_midi_create(const strata_midi_config *cfg, strata_result *r);
void strata_midi_destroy(strata_midi *m);
/* `strata --list-midi`: index and name of every input port, one a line. Setup thread. */
void strata_midi_list(FILE *out, strata_midi_api api);
/* Whether a --midi value and a --midi-api value are well-formed. Pure. */
bool strata_midi_parse_api(const char *s, strata_midi_api *out);

/* Render thread. Maps: --midi-map files (added, kept) and the running scene's (replaced
 * on each scene change); a control bound in both goes to the last learned, then the
 * scene's, then the files'. */
bool strata_midi_add_map(strata_midi *m, const strata_midi_map *map, strata_result *r);
void strata_midi_set_scene_map(strata_midi *m, const strata_midi_map *map);
/* Drain every port's queue and apply (render thread, once a frame, before the control
 * module's apply so the sets are smoothed this frame). */
void strata_midi_apply(strata_midi *m, strata_midi_frame *f);
/* Arm MIDI learn for parameter `name` (NULL or "" disarms). False when unknown. */
bool strata_midi_learn(strata_midi *m, const char *name);
/* The parameter armed for learn, NULL when none. Render thread. */
const char *strata_midi_learn_armed(const strata_midi *m);
/* One line for the overlay: "MIDI: 2 ports  learn: glitch armed (move a control)" or
 * "learn: glitch <- cc 21 ch 1". Render thread. */
void strata_midi_status(const strata_midi *m, char *buf, size_t n);
/* The bindings in force (learned, scene, files) as a JSON array for --list-params --json;
 * caller frees. Render or setup thread. */
char *strata_midi_bindings_json(const strata_midi *m);
void strata_midi_stats_get(const strata_midi *m, strata_midi_stats *s);

/* MIDI clock out (--midi-clock-out): where strata's beat is now, once a frame after the
 * control module's apply (render thread). A thread sends Start, then a tick at each 24th
 * of a beat, at its time between frames; mute (the tempo comes from MIDI clock in) sends
 * nothing. Stop goes out at destroy. */
void strata_midi_clock_out_publish(strata_midi *m, double now, double bpm, double beat,
                                   bool mute);

/* `--list-params --json` (strata_control_list_params' array) with "midi": [...] added to
 * each parameter: the bindings of maps[k] that set it, each with "from": from[k] (a map
 * file, "scene NAME"). False when out of memory. Setup thread. */
bool strata_midi_list_params_json(FILE *out, const strata_midi_map *const *maps,
                                  const char *const *from, int nmaps);

/* Feed raw bytes as if port slot `port` had sent them at t_ns (tests, fuzz): the same
 * parser and queue the MIDI thread uses. Only while no real port is open on that slot. */
void strata_midi_inject(strata_midi *m, int port, const uint8_t *bytes, size_t n, uint64_t t_ns);

#endif
