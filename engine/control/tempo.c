/* The tempo clock: internal, tap and audio-tracker sources (Link is followed in control.c,
 * which owns the Link session). Plain data, render thread only.
 *
 * Following the tracker is built for real music, where the reading is right far more often
 * than its confidence says and where it flips between related tempo levels:
 * - hysteresis: the tracker takes the lead above an upper confidence and keeps it until
 *   the confidence stays under a lower one for a while; a dip free-runs on the last good
 *   tempo and phase (AUDIO_HOLD), and so does a lost lead: never back to 120;
 * - levels: a reading at twice or half the held tempo is folded onto it (tempo and phase);
 *   one at 3/2, 2/3, 4/3, 3/4 or an unrelated tempo is followed only once it persisted;
 * - phase: slewed toward the tracker's, never stepped, never backwards. */
#include "control.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TAP_GAP_S 2.0
#define BPM_MIN 20.0
#define BPM_MAX 999.0
#define SAME_TOL 0.04   /* a reading within 4 % of a level is at that level */
#define STEADY_TOL 0.01 /* a steady reading stays within 1 % ... */
#define STEADY_S 4.0    /* ... for this long */
#define LEVEL_S 8.0     /* a 3/2, 2/3, 4/3 or 3/4 reading persists this long to be followed */
#define OCTAVE_S 16.0   /* a x2 or /2 reading (folded meanwhile) */
#define OTHER_S 2.0     /* an unrelated tempo (the tracker already waited ~1 s) */
#define SLEW_MAX 0.5    /* phase correction at most this share of the nominal advance */
#define SLEW_TAU 0.5    /* beats: time constant of the phase correction */

typedef enum relation { REL_SAME, REL_OCTAVE, REL_LEVEL, REL_OTHER } relation;

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
    case STRATA_TEMPO_AUDIO_HOLD:
        return "audio-hold";
    case STRATA_TEMPO_MIDI:
        return "midi";
    }
    return "?";
}

static const char *internal_reason(const strata_tempo_state *st, char *buf, size_t n)
{
    if (st->why == STRATA_TEMPO_WHY_MANUAL)
        snprintf(buf, n, "internal: %.1f set by hand", st->bpm);
    else if (st->audio_bpm > 0.0f)
        snprintf(buf, n, "internal: %.1f, no audio lead yet (tracker %.1f, confidence %.2f < %.2f)",
                 st->bpm, st->audio_bpm, st->audio_confidence, st->why_threshold);
    else
        snprintf(buf, n, "internal: %.1f, no audio yet", st->bpm);
    return buf;
}

const char *strata_tempo_reason(const strata_tempo_state *st, char *buf, size_t n)
{
    if (!buf || n == 0)
        return buf;
    switch (st->source) {
    case STRATA_TEMPO_LINK:
        snprintf(buf, n, "link: %d peer%s", st->link_peers, st->link_peers == 1 ? "" : "s");
        return buf;
    case STRATA_TEMPO_TAP:
        snprintf(buf, n, "tap: %.1f", st->bpm);
        return buf;
    case STRATA_TEMPO_MIDI:
        snprintf(buf, n, "midi: clock %.1f, %s", st->bpm,
                 st->why == STRATA_TEMPO_WHY_MIDI ? "running" : "stopped (tempo only)");
        return buf;
    case STRATA_TEMPO_INTERNAL:
        return internal_reason(st, buf, n);
    case STRATA_TEMPO_AUDIO:
        if (st->why == STRATA_TEMPO_WHY_FOLDED)
            snprintf(buf, n, "audio: reads %.1f, folded to the held %.1f", st->audio_bpm, st->bpm);
        else if (st->why == STRATA_TEMPO_WHY_STABLE)
            snprintf(buf, n, "audio: steady %.1f for %.1f s, confidence %.2f", st->bpm,
                     st->why_seconds, st->audio_confidence);
        else if (st->why == STRATA_TEMPO_WHY_KEPT)
            snprintf(buf, n, "audio: confidence %.2f, lead kept while >= %.2f",
                     st->audio_confidence, st->why_threshold);
        else
            snprintf(buf, n, "audio: confidence %.2f >= %.2f", st->audio_confidence,
                     st->why_threshold);
        return buf;
    case STRATA_TEMPO_AUDIO_HOLD:
        if (st->why == STRATA_TEMPO_WHY_LEVEL)
            snprintf(buf, n, "audio-hold: reads %.1f, another level, %.1f of %.0f s, holding %.1f",
                     st->audio_bpm, st->why_seconds, st->why_threshold, st->bpm);
        else if (st->why == STRATA_TEMPO_WHY_NO_INPUT)
            snprintf(buf, n, "audio-hold: no input, holding %.1f", st->bpm);
        else if (st->why_seconds > 0.0f)
            snprintf(buf, n, "audio-hold: confidence %.2f < %.2f for %.1f s, holding %.1f",
                     st->audio_confidence, st->why_threshold, st->why_seconds, st->bpm);
        else
            snprintf(buf, n,
                     "audio-hold: confidence %.2f < %.2f to take the lead again, "
                     "holding %.1f",
                     st->audio_confidence, st->why_threshold, st->bpm);
        return buf;
    }
    snprintf(buf, n, "?");
    return buf;
}

