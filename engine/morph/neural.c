/* The neural morph: keyframes are diffusion latents, the way between two of them is a
 * norm-preserving slerp, and every frame's latent is decoded on the GPU (a TAESD decoder
 * in compute passes), so one picture grows out of the other instead of crossfading.
 *
 * Decode rate and frame rate are decoupled. A decode that fits the frame budget runs
 * whole in the frame that needs it. One that does not is split over frames (a few passes
 * per frame, as many as the budget holds by the measured cost of each pass) into one of
 * two targets; the display crossfades between the last two completed decodes by the time
 * since the newer one completed, relative to how long a decode takes, so the picture
 * hesitates rather than stutters. The decoder leaves a target's previous picture alone
 * until the last pass, so the target under way is still the older complete decode.
 * Offline every frame is decoded whole (frame-exact). */
#include "morph_neural.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LATENT 128   /* the decoder's limit per side */
#define SOFT_AREA 256    /* latent cells on a software rasteriser: about 21x12 for 16:9 */
#define CACHE 3          /* resampled keyframe latents kept (a, b and the one before) */
#define QRING 8          /* timestamp query pairs in flight */
#define PASS_OVERHEAD 2e5 /* a dispatch's fixed cost, in multiply-adds */

typedef struct cached_latent {
    int index; /* keyframe, -1 free */
    float *z;  /* channels * lh * lw at the decode size */
    uint64_t used;
} cached_latent;

/* What a decode was made of: a new decode starts only when this changes. */
typedef struct decode_key {
    int a, b;
    float t;
    strata_latent_glitch g;
    uint64_t seed;
} decode_key;

struct morph_neural {
    strata_bank *bank;
    const strata_taesd *decoder;
    strata_neural_gpu *gpu;
    bool usable, started, warned;
    char why[200];
    char decoder_error[160]; /* why the decoder's file did not load, or "" */
    int rw, rh; /* render size */
    strata_bank_fit fit;
    bool offline;
    int c, blh, blw; /* the bank's latents */
    int lh, lw;      /* the decode's */
    /* latents */
    cached_latent cache[CACHE];
    uint64_t tick;
    float *raw;  /* one keyframe at the bank's size */
    float *z;    /* this frame's latent */
    float *work; /* glitch scratch */
    strata_latent_glitch glitch;
    uint64_t glitch_seed;
    /* decodes: two targets, the newest complete one and the other (older, or under way) */
    strata_target dec[2], mix;
    int newest;  /* -1: none complete yet */
    int done;    /* completed decodes */
    bool busy;   /* a decode under way into dec[newest ^ 1] (dec[0] when none) */
    decode_key key, busy_key;
    bool have_key;
    bool last_whole;    /* the newest decode ran in one frame: show it as it is */
    double clock;       /* sum of dt */
    double frame_dt;    /* this frame's */
    double begun_at;    /* clock when the decode under way began */
    double done_at;     /* clock when the newest completed */
    double period;      /* how long a split decode takes, smoothed (clock seconds) */
    /* the pass budget */
    double *cost; /* per pass, multiply-adds */
    int npasses;
    double total_cost;
    int next_pass;     /* of the decode under way */
    double ns_per_unit; /* measured, smoothed */
    bool measured;
    double budget_ms;   /* GPU time a frame may give to decoding */
    int fixed_passes;   /* > 0: passes per frame fixed (tests, bench) */
    int ppf;            /* passes issued in the last frame that issued any, 0: whole */
    GLuint q[QRING][2];
    double q_units[QRING];
    uint64_t q_cpu_ns[QRING];
    bool q_pending[QRING];
    int q_next;
    /* decodes per second (wall clock) */
    double last_done_s; /* wall clock of the newest completion, 0: none */
    double interval_s;  /* between completions, smoothed */
};

/* ---- sizes ---------------------------------------------------------------- */

static bool software_rasteriser(void)
{
    const char *rn = (const char *)glGetString(GL_RENDERER);
    return rn && (strstr(rn, "llvmpipe") || strstr(rn, "softpipe") || strstr(rn, "SwiftShader"));
}

