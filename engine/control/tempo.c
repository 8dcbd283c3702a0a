/* The tempo clock: internal, tap and audio-tracker sources (Link is followed in control.c,
 * which owns the Link session). Plain data, render thread only. */
#include "control.h"

#include <math.h>
#include <string.h>

#define TAP_GAP_S 2.0
#define BPM_MIN 20.0
#define BPM_MAX 999.0

const char *strata_tempo_source_name(strata_tempo_source s)
{
    switch (s) {
    case STRATA_TEMPO_INTERNAL:
        return "internal";
    case STRATA_TEMPO_TAP:
        return "tap";
    case STRATA_TEMPO_AUDIO:
        return "audio";
    case STRATA_TEMPO_LINK:
        return "link";
    }
    return "?";
}

void strata_tempo_init(strata_tempo *t, double bpm)
{
    memset(t, 0, sizeof *t);
    t->bpm_manual = bpm > 0.0 ? fmin(fmax(bpm, BPM_MIN), BPM_MAX) : 120.0;
    t->st.bpm = t->bpm_manual;
    t->st.beats_per_bar = 4;
    t->st.source = STRATA_TEMPO_INTERNAL;
    t->audio_confidence = 0.3f;
}

static void derive(strata_tempo_state *st)
{
    double b = st->beat;
    st->beat_phase = (float)(b - floor(b));
    double bars = b / st->beats_per_bar;
    st->bar_phase = (float)(bars - floor(bars));
    /* exp decay over the beat: 1 on the beat, ~0.05 by the next one */
    st->beat_pulse = expf(-3.0f * st->beat_phase);
}

void strata_tempo_advance(strata_tempo *t, double now, const strata_audio_frame *audio)
{
    double dt = t->started ? now - t->time : 0.0;
    if (dt < 0.0 || dt > 1.0) /* a stall or a clock jump: hold the phase, do not leap */
        dt = 0.0;
    t->time = now;
    t->started = true;

    bool audio_ok = audio && audio->live && audio->bpm > 0.0f && isfinite(audio->bpm) &&
                    audio->confidence >= t->audio_confidence;
    if (t->mode == STRATA_TEMPO_AUTO && audio_ok) {
        /* Follow the tracker's phase, keeping our beat count continuous: take the whole
         * beat nearest to where we would be, plus the tracker's phase. */
        double ph = fmin(fmax(audio->beat_phase, 0.0f), 0.999999f);
        double guess = t->st.beat + dt * audio->bpm / 60.0;
        double whole = floor(guess - ph + 0.5);
        t->st.beat = whole + ph;
        t->st.bpm = audio->bpm;
        t->st.source = STRATA_TEMPO_AUDIO;
    } else {
        t->st.bpm = t->bpm_manual;
        t->st.beat += dt * t->st.bpm / 60.0;
        t->st.source = t->tapped ? STRATA_TEMPO_TAP : STRATA_TEMPO_INTERNAL;
    }
    derive(&t->st);
}

void strata_tempo_tap(strata_tempo *t, double at)
{
    if (t->ntaps > 0 && (at - t->taps[t->ntaps - 1] > TAP_GAP_S || at <= t->taps[t->ntaps - 1]))
        t->ntaps = 0;
    if (t->ntaps == (int)(sizeof t->taps / sizeof t->taps[0])) {
        memmove(t->taps, t->taps + 1, sizeof t->taps - sizeof t->taps[0]);
        t->ntaps--;
    }
    t->taps[t->ntaps++] = at;
    t->mode = STRATA_TEMPO_MANUAL;
    if (t->ntaps >= 2) {
        double mean = (t->taps[t->ntaps - 1] - t->taps[0]) / (t->ntaps - 1);
        t->bpm_manual = fmin(fmax(60.0 / mean, BPM_MIN), BPM_MAX);
        t->tapped = true;
        t->st.bpm = t->bpm_manual;
    }
    /* The tap is a beat: move the phase so that the beat at `at` is whole. The tap may
     * be slightly in the past (receive time); account for the beats since. */
    double since = (t->started ? t->time - at : 0.0) * t->st.bpm / 60.0;
    double at_beat = t->st.beat - since;
    t->st.beat += floor(at_beat + 0.5) - at_beat;
    derive(&t->st);
}

void strata_tempo_set_bpm(strata_tempo *t, double bpm)
{
    if (!isfinite(bpm))
        return;
    t->bpm_manual = fmin(fmax(bpm, BPM_MIN), BPM_MAX);
    t->st.bpm = t->bpm_manual;
    t->tapped = false;
    t->mode = STRATA_TEMPO_MANUAL;
    t->ntaps = 0;
}

void strata_tempo_resync(strata_tempo *t)
{
    double bpb = t->st.beats_per_bar;
    t->st.beat = floor(t->st.beat / bpb + 0.5) * bpb;
    derive(&t->st);
}
