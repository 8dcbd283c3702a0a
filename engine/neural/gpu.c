/* The TAESD decoder and encoder on the GPU in GL 4.3 compute passes (the .comp files in
 * shaders/neural).
 *
 * The weights of every conv, bias and GroupNorm go once into one fp32 storage buffer
 * (offsets per op); activations are planar fp32 [C][H][W] in three ping-pong buffers
 * sized for the largest latent seen. One dispatch per conv: the clamp in front and the
 * x2 upsamples are folded into the reads of the conv after them, the ReLU after a conv
 * and a Block's skip-add into its writes, and the last conv writes RGB straight into the
 * target's rgba8 texture (imageStore, clamped) so the picture enters the normal chain.
 * A pool (taef2's middle blocks) is conv1x1 -> GroupNorm statistics (two reduction
 * passes) -> conv1x1 whose reads normalise and whose writes add the block's input.
 *
 * The encoder runs through the same walk: its stride-2 convs are the 3x3 conv shader
 * compiled with STRIDE 2 (conv3x3_s2.comp), its last conv writes the latent into a
 * storage buffer that is read back.
 * It has no stage timers (strata-bank encodes outside the render loop).
 *
 * The same walk over the ops either measures the buffers a latent size needs or
 * dispatches, so the sizes can never disagree with the passes. */
#include "neural.h"

#include "render/render.h"

#include <stdlib.h>
#include <string.h>

/* Keep in step with shaders/neural/conv3x3.comp and conv1x1.comp. */
#define CONV3_TILE 16
#define CONV3_OCB 16
#define CONV1_NPX 64
#define CONV1_OCB 16
#define GN_CHUNKS_MAX 64
#define MAX_LATENT 128
#define MAX_PICTURE 1024 /* the encoder's largest side */

enum { BUF_LATENT = 3, BUF_POOL = 4, NBUF = 5 };
enum { F_UP = 1, F_TANH = 2, F_RELU = 4, F_IMAGE = 8 };

/* Offsets of an op's tensors in the weight buffer (floats), -1 when absent. */
typedef struct op_offsets {
    int w, b;              /* CONV */
    int cw[3], cb[3];      /* BLOCK convs */
    int pin, gw, gb, pout; /* BLOCK pool */
} op_offsets;

struct strata_neural_gpu {
    const strata_taesd *m; /* borrowed: the caller keeps the model alive */
    bool encoder;          /* m is an encoder: encode only; else decode only */
    op_offsets off[STRATA_TAESD_MAX_OPS];
    strata_program conv3, conv1, gn;
    strata_program conv3s2; /* encoders: the stride-2 conv */
    GLuint weights;
    GLuint buf[NBUF];
    size_t cap[NBUF]; /* floats */
    GLuint stats, partial;
    int stats_cap; /* groups */
    /* the decode under way (strata_neural_gpu_begin .. _step) */
    bool active;
    int lh, lw;
    strata_target out; /* a copy: the caller keeps the texture alive until done */
    int passes_done, passes;
};

/* What a walk needs (measure) or uses (dispatch). Dispatching, it issues the passes
 * [skip, skip + budget) of the sequence and counts them all. */
typedef struct walk {
    strata_neural_gpu *g; /* NULL: measure only */
    const strata_target *out;
    size_t need[NBUF]; /* floats */
    int groups;
    int count, skip, budget; /* passes seen, to skip, to issue */
    int stage, timing;       /* the resolution stage (-1: untimed); the one whose timer runs */
    int result;              /* the buffer the last conv wrote (an encoder's latent) */
} walk;

static const char *const stage_names[] = {"neural_1x", "neural_2x", "neural_4x", "neural_8x",
                                          "neural_16x"};

/* Count one pass; true when it is to be issued now (its stage's timer then runs). */
static bool issue(walk *w)
{
    int n = w->count++;
    if (!w->g || n < w->skip || n - w->skip >= w->budget)
        return false;
    if (w->stage >= 0 && w->timing != w->stage) {
        if (w->timing >= 0)
            strata_gpu_end();
        strata_gpu_begin(stage_names[w->stage]);
        w->timing = w->stage;
    }
    return true;
}

static GLint loc(strata_program p, const char *name)
{
    return strata_uniform_loc(p, name);
}