/* Auto: as large as the picture shows at the render size (fit: inside, fill: covering),
 * never above the bank's own latents, smaller on a software rasteriser. */
static void auto_size(morph_neural *n, int *lw, int *lh)
{
    double sx = n->rw / (8.0 * n->blw), sy = n->rh / (8.0 * n->blh);
    double s = n->fit == STRATA_BANK_FILL ? fmax(sx, sy) : fmin(sx, sy);
    if (s > 1.0)
        s = 1.0;
    double area = (double)n->blw * n->blh * s * s;
    if (software_rasteriser() && area > SOFT_AREA)
        s *= sqrt(SOFT_AREA / area);
    *lw = (int)lrint(n->blw * s);
    *lh = (int)lrint(n->blh * s);
}

static int clamp_side(int v)
{
    return v < 1 ? 1 : v > MAX_LATENT ? MAX_LATENT : v;
}

/* Bilinear in latent space with pixel centres aligned (PyTorch's align_corners=False),
 * edges clamped; equal sizes copy. */
static void resample(const float *src, int c, int sh, int sw, float *dst, int dh, int dw)
{
    if (sh == dh && sw == dw) {
        memcpy(dst, src, sizeof(float) * (size_t)c * sh * sw);
        return;
    }
    for (int y = 0; y < dh; y++) {
        float fy = ((float)y + 0.5f) * (float)sh / (float)dh - 0.5f;
        fy = strata_clampf(fy, 0.0f, (float)(sh - 1));
        int y0 = (int)fy, y1 = y0 + 1 < sh ? y0 + 1 : y0;
        float wy = fy - (float)y0;
        for (int x = 0; x < dw; x++) {
            float fx = ((float)x + 0.5f) * (float)sw / (float)dw - 0.5f;
            fx = strata_clampf(fx, 0.0f, (float)(sw - 1));
            int x0 = (int)fx, x1 = x0 + 1 < sw ? x0 + 1 : x0;
            float wx = fx - (float)x0;
            for (int k = 0; k < c; k++) {
                const float *p = src + (size_t)k * sh * sw;
                float top = p[y0 * sw + x0] * (1 - wx) + p[y0 * sw + x1] * wx;
                float bot = p[y1 * sw + x0] * (1 - wx) + p[y1 * sw + x1] * wx;
                dst[((size_t)k * dh + y) * dw + x] = top * (1 - wy) + bot * wy;
            }
        }
    }
}

/* ---- creation ------------------------------------------------------------- */

/* Can this decoder decode this bank? Fills why when not (fixed formats only: a model's
 * name comes from its file and is never a format). */
static bool check_decoder(morph_neural *n, const strata_bank_neural_shape *sh)
{
    const strata_taesd *d = n->decoder;
    const char *fam = d ? strata_taesd_family_name(d->family) : "";
    if (!d && n->decoder_error[0])
        snprintf(n->why, sizeof n->why, "the decoder did not load: %.160s", n->decoder_error);
    else if (!d)
        snprintf(n->why, sizeof n->why,
                 "no decoder: pass --model with a %s decoder (%d latent channels) to decode "
                 "the bank live",
                 sh->family, sh->channels);
    else if (d->role != STRATA_TAESD_DECODER)
        snprintf(n->why, sizeof n->why,
                 "%s is an encoder: --model needs the decoder file of the %s family", d->name,
                 sh->family);
    else if (d->latent_channels != sh->channels)
        snprintf(n->why, sizeof n->why,
                 "the decoder %s takes %d latent channels, the bank's latents have %d: use a "
                 "%s decoder",
                 d->name, d->latent_channels, sh->channels, sh->family);
    else if (sh->family[0] && strcmp(sh->family, fam))
        snprintf(n->why, sizeof n->why,
                 "the decoder %s is of the %s family, the bank's latents are %s: use a %s "
                 "decoder",
                 d->name, fam, sh->family, sh->family);
    else
        return true;
    return false;
}

