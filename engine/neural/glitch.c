/* neural: latent glitches (neural.h). Damage made in latent space before the decode, so
 * that the decoder paints it as coherent, hallucinated structure rather than pasted-on
 * pixels. Four effects, applied in this order: swap (channels rotated into each other),
 * shift (rows and blocks displaced sideways), noise (gaussian noise in a few channels),
 * quant (values posterised per channel).
 *
 * Every random choice comes from a counter-based hash of (seed, effect, index), never from
 * a running generator: the pattern a seed gives does not depend on the amounts, so an
 * amount swept with a fixed seed grows the same damage smoothly instead of reshuffling it.
 * Selections are nested for the same reason: the channels, bands and blocks hit at a
 * small amount are still hit at a larger one, and new ones fade in rather than jump.
 *
 * Arithmetic is in double and stored back clamped to the float range, so no finite input
 * gives an infinity or a NaN. Channels past GLITCH_MAX_CH (far above TAESD's 32) take no
 * part in swap and noise. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "neural/neural.h"

enum { GLITCH_MAX_CH = 256 };

/* The effect streams of the hash. */
enum { S_SWAP = 1, S_SHIFT_BAND, S_SHIFT_BLOCK, S_NOISE_RANK, S_NOISE };

static uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t hash3(uint64_t seed, uint64_t stream, uint64_t i)
{
    return splitmix(splitmix(seed ^ splitmix(stream)) ^ i);
}

