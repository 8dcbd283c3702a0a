/* Test-track synthesiser for the audio tests and benchmarks: a drum pattern with a bass
 * line over a noise floor at an exact tempo, and click trains with known onset times.
 * Deterministic (fixed-seed noise): the same arguments give the same samples. */
#ifndef STRATA_SYNTH_TRACK_H
#define STRATA_SYNTH_TRACK_H

#include <stddef.h>
#include <stdint.h>

/* Fill out[0..n) (mono, -1..1) at rate with a 4/4 groove at bpm: kick on beats 1 and 3,
 * snare on 2 and 4, closed hats on every eighth, a bass line on eighths, and white
 * noise at -40 dBFS. Beat k starts exactly at sample round(k * 60 * rate / bpm). */
void synth_groove(float *out, size_t n, uint32_t rate, double bpm, uint32_t seed);

/* Clicks (1 ms decaying noise bursts) at irregular times; writes up to max onset times
 * (seconds) into times and returns how many. Gaps are 120..450 ms. */
size_t synth_clicks(float *out, size_t n, uint32_t rate, uint32_t seed, double *times, size_t max);

/* Write mono float samples as a 16-bit PCM WAV with the given channel count (the mono
 * signal copied to every channel). Returns 0 on success. */
int synth_write_wav(const char *path, const float *x, size_t n, uint32_t rate, int channels);

#endif