/* The multiply-adds of each pass of a decode, in the order the GPU decoder issues them
 * (engine/neural/gpu.c: one pass per conv, the clamp, ReLUs and upsamples folded in, a
 * GroupNorm's statistics one pass). Only the proportions matter: the budget turns them
 * into milliseconds with the measured cost. Returns the number of passes. */
static int pass_costs(const strata_taesd *m, int lh, int lw, double *cost, int max)
{
    int np = 0;
    double pix = (double)lh * lw;
#define ADD(v)                                                                                     \
    do {                                                                                           \
        if (np < max)                                                                              \
            cost[np] = (v) + PASS_OVERHEAD;                                                        \
        np++;                                                                                      \
    } while (0)
    for (int i = 0; i < m->nops; i++) {
        const strata_taesd_op *op = &m->ops[i];
        if (op->kind == STRATA_TAESD_UPSAMPLE) {
            pix *= 4.0;
        } else if (op->kind == STRATA_TAESD_CONV) {
            const strata_taesd_conv *c = &op->conv;
            ADD((double)c->in * c->out * c->k * c->k * pix / (c->stride * c->stride));
        } else if (op->kind == STRATA_TAESD_BLOCK) {
            const strata_taesd_block *b = &op->block;
            if (b->pool) {
                ADD((double)b->pool_in.in * b->pool_in.out * pix);
                ADD((double)b->pool_in.out * pix * 2.0);
                ADD((double)b->pool_out.in * b->pool_out.out * pix);
            }
            for (int k = 0; k < 3; k++)
                ADD((double)b->conv[k].in * b->conv[k].out * 9.0 * pix);
        }
    }
#undef ADD
    return np;
}

morph_neural *morph_neural_create(const morph_neural_desc *d)
{
    morph_neural *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->bank = d->bank;
    n->decoder = d->decoder;
    snprintf(n->decoder_error, sizeof n->decoder_error, "%.159s",
             d->decoder_error ? d->decoder_error : "");
    n->rw = d->width;
    n->rh = d->height;
    n->fit = d->fit;
    n->offline = d->offline;
    n->newest = -1;
    n->budget_ms = 8.0;
    n->ns_per_unit = 1.0; /* a slow guess (1 GMAC/s) until the first measurement */
    for (int i = 0; i < CACHE; i++)
        n->cache[i].index = -1;
    strata_bank_neural_shape sh;
    if (!strata_bank_neural_shape_get(d->bank, &sh)) {
        snprintf(n->why, sizeof n->why, "the bank holds no diffusion latents");
        return n;
    }
    n->c = sh.channels;
    n->blh = sh.lh;
    n->blw = sh.lw;
    if (d->neural_w > 0 && d->neural_h > 0) {
        n->lw = clamp_side(d->neural_w);
        n->lh = clamp_side(d->neural_h);
    } else {
        auto_size(n, &n->lw, &n->lh);
        n->lw = clamp_side(n->lw);
        n->lh = clamp_side(n->lh);
    }
    size_t big = (size_t)n->c * n->blh * n->blw, small = (size_t)n->c * n->lh * n->lw;
    n->raw = malloc(big * sizeof(float));
    n->z = malloc(small * sizeof(float));
    n->work = malloc(small * sizeof(float));
    bool ok = n->raw && n->z && n->work;
    for (int i = 0; i < CACHE; i++)
        ok = ok && (n->cache[i].z = malloc(small * sizeof(float)));
    if (!ok) {
        morph_neural_destroy(n);
        return NULL;
    }
    n->usable = check_decoder(n, &sh);
    return n;
}

void morph_neural_destroy(morph_neural *n)
{
    if (!n)
        return;
    strata_neural_gpu_destroy(n->gpu);
    for (int i = 0; i < 2; i++)
        strata_target_free(&n->dec[i]);
    strata_target_free(&n->mix);
    if (n->q[0][0])
        glDeleteQueries(2 * QRING, &n->q[0][0]);
    for (int i = 0; i < CACHE; i++)
        free(n->cache[i].z);
    free(n->cost);
    free(n->raw);
    free(n->z);
    free(n->work);
    free(n);
}

