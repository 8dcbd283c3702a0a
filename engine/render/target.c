/* Render targets (FBO + texture), the fullscreen triangle, readback, and the pass helper
 * every pass of the engine goes through. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static GLuint empty_vao;

void strata_texture_clamp(GLenum filter)
{
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, (GLint)filter);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, (GLint)filter);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
}

GLuint strata_texture_create(int w, int h, GLenum internal, GLenum format, GLenum type,
                             GLenum filter)
{
    GLuint t;
    glGenTextures(1, &t);
    glBindTexture(GL_TEXTURE_2D, t);
    glTexImage2D(GL_TEXTURE_2D, 0, (GLint)internal, w, h, 0, format, type, NULL);
    strata_texture_clamp(filter);
    return t;
}

bool strata_target_init(strata_target *t, int w, int h, GLenum format)
{
    memset(t, 0, sizeof *t);
    t->w = w;
    t->h = h;
    t->format = format ? format : GL_RGBA8;
    GLenum type = t->format == GL_RGBA16F || t->format == GL_RGBA32F ? GL_FLOAT : GL_UNSIGNED_BYTE;
    t->tex = strata_texture_create(w, h, t->format, GL_RGBA, type, GL_LINEAR);
    glGenFramebuffers(1, &t->fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, t->fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, t->tex, 0);
    GLenum st = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    glClearColor(0, 0, 0, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    if (st != GL_FRAMEBUFFER_COMPLETE) {
        LOG_ERROR("GL", "render target %dx%d incomplete (0x%x)", w, h, st);
        strata_target_free(t);
        return false;
    }
    return true;
}

void strata_target_free(strata_target *t)
{
    if (t->fbo)
        glDeleteFramebuffers(1, &t->fbo);
    if (t->tex)
        glDeleteTextures(1, &t->tex);
    t->fbo = t->tex = 0;
}

void strata_target_bind(const strata_target *t)
{
    glBindFramebuffer(GL_FRAMEBUFFER, t ? t->fbo : 0);
    if (t)
        glViewport(0, 0, t->w, t->h);
}

void strata_target_clear(const strata_target *t, float r, float g, float b, float a)
{
    glBindFramebuffer(GL_FRAMEBUFFER, t ? t->fbo : 0);
    glClearColor(r, g, b, a);
    glClear(GL_COLOR_BUFFER_BIT);
}

void strata_target_read(const strata_target *t, uint8_t *out)
{
    strata_gpu_end(); /* a readback waits for the GPU: no timer may hold the wait */
    GLuint fbo = t->fbo, tmp_fbo = 0;
    if (!fbo && t->tex) {
        glGenFramebuffers(1, &tmp_fbo);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, tmp_fbo);
        glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, t->tex,
                               0);
        fbo = tmp_fbo;
    }
    glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, t->w, t->h, GL_RGBA, GL_UNSIGNED_BYTE, out);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    if (tmp_fbo)
        glDeleteFramebuffers(1, &tmp_fbo);
    /* GL's first row is the bottom; images start at the top. */
    size_t stride = (size_t)t->w * 4;
    uint8_t *tmp = malloc(stride);
    if (!tmp)
        return;
    for (int y = 0; y < t->h / 2; y++) {
        uint8_t *a = out + (size_t)y * stride, *b = out + (size_t)(t->h - 1 - y) * stride;
        memcpy(tmp, a, stride);
        memcpy(a, b, stride);
        memcpy(b, tmp, stride);
    }
    free(tmp);
}

void strata_texture_bind(GLuint tex, int unit)
{
    glActiveTexture(GL_TEXTURE0 + (GLenum)unit);
    glBindTexture(GL_TEXTURE_2D, tex);
}

static void draw(GLenum primitive, int count)
{
    /* Core profile needs a VAO bound even when the vertex shader makes its own. */
    if (!empty_vao)
        glGenVertexArrays(1, &empty_vao);
    glBindVertexArray(empty_vao);
    glDrawArrays(primitive, 0, count);
}

void strata_draw_fullscreen(void)
{
    draw(GL_TRIANGLES, 3);
}

void strata_draw_shutdown(void)
{
    if (empty_vao)
        glDeleteVertexArrays(1, &empty_vao);
    empty_vao = 0;
}

static void set_uniform(strata_program prog, const strata_pass_uniform *u)
{
    GLint loc = strata_uniform_loc(prog, u->name);
    if (loc < 0)
        return;
    switch (u->type) {
    case STRATA_U_FLOAT:
        glUniform1f(loc, u->f[0]);
        break;
    case STRATA_U_VEC2:
        glUniform2f(loc, u->f[0], u->f[1]);
        break;
    case STRATA_U_VEC3:
        glUniform3f(loc, u->f[0], u->f[1], u->f[2]);
        break;
    case STRATA_U_VEC4:
        glUniform4f(loc, u->f[0], u->f[1], u->f[2], u->f[3]);
        break;
    case STRATA_U_INT:
        glUniform1i(loc, u->i[0]);
        break;
    case STRATA_U_IVEC2:
        glUniform2i(loc, u->i[0], u->i[1]);
        break;
    default:
        break;
    }
}

bool strata_pass_run(const strata_pass *p)
{
    if (p->timer)
        strata_gpu_begin(p->timer);
    else
        strata_gpu_end(); /* untimed work is nobody's time */
    const strata_target *t = p->target;
    int w = t ? t->w : p->window_w, h = t ? t->h : p->window_h;
    glBindFramebuffer(GL_FRAMEBUFFER, t ? t->fbo : 0);
    if (p->clear) {
        glViewport(0, 0, w, h);
        glClearColor(p->clear_color[0], p->clear_color[1], p->clear_color[2], p->clear_color[3]);
        glClear(GL_COLOR_BUFFER_BIT);
    }
    if (p->viewport[2] > 0 && p->viewport[3] > 0)
        glViewport(p->viewport[0], p->viewport[1], p->viewport[2], p->viewport[3]);
    else
        glViewport(0, 0, w, h);
    if (!strata_program_use(p->program))
        return false;
    strata_uniforms_pass(p->u);
    for (int i = 0; i < STRATA_PASS_INPUTS && p->in[i].name; i++) {
        strata_texture_bind(p->in[i].tex, i);
        GLint loc = strata_uniform_loc(p->program, p->in[i].name);
        if (loc >= 0)
            glUniform1i(loc, i);
    }
    for (int i = 0; i < STRATA_PASS_UNIFORMS && p->uni[i].name; i++)
        set_uniform(p->program, &p->uni[i]);
    if (p->blend != STRATA_BLEND_NONE) {
        glEnable(GL_BLEND);
        if (p->blend == STRATA_BLEND_ADD)
            glBlendFunc(GL_ONE, GL_ONE);
        else
            glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    }
    /* GL_POINTS is 0: a count, not the primitive, says glDrawArrays. */
    bool points = p->count > 0 && p->primitive == GL_POINTS;
    if (points)
        glEnable(GL_PROGRAM_POINT_SIZE);
    if (p->count > 0)
        draw(p->primitive, p->count);
    else
        draw(GL_TRIANGLES, 3);
    if (points)
        glDisable(GL_PROGRAM_POINT_SIZE);
    if (p->blend != STRATA_BLEND_NONE)
        glDisable(GL_BLEND);
    return true;
}
