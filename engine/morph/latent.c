/* The latent morph: the CPPN generator on the GPU. The latent folds on the CPU into a
 * strata_cppn_frame (biases, coordinate stage, palette: a few dozen uniforms a frame);
 * the fixed weights go up once as mat4 blocks (uniforms are the fastest
 * storage a fragment shader has, and llvmpipe feels every texture fetch). */
#include "morph.h"

#include <string.h>

static strata_program prog;
static const strata_cppn *uploaded_for; /* weights already in the program's uniforms */
static uint64_t uploaded_seed;

enum { H = STRATA_CPPN_WIDTH, B = STRATA_CPPN_WIDTH / 4 };

static void upload_weights(const strata_cppn *c)
{
    float w0x[H], w0y[H], w0r[H];
    for (int j = 0; j < H; j++) {
        w0x[j] = c->w0[j][0];
        w0y[j] = c->w0[j][1];
        w0r[j] = c->w0[j][2];
    }
    glUniform4fv(strata_uniform_loc(prog, "u_w0x"), B, w0x);
    glUniform4fv(strata_uniform_loc(prog, "u_w0y"), B, w0y);
    glUniform4fv(strata_uniform_loc(prog, "u_w0r"), B, w0r);
    /* Block (jb, kb) of layer l as a column-major mat4: column c is input kb*4+c,
     * row r is output jb*4+r, so M * h[kb] adds that block's share to out[jb]. */
    static float mats[(STRATA_CPPN_LAYERS - 1) * B * B * 16];
    for (int l = 0; l < STRATA_CPPN_LAYERS - 1; l++)
        for (int jb = 0; jb < B; jb++)
            for (int kb = 0; kb < B; kb++) {
                float *m = mats + ((l * B + jb) * B + kb) * 16;
                for (int col = 0; col < 4; col++)
                    for (int row = 0; row < 4; row++)
                        m[col * 4 + row] = c->w[l][jb * 4 + row][kb * 4 + col];
            }
    glUniformMatrix4fv(strata_uniform_loc(prog, "u_w"), (STRATA_CPPN_LAYERS - 1) * B * B, GL_FALSE,
                       mats);
    glUniform4fv(strata_uniform_loc(prog, "u_wout"), 3 * B, &c->wout[0][0]);
    glUniform3fv(strata_uniform_loc(prog, "u_bout"), 1, c->bout);
    glUniform1f(strata_uniform_loc(prog, "u_nfold"), (float)c->nfold);
}

void strata_latent_draw(const strata_cppn *c, const float *z, const strata_target *target,
                        const strata_frame_uniforms *u)
{
    if (!strata_program_valid(prog))
        prog = strata_program_make("morph/latent.frag", NULL);
    GLuint gl = strata_program_use(prog); /* the arrays below are the program's state */
    if (!gl)
        return;
    /* A hot reload makes a new GL program: its uniforms start empty. */
    static GLuint uploaded_gl;
    if (uploaded_for != c || uploaded_seed != c->seed || uploaded_gl != gl) {
        upload_weights(c);
        uploaded_for = c;
        uploaded_seed = c->seed;
        uploaded_gl = gl;
    }
    strata_cppn_frame f;
    strata_cppn_frame_make(c, z, &f);
    glUniform4fv(strata_uniform_loc(prog, "u_bias0"), B, f.bias0);
    glUniform4fv(strata_uniform_loc(prog, "u_b"), (STRATA_CPPN_LAYERS - 1) * B, &f.bias[0][0]);
    float xf[6] = {f.xf[0], f.xf[2], f.xf[1], f.xf[3], f.xf[4], f.xf[5]};
    glUniform2fv(strata_uniform_loc(prog, "u_xf"), 3, xf);
    glUniform3fv(strata_uniform_loc(prog, "u_warp"), 1, f.warp);
    glUniform4fv(strata_uniform_loc(prog, "u_species"), 1, f.species);
    glUniform1f(strata_uniform_loc(prog, "u_horizon"), f.species[4]);
    /* colour is row-major 3x3; GL wants column-major unless transposed. */
    glUniformMatrix3fv(strata_uniform_loc(prog, "u_colour"), 1, GL_TRUE, f.colour);
    glUniform3fv(strata_uniform_loc(prog, "u_colour_off"), 1, f.colour + 9);
    strata_frame_uniforms uu = *u;
    uu.width = target->w;
    uu.height = target->h;
    strata_pass_run(&(strata_pass){.timer = "latent", .program = prog, .target = target, .u = &uu});
}
