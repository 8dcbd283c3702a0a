/* The flow morph: dense optical flow between two keyframes on the GPU (an exhaustive
 * search at the coarsest pyramid level, Lucas-Kanade refinement on the way up,
 * edge-aware smoothing), a confidence per flow texel (forward-backward consistency and
 * patch likeness, flow_check), then softmax forward splatting of both flows and their
 * confidence to time t and a compose that samples each keyframe along its flow where
 * the flow is trusted and cross-fades where it is not (between unrelated pictures the
 * flow is noise, and following it tore the frame into blocks). The compose works out
 * where to sample and how much per vertex of a mesh on the splat grid and draws that
 * mesh only where anything warps, over a full-screen cross-fade (flow_compose.vert).
 *
 * The estimate runs in stages, one per frame (strata_flow_step), so a transition
 * never costs one long frame: the eased progress is still ~0 for those first frames,
 * where the compose shows keyframe A anyway. */
#include "morph.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS 7
#define BASE_MIN 160 /* texels: below that, an eighth is too coarse (the tests) */
#define BASE_MAX 240 /* the flow of a 4K frame needs no more than that of 1080p */

/* Each flow's evidence goes with its estimate and each confidence is a stage of its own:
 * the whole check in one stage was the transition's worst frame (bench_morph at 720p
 * on llvmpipe: 22-31 ms wall under load, the other stages 3-8). */
enum { STAGE_IDLE, STAGE_PYRAMIDS, STAGE_AB, STAGE_BA, STAGE_CHECK_AB, STAGE_CHECK_BA, STAGE_DONE };

struct strata_flow {
    int w, h; /* render size */
    int nlev;
    int lw[MAX_LEVELS], lh[MAX_LEVELS];
    strata_target ga[MAX_LEVELS], gb[MAX_LEVELS]; /* luma pyramids (R32F) */
    strata_target da[MAX_LEVELS], db[MAX_LEVELS]; /* (I, Ix, Iy) per level */
    strata_target fl[MAX_LEVELS][2];              /* flow ping-pong per level (RG32F) */
    strata_target ab, ba;                         /* finished flows at level 0 */
    strata_target bars[2][2];       /* flow_bars of A and B: [0] per column, [1] per row (R8) */
    strata_target mab, mba;         /* flow_match of ab and ba (RGBA8) */
    strata_target cab, cba;         /* confidence of ab and ba, 0..1 (R8: within 4/255 of R32F) */
    int sw, sh;                     /* splat grid */
    strata_target splat_a, splat_b; /* (F w, w, conf w) accumulators on the splat grid */
    int mw, mh;                     /* the compose mesh's vertex lattice (flow_compose_prep) */
    strata_target warp, weights;    /* per vertex: warped uvs (RGBA32F), weights (RGBA16F) */
    strata_target cells;            /* per cell of the mesh: 1 where any corner warps (R8) */
    int stage;
    GLuint tex_a, tex_b;
};

/* Mesh vertices per splat texel along each axis (flow_compose_prep.frag): with one, a
 * vertex normalised the sums of its own texel and the in-between pixels interpolated
 * those, where the per-pixel compose normalised interpolated sums; a trusted point's
 * heavy softmax weight then no longer reached its neighbours' pixels, and
 * test_morph_gl's moving disc left a ghost at 53.5/255 where it started (limit 40;
 * 23.7 per pixel). Two: 33.1. 1 or 2: only then do the lattice's first and last
 * vertices land on the frame's edges (flow_compose_prep.frag). */
#define COMPOSE_SUB 2
_Static_assert(COMPOSE_SUB == 1 || COMPOSE_SUB == 2, "the lattice's edges");

static strata_program p_gray, p_down, p_grad, p_search, p_lk, p_smooth, p_bars, p_match, p_check,
    p_splat, p_prep_warp, p_prep_weights, p_prep_cells, p_compose, p_compose_same, p_blend,
    p_blend_same;

