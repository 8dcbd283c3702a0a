/* Private to engine/audio: the tempo tracker the analysis drives, hop by hop. */
#ifndef STRATA_AUDIO_INTERNAL_H
#define STRATA_AUDIO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

/* About 11 s of onset envelope at 48 kHz / 256: long enough for 4 beats at 60 BPM
 * plus the autocorrelation window, short enough to follow a tempo change. */
#define STRATA_TEMPO_ODF_LEN 2048

typedef struct strata_beat_tracker {
    /* --- config */
    double rate;     /* samples per second */
    double hop_rate; /* onset-envelope values per second */
    float bpm_min, bpm_max;
    /* --- onset envelope history (circular, indexed by global hop number) */
    float odf[STRATA_TEMPO_ODF_LEN];
    float low[STRATA_TEMPO_ODF_LEN]; /* low-band flux, for the downbeat guess */
    uint64_t n;                      /* values pushed */
    float work[STRATA_TEMPO_ODF_LEN];
    float acf[STRATA_TEMPO_ODF_LEN];
    float weighted[STRATA_TEMPO_ODF_LEN];
    /* --- beat grid (sample clock) */
    bool locked;
    double period; /* samples per beat */
    double anchor; /* sample time of one beat of the grid */
    float confidence;
    double pending_period; /* a different tempo waiting to be confirmed */
    int pending_hits;
    /* --- announced beats */
    double last_beat; /* sample time, <0 before the first */
    uint32_t beat_count;
    float bar_score[4]; /* low-band strength per position in the bar */
    int bar_offset;     /* beat_count + bar_offset == 0 mod 4 on the downbeat */
} strata_beat_tracker;

void strata_beat_tracker_init(strata_beat_tracker *t, double rate, float bpm_min, float bpm_max);
/* One onset-envelope value per hop; end_sample is the sample clock after that hop. */
void strata_beat_tracker_push(strata_beat_tracker *t, float odf, float low_flux,
                              uint64_t end_sample);
/* Phase 0..1 within the beat and within the bar at sample time s. */
void strata_beat_tracker_phase(const strata_beat_tracker *t, double s, float *beat, float *bar);
float strata_beat_tracker_bpm(const strata_beat_tracker *t);

#endif
