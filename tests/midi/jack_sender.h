/* Tests: a JACK MIDI sender (a client with one MIDI output) and a private JACK server on
 * the dummy backend (no sound card). Bytes and clock ticks go out from JACK's process
 * callback, sample-accurate within the period. */
#ifndef STRATA_TEST_JACK_SENDER_H
#define STRATA_TEST_JACK_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Start `jackd -d dummy -r 48000 -p 256` as server `name` (JACK_DEFAULT_SERVER is set
 * for this process and its children) and wait until it answers (up to 10 s). NULL when
 * jackd is missing or does not come up (why in r). */
strata_proc *jsend_server_start(const char *name, strata_result *r);
void jsend_server_stop(strata_proc *p);

typedef struct jsend jsend;
/* A client `client` with a MIDI output "out", activated; NULL when no server. */
jsend *jsend_open(const char *client);
/* One MIDI event of these bytes (any bytes: junk too) at the start of the next period. */
bool jsend_bytes(jsend *s, const uint8_t *b, size_t n);
/* Send clock ticks at bpm from the next period on (0: no ticks). */
void jsend_clock(jsend *s, double bpm);
/* Connections of its output (strata's input port once it opened it). */
int jsend_connections(jsend *s);
void jsend_close(jsend *s);

/* A client `client` with a MIDI input "in" that records each event's first byte and the
 * wall-clock time of the period it came in (seconds, jack_get_time). */
typedef struct jrecv jrecv;
typedef struct jrecv_event {
    double t;
    uint8_t status;
} jrecv_event;
jrecv *jrecv_open(const char *client);
/* Take the next recorded event; false when none. */
bool jrecv_pop(jrecv *r, jrecv_event *ev);
void jrecv_close(jrecv *r);
/* The tempo of n clock ticks received at times t: the median beat over every span of four
 * beats (0: fewer than that). Not strata's clock-in fit of the last two beats: on a loaded
 * machine the dummy JACK server's delivery can step later, and a step in those two beats
 * read 115.3 for a clock at 120 (a fresh-clone .ci/run). */
double jrecv_ticks_bpm(const double *t, int n);

#endif