static void make_programs(void)
{
    if (strata_program_valid(p_gray))
        return;
    p_gray = strata_program_make("morph/flow_gray.frag", NULL);
    p_down = strata_program_make("morph/flow_down.frag", NULL);
    p_grad = strata_program_make("morph/flow_grad.frag", NULL);
    p_search = strata_program_make("morph/flow_search.frag", NULL);
    p_lk = strata_program_make("morph/flow_lk.frag", NULL);
    p_smooth = strata_program_make("morph/flow_smooth.frag", NULL);
    p_bars = strata_program_make("morph/flow_bars.frag", NULL);
    p_match = strata_program_make("morph/flow_match.frag", NULL);
    p_check = strata_program_make("morph/flow_check.frag", NULL);
    p_splat = strata_program_make("morph/flow_splat.frag", "morph/flow_splat.vert");
    p_prep_warp = strata_program_make_defs("morph/flow_compose_prep.frag", NULL,
                                           "#define FLOW_PREP_WARP 1\n");
    p_prep_weights = strata_program_make_defs("morph/flow_compose_prep.frag", NULL,
                                              "#define FLOW_PREP_WEIGHTS 1\n");
    p_prep_cells = strata_program_make_defs("morph/flow_compose_prep.frag", NULL,
                                            "#define FLOW_PREP_CELLS 1\n");
    p_compose = strata_program_make("morph/flow_compose.frag", "morph/flow_compose.vert");
    p_compose_same = strata_program_make_defs("morph/flow_compose.frag", "morph/flow_compose.vert",
                                              "#define FLOW_SAME_SIZE 1\n");
}

strata_flow *strata_flow_create(int width, int height)
{
    return strata_flow_create_base(width, height, 0);
}

void strata_flow_base_size(const strata_flow *f, int *w, int *h)
{
    *w = f->lw[0];
    *h = f->lh[0];
}

strata_flow *strata_flow_create_base(int width, int height, int base_w)
{
    make_programs();
    strata_flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->w = width;
    f->h = height;
    /* Base level at an eighth of the render width, within BASE_MIN..BASE_MAX texels and
     * never finer than a quarter (flow is smooth; the compose pass samples it bilinearly),
     * then halve until the coarsest is about 20 wide, where an exhaustive search is cheap
     * and still reaches across the frame. A quarter (the base before) took 4x the
     * texels at 720p and 1080p for in-between frames that differ by at most 0.34/255
     * mean, PSNR >= 42 dB (bench_morph, docs/MORPH.md); small pictures keep a quarter,
     * where an eighth lost a disc's brightness and let bars travel in the tests.
     * base_w > 0 sets the width instead. */
    int w = (width + 7) / 8, quarter = (width + 3) / 4;
    w = w < BASE_MIN ? BASE_MIN : w > BASE_MAX ? BASE_MAX : w;
    w = w > quarter ? quarter : w;
    if (base_w > 0)
        w = base_w;
    int h = (int)((double)w * height / width + 0.5);
    if (w < 8)
        w = 8;
    if (h < 8)
        h = 8;
    while (f->nlev < MAX_LEVELS) {
        f->lw[f->nlev] = w;
        f->lh[f->nlev] = h;
        f->nlev++;
        if (w <= 24 || h <= 8)
            break;
        w = (w + 1) / 2;
        h = (h + 1) / 2;
    }
    /* Splat on a grid of at most ~100 columns: each point costs the rasteriser a setup. */
    int s = 0;
    while (s + 1 < f->nlev && f->lw[s] > 100)
        s++;
    f->sw = f->lw[s];
    f->sh = f->lh[s];
    bool ok = true;
    for (int l = 0; l < f->nlev; l++) {
        ok &= strata_target_init(&f->ga[l], f->lw[l], f->lh[l], GL_R32F);
        ok &= strata_target_init(&f->gb[l], f->lw[l], f->lh[l], GL_R32F);
        ok &= strata_target_init(&f->da[l], f->lw[l], f->lh[l], GL_RGBA32F);
        ok &= strata_target_init(&f->db[l], f->lw[l], f->lh[l], GL_RGBA32F);
        ok &= strata_target_init(&f->fl[l][0], f->lw[l], f->lh[l], GL_RG32F);
        ok &= strata_target_init(&f->fl[l][1], f->lw[l], f->lh[l], GL_RG32F);
    }
    ok &= strata_target_init(&f->ab, f->lw[0], f->lh[0], GL_RG32F);
    ok &= strata_target_init(&f->ba, f->lw[0], f->lh[0], GL_RG32F);
    for (int i = 0; i < 2; i++) {
        ok &= strata_target_init(&f->bars[i][0], f->lw[0], 1, GL_R8);
        ok &= strata_target_init(&f->bars[i][1], 1, f->lh[0], GL_R8);
    }
    ok &= strata_target_init(&f->mab, f->lw[0], f->lh[0], GL_RGBA8);
    ok &= strata_target_init(&f->mba, f->lw[0], f->lh[0], GL_RGBA8);
    ok &= strata_target_init(&f->cab, f->lw[0], f->lh[0], GL_R8);
    ok &= strata_target_init(&f->cba, f->lw[0], f->lh[0], GL_R8);
    /* 32-bit: the softmax weights of many points landing on one texel overflowed half
     * floats (inf / inf = NaN: black holes in the in-between frames). */
    ok &= strata_target_init(&f->splat_a, f->sw, f->sh, GL_RGBA32F);
    ok &= strata_target_init(&f->splat_b, f->sw, f->sh, GL_RGBA32F);
    /* The lattice: the splat texels' centres, COMPOSE_SUB - 1 vertices between each two,
     * and the frame's edges. Weights are 0..1: half floats keep them within 1/2048. */
    f->mw = (f->sw - 1) * COMPOSE_SUB + 3;
    f->mh = (f->sh - 1) * COMPOSE_SUB + 3;
    ok &= strata_target_init(&f->warp, f->mw, f->mh, GL_RGBA32F);
    ok &= strata_target_init(&f->weights, f->mw, f->mh, GL_RGBA16F);
    ok &= strata_target_init(&f->cells, f->mw - 1, f->mh - 1, GL_R8);
    if (!ok) {
        LOG_ERROR("MORPH", "flow: cannot create float render targets");
        strata_flow_destroy(f);
        return NULL;
    }
    return f;
}