static void bind(int binding, GLuint buf)
{
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, (GLuint)binding, buf);
}

static void need(walk *w, int buf, size_t floats)
{
    if (floats > w->need[buf])
        w->need[buf] = floats;
}

/* 3x3 conv (stride c->stride) from buffer `in` (*width x *height) into `out`, + residual
 * `res` (-1: none). *width, *height become the output's size: x2 with F_UP, half (rounded
 * up, as PyTorch's pad 1) with stride 2. */
static void conv3(walk *w, const strata_taesd_conv *c, int ow, int ob, int in, int out, int res,
                  int *width, int *height, unsigned flags)
{
    int in_w = *width, in_h = *height;
    int s = flags & F_UP ? 1 : c->stride;
    int out_w = flags & F_UP ? 2 * in_w : (in_w + s - 1) / s;
    int out_h = flags & F_UP ? 2 * in_h : (in_h + s - 1) / s;
    *width = out_w;
    *height = out_h;
    if (!(flags & F_IMAGE))
        need(w, out, (size_t)c->out * (size_t)out_w * (size_t)out_h);
    if (!(flags & F_IMAGE))
        w->result = out;
    if (!issue(w))
        return;
    strata_neural_gpu *g = w->g;
    strata_program p = s == 2 ? g->conv3s2 : g->conv3;
    strata_program_use(p);
    bind(0, g->buf[in]);
    bind(1, g->buf[flags & F_IMAGE ? in : out]);
    bind(2, g->buf[res >= 0 ? res : in]);
    glUniform1i(loc(p, "u_cin"), c->in);
    glUniform1i(loc(p, "u_cout"), c->out);
    glUniform2i(loc(p, "u_size"), out_w, out_h);
    glUniform2i(loc(p, "u_in_size"), in_w, in_h);
    glUniform1i(loc(p, "u_up"), !!(flags & F_UP));
    glUniform1i(loc(p, "u_tanh"), !!(flags & F_TANH));
    glUniform1i(loc(p, "u_relu"), !!(flags & F_RELU));
    glUniform1i(loc(p, "u_res"), res >= 0);
    glUniform1i(loc(p, "u_to_image"), !!(flags & F_IMAGE));
    glUniform1i(loc(p, "u_w"), ow);
    glUniform1i(loc(p, "u_b"), c->b ? ob : -1);
    if (flags & F_IMAGE)
        glBindImageTexture(0, w->out->tex, 0, GL_FALSE, 0, GL_WRITE_ONLY, GL_RGBA8);
    glDispatchCompute((GLuint)((out_w + CONV3_TILE - 1) / CONV3_TILE),
                      (GLuint)((out_h + CONV3_TILE - 1) / CONV3_TILE),
                      (GLuint)((c->out + CONV3_OCB - 1) / CONV3_OCB));
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
}

/* 1x1 conv (no bias) over `pixels`; groups > 0: GroupNorm + affine + ReLU on read. */
static void conv1(walk *w, const strata_taesd_conv *c, int ow, int in, int out, int res, int pixels,
                  int groups, int gw, int gb)
{
    need(w, out, (size_t)c->out * (size_t)pixels);
    if (!issue(w))
        return;
    strata_neural_gpu *g = w->g;
    strata_program p = g->conv1;
    strata_program_use(p);
    bind(0, g->buf[in]);
    bind(1, g->buf[out]);
    bind(2, g->buf[res >= 0 ? res : in]);
    bind(4, g->stats);
    glUniform1i(loc(p, "u_cin"), c->in);
    glUniform1i(loc(p, "u_cout"), c->out);
    glUniform1i(loc(p, "u_pixels"), pixels);
    glUniform1i(loc(p, "u_w"), ow);
    glUniform1i(loc(p, "u_res"), res >= 0);
    glUniform1i(loc(p, "u_groups"), groups);
    glUniform1i(loc(p, "u_gn_w"), gw);
    glUniform1i(loc(p, "u_gn_b"), gb);
    glDispatchCompute((GLuint)((pixels + CONV1_NPX - 1) / CONV1_NPX), 1,
                      (GLuint)((c->out + CONV1_OCB - 1) / CONV1_OCB));
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
}

