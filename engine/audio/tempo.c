/* Tempo: period from the autocorrelation of the onset envelope, phase and precise period
 * from a beat grid fitted to the envelope's peaks, then a phase-locked grid that
 * announces beats at their estimated true sample time.
 *
 * Why not aubio_tempo alone: its period is quantised to the hop (about 1 BPM steps at
 * 120 BPM) and it jumps between octaves; musicians see both. The envelope itself comes
 * from aubio's phase vocoder (analysis.c). */
#include <math.h>
#include <string.h>

#include "audio.h"
#include "audio_internal.h"

#define EST_EVERY 32       /* hops between estimates (~170 ms) */
#define MIN_SECONDS 2.5    /* envelope needed before the first estimate */
#define MULTIPLES 4        /* beat lags summed in the comb */
#define PRIOR_CENTER 120.0 /* BPM: resolves octave ties, as listeners do */
#define PRIOR_OCTAVES 0.9
#define RECENT_S 4.0  /* weighting of the envelope in the autocorrelation */
#define SWITCH_HITS 6 /* estimates a new tempo must win before it replaces */
/* The flux peak of an attack lags its first sample by about half the window after the
 * hop end; measured on synthesised drums (tests/audio/test_tempo.c). */
#define ENVELOPE_LAG_SAMPLES (STRATA_AUDIO_WINDOW / 2 - 112)

void strata_beat_tracker_init(strata_beat_tracker *t, double rate, float bpm_min, float bpm_max)
{
    memset(t, 0, sizeof *t);
    t->rate = rate;
    t->hop_rate = rate / STRATA_AUDIO_HOP;
    t->bpm_min = bpm_min;
    t->bpm_max = bpm_max;
    t->last_beat = -1.0;
}

float strata_beat_tracker_bpm(const strata_beat_tracker *t)
{
    return t->locked ? (float)(60.0 * t->rate / t->period) : 0.0f;
}

static float lerp_at(const float *x, int n, double pos)
{
    if (pos < 0.0 || pos > n - 1)
        return 0.0f;
    int i = (int)pos;
    if (i >= n - 1)
        return x[n - 1];
    double f = pos - i;
    return (float)(x[i] * (1.0 - f) + x[i + 1] * f);
}

/* Copy the last count envelope values in time order, minus a local mean, rectified:
 * peaks stand out and slow loudness changes do not correlate. */
static int enhanced_envelope(strata_beat_tracker *t, float *out)
{
    int count = t->n < STRATA_TEMPO_ODF_LEN ? (int)t->n : STRATA_TEMPO_ODF_LEN;
    uint64_t first = t->n - (uint64_t)count;
    for (int i = 0; i < count; i++)
        t->acf[i] = t->odf[(first + (uint64_t)i) % STRATA_TEMPO_ODF_LEN];
    const int half = 8;
    double sum = 0.0;
    int lo = 0, hi = -1;
    for (int i = 0; i < count; i++) {
        while (hi < i + half && hi < count - 1)
            sum += t->acf[++hi];
        while (lo < i - half)
            sum -= t->acf[lo++];
        float v = t->acf[i] - (float)(sum / (hi - lo + 1));
        out[i] = v > 0.0f ? v : 0.0f;
    }
    return count;
}

static double comb_score(const float *acf, int maxlag, double lag)
{
    double s = 0.0;
    int used = 0;
    for (int k = 1; k <= MULTIPLES; k++) {
        if (k * lag > maxlag)
            break;
        s += lerp_at(acf, maxlag + 1, k * lag);
        used++;
    }
    return used >= 2 ? s / used : -1.0;
}

/* Coarse period (in hops) from the autocorrelation comb, with a prior against octave
 * errors. Returns 0 when there is nothing periodic. */
