/* Analysis: hop by hop, aubio's phase vocoder gives the spectrum; from it come the
 * bands, the 256-bin display spectrum, per-band flux onsets and the onset envelope
 * for tempo.c. aubio's onset detector gives the overall onsets with their true time. */
#include <aubio/aubio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "audio_internal.h"

#define GATE 1e-3f       /* band amplitude treated as silence (-60 dBFS) */
#define PULSE_DECAY 0.12 /* seconds for an onset pulse to fall to 1/e */
#define BEAT_DECAY 0.10
#define SPEC_FLOOR_DB 80.0f
#define SNARE_OVER_KICK 1.0f

typedef struct band_env {
    float inst, fast, slow, avg, peak;
} band_env;

/* Per-band onset peak picker on spectral flux: a local maximum above an adaptive
 * threshold (running mean plus a fraction of the recent peak). */
typedef struct picker {
    float peak_frac, floor; /* threshold: 2 x mean + peak_frac x peak + floor */
    float x1, x2, mean, peak;
    double last; /* sample time of the last onset, <0 never */
} picker;

struct strata_analysis {
    uint32_t rate;
    double dt; /* seconds per hop */
    fvec_t *hop;
    cvec_t *grain;
    aubio_pvoc_t *pv;
    aubio_onset_t *onset;
    fvec_t *onset_out;
    fvec_t *onset_in;
    float recent_db[8]; /* hop levels covering aubio's onset delay */
    uint32_t fill;
    uint64_t samples;
    int nbins;
    float norm;      /* FFT magnitude -> sine amplitude */
    float *prev;     /* log magnitudes of the previous hop, for flux */
    float *prev_lin; /* linear magnitudes of the previous hop, for the band pickers */
    int bass[2], mid[2], high[2], kick[2], snare[2], hat[2], odf_hi;
    float spec_lo[STRATA_SPECTRUM_BINS], spec_hi[STRATA_SPECTRUM_BINS];
    float spec_freq[STRATA_SPECTRUM_BINS];
    float spec[STRATA_SPECTRUM_BINS];
    float wave[STRATA_WAVEFORM_SAMPLES];
    uint32_t wave_pos;
    band_env level, bands[3];
    float level_db;
    picker pk[3];       /* kick, snare, hat */
    float prev_flux[3]; /* the pickers' input one hop ago (their candidate's hop) */
    double last_onset;
    uint32_t onset_count;
    strata_beat_tracker tempo;
};

static int hz_bin(const strata_analysis *an, float hz)
{
    int k = (int)lroundf(hz * STRATA_AUDIO_WINDOW / (float)an->rate);
    return k < 1 ? 1 : (k > an->nbins - 1 ? an->nbins - 1 : k);
}

static void set_range(const strata_analysis *an, int *r, float lo, float hi)
{
    r[0] = hz_bin(an, lo);
    r[1] = hz_bin(an, hi);
    if (r[1] < r[0])
        r[1] = r[0];
}

static void init_spectrum_map(strata_analysis *an)
{
    float fmax = fminf(20000.0f, an->rate * 0.5f);
    double ratio = log(fmax / 20.0);
    float bin_hz = (float)an->rate / STRATA_AUDIO_WINDOW;
    for (int i = 0; i < STRATA_SPECTRUM_BINS; i++) {
        double e0 = 20.0 * exp(ratio * i / STRATA_SPECTRUM_BINS);
        double e1 = 20.0 * exp(ratio * (i + 1) / STRATA_SPECTRUM_BINS);
        an->spec_freq[i] = (float)(20.0 * exp(ratio * (i + 0.5) / STRATA_SPECTRUM_BINS));
        an->spec_lo[i] = (float)(e0 / bin_hz);
        an->spec_hi[i] = (float)(e1 / bin_hz);
    }
}

