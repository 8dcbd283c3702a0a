/* MIDI clock in: 24 ticks a beat, tempo from a line fitted through the last two beats. */
#include "midi.h"

#include <string.h>

void strata_midi_clock_init(strata_midi_clock *c)
{
    memset(c, 0, sizeof *c);
    c->last_t = -1;
}

/* Least squares of tick time against tick number over the ring: the slope is seconds a
 * tick. A single late tick moves it by its lateness / (n^2 / 12), not by all of it as the
 * last interval would. */
static double fit_seconds_per_tick(const strata_midi_clock *c)
{
    int n = c->nticks;
    double t0 = c->ticks[(c->pos - n + STRATA_MIDI_CLOCK_FIT) % STRATA_MIDI_CLOCK_FIT];
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        double y = c->ticks[(c->pos - n + i + STRATA_MIDI_CLOCK_FIT) % STRATA_MIDI_CLOCK_FIT] - t0;
        sx += i;
        sy += y;
        sxx += (double)i * i;
        sxy += i * y;
    }
    double den = n * sxx - sx * sx;
    return den > 0 ? (n * sxy - sx * sy) / den : 0;
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
