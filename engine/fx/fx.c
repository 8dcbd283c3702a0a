/* The fx chain: amounts from glitch curves and bursts, ping-pong passes, histories. */
#include "fx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sort draws per 1/30 s at amount 1 (each does two odd-even rounds): the sort runs
 * ceil(amount * 4) * 30 passes a second of scene time, whatever the frame rate. */
#define SORT_PASSES_MAX 4

static const char *const effect_names[STRATA_FX_COUNT] = {
    "block", "sort", "trails", "tear", "rgb", "vhs", "crush",
};
/* Timer names must be stable pointers: the timer table keeps them. */
static const char *const timer_names[STRATA_FX_COUNT] = {
    "fx_block", "fx_sort", "fx_trails", "fx_tear", "fx_rgb", "fx_vhs", "fx_crush",
};
static const char *const shader_files[STRATA_FX_COUNT] = {
    "fx/block.frag", "fx/sort.frag", "fx/trails.frag", "fx/tear.frag",
    "fx/rgb.frag",   "fx/vhs.frag",  "fx/crush.frag",
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

struct strata_fx {
    int w, h;
    bool ok;             /* targets exist; false after a failed resize: bypass */
    strata_target pp[2]; /* ping-pong for the stateless effects */
    history block, trails, sort;
    history motion; /* per block: motion (pixels) and centre luma, RGBA16F */
    int block_px;   /* datamosh block size */
    strata_program prog[STRATA_FX_COUNT];
    strata_program motion_prog;
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

/* The shader table is finite and a program per chain would only repeat the same
 * sources, so every chain shares one set, made on the first create. It is made again when
 * the render state was re-made under it (its handles then read as stale). */
static struct {
    strata_program prog[STRATA_FX_COUNT];
    strata_program motion;
} shared;

static void make_programs(void)
{
    bool valid = strata_program_valid(shared.motion);
    for (int i = 0; valid && i < STRATA_FX_COUNT; i++)
        valid = strata_program_valid(shared.prog[i]);
    if (valid)
        return;
    for (int i = 0; i < STRATA_FX_COUNT; i++)
        shared.prog[i] = strata_program_make(shader_files[i], NULL);
    shared.motion = strata_program_make("fx/block_motion.frag", NULL);
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
    for (int i = 0; ok && i < 2; i++)
        ok = strata_target_init(&fx->motion.t[i], bw, bh, GL_RGBA16F);
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
    make_programs();
    fx->motion_prog = shared.motion;
    for (int i = 0; i < STRATA_FX_COUNT; i++) {
        fx->prog[i] = shared.prog[i];
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
    memcpy(fx->order, order, (size_t)n * sizeof *order);
    fx->norder = n;
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

/* ---- passes ------------------------------------------------------------ */

/* Bind p with the shared uniforms, the input on unit 0 and the amount. */
static GLuint begin_pass(strata_fx *fx, strata_fx_effect e, const strata_target *in,
                         const strata_fx_inputs *fi)
{
    strata_program p = fx->prog[e];
    GLuint id = strata_program_use(p);
    if (!id)
        return 0;
    strata_uniforms_apply(p, fi->u);
    strata_texture_bind(in->tex, 0);
    glUniform1i(strata_uniform_loc(p, "u_fx_src"), 0);
    glUniform1f(strata_uniform_loc(p, "u_fx_amount"), fx->amount[e]);
    return id;
}

static void set_i(strata_fx *fx, strata_fx_effect e, const char *name, int v)
{
    glUniform1i(strata_uniform_loc(fx->prog[e], name), v);
}

static void set_f(strata_fx *fx, strata_fx_effect e, const char *name, float v)
{
    glUniform1f(strata_uniform_loc(fx->prog[e], name), v);
}

/* One motion vector per block into fx->motion. False when its program FAILED. */
static bool block_motion(strata_fx *fx, const strata_target *in, const strata_fx_inputs *fi)
{
    strata_program p = fx->motion_prog;
    history *hs = &fx->motion;
    strata_target_bind(&hs->t[hs->cur ^ 1]);
    if (!strata_program_use(p))
        return false;
    strata_uniforms_apply(p, fi->u);
    strata_texture_bind(in->tex, 0);
    strata_texture_bind(hs->t[hs->cur].tex, 2);
    strata_texture_bind(fi->flow_tex, 3);
    glUniform1i(strata_uniform_loc(p, "u_fx_src"), 0);
    glUniform1i(strata_uniform_loc(p, "u_fx_prev"), 2);
    glUniform1i(strata_uniform_loc(p, "u_fx_flow"), 3);
    glUniform1f(strata_uniform_loc(p, "u_fx_has_flow"), fi->flow_tex ? 1.0f : 0.0f);
    bool unit = fi->flow_scale[0] == 0.0f && fi->flow_scale[1] == 0.0f;
    glUniform2f(strata_uniform_loc(p, "u_fx_flow_scale"), unit ? 1.0f : fi->flow_scale[0],
                unit ? 1.0f : fi->flow_scale[1]);
    float fresh = fx->ran_last[STRATA_FX_BLOCK] ? 0.0f : 1.0f;
    glUniform1f(strata_uniform_loc(p, "u_fx_fresh"), fresh);
    glUniform1f(strata_uniform_loc(p, "u_fx_block_px"), (float)fx->block_px);
    strata_draw_fullscreen();
    strata_texture_bind(0, 3);
    hs->cur ^= 1;
    return true;
}

static const strata_target *run_block(strata_fx *fx, const strata_target *in,
                                      const strata_fx_inputs *fi)
{
    const strata_fx_effect e = STRATA_FX_BLOCK;
    history *hs = &fx->block;
    strata_target *out = &hs->t[hs->cur ^ 1];
    if (!block_motion(fx, in, fi))
        return in;
    strata_target_bind(out);
    if (!begin_pass(fx, e, in, fi))
        return in;
    strata_texture_bind(hs->t[hs->cur].tex, 1);
    strata_texture_bind(fx->motion.t[fx->motion.cur].tex, 2);
    set_i(fx, e, "u_fx_hist", 1);
    set_i(fx, e, "u_fx_mvec", 2);
    set_f(fx, e, "u_fx_fresh", fx->ran_last[e] ? 0.0f : 1.0f);
    set_f(fx, e, "u_fx_block_px", (float)fx->block_px);
    set_f(fx, e, "u_fx_ticks", fi->u->dt > 0.0f ? fi->u->dt * 30.0f : 0.0f);
    strata_draw_fullscreen();
    hs->cur ^= 1;
    return out;
}

static const strata_target *run_trails(strata_fx *fx, const strata_target *in,
                                       const strata_fx_inputs *fi)
{
    const strata_fx_effect e = STRATA_FX_TRAILS;
    history *hs = &fx->trails;
    strata_target *out = &hs->t[hs->cur ^ 1];
    strata_target_bind(out);
    if (!begin_pass(fx, e, in, fi))
        return in;
    const float *prm = fi->u->params;
    strata_texture_bind(hs->t[hs->cur].tex, 1);
    set_i(fx, e, "u_fx_hist", 1);
    set_f(fx, e, "u_fx_fresh", fx->ran_last[e] ? 0.0f : 1.0f);
    /* Per 1/30 s: up to 4% zoom and 1/100 turn, so a long trail spirals visibly. By time,
     * not frames: a render at 1 fps and one at 60 zoom, turn and decay alike. */
    float ticks = fi->u->dt > 0.0f ? fi->u->dt * 30.0f : 0.0f;
    set_f(fx, e, "u_fx_scale", powf(1.0f + 0.04f * prm[STRATA_P_fx_trails_zoom], ticks));
    set_f(fx, e, "u_fx_angle", ticks * 0.01f * 6.2831853f * prm[STRATA_P_fx_trails_rotate]);
    set_f(fx, e, "u_fx_ticks", ticks);
    strata_draw_fullscreen();
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
        strata_target *out = &hs->t[hs->cur ^ 1];
        strata_target_bind(out);
        if (!begin_pass(fx, e, in, fi))
            return in;
        strata_texture_bind(hs->t[hs->cur].tex, 1);
        set_i(fx, e, "u_fx_state", 1);
        set_i(fx, e, "u_fx_vertical", fx->sort_vertical ? 1 : 0);
        set_i(fx, e, "u_fx_seed", seed);
        set_i(fx, e, "u_fx_pass", i);
        set_f(fx, e, "u_fx_period", fx->sort_reseed);
        set_f(fx, e, "u_fx_tmod", tmod);
        set_f(fx, e, "u_fx_step", step);
        set_f(fx, e, "u_fx_rate", rate);
        set_f(fx, e, "u_fx_thr", thr);
        strata_draw_fullscreen();
        hs->cur ^= 1;
    }
    return &hs->t[hs->cur];
}

/* A stateless effect: input -> the ping-pong target that is not the input. */
static const strata_target *run_plain(strata_fx *fx, strata_fx_effect e, const strata_target *in,
                                      const strata_fx_inputs *fi)
{
    strata_target *out = in == &fx->pp[0] ? &fx->pp[1] : &fx->pp[0];
    strata_target_bind(out);
    if (!begin_pass(fx, e, in, fi))
        return in;
    strata_draw_fullscreen();
    return out;
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

/* Amounts for this frame; true when any effect runs. */
static bool update_amounts(strata_fx *fx, const strata_fx_inputs *in)
{
    const float *prm = in->u->params;
    fx->burst = strata_fx_burst_step(fx->burst, in->u->dt, in->onset, prm);
    bool any = false;
    for (int i = 0; i < STRATA_FX_COUNT; i++) {
        float extra = i == STRATA_FX_TRAILS ? prm[STRATA_P_feedback] : 0.0f;
        fx->amount[i] = strata_fx_shape_amount(&fx->shape[i], prm[STRATA_P_glitch],
                                               prm[amount_param[i]], fx->burst, extra);
        any = any || fx->amount[i] > 0.0f;
    }
    return any;
}

const strata_target *strata_fx_run(strata_fx *fx, const strata_target *src,
                                   const strata_fx_inputs *in)
{
    if (!update_amounts(fx, in) || !fx->ok || src->w != fx->w || src->h != fx->h) {
        memset(fx->ran_last, 0, sizeof fx->ran_last);
        memset(fx->amount, 0, sizeof fx->amount);
        return src;
    }
    bool ran[STRATA_FX_COUNT] = {0};
    const strata_target *cur = src;
    for (int i = 0; i < fx->norder; i++) {
        strata_fx_effect e = fx->order[i];
        if (fx->amount[e] <= 0.0f)
            continue;
        strata_gpu_begin(timer_names[e]);
        const strata_target *out;
        switch (e) {
        case STRATA_FX_BLOCK:
            out = run_block(fx, cur, in);
            break;
        case STRATA_FX_TRAILS:
            out = run_trails(fx, cur, in);
            break;
        case STRATA_FX_SORT:
            out = run_sort(fx, cur, in);
            break;
        default:
            out = run_plain(fx, e, cur, in);
            break;
        }
        strata_gpu_end();
        ran[e] = out != cur;
        cur = out;
    }
    /* Report what ran: an effect outside the order or with a FAILED shader shows 0. */
    for (int e = 0; e < STRATA_FX_COUNT; e++)
        if (!ran[e])
            fx->amount[e] = 0.0f;
    memcpy(fx->ran_last, ran, sizeof ran);
    return cur;
}
