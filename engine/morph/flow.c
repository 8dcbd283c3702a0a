/* The flow morph: dense optical flow between two keyframes on the GPU (an exhaustive
 * search at the coarsest pyramid level, Lucas-Kanade refinement on the way up,
 * edge-aware smoothing), then softmax forward splatting of both flows to time t and
 * a compose pass that samples each keyframe along its flow. */
#include "morph.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS 6

struct strata_flow {
    int w, h;                   /* render size */
    int nlev;
    int lw[MAX_LEVELS], lh[MAX_LEVELS];
    strata_target ga[MAX_LEVELS], gb[MAX_LEVELS]; /* luma pyramids (R32F) */
    strata_target fl[MAX_LEVELS][2];              /* flow ping-pong per level (RG32F) */
    strata_target ab, ba;       /* finished flows at level 0 */
    strata_target splat_a, splat_b; /* RGBA32F accumulators at level 0 size */
};

static strata_program p_gray, p_down, p_search, p_lk, p_smooth, p_splat, p_compose, p_blend;

static void make_programs(void)
{
    if (p_gray.id)
        return;
    p_gray = strata_program_make("morph/flow_gray.frag", NULL);
    p_down = strata_program_make("morph/flow_down.frag", NULL);
    p_search = strata_program_make("morph/flow_search.frag", NULL);
    p_lk = strata_program_make("morph/flow_lk.frag", NULL);
    p_smooth = strata_program_make("morph/flow_smooth.frag", NULL);
    p_splat = strata_program_make("morph/flow_splat.frag", "morph/flow_splat.vert");
    p_compose = strata_program_make("morph/flow_compose.frag", NULL);
}

strata_flow *strata_flow_create(int width, int height)
{
    make_programs();
    strata_flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->w = width;
    f->h = height;
    /* Base level at a quarter of the render size (flow is smooth; the compose pass
     * samples it bilinearly), then halve until the coarsest is about 40 wide. */
    int w = (width + 3) / 4, h = (height + 3) / 4;
    if (w < 8)
        w = 8;
    if (h < 8)
        h = 8;
    while (f->nlev < MAX_LEVELS) {
        f->lw[f->nlev] = w;
        f->lh[f->nlev] = h;
        f->nlev++;
        if (w <= 48 || h <= 16)
            break;
        w = (w + 1) / 2;
        h = (h + 1) / 2;
    }
    bool ok = true;
    for (int l = 0; l < f->nlev; l++) {
        ok &= strata_target_init(&f->ga[l], f->lw[l], f->lh[l], GL_R32F);
        ok &= strata_target_init(&f->gb[l], f->lw[l], f->lh[l], GL_R32F);
        ok &= strata_target_init(&f->fl[l][0], f->lw[l], f->lh[l], GL_RG32F);
        ok &= strata_target_init(&f->fl[l][1], f->lw[l], f->lh[l], GL_RG32F);
    }
    ok &= strata_target_init(&f->ab, f->lw[0], f->lh[0], GL_RG32F);
    ok &= strata_target_init(&f->ba, f->lw[0], f->lh[0], GL_RG32F);
    ok &= strata_target_init(&f->splat_a, f->lw[0], f->lh[0], GL_RGBA32F);
    ok &= strata_target_init(&f->splat_b, f->lw[0], f->lh[0], GL_RGBA32F);
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
        strata_target_free(&f->fl[l][0]);
        strata_target_free(&f->fl[l][1]);
    }
    strata_target_free(&f->ab);
    strata_target_free(&f->ba);
    strata_target_free(&f->splat_a);
    strata_target_free(&f->splat_b);
    free(f);
}

static void set_i(strata_program p, const char *n, int v)
{
    glUniform1i(strata_uniform_loc(p, n), v);
}

static void set_texel(strata_program p, const strata_target *t)
{
    glUniform2f(strata_uniform_loc(p, "u_texel"), 1.0f / (float)t->w, 1.0f / (float)t->h);
}

/* Bind dst and program p with textures on units 0..n-1; false when p FAILED. */
static bool pass_begin(strata_program p, const strata_target *dst, const GLuint *tex,
                       const char *const *names, int n)
{
    strata_target_bind(dst);
    if (!strata_program_use(p))
        return false;
    for (int i = 0; i < n; i++) {
        strata_texture_bind(tex[i], i);
        set_i(p, names[i], i);
    }
    if (strata_uniform_loc(p, "u_texel") >= 0)
        set_texel(p, dst);
    return true;
}

static void pass(strata_program p, const strata_target *dst, const GLuint *tex,
                 const char *const *names, int n)
{
    if (pass_begin(p, dst, tex, names, n))
        strata_draw_fullscreen();
}

static void pyramid(strata_flow *f, GLuint src, strata_target *lev)
{
    const char *n1[] = {"u_src"};
    pass(p_gray, &lev[0], &src, n1, 1);
    for (int l = 1; l < f->nlev; l++)
        pass(p_down, &lev[l], &lev[l - 1].tex, n1, 1);
}

