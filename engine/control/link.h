/* The Ableton Link shim: a C API over ableton::Link (link.cpp, the one C++ file).
 * Kept apart from control.h so the C++ file needs no C11 atomics from core.h.
 * Threads: create/destroy from any thread; the rest from one thread (the render thread),
 * as Link's app-thread session state API requires. */
#ifndef STRATA_CONTROL_LINK_H
#define STRATA_CONTROL_LINK_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct strata_link strata_link;
/* Any thread for create/destroy; the others from one thread (the render thread). */
strata_link *strata_link_create(double bpm);
void strata_link_destroy(strata_link *l);
void strata_link_enable(strata_link *l, bool on);
bool strata_link_enabled(strata_link *l);
int strata_link_peers(strata_link *l);
/* The session's tempo, beat and phase (0..quantum) now. */
void strata_link_capture(strata_link *l, double quantum, double *bpm, double *beat, double *phase);
/* Propose a tempo to the session (peers follow). */
void strata_link_set_tempo(strata_link *l, double bpm);
/* Request that `beat` (e.g. 0 = a downbeat) falls now. */
void strata_link_request_beat(strata_link *l, double beat, double quantum);

#ifdef __cplusplus
}
#endif

#endif