void strata_flow_destroy(strata_flow *f)
{
    if (!f)
        return;
    for (int l = 0; l < f->nlev; l++) {
        strata_target_free(&f->ga[l]);
        strata_target_free(&f->gb[l]);
        strata_target_free(&f->da[l]);
        strata_target_free(&f->db[l]);
        strata_target_free(&f->fl[l][0]);
        strata_target_free(&f->fl[l][1]);
    }
    strata_target_free(&f->ab);
    strata_target_free(&f->ba);
    for (int i = 0; i < 2; i++) {
        strata_target_free(&f->bars[i][0]);
        strata_target_free(&f->bars[i][1]);
    }
    strata_target_free(&f->mab);
    strata_target_free(&f->mba);
    strata_target_free(&f->cab);
    strata_target_free(&f->cba);
    strata_target_free(&f->splat_a);
    strata_target_free(&f->splat_b);
    strata_target_free(&f->warp);
    strata_target_free(&f->weights);
    strata_target_free(&f->cells);
    free(f);
}

/* Every flow pass: a fullscreen pass into dst under a timer, with u_texel one texel of
 * dst (the shaders step in the level they write). in and uni end at a NULL name. */
static void flow_pass(const char *timer, strata_program p, const strata_target *dst,
                      const strata_pass *proto)
{
    strata_pass ps = *proto;
    ps.timer = timer;
    ps.program = p;
    ps.target = dst;
    int k = 0;
    while (k < STRATA_PASS_UNIFORMS - 1 && ps.uni[k].name)
        k++;
    ps.uni[k] = STRATA_U2("u_texel", 1.0f / (float)dst->w, 1.0f / (float)dst->h);
    strata_pass_run(&ps);
}

