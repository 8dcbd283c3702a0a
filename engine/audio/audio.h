/* strata audio: capture, file input and analysis.
 *
 * What it is
 *   The render thread takes one strata_audio_frame per frame (a value, copied):
 *   bands, onsets, beat, spectrum and waveform. Everything visual reads that value.
 *   Silence gives calm, defined values (ratios 1, levels 0), never NaN.
 *
 * Threads
 *   The PortAudio callback only writes into a lock-free ring (core/ring).
 *   Analysis runs on the render thread inside strata_audio_snapshot(), consuming
 *   every hop that arrived since the last frame.
 *
 * This header is the contract the render and control modules read. The rest of the
 * API (devices, files, analysis) is declared below the frame struct.
 */
#ifndef STRATA_AUDIO_H
#define STRATA_AUDIO_H

#include "core/core.h"

#define STRATA_SPECTRUM_BINS 256
#define STRATA_WAVEFORM_SAMPLES 512

/* One band: fast and slow envelopes, automatic-gain 0..1, and the
 * self-normalising ratio (1 is normal, <0.7 quiet, >1.3 loud; Milkdrop's bass/mid/treb). */
typedef struct strata_band {
    float fast;  /* AGC'd 0..1, short attack/release */
    float slow;  /* AGC'd 0..1, long average */
    float agc;   /* AGC'd 0..1 instantaneous */
    float ratio; /* fast / long-term average; 1 in silence */
} strata_band;

typedef struct strata_audio_frame {
    double time;            /* seconds of audio consumed (sample clock) */
    strata_band level, bass, mid, high;
    float onset, kick, snare, hat; /* pulses 0..1: 1 at the onset, decaying */
    float bpm;              /* tracked tempo, 0 when unknown */
    float beat_phase;       /* 0..1 within the beat */
    float bar_phase;        /* 0..1 within the bar (4 beats) */
    float confidence;       /* 0..1 of the beat tracker */
    float beat;             /* pulse 0..1 at each tracked beat */
    double last_beat_time;  /* sample-clock time of the last beat, seconds */
    uint32_t onset_count;   /* total onsets since start */
    uint32_t beat_count;    /* total beats since start */
    bool live;              /* true when a device or file feeds it; false on the internal clock */
    float spectrum[STRATA_SPECTRUM_BINS];  /* log-spaced, smoothed, 0..1 */
    float waveform[STRATA_WAVEFORM_SAMPLES]; /* last samples, -1..1 */
} strata_audio_frame;

/* Calm values for silence / no input: ratios 1, levels 0, no beat. */
void strata_audio_frame_silence(strata_audio_frame *f);

#endif