/* Flow from a to b, coarse to fine; the result is copied into out. */
static void estimate_one(strata_flow *f, strata_target *a, strata_target *b, strata_target *out)
{
    int top = f->nlev - 1;
    strata_target_bind(&f->fl[top][0]);
    if (strata_program_use(p_search)) {
        strata_texture_bind(a[top].tex, 0);
        strata_texture_bind(b[top].tex, 1);
        set_i(p_search, "u_a", 0);
        set_i(p_search, "u_b", 1);
        glUniform2i(strata_uniform_loc(p_search, "u_size"), f->lw[top], f->lh[top]);
        /* Reach almost half the frame: a shape may cross the screen in one morph. */
        int radius = (int)(0.45f * (float)f->lw[top] + 0.5f);
        set_i(p_search, "u_radius", radius > 24 ? 24 : radius);
        strata_draw_fullscreen();
    }
    const char *lk_names[] = {"u_a", "u_b", "u_flow"};
    const char *sm_names[] = {"u_flow", "u_a"};
    GLuint cur = f->fl[top][0].tex; /* the search result */
    for (int l = top; l >= 0; l--) {
        /* Alternate between the level's two targets; at the top the search already
         * holds [0], so start writing at [1]. */
        int k = l == top ? 1 : 0;
        int iters = l == top ? 2 : 3;
        for (int it = 0; it < iters; it++, k ^= 1) {
            GLuint tex[3] = {a[l].tex, b[l].tex, cur};
            pass(p_lk, &f->fl[l][k], tex, lk_names, 3);
            cur = f->fl[l][k].tex;
        }
        GLuint stex[2] = {cur, a[l].tex};
        strata_target *dst = l == 0 ? out : &f->fl[l][k];
        pass(p_smooth, dst, stex, sm_names, 2);
        cur = dst->tex;
    }
}

void strata_flow_estimate(strata_flow *f, GLuint tex_a, GLuint tex_b)
{
    pyramid(f, tex_a, f->ga);
    pyramid(f, tex_b, f->gb);
    estimate_one(f, f->ga, f->gb, &f->ab);
    estimate_one(f, f->gb, f->ga, &f->ba);
}

static void splat(strata_flow *f, const strata_target *dst, GLuint flow, float move, float sign)
{
    strata_target_bind(dst);
    glClearColor(0, 0, 0, 0);
    glClear(GL_COLOR_BUFFER_BIT);
    if (!strata_program_use(p_splat))
        return;
    strata_texture_bind(flow, 0);
    set_i(p_splat, "u_flow", 0);
    glUniform2i(strata_uniform_loc(p_splat, "u_grid"), f->lw[0], f->lh[0]);
    glUniform1f(strata_uniform_loc(p_splat, "u_move"), move);
    glUniform1f(strata_uniform_loc(p_splat, "u_sign"), sign);
    glUniform1f(strata_uniform_loc(p_splat, "u_point"), 2.0f);
    glEnable(GL_PROGRAM_POINT_SIZE);
    glEnable(GL_BLEND);
    glBlendFunc(GL_ONE, GL_ONE);
    static GLuint vao;
    if (!vao)
        glGenVertexArrays(1, &vao);
    glBindVertexArray(vao);
    glDrawArrays(GL_POINTS, 0, f->lw[0] * f->lh[0]);
    glDisable(GL_BLEND);
    glDisable(GL_PROGRAM_POINT_SIZE);
}

void strata_flow_compose(strata_flow *f, GLuint tex_a, GLuint tex_b, float t,
                         const strata_target *target)
{
    splat(f, &f->splat_a, f->ab.tex, t, 1.0f);
    splat(f, &f->splat_b, f->ba.tex, 1.0f - t, -1.0f);
    GLuint tex[4] = {tex_a, tex_b, f->splat_a.tex, f->splat_b.tex};
    const char *names[4] = {"u_a", "u_b", "u_splat_a", "u_splat_b"};
    if (!pass_begin(p_compose, target, tex, names, 4))
        return;
    glUniform1f(strata_uniform_loc(p_compose, "u_t"), t);
    strata_draw_fullscreen();
}

GLuint strata_flow_texture(const strata_flow *f)
{
    return f ? f->ab.tex : 0;
}

void strata_blend_draw(GLuint tex_a, GLuint tex_b, float t, const strata_target *target)
{
    if (!p_blend.id)
        p_blend = strata_program_make("morph/blend.frag", NULL);
    GLuint tex[2] = {tex_a, tex_b};
    const char *names[2] = {"u_a", "u_b"};
    if (!pass_begin(p_blend, target, tex, names, 2))
        return;
    glUniform1f(strata_uniform_loc(p_blend, "u_t"), t);
    strata_draw_fullscreen();
}
