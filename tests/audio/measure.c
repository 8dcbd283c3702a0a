#include "measure.h"

#include <aubio/aubio.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/audio.h"
#include "control/control.h"
#include "synth_track.h"

#define RATE 48000
#define FRAME (RATE / 60)

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Signed distance from t to the nearest multiple of period. */
static double wrap(double t, double period)
{
    return t - floor(t / period + 0.5) * period;
}

int measure_tempo(double bpm, double seconds, tempo_figures *out)
{
    size_t n = (size_t)(seconds * RATE);
    float *x = malloc(n * sizeof *x);
    strata_audio_frame *f = malloc(sizeof *f);
    strata_analysis *an = strata_analysis_create(RATE, 0, 0, NULL);
    if (!x || !f || !an) {
        free(x);
        free(f);
        strata_analysis_destroy(an);
        return -1;
    }
    synth_groove(x, n, RATE, bpm, 12345);
    double period = 60.0 / bpm;
    *out = (tempo_figures){.lock_s = -1.0};
    double sum = 0.0, cpu = 0.0;
    int frames = 0;
    for (size_t at = 0; at + FRAME <= n; at += FRAME) {
        double c0 = cpu_s();
        strata_analysis_push(an, x + at, FRAME);
        strata_analysis_frame(an, f);
        cpu += cpu_s() - c0;
        double t = f->time;
        double err = fabs(f->bpm - bpm);
        if (err <= 1.0 && out->lock_s < 0.0)
            out->lock_s = t;
        else if (err > 1.0)
            out->lock_s = -1.0;
        if (t < 8.0)
            continue;
        if (out->bpm_at_8s == 0.0)
            out->bpm_at_8s = f->bpm;
        out->bpm_err_max = fmax(out->bpm_err_max, err);
        double est_period = f->bpm > 0.0f ? 60.0 / f->bpm : period;
        double pe = wrap(t - f->beat_phase * est_period, period) * 1000.0;
        out->phase_err_max = fmax(out->phase_err_max, fabs(pe));
        sum += pe;
        frames++;
        double be = wrap(f->last_beat_time, period) * 1000.0;
        out->beat_err_max = fmax(out->beat_err_max, fabs(be));
        out->confidence = f->confidence;
    }
    out->phase_err_mean = frames ? sum / frames : 0.0;
    out->cpu_ms_per_s = cpu * 1000.0 / seconds;
    if (frames == 0)
        out->phase_err_max = out->bpm_err_max = 1e9;
    strata_analysis_destroy(an);
    free(f);
    free(x);
    return 0;
}

int measure_onsets(double seconds, double tolerance_s, onset_figures *out)
{
    size_t n = (size_t)(seconds * RATE);
    size_t max = (size_t)(seconds * 10.0);
    float *x = malloc(n * sizeof *x);
    double *truth = malloc(max * sizeof *truth);
    double *found = malloc(max * 2 * sizeof *found);
    strata_audio_frame *f = malloc(sizeof *f);
    strata_analysis *an = strata_analysis_create(RATE, 0, 0, NULL);
    int rc = -1;
    if (!x || !truth || !found || !f || !an)
        goto done;
    size_t nt = synth_clicks(x, n, RATE, 777, truth, max);
    size_t nf = 0;
    uint32_t count = 0;
    for (size_t at = 0; at + FRAME <= n; at += FRAME) {
        /* Push hop by hop so every onset's time is read before the next one. */
        for (size_t h = 0; h < FRAME; h += 100) {
            size_t len = FRAME - h < 100 ? FRAME - h : 100;
            strata_analysis_push(an, x + at + h, len);
            strata_analysis_frame(an, f);
            if (f->onset_count != count && nf < max * 2)
                found[nf++] = f->last_onset_time;
            count = f->onset_count;
        }
    }
    size_t matched = 0;
    size_t j = 0;
    for (size_t i = 0; i < nt; i++) {
        while (j < nf && found[j] < truth[i] - tolerance_s)
            j++;
        if (j < nf && fabs(found[j] - truth[i]) <= tolerance_s) {
            matched++;
            j++;
        }
    }
    out->truth = nt;
    out->detected = nf;
    out->matched = matched;
    out->precision = nf ? (double)matched / nf : 0.0;
    out->recall = nt ? (double)matched / nt : 0.0;
    double s = out->precision + out->recall;
    out->f = s > 0.0 ? 2.0 * out->precision * out->recall / s : 0.0;
    rc = 0;
done:
    strata_analysis_destroy(an);
    free(f);
    free(found);
    free(truth);
    free(x);
    return rc;
}