/* GroupNorm statistics of buffer `in` ([channels][pixels]) into g->stats. */
static void groupnorm_stats(walk *w, int in, int channels, int pixels, int groups)
{
    if (groups > w->groups)
        w->groups = groups;
    if (!issue(w))
        return;
    strata_neural_gpu *g = w->g;
    int n = channels / groups * pixels;
    int chunks = n / 4096 + 1;
    if (chunks > GN_CHUNKS_MAX)
        chunks = GN_CHUNKS_MAX;
    strata_program p = g->gn;
    strata_program_use(p);
    bind(0, g->buf[in]);
    bind(4, g->stats);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 5, g->partial);
    glUniform1i(loc(p, "u_channels"), channels);
    glUniform1i(loc(p, "u_pixels"), pixels);
    glUniform1i(loc(p, "u_groups"), groups);
    glUniform1i(loc(p, "u_chunks"), chunks);
    glUniform1f(loc(p, "u_eps"), 1e-5f);
    glUniform1i(loc(p, "u_mode"), 0);
    glDispatchCompute((GLuint)chunks, (GLuint)groups, 1);
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
    glUniform1i(loc(p, "u_mode"), 1);
    glDispatchCompute(1, 1, 1);
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
}

static int other(int a, int b)
{
    for (int i = 0; i < 3; i++)
        if (i != a && i != b)
            return i;
    return 0;
}

/* A Block on buffer `x` (channels 64 at width x height); returns the buffer of its output. */
static int block(walk *w, const strata_taesd_block *b, const op_offsets *o, int x, int width,
                 int height)
{
    int pixels = width * height;
    if (b->pool) {
        conv1(w, &b->pool_in, o->pin, x, BUF_POOL, -1, pixels, 0, 0, 0);
        groupnorm_stats(w, BUF_POOL, b->pool_in.out, pixels, b->gn_groups);
        int t = other(x, -1);
        conv1(w, &b->pool_out, o->pout, BUF_POOL, t, x, pixels, b->gn_groups, o->gw, o->gb);
        x = t;
    }
    int t1 = other(x, -1), t2 = other(x, t1);
    conv3(w, &b->conv[0], o->cw[0], o->cb[0], x, t1, -1, &width, &height, F_RELU);
    conv3(w, &b->conv[1], o->cw[1], o->cb[1], t1, t2, -1, &width, &height, F_RELU);
    conv3(w, &b->conv[2], o->cw[2], o->cb[2], t2, t1, x, &width, &height, F_RELU);
    return t1;
}

/* The model's sequence over an input of lh x lw (a decoder's latent, an encoder's
 * picture), measured (w->g NULL) or dispatched (the passes w asks for). The input is in
 * BUF_LATENT. */
static void run(walk *w, const strata_taesd *m, const op_offsets *off, int lh, int lw)
{
    int x = BUF_LATENT, width = lw, height = lh;
    unsigned pending = 0;
    bool dec = m->role == STRATA_TAESD_DECODER;
    w->count = 0;
    w->stage = dec ? 0 : -1;
    w->timing = -1;
    need(w, BUF_LATENT, (size_t)(dec ? m->latent_channels : 3) * (size_t)lw * (size_t)lh);
    for (int i = 0; i < m->nops; i++) {
        const strata_taesd_op *op = &m->ops[i];
        switch (op->kind) {
        case STRATA_TAESD_CLAMP:
            pending |= F_TANH;
            break;
        case STRATA_TAESD_UPSAMPLE:
            pending |= F_UP; /* the conv after it doubles the size */
            if (w->stage >= 0 && w->stage + 1 < (int)(sizeof stage_names / sizeof *stage_names))
                w->stage++;
            break;
        case STRATA_TAESD_RELU:
            break; /* fused into the conv before it; after a Block it changes nothing */
        case STRATA_TAESD_CONV: {
            unsigned flags = pending;
            pending = 0;
            if (i + 1 < m->nops && m->ops[i + 1].kind == STRATA_TAESD_RELU)
                flags |= F_RELU;
            if (i == m->nops - 1 && dec)
                flags |= F_IMAGE;
            int out = other(x, -1);
            conv3(w, &op->conv, off[i].w, off[i].b, x, out, -1, &width, &height, flags);
            x = out;
            break;
        }
        case STRATA_TAESD_BLOCK:
            x = block(w, &op->block, &off[i], x, width, height);
            break;
        }
    }
    if (w->timing >= 0)
        strata_gpu_end();
    w->timing = -1;
}

