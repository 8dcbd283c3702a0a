/* The fx chain: amounts from glitch curves and bursts, ping-pong passes, histories. */
#include "fx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sort draws per 1/30 s at amount 1 (each does two odd-even rounds): the sort runs
 * ceil(amount * 4) * 30 passes a second of scene time, whatever the frame rate. */
#define SORT_PASSES_MAX 4

#define FUSE_MAX 4 /* per-pixel stages of one fused pass: tear, rgb, vhs, crush */
/* A fused program's set of stages: bit 0 the grade, bit i + 1 stage i, and this bit: the
 * input is not RGBA8 and the first stage selects (FX_SRC_Q: stage 0 rounds it). */
#define MASK_SRC_Q (1u << (FUSE_MAX + 1))
#define MASKS (1 << (FUSE_MAX + 2))

static const char *const effect_names[STRATA_FX_COUNT] = {
    "block", "sort", "trails", "tear", "rgb", "vhs", "crush",
};
/* Timer names must be stable pointers: the timer table keeps them. */
static const char *const timer_names[STRATA_FX_COUNT] = {
    "fx_block", "fx_sort", "fx_trails", "fx_tear", "fx_rgb", "fx_vhs", "fx_crush",
};
/* The history effects' own programs; the per-pixel ones are stages of fx/chain.frag. */
static const char *const shader_files[STRATA_FX_COUNT] = {
    [STRATA_FX_BLOCK] = "fx/block.frag",
    [STRATA_FX_SORT] = "fx/sort.frag",
    [STRATA_FX_TRAILS] = "fx/trails.frag",
};
/* A fused stage's #define names (fx/chain.frag): FX_USE_TEAR, fx_tear_tap, ... */
static const char *const stage_macro[STRATA_FX_COUNT] = {
    [STRATA_FX_TEAR] = "TEAR",
    [STRATA_FX_RGB] = "RGB",
    [STRATA_FX_VHS] = "VHS",
    [STRATA_FX_CRUSH] = "CRUSH",
};
/* Uniform names are looked up by pointer-stable strings too. */
static const char *const stage_amount[FUSE_MAX + 1] = {
    "", "u_fx_a1", "u_fx_a2", "u_fx_a3", "u_fx_a4",
};
static const int amount_param[STRATA_FX_COUNT] = {
    STRATA_P_fx_block, STRATA_P_fx_sort, STRATA_P_fx_trails, STRATA_P_fx_tear,
    STRATA_P_fx_rgb,   STRATA_P_fx_vhs,  STRATA_P_fx_crush,
};
static const char *const curve_names[STRATA_FX_CURVE_COUNT] = {
    "linear", "smooth", "exp", "threshold", "step",
};

/* A history that survives from frame to frame: two targets, `cur` holds the last one. */
typedef struct history {
    strata_target t[2];
    int cur;
} history;

/* The per-pixel effects fuse: a run of them in the order (and the grade before the chain)
 * is one pass of fx/chain.frag. The others need neighbours or history and keep passes. */
#define PLAN_MAX (STRATA_FX_COUNT + 1)

/* One step of the chain as the order makes it: one history effect, or a fused run. */
typedef struct step {
    bool fused;
    strata_fx_effect e; /* !fused: block, sort or trails */
    bool grade;         /* fused: stage 0 is the grade (the first step only) */
    int n;              /* fused: stages 1..n */
    strata_fx_effect st[FUSE_MAX];
    /* fused: a program per set of stages running (bit 0 the grade, bit i + 1 st[i]): a
     * stage at amount 0 is left out, not branched around (llvmpipe pays for both sides
     * of a branch). The set with every stage is made with the plan, others on first use;
     * all of them live until the order changes. */
    strata_program var[MASKS];
    uint64_t tried; /* fused: the sets made (or tried) since the plan was made */
} step;

/* The program table is shared and finite (128): a run makes at most this many sets; past
 * that, and where making one failed, the run goes one pass per stage (the same picture). */
#define VARIANTS_MAX 8

struct strata_fx {
    int w, h;
    bool ok;             /* targets exist; false after a failed resize: bypass */
    strata_target pp[2]; /* ping-pong for the fused and per-pixel passes */
    history block, trails, sort;
    history motion; /* per block: displacement (pixels), centre luma, moshed; RGBA32F */
    /* The per-row table of tear, vhs and rgb (fx_common.glsl's u_fx_rows): h x 1
     * RGBA32UI, filled once per frame from `rows` (4 words a texel, made with the targets). */
    GLuint rows_tex;
    uint32_t *rows;
    int block_px; /* datamosh block size */
    step plan[PLAN_MAX];
    int nplan;
    bool fused; /* false: every stage its own pass (strata_fx_set_fused) */
    bool grade; /* this frame's grade is not neutral */
    strata_fx_shape shape[STRATA_FX_COUNT];
    strata_fx_effect order[STRATA_FX_COUNT];
    int norder;
    bool ran_last[STRATA_FX_COUNT]; /* its history is from the previous frame */
    float amount[STRATA_FX_COUNT];
    float burst;
    bool sort_vertical;
    float sort_reseed; /* seconds; 0: never */
    double sort_t;     /* scene time of the sort's last frame */
    double sort_start; /* scene time the sort started (its clock with re-seeding off) */
};

/* ---- names and curves -------------------------------------------------- */

const char *strata_fx_effect_name(strata_fx_effect e)
{
    return (unsigned)e < STRATA_FX_COUNT ? effect_names[e] : "?";
}

int strata_fx_effect_find(const char *name)
{
    for (int i = 0; name && i < STRATA_FX_COUNT; i++)
        if (!strcmp(effect_names[i], name))
            return i;
    return -1;
}

const char *strata_fx_curve_name(strata_fx_curve c)
{
    return (unsigned)c < STRATA_FX_CURVE_COUNT ? curve_names[c] : "?";
}