int measure_aubio_tempo(double bpm, double seconds, aubio_figures *out)
{
    size_t n = (size_t)(seconds * RATE);
    float *x = malloc(n * sizeof *x);
    aubio_tempo_t *t = new_aubio_tempo("default", 1024, 256, RATE);
    fvec_t *in = new_fvec(256), *beat = new_fvec(2);
    if (!x || !t || !in || !beat)
        return -1;
    synth_groove(x, n, RATE, bpm, 12345);
    *out = (aubio_figures){0};
    double period = 60.0 / bpm;
    for (size_t at = 0; at + 256 <= n; at += 256) {
        for (int i = 0; i < 256; i++)
            in->data[i] = x[at + i];
        aubio_tempo_do(t, in, beat);
        double now = (double)(at + 256) / RATE;
        if (out->bpm_at_8s == 0.0 && now >= 8.0)
            out->bpm_at_8s = aubio_tempo_get_bpm(t);
        if (beat->data[0] > 0.0f && now >= 8.0) {
            double e = aubio_tempo_get_last_s(t);
            e = (e - floor(e / period + 0.5) * period) * 1000.0;
            out->beat_err_max = fmax(out->beat_err_max, fabs(e));
        }
    }
    out->bpm_end = aubio_tempo_get_bpm(t);
    del_fvec(beat);
    del_fvec(in);
    del_aubio_tempo(t);
    free(x);
    return 0;
}

/* F-measure of events against a grid t = offset + k * period within [t0, t1). */
static double grid_f(const double *ev, int ne, double period, double offset, double tol, double t0,
                     double t1)
{
    int truth = 0, matched = 0, det = 0;
    for (double t = offset; t < t1; t += period) {
        if (t < t0)
            continue;
        truth++;
        for (int i = 0; i < ne; i++) {
            if (fabs(ev[i] - t) <= tol) {
                matched++;
                break;
            }
        }
    }
    for (int i = 0; i < ne; i++)
        det += ev[i] >= t0 - tol && ev[i] < t1;
    double p = det ? (double)matched / det : 0.0, r = truth ? (double)matched / truth : 0.0;
    return p + r > 0.0 ? 2.0 * p * r / (p + r) : 0.0;
}

int measure_band_onsets(double bpm, double f[3])
{
    size_t n = RATE * 10;
    float *x = malloc(n * sizeof *x);
    strata_audio_frame *fr = malloc(sizeof *fr);
    double(*ev)[512] = calloc(3, sizeof *ev);
    strata_analysis *an = strata_analysis_create(RATE, 0, 0, NULL);
    int rc = -1;
    if (!x || !fr || !ev || !an)
        goto done;
    synth_groove(x, n, RATE, bpm, 3);
    /* A pulse that rises is a new onset; its decay tells how long ago it was. */
    const double tau[3] = {0.12, 0.12, 0.06};
    float prev[3] = {0.0f, 0.0f, 0.0f};
    int ne[3] = {0, 0, 0};
    for (size_t at = 0; at + STRATA_AUDIO_HOP <= n; at += STRATA_AUDIO_HOP) {
        strata_analysis_push(an, x + at, STRATA_AUDIO_HOP);
        strata_analysis_frame(an, fr);
        const float v[3] = {fr->kick, fr->snare, fr->hat};
        for (int b = 0; b < 3; b++) {
            if (v[b] > prev[b] + 0.01f && ne[b] < 512)
                ev[b][ne[b]++] = fr->time + tau[b] * log(v[b]);
            prev[b] = v[b];
        }
    }
    double p = 60.0 / bpm;
    f[0] = grid_f(ev[0], ne[0], 2.0 * p, 0.0, 0.05, 1.0, 10.0);
    f[1] = grid_f(ev[1], ne[1], 2.0 * p, p, 0.05, 1.0, 10.0);
    f[2] = grid_f(ev[2], ne[2], 0.5 * p, 0.0, 0.05, 1.0, 10.0);
    rc = 0;
done:
    strata_analysis_destroy(an);
    free(ev);
    free(fr);
    free(x);
    return rc;
}

