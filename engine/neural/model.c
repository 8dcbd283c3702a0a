/* The TAESD model description: the role and family from the tensors, the op sequence of
 * that architecture, every tensor checked against it (name, shape; none missing, none
 * extra), the weights converted to fp32 and checked finite. madebyollin/taesd's taesd.py
 * is the reference; ../shared/models/README.md has the tensor names. */
#include "neural.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 64 /* the width of every hidden layer */
#define POOL_W 256
#define POOL_GROUPS 4

/* One tensor the architecture expects, and where its fp32 copy goes. */
typedef struct expect {
    char name[32];
    int ndim;
    int64_t shape[4];
    const float **dst;
    const strata_tensor *t;
} expect;

#define MAX_EXPECT 160 /* 15 blocks x 10 tensors + the convs */

typedef struct builder {
    const strata_safetensors *st;
    const char *file;
    expect ex[MAX_EXPECT];
    int n;
} builder;

const char *strata_taesd_family_name(strata_taesd_family f)
{
    switch (f) {
    case STRATA_TAESD_SD:
        return "taesd/taesdxl";
    case STRATA_TAESD_SD3:
        return "taesd3/taef1";
    case STRATA_TAESD_F2:
        return "taef2";
    }
    return "unknown";
}

static void want(builder *b, const float **dst, int ndim, int64_t s0, int64_t s1, int64_t s2,
                 int64_t s3, const char *fmt, int index, const char *part)
{
    expect *e = &b->ex[b->n++];
    snprintf(e->name, sizeof e->name, fmt, index, part);
    e->ndim = ndim;
    e->shape[0] = s0, e->shape[1] = s1, e->shape[2] = s2, e->shape[3] = s3;
    e->dst = dst;
}

static void add_conv(builder *b, strata_taesd_op *op, int index, int in, int out, int k, int stride,
                     bool bias)
{
    op->kind = STRATA_TAESD_CONV;
    op->index = index;
    op->conv = (strata_taesd_conv){.in = in, .out = out, .k = k, .stride = stride};
    want(b, &op->conv.w, 4, out, in, k, k, "%d%s", index, ".weight");
    if (bias)
        want(b, &op->conv.b, 1, out, 0, 0, 0, "%d%s", index, ".bias");
}

static void add_block(builder *b, strata_taesd_op *op, int index, bool pool)
{
    op->kind = STRATA_TAESD_BLOCK;
    op->index = index;
    strata_taesd_block *k = &op->block;
    static const char *const wn[3] = {".conv.0.weight", ".conv.2.weight", ".conv.4.weight"};
    static const char *const bn[3] = {".conv.0.bias", ".conv.2.bias", ".conv.4.bias"};
    for (int i = 0; i < 3; i++) {
        k->conv[i] = (strata_taesd_conv){.in = W, .out = W, .k = 3, .stride = 1};
        want(b, &k->conv[i].w, 4, W, W, 3, 3, "%d%s", index, wn[i]);
        want(b, &k->conv[i].b, 1, W, 0, 0, 0, "%d%s", index, bn[i]);
    }
    k->pool = pool;
    if (!pool)
        return;
    k->gn_groups = POOL_GROUPS;
    k->pool_in = (strata_taesd_conv){.in = W, .out = POOL_W, .k = 1, .stride = 1};
    k->pool_out = (strata_taesd_conv){.in = POOL_W, .out = W, .k = 1, .stride = 1};
    want(b, &k->pool_in.w, 4, POOL_W, W, 1, 1, "%d%s", index, ".pool.0.weight");
    want(b, &k->gn_w, 1, POOL_W, 0, 0, 0, "%d%s", index, ".pool.1.weight");
    want(b, &k->gn_b, 1, POOL_W, 0, 0, 0, "%d%s", index, ".pool.1.bias");
    want(b, &k->pool_out.w, 4, W, POOL_W, 1, 1, "%d%s", index, ".pool.3.weight");
}

static void add_plain(strata_taesd *m, strata_taesd_op_kind kind)
{
    m->ops[m->nops] = (strata_taesd_op){.kind = kind, .index = m->nops};
    m->nops++;
}

/* taesd.py's Decoder: Clamp, conv(C, 64), ReLU, 3 x [3 Blocks, Upsample, conv (no bias)],
 * Block, conv(64, 3). The pools are in the first three blocks. */