int strata_fx_curve_find(const char *name)
{
    for (int i = 0; name && i < STRATA_FX_CURVE_COUNT; i++)
        if (!strcmp(curve_names[i], name))
            return i;
    return -1;
}

static float clamp01(float x)
{
    /* NaN becomes 0: a bad value must not light the chain up. */
    return x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f;
}

float strata_fx_curve_eval(strata_fx_curve c, float k, float g)
{
    g = clamp01(g);
    switch (c) {
    case STRATA_FX_CURVE_SMOOTH:
        return g * g * (3.0f - 2.0f * g);
    case STRATA_FX_CURVE_EXP:
        if (!(k > 1e-3f))
            return g;
        return clamp01(expm1f(k * g) / expm1f(k));
    case STRATA_FX_CURVE_THRESHOLD: {
        float knee = k < 0.0f ? 0.0f : (k > 0.999f ? 0.999f : k);
        return g <= knee ? 0.0f : clamp01((g - knee) / (1.0f - knee));
    }
    case STRATA_FX_CURVE_STEP:
        return g > 0.0f && g >= k ? 1.0f : 0.0f;
    case STRATA_FX_CURVE_LINEAR:
    default:
        return g;
    }
}

/* ---- lifetime ---------------------------------------------------------- */

static bool is_pixel(strata_fx_effect e)
{
    return e == STRATA_FX_TEAR || e == STRATA_FX_RGB || e == STRATA_FX_VHS || e == STRATA_FX_CRUSH;
}

/* A stage whose result is its inputs' values (FX_<E>_SELECTS): tear moves texels, rgb picks
 * channels. The fused chain does not round after it, so its input must be 8-bit. */
static bool selects(strata_fx_effect e)
{
    return e == STRATA_FX_TEAR || e == STRATA_FX_RGB;
}

/* The #defines of fx/chain.frag for a run: grade or not, then the stages in order. */
static void stage_defines(char *buf, size_t len, bool grade, bool src_q, const strata_fx_effect *st,
                          int n)
{
    int k = snprintf(buf, len, "#define FX_GRADE %d\n#define FX_SRC_Q %d\n#define FX_N %d\n",
                     grade ? 1 : 0, src_q ? 1 : 0, n);
    for (int i = 0; i < n && k > 0 && (size_t)k < len; i++) {
        const char *m = stage_macro[st[i]], *name = effect_names[st[i]];
        k += snprintf(buf + k, len - (size_t)k,
                      "#define FX_USE_%s 1\n#define FX_TAP%d fx_%s_tap\n"
                      "#define FX_MIX%d fx_%s_mix\n#define FX_T%d FX_%s_TAPS\n"
                      "#define FX_SEL%d FX_%s_SELECTS\n",
                      m, i + 1, name, i + 1, name, i + 1, m, i + 1, m);
        if (i > 0 && st[i] == STRATA_FX_RGB && st[i - 1] == STRATA_FX_TEAR && k > 0 &&
            (size_t)k < len)
            k += snprintf(buf + k, len - (size_t)k, "#define FX_TEAR_UNDER_RGB 1\n");
    }
}

static strata_program make_chain(bool grade, bool src_q, const strata_fx_effect *st, int n)
{
    char defs[1280];
    stage_defines(defs, sizeof defs, grade, src_q, st, n);
    return strata_program_make_defs("fx/chain.frag", NULL, defs);
}

/* The shader table is finite and a program per chain would only repeat the same
 * sources, so every chain shares the history effects' programs and the one-stage chain
 * programs of the unfused path, made on the first create. They are made again when the
 * render state was re-made under them (their handles then read as stale). */
static struct {
    strata_program prog[STRATA_FX_COUNT]; /* block, sort, trails; one-stage tear, rgb, ... */
    strata_program grade;                 /* the chain with the grade alone */
    strata_program sort_seedless;         /* sort passes after a frame's first */
    strata_program motion;
    strata_program block_moshed; /* block's moshed quads (prog[BLOCK]: the live picture) */
} shared;

/* A handle that was made and no longer names a program: the render state was re-made. */
static bool stale(strata_program p)
{
    return p.id != 0 && !strata_program_valid(p);
}

/* An effect's own program: a one-stage chain, block's live quads, sort's or trails'. */
static strata_program make_effect(strata_fx_effect e)
{
    if (is_pixel(e))
        return make_chain(false, false, &e, 1);
    return strata_program_make(shader_files[e], NULL);
}

static void make_programs(void)
{
    /* Made once (the first create), again only when the render state was re-made: not
     * every time one could not be made (a full program table). */
    bool need = shared.motion.id == 0 || stale(shared.motion) || stale(shared.grade) ||
                stale(shared.sort_seedless) || stale(shared.block_moshed);
    for (int i = 0; i < STRATA_FX_COUNT; i++)
        need = need || stale(shared.prog[i]);
    if (!need)
        return;
    for (int i = 0; i < STRATA_FX_COUNT; i++)
        shared.prog[i] = make_effect((strata_fx_effect)i);
    shared.block_moshed =
        strata_program_make_defs("fx/block.frag", "fx/block.vert", "#define FX_BLOCK_MOSHED 1\n");
    shared.grade = make_chain(true, false, NULL, 0);
    shared.sort_seedless =
        strata_program_make_defs("fx/sort.frag", NULL, "#define FX_SORT_SEEDLESS 1\n");
    shared.motion = strata_program_make("fx/block_motion.frag", NULL);
}

static void free_plan(strata_fx *fx)
{
    for (int i = 0; i < fx->nplan; i++)
        for (int m = 0; m < MASKS; m++)
            strata_program_free(fx->plan[i].var[m]); /* 0 and stale handles are ignored */
    fx->nplan = 0;
}

/* The stages of s in `mask` (bit 0 the grade, bit i + 1 s->st[i]), made on first use;
 * an invalid handle (which draws nothing) when over VARIANTS_MAX or it could not be made. */
