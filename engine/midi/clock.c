/* MIDI clock in: 24 ticks a beat, tempo from a line fitted through the last two beats. */
#include "midi.h"

#include <string.h>

void strata_midi_clock_init(strata_midi_clock *c)
{
    memset(c, 0, sizeof *c);
    c->last_t = -1;
}

/* Seconds a tick, from the lower envelope of the tick times. A tick can come late (a
 * scheduler, a USB or JACK period, a stalled machine) but never early, so the clock is a
 * line under every tick time: of those lines, the one that fits the times best (least
 * total lateness) touches the lower convex hull of (tick number, time) at the middle of
 * the window. Its slope is the hull edge over the middle. Any number of late ticks leave
 * it alone as long as a few ticks on each side of the middle came on time; a least-squares
 * line would tilt with a burst of late ones (a stall of 0.2 s at the window's end moved
 * it by 3 BPM in the JACK test on a loaded machine). */
static double fit_seconds_per_tick(const strata_midi_clock *c)
{
    int n = c->nticks;
    if (n < 2 || n > STRATA_MIDI_CLOCK_FIT)
        return 0;
    double y[STRATA_MIDI_CLOCK_FIT];
    double t0 = c->ticks[(c->pos - n + STRATA_MIDI_CLOCK_FIT) % STRATA_MIDI_CLOCK_FIT];
    for (int i = 0; i < n; i++)
        y[i] = c->ticks[(c->pos - n + i + STRATA_MIDI_CLOCK_FIT) % STRATA_MIDI_CLOCK_FIT] - t0;
    /* Monotone chain, lower half: x = i is already sorted. */
    int hull[STRATA_MIDI_CLOCK_FIT], h = 0;
    for (int i = 0; i < n; i++) {
        while (h >= 2) {
            int a = hull[h - 2], b = hull[h - 1];
            /* drop b when it lies on or above the segment a..i */
            if ((y[b] - y[a]) * (i - a) >= (y[i] - y[a]) * (b - a))
                h--;
            else
                break;
        }
        hull[h++] = i;
    }
    double mid = (n - 1) * 0.5;
    for (int k = 0; k + 1 < h; k++) {
        int a = hull[k], b = hull[k + 1];
        if (a <= mid && mid <= b)
            return (y[b] - y[a]) / (b - a);
    }
    return 0;
}

static void restart_fit(strata_midi_clock *c)
{
    c->nticks = 0;
    c->pos = 0;
}

void strata_midi_clock_event(strata_midi_clock *c, const strata_midi_event *ev, double t)
{
    switch (ev->status) {
    case 0xF8: /* tick */
        c->seen = true;
        /* A gap of over half a second is a new clock (a tempo change after a pause). */
        if (c->last_t >= 0 && t - c->last_t > 0.5)
            restart_fit(c);
        c->ticks[c->pos] = t;
        c->pos = (c->pos + 1) % STRATA_MIDI_CLOCK_FIT;
        if (c->nticks < STRATA_MIDI_CLOCK_FIT)
            c->nticks++;
        c->last_t = t;
        /* The first tick after start or continue is the position itself; each one after
         * it is a 24th of a beat on. */
        if (c->running && !c->first)
            c->count++;
        c->first = false;
        if (c->nticks >= 12) {
            double spt = fit_seconds_per_tick(c);
            if (spt > 0)
                c->bpm = 60.0 / (spt * 24.0);
        }
        break;
    case 0xFA: /* start: from the top */
        c->seen = true;
        c->count = 0;
        c->running = true;
        c->first = true;
        break;
    case 0xFB: /* continue: from where it stopped (or the song position) */
        c->seen = true;
        c->running = true;
        c->first = true;
        break;
    case 0xFC: /* stop */
        c->seen = true;
        c->running = false;
        break;
    case 0xF2: /* song position: sixteenths (6 ticks each) */
        c->seen = true;
        c->count = (uint64_t)((ev->d1 & 0x7F) | (ev->d2 & 0x7F) << 7) * 6u;
        break;
    default:
        break;
    }
}

void strata_midi_clock_state_at(const strata_midi_clock *c, double now,
                                strata_midi_clock_state *out)
{
    memset(out, 0, sizeof *out);
    out->running = c->running;
    out->active = c->bpm > 0 && c->last_t >= 0 && now - c->last_t < 0.5;
    out->bpm = c->bpm;
    double beat = (double)c->count / 24.0;
    /* Between ticks the beat moves on at the fitted tempo, never past the next tick. */
    if (out->active && c->running && !c->first) {
        double ahead = (now - c->last_t) * c->bpm / 60.0;
        if (ahead > 1.0 / 24.0)
            ahead = 1.0 / 24.0;
        if (ahead > 0)
            beat += ahead;
    }
    out->beat = beat;
}