/* ---- creation: checks, weights ------------------------------------------------ */

/* A conv the passes can run: in channels `in`, kernel k, stride 1 (or 2 where `stride2`:
 * 3x3 only). */
static bool conv_ok(const strata_taesd_conv *c, int in, int k, bool stride2, strata_result *r,
                    int op)
{
    bool stride = c->stride == 1 || (stride2 && k == 3 && c->stride == 2);
    if (c->in == in && c->k == k && stride && c->w && c->out > 0)
        return true;
    strata_fail(r, STRATA_ERR_FORMAT,
                "neural GPU: op %d: conv %d->%d k%d stride %d where %d->?, k%d, stride %s "
                "was expected",
                op, c->in, c->out, c->k, c->stride, in, k, stride2 && k == 3 ? "1 or 2" : "1");
    return false;
}

/* The op sequence the passes can run: every clamp or upsample followed by a conv, 3x3
 * convs (stride 2 in encoders), Blocks of the current width; a decoder from the latent
 * channels to 3, an encoder from 3 to the latent channels. */
static bool check(const strata_taesd *m, strata_result *r)
{
    bool dec = m->role == STRATA_TAESD_DECODER;
    int ch = dec ? m->latent_channels : 3;
    for (int i = 0; i < m->nops; i++) {
        const strata_taesd_op *op = &m->ops[i];
        bool next_conv = i + 1 < m->nops && m->ops[i + 1].kind == STRATA_TAESD_CONV;
        switch (op->kind) {
        case STRATA_TAESD_CLAMP:
        case STRATA_TAESD_UPSAMPLE:
            if (!next_conv) {
                strata_fail(r, STRATA_ERR_FORMAT,
                            "neural GPU: op %d: a clamp or upsample must come before a "
                            "conv",
                            i);
                return false;
            }
            break;
        case STRATA_TAESD_RELU:
            if (i == 0 || (m->ops[i - 1].kind != STRATA_TAESD_CONV &&
                           m->ops[i - 1].kind != STRATA_TAESD_BLOCK)) {
                strata_fail(r, STRATA_ERR_FORMAT,
                            "neural GPU: op %d: a ReLU must follow a conv or a Block", i);
                return false;
            }
            break;
        case STRATA_TAESD_CONV:
            if (!conv_ok(&op->conv, ch, 3, !dec, r, i))
                return false;
            ch = op->conv.out;
            break;
        case STRATA_TAESD_BLOCK: {
            const strata_taesd_block *b = &op->block;
            for (int k = 0; k < 3; k++) {
                if (!conv_ok(&b->conv[k], ch, 3, false, r, i))
                    return false;
                if (b->conv[k].out != ch) {
                    strata_fail(r, STRATA_ERR_FORMAT,
                                "neural GPU: op %d: a Block conv changes the width", i);
                    return false;
                }
            }
            if (b->pool && (!conv_ok(&b->pool_in, ch, 1, false, r, i) ||
                            !conv_ok(&b->pool_out, b->pool_in.out, 1, false, r, i))) {
                return false;
            }
            if (b->pool && (b->pool_out.out != ch || b->gn_groups <= 0 ||
                            b->pool_in.out % b->gn_groups || !b->gn_w || !b->gn_b)) {
                strata_fail(r, STRATA_ERR_FORMAT,
                            "neural GPU: op %d: pool shapes or GroupNorm do not fit", i);
                return false;
            }
            break;
        }
        }
    }
    int end = dec ? 3 : m->latent_channels;
    if (m->nops == 0 || m->ops[m->nops - 1].kind != STRATA_TAESD_CONV || ch != end) {
        strata_fail(r, STRATA_ERR_FORMAT, "neural GPU: %s does not end in a conv to %d channels",
                    m->name, end);
        return false;
    }
    return true;
}

typedef struct packer {
    float *data;
    size_t n, cap;
} packer;