static void forget_audio(strata_tempo *t)
{
    t->audio_lead = false;
    t->audio_held = false;
    t->low_since = -1.0;
    t->cand_since = -1.0;
    t->steady_since = -1.0;
}

void strata_tempo_init(strata_tempo *t, double bpm)
{
    memset(t, 0, sizeof *t);
    t->bpm_manual = bpm > 0.0 ? fmin(fmax(bpm, BPM_MIN), BPM_MAX) : 120.0;
    t->st.bpm = t->bpm_manual;
    t->st.beats_per_bar = 4;
    t->st.source = STRATA_TEMPO_INTERNAL;
    t->st.why = STRATA_TEMPO_WHY_NO_AUDIO;
    t->audio_confidence = 0.3f;
    t->audio_confidence_off = 0.15f;
    t->audio_lose_s = 2.0f;
    forget_audio(t);
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

static double frac(double x)
{
    return x - floor(x);
}

/* Signed distance from phase a to phase b, in [-0.5, 0.5). */
static double phase_diff(double b, double a)
{
    double e = b - a;
    return e - floor(e + 0.5);
}

/* Where a reading stands against the held level; *ratio is reading / level for it. */
static relation relate(double reading, double level, double *ratio)
{
    static const struct {
        double ratio;
        relation rel;
    } levels[] = {{1.0, REL_SAME},  {2.0, REL_OCTAVE},      {0.5, REL_OCTAVE},
                  {1.5, REL_LEVEL}, {2.0 / 3.0, REL_LEVEL}, {4.0 / 3.0, REL_LEVEL},
                  {0.75, REL_LEVEL}};
    double r = reading / level;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (fabs(r / levels[i].ratio - 1.0) <= SAME_TOL) {
            *ratio = levels[i].ratio;
            return levels[i].rel;
        }
    }
    *ratio = r;
    return REL_OTHER;
}

/* The tracker's phase seen at the clock's level (ratio = reading / level, 1, 2 or 1/2).
 * At twice the level a tracker beat is half a clock beat: of the two clock phases it
 * allows, the one nearer the clock's own. */
static double folded_phase(double ratio, double ph, double clock_phase)
{
    if (ratio > 1.5) {
        double a = ph / 2.0, b = a + 0.5;
        return fabs(phase_diff(a, clock_phase)) <= fabs(phase_diff(b, clock_phase)) ? a : b;
    }
    if (ratio < 0.75)
        return frac(2.0 * ph);
    return ph;
}

static void free_run(strata_tempo *t, double dt, double bpm)
{
    t->st.bpm = bpm;
    t->st.beat += dt * bpm / 60.0;
}

/* Advance at st.bpm while pulling the phase toward target: the correction is at most
 * SLEW_MAX of the nominal advance, so the clock never stops, never runs backwards and a
 * half-beat jump is absorbed in about a beat. snap: no picture has used the phase yet. */