static double estimate_period(strata_beat_tracker *t, const float *w, int count, float *strength)
{
    double lag_max = t->hop_rate * 60.0 / t->bpm_min;
    int maxlag = (int)ceil(lag_max * MULTIPLES) + 2;
    if (maxlag > count * 3 / 4)
        maxlag = count * 3 / 4;
    /* Recent envelope counts more (4 s time constant), so a tempo change wins the
     * comparison in seconds, not after the whole window has turned over. */
    for (int i = 0; i < count; i++)
        t->weighted[i] = w[i] * (float)exp(-(count - 1 - i) / (RECENT_S * t->hop_rate));
    for (int l = 0; l <= maxlag; l++) {
        double s = 0.0;
        for (int i = l; i < count; i++)
            s += (double)t->weighted[i] * t->weighted[i - l];
        /* Divide by the weight the overlap carries (a geometric series), so no lag is
         * favoured just for being short. */
        double q = exp(-2.0 / (RECENT_S * t->hop_rate));
        double norm = exp(-l / (RECENT_S * t->hop_rate)) * (1.0 - pow(q, count - l)) / (1.0 - q);
        t->acf[l] = (float)(s / norm);
    }
    if (t->acf[0] <= 1e-9f)
        return 0.0;
    double best = -1.0, best_bpm = 0.0, prev = -1.0, before = -1.0, after = -1.0;
    const double step = 0.25;
    for (double bpm = t->bpm_min; bpm <= t->bpm_max + 1e-9; bpm += step) {
        double c = comb_score(t->acf, maxlag, t->hop_rate * 60.0 / bpm);
        double o = log2(bpm / PRIOR_CENTER) / PRIOR_OCTAVES;
        double s = c < 0.0 ? -1.0 : c * exp(-0.5 * o * o);
        if (s > best) {
            best = s;
            best_bpm = bpm;
            before = prev;
            after = -2.0;
        } else if (after == -2.0) {
            after = s;
        }
        prev = s;
    }
    if (best <= 0.0)
        return 0.0;
    if (before > 0.0 && after > 0.0) {
        double d = before - 2.0 * best + after;
        if (d < 0.0)
            best_bpm += step * 0.5 * (before - after) / d;
    }
    double lag = t->hop_rate * 60.0 / best_bpm;
    /* Strength above the autocorrelation's floor: a rectified envelope correlates with
     * itself at every lag (noise reads about 0.33 against acf[0] alone), so what counts
     * is how far the beat lag stands above the mean over the searched lags. */
    int lo = (int)floor(t->hop_rate * 60.0 / t->bpm_max);
    double base = 0.0;
    for (int l = lo; l <= maxlag; l++)
        base += t->acf[l];
    base /= maxlag - lo + 1;
    double top = t->acf[0] - base;
    double at = lerp_at(t->acf, maxlag + 1, lag) - base;
    *strength = top > 1e-12 ? strata_clampf((float)(at / top), 0.0f, 1.0f) : 0.0f;
    return lag;
}

/* Fit a grid to the envelope peaks near lag-spaced positions: returns the refined
 * period and sets *last to the window position (hops, fractional) of the latest beat. */
static double fit_grid(const float *w, int count, double lag, double *last)
{
    double best = -1.0, phi_best = 0.0;
    int beats = (int)((count - 1) / lag) - 1;
    if (beats > 16)
        beats = 16;
    for (double phi = 0.0; phi < lag; phi += 0.5) {
        double s = 0.0, g = 1.0;
        for (int j = 0; j < beats; j++, g *= 0.95)
            s += g * lerp_at(w, count, count - 1 - phi - j * lag);
        if (s > best) {
            best = s;
            phi_best = phi;
        }
    }
    *last = count - 1 - phi_best;
    /* Weighted least squares of peak positions against beat index. */
    double sw = 0, sj = 0, sp = 0, sjj = 0, sjp = 0;
    int span = (int)(lag * 0.12) + 1;
    for (int j = 0; j < beats; j++) {
        double pos = *last - j * lag;
        int c = (int)lround(pos);
        if (c - span < 1 || c + span > count - 2)
            continue;
        int m = c - span;
        for (int i = c - span; i <= c + span; i++)
            if (w[i] > w[m])
                m = i;
        if (w[m] <= 0.0f || m <= 0 || m >= count - 1)
            continue;
        double d = w[m - 1] - 2.0 * w[m] + w[m + 1];
        double p = m + (d < 0.0 ? 0.5 * (w[m - 1] - w[m + 1]) / d : 0.0);
        double h = w[m];
        sw += h;
        sj += h * j;
        sp += h * p;
        sjj += h * j * j;
        sjp += h * j * p;
    }
    double den = sw * sjj - sj * sj;
    if (sw <= 0.0 || fabs(den) < 1e-9)
        return lag;
    double slope = (sw * sjp - sj * sp) / den; /* hops per beat, negative */
    double period = -slope;
    if (fabs(period / lag - 1.0) > 0.03)
        return lag;
    *last = (sp - slope * sj) / sw;
    return period;
}

