/* SDL2 window and GL core context, GLEW. */
#include "render.h"

#include <stdio.h>
#include <string.h>

static bool try_context(strata_gl *gl, int major, int minor)
{
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, major);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, minor);
    gl->ctx = SDL_GL_CreateContext(gl->window);
    return gl->ctx != NULL;
}

strata_status strata_gl_open(strata_gl *gl, const strata_window_desc *d, strata_result *r)
{
    memset(gl, 0, sizeof *gl);
    if (!SDL_WasInit(SDL_INIT_VIDEO) && SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
        return strata_fail(r, STRATA_ERR_DEVICE,
                           "SDL video init failed (%s): no display? "
                           "set SDL_VIDEODRIVER=offscreen or run under Xvfb",
                           SDL_GetError());
    gl->video_driver = SDL_GetCurrentVideoDriver();
    int w = d->width > 0 ? d->width : 1280, h = d->height > 0 ? d->height : 720;
    int ndisp = SDL_GetNumVideoDisplays();
    int display = d->display;
    if (display < 0 || display >= ndisp) {
        if (d->display != 0)
            LOG_WARN("GL", "display %d not found (%d connected), using 0", d->display, ndisp);
        display = 0;
    }
    gl->display = display;
    Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
    if (d->hidden)
        flags |= SDL_WINDOW_HIDDEN;
    if (d->fullscreen)
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
    SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 0);
    int pos = SDL_WINDOWPOS_CENTERED_DISPLAY(display);
    gl->window = SDL_CreateWindow(d->title ? d->title : "strata", pos, pos, w, h, flags);
    if (!gl->window)
        return strata_fail(r, STRATA_ERR_DEVICE, "cannot create window: %s", SDL_GetError());
    gl->fullscreen = d->fullscreen;
    /* 4.3 core gives compute shaders; llvmpipe refuses 4.6 but has 4.5. */
    if (!try_context(gl, 4, 3) && !try_context(gl, 3, 3)) {
        strata_fail(r, STRATA_ERR_GL, "no OpenGL 3.3 core context: %s", SDL_GetError());
        SDL_DestroyWindow(gl->window);
        gl->window = NULL;
        return STRATA_ERR_GL;
    }
    SDL_GL_MakeCurrent(gl->window, gl->ctx);
    glewExperimental = GL_TRUE;
    GLenum ge = glewInit();
    /* GLEW built for GLX answers NO_GLX_DISPLAY under EGL with every entry point loaded. */
#ifdef GLEW_ERROR_NO_GLX_DISPLAY
    if (ge == GLEW_ERROR_NO_GLX_DISPLAY)
        ge = GLEW_OK;
#endif
    if (ge != GLEW_OK || !glGenFramebuffers) {
        strata_fail(r, STRATA_ERR_GL, "GLEW: %s", glewGetErrorString(ge));
        strata_gl_close(gl);
        return STRATA_ERR_GL;
    }
    while (glGetError() != GL_NO_ERROR) {
    }
    glGetIntegerv(GL_MAJOR_VERSION, &gl->major);
    glGetIntegerv(GL_MINOR_VERSION, &gl->minor);
    snprintf(gl->renderer, sizeof gl->renderer, "%s", (const char *)glGetString(GL_RENDERER));
    snprintf(gl->version, sizeof gl->version, "%s", (const char *)glGetString(GL_VERSION));
    gl->compute = gl->major > 4 || (gl->major == 4 && gl->minor >= 3);
    gl->timer_query = gl->major > 3 || (gl->major == 3 && gl->minor >= 3);
    if (d->vsync) {
        if (SDL_GL_SetSwapInterval(-1) != 0 && SDL_GL_SetSwapInterval(1) != 0)
            LOG_WARN("GL", "vsync not available: %s", SDL_GetError());
    } else {
        SDL_GL_SetSwapInterval(0);
    }
    LOG_INFO("GL", "%s, OpenGL %d.%d core (%s), video driver %s", gl->renderer, gl->major,
             gl->minor, gl->version, gl->video_driver ? gl->video_driver : "?");
    return STRATA_OK;
}

void strata_gl_close(strata_gl *gl)
{
    if (gl->ctx)
        SDL_GL_DeleteContext(gl->ctx);
    if (gl->window)
        SDL_DestroyWindow(gl->window);
    gl->ctx = NULL;
    gl->window = NULL;
}

void strata_gl_set_fullscreen(strata_gl *gl, bool on)
{
    if (!gl->window || on == gl->fullscreen)
        return;
    if (on) {
        /* Go to the display the window is on now (it may have been dragged). */
        int idx = SDL_GetWindowDisplayIndex(gl->window);
        if (idx >= 0)
            gl->display = idx;
    }
    if (SDL_SetWindowFullscreen(gl->window, on ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0) != 0) {
        LOG_WARN("GL", "fullscreen switch failed: %s", SDL_GetError());
        return;
    }
    gl->fullscreen = on;
    SDL_ShowCursor(on ? SDL_DISABLE : SDL_ENABLE);
}

void strata_gl_drawable_size(const strata_gl *gl, int *w, int *h)
{
    SDL_GL_GetDrawableSize(gl->window, w, h);
    if (*w < 1)
        *w = 1;
    if (*h < 1)
        *h = 1;
}

void strata_gl_finish(void)
{
    strata_gpu_end(); /* the wait is nobody's pass */
    glFinish();
}