static int pack(packer *p, const float *src, size_t n)
{
    if (!src)
        return -1;
    if (p->n + n > p->cap) {
        size_t cap = p->cap ? p->cap : 1 << 16;
        while (cap < p->n + n)
            cap *= 2;
        float *d = realloc(p->data, cap * sizeof *d);
        if (!d)
            return -2;
        p->data = d;
        p->cap = cap;
    }
    memcpy(p->data + p->n, src, n * sizeof *src);
    p->n += n;
    return (int)(p->n - n);
}

static int pack_w(packer *p, const strata_taesd_conv *c)
{
    return pack(p, c->w, (size_t)c->out * (size_t)c->in * (size_t)c->k * (size_t)c->k);
}

static int pack_b(packer *p, const strata_taesd_conv *c)
{
    return pack(p, c->b, (size_t)c->out);
}

/* All weights into one buffer; false when out of memory. */
static bool pack_weights(const strata_taesd *m, op_offsets *off, packer *p)
{
    bool ok = true;
    for (int i = 0; i < m->nops; i++) {
        const strata_taesd_op *op = &m->ops[i];
        op_offsets *o = &off[i];
        memset(o, 0xff, sizeof *o); /* -1 everywhere */
        if (op->kind == STRATA_TAESD_CONV) {
            o->w = pack_w(p, &op->conv);
            o->b = pack_b(p, &op->conv);
            ok &= o->w >= 0 && o->b != -2;
        } else if (op->kind == STRATA_TAESD_BLOCK) {
            const strata_taesd_block *b = &op->block;
            for (int k = 0; k < 3; k++) {
                o->cw[k] = pack_w(p, &b->conv[k]);
                o->cb[k] = pack_b(p, &b->conv[k]);
                ok &= o->cw[k] >= 0 && o->cb[k] != -2;
            }
            if (b->pool) {
                o->pin = pack_w(p, &b->pool_in);
                o->gw = pack(p, b->gn_w, (size_t)b->pool_in.out);
                o->gb = pack(p, b->gn_b, (size_t)b->pool_in.out);
                o->pout = pack_w(p, &b->pool_out);
                ok &= o->pin >= 0 && o->gw >= 0 && o->gb >= 0 && o->pout >= 0;
            }
        }
    }
    return ok;
}

/* Drop errors left by earlier calls, so that the next glGetError speaks of ours. */
static void clear_gl_errors(void)
{
    for (int i = 0; i < 16 && glGetError() != GL_NO_ERROR; i++) {
    }
}

strata_neural_gpu *strata_neural_gpu_create(const strata_taesd *model, strata_result *r)
{
    GLint major = 0, minor = 0;
    glGetIntegerv(GL_MAJOR_VERSION, &major);
    glGetIntegerv(GL_MINOR_VERSION, &minor);
    if (major < 4 || (major == 4 && minor < 3)) {
        strata_fail(r, STRATA_ERR_GL,
                    "neural mode needs GL 4.3 (compute shaders); this context is %d.%d", major,
                    minor);
        return NULL;
    }
    if (!model) {
        strata_fail(r, STRATA_ERR_ARG, "neural GPU: no model");
        return NULL;
    }
    if (!check(model, r))
        return NULL;
    strata_neural_gpu *g = calloc(1, sizeof *g);
    packer p = {0};
    if (!g || !pack_weights(model, g->off, &p)) {
        strata_fail(r, STRATA_ERR_NOMEM, "neural GPU: %s: out of memory", model->name);
        free(p.data);
        free(g);
        return NULL;
    }
    g->m = model;
    g->encoder = model->role == STRATA_TAESD_ENCODER;
    const char *files[4] = {"neural/conv3x3.comp", "neural/conv1x1.comp", "neural/groupnorm.comp",
                            "neural/conv3x3_s2.comp"};
    strata_program *progs[4] = {&g->conv3, &g->conv1, &g->gn, &g->conv3s2};
    for (int i = 0; i < (g->encoder ? 4 : 3); i++) {
        *progs[i] = strata_program_make_compute(files[i]);
        if (!strata_program_use(*progs[i])) {
            strata_fail(r, STRATA_ERR_GL, "neural GPU: %s", strata_program_error(*progs[i]));
            free(p.data);
            free(g);
            return NULL;
        }
    }
    clear_gl_errors();
    glGenBuffers(1, &g->weights);
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, g->weights);
    glBufferData(GL_SHADER_STORAGE_BUFFER, (GLsizeiptr)(p.n * sizeof(float)), p.data,
                 GL_STATIC_DRAW);
    free(p.data);
    glGenBuffers(NBUF, g->buf);
    glGenBuffers(1, &g->stats);
    glGenBuffers(1, &g->partial);
    GLenum err = glGetError();
    if (err != GL_NO_ERROR) {
        strata_fail(r, STRATA_ERR_GL, "neural GPU: uploading %s: GL error 0x%x", model->name,
                    err);
        strata_neural_gpu_destroy(g);
        return NULL;
    }
    LOG_INFO("NEURAL", "GPU %s ready: %s, %.1f MB of weights",
             g->encoder ? "encoder" : "decoder", model->name, (double)p.n * 4 / 1e6);
    return g;
}