static strata_program variant(step *s, unsigned mask)
{
    bool tried = s->tried & (1ull << mask);
    int made = __builtin_popcountll(s->tried);
    if (!strata_program_valid(s->var[mask]) && !tried && made < VARIANTS_MAX) {
        s->tried |= 1ull << mask;
        strata_fx_effect st[FUSE_MAX];
        int n = 0;
        for (int i = 0; i < s->n; i++)
            if (mask & (2u << i))
                st[n++] = s->st[i];
        s->var[mask] = make_chain(mask & 1u, mask & MASK_SRC_Q, st, n);
    }
    return s->var[mask];
}

/* Every stage of s, without and (the first run) with the grade. */
static unsigned full_mask(const step *s)
{
    return ((1u << s->n) - 1u) << 1;
}

/* The steps of the order: the grade opens the first fused run, each history effect ends
 * one. Each run's program with every stage (and the grade) is made here, when the order
 * changes, never per frame; sets with fewer stages on first use (variant). */
static void make_plan(strata_fx *fx)
{
    free_plan(fx);
    make_programs();
    step *run = &fx->plan[fx->nplan++];
    *run = (step){.fused = true, .grade = true};
    for (int i = 0; i < fx->norder; i++) {
        strata_fx_effect e = fx->order[i];
        if (!is_pixel(e)) {
            fx->plan[fx->nplan++] = (step){.e = e};
            run = NULL;
            continue;
        }
        if (!run) {
            run = &fx->plan[fx->nplan++];
            *run = (step){.fused = true};
        }
        run->st[run->n++] = e;
    }
    for (int i = 0; i < fx->nplan; i++) {
        step *s = &fx->plan[i];
        if (s->fused && s->n > 0)
            variant(s, full_mask(s));
        if (s->grade)
            variant(s, full_mask(s) | 1u);
    }
}

/* Programs made before the render state was re-made read as stale: make them again.
 * (A handle never made, 0, is no reason: a full program table would remake every frame.) */
static void check_plan(strata_fx *fx)
{
    bool valid = !stale(shared.motion);
    for (int i = 0; valid && i < fx->nplan; i++) {
        const step *s = &fx->plan[i];
        valid = !s->fused || !stale(s->var[full_mask(s) | (s->grade ? 1u : 0u)]);
    }
    if (!valid || fx->nplan == 0)
        make_plan(fx);
}

static void free_targets(strata_fx *fx)
{
    for (int i = 0; i < 2; i++) {
        strata_target_free(&fx->pp[i]);
        strata_target_free(&fx->block.t[i]);
        strata_target_free(&fx->trails.t[i]);
        strata_target_free(&fx->sort.t[i]);
        strata_target_free(&fx->motion.t[i]);
    }
    if (fx->rows_tex)
        glDeleteTextures(1, &fx->rows_tex);
    fx->rows_tex = 0;
    free(fx->rows);
    fx->rows = NULL;
}


static bool make_targets(strata_fx *fx, int w, int h)
{
    free_targets(fx);
    fx->w = w;
    fx->h = h;
    bool ok = w > 0 && h > 0;
    for (int i = 0; ok && i < 2; i++)
        ok = strata_target_init(&fx->pp[i], w, h, GL_RGBA8) &&
             strata_target_init(&fx->block.t[i], w, h, GL_RGBA8) &&
             strata_target_init(&fx->trails.t[i], w, h, GL_RGBA8) &&
             strata_target_init(&fx->sort.t[i], w, h, GL_RGBA8);
    /* 16 px blocks at 720p, like an MPEG macroblock, scaled with the picture. */
    fx->block_px = h / 45 < 4 ? 4 : h / 45;
    int bw = (w + fx->block_px - 1) / fx->block_px, bh = (h + fx->block_px - 1) / fx->block_px;
    /* 32-bit: .xy is the block's whole displacement, the history read's position. */
    for (int i = 0; ok && i < 2; i++)
        ok = strata_target_init(&fx->motion.t[i], bw, bh, GL_RGBA32F);
    if (ok) {
        fx->rows = calloc((size_t)h * 4, sizeof *fx->rows);
        /* Integer, so nearest (a linear integer texture is incomplete). */
        fx->rows_tex = fx->rows ? strata_texture_create(h, 1, GL_RGBA32UI, GL_RGBA_INTEGER,
                                                        GL_UNSIGNED_INT, GL_NEAREST)
                                : 0;
        ok = fx->rows_tex != 0;
    }
    if (!ok)
        free_targets(fx);
    fx->ok = ok;
    strata_fx_reset(fx);
    return ok;
}

strata_fx *strata_fx_create(int w, int h, strata_result *r)
{
    strata_fx *fx = calloc(1, sizeof *fx);
    if (!fx) {
        strata_fail(r, STRATA_ERR_NOMEM, "fx: out of memory");
        return NULL;
    }
    if (!make_targets(fx, w, h)) {
        strata_fail(r, STRATA_ERR_GL, "fx: cannot create %dx%d targets", w, h);
        free(fx);
        return NULL;
    }
    for (int i = 0; i < STRATA_FX_COUNT; i++) {
        fx->order[i] = (strata_fx_effect)i;
        fx->shape[i] = (strata_fx_shape){STRATA_FX_CURVE_LINEAR, 0.0f, 0.0f};
    }
    fx->norder = STRATA_FX_COUNT;
    fx->shape[STRATA_FX_BLOCK] = (strata_fx_shape){STRATA_FX_CURVE_THRESHOLD, 0.2f, 1.0f};
    fx->shape[STRATA_FX_SORT] = (strata_fx_shape){STRATA_FX_CURVE_THRESHOLD, 0.5f, 0.0f};
    fx->shape[STRATA_FX_TEAR] = (strata_fx_shape){STRATA_FX_CURVE_SMOOTH, 0.0f, 1.0f};
    fx->shape[STRATA_FX_RGB] = (strata_fx_shape){STRATA_FX_CURVE_LINEAR, 0.0f, 1.0f};
    fx->shape[STRATA_FX_VHS] = (strata_fx_shape){STRATA_FX_CURVE_LINEAR, 0.0f, 0.5f};
    fx->shape[STRATA_FX_CRUSH] = (strata_fx_shape){STRATA_FX_CURVE_EXP, 3.0f, 0.5f};
    fx->sort_reseed = 0.8f;
    fx->fused = true;
    make_plan(fx);
    return fx;
}

