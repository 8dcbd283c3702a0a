/* The CPU reference of the TAESD decoder and encoder: plain loops in fp32 over planar
 * activations [channels][h][w], written to be read next to taesd.py, not to be fast.
 * The tests hold it to an independent PyTorch implementation; the GPU decoder is held
 * to it. */
#include "neural.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LATENT_SIDE 1024 /* 8192-pixel pictures: the largest side strata renders */
#define GN_EPS 1e-5f

/* A planar activation: c channels of h x w floats (data is one of the work buffers). */
typedef struct act {
    int c, h, w;
    float *data;
} act;

/* out = conv(in): k 3 (pad 1) or 1, stride 1 or 2, PyTorch semantics. For each output
 * channel, each input channel and each tap, one row-wise multiply-add over the output. */
static void conv(const strata_taesd_conv *cv, const act *in, act *out)
{
    int s = cv->stride, pad = cv->k / 2;
    out->c = cv->out;
    out->h = (in->h + 2 * pad - cv->k) / s + 1;
    out->w = (in->w + 2 * pad - cv->k) / s + 1;
    size_t plane_in = (size_t)in->h * in->w, plane = (size_t)out->h * out->w;
    for (int o = 0; o < cv->out; o++) {
        float *dst = out->data + o * plane;
        float b = cv->b ? cv->b[o] : 0.0f;
        for (size_t p = 0; p < plane; p++)
            dst[p] = b;
        for (int i = 0; i < cv->in; i++) {
            const float *src = in->data + i * plane_in;
            const float *wk = cv->w + ((size_t)o * cv->in + i) * cv->k * cv->k;
            for (int ky = 0; ky < cv->k; ky++)
                for (int kx = 0; kx < cv->k; kx++) {
                    float wv = wk[ky * cv->k + kx];
                    for (int y = 0; y < out->h; y++) {
                        int sy = y * s + ky - pad;
                        if (sy < 0 || sy >= in->h)
                            continue;
                        /* the output columns whose tap lands inside the row: x0 <= x < x1 */
                        int last = in->w - 1 + pad - kx; /* x * s <= last */
                        int x0 = kx < pad ? (pad - kx + s - 1) / s : 0;
                        int x1 = last < 0 ? 0 : last / s + 1;
                        x1 = x1 < out->w ? x1 : out->w;
                        const float *restrict row = src + (size_t)sy * in->w;
                        float *restrict drow = dst + (size_t)y * out->w;
                        int off = kx - pad;
                        if (s == 1)
                            for (int x = x0; x < x1; x++)
                                drow[x] += wv * row[x + off];
                        else
                            for (int x = x0; x < x1; x++)
                                drow[x] += wv * row[x * s + off];
                    }
                }
        }
    }
}

static void relu(act *a)
{
    size_t n = (size_t)a->c * a->h * a->w;
    for (size_t i = 0; i < n; i++)
        a->data[i] = a->data[i] > 0.0f ? a->data[i] : 0.0f;
}

/* GroupNorm: each group of c / groups channels normalised over (its channels x h x w),
 * biased variance, eps 1e-5, then the per-channel affine. Sums in double. */
static void group_norm(act *a, int groups, const float *gw, const float *gb)
{
    int per = a->c / groups;
    size_t plane = (size_t)a->h * a->w, n = (size_t)per * plane;
    for (int g = 0; g < groups; g++) {
        float *x = a->data + (size_t)g * n;
        double sum = 0, sq = 0;
        for (size_t i = 0; i < n; i++)
            sum += x[i];
        double mean = sum / (double)n;
        for (size_t i = 0; i < n; i++)
            sq += (x[i] - mean) * (x[i] - mean);
        float inv = 1.0f / sqrtf((float)(sq / (double)n) + GN_EPS);
        for (int c = 0; c < per; c++) {
            int ch = g * per + c;
            float *p = x + (size_t)c * plane;
            for (size_t i = 0; i < plane; i++)
                p[i] = ((float)(p[i] - mean) * inv) * gw[ch] + gb[ch];
        }
    }
}

/* Block(x) = ReLU(conv4(ReLU(conv2(ReLU(conv0(x))))) + x), after x += pool(x) where the
 * block has one. x is updated in place; t1, t2 are work buffers as large as 4 x x (the
 * pool's 256 channels). */