strata_analysis *strata_analysis_create(uint32_t rate, float bpm_min, float bpm_max,
                                        strata_result *r)
{
    if (bpm_min <= 0.0f)
        bpm_min = STRATA_AUDIO_BPM_MIN;
    if (bpm_max <= 0.0f)
        bpm_max = STRATA_AUDIO_BPM_MAX;
    if (rate < 8000 || rate > 384000 || bpm_min < 20.0f || bpm_max > 400.0f || bpm_max <= bpm_min) {
        strata_fail(r, STRATA_ERR_ARG, "AUDIO: bad analysis rate %u or bpm range %g:%g", rate,
                    bpm_min, bpm_max);
        return NULL;
    }
    strata_analysis *an = calloc(1, sizeof *an);
    if (!an) {
        strata_fail(r, STRATA_ERR_NOMEM, "AUDIO: out of memory");
        return NULL;
    }
    an->rate = rate;
    an->dt = (double)STRATA_AUDIO_HOP / rate;
    an->nbins = STRATA_AUDIO_WINDOW / 2 + 1;
    an->norm = 4.0f / STRATA_AUDIO_WINDOW; /* Hann window sums to N/2; one side is half */
    an->hop = new_fvec(STRATA_AUDIO_HOP);
    an->grain = new_cvec(STRATA_AUDIO_WINDOW);
    an->pv = new_aubio_pvoc(STRATA_AUDIO_WINDOW, STRATA_AUDIO_HOP);
    an->onset = new_aubio_onset("hfc", STRATA_AUDIO_WINDOW, STRATA_AUDIO_HOP, rate);
    an->onset_out = new_fvec(1);
    an->onset_in = new_fvec(STRATA_AUDIO_HOP);
    an->prev = calloc((size_t)an->nbins, sizeof *an->prev);
    an->prev_lin = calloc((size_t)an->nbins, sizeof *an->prev_lin);
    if (!an->hop || !an->grain || !an->pv || !an->onset || !an->onset_out || !an->onset_in ||
        !an->prev || !an->prev_lin) {
        strata_analysis_destroy(an);
        strata_fail(r, STRATA_ERR_NOMEM, "AUDIO: cannot create aubio objects");
        return NULL;
    }
    aubio_onset_set_threshold(an->onset, 0.3f);
    aubio_onset_set_minioi_ms(an->onset, 50.0f);
    /* aubio gates an onset on the level of the hop where it is confirmed, which comes
     * several hops after a short click and is digital silence in a click track. We gate
     * on the loudest recent hop instead (analyse_hop) and keep aubio's gate open. */
    aubio_onset_set_silence(an->onset, -1000.0f);
    set_range(an, an->bass, 20.0f, 250.0f);
    set_range(an, an->mid, 250.0f, 4000.0f);
    set_range(an, an->high, 4000.0f, 20000.0f);
    set_range(an, an->kick, 30.0f, 150.0f);
    set_range(an, an->snare, 200.0f, 2500.0f);
    set_range(an, an->hat, 6000.0f, 20000.0f);
    an->odf_hi = hz_bin(an, 10000.0f);
    init_spectrum_map(an);
    /* Tuned on the synthesised grooves: kick and snare need half their recent peak (a
     * bass note in the kick band is softer than a kick); hats read log flux and a low
     * threshold, since snares also light their band. */
    static const float frac[3] = {0.5f, 0.5f, 0.1f}, floor_[3] = {1e-4f, 1e-4f, 0.5f};
    for (int i = 0; i < 3; i++) {
        an->pk[i].last = -1.0;
        an->pk[i].peak_frac = frac[i];
        an->pk[i].floor = floor_[i];
    }
    for (int i = 0; i < 8; i++)
        an->recent_db[i] = -120.0f;
    an->last_onset = -1.0;
    an->level_db = -120.0f;
    strata_beat_tracker_init(&an->tempo, rate, bpm_min, bpm_max);
    return an;
}