bool strata_fx_resize(strata_fx *fx, int w, int h)
{
    if (fx->ok && w == fx->w && h == fx->h)
        return true;
    if (!make_targets(fx, w, h)) {
        LOG_ERROR("FX", "cannot create %dx%d targets: the chain bypasses", w, h);
        return false;
    }
    return true;
}

void strata_fx_reset(strata_fx *fx)
{
    memset(fx->ran_last, 0, sizeof fx->ran_last);
    memset(fx->amount, 0, sizeof fx->amount);
    fx->burst = 0.0f;
}

void strata_fx_destroy(strata_fx *fx)
{
    if (!fx)
        return;
    free_targets(fx);
    free_plan(fx);
    free(fx);
}

/* ---- shaping ----------------------------------------------------------- */

void strata_fx_set_shape(strata_fx *fx, strata_fx_effect e, strata_fx_shape s)
{
    if ((unsigned)e < STRATA_FX_COUNT && (unsigned)s.curve < STRATA_FX_CURVE_COUNT)
        fx->shape[e] = s;
}

strata_fx_shape strata_fx_get_shape(const strata_fx *fx, strata_fx_effect e)
{
    return (unsigned)e < STRATA_FX_COUNT ? fx->shape[e] : (strata_fx_shape){0};
}

bool strata_fx_set_order(strata_fx *fx, const strata_fx_effect *order, int n)
{
    bool seen[STRATA_FX_COUNT] = {0};
    if (n < 0 || n > STRATA_FX_COUNT)
        return false;
    for (int i = 0; i < n; i++) {
        if ((unsigned)order[i] >= STRATA_FX_COUNT || seen[order[i]])
            return false;
        seen[order[i]] = true;
    }
    bool same = n == fx->norder && !memcmp(fx->order, order, (size_t)n * sizeof *order);
    memcpy(fx->order, order, (size_t)n * sizeof *order);
    fx->norder = n;
    if (!same) /* a preset's order: its fused programs are made now, not in a frame */
        make_plan(fx);
    return true;
}

int strata_fx_get_order(const strata_fx *fx, strata_fx_effect *order)
{
    memcpy(order, fx->order, (size_t)fx->norder * sizeof *order);
    return fx->norder;
}

void strata_fx_set_sort(strata_fx *fx, bool vertical, float reseed_s)
{
    if (vertical != fx->sort_vertical)
        fx->ran_last[STRATA_FX_SORT] = false; /* the old state is sorted the other way */
    fx->sort_vertical = vertical;
    fx->sort_reseed = reseed_s > 0.0f ? reseed_s : 0.0f;
}

void strata_fx_amounts(const strata_fx *fx, float out[STRATA_FX_COUNT])
{
    memcpy(out, fx->amount, sizeof fx->amount);
}

float strata_fx_burst(const strata_fx *fx)
{
    return fx->burst;
}

void strata_fx_set_fused(strata_fx *fx, bool on)
{
    fx->fused = on;
}

/* ---- passes ------------------------------------------------------------ */

/* A pass of the chain: the frame's uniforms (tests run the chain without a frame block of
 * their own) and the input on u_fx_src; the caller fills in the rest. */
static strata_pass chain_pass(const char *timer, strata_program prog, const strata_target *out,
                              const strata_target *in, const strata_fx_inputs *fi)
{
    return (strata_pass){
        .timer = timer,
        .program = prog,
        .target = out,
        .u = fi->u,
        .in = {{"u_fx_src", in->tex}},
    };
}

/* One texel per block into fx->motion: its displacement this frame and whether it is
 * moshed (block_motion.frag). False when its program FAILED. */
static bool block_motion(strata_fx *fx, const strata_target *in, const strata_fx_inputs *fi,
                         float ticks)
{
    history *hs = &fx->motion;
    strata_pass p = chain_pass("fx_motion", shared.motion, &hs->t[hs->cur ^ 1], in, fi);
    p.in[1].name = "u_fx_prev";
    p.in[1].tex = hs->t[hs->cur].tex;
    p.in[2].name = "u_fx_flow";
    p.in[2].tex = fi->flow_tex;
    bool unit = fi->flow_scale[0] == 0.0f && fi->flow_scale[1] == 0.0f;
    p.uni[0] = STRATA_UF("u_fx_has_flow", fi->flow_tex ? 1.0f : 0.0f);
    p.uni[1] = STRATA_U2("u_fx_flow_scale", unit ? 1.0f : fi->flow_scale[0],
                         unit ? 1.0f : fi->flow_scale[1]);
    p.uni[2] = STRATA_UF("u_fx_fresh", fx->ran_last[STRATA_FX_BLOCK] ? 0.0f : 1.0f);
    p.uni[3] = STRATA_UF("u_fx_block_px", (float)fx->block_px);
    p.uni[4] = STRATA_UF("u_fx_amount", fx->amount[STRATA_FX_BLOCK]);
    p.uni[5] = STRATA_UF("u_fx_ticks", ticks);
    if (!strata_pass_run(&p))
        return false;
    hs->cur ^= 1;
    return true;
}

