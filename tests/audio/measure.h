/* Tempo and onset accuracy measurement shared by test_tempo and strata_audio_measure. */
#ifndef STRATA_AUDIO_MEASURE_H
#define STRATA_AUDIO_MEASURE_H

#include <stddef.h>
#include <stdio.h>

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

/* A recorded track through the real analysis and the tempo clock, offline and frame-exact
 * like `strata render --audio-file`: libsndfile decodes [start_s, start_s + seconds),
 * mixed to mono, fed in 60 fps frames; samples in [gap_from, gap_to) (seconds into the
 * window) are replaced by silence, a break that makes the tracker's confidence fall.
 * Figures count frames from skip_s into the window on. */
typedef struct music_figures {
    double seconds;      /* decoded */
    int rate;            /* of the file */
    int frames;          /* counted frames */
    double clock_median; /* median of the clock's bpm */
    double within_1;     /* share of frames whose clock bpm is within 1 of the median */
    double at_120;       /* share of frames whose clock bpm is within 0.5 of 120 */
    double share_audio;  /* share with source audio, audio-hold, internal */
    double share_hold, share_internal;
    double tracker_median;     /* median of the tracker's own bpm (0 when none) */
    double tracker_within_1;   /* share of frames whose tracker bpm is within 1 of its median */
    double low_conf;           /* share of frames with tracker confidence < 0.3 (the old
                                  clock's threshold: it ran at 120 on those) */
    double step_min, step_max; /* per-frame beat advance / (dt * bpm / 60), over all frames */
    int flips;                 /* frames where the clock's bpm moved by more than 4 % */
    double old_within_1;       /* the clock before issue 9 (the tracker at confidence >= 0.3, */
    double old_at_120;         /* else 120): within 1 BPM of its median, exactly 120 */
    char last_reason[128];     /* strata_tempo_reason() at the last frame */
} music_figures;
/* 0 on success, 77 when the file cannot be opened (a test skips), -1 otherwise.
 * trace: when not NULL, one line per second (time, tracker bpm and confidence, clock bpm,
 * source, reason). */
int measure_music(const char *path, double start_s, double seconds, double gap_from, double gap_to,
                  double skip_s, music_figures *out, FILE *trace);

#endif