static void build_decoder(strata_taesd *m, builder *b, bool pool)
{
    add_plain(m, STRATA_TAESD_CLAMP);
    add_conv(b, &m->ops[m->nops], m->nops, m->latent_channels, W, 3, 1, true);
    m->nops++;
    add_plain(m, STRATA_TAESD_RELU);
    for (int stage = 0; stage < 3; stage++) {
        for (int i = 0; i < 3; i++, m->nops++)
            add_block(b, &m->ops[m->nops], m->nops, pool && stage == 0);
        add_plain(m, STRATA_TAESD_UPSAMPLE);
        add_conv(b, &m->ops[m->nops], m->nops, W, W, 3, 1, false);
        m->nops++;
    }
    add_block(b, &m->ops[m->nops], m->nops, false);
    m->nops++;
    add_conv(b, &m->ops[m->nops], m->nops, W, 3, 3, 1, true);
    m->nops++;
}

/* taesd.py's Encoder: conv(3, 64), Block, 3 x [conv stride 2 (no bias), 3 Blocks],
 * conv(64, C). The pools are in the last three blocks. */
static void build_encoder(strata_taesd *m, builder *b, bool pool)
{
    add_conv(b, &m->ops[m->nops], m->nops, 3, W, 3, 1, true);
    m->nops++;
    add_block(b, &m->ops[m->nops], m->nops, false);
    m->nops++;
    for (int stage = 0; stage < 3; stage++) {
        add_conv(b, &m->ops[m->nops], m->nops, W, W, 3, 2, false);
        m->nops++;
        for (int i = 0; i < 3; i++, m->nops++)
            add_block(b, &m->ops[m->nops], m->nops, pool && stage == 2);
    }
    add_conv(b, &m->ops[m->nops], m->nops, W, m->latent_channels, 3, 1, true);
    m->nops++;
}

static void shape_text(int ndim, const int64_t *shape, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
}

/* A 3x3 conv tensor that tells the latent channels: [64, C, 3, 3] or [C, 64, 3, 3]. */
static strata_status latent_channels(const char *file, const strata_tensor *t, bool decoder, int *c,
                                     strata_result *r)
{
    bool ok =
        t->ndim == 4 && t->shape[2] == 3 && t->shape[3] == 3 && t->shape[decoder ? 0 : 1] == W;
    int64_t v = ok ? t->shape[decoder ? 1 : 0] : 0;
    if (!ok || (v != 4 && v != 16 && v != 32)) {
        char s[160];
        shape_text(t->ndim, t->shape, s, sizeof s);
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: tensor \"%s\" has shape %s, expected %s with C the latent "
                           "channels (4, 16 or 32)",
                           file, t->name, s, decoder ? "[64, C, 3, 3]" : "[C, 64, 3, 3]");
    }
    *c = (int)v;
    return STRATA_OK;
}

/* Role, latent channels and family from the tensors. */
static strata_status detect(const strata_safetensors *st, const char *file, strata_taesd *m,
                            strata_result *r)
{
    const strata_tensor *dec = strata_safetensors_find(st, "1.weight");
    const strata_tensor *enc = strata_safetensors_find(st, "0.weight");
    if (dec && enc)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: has both \"0.weight\" (an encoder's first conv) and "
                           "\"1.weight\" (a decoder's): not one TAESD encoder or decoder",
                           file);
    if (!dec && !enc) {
        bool diffusers = strata_safetensors_find(st, "decoder.layers.1.weight") ||
                         strata_safetensors_find(st, "encoder.layers.0.weight");
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: not a TAESD decoder or encoder: no tensor \"1.weight\" (decoder) "
                           "or \"0.weight\" (encoder)%s",
                           file,
                           diffusers ? "; this is a diffusers AutoencoderTiny file: use the "
                                       "separate taesd*_decoder / _encoder files"
                                     : "");
    }
    m->role = dec ? STRATA_TAESD_DECODER : STRATA_TAESD_ENCODER;
    const strata_tensor *first = dec ? dec : strata_safetensors_find(st, "14.weight");
    if (!first)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: tensor \"14.weight\" is missing (expected [C, 64, 3, 3], the "
                           "encoder's last conv)",
                           file);
    strata_status s = latent_channels(file, first, dec != NULL, &m->latent_channels, r);
    if (s != STRATA_OK)
        return s;
    bool pool = strata_safetensors_find(st, dec ? "3.pool.0.weight" : "11.pool.0.weight");
    int c = m->latent_channels;
    if ((c == 32) != pool)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: %d latent channels %s pools (\"%s\"): not a TAESD family "
                           "(taesd/taesdxl: 4, taesd3/taef1: 16, taef2: 32 with pools)",
                           file, c, pool ? "with" : "without",
                           dec ? "3.pool.0.weight" : "11.pool.0.weight");
    m->family = c == 4 ? STRATA_TAESD_SD : c == 16 ? STRATA_TAESD_SD3 : STRATA_TAESD_F2;
    snprintf(m->name, sizeof m->name, "%s %s", strata_taesd_family_name(m->family),
             dec ? "decoder" : "encoder");
    return STRATA_OK;
}