/* Grow the buffers to what an input of lh x lw (a decoder's latent, an encoder's picture)
 * needs; false on a GL error (out of memory). */
static bool reserve(strata_neural_gpu *g, int lh, int lw)
{
    walk w = {0};
    run(&w, g->m, g->off, lh, lw);
    clear_gl_errors();
    for (int i = 0; i < NBUF; i++) {
        if (w.need[i] <= g->cap[i])
            continue;
        glBindBuffer(GL_SHADER_STORAGE_BUFFER, g->buf[i]);
        glBufferData(GL_SHADER_STORAGE_BUFFER, (GLsizeiptr)(w.need[i] * sizeof(float)), NULL,
                     GL_DYNAMIC_COPY);
        g->cap[i] = w.need[i];
    }
    if (w.groups > g->stats_cap) {
        glBindBuffer(GL_SHADER_STORAGE_BUFFER, g->stats);
        glBufferData(GL_SHADER_STORAGE_BUFFER, (GLsizeiptr)(w.groups * 2 * sizeof(float)), NULL,
                     GL_DYNAMIC_COPY);
        glBindBuffer(GL_SHADER_STORAGE_BUFFER, g->partial);
        glBufferData(GL_SHADER_STORAGE_BUFFER,
                     (GLsizeiptr)(w.groups * GN_CHUNKS_MAX * 4 * sizeof(float)), NULL,
                     GL_DYNAMIC_COPY);
        g->stats_cap = w.groups;
    }
    GLenum err = glGetError();
    if (err != GL_NO_ERROR) {
        LOG_ERROR("NEURAL", "GPU buffers for a %dx%d %s: GL error 0x%x", lw, lh,
                  g->encoder ? "picture" : "latent", err);
        memset(g->cap, 0, sizeof g->cap);
        g->stats_cap = 0;
        return false;
    }
    return true;
}

bool strata_neural_gpu_begin(strata_neural_gpu *g, const float *latent, int lh, int lw,
                             const strata_target *out)
{
    if (!g || !latent || !out)
        return false;
    g->active = false;
    if (g->encoder) {
        LOG_ERROR("NEURAL", "%s is an encoder: it cannot decode (give the *_decoder file)",
                  g->m->name);
        return false;
    }
    if (lh < 1 || lw < 1 || lh > MAX_LATENT || lw > MAX_LATENT) {
        LOG_ERROR("NEURAL", "latent %dx%d: each side must be 1..%d", lw, lh, MAX_LATENT);
        return false;
    }
    if (out->w != 8 * lw || out->h != 8 * lh || out->format != GL_RGBA8) {
        LOG_ERROR("NEURAL",
                  "decode target %dx%d (format 0x%x): a %dx%d latent needs an RGBA8 "
                  "target of %dx%d",
                  out->w, out->h, out->format, lw, lh, 8 * lw, 8 * lh);
        return false;
    }
    if (!strata_program_use(g->conv3) || !strata_program_use(g->conv1) ||
        !strata_program_use(g->gn))
        return false; /* a program failed to build: its error was logged */
    if (!reserve(g, lh, lw))
        return false;
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, g->buf[BUF_LATENT]);
    glBufferSubData(
        GL_SHADER_STORAGE_BUFFER, 0,
        (GLsizeiptr)((size_t)g->m->latent_channels * (size_t)lh * (size_t)lw * sizeof(float)),
        latent);
    walk w = {0};
    run(&w, g->m, g->off, lh, lw);
    g->passes = w.count;
    g->passes_done = 0;
    g->lh = lh;
    g->lw = lw;
    g->out = *out;
    g->active = true;
    return true;
}