/* Uniform in [0, 1) with 53 bits. */
static double unit(uint64_t h)
{
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

static float to_float(double v)
{
    if (v > FLT_MAX)
        return FLT_MAX;
    if (v < -FLT_MAX)
        return -FLT_MAX;
    return (float)v;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void channel_stats(const float *p, size_t n, double *mean, double *std)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    double m = s / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += ((double)p[i] - m) * ((double)p[i] - m);
    *mean = m;
    *std = sqrt(ss / (double)n);
}

/* A seeded order of the channels: rank[ch] in 0..n-1, from the keys of (seed, stream). */
static void channel_ranks(uint64_t seed, uint64_t stream, int n, int *rank)
{
    uint64_t key[GLITCH_MAX_CH];
    for (int i = 0; i < n; i++)
        key[i] = hash3(seed, stream, (uint64_t)i);
    for (int i = 0; i < n; i++) {
        int r = 0;
        for (int j = 0; j < n; j++)
            r += key[j] < key[i] || (key[j] == key[i] && j < i);
        rank[i] = r;
    }
}

/* ---- swap: every channel flows into the next one of a seeded cycle ------------- *
 * The cycle covers all channels; channel of rank r starts to blend at amount r/n and is
 * fully the next channel's at (r+1)/n, so the subset grows with the amount and no channel
 * jumps. A blend is rescaled to the interpolated std: a plain average of two channels has
 * less energy than either, and the decoder would paint it as a washed-out patch. */
static void glitch_swap(float amount, uint64_t seed, float *lat, int c, size_t plane,
                        float *work)
{
    int n = c < GLITCH_MAX_CH ? c : GLITCH_MAX_CH;
    if (n < 2)
        return;
    int rank[GLITCH_MAX_CH], by_rank[GLITCH_MAX_CH];
    channel_ranks(seed, S_SWAP, n, rank);
    for (int i = 0; i < n; i++)
        by_rank[rank[i]] = i;
    memcpy(work, lat, sizeof(float) * plane * (size_t)n);
    for (int ch = 0; ch < n; ch++) {
        double t = clampd((double)amount * n - rank[ch], 0, 1);
        if (t <= 0)
            continue;
        const float *a = work + plane * (size_t)ch;
        const float *b = work + plane * (size_t)by_rank[(rank[ch] + 1) % n];
        float *o = lat + plane * (size_t)ch;
        if (t >= 1) {
            memcpy(o, b, sizeof(float) * plane);
            continue;
        }
        double ma, sa, mb, sb;
        channel_stats(a, plane, &ma, &sa);
        channel_stats(b, plane, &mb, &sb);
        double mm = (1 - t) * ma + t * mb, sm = 0;
        for (size_t i = 0; i < plane; i++) {
            double v = (1 - t) * a[i] + t * b[i] - mm;
            sm += v * v;
        }
        sm = sqrt(sm / (double)plane);
        double want = (1 - t) * sa + t * sb;
        /* The mix's std is at most want; 4 bounds the gain where the channels cancel. */
        double s = sm > 0 ? clampd(want / sm, 1, 4) : 1;
        for (size_t i = 0; i < plane; i++)
            o[i] = to_float(mm + ((1 - t) * a[i] + t * b[i] - mm) * s);
    }
}

/* ---- shift: a latent datamosh ---------------------------------------------------- */

/* Rotate x0..x0+w-1 of row y right by off in every channel (wrapping inside the span):
 * each row keeps its values, and each latent pixel moves as a whole vector, so the
 * decoder sees displaced content rather than mixed channels. */
static void rotate_span(float *lat, int c, int lh, int lw, int y, int x0, int w, int off,
                        float *work)
{
    for (int ch = 0; ch < c; ch++) {
        float *row = lat + ((size_t)ch * lh + y) * lw + x0;
        memcpy(work, row, sizeof(float) * (size_t)w);
        for (int x = 0; x < w; x++)
            row[(x + off) % w] = work[x];
    }
}

/* Bands of rows (heights 1..lh/5 from the seed) each slide left or right when their key
 * is under the amount, by up to amount * lw/2; then up to 16 rectangles slide inside
 * themselves by up to amount * half their width. The keys, heights, places and directions
 * do not depend on the amount, and no slide goes past half a span (further would bring
 * the content back towards where it was). */
static void glitch_shift(float amount, uint64_t seed, float *lat, int c, int lh, int lw,
                         float *work)
{
    if (lw < 2)
        return;
    int hmax = lh / 5 > 1 ? lh / 5 : 1;
    uint64_t band = 0;
    for (int y = 0; y < lh; band++) {
        uint64_t h0 = hash3(seed, S_SHIFT_BAND, band * 4);
        int h = 1 + (int)(h0 % (uint64_t)hmax);
        double key = unit(hash3(seed, S_SHIFT_BAND, band * 4 + 1));
        double mag = unit(hash3(seed, S_SHIFT_BAND, band * 4 + 2));
        bool left = hash3(seed, S_SHIFT_BAND, band * 4 + 3) & 1;
        if (key < amount) {
            int off = 1 + (int)(mag * amount * (lw / 2));
            if (off > lw - 1)
                off = lw - 1;
            if (left)
                off = lw - off;
            for (int yy = y; yy < y + h && yy < lh; yy++)
                rotate_span(lat, c, lh, lw, yy, 0, lw, off, work);
        }
        y += h;
    }
    int nblk = 1 + lh * lw / 64;
    if (nblk > 16)
        nblk = 16;
    for (int b = 0; b < nblk; b++) {
        uint64_t h[6];
        for (int k = 0; k < 6; k++)
            h[k] = hash3(seed, S_SHIFT_BLOCK, (uint64_t)b * 6 + (uint64_t)k);
        if (unit(h[0]) >= amount)
            continue;
        int w = 2 + (int)(h[1] % (uint64_t)(lw / 2 > 1 ? lw / 2 : 1));
        if (w > lw)
            w = lw;
        int bh = 1 + (int)(h[2] % (uint64_t)(lh / 3 > 1 ? lh / 3 : 1));
        int x0 = (int)(h[3] % (uint64_t)(lw - w + 1));
        int y0 = (int)(h[4] % (uint64_t)lh);
        int off = 1 + (int)(unit(h[5]) * amount * (w / 2));
        if (off > w - 1)
            off = w - 1;
        if (h[5] & 1)
            off = w - off;
        for (int y = y0; y < y0 + bh && y < lh; y++)
            rotate_span(lat, c, lh, lw, y, x0, w, off, work);
    }
}

/* ---- noise: gaussian noise in a seeded, growing subset of channels --------------- *
 * With k = sqrt(amount): sigma = k * the latent's std (the mean of the channel variances,
 * at least 0.1 so that a flat latent still takes damage), and the channel of rank r fades
 * in as k * c goes from r to r + 1. The square root because the decoder shrugs off small
 * noise: linear in the amount, 0.5 left the picture all but untouched. The noise values
 * depend on (seed, channel, index) only. */
static void glitch_noise(float amount, uint64_t seed, float *lat, int c, size_t plane)
{
    int n = c < GLITCH_MAX_CH ? c : GLITCH_MAX_CH;
    double var = 0;
    for (int ch = 0; ch < c; ch++) {
        double m, s;
        channel_stats(lat + plane * (size_t)ch, plane, &m, &s);
        var += s * s / c;
    }
    double k = sqrt((double)amount), sigma = k * fmax(sqrt(var), 0.1);
    int rank[GLITCH_MAX_CH];
    channel_ranks(seed, S_NOISE_RANK, n, rank);
    for (int ch = 0; ch < n; ch++) {
        double wgt = clampd(k * n - rank[ch], 0, 1);
        if (wgt <= 0)
            continue;
        float *p = lat + plane * (size_t)ch;
        for (size_t i = 0; i < plane; i += 2) {
            /* Box-Muller: both outputs of one pair of uniforms. */
            uint64_t h = hash3(seed, S_NOISE, (uint64_t)ch * plane + i);
            double u1 = ((double)(h >> 32) + 1.0) * (1.0 / 4294967296.0); /* (0, 1] */
            double u2 = (double)(h & 0xffffffffu) * (1.0 / 4294967296.0);
            double r = sqrt(-2.0 * log(u1)) * sigma * wgt, a = 6.283185307179586 * u2;
            p[i] = to_float(p[i] + r * cos(a));
            if (i + 1 < plane)
                p[i + 1] = to_float(p[i + 1] + r * sin(a));
        }
    }
}

/* ---- quant: posterised per channel ------------------------------------------------ *
 * 1 + 1/amount levels, rounded (256 at 0.004 and below, 11 at 0.1, 5 at 0.25, 3 at 0.5,
 * 2 above 2/3) spread over each channel's own min..max: the step grows about linearly
 * with the amount. The decoder smooths over steps up to about a sixth of a channel's
 * range, so the look lives in the last few levels. At most that many values per channel,
 * each within half a step of where it was. */
static void glitch_quant(float amount, float *lat, int c, size_t plane)
{
    int levels = 1 + (int)lround(fmin(255.0, 1.0 / amount));
    for (int ch = 0; ch < c; ch++) {
        float *p = lat + plane * (size_t)ch;
        double lo = p[0], hi = p[0];
        for (size_t i = 1; i < plane; i++)
            lo = fmin(lo, p[i]), hi = fmax(hi, p[i]);
        if (!(hi > lo))
            continue;
        double step = (hi - lo) / (levels - 1);
        for (size_t i = 0; i < plane; i++) {
            double k = floor(((double)p[i] - lo) / step + 0.5);
            p[i] = to_float(fmin(lo + clampd(k, 0, levels - 1) * step, hi));
        }
    }
}

void strata_latent_glitch_apply(const strata_latent_glitch *g, uint64_t seed, float *latent,
                                int c, int lh, int lw, float *work)
{
    if (!g || !latent || c < 1 || lh < 1 || lw < 1)
        return;
    /* Amounts outside 0..1 (or NaN) are clamped; NaN counts as 0. */
    float swap = g->swap > 0 ? fminf(g->swap, 1) : 0;
    float shift = g->shift > 0 ? fminf(g->shift, 1) : 0;
    float noise = g->noise > 0 ? fminf(g->noise, 1) : 0;
    float quant = g->quant > 0 ? fminf(g->quant, 1) : 0;
    size_t plane = (size_t)lh * (size_t)lw;
    if (swap > 0)
        glitch_swap(swap, seed, latent, c, plane, work);
    if (shift > 0)
        glitch_shift(shift, seed, latent, c, lh, lw, work);
    if (noise > 0)
        glitch_noise(noise, seed, latent, c, plane);
    if (quant > 0)
        glitch_quant(quant, latent, c, plane);
}