void strata_analysis_destroy(strata_analysis *an)
{
    if (!an)
        return;
    if (an->hop)
        del_fvec(an->hop);
    if (an->grain)
        del_cvec(an->grain);
    if (an->pv)
        del_aubio_pvoc(an->pv);
    if (an->onset)
        del_aubio_onset(an->onset);
    if (an->onset_out)
        del_fvec(an->onset_out);
    if (an->onset_in)
        del_fvec(an->onset_in);
    free(an->prev);
    free(an->prev_lin);
    free(an);
}

static float coef(double dt, double tau)
{
    return (float)(1.0 - exp(-dt / tau));
}

/* elapsed lets the long average adapt quickly at start instead of reading "loud"
 * for the first seconds of music. */
static void band_update(band_env *b, float x, double dt, double elapsed)
{
    b->inst = x;
    b->fast += (x - b->fast) * coef(dt, x > b->fast ? 0.01 : 0.15);
    b->slow += (x - b->slow) * coef(dt, 1.0);
    /* Below the gate the music has stopped: forget it in about a second so silence
     * reads ratio 1 again instead of "very quiet" for a minute. */
    double tau = b->fast < GATE ? 1.0 : fmin(6.0, 0.5 + elapsed);
    b->avg += (b->fast - b->avg) * coef(dt, tau);
    float decay = 1.0f - coef(dt, 20.0);
    b->peak = fmaxf(b->fast, b->peak * decay);
}

static strata_band band_value(const band_env *b)
{
    float p = fmaxf(b->peak, GATE);
    strata_band o;
    o.agc = strata_clampf(b->inst / p, 0.0f, 1.0f);
    o.fast = strata_clampf(b->fast / p, 0.0f, 1.0f);
    o.slow = strata_clampf(b->slow / p, 0.0f, 1.0f);
    o.ratio = strata_clampf((b->fast + GATE) / (b->avg + GATE), 0.0f, 4.0f);
    return o;
}

/* allow: whether the hop of x1 (the candidate) may hold this band's onset. */
static bool picker_step(picker *p, float x, double t_x1, double dt, double min_gap, bool allow)
{
    float thresh = p->mean * 2.0f + p->peak * p->peak_frac + p->floor;
    bool hit = allow && p->x1 > p->x2 && p->x1 >= x && p->x1 > thresh &&
               (p->last < 0.0 || t_x1 - p->last > min_gap);
    if (hit)
        p->last = t_x1;
    p->mean += (x - p->mean) * coef(dt, 0.3);
    p->peak = fmaxf(x, p->peak * (1.0f - coef(dt, 5.0)));
    p->x2 = p->x1;
    p->x1 = x;
    return hit;
}

static float range_energy(const float *mag, const int *r)
{
    float s = 0.0f;
    for (int k = r[0]; k <= r[1]; k++)
        s += mag[k] * mag[k];
    return s;
}

static float spectrum_value(const strata_analysis *an, const float *mag, int i)
{
    float lo = an->spec_lo[i], hi = an->spec_hi[i], m;
    if (hi - lo < 1.0f) {
        /* Narrower than an FFT bin: a parabola through the log magnitudes of the three
         * nearest bins, the shape of a Hann main lobe, so a tone peaks in its own bin. */
        float c = 0.5f * (lo + hi);
        int k = (int)lroundf(c);
        k = k < 1 ? 1 : (k > an->nbins - 2 ? an->nbins - 2 : k);
        float f = c - k;
        float a = logf(mag[k - 1] + 1e-12f), b = logf(mag[k] + 1e-12f);
        float g = logf(mag[k + 1] + 1e-12f);
        float p = b + 0.5f * f * (g - a) + 0.5f * f * f * (a - 2.0f * b + g);
        /* Hann scalloping is at most 1.42 dB (0.16 in ln): never rise more than that. */
        m = expf(fminf(p, fmaxf(b, fmaxf(a, g)) + 0.17f));
    } else {
        int k0 = (int)ceilf(lo), k1 = (int)floorf(hi);
        k1 = k1 > an->nbins - 1 ? an->nbins - 1 : k1;
        m = 0.0f;
        for (int k = k0; k <= k1; k++)
            m = fmaxf(m, mag[k]);
    }
    float db = 20.0f * log10f(m * an->norm + 1e-9f);
    return strata_clampf((db + SPEC_FLOOR_DB) / SPEC_FLOOR_DB, 0.0f, 1.0f);
}