static void update_grid(strata_beat_tracker *t, double period, double beat, float strength,
                        uint64_t now)
{
    t->confidence += (strength - t->confidence) * 0.3f;
    if (!t->locked) {
        t->locked = true;
        t->period = period;
        t->anchor = beat;
        return;
    }
    if (fabs(period / t->period - 1.0) > 0.04) {
        if (t->pending_hits > 0 && fabs(period / t->pending_period - 1.0) < 0.04) {
            t->pending_hits++;
        } else {
            t->pending_period = period;
            t->pending_hits = 1;
        }
        if (t->pending_hits >= SWITCH_HITS) {
            t->period = period;
            t->anchor = beat;
            t->pending_hits = 0;
        }
        return;
    }
    t->pending_hits = 0;
    /* Re-anchor on the latest grid beat before changing the period, so the change
     * does not slide beats that are far from the anchor. */
    t->anchor += floor(((double)now - t->anchor) / t->period) * t->period;
    t->period += (period - t->period) * 0.5;
    double e = beat - t->anchor;
    e -= floor(e / t->period + 0.5) * t->period;
    if (fabs(e) > t->period * 0.25)
        t->anchor += e; /* lost lock: jump */
    else
        t->anchor += e * 0.5;
}

static void estimate(strata_beat_tracker *t, uint64_t now)
{
    int count = enhanced_envelope(t, t->work);
    float strength = 0.0f;
    double lag = estimate_period(t, t->work, count, &strength);
    if (lag <= 0.0) {
        t->confidence *= 0.8f;
        return;
    }
    double last = 0.0;
    double period = fit_grid(t->work, count, lag, &last);
    /* window position -> global envelope index -> sample clock */
    double index = (double)(t->n - (uint64_t)count) + last;
    double beat = (index + 1.0) * STRATA_AUDIO_HOP - ENVELOPE_LAG_SAMPLES;
    update_grid(t, period * STRATA_AUDIO_HOP, beat, strength, now);
}

/* The downbeat guess: the position in the bar with the most low-band flux. */
static void score_bar(strata_beat_tracker *t, double beat)
{
    double idx = (beat + ENVELOPE_LAG_SAMPLES) / STRATA_AUDIO_HOP - 1.0;
    int c = (int)lround(idx);
    float m = 0.0f;
    for (int i = c - 3; i <= c + 3; i++) {
        if (i < 0 || (uint64_t)i >= t->n || t->n - (uint64_t)i > STRATA_TEMPO_ODF_LEN)
            continue;
        float v = t->low[(uint64_t)i % STRATA_TEMPO_ODF_LEN];
        m = v > m ? v : m;
    }
    int slot = (int)((t->beat_count + 3u) % 4u); /* index of the beat being scored */
    for (int s = 0; s < 4; s++)
        t->bar_score[s] *= s == slot ? 0.85f : 1.0f;
    t->bar_score[slot] += m;
    int best = 0;
    for (int s = 1; s < 4; s++)
        if (t->bar_score[s] > t->bar_score[best] * 1.2f)
            best = s;
    t->bar_offset = (4 - best) % 4;
}

void strata_beat_tracker_push(strata_beat_tracker *t, float odf, float low_flux,
                              uint64_t end_sample)
{
    t->odf[t->n % STRATA_TEMPO_ODF_LEN] = isfinite(odf) ? odf : 0.0f;
    t->low[t->n % STRATA_TEMPO_ODF_LEN] = isfinite(low_flux) ? low_flux : 0.0f;
    t->n++;
    if (t->n % EST_EVERY == 0 && t->n >= (uint64_t)(MIN_SECONDS * t->hop_rate))
        estimate(t, end_sample);
    if (!t->locked)
        return;
    double k = floor(((double)end_sample - t->anchor) / t->period);
    double beat = t->anchor + k * t->period;
    if (beat <= (double)end_sample && beat > t->last_beat + 0.5 * t->period) {
        /* The previous beat's low band has arrived by now (envelope lag < a beat). */
        if (t->last_beat >= 0.0)
            score_bar(t, t->last_beat);
        t->last_beat = beat;
        t->beat_count++;
    }
}

void strata_beat_tracker_phase(const strata_beat_tracker *t, double s, float *beat, float *bar)
{
    if (!t->locked) {
        *beat = 0.0f;
        *bar = 0.0f;
        return;
    }
    double x = (s - t->anchor) / t->period;
    double ph = x - floor(x);
    /* Bar position counts announced beats, so it agrees with beat_count. */
    double since = t->last_beat >= 0.0 ? (s - t->last_beat) / t->period : 0.0;
    double in_bar = (double)((t->beat_count + 3u + (uint32_t)t->bar_offset) % 4u);
    double b = (in_bar + (since < 1.0 && since >= 0.0 ? since : ph)) / 4.0;
    *beat = strata_clampf((float)ph, 0.0f, 1.0f);
    *bar = strata_clampf((float)(b - floor(b)), 0.0f, 1.0f);
}