bool morph_neural_start(morph_neural *n)
{
    if (n->started || !n->usable) {
        if (!n->usable && !n->warned) {
            LOG_WARN("MORPH", "neural: %s; playing the bank's previews with blend", n->why);
            n->warned = true;
        }
        return n->usable;
    }
    strata_result r = {0};
    n->gpu = strata_neural_gpu_create(n->decoder, &r);
    bool ok = n->gpu != NULL;
    if (!ok) {
        GLint major = 0, minor = 0;
        glGetIntegerv(GL_MAJOR_VERSION, &major);
        glGetIntegerv(GL_MINOR_VERSION, &minor);
        bool old = major < 4 || (major == 4 && minor < 3);
        snprintf(n->why, sizeof n->why, "%.120s%s", r.msg,
                 old ? ": run where the driver gives GL 4.3 (GPU drivers do; Mesa's llvmpipe "
                       "gives 4.5)"
                     : "");
    }
    for (int i = 0; ok && i < 2; i++)
        ok = strata_target_init(&n->dec[i], 8 * n->lw, 8 * n->lh, GL_RGBA8);
    ok = ok && strata_target_init(&n->mix, 8 * n->lw, 8 * n->lh, GL_RGBA8);
    if (ok) {
        n->npasses = pass_costs(n->decoder, n->lh, n->lw, NULL, 0);
        n->cost = malloc(sizeof(double) * (size_t)(n->npasses > 0 ? n->npasses : 1));
        ok = n->cost != NULL;
    }
    if (!ok) {
        if (n->gpu && !n->why[0])
            snprintf(n->why, sizeof n->why, "no GPU memory for %dx%d decodes", 8 * n->lw,
                     8 * n->lh);
        strata_neural_gpu_destroy(n->gpu);
        n->gpu = NULL;
        n->usable = false;
        return morph_neural_start(n); /* logs why, once */
    }
    pass_costs(n->decoder, n->lh, n->lw, n->cost, n->npasses);
    n->total_cost = 0;
    for (int i = 0; i < n->npasses; i++)
        n->total_cost += n->cost[i];
    glGenQueries(2 * QRING, &n->q[0][0]);
    n->started = true;
    LOG_INFO("MORPH", "neural: %s decodes %dx%d latents (the bank's %dx%d) into %dx%d, %d passes",
             n->decoder->name, n->lw, n->lh, n->blw, n->blh, 8 * n->lw, 8 * n->lh, n->npasses);
    return true;
}

/* ---- the latent of a frame -------------------------------------------------- */

/* Keyframe i's latent at the decode size, from the cache or the bank. */
static const float *key_latent(morph_neural *n, int i)
{
    cached_latent *victim = &n->cache[0];
    for (int k = 0; k < CACHE; k++) {
        cached_latent *e = &n->cache[k];
        if (e->index == i) {
            e->used = ++n->tick;
            return e->z;
        }
        if (e->used < victim->used)
            victim = e;
    }
    if (!strata_bank_neural_latent(n->bank, i, n->raw))
        return NULL;
    resample(n->raw, n->c, n->blh, n->blw, victim->z, n->lh, n->lw);
    victim->index = i;
    victim->used = ++n->tick;
    return victim->z;
}

static bool glitch_zero(const strata_latent_glitch *g)
{
    return g->noise == 0.0f && g->shift == 0.0f && g->swap == 0.0f && g->quant == 0.0f;
}

/* The frame's latent into n->z; false when a keyframe's latent is missing. */
static bool make_latent(morph_neural *n, const decode_key *k)
{
    const float *za = key_latent(n, k->a);
    const float *zb = k->b >= 0 ? key_latent(n, k->b) : NULL;
    if (!za)
        return false;
    int dim = n->c * n->lh * n->lw;
    if (zb)
        strata_latent_slerp(za, zb, k->t, dim, n->z); /* t 0 and 1 copy: bit-exact ends */
    else
        memcpy(n->z, za, sizeof(float) * (size_t)dim);
    if (!glitch_zero(&k->g))
        strata_latent_glitch_apply(&k->g, k->seed, n->z, n->c, n->lh, n->lw, n->work);
    return true;
}