static void slew_to(strata_tempo *t, double dt, double target, bool snap)
{
    double nominal = dt * t->st.bpm / 60.0;
    double guess = t->st.beat + nominal;
    if (snap) {
        t->st.beat = floor(guess - target + 0.5) + target;
        return;
    }
    double e = phase_diff(target, frac(guess));
    double c = e * fmin(1.0, nominal / SLEW_TAU);
    t->st.beat = guess + fmax(-SLEW_MAX * nominal, fmin(SLEW_MAX * nominal, c));
}

/* Hysteresis: take the lead on confidence (or on a steady reading), keep it through dips
 * shorter than audio_lose_s. Updates the timers; returns the steady time. */
static double update_lead(strata_tempo *t, double now, const strata_audio_frame *a)
{
    bool usable = a && a->confidence >= t->audio_confidence_off;
    if (!usable)
        t->steady_since = -1.0;
    else if (t->steady_since < 0.0 || fabs(a->bpm / t->steady_bpm - 1.0) > STEADY_TOL) {
        t->steady_bpm = a->bpm;
        t->steady_since = now;
    }
    double steady = t->steady_since >= 0.0 ? now - t->steady_since : 0.0;
    if (usable)
        t->low_since = -1.0;
    else if (t->low_since < 0.0)
        t->low_since = now;
    if (!t->audio_lead) {
        if (a && (a->confidence >= t->audio_confidence || steady >= STEADY_S)) {
            t->audio_lead = true;
            t->low_since = -1.0;
            if (!t->audio_held) {
                t->audio_held = true;
                t->level_bpm = a->bpm;
                t->cand_since = -1.0;
            }
        }
    } else if (!a || (t->low_since >= 0.0 && now - t->low_since >= t->audio_lose_s)) {
        t->audio_lead = false;
    }
    return steady;
}

static void hold(strata_tempo *t, double dt, strata_tempo_why why, double secs, double of)
{
    free_run(t, dt, t->level_bpm);
    t->st.source = STRATA_TEMPO_AUDIO_HOLD;
    t->st.why = why;
    t->st.why_seconds = (float)secs;
    t->st.why_threshold = (float)of;
}

/* A reading at another level than the held one: true once it has persisted long enough
 * to become the level. */
static bool level_change(strata_tempo *t, double now, double bpm, relation rel, double *need)
{
    if (t->cand_since < 0.0 || fabs(bpm / t->cand_bpm - 1.0) > SAME_TOL) {
        t->cand_bpm = bpm;
        t->cand_since = now;
    }
    *need = rel == REL_OCTAVE ? OCTAVE_S : rel == REL_LEVEL ? LEVEL_S : OTHER_S;
    if (now - t->cand_since < *need)
        return false;
    t->level_bpm = bpm;
    t->cand_since = -1.0;
    return true;
}

static void follow_audio(strata_tempo *t, double now, double dt, const strata_audio_frame *a,
                         bool first)
{
    double steady = update_lead(t, now, a);
    if (!t->audio_held) {
        free_run(t, dt, t->bpm_manual);
        t->st.source = STRATA_TEMPO_INTERNAL;
        t->st.why = STRATA_TEMPO_WHY_NO_AUDIO;
        t->st.why_threshold = t->audio_confidence;
        return;
    }
    if (!a) {
        hold(t, dt, STRATA_TEMPO_WHY_NO_INPUT, 0.0, 0.0);
        return;
    }
    if (!t->audio_lead || t->low_since >= 0.0) {
        t->cand_since = -1.0;
        hold(t, dt, STRATA_TEMPO_WHY_LOW, t->low_since >= 0.0 ? now - t->low_since : 0.0,
             t->audio_lead ? t->audio_confidence_off : t->audio_confidence);
        return;
    }
    double ratio = 1.0, need = 0.0;
    relation rel = relate(a->bpm, t->level_bpm, &ratio);
    if (rel == REL_SAME) {
        t->cand_since = -1.0;
    } else if (level_change(t, now, a->bpm, rel, &need)) {
        rel = REL_SAME;
        ratio = 1.0;
    } else if (rel != REL_OCTAVE) {
        hold(t, dt, STRATA_TEMPO_WHY_LEVEL, now - t->cand_since, need);
        return;
    }
    t->level_bpm = a->bpm / ratio; /* the level drifts with the music */
    t->st.bpm = t->level_bpm;
    double ph = fmin(fmax(a->beat_phase, 0.0f), 0.999999f);
    slew_to(t, dt, folded_phase(ratio, ph, t->st.beat_phase), first);
    t->st.source = STRATA_TEMPO_AUDIO;
    t->st.why_threshold = t->audio_confidence;
    if (rel != REL_SAME) {
        t->st.why = STRATA_TEMPO_WHY_FOLDED;
    } else if (a->confidence >= t->audio_confidence) {
        t->st.why = STRATA_TEMPO_WHY_CONFIDENT;
    } else if (steady >= STEADY_S) {
        t->st.why = STRATA_TEMPO_WHY_STABLE;
        t->st.why_seconds = (float)steady;
    } else {
        t->st.why = STRATA_TEMPO_WHY_KEPT;
        t->st.why_threshold = t->audio_confidence_off;
    }
}

