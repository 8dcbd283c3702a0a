/* strata audio: capture, file input and analysis.
 *
 * What it is
 *   The render thread takes one strata_audio_frame per frame (a value, copied):
 *   bands, onsets, beat, spectrum and waveform. Everything visual reads that value.
 *   Silence gives calm, defined values (ratios 1, levels 0), never NaN.
 *
 * Step by step (the app)
 *   strata_audio_config cfg = { .device = opt_device, .file = opt_file };  zero = default
 *   strata_audio *a = strata_audio_create(&cfg, &res);   never NULL unless out of memory
 *   every frame:  strata_audio_snapshot(a, frame_time, &frame);
 *   overlay:      strata_audio_status(a)   ("capture: pulse 48000 Hz", "no input: ...")
 *   at exit:      strata_audio_destroy(a);
 *   --list-audio: strata_audio_list_devices(stdout);
 *
 * Sources (chosen by the config)
 *   - no_audio, or no device could be opened: the internal clock. Frames are silent,
 *     `live` is false, the beat grid keeps running at its last tempo with a confidence
 *     that fades. A failed device is logged once and retried every 2 s by a worker thread.
 *   - a PortAudio input device (default, or `device` as index or name substring).
 *   - `file` in realtime mode: decoded by a worker thread at wall-clock pace (optionally
 *     heard through `monitor`), looped at its end.
 *   - `file` in frame-exact mode (strata render): strata_audio_snapshot reads exactly the
 *     samples up to frame_time on the calling thread, so renders are repeatable.
 *
 * Threads
 *   The PortAudio callback only writes into a lock-free ring (core/ring): no malloc,
 *   lock, log or I/O. A worker thread owns PortAudio (open, watchdog, reopen, close) and,
 *   in realtime file mode, the file. Analysis runs on the render thread inside
 *   strata_audio_snapshot(), consuming every hop (256 samples) that arrived since the
 *   last frame, so onset and beat times are exact to the hop whatever the frame rate.
 *   strata_audio_* functions are called from one thread (the render thread), except
 *   strata_audio_list_devices which is for startup only.
 *   strata_analysis_* objects are single-threaded and touch no device: tests and offline
 *   tools feed them directly.
 *
 * Ownership
 *   create allocates, destroy frees. Config strings are copied at create.
 *
 * Command line the app wires (all optional):
 *   --list-audio               strata_audio_list_devices(stdout), then exit
 *   --audio-device NAME|INDEX  cfg.device (digits: PortAudio index; else name substring)
 *   --audio-channels N         cfg.channels (channels opened on the device)
 *   --audio-channel N          cfg.channel (1-based channel analysed; 0 = mono mix-down)
 *   --sample-rate N            cfg.sample_rate (default 48000)
 *   --audio-buffer N           cfg.buffer_frames (PortAudio frames per buffer, default 256)
 *   --audio-file F             cfg.file (WAV, FLAC, OGG, MP3 as libsndfile reads them);
 *                              strata render sets cfg.frame_exact = true
 *   --monitor                  cfg.monitor (play the file out through the default output)
 *   --no-audio                 cfg.no_audio (internal clock, no capture)
 *   --bpm-range LO:HI          cfg.bpm_min, cfg.bpm_max (default 60:200);
 *                              strata_audio_parse_bpm_range() parses the argument
 * --stats fields recommended: bpm (%.1f), conf (confidence %.2f), level, bass, mid, high
 *   (the .fast AGC values, %.2f), and strata_audio_status() when not live.
 */
#ifndef STRATA_AUDIO_H
#define STRATA_AUDIO_H

#include <stdio.h>

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
    double time; /* seconds of audio consumed (sample clock) */
    strata_band level, bass, mid, high;
    float onset, kick, snare, hat; /* pulses 0..1: 1 at the onset, decaying */
    float bpm;                     /* tracked tempo, 0 when unknown */
    float beat_phase;              /* 0..1 within the beat */
    float bar_phase;               /* 0..1 within the bar (4 beats) */
    float confidence;              /* 0..1 of the beat tracker (noise ~0.05, music 0.4-0.9) */
    float beat;                    /* pulse 0..1 at each tracked beat */
    double last_beat_time;         /* sample-clock time of the last beat, seconds */
    uint32_t onset_count;          /* total onsets since start */
    uint32_t beat_count;           /* total beats since start */
    bool live; /* true when a device or file feeds it; false on the internal clock */
    float spectrum[STRATA_SPECTRUM_BINS];    /* log-spaced, smoothed, 0..1 */
    float waveform[STRATA_WAVEFORM_SAMPLES]; /* last samples, -1..1 */
    /* --- added by the audio module; older readers may ignore them */
    double last_onset_time; /* sample-clock time of the last overall onset, seconds */
    float level_db;         /* RMS of the last hop in dBFS, -120 in silence */
} strata_audio_frame;