static void pyramid(strata_flow *f, GLuint src, strata_target *lev, strata_target *grad)
{
    flow_pass("flow_pyramid", p_gray, &lev[0], &(strata_pass){.in = {{"u_src", src}}});
    for (int l = 1; l < f->nlev; l++)
        flow_pass("flow_pyramid", p_down, &lev[l],
                  &(strata_pass){.in = {{"u_src", lev[l - 1].tex}}});
    for (int l = 0; l < f->nlev; l++)
        flow_pass("flow_pyramid", p_grad, &grad[l], &(strata_pass){.in = {{"u_src", lev[l].tex}}});
}

/* Flow from a to b, coarse to fine; the result lands in out. */
static void estimate_one(strata_flow *f, const strata_target *ga, const strata_target *gb,
                         const strata_target *da, const strata_target *db, const strata_target *out)
{
    int top = f->nlev - 1;
    /* Reach almost half the frame: a shape may cross the screen in one morph. */
    int radius = (int)(0.45f * (float)f->lw[top] + 0.5f);
    flow_pass("flow_estimate", p_search, &f->fl[top][0],
              &(strata_pass){.in = {{"u_a", ga[top].tex}, {"u_b", gb[top].tex}},
                             .uni = {STRATA_UI2("u_size", f->lw[top], f->lh[top]),
                                     STRATA_UI("u_radius", radius > 16 ? 16 : radius)}});
    GLuint cur = f->fl[top][0].tex; /* the search result */
    for (int l = top; l >= 0; l--) {
        /* Alternate between the level's two targets; at the top the search already
         * holds [0], so start writing at [1]. */
        int k = l == top ? 1 : 0;
        int iters = l == 0 ? 1 : 2;
        for (int it = 0; it < iters; it++, k ^= 1) {
            flow_pass(
                "flow_estimate", p_lk, &f->fl[l][k],
                &(strata_pass){.in = {{"u_a", da[l].tex}, {"u_b", db[l].tex}, {"u_flow", cur}}});
            cur = f->fl[l][k].tex;
        }
        const strata_target *dst = l == 0 ? out : &f->fl[l][k];
        flow_pass("flow_estimate", p_smooth, dst,
                  &(strata_pass){.in = {{"u_flow", cur}, {"u_a", ga[l].tex}}});
        cur = dst->tex;
    }
}

/* Confidence of both flows: the evidence of each (the patches it pairs: flow_match, one
 * pass each), then forward-backward consistency and the neighbours' support (flow_check,
 * reading the evidence of a texel and its neighbours once each). At the base level, once
 * per transition. */
/* The bars of the picture with luma g (flow_bars): a column and a row texture. */
static void bars(strata_flow *f, GLuint g, strata_target *out)
{
    for (int axis = 0; axis < 2; axis++)
        flow_pass("flow_check", p_bars, &out[axis],
                  &(strata_pass){.in = {{"u_src", g}},
                                 .uni = {STRATA_UI("u_axis", axis),
                                         STRATA_UI("u_len", axis ? f->lw[0] : f->lh[0]),
                                         STRATA_UI("u_count", axis ? f->lh[0] : f->lw[0])}});
}

/* The evidence of one flow from the picture with luma la (bars ba) into lb (bars bb). */
static void match(const strata_target *dst, GLuint flow, GLuint la, GLuint lb,
                  const strata_target *ba, const strata_target *bb)
{
    flow_pass("flow_check", p_match, dst,
              &(strata_pass){.in = {{"u_fwd", flow},
                                    {"u_a", la},
                                    {"u_b", lb},
                                    {"u_cols_a", ba[0].tex},
                                    {"u_rows_a", ba[1].tex},
                                    {"u_cols_b", bb[0].tex},
                                    {"u_rows_b", bb[1].tex}}});
}

/* The evidence of ab (with the bars of both pictures), then, a stage later, that of ba:
 * each with the estimate of its flow, so that no stage holds more than one check. */
static void evidence_ab(strata_flow *f)
{
    bars(f, f->ga[0].tex, f->bars[0]);
    bars(f, f->gb[0].tex, f->bars[1]);
    match(&f->mab, f->ab.tex, f->ga[0].tex, f->gb[0].tex, f->bars[0], f->bars[1]);
}