/* ---- the budget ------------------------------------------------------------- */

/* Read the step timings that are ready (never waits) into ns_per_unit. */
static void collect_timings(morph_neural *n)
{
    for (int i = 0; i < QRING; i++) {
        if (!n->q_pending[i])
            continue;
        GLint avail = 0;
        glGetQueryObjectiv(n->q[i][1], GL_QUERY_RESULT_AVAILABLE, &avail);
        if (!avail)
            continue;
        GLuint64 t0 = 0, t1 = 0;
        glGetQueryObjectui64v(n->q[i][0], GL_QUERY_RESULT, &t0);
        glGetQueryObjectui64v(n->q[i][1], GL_QUERY_RESULT, &t1);
        n->q_pending[i] = false;
        /* The GPU's time, or the CPU's where the "GPU" runs on the CPU during the call
         * (llvmpipe's compute): whichever is longer is the cost. */
        double ns = t1 > t0 ? (double)(t1 - t0) : 0.0;
        if ((double)n->q_cpu_ns[i] > ns)
            ns = (double)n->q_cpu_ns[i];
        double per = ns / n->q_units[i];
        n->ns_per_unit = n->measured ? n->ns_per_unit * 0.7 + per * 0.3 : per;
        n->measured = true;
    }
}

/* How many of the remaining passes fit in units of budget (at least one). */
static int passes_within(const morph_neural *n, double units)
{
    if (n->fixed_passes > 0)
        return n->fixed_passes;
    int k = 0;
    double sum = 0;
    for (int p = n->next_pass; p < n->npasses; p++) {
        sum += n->cost[p];
        if (sum > units && k > 0)
            break;
        k++;
    }
    return k > 0 ? k : 1;
}

/* Issue up to max passes of the decode under way, timed; returns the passes left. */
static int timed_step(morph_neural *n, int max, double *units_used)
{
    int slot = n->q_next, end = n->next_pass + max;
    if (end > n->npasses)
        end = n->npasses;
    double units = 0;
    for (int p = n->next_pass; p < end; p++)
        units += n->cost[p];
    bool timed = !n->q_pending[slot] && units > 0;
    uint64_t c0 = strata_time_ns();
    if (timed)
        glQueryCounter(n->q[slot][0], GL_TIMESTAMP);
    int left = strata_neural_gpu_step(n->gpu, max);
    if (timed) {
        glQueryCounter(n->q[slot][1], GL_TIMESTAMP);
        n->q_cpu_ns[slot] = strata_time_ns() - c0;
        n->q_units[slot] = units;
        n->q_pending[slot] = true;
        n->q_next = (slot + 1) % QRING;
    }
    n->next_pass = end;
    *units_used += units;
    return left;
}

static void completed(morph_neural *n, bool whole)
{
    n->newest = n->newest < 0 ? 0 : n->newest ^ 1;
    n->done++;
    n->busy = false;
    n->last_whole = whole;
    if (!whole) {
        double took = n->clock - n->begun_at;
        n->period = n->period > 0 ? n->period * 0.5 + took * 0.5 : took;
    }
    n->done_at = n->clock;
    double now = strata_time_s();
    if (n->last_done_s > 0) {
        double gap = now - n->last_done_s;
        n->interval_s = n->interval_s > 0 ? n->interval_s * 0.8 + gap * 0.2 : gap;
    }
    n->last_done_s = now;
}

static bool key_equal(const decode_key *x, const decode_key *y)
{
    return x->a == y->a && x->b == y->b && x->t == y->t && x->seed == y->seed &&
           !memcmp(&x->g, &y->g, sizeof x->g);
}

