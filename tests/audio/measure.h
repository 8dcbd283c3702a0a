/* Tempo and onset accuracy measurement shared by test_tempo and strata_audio_measure. */
#ifndef STRATA_AUDIO_MEASURE_H
#define STRATA_AUDIO_MEASURE_H

#include <stddef.h>

typedef struct tempo_figures {
    double bpm_at_8s;      /* reported tempo 8 s in */
    double bpm_err_max;    /* max |bpm - truth| over frames from 8 s to the end */
    double phase_err_max;  /* max |beat phase error| in ms over the same frames */
    double phase_err_mean; /* signed mean, ms (positive: the grid is late) */
    double beat_err_max;   /* max |last_beat_time - nearest true beat| in ms */
    double confidence;     /* at the end */
    double lock_s;         /* first time from which bpm stayed within 1 of the truth */
    double cpu_ms_per_s;   /* analysis CPU per second of audio */
} tempo_figures;

/* Synthesise seconds of the groove at bpm (rate 48000) and analyse it in 60 fps frames. */
int measure_tempo(double bpm, double seconds, tempo_figures *out);

/* The same groove through aubio_tempo alone, for comparison: its bpm at 8 s and at the
 * end, and the max |error| of its beat times (ms) from 8 s on. */
typedef struct aubio_figures {
    double bpm_at_8s, bpm_end, beat_err_max;
} aubio_figures;
int measure_aubio_tempo(double bpm, double seconds, aubio_figures *out);

typedef struct onset_figures {
    size_t truth, detected, matched;
    double precision, recall, f;
} onset_figures;

/* A click train of seconds; onsets within tolerance_s of a click match. */
int measure_onsets(double seconds, double tolerance_s, onset_figures *out);

/* Per-band onsets (kick, snare, hat pulses) on the groove at bpm from 1 s to 10 s:
 * F-measure of each against the pattern (kick 1 and 3, snare 2 and 4, hats on eighths),
 * 50 ms tolerance. */
int measure_band_onsets(double bpm, double f[3]);

#endif
