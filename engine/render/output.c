/* The output pass (render target to window, aspect-correct with letterbox) and the
 * text overlay (stb_easy_font quads). */
#include "internal.h"

#include <stb/stb_easy_font.h>
#include <string.h>

static strata_program output_prog, overlay_prog;
static float output_gain = 1.0f;
static GLuint overlay_vao, overlay_vbo;

void strata_output_set_gain(float gain)
{
    output_gain = strata_clampf(gain, 0.0f, 1.0f);
}
float strata_output_gain(void)
{
    return output_gain;
}

void strata_output_fit(int src_w, int src_h, int win_w, int win_h, int vp[4])
{
    /* Fit the render size inside the window; the rest stays black. */
    double sa = (double)src_w / src_h, wa = (double)win_w / win_h;
    int vw = win_w, vh = win_h;
    if (wa > sa)
        vw = (int)(win_h * sa + 0.5);
    else
        vh = (int)(win_w / sa + 0.5);
    vp[0] = (win_w - vw) / 2;
    vp[1] = (win_h - vh) / 2;
    vp[2] = vw;
    vp[3] = vh;
}

void strata_output_draw(const strata_target *src, const strata_target *dst, int win_w, int win_h)
{
    if (!strata_program_valid(output_prog))
        output_prog = strata_program_make("output.frag", NULL);
    if (dst) {
        win_w = dst->w;
        win_h = dst->h;
    }
    strata_pass p = {
        .timer = "output",
        .program = output_prog,
        .target = dst,
        .window_w = win_w,
        .window_h = win_h,
        .clear_color = {0, 0, 0, 1},
        .in = {{"u_src", src->tex}},
        .uni = {STRATA_UF("u_gain", output_gain)},
    };
    strata_output_fit(src->w, src->h, win_w, win_h, p.viewport);
    p.clear = p.viewport[2] != win_w || p.viewport[3] != win_h;
    strata_pass_run(&p);
    glViewport(0, 0, win_w, win_h);
}

void strata_output_shutdown(void)
{
    if (overlay_vao)
        glDeleteVertexArrays(1, &overlay_vao);
    if (overlay_vbo)
        glDeleteBuffers(1, &overlay_vbo);
    overlay_vao = overlay_vbo = 0;
    output_prog = overlay_prog = (strata_program){0};
}

/* stb_easy_font writes 4 vertices per quad, 16 bytes each; a glyph takes up to ~10
 * quads. 256 KiB: 4096 quads, a dozen full lines of overlay. */
static float quad_buf[65536];
static float tri_buf[65536 / 16 * 6 * 3 + 18];

void strata_overlay_draw(const char *text, int win_w, int win_h)
{
    if (!strata_program_valid(overlay_prog)) {
        overlay_prog = strata_program_make("overlay.frag", "overlay.vert");
        if (!overlay_vao) {
            glGenVertexArrays(1, &overlay_vao);
            glGenBuffers(1, &overlay_vbo);
        }
    }
    strata_gpu_end(); /* the overlay is not timed: it ends whatever timer is open */
    if (!strata_program_use(overlay_prog))
        return;
    const float scale = win_h >= 1000 ? 3.0f : 2.0f;
    int nq = stb_easy_font_print(8, 8, (char *)text, NULL, quad_buf, sizeof quad_buf);
    float tw = (float)stb_easy_font_width((char *)text) * scale + 16.0f;
    float th = (float)stb_easy_font_height((char *)text) * scale + 16.0f;
    /* Background box first (alpha 0.6), then glyphs. Vertex: x, y, alpha. */
    int n = 0;
    float box[6][2] = {{0, 0}, {tw, 0}, {tw, th}, {0, 0}, {tw, th}, {0, th}};
    for (int i = 0; i < 6; i++) {
        tri_buf[n++] = box[i][0];
        tri_buf[n++] = box[i][1];
        tri_buf[n++] = -0.6f; /* negative alpha: black box */
    }
    static const int order[6] = {0, 1, 2, 0, 2, 3};
    for (int q = 0; q < nq && n + 18 <= (int)(sizeof tri_buf / sizeof tri_buf[0]); q++) {
        for (int k = 0; k < 6; k++) {
            const float *v = quad_buf + (q * 4 + order[k]) * 4;
            tri_buf[n++] = 8.0f + (v[0] - 8.0f) * scale;
            tri_buf[n++] = 8.0f + (v[1] - 8.0f) * scale;
            tri_buf[n++] = 1.0f;
        }
    }
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, win_w, win_h);
    glEnable(GL_BLEND);
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    glBindVertexArray(overlay_vao);
    glBindBuffer(GL_ARRAY_BUFFER, overlay_vbo);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(n * sizeof(float)), tri_buf, GL_STREAM_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, 3 * sizeof(float), (void *)0);
    GLint loc = strata_uniform_loc(overlay_prog, "u_window");
    if (loc >= 0)
        glUniform2f(loc, (float)win_w, (float)win_h);
    glDrawArrays(GL_TRIANGLES, 0, n / 3);
    glDisable(GL_BLEND);
    glBindVertexArray(0);
}
