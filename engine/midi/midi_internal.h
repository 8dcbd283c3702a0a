/* Shared by the files of engine/midi: the module's state, grouped by owner. */
#ifndef STRATA_MIDI_INTERNAL_H
#define STRATA_MIDI_INTERNAL_H

#include <pthread.h>

#include "midi/midi.h"

#define MIDI_QUEUE_EVENTS 1024 /* a port's queue: ~5 s of a dense controller per frame */

enum { PORT_FREE, PORT_OPEN, PORT_GONE };

typedef struct midi_port {
    struct strata_midi *m;
    int slot;
    strata_queue q; /* made at create, never freed before destroy */
    /* --- the port's MIDI thread (RtMidi's callback) only */
    strata_midi_parser parser;
    /* --- the port thread only */
    void *in; /* RtMidiInPtr */
    char name[128];
    /* --- shared */
    STRATA_ATOMIC(int) state;
    STRATA_ATOMIC(uint64_t) events, junk;
} midi_port;

/* A binding as the render thread keeps it: the file's, and what it resolved to. */
typedef struct midi_bind {
    strata_midi_binding b;
    int param;        /* resolved id, -1 when not live */
    uint32_t gen;     /* strata_param_generation at resolution, +1 (0: never) */
    uint8_t msb;      /* CC14: the last MSB */
} midi_bind;

enum { MAP_LEARNED, MAP_SCENE, MAP_FILES, MAP_COUNT };

struct strata_midi {
    strata_midi_config cfg;
    char spec[128]; /* cfg.ports, copied */
    char client[64];
    int api;         /* RtMidiApi in use */
    midi_port ports[STRATA_MIDI_MAX_PORTS];
    /* --- the port thread */
    pthread_t thread;
    bool thread_started;
    STRATA_ATOMIC(bool) stop;
    void *lister; /* RtMidiInPtr: the port list */
    bool said_none;
    char index_name[128]; /* --midi INDEX resolved to a name at the first scan */
    /* --- clock out (clock_out.c): published by the render thread, read by its thread */
    char out_spec[128];
    pthread_t out_thread;
    bool out_started;
    STRATA_ATOMIC(uint32_t) out_seq;
    STRATA_ATOMIC(double) out_t, out_bpm, out_beat;
    STRATA_ATOMIC(bool) out_mute;
    /* --- the render thread */
    midi_bind maps[MAP_COUNT][STRATA_MIDI_MAX_BINDINGS];
    int nmaps[MAP_COUNT];
    strata_midi_clock clock;
    int clock_port; /* the port the clock follows, -1 none */
    char learn[STRATA_PARAM_NAME_MAX]; /* armed parameter, "" none */
    char learned[160];                 /* the last binding learned, for the overlay */
    uint64_t applied, dropped;
};

/* map.c: one event from the queues (render thread). */
void strata_midi_map_event(strata_midi *m, const strata_midi_event *ev, strata_midi_frame *f);

/* clock_out.c */
bool strata_midi_clock_out_start(strata_midi *m, strata_result *r);
void strata_midi_clock_out_stop(strata_midi *m);

/* device.c: the port thread and RtMidi. */
bool strata_midi_ports_start(strata_midi *m, strata_result *r);
void strata_midi_ports_stop(strata_midi *m);
/* Parse bytes into slot's queue (the RtMidi callback and strata_midi_inject). */
void strata_midi_port_feed(midi_port *p, const uint8_t *bytes, size_t n, uint64_t t_ns);

#endif