static void analyse_hop(strata_analysis *an)
{
    const float *x = an->hop->data;
    double sq = 0.0;
    for (int i = 0; i < STRATA_AUDIO_HOP; i++) {
        sq += (double)x[i] * x[i];
        an->wave[an->wave_pos] = x[i];
        an->wave_pos = (an->wave_pos + 1) % STRATA_WAVEFORM_SAMPLES;
    }
    aubio_pvoc_do(an->pv, an->hop, an->grain);
    /* -180 dB dither: aubio's level of exact zeros is -inf, below any gate. */
    for (int i = 0; i < STRATA_AUDIO_HOP; i++)
        an->onset_in->data[i] = x[i] + (i & 1 ? 1e-9f : -1e-9f);
    aubio_onset_do(an->onset, an->onset_in, an->onset_out);
    an->samples += STRATA_AUDIO_HOP;
    double elapsed = (double)an->samples / an->rate;
    float rms = (float)sqrt(sq / STRATA_AUDIO_HOP);
    an->level_db = rms > 1e-6f ? 20.0f * log10f(rms) : -120.0f;
    float loudest = an->level_db;
    for (int i = 7; i > 0; i--) {
        an->recent_db[i] = an->recent_db[i - 1];
        loudest = fmaxf(loudest, an->recent_db[i]);
    }
    an->recent_db[0] = an->level_db;
    if (an->onset_out->data[0] > 0.0f && loudest > -60.0f) {
        an->last_onset = (double)aubio_onset_get_last(an->onset) / an->rate;
        an->onset_count++;
    }

    const float *mag = an->grain->norm;
    band_update(&an->level, rms * 1.41421356f, an->dt, elapsed); /* sine peak scale */
    const int *ranges[3] = {an->bass, an->mid, an->high};
    for (int b = 0; b < 3; b++) {
        float e = sqrtf(range_energy(mag, ranges[b])) * an->norm;
        band_update(&an->bands[b], e, an->dt, elapsed);
    }

    /* Tempo reads log-magnitude flux (every attack counts, loud or soft); the band
     * and snare pickers read linear flux, where a kick stands well above the bass line
     * sharing its band and a snare above the hats' low end. */
    float odf = 0.0f, low = 0.0f, flux[3] = {0.0f, 0.0f, 0.0f};
    for (int k = 1; k < an->nbins; k++) {
        float m = mag[k] * an->norm;
        float l = log1pf(1000.0f * m);
        float d = l - an->prev[k], dl = m - an->prev_lin[k];
        an->prev[k] = l;
        an->prev_lin[k] = m;
        if (d > 0.0f && k <= an->odf_hi)
            odf += d;
        if (d > 0.0f && k >= an->kick[0] && k <= an->kick[1])
            low += d;
        if (d > 0.0f && k >= an->hat[0] && k <= an->hat[1])
            flux[2] += d; /* hats: soft ones count too, as in the log domain */
        if (dl <= 0.0f)
            continue;
        if (k >= an->kick[0] && k <= an->kick[1])
            flux[0] += dl;
        if (k >= an->snare[0] && k <= an->snare[1])
            flux[1] += dl;
    }
    /* The picker confirms a peak one hop late; its flux peaked near the window centre. */
    double t_peak = ((double)an->samples - STRATA_AUDIO_HOP - STRATA_AUDIO_WINDOW / 2) / an->rate;
    /* A kick's attack splashes across the snare band; a snare is mostly above it. So a
     * snare candidate must out-flux the kick band on its hop (a kick and a snare struck
     * together read as a kick). */
    const float *pf = an->prev_flux;
    bool allow[3] = {true, pf[1] > SNARE_OVER_KICK * pf[0], true};
    for (int b = 0; b < 3; b++) {
        picker_step(&an->pk[b], flux[b], t_peak, an->dt, 0.06, allow[b]);
        an->prev_flux[b] = flux[b];
    }

    strata_beat_tracker_push(&an->tempo, odf, low, an->samples);

    float att = coef(an->dt, 0.01), rel = coef(an->dt, 0.25);
    for (int i = 0; i < STRATA_SPECTRUM_BINS; i++) {
        float v = spectrum_value(an, mag, i);
        an->spec[i] += (v - an->spec[i]) * (v > an->spec[i] ? att : rel);
    }
}