/* Decode [start_s, start_s + seconds) of path to mono; NULL (and *rc 77) when the file
 * cannot be opened. */
static float *decode_mono(const char *path, double start_s, double seconds, int *rate, size_t *n,
                          int *rc)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    *rc = 77;
    if (!sf)
        return NULL;
    *rc = -1;
    float *mono = NULL, *buf = NULL;
    sf_count_t from = (sf_count_t)(start_s * info.samplerate);
    sf_count_t want = (sf_count_t)(seconds * info.samplerate);
    if (info.channels < 1 || info.samplerate < 8000 || from >= info.frames ||
        sf_seek(sf, from, SEEK_SET) != from)
        goto done;
    if (want > info.frames - from)
        want = info.frames - from;
    buf = malloc((size_t)want * (size_t)info.channels * sizeof *buf);
    mono = malloc((size_t)want * sizeof *mono);
    if (!buf || !mono)
        goto done;
    sf_count_t got = sf_readf_float(sf, buf, want);
    for (sf_count_t i = 0; i < got; i++) {
        float s = 0.0f;
        for (int c = 0; c < info.channels; c++)
            s += buf[i * info.channels + c];
        mono[i] = s / (float)info.channels;
    }
    *rate = info.samplerate;
    *n = (size_t)(got > 0 ? got : 0);
    *rc = 0;
done:
    free(buf);
    sf_close(sf);
    if (*rc != 0) {
        free(mono);
        mono = NULL;
    }
    return mono;
}

typedef struct music_run {
    double *clock, *tracker, *old; /* old: the clock before issue 9 (120 under 0.3) */
    int counted, tracked, within, audio, hold, internal, at_120, low;
} music_run;

static void count_frame(music_run *r, const strata_tempo_state *st, const strata_audio_frame *f)
{
    r->clock[r->counted] = st->bpm;
    r->old[r->counted] = f->bpm > 0.0f && f->confidence >= 0.3f ? f->bpm : 120.0;
    if (f->bpm > 0.0f)
        r->tracker[r->tracked++] = f->bpm;
    r->at_120 += fabs(st->bpm - 120.0) <= 0.5;
    r->low += f->confidence < 0.3f;
    r->audio += st->source == STRATA_TEMPO_AUDIO;
    r->hold += st->source == STRATA_TEMPO_AUDIO_HOLD;
    r->internal += st->source == STRATA_TEMPO_INTERNAL;
    r->counted++;
}

