/* Render targets (FBO + texture), the fullscreen triangle, readback. */
#include "render.h"

#include <stdlib.h>
#include <string.h>

static GLuint empty_vao;

bool strata_target_init(strata_target *t, int w, int h, GLenum format)
{
    memset(t, 0, sizeof *t);
    t->w = w;
    t->h = h;
    t->format = format ? format : GL_RGBA8;
    glGenTextures(1, &t->tex);
    glBindTexture(GL_TEXTURE_2D, t->tex);
    GLenum type = t->format == GL_RGBA16F || t->format == GL_RGBA32F ? GL_FLOAT : GL_UNSIGNED_BYTE;
    glTexImage2D(GL_TEXTURE_2D, 0, (GLint)t->format, w, h, 0, GL_RGBA, type, NULL);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
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

void strata_target_read(const strata_target *t, uint8_t *out)
{
    glBindFramebuffer(GL_READ_FRAMEBUFFER, t->fbo);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, t->w, t->h, GL_RGBA, GL_UNSIGNED_BYTE, out);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
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

void strata_draw_fullscreen(void)
{
    /* Core profile needs a VAO bound even when the vertex shader makes its own. */
    if (!empty_vao)
        glGenVertexArrays(1, &empty_vao);
    glBindVertexArray(empty_vao);
    glDrawArrays(GL_TRIANGLES, 0, 3);
}