static const strata_target *run_block(strata_fx *fx, const strata_target *in,
                                      const strata_fx_inputs *fi)
{
    const strata_fx_effect e = STRATA_FX_BLOCK;
    history *hs = &fx->block;
    strata_target *out = &hs->t[hs->cur ^ 1];
    float ticks = fi->u->dt > 0.0f ? fi->u->dt * 30.0f : 0.0f;
    if (!block_motion(fx, in, fi, ticks))
        return in;
    /* No history yet, or one older than a block's fate (6 ticks: 0.2 s): the moshed
     * blocks throw the live picture instead (block.frag). */
    bool live = !fx->ran_last[e] || ticks > 6.0f;
    /* The live picture over the whole target, then the moshed blocks as quads of their
     * own (fx/block.vert): only their pixels read the history. The live picture is a
     * copy (a memcpy on llvmpipe, not a shader pass) where the formats allow one. */
    const strata_target *mv = &fx->motion.t[fx->motion.cur];
    int first = 0;
    if (in->format == GL_RGBA8 && out->format == GL_RGBA8 && in->w == out->w && in->h == out->h &&
        (GLEW_VERSION_4_3 || GLEW_ARB_copy_image)) {
        strata_gpu_begin(timer_names[e]); /* the pass below shares its query */
        glCopyImageSubData(in->tex, GL_TEXTURE_2D, 0, 0, 0, 0, out->tex, GL_TEXTURE_2D, 0, 0, 0, 0,
                           in->w, in->h, 1);
        first = 1;
    }
    for (int moshed = first; moshed < 2; moshed++) {
        strata_program prog = moshed ? shared.block_moshed : shared.prog[e];
        strata_pass p = chain_pass(timer_names[e], prog, out, in, fi);
        p.in[1].name = "u_fx_hist";
        p.in[1].tex = live ? in->tex : hs->t[hs->cur].tex;
        p.in[2].name = "u_fx_mvec";
        p.in[2].tex = mv->tex;
        p.uni[0] = STRATA_UF("u_fx_block_px", (float)fx->block_px);
        p.uni[1] = STRATA_U2("u_fx_px", (float)out->w, (float)out->h);
        if (moshed) {
            p.primitive = GL_TRIANGLES;
            p.count = 6 * mv->w * mv->h;
        }
        if (!strata_pass_run(&p))
            return in;
    }
    hs->cur ^= 1;
    return out;
}

static const strata_target *run_trails(strata_fx *fx, const strata_target *in,
                                       const strata_fx_inputs *fi)
{
    const strata_fx_effect e = STRATA_FX_TRAILS;
    history *hs = &fx->trails;
    strata_target *out = &hs->t[hs->cur ^ 1];
    const float *prm = fi->u->params;
    /* Per 1/30 s: up to 4% zoom and 1/100 turn, so a long trail spirals visibly. By time,
     * not frames: a render at 1 fps and one at 60 zoom, turn and decay alike. */
    float ticks = fi->u->dt > 0.0f ? fi->u->dt * 30.0f : 0.0f;
    strata_pass p = chain_pass(timer_names[e], shared.prog[e], out, in, fi);
    p.in[1].name = "u_fx_hist";
    p.in[1].tex = hs->t[hs->cur].tex;
    p.uni[0] = STRATA_UF("u_fx_amount", fx->amount[e]);
    p.uni[1] = STRATA_UF("u_fx_fresh", fx->ran_last[e] ? 0.0f : 1.0f);
    p.uni[2] = STRATA_UF("u_fx_scale", powf(1.0f + 0.04f * prm[STRATA_P_fx_trails_zoom], ticks));
    p.uni[3] = STRATA_UF("u_fx_angle", ticks * 0.01f * 6.2831853f * prm[STRATA_P_fx_trails_rotate]);
    p.uni[4] = STRATA_UF("u_fx_ticks", ticks);
    if (!strata_pass_run(&p))
        return in;
    hs->cur ^= 1;
    return out;
}

static const strata_target *run_sort(strata_fx *fx, const strata_target *in,
                                     const strata_fx_inputs *fi)
{
    const strata_fx_effect e = STRATA_FX_SORT;
    history *hs = &fx->sort;
    float a = fx->amount[e];
    /* Passes by time: each row gets the passes due (rate * its age since its last
     * re-seed, floored) less those it had, so a row sorts as far at 1 fps as at 60. */
    float rate = ceilf(a * SORT_PASSES_MAX) * 30.0f;
    /* Low amounts sort only the brightest pixels; at 1 the threshold parameter rules. */
    float thr = 1.0f - a * (1.0f - fi->u->params[STRATA_P_fx_sort_threshold]);
    double t = fi->u->time;
    int seed = 1;
    if (!fx->ran_last[e] || t < fx->sort_t) {
        /* Starting (or the clock went back): seed every row, as if a 30 fps frame ago. */
        seed = 2;
        fx->sort_t = t - 1.0 / 30.0;
        fx->sort_start = fx->sort_t;
    }
    float step = (float)(t - fx->sort_t);
    fx->sort_t = t;
    float tmod = fx->sort_reseed > 0.0f ? (float)fmod(t, (double)fx->sort_reseed)
                                        : (float)(t - fx->sort_start);
    /* No row needs more than floor(step * rate) + 1 passes, and odd-even transposition
     * sorts n pixels in n rounds: n / 2 + 1 passes, after which more change nothing. */
    int n = fx->sort_vertical ? in->h : in->w;
    double due = floor((double)step * (double)rate) + 1.0;
    int passes = due > (double)(n / 2 + 2) ? n / 2 + 2 : (int)due;
    for (int i = 0; i < passes; i++) {
        /* Only the first pass of a frame seeds rows from the live picture. */
        strata_program prog = i == 0 ? shared.prog[e] : shared.sort_seedless;
        strata_pass p = chain_pass(timer_names[e], prog, &hs->t[hs->cur ^ 1], in, fi);
        p.in[1].name = "u_fx_state";
        p.in[1].tex = hs->t[hs->cur].tex;
        p.uni[0] = STRATA_UF("u_fx_amount", a);
        p.uni[1] = STRATA_UI("u_fx_vertical", fx->sort_vertical ? 1 : 0);
        p.uni[2] = STRATA_UI("u_fx_seed", seed);
        p.uni[3] = STRATA_UI("u_fx_pass", i);
        p.uni[4] = STRATA_UF("u_fx_period", fx->sort_reseed);
        p.uni[5] = STRATA_UF("u_fx_tmod", tmod);
        p.uni[6] = STRATA_UF("u_fx_step", step);
        p.uni[7] = STRATA_UF("u_fx_rate", rate);
        p.uni[8] = STRATA_UF("u_fx_thr", thr);
        if (!strata_pass_run(&p))
            return in;
        hs->cur ^= 1;
    }
    return &hs->t[hs->cur];
}