static void evidence_ba(strata_flow *f)
{
    match(&f->mba, f->ba.tex, f->gb[0].tex, f->ga[0].tex, f->bars[1], f->bars[0]);
}

/* The confidence of ab (it reads the evidence of both flows), then that of ba. */
static void check_ab(strata_flow *f)
{
    flow_pass("flow_check", p_check, &f->cab,
              &(strata_pass){.in = {{"u_fwd", f->ab.tex},
                                    {"u_bwd", f->ba.tex},
                                    {"u_ma", f->mab.tex},
                                    {"u_mb", f->mba.tex},
                                    {"u_a", f->ga[0].tex},
                                    {"u_b", f->gb[0].tex}}});
}

static void check_ba(strata_flow *f)
{
    flow_pass("flow_check", p_check, &f->cba,
              &(strata_pass){.in = {{"u_fwd", f->ba.tex},
                                    {"u_bwd", f->ab.tex},
                                    {"u_ma", f->mba.tex},
                                    {"u_mb", f->mab.tex},
                                    {"u_a", f->gb[0].tex},
                                    {"u_b", f->ga[0].tex}}});
}

void strata_flow_begin(strata_flow *f, GLuint tex_a, GLuint tex_b)
{
    f->tex_a = tex_a;
    f->tex_b = tex_b;
    f->stage = STAGE_PYRAMIDS;
}

bool strata_flow_step(strata_flow *f)
{
    switch (f->stage) {
    case STAGE_PYRAMIDS:
        pyramid(f, f->tex_a, f->ga, f->da);
        pyramid(f, f->tex_b, f->gb, f->db);
        break;
    case STAGE_AB:
        estimate_one(f, f->ga, f->gb, f->da, f->db, &f->ab);
        evidence_ab(f);
        break;
    case STAGE_BA:
        estimate_one(f, f->gb, f->ga, f->db, f->da, &f->ba);
        evidence_ba(f);
        break;
    case STAGE_CHECK_AB:
        check_ab(f);
        break;
    case STAGE_CHECK_BA:
        check_ba(f);
        break;
    default:
        return true;
    }
    f->stage++;
    return f->stage == STAGE_DONE;
}

void strata_flow_estimate(strata_flow *f, GLuint tex_a, GLuint tex_b)
{
    strata_flow_begin(f, tex_a, tex_b);
    while (!strata_flow_step(f)) {
    }
}

static void splat(strata_flow *f, const strata_target *dst, GLuint flow, GLuint conf, float move,
                  float sign)
{
    strata_pass_run(&(strata_pass){
        .timer = "flow_splat",
        .program = p_splat,
        .target = dst,
        .clear = true, /* the sums start at 0 */
        .in = {{"u_flow", flow}, {"u_conf", conf}},
        .uni = {STRATA_UI2("u_grid", f->sw, f->sh), STRATA_UF("u_move", move),
                STRATA_UF("u_sign", sign), STRATA_UF("u_point", 2.0f)},
        .primitive = GL_POINTS,
        .count = f->sw * f->sh,
        .blend = STRATA_BLEND_ADD,
    });
}

static void blend(const char *timer, GLuint tex_a, GLuint tex_b, bool same, float t,
                  const strata_target *target)
{
    if (!strata_program_valid(p_blend)) {
        p_blend = strata_program_make("morph/blend.frag", NULL);
        p_blend_same =
            strata_program_make_defs("morph/blend.frag", NULL, "#define BLEND_SAME_SIZE 1\n");
    }
    strata_pass_run(&(strata_pass){
        .timer = timer,
        .program = same ? p_blend_same : p_blend,
        .target = target,
        .in = {{"u_a", tex_a}, {"u_b", tex_b}},
        .uni = {STRATA_UF("u_t", t)},
    });
}

/* The compose: from the splat sums, per vertex of a mesh (flow_compose_prep: where to
 * sample each keyframe and how much of each, and which cells warp at all); then the
 * cross-fade over the whole target and the mesh over the cells that warp. Where the
 * keyframes are the target's size, the cross-fade reads their texels by index. */