void strata_analysis_push(strata_analysis *an, const float *samples, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = samples[i];
        an->hop->data[an->fill++] = isfinite(v) ? strata_clampf(v, -4.0f, 4.0f) : 0.0f;
        if (an->fill == STRATA_AUDIO_HOP) {
            analyse_hop(an);
            an->fill = 0;
        }
    }
}

uint64_t strata_analysis_samples(const strata_analysis *an)
{
    return an->samples;
}

float strata_analysis_bin_freq(const strata_analysis *an, int i)
{
    if (i < 0 || i >= STRATA_SPECTRUM_BINS)
        return 0.0f;
    return an->spec_freq[i];
}

static float pulse(double now, double last, double tau)
{
    if (last < 0.0 || now < last)
        return last < 0.0 ? 0.0f : 1.0f;
    return (float)exp(-(now - last) / tau);
}

void strata_analysis_frame_at(const strata_analysis *an, double t, strata_audio_frame *out)
{
    double consumed = (double)an->samples / an->rate;
    if (!(t >= consumed))
        t = consumed;
    out->time = t;
    out->level = band_value(&an->level);
    out->bass = band_value(&an->bands[0]);
    out->mid = band_value(&an->bands[1]);
    out->high = band_value(&an->bands[2]);
    out->level_db = an->level_db;
    out->onset = pulse(t, an->last_onset, PULSE_DECAY);
    out->kick = pulse(t, an->pk[0].last, PULSE_DECAY);
    out->snare = pulse(t, an->pk[1].last, PULSE_DECAY);
    out->hat = pulse(t, an->pk[2].last, PULSE_DECAY * 0.5);
    out->onset_count = an->onset_count;
    out->last_onset_time = an->last_onset < 0.0 ? 0.0 : an->last_onset;

    const strata_beat_tracker *tp = &an->tempo;
    out->bpm = strata_beat_tracker_bpm(tp);
    out->confidence = strata_clampf(tp->confidence, 0.0f, 1.0f);
    double s = t * an->rate;
    strata_beat_tracker_phase(tp, s, &out->beat_phase, &out->bar_phase);
    double last_beat = tp->last_beat;
    uint32_t beats = tp->beat_count;
    if (tp->locked && t > consumed) {
        /* Past the consumed audio (internal clock): the grid keeps announcing beats. */
        double k = floor((s - tp->last_beat) / tp->period);
        if (tp->last_beat >= 0.0 && k >= 1.0) {
            last_beat = tp->last_beat + k * tp->period;
            beats += (uint32_t)k;
        }
    }
    out->beat_count = beats;
    out->last_beat_time = last_beat < 0.0 ? 0.0 : last_beat / an->rate;
    out->beat = last_beat < 0.0 ? 0.0f : pulse(s, last_beat, BEAT_DECAY * an->rate);

    memcpy(out->spectrum, an->spec, sizeof out->spectrum);
    for (int i = 0; i < STRATA_WAVEFORM_SAMPLES; i++)
        out->waveform[i] = strata_clampf(
            an->wave[(an->wave_pos + (uint32_t)i) % STRATA_WAVEFORM_SAMPLES], -1.0f, 1.0f);
}

void strata_analysis_frame(const strata_analysis *an, strata_audio_frame *out)
{
    strata_analysis_frame_at(an, (double)an->samples / an->rate, out);
}