/* Where a fused run draws: the ping-pong target that is not its input, or the output. */
typedef struct dest {
    const strata_target *target;
    const strata_fx_output *out; /* non-NULL: straight to the output */
} dest;

/* fx_common.glsl's hash and pattern clock, for values that are the same for every pixel
 * of a frame (the shaders take them as uniforms). */
static uint32_t hash_u(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

static float hash3(int a, int b, int c)
{
    uint32_t h = hash_u((uint32_t)a ^ hash_u((uint32_t)b ^ hash_u((uint32_t)c + 0x9e3779b9u)));
    return (float)(h >> 8) * (1.0f / 16777216.0f);
}

/* The shaders' u_time: the frame block's time, wrapped as render/uniforms.c wraps it. */
static float shader_time(const strata_fx_inputs *fi)
{
    double t = fi->u->time;
    return (float)(t - 10000.0 * (double)(int64_t)(t / 10000.0));
}

static int tick(const strata_fx_inputs *fi, float hz)
{
    return (int)floorf(shader_time(fi) * hz + 1e-3f);
}

/* Tear's band height this 1/15 s (tear.glsl). */
static float tear_band(const strata_fx_inputs *fi, int h)
{
    float band = floorf((6.0f + 74.0f * hash3(tick(fi, 15.0f), 1, 0)) * (float)h / 720.0f);
    return band > 2.0f ? band : 2.0f;
}

static float smoothstepf(float e0, float e1, float x)
{
    float t = (x - e0) / (e1 - e0);
    t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    return t * t * (3.0f - 2.0f * t);
}

/* rgb's split's constant part (rgb.glsl's u_fx_rgb_k), component c (0 x, 1 y). */
static float rgb_k(const strata_fx *fx, const strata_fx_inputs *fi, int c)
{
    float ang = hash3(tick(fi, 7.5f), 17, 0) * 6.28318530717959f;
    float ar = fx->amount[STRATA_FX_RGB];
    return c == 0 ? ar * (float)fx->w * (0.012f * cosf(ang) - 0.01f)
                  : ar * (float)fx->h * (0.012f * 0.35f * sinf(ang) - 0.01f);
}

/* v (clamped to a signed field of `bits`) at bit `at` of a table word. */
static uint32_t pack_bits(int v, int at, int bits)
{
    int hi = (1 << (bits - 1)) - 1;
    v = v < -hi - 1 ? -hi - 1 : v > hi ? hi : v;
    return ((uint32_t)v & ((1u << bits) - 1u)) << at;
}

/* The row table of this frame (fx_common.glsl's u_fx_rows; what tear.glsl and vhs.glsl
 * describe, in the shaders' float arithmetic): every row's tear shift, vhs offset, vhs
 * band and the vhs noise's row hash, rgb's vertical split and tear's shift at the rows it
 * splits to, packed as fx_common.glsl unpacks them. Done in C once per frame instead of
 * in every tap of every pixel (up to 6 tear evaluations a pixel in a fused pass); the
 * fused and the one-pass-per-stage paths read the same table. */
static void fill_rows(strata_fx *fx, const strata_fx_inputs *fi)
{
    const float at = fx->amount[STRATA_FX_TEAR], av = fx->amount[STRATA_FX_VHS];
    const float w = (float)fx->w, h = (float)fx->h, scale = h / 720.0f, t = shader_time(fi);
    const int epoch = tick(fi, 15.0f), t30 = tick(fi, 30.0f);
    const float band_h = tear_band(fi, fx->h);
    const float roll = 1.0f - (t * 0.14f - floorf(t * 0.14f));
    const uint32_t k30 = hash_u((uint32_t)t30 + 0x9e3779b9u);
    for (int y = 0; y < fx->h; y++) {
        uint32_t *r = fx->rows + 4 * y;
        int band = (int)(((float)y + 0.5f) / band_h);
        float torn = hash3(band, epoch, 2) <= 0.4f * at ? 1.0f : 0.0f;
        float shift = torn * (hash3(band, epoch, 3) - 0.5f) * 0.25f * at;
        float jitter = (hash3(y, t30, 4) - 0.5f) * 4.0f * scale * at;
        int tear = (int)rintf(shift * w + jitter); /* |tear| <= w / 8 + 2 */
        float yy = ((float)y + 0.5f) / h;
        float wob =
            (0.6f * sinf(yy * 23.0f + t * 2.7f) + 0.4f * sinf(yy * 161.0f - t * 9.0f)) * 3.0f;
        float dist = fabsf(yy - roll);
        float vband = smoothstepf(0.07f, 0.0f, fminf(dist, 1.0f - dist)) * av;
        float vtear = vband * (hash3(y, t30, 5) - 0.3f) * 40.0f;
        float head = (yy <= 0.02f ? 1.0f : 0.0f) * (1.0f - yy / 0.02f) * 30.0f;
        int off = (int)rintf((wob + vtear + head) * scale * av);
        r[0] = pack_bits(tear, 0, 16) | pack_bits(off, 16, 16);
        memcpy(&r[2], &vband, sizeof vband);
        r[3] = hash_u((uint32_t)y ^ k30);
    }
    /* .y: rgb's vertical split per row (rgb.glsl, the shader's float arithmetic) and
     * tear's shift at the two rows it splits to (fx_common.glsl). */
    const float ky = rgb_k(fx, fi, 1), l = 0.02f * fx->amount[STRATA_FX_RGB];
    for (int y = 0; y < fx->h; y++) {
        int dy = (int)rintf(ky + l * ((float)y + 0.5f));
        dy = dy < -128 ? -128 : dy > 127 ? 127 : dy;
        int y1 = y + dy, y2 = y - dy;
        y1 = y1 < 0 ? 0 : (y1 > fx->h - 1 ? fx->h - 1 : y1);
        y2 = y2 < 0 ? 0 : (y2 > fx->h - 1 ? fx->h - 1 : y2);
        int t1 = (int16_t)(fx->rows[4 * y1] & 0xffffu), t2 = (int16_t)(fx->rows[4 * y2] & 0xffffu);
        fx->rows[4 * y + 1] = pack_bits(t1, 0, 12) | pack_bits(t2, 12, 12) | pack_bits(dy, 24, 8);
    }
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, fx->rows_tex);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, fx->h, 1, GL_RGBA_INTEGER, GL_UNSIGNED_INT, fx->rows);
}