int strata_neural_gpu_step(strata_neural_gpu *g, int max_passes)
{
    if (!g || !g->active)
        return -1;
    if (max_passes < 1)
        max_passes = 1;
    bind(3, g->weights);
    walk w = {.g = g, .out = &g->out, .skip = g->passes_done, .budget = max_passes};
    run(&w, g->m, g->off, g->lh, g->lw);
    glUseProgram(0);
    g->passes_done +=
        g->passes - g->passes_done < max_passes ? g->passes - g->passes_done : max_passes;
    int left = g->passes - g->passes_done;
    if (left == 0) {
        /* the picture is sampled, read back, blitted or copied next: one full barrier */
        glMemoryBarrier(GL_ALL_BARRIER_BITS);
        g->active = false;
    }
    return left;
}

int strata_neural_gpu_passes(const strata_neural_gpu *g)
{
    return g && g->active ? g->passes : 0;
}

bool strata_neural_gpu_decode(strata_neural_gpu *g, const float *latent, int lh, int lw,
                              const strata_target *out)
{
    return strata_neural_gpu_begin(g, latent, lh, lw, out) &&
           strata_neural_gpu_step(g, 1 << 30) == 0;
}

bool strata_neural_gpu_encode(strata_neural_gpu *g, const float *rgb, int h, int w,
                              float *latent, strata_result *r)
{
    if (!g || !rgb || !latent) {
        strata_fail(r, STRATA_ERR_ARG, "neural GPU encode: no encoder, picture or latent");
        return false;
    }
    if (!g->encoder) {
        strata_fail(r, STRATA_ERR_ARG,
                    "%s is a decoder: it cannot encode (give the *_encoder file)", g->m->name);
        return false;
    }
    if (h < 8 || w < 8 || h % 8 || w % 8 || h > MAX_PICTURE || w > MAX_PICTURE) {
        strata_fail(r, STRATA_ERR_ARG,
                    "neural GPU encode: picture %dx%d: each side must be a multiple of 8 in "
                    "8..%d",
                    w, h, MAX_PICTURE);
        return false;
    }
    strata_program progs[4] = {g->conv3, g->conv1, g->gn, g->conv3s2};
    for (int i = 0; i < 4; i++)
        if (!strata_program_use(progs[i])) {
            strata_fail(r, STRATA_ERR_GL, "neural GPU encode: %s",
                        strata_program_error(progs[i]));
            return false;
        }
    if (!reserve(g, h, w)) {
        strata_fail(r, STRATA_ERR_GL,
                    "neural GPU encode: no GPU buffers for a %dx%d picture (out of memory)", w,
                    h);
        return false;
    }
    clear_gl_errors();
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, g->buf[BUF_LATENT]);
    glBufferSubData(GL_SHADER_STORAGE_BUFFER, 0, (GLsizeiptr)((size_t)3 * h * w * sizeof(float)),
                    rgb);
    bind(3, g->weights);
    walk wk = {.g = g, .budget = 1 << 30};
    run(&wk, g->m, g->off, h, w);
    glUseProgram(0);
    glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, g->buf[wk.result]);
    size_t n = (size_t)g->m->latent_channels * (size_t)(h / 8) * (size_t)(w / 8);
    glGetBufferSubData(GL_SHADER_STORAGE_BUFFER, 0, (GLsizeiptr)(n * sizeof(float)), latent);
    GLenum err = glGetError();
    if (err != GL_NO_ERROR) {
        strata_fail(r, STRATA_ERR_GL, "neural GPU encode: %dx%d picture: GL error 0x%x", w, h,
                    err);
        return false;
    }
    return true;
}

void strata_neural_gpu_destroy(strata_neural_gpu *g)
{
    if (!g)
        return;
    if (g->weights)
        glDeleteBuffers(1, &g->weights);
    glDeleteBuffers(NBUF, g->buf);
    if (g->stats)
        glDeleteBuffers(1, &g->stats);
    if (g->partial)
        glDeleteBuffers(1, &g->partial);
    free(g);
}