static void block(const strata_taesd_block *k, act *x, float *t1, float *t2)
{
    size_t n = (size_t)x->c * x->h * x->w;
    if (k->pool) {
        act wide = {.data = t1}, back = {.data = t2};
        conv(&k->pool_in, x, &wide);
        group_norm(&wide, k->gn_groups, k->gn_w, k->gn_b);
        relu(&wide);
        conv(&k->pool_out, &wide, &back);
        for (size_t i = 0; i < n; i++)
            x->data[i] += back.data[i];
    }
    act a = {.data = t1}, b = {.data = t2};
    conv(&k->conv[0], x, &a);
    relu(&a);
    conv(&k->conv[1], &a, &b);
    relu(&b);
    conv(&k->conv[2], &b, &a);
    for (size_t i = 0; i < n; i++) {
        float v = a.data[i] + x->data[i];
        x->data[i] = v > 0.0f ? v : 0.0f;
    }
}

static void upsample(const act *in, act *out)
{
    out->c = in->c;
    out->h = in->h * 2;
    out->w = in->w * 2;
    for (int c = 0; c < in->c; c++)
        for (int y = 0; y < out->h; y++)
            for (int x = 0; x < out->w; x++)
                out->data[((size_t)c * out->h + y) * out->w + x] =
                    in->data[((size_t)c * in->h + y / 2) * in->w + x / 2];
}

#define NBUF 3 /* the activation and two to work in */

/* Run every op of m over cur (in one of buf[]; the other two are work), result in *cur. */
static void run(const strata_taesd *m, act *cur, float *buf[NBUF])
{
    for (int i = 0; i < m->nops; i++) {
        const strata_taesd_op *op = &m->ops[i];
        float *free1 = NULL, *free2 = NULL; /* the buffers cur does not hold */
        for (int j = 0; j < NBUF; j++)
            if (buf[j] != cur->data)
                *(free1 ? &free2 : &free1) = buf[j];
        act next = {.data = free1};
        switch (op->kind) {
        case STRATA_TAESD_CLAMP: {
            size_t n = (size_t)cur->c * cur->h * cur->w;
            for (size_t j = 0; j < n; j++)
                cur->data[j] = tanhf(cur->data[j] / 3.0f) * 3.0f;
            break;
        }
        case STRATA_TAESD_RELU:
            relu(cur);
            break;
        case STRATA_TAESD_CONV:
            conv(&op->conv, cur, &next);
            *cur = next;
            break;
        case STRATA_TAESD_UPSAMPLE:
            upsample(cur, &next);
            *cur = next;
            break;
        case STRATA_TAESD_BLOCK:
            block(&op->block, cur, free1, free2);
            break;
        }
    }
}

/* NBUF work buffers of n floats each; false when out of memory. */
static bool alloc_work(size_t n, float *buf[NBUF])
{
    bool ok = true;
    for (int i = 0; i < NBUF; i++)
        ok &= (buf[i] = malloc(n * sizeof(float))) != NULL;
    if (!ok)
        for (int i = 0; i < NBUF; i++)
            free(buf[i]);
    return ok;
}

static void free_work(float *buf[NBUF])
{
    for (int i = 0; i < NBUF; i++)
        free(buf[i]);
}

bool strata_taesd_decode_cpu(const strata_taesd *m, const float *latent, int lh, int lw, float *rgb)
{
    if (!m || m->role != STRATA_TAESD_DECODER || lh < 1 || lw < 1 || lh > MAX_LATENT_SIDE ||
        lw > MAX_LATENT_SIDE)
        return false;
    /* The widest activation: 64 channels at the full size (the pool's 256 channels live
     * at the latent size, 1/64 of that). */
    size_t full = (size_t)64 * (8 * (size_t)lh) * (8 * (size_t)lw);
    float *buf[NBUF];
    if (!alloc_work(full, buf))
        return false;
    int c = m->latent_channels;
    memcpy(buf[0], latent, (size_t)c * lh * lw * sizeof(float));
    act cur = {.c = c, .h = lh, .w = lw, .data = buf[0]};
    run(m, &cur, buf);
    memcpy(rgb, cur.data, (size_t)3 * cur.h * cur.w * sizeof(float));
    free_work(buf);
    return true;
}

bool strata_taesd_encode_cpu(const strata_taesd *m, const float *rgb, int h, int w, float *latent)
{
    if (!m || m->role != STRATA_TAESD_ENCODER || h < 8 || w < 8 || h % 8 || w % 8 ||
        h / 8 > MAX_LATENT_SIDE || w / 8 > MAX_LATENT_SIDE)
        return false;
    size_t full = (size_t)64 * h * w;
    float *buf[NBUF];
    if (!alloc_work(full, buf))
        return false;
    memcpy(buf[0], rgb, (size_t)3 * h * w * sizeof(float));
    act cur = {.c = 3, .h = h, .w = w, .data = buf[0]};
    run(m, &cur, buf);
    memcpy(latent, cur.data, (size_t)cur.c * cur.h * cur.w * sizeof(float));
    free_work(buf);
    return true;
}