static void finish_figures(music_figures *out, music_run *r)
{
    int n = r->counted;
    out->frames = n;
    if (n == 0)
        return;
    double *copy = malloc((size_t)n * sizeof *copy);
    if (copy) {
        memcpy(copy, r->clock, (size_t)n * sizeof *copy);
        out->clock_median = strata_median(copy, (size_t)n);
        free(copy);
    }
    int within = 0;
    for (int i = 0; i < n; i++)
        within += fabs(r->clock[i] - out->clock_median) <= 1.0;
    out->within_1 = (double)within / n;
    out->tracker_median = strata_median(r->tracker, (size_t)r->tracked);
    within = 0;
    for (int i = 0; i < r->tracked; i++)
        within += fabs(r->tracker[i] - out->tracker_median) <= 1.0;
    out->tracker_within_1 = r->tracked ? (double)within / r->tracked : 0.0;
    out->at_120 = (double)r->at_120 / n;
    double old_median = strata_median(r->old, (size_t)n); /* sorts r->old: counted last */
    within = 0;
    int old_120 = 0;
    for (int i = 0; i < n; i++) {
        within += fabs(r->old[i] - old_median) <= 1.0;
        old_120 += r->old[i] == 120.0;
    }
    out->old_within_1 = (double)within / n;
    out->old_at_120 = (double)old_120 / n;
    out->low_conf = (double)r->low / n;
    out->share_audio = (double)r->audio / n;
    out->share_hold = (double)r->hold / n;
    out->share_internal = (double)r->internal / n;
}

int measure_music(const char *path, double start_s, double seconds, double gap_from, double gap_to,
                  double skip_s, music_figures *out, FILE *trace)
{
    int rate = 0, rc = 0;
    size_t n = 0;
    *out = (music_figures){.step_min = 1e9};
    float *x = decode_mono(path, start_s, seconds, &rate, &n, &rc);
    if (!x)
        return rc;
    /* The break: white noise (a crowd, a riser) with no beat in it. */
    uint32_t seed = 12345u;
    for (size_t i = (size_t)(gap_from * rate); i < n && i < (size_t)(gap_to * rate); i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = 0.5f * ((float)(seed >> 8) / 8388608.0f - 1.0f);
    }
    int frames = (int)(n * 60 / (size_t)rate);
    music_run r = {.clock = malloc((size_t)frames * sizeof(double)),
                   .tracker = malloc((size_t)frames * sizeof(double)),
                   .old = malloc((size_t)frames * sizeof(double))};
    strata_audio_frame *f = malloc(sizeof *f);
    strata_analysis *an = strata_analysis_create((uint32_t)rate, 0, 0, NULL);
    strata_tempo clk;
    strata_tempo_init(&clk, 0);
    rc = -1;
    if (!r.clock || !r.tracker || !r.old || !f || !an)
        goto done;
    out->rate = rate;
    out->seconds = (double)n / rate;
    size_t fed = 0;
    double prev_beat = 0.0, prev_bpm = 0.0;
    for (int k = 1; k <= frames; k++) {
        size_t upto = (size_t)k * (size_t)rate / 60; /* frame-exact, as strata render */
        strata_analysis_push(an, x + fed, upto - fed);
        fed = upto;
        strata_analysis_frame(an, f);
        f->live = true;
        double now = k / 60.0;
        strata_tempo_advance(&clk, now, f);
        const strata_tempo_state *st = &clk.st;
        if (k > 1) {
            double nominal = st->bpm / 3600.0, step = (st->beat - prev_beat) / nominal;
            out->step_min = fmin(out->step_min, step);
            out->step_max = fmax(out->step_max, step);
            out->flips += fabs(st->bpm / prev_bpm - 1.0) > 0.04;
        }
        prev_beat = st->beat;
        prev_bpm = st->bpm;
        if (now >= skip_s)
            count_frame(&r, st, f);
        if (trace && k % 60 == 0) {
            char why[128];
            fprintf(trace, "%6.1f s  tracker %6.2f conf %.2f  clock %6.2f phase %.2f  %s\n", now,
                    f->bpm, f->confidence, st->bpm, st->beat_phase,
                    strata_tempo_reason(st, why, sizeof why));
        }
    }
    strata_tempo_reason(&clk.st, out->last_reason, sizeof out->last_reason);
    finish_figures(out, &r);
    rc = 0;
done:
    strata_analysis_destroy(an);
    free(f);
    free(r.clock);
    free(r.tracker);
    free(r.old);
    free(x);
    return rc;
}