void strata_flow_compose(strata_flow *f, GLuint tex_a, GLuint tex_b, float t,
                         const strata_target *target)
{
    splat(f, &f->splat_a, f->ab.tex, f->cab.tex, t, 1.0f);
    splat(f, &f->splat_b, f->ba.tex, f->cba.tex, 1.0f - t, -1.0f);
    strata_pass prep = {
        .in = {{"u_splat_a", f->splat_a.tex}, {"u_splat_b", f->splat_b.tex}},
        .uni = {STRATA_UI2("u_grid", f->sw, f->sh), STRATA_UI("u_sub", COMPOSE_SUB),
                STRATA_UF("u_t", t)},
    };
    flow_pass("flow_compose", p_prep_warp, &f->warp, &prep);
    flow_pass("flow_compose", p_prep_weights, &f->weights, &prep);
    flow_pass("flow_compose", p_prep_cells, &f->cells,
              &(strata_pass){.in = {{"u_weights", f->weights.tex}}});
    bool same = target->w == f->w && target->h == f->h; /* the keyframes are the flow's size */
    blend("flow_compose", tex_a, tex_b, same, t, target);
    strata_pass_run(&(strata_pass){
        .timer = "flow_compose",
        .program = same ? p_compose_same : p_compose,
        .target = target,
        .in = {{"u_a", tex_a},
               {"u_b", tex_b},
               {"u_warp", f->warp.tex},
               {"u_weights", f->weights.tex},
               {"u_cells", f->cells.tex}},
        .uni = {STRATA_UI2("u_grid", f->sw, f->sh), STRATA_UI("u_sub", COMPOSE_SUB)},
        /* Two triangles a cell (flow_compose.vert). */
        .primitive = GL_TRIANGLES,
        .count = 6 * (f->mw - 1) * (f->mh - 1),
    });
}

void strata_flow_fade(const strata_flow *f, GLuint tex_a, GLuint tex_b, float t,
                      const strata_target *target)
{
    blend("morph_blend", tex_a, tex_b, target->w == f->w && target->h == f->h, t, target);
}

void strata_flow_warm(int width, int height)
{
    /* The first program's handle says which render state the warm-up was for. */
    static strata_program warmed;
    make_programs();
    if (!strata_program_valid(p_gray) || warmed.id == p_gray.id)
        return;
    warmed = p_gray;
    uint64_t t0 = strata_time_ns();
    strata_flow *f = strata_flow_create(width, height);
    strata_target key[2] = {{0}}, out = {0};
    /* RGBA8 and linear like the morph's keyframe textures, RGBA8 like its target. */
    bool ok = f && strata_target_init(&key[0], width, height, GL_RGBA8);
    ok = ok && strata_target_init(&key[1], width, height, GL_RGBA8);
    ok = ok && strata_target_init(&out, width, height, GL_RGBA8);
    if (ok) {
        strata_gpu_set_muted(true); /* not a frame's work: in no pass's timer */
        strata_flow_estimate(f, key[0].tex, key[1].tex); /* every stage, as live steps them */
        strata_flow_fade(f, key[0].tex, key[1].tex, 0.5f, &out);
        strata_flow_compose(f, key[0].tex, key[1].tex, 0.5f, &out);
        strata_blend_draw(key[0].tex, key[1].tex, 0.5f, &out);
        strata_blend_draw(key[0].tex, key[0].tex, 0.0f, &out);
        strata_gpu_set_muted(false);
        LOG_INFO("MORPH", "flow passes made ready at %dx%d in %.0f ms", width, height,
                 (double)(strata_time_ns() - t0) * 1e-6);
    }
    strata_target_free(&key[0]);
    strata_target_free(&key[1]);
    strata_target_free(&out);
    strata_flow_destroy(f);
}

GLuint strata_flow_texture(const strata_flow *f)
{
    return f ? f->ab.tex : 0;
}

void strata_blend_draw(GLuint tex_a, GLuint tex_b, float t, const strata_target *target)
{
    blend(tex_a == tex_b ? "morph_copy" : "morph_blend", tex_a, tex_b, false, t,
          target); /* a copy: a held keyframe */
}