void strata_tempo_set_midi(strata_tempo *t, bool active, bool running, double bpm, double beat)
{
    t->midi_active = active && bpm > 0.0 && isfinite(bpm) && isfinite(beat);
    t->midi_running = running;
    t->midi_bpm = fmin(fmax(bpm, BPM_MIN), BPM_MAX);
    t->midi_beat = beat;
}

/* MIDI clock leads: its tempo; its beat while running, shifted by whole bars so that the
 * clock's beat never runs back (a Start puts the master at 0) and the bar is the master's. */
static void follow_midi(strata_tempo *t, double dt)
{
    forget_audio(t);
    t->st.bpm = t->midi_bpm;
    t->bpm_manual = t->midi_bpm; /* when the clock stops, its tempo holds */
    if (t->midi_running) {
        double bpb = t->st.beats_per_bar, target = t->midi_beat + t->midi_offset;
        if (!t->midi_led || target < t->st.beat - 0.5 || target > t->st.beat + bpb) {
            t->midi_offset = ceil((t->st.beat - t->midi_beat) / bpb) * bpb;
            target = t->midi_beat + t->midi_offset;
        }
        t->st.beat = target;
    } else {
        free_run(t, dt, t->midi_bpm);
    }
    t->midi_led = true;
    t->st.source = STRATA_TEMPO_MIDI;
    t->st.why = t->midi_running ? STRATA_TEMPO_WHY_MIDI : STRATA_TEMPO_WHY_MIDI_STOPPED;
}

void strata_tempo_advance(strata_tempo *t, double now, const strata_audio_frame *audio)
{
    bool first = !t->started;
    double dt = t->started ? now - t->time : 0.0;
    /* A step of any size advances exactly: offline at 0.5 fps a step is 2 s, and live a
     * stall (a slow frame, a dragged window) is time in which the band kept playing, so
     * the beat after it is where the music is. Only a clock that ran backwards holds. */
    if (!(dt >= 0.0))
        dt = 0.0;
    t->time = now;
    t->started = true;
    if (t->st.source == STRATA_TEMPO_LINK) /* Link just left: its tempo (bpm_manual) holds */
        forget_audio(t);

    bool reading = audio && audio->live && audio->bpm > 0.0f && isfinite(audio->bpm) &&
                   isfinite(audio->confidence);
    t->st.audio_bpm = reading ? audio->bpm : 0.0f;
    t->st.audio_confidence = reading ? audio->confidence : 0.0f;
    t->st.why_seconds = 0.0f;
    t->st.why_threshold = 0.0f;
    if (t->midi_active) {
        follow_midi(t, dt);
    } else if (t->mode == STRATA_TEMPO_AUTO) {
        follow_audio(t, now, dt, reading ? audio : NULL, first);
    } else {
        forget_audio(t);
        free_run(t, dt, t->bpm_manual);
        t->st.source = t->tapped ? STRATA_TEMPO_TAP : STRATA_TEMPO_INTERNAL;
        t->st.why = t->tapped ? STRATA_TEMPO_WHY_TAP : STRATA_TEMPO_WHY_MANUAL;
    }
    if (!t->midi_active)
        t->midi_led = false;
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