/* A chain program with stage amounts a[1..n] (a[0] unused): one fused run, or one stage. */
static bool run_chain(strata_fx *fx, strata_program prog, const char *timer, const float *a, int n,
                      const strata_target *in, const dest *d, const strata_fx_inputs *fi)
{
    strata_pass p = chain_pass(timer, prog, d->target, in, fi);
    p.in[1].name = "u_fx_rows";
    p.in[1].tex = fx->rows_tex;
    int k = 0;
    for (int i = 1; i <= n; i++)
        p.uni[k++] = STRATA_UF(stage_amount[i], a[i]);
    p.uni[k++] = STRATA_U2("u_fx_rgb_k", rgb_k(fx, fi, 0), rgb_k(fx, fi, 1));
    p.uni[k++] = STRATA_UF("u_fx_rgb_l", 0.02f * fx->amount[STRATA_FX_RGB]);
    /* Per-frame values of vhs and crush (vhs.glsl, crush.glsl), in the shaders' order. */
    const float scale = (float)in->h / 720.0f, av = fx->amount[STRATA_FX_VHS];
    const float ac = fx->amount[STRATA_FX_CRUSH];
    p.uni[k++] = STRATA_UI("u_fx_vhs_bleed", (int)rintf(1.5f * rintf((2.0f + 6.0f * av) * scale)));
    float cell = fmaxf(1.0f, floorf(1.0f + ac * 7.0f * (float)in->h / 720.0f));
    float levels = floorf(32.0f + (5.0f - 32.0f) * ac);
    p.uni[k++] =
        STRATA_U4("u_fx_crush_k", cell, 1.0f / cell, levels - 1.0f, fminf(1.0f, ac * 10.0f));
    /* Always all three: a program keeps its uniforms from its last draw. */
    p.uni[k] = STRATA_UI2("u_fx_origin", 0, 0);
    p.uni[k + 1] = STRATA_UI("u_fx_present", 0);
    p.uni[k + 2] = STRATA_UF("u_fx_gain", 1.0f);
    if (d->out) {
        /* The output pass's work: the picture at the letterboxed viewport, the bars
         * cleared, opaque, times the gain (render/output.c). */
        const strata_fx_output *o = d->out;
        int ww = o->target ? o->target->w : o->win_w, wh = o->target ? o->target->h : o->win_h;
        strata_output_fit(in->w, in->h, ww, wh, p.viewport);
        p.target = o->target;
        p.window_w = ww;
        p.window_h = wh;
        p.clear = p.viewport[2] != ww || p.viewport[3] != wh;
        p.clear_color[3] = 1.0f;
        p.uni[k] = STRATA_UI2("u_fx_origin", p.viewport[0], p.viewport[1]);
        p.uni[k + 1] = STRATA_UI("u_fx_present", 1);
        p.uni[k + 2] = STRATA_UF("u_fx_gain", strata_output_gain());
    }
    return strata_pass_run(&p);
}

/* The program set for a run's stages in `mask`: with FX_SRC_Q when the input is not
 * 8-bit, the grade does not round it first and the first stage running selects. */
static unsigned fused_mask(const step *s, unsigned mask, const strata_target *in)
{
    if (in->format == GL_RGBA8 || (mask & 1u))
        return mask;
    for (int i = 0; i < s->n; i++)
        if (mask & (2u << i))
            return selects(s->st[i]) ? mask | MASK_SRC_Q : mask;
    return mask;
}

/* A fused run: the grade (while not neutral) and its stages running this frame in one
 * pass, or one pass per stage when unfused or when the fused program FAILED (a broken
 * effect is then skipped alone). Returns the picture, NULL when it went to `out`. */
static const strata_target *run_fused(strata_fx *fx, step *s, const strata_target *in,
                                      const strata_fx_output *out, const strata_fx_inputs *fi,
                                      bool *ran)
{
    unsigned mask = s->grade && fx->grade ? 1u : 0u;
    float a[FUSE_MAX + 1] = {0};
    int n = 0;
    strata_fx_effect st[FUSE_MAX];
    for (int i = 0; i < s->n; i++) {
        if (fx->amount[s->st[i]] > 0.0f) {
            mask |= 2u << i;
            st[n] = s->st[i];
            a[++n] = fx->amount[s->st[i]];
        }
    }
    if (!mask)
        return in;
    strata_target *pp = in == &fx->pp[0] ? &fx->pp[1] : &fx->pp[0];
    if (fx->fused) {
        dest d = {.target = pp, .out = out};
        if (run_chain(fx, variant(s, fused_mask(s, mask, in)), "fx_chain", a, n, in, &d, fi)) {
            for (int i = 0; i < n; i++)
                ran[st[i]] = true;
            return out ? NULL : pp;
        }
    }
    const strata_target *cur = in;
    for (int i = (mask & 1u) ? 0 : 1; i <= n; i++) {
        strata_target *next = cur == &fx->pp[0] ? &fx->pp[1] : &fx->pp[0];
        dest d = {.target = next};
        float one[2] = {0.0f, a[i]};
        bool ok = i == 0 ? run_chain(fx, shared.grade, "grade", one, 0, cur, &d, fi)
                         : run_chain(fx, shared.prog[st[i - 1]], timer_names[st[i - 1]], one, 1,
                                     cur, &d, fi);
        if (ok && i > 0)
            ran[st[i - 1]] = true;
        if (ok)
            cur = next;
    }
    return cur;
}

