// The Ableton Link shim: the one C++ file in strata, a C API over ableton::Link.
// Render thread only (after create): capture/commit use the app-thread session state,
// which Link documents as safe from one non-realtime thread.
#include <ableton/Link.hpp>

#include <new>

#include "control/link.h"

struct strata_link {
    ableton::Link link;
    explicit strata_link(double bpm) : link(bpm) {}
};

extern "C" {

strata_link *strata_link_create(double bpm)
{
    try {
        return new strata_link(bpm > 0.0 ? bpm : 120.0);
    } catch (...) {
        // Link opens sockets and threads; any failure is reported as "no Link".
        return nullptr;
    }
}

void strata_link_destroy(strata_link *l)
{
    delete l;
}

void strata_link_enable(strata_link *l, bool on)
{
    l->link.enable(on);
}

bool strata_link_enabled(strata_link *l)
{
    return l->link.isEnabled();
}

int strata_link_peers(strata_link *l)
{
    return (int)l->link.numPeers();
}

void strata_link_capture(strata_link *l, double quantum, double *bpm, double *beat, double *phase)
{
    auto st = l->link.captureAppSessionState();
    auto now = l->link.clock().micros();
    *bpm = st.tempo();
    *beat = st.beatAtTime(now, quantum);
    *phase = st.phaseAtTime(now, quantum);
}

void strata_link_set_tempo(strata_link *l, double bpm)
{
    auto st = l->link.captureAppSessionState();
    st.setTempo(bpm, l->link.clock().micros());
    l->link.commitAppSessionState(st);
}

void strata_link_request_beat(strata_link *l, double beat, double quantum)
{
    auto st = l->link.captureAppSessionState();
    // force, not request: a VJ resync means "this is the one", even with peers playing.
    st.forceBeatAtTime(beat, l->link.clock().micros(), quantum);
    l->link.commitAppSessionState(st);
}
}