/* Every expected tensor present with its shape; no tensor the architecture lacks. */
static strata_status check_tensors(builder *b, strata_taesd *m, strata_result *r)
{
    for (int i = 0; i < b->n; i++) {
        expect *e = &b->ex[i];
        char want_s[80], got_s[160];
        shape_text(e->ndim, e->shape, want_s, sizeof want_s);
        e->t = strata_safetensors_find(b->st, e->name);
        if (!e->t)
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: tensor \"%s\" is missing (expected %s in the %s)", b->file,
                               e->name, want_s, m->name);
        bool same = e->t->ndim == e->ndim;
        for (int d = 0; same && d < e->ndim; d++)
            same = e->t->shape[d] == e->shape[d];
        if (!same) {
            shape_text(e->t->ndim, e->t->shape, got_s, sizeof got_s);
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: tensor \"%s\" has shape %s, expected %s",
                               b->file, e->name, got_s, want_s);
        }
    }
    int n = strata_safetensors_count(b->st);
    for (int i = 0; i < n; i++) {
        const strata_tensor *t = strata_safetensors_at(b->st, i);
        bool known = false;
        for (int j = 0; j < b->n && !known; j++)
            known = b->ex[j].t == t;
        char shown[81]; /* the name as the file has it, control characters as '?' */
        size_t k = 0;
        for (; !known && t->name[k] && k < sizeof shown - 1; k++)
            shown[k] = (unsigned char)t->name[k] < 0x20 || t->name[k] == 0x7f ? '?' : t->name[k];
        shown[k] = 0;
        if (!known)
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: extra tensor \"%s\" (not part of the %s)",
                               b->file, shown, m->name);
    }
    return STRATA_OK;
}

/* Convert every expected tensor into one fp32 array; NaN or infinite weights refused. */
static strata_status convert(builder *b, strata_taesd *m, strata_result *r)
{
    int64_t total = 0;
    for (int i = 0; i < b->n; i++)
        total += b->ex[i].t->count;
    m->params = total;
    m->weights = malloc((size_t)total * sizeof *m->weights);
    if (!m->weights)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory (%lld weights)", b->file,
                           (long long)total);
    float *p = m->weights;
    for (int i = 0; i < b->n; i++) {
        const strata_tensor *t = b->ex[i].t;
        strata_tensor_to_f32(t, p);
        for (int64_t j = 0; j < t->count; j++)
            if (!isfinite(p[j]))
                return strata_fail(r, STRATA_ERR_FORMAT,
                                   "%s: tensor \"%s\" holds %s at element %lld: refusing a "
                                   "broken model",
                                   b->file, t->name, isnan(p[j]) ? "NaN" : "an infinity",
                                   (long long)j);
        *b->ex[i].dst = p;
        p += t->count;
    }
    return STRATA_OK;
}

strata_status strata_taesd_from_safetensors(const strata_safetensors *st, const char *name,
                                            strata_taesd **out, strata_result *r)
{
    *out = NULL;
    strata_taesd *m = calloc(1, sizeof *m);
    builder *b = calloc(1, sizeof *b);
    if (!m || !b) {
        free(m);
        free(b);
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", name);
    }
    b->st = st;
    b->file = name;
    strata_status s = detect(st, name, m, r);
    if (s == STRATA_OK) {
        bool pool = m->family == STRATA_TAESD_F2;
        if (m->role == STRATA_TAESD_DECODER)
            build_decoder(m, b, pool);
        else
            build_encoder(m, b, pool);
        s = check_tensors(b, m, r);
    }
    if (s == STRATA_OK)
        s = convert(b, m, r);
    free(b);
    if (s != STRATA_OK) {
        strata_taesd_free(m);
        return s;
    }
    *out = m;
    return STRATA_OK;
}

strata_status strata_taesd_load(const char *path, strata_taesd **out, strata_result *r)
{
    *out = NULL;
    strata_safetensors *st;
    strata_status s = strata_safetensors_open(path, &st, r);
    if (s != STRATA_OK)
        return s;
    s = strata_taesd_from_safetensors(st, path, out, r);
    strata_safetensors_close(st); /* the model holds fp32 copies */
    return s;
}

void strata_taesd_free(strata_taesd *m)
{
    if (!m)
        return;
    free(m->weights);
    free(m);
}
