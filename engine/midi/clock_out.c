/* MIDI clock out: strata's tempo clock as 24 ticks a beat on an output port, from a thread
 * of its own that sleeps to each tick's time (the render thread publishes where the beat
 * is once a frame; ticks fall between frames). */
#include "midi_internal.h"

#include <jack/jack.h>
#include <math.h>
#include <rtmidi/rtmidi_c.h>
#include <stdlib.h>
#include <string.h>

/* Render thread: where the beat is now (a seqlock of three doubles and a flag). */
void strata_midi_clock_out_publish(strata_midi *m, double now, double bpm, double beat,
                                   bool mute)
{
    if (!m->out_started)
        return;
    uint32_t s = atomic_load_explicit(&m->out_seq, memory_order_relaxed);
    atomic_store_explicit(&m->out_seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&m->out_t, now, memory_order_relaxed);
    atomic_store_explicit(&m->out_bpm, bpm, memory_order_relaxed);
    atomic_store_explicit(&m->out_beat, beat, memory_order_relaxed);
    atomic_store_explicit(&m->out_mute, mute, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&m->out_seq, s + 2, memory_order_relaxed);
}

static bool read_anchor(strata_midi *m, double *t, double *bpm, double *beat, bool *mute)
{
    for (int tries = 0; tries < 100; tries++) {
        uint32_t s0 = atomic_load_explicit(&m->out_seq, memory_order_acquire);
        if (s0 & 1)
            continue;
        *t = atomic_load_explicit(&m->out_t, memory_order_relaxed);
        *bpm = atomic_load_explicit(&m->out_bpm, memory_order_relaxed);
        *beat = atomic_load_explicit(&m->out_beat, memory_order_relaxed);
        *mute = atomic_load_explicit(&m->out_mute, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&m->out_seq, memory_order_relaxed) == s0)
            return s0 > 0;
    }
    return false;
}

/* The output port whose name contains the spec (or at its index); -1 when none. */
static int find_out(RtMidiOutPtr out, const char *spec)
{
    int n = (int)rtmidi_get_port_count(out);
    char *end;
    long idx = strtol(spec, &end, 10);
    for (int i = 0; i < n; i++) {
        char name[128];
        int len = sizeof name;
        if (rtmidi_get_port_name(out, (unsigned)i, name, &len) < 0)
            continue;
        name[sizeof name - 1] = 0;
        if ((spec[0] && !*end) ? i == idx : strcasestr(name, spec) != NULL)
            return i;
    }
    return -1;
}

static RtMidiOutPtr open_out(strata_midi *m)
{
    if (m->api == RTMIDI_API_UNIX_JACK) {
        jack_client_t *c = jack_client_open("strata-probe", JackNoStartServer, NULL);
        if (!c)
            return NULL;
        jack_client_close(c);
    }
    RtMidiOutPtr out = rtmidi_out_create((enum RtMidiApi)m->api, m->client);
    if (!out || !out->ok) {
        if (out)
            rtmidi_out_free(out);
        return NULL;
    }
    int idx = find_out(out, m->out_spec);
    if (idx >= 0) {
        rtmidi_open_port(out, (unsigned)idx, "clock out");
        if (out->ok) {
            LOG_INFO("MIDI", "clock out on output %d (%s)", idx, m->out_spec);
            return out;
        }
    }
    rtmidi_out_free(out);
    return NULL;
}

static void *clock_thread(void *arg)
{
    strata_midi *m = arg;
    RtMidiOutPtr out = NULL;
    int64_t k = -1; /* the next tick: beat k / 24 */
    bool said = false;
    while (!atomic_load(&m->stop)) {
        if (!out) {
            if (!(out = open_out(m))) {
                if (!said)
                    LOG_INFO("MIDI", "clock out: no output port \"%s\" yet; looking every 1 s",
                             m->out_spec);
                said = true;
                for (int i = 0; i < 20 && !atomic_load(&m->stop); i++)
                    strata_sleep_s(0.05);
                continue;
            }
            k = -1;
        }
        double t0, bpm, beat0;
        bool mute;
        if (!read_anchor(m, &t0, &bpm, &beat0, &mute) || mute || !(bpm > 0)) {
            strata_sleep_s(0.01); /* no frame yet, or the clock comes from MIDI in */
            k = -1;
            continue;
        }
        double now = strata_time_s(), beat_now = beat0 + (now - t0) * bpm / 60.0;
        if (k < 0) {
            static const unsigned char start = 0xFA;
            rtmidi_out_send_message(out, &start, 1);
            k = (int64_t)floor(beat_now * 24.0) + 1;
        } else if ((double)k < beat_now * 24.0 - 24.0 || (double)k > beat_now * 24.0 + 24.0) {
            k = (int64_t)floor(beat_now * 24.0) + 1; /* a jump (resync, Link): start again */
        }
        double due = t0 + ((double)k / 24.0 - beat0) * 60.0 / bpm;
        if (due - now > 0.02) { /* sleep in short steps: the tempo may change meanwhile */
            strata_sleep_s(0.01);
            continue;
        }
        if (due > now)
            strata_sleep_s(due - now);
        static const unsigned char tick = 0xF8;
        rtmidi_out_send_message(out, &tick, 1);
        k++;
    }
    if (out) {
        static const unsigned char stop = 0xFC;
        rtmidi_out_send_message(out, &stop, 1);
        rtmidi_close_port(out);
        rtmidi_out_free(out);
    }
    return NULL;
}

bool strata_midi_clock_out_start(strata_midi *m, strata_result *r)
{
    if (!m->out_spec[0])
        return true;
    if (pthread_create(&m->out_thread, NULL, clock_thread, m) != 0) {
        strata_fail(r, STRATA_ERR_DEVICE, "MIDI: cannot start the clock-out thread");
        return false;
    }
    m->out_started = true;
    return true;
}

void strata_midi_clock_out_stop(strata_midi *m)
{
    atomic_store(&m->stop, true);
    if (m->out_started)
        pthread_join(m->out_thread, NULL);
    m->out_started = false;
}