/* Calm values for silence / no input: ratios 1, levels 0, no beat. */
void strata_audio_frame_silence(strata_audio_frame *f);

/* ---- analysis: samples in, frames out, no device ----------------------- */

typedef struct strata_analysis strata_analysis;

#define STRATA_AUDIO_HOP 256     /* samples per analysis step */
#define STRATA_AUDIO_WINDOW 1024 /* FFT size */
#define STRATA_AUDIO_BPM_MIN 60.0f
#define STRATA_AUDIO_BPM_MAX 200.0f

/* rate: sample rate of the mono samples to come. bpm_min/max 0 = 60/200.
 * Returns NULL (and fills r) on bad arguments or out of memory. Any thread. */
strata_analysis *strata_analysis_create(uint32_t rate, float bpm_min, float bpm_max,
                                        strata_result *r);
void strata_analysis_destroy(strata_analysis *an);
/* Feed n mono samples (any n; analysis runs per complete hop). Non-finite samples
 * count as 0. */
void strata_analysis_push(strata_analysis *an, const float *samples, size_t n);
/* Fill out from the state after the last complete hop. Pulses decay with the sample
 * clock, so two calls without new samples give the same frame. */
void strata_analysis_frame(const strata_analysis *an, strata_audio_frame *out);
/* Like strata_analysis_frame, but pulses and phases are evaluated at time t (seconds
 * of the sample clock, t >= consumed time): the internal-clock path after input stops. */
void strata_analysis_frame_at(const strata_analysis *an, double t, strata_audio_frame *out);
/* Samples consumed in complete hops. */
uint64_t strata_analysis_samples(const strata_analysis *an);
/* Centre frequency in Hz of spectrum bin i (log-spaced, 20 Hz to min(20 kHz, rate/2)). */
float strata_analysis_bin_freq(const strata_analysis *an, int i);

/* ---- capture: devices, files, internal clock --------------------------- */

typedef struct strata_audio strata_audio;

typedef struct strata_audio_config {
    const char *device;     /* NULL/"" = default input; digits = index; else substring */
    int channels;           /* channels to open, 0 = min(2, device maximum) */
    int channel;            /* 1-based channel to analyse, 0 = mono mix-down */
    int sample_rate;        /* 0 = 48000 (a file uses its own rate) */
    int buffer_frames;      /* PortAudio frames per buffer, 0 = 256 */
    const char *file;       /* audio file instead of a device */
    bool frame_exact;       /* file only: consume exactly up to frame_time (render) */
    bool monitor;           /* file only, realtime: also play it out */
    bool no_audio;          /* internal clock only, no capture */
    float bpm_min, bpm_max; /* 0 = 60, 200 */
} strata_audio_config;

/* Never fails hard: when the device or file cannot be opened it runs on the internal
 * clock, logs once (r, if given, gets the reason with STRATA_ERR_DEVICE or _IO) and
 * retries a device every 2 s. Returns NULL only when out of memory or on a bad config
 * (bpm range). Call from the thread that will call snapshot. */
strata_audio *strata_audio_create(const strata_audio_config *cfg, strata_result *r);
void strata_audio_destroy(strata_audio *a);
/* Once per frame on the render thread: analyse every hop that arrived and fill out.
 * frame_time (seconds) is used by frame-exact file mode (consume up to it) and by the
 * internal clock (phases advance with it); live capture uses its own sample clock.
 * Never blocks on a device. */
void strata_audio_snapshot(strata_audio *a, double frame_time, strata_audio_frame *out);
/* One line for the overlay and the log: what feeds the analysis now. The string
 * stays valid until the next snapshot or destroy. */
const char *strata_audio_status(const strata_audio *a);
/* True while a device or file feeds samples. */
bool strata_audio_is_live(const strata_audio *a);
/* Number of times the device was (re)opened successfully; samples dropped by the ring. */
uint32_t strata_audio_open_count(const strata_audio *a);
uint64_t strata_audio_dropped(const strata_audio *a);
/* Time from a block of samples entering the ring (device callback or file reader) to
 * the snapshot that analysed it, over the last 2048 blocks: median and 99th percentile in
 * ms. False before any block. Sorts a copy: for `strata bench --audio`, not per frame. */
bool strata_audio_latency(const strata_audio *a, double *p50_ms, double *p99_ms);
/* Print input devices: index, name, host API, input channels, default rate.
 * Returns the number of input devices, or -1 when PortAudio cannot start. Startup only. */
int strata_audio_list_devices(FILE *out);
/* Parse "LO:HI" (e.g. "60:200") into lo, hi; false when malformed or not 20<=LO<HI<=400. */
bool strata_audio_parse_bpm_range(const char *s, float *lo, float *hi);

#endif