void morph_neural_update(morph_neural *n, int a, int b, float t, double dt)
{
    if (!n->started)
        return;
    n->frame_dt = dt > 0 ? dt : 0;
    n->clock += n->frame_dt;
    decode_key k = {.a = a, .b = b, .t = b >= 0 ? t : 0.0f, .g = n->glitch};
    if (b >= 0 && t >= 1.0f) { /* the end of a transition is keyframe b itself */
        k.a = b;
        k.b = -1;
        k.t = 0.0f;
    }
    if (b >= 0 && t <= 0.0f)
        k.b = -1;
    k.seed = glitch_zero(&k.g) ? 0 : n->glitch_seed;
    if (n->offline) {
        if (n->have_key && key_equal(&k, &n->key) && n->done > 0)
            return; /* the same latent: the same picture */
        if (!make_latent(n, &k))
            return;
        int into = n->newest < 0 ? 0 : n->newest ^ 1;
        if (strata_neural_gpu_decode(n->gpu, n->z, n->lh, n->lw, &n->dec[into]))
            completed(n, true);
        n->key = k;
        n->have_key = true;
        n->ppf = 0;
        return;
    }
    collect_timings(n);
    double units = n->budget_ms * 1e6 / n->ns_per_unit, used = 0;
    int issued = 0;
    bool began_now = false;
    for (int round = 0; round < 2; round++) {
        if (!n->busy) {
            if (n->have_key && key_equal(&k, &n->key))
                break;
            if (round > 0 && (n->fixed_passes > 0 || used >= units))
                break; /* a second decode this frame only with budget to spare */
            if (!make_latent(n, &k))
                break;
            int into = n->newest < 0 ? 0 : n->newest ^ 1;
            if (!strata_neural_gpu_begin(n->gpu, n->z, n->lh, n->lw, &n->dec[into]))
                break;
            if (strata_neural_gpu_passes(n->gpu) != n->npasses) {
                /* The decoder's passes differ from the cost model: spread evenly. */
                n->npasses = strata_neural_gpu_passes(n->gpu);
                double *c = realloc(n->cost, sizeof(double) * (size_t)n->npasses);
                if (!c)
                    break;
                n->cost = c;
                for (int p = 0; p < n->npasses; p++)
                    c[p] = n->total_cost / n->npasses;
            }
            n->busy = true;
            n->key = k;
            n->have_key = true;
            n->next_pass = 0;
            n->begun_at = n->clock - n->frame_dt; /* this frame counts */
            began_now = true;
        }
        int want = passes_within(n, units - used);
        if (issued > 0 && n->fixed_passes <= 0 && used + n->cost[n->next_pass] > units)
            break; /* the budget is spent */
        if (n->fixed_passes > 0 && issued + want > n->fixed_passes)
            want = n->fixed_passes - issued;
        if (want <= 0)
            break;
        bool from_start = n->next_pass == 0;
        int left = timed_step(n, want, &used);
        issued += want;
        if (left < 0) {
            n->busy = false; /* the decoder dropped it (logged): try again next frame */
            break;
        }
        if (left > 0)
            break;
        completed(n, from_start && began_now);
    }
    if (issued > 0)
        n->ppf = n->last_whole && !n->busy ? 0 : issued;
}

/* ---- drawing ---------------------------------------------------------------- */

/* src (8lw x 8lh) into target with the bank's fit: letterboxed inside (black bars) or
 * cropped to cover. Bilinear. */