float strata_fx_burst_step(float burst, float dt, float onset, const float *params)
{
    float decay = params[STRATA_P_burst_decay];
    dt = dt > 0.0f ? dt : 0.0f;
    /* One-pole decay in frame time, so render mode repeats; an onset lifts it again. */
    burst *= decay > 0.0f ? expf(-dt / decay) : 0.0f;
    float fire = clamp01(onset) * clamp01(params[STRATA_P_burst]);
    if (fire > burst)
        burst = fire;
    return burst < 1.0f / 256.0f ? 0.0f : burst; /* the amounts' floor: the burst is over */
}

float strata_fx_shape_amount(const strata_fx_shape *s, float glitch, float amount, float burst,
                             float extra)
{
    float a = extra;
    glitch = clamp01(glitch);
    if (glitch > 0.0f)
        a += strata_fx_curve_eval(s->curve, s->k, glitch) * amount + burst * s->burst_mix;
    /* Below 1/256 nothing would show but a pass would still be drawn, and a smoothed
     * glitch takes a few dozen frames to settle at exactly 0. */
    return a < 1.0f / 256.0f ? 0.0f : clamp01(a);
}

/* Neutral grade: no grade stage, so at glitch 0 the chain is a bit-exact bypass. */
static bool grade_is_neutral(const float *p)
{
    return p[STRATA_P_zoom] == 1.0f && p[STRATA_P_rotate] == 0.0f && p[STRATA_P_hue] == 0.0f &&
           p[STRATA_P_saturation] == 1.0f && p[STRATA_P_contrast] == 1.0f &&
           p[STRATA_P_brightness] == 1.0f;
}

/* Amounts for this frame; true when anything (an effect, the grade) runs. */
static bool update_amounts(strata_fx *fx, const strata_fx_inputs *in)
{
    const float *prm = in->u->params;
    fx->burst = strata_fx_burst_step(fx->burst, in->u->dt, in->onset, prm);
    fx->grade = !grade_is_neutral(prm);
    bool any = fx->grade;
    for (int i = 0; i < STRATA_FX_COUNT; i++) {
        float extra = i == STRATA_FX_TRAILS ? prm[STRATA_P_feedback] : 0.0f;
        fx->amount[i] = strata_fx_shape_amount(&fx->shape[i], prm[STRATA_P_glitch],
                                               prm[amount_param[i]], fx->burst, extra);
        any = any || fx->amount[i] > 0.0f;
    }
    return any;
}

/* Whether step i draws anything this frame. */
static bool step_draws(const strata_fx *fx, const step *s)
{
    if (!s->fused)
        return fx->amount[s->e] > 0.0f;
    bool any = s->grade && fx->grade;
    for (int i = 0; i < s->n; i++)
        any = any || fx->amount[s->st[i]] > 0.0f;
    return any;
}

static const strata_target *run_chain_to(strata_fx *fx, const strata_target *src,
                                         const strata_fx_inputs *in, const strata_fx_output *out)
{
    if (!update_amounts(fx, in) || !fx->ok || src->w != fx->w || src->h != fx->h) {
        memset(fx->ran_last, 0, sizeof fx->ran_last);
        memset(fx->amount, 0, sizeof fx->amount);
        return src;
    }
    check_plan(fx);
    if (fx->amount[STRATA_FX_TEAR] > 0.0f || fx->amount[STRATA_FX_VHS] > 0.0f ||
        fx->amount[STRATA_FX_RGB] > 0.0f)
        fill_rows(fx, in);
    /* The last step that draws may draw straight to the output when it is a fused run and
     * the picture fills the output's viewport at its own size. */
    int last = -1;
    for (int i = 0; i < fx->nplan; i++)
        if (step_draws(fx, &fx->plan[i]))
            last = i;
    if (out && last >= 0 && fx->plan[last].fused) {
        int ww = out->target ? out->target->w : out->win_w;
        int wh = out->target ? out->target->h : out->win_h;
        int vp[4];
        strata_output_fit(fx->w, fx->h, ww, wh, vp);
        if (vp[2] != fx->w || vp[3] != fx->h)
            out = NULL;
    } else {
        out = NULL;
    }
    bool ran[STRATA_FX_COUNT] = {0};
    const strata_target *cur = src;
    for (int i = 0; i < fx->nplan && cur; i++) {
        step *s = &fx->plan[i];
        if (!step_draws(fx, s))
            continue;
        if (s->fused) {
            cur = run_fused(fx, s, cur, i == last ? out : NULL, in, ran);
            continue;
        }
        const strata_target *next;
        switch (s->e) {
        case STRATA_FX_BLOCK:
            next = run_block(fx, cur, in);
            break;
        case STRATA_FX_TRAILS:
            next = run_trails(fx, cur, in);
            break;
        default:
            next = run_sort(fx, cur, in);
            break;
        }
        ran[s->e] = next != cur;
        cur = next;
    }
    /* Report what ran: an effect outside the order or with a FAILED shader shows 0. */
    for (int e = 0; e < STRATA_FX_COUNT; e++)
        if (!ran[e])
            fx->amount[e] = 0.0f;
    memcpy(fx->ran_last, ran, sizeof ran);
    return cur;
}

const strata_target *strata_fx_run(strata_fx *fx, const strata_target *src,
                                   const strata_fx_inputs *in)
{
    return run_chain_to(fx, src, in, NULL);
}

const strata_target *strata_fx_present(strata_fx *fx, const strata_target *src,
                                       const strata_fx_inputs *in, const strata_fx_output *out)
{
    return run_chain_to(fx, src, in, out);
}
