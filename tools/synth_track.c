/* See synth_track.h. Drum voices are the textbook ones: a pitch-swept sine kick, a
 * noise-plus-tone snare, high-passed noise hats. */
#include "synth_track.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static float noise(uint32_t *s)
{
    return (float)rng_next(s) / 2147483648.0f - 1.0f;
}

static void add_kick(float *out, size_t n, size_t at, uint32_t rate)
{
    double phase = 0.0;
    size_t len = rate * 3 / 10;
    for (size_t i = 0; i < len && at + i < n; i++) {
        double t = (double)i / rate;
        double f = 50.0 + 110.0 * exp(-t / 0.03);
        phase += 2.0 * M_PI * f / rate;
        out[at + i] += (float)(0.8 * exp(-t / 0.12) * sin(phase));
    }
}

static void add_snare(float *out, size_t n, size_t at, uint32_t rate, uint32_t *rng)
{
    size_t len = rate / 4;
    for (size_t i = 0; i < len && at + i < n; i++) {
        double t = (double)i / rate;
        double tone = sin(2.0 * M_PI * 185.0 * t) * exp(-t / 0.05);
        out[at + i] += (float)(0.45 * (noise(rng) * exp(-t / 0.07) + 0.5 * tone));
    }
}

static void add_hat(float *out, size_t n, size_t at, uint32_t rate, uint32_t *rng)
{
    size_t len = rate / 20;
    float prev = 0.0f;
    for (size_t i = 0; i < len && at + i < n; i++) {
        double t = (double)i / rate;
        float w = noise(rng);
        out[at + i] += (float)(0.18 * (w - prev) * exp(-t / 0.015)); /* high-passed */
        prev = w;
    }
}

static void add_bass(float *out, size_t n, size_t at, size_t len, double hz, uint32_t rate)
{
    for (size_t i = 0; i < len && at + i < n; i++) {
        double t = (double)i / rate;
        double env = fmin(1.0, t / 0.01) * exp(-t / 0.2);
        double s = sin(2.0 * M_PI * hz * t) + 0.3 * sin(4.0 * M_PI * hz * t);
        out[at + i] += (float)(0.25 * env * s);
    }
}

void synth_groove(float *out, size_t n, uint32_t rate, double bpm, uint32_t seed)
{
    uint32_t rng = seed ? seed : 1u;
    for (size_t i = 0; i < n; i++)
        out[i] = 0.01f * noise(&rng); /* -40 dBFS floor */
    static const double notes[8] = {55.0, 55.0, 65.41, 55.0, 73.42, 55.0, 82.41, 61.74};
    double beat = 60.0 * rate / bpm;
    for (size_t k = 0;; k++) {
        size_t at = (size_t)llround(k * beat);
        if (at >= n)
            break;
        if (k % 2 == 0)
            add_kick(out, n, at, rate);
        else
            add_snare(out, n, at, rate, &rng);
        for (int e = 0; e < 2; e++) {
            size_t h = (size_t)llround((k + 0.5 * e) * beat);
            add_hat(out, n, h, rate, &rng);
            add_bass(out, n, h, (size_t)(beat * 0.45), notes[(2 * k + e) % 8], rate);
        }
    }
    for (size_t i = 0; i < n; i++)
        out[i] = out[i] > 1.0f ? 1.0f : (out[i] < -1.0f ? -1.0f : out[i]);
}

size_t synth_clicks(float *out, size_t n, uint32_t rate, uint32_t seed, double *times, size_t max)
{
    uint32_t rng = seed ? seed : 1u;
    memset(out, 0, n * sizeof *out);
    size_t count = 0;
    double t = 0.25;
    while (count < max) {
        size_t at = (size_t)llround(t * rate);
        if (at + rate / 100 >= n)
            break;
        for (size_t i = 0; i < rate / 1000 * 3; i++)
            out[at + i] += 0.9f * noise(&rng) * expf(-(float)i / (rate / 1000.0f));
        times[count++] = (double)at / rate;
        t += 0.12 + 0.33 * ((double)(rng_next(&rng) % 1000) / 1000.0);
    }
    return count;
}

static void put16(FILE *f, unsigned v)
{
    fputc((int)(v & 0xff), f);
    fputc((int)((v >> 8) & 0xff), f);
}

static void put32(FILE *f, uint32_t v)
{
    put16(f, v & 0xffff);
    put16(f, v >> 16);
}

int synth_write_wav(const char *path, const float *x, size_t n, uint32_t rate, int channels)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint32_t bytes = (uint32_t)(n * (size_t)channels * 2);
    fwrite("RIFF", 1, 4, f);
    put32(f, 36 + bytes);
    fwrite("WAVEfmt ", 1, 8, f);
    put32(f, 16);
    put16(f, 1);
    put16(f, (unsigned)channels);
    put32(f, rate);
    put32(f, rate * (uint32_t)channels * 2);
    put16(f, (unsigned)channels * 2);
    put16(f, 16);
    fwrite("data", 1, 4, f);
    put32(f, bytes);
    for (size_t i = 0; i < n; i++) {
        long v = lroundf(x[i] * 32767.0f);
        v = v > 32767 ? 32767 : (v < -32768 ? -32768 : v);
        for (int c = 0; c < channels; c++)
            put16(f, (unsigned)(v & 0xffff));
    }
    int bad = ferror(f);
    return fclose(f) == 0 && !bad ? 0 : -1;
}