static void draw_fit(const morph_neural *n, const strata_target *src, const strata_target *dst)
{
    int sw = src->w, sh = src->h, dw = dst->w, dh = dst->h;
    int sx0 = 0, sy0 = 0, sx1 = sw, sy1 = sh, dx0 = 0, dy0 = 0, dx1 = dw, dy1 = dh;
    double sx = (double)dw / sw, sy = (double)dh / sh;
    if (n->fit == STRATA_BANK_FILL) {
        double s = fmax(sx, sy);
        int cw = (int)lrint(dw / s), ch = (int)lrint(dh / s);
        sx0 = (sw - cw) / 2;
        sy0 = (sh - ch) / 2;
        sx1 = sx0 + cw;
        sy1 = sy0 + ch;
    } else {
        double s = fmin(sx, sy);
        int w = (int)lrint(sw * s), h = (int)lrint(sh * s);
        dx0 = (dw - w) / 2;
        dy0 = (dh - h) / 2;
        dx1 = dx0 + w;
        dy1 = dy0 + h;
    }
    strata_gpu_begin("morph_fit"); /* not neural_*: those are the decode's stages */
    strata_target_bind(dst);
    if (dx0 > 0 || dy0 > 0 || dx1 < dw || dy1 < dh) {
        glClearColor(0, 0, 0, 1);
        glClear(GL_COLOR_BUFFER_BIT);
    }
    glBindFramebuffer(GL_READ_FRAMEBUFFER, src->fbo);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, dst->fbo);
    bool same = sx1 - sx0 == dx1 - dx0 && sy1 - sy0 == dy1 - dy0;
    glBlitFramebuffer(sx0, sy0, sx1, sy1, dx0, dy0, dx1, dy1, GL_COLOR_BUFFER_BIT,
                      same ? GL_NEAREST : GL_LINEAR);
    glBindFramebuffer(GL_FRAMEBUFFER, dst->fbo);
    strata_gpu_end();
}

bool morph_neural_has_picture(const morph_neural *n)
{
    return n->started && n->newest >= 0;
}

bool morph_neural_draw(morph_neural *n, const strata_target *target)
{
    if (!n->started || n->newest < 0)
        return false;
    const strata_target *show = &n->dec[n->newest];
    if (n->done >= 2 && !n->last_whole && n->period > 0) {
        /* Split decodes: from the older complete picture to the newest over one decode
         * period, so the next one lands when this crossfade ends. */
        double alpha = (n->clock - n->done_at) / n->period;
        if (alpha < 1.0) {
            strata_blend_draw(n->dec[n->newest ^ 1].tex, n->dec[n->newest].tex,
                              (float)(alpha < 0 ? 0 : alpha), &n->mix);
            show = &n->mix;
        }
    }
    draw_fit(n, show, target);
    return true;
}

/* ---- settings and status ---------------------------------------------------- */

void morph_neural_set_glitch(morph_neural *n, const strata_latent_glitch *g, uint64_t seed)
{
    n->glitch = g ? *g : (strata_latent_glitch){0};
    n->glitch_seed = seed;
}

void morph_neural_adapt(morph_neural *n, double frame_ms, double target_ms)
{
    if (frame_ms <= 0 || target_ms <= 0)
        return;
    /* The decode takes what the frame leaves: a slow frame gives some back, a fast one
     * takes more, in small steps (the caller calls this about every half second). */
    if (frame_ms > target_ms * 1.05)
        n->budget_ms *= 0.8;
    else if (frame_ms < target_ms * 0.8)
        n->budget_ms *= 1.15;
    double hi = target_ms * 0.9, lo = 0.5;
    n->budget_ms = n->budget_ms < lo ? lo : n->budget_ms > hi ? hi : n->budget_ms;
}

void morph_neural_set_passes(morph_neural *n, int passes_per_frame)
{
    n->fixed_passes = passes_per_frame > 0 ? passes_per_frame : 0;
}

void morph_neural_status(const morph_neural *n, strata_morph_neural_status *out)
{
    out->decoding = n->started;
    if (!n->usable)
        snprintf(out->why, sizeof out->why, "%s", n->why);
    out->lw = n->lw;
    out->lh = n->lh;
    out->passes = n->npasses ? n->npasses : (n->decoder ? pass_costs(n->decoder, 1, 1, NULL, 0) : 0);
    out->passes_per_frame = n->ppf;
    /* Decodes per second from the smoothed interval between completions; when none has
     * completed for longer than that (holding a keyframe: nothing new to decode), the
     * time since the last one bounds the rate and it falls towards 0. */
    double iv = n->interval_s;
    if (n->last_done_s > 0 && strata_time_s() - n->last_done_s > iv)
        iv = strata_time_s() - n->last_done_s;
    out->decodes_per_s = iv > 0 ? 1.0 / iv : 0.0;
}
