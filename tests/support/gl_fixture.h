/* Test support: an offscreen GL context (SDL offscreen driver over EGL). */
#ifndef STRATA_TEST_GL_FIXTURE_H
#define STRATA_TEST_GL_FIXTURE_H

#include "render/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Open a hidden 64x64 window with a GL core context; shaders from dir (NULL: embedded). */
static inline bool test_gl_open(strata_gl *gl, const char *shader_dir)
{
    setenv("SDL_VIDEODRIVER", "offscreen", 0);
    if (SDL_Init(SDL_INIT_VIDEO) != 0)
        return false;
    strata_window_desc d = {.width = 64, .height = 64, .hidden = true};
    strata_result r = {0};
    if (strata_gl_open(gl, &d, &r) != STRATA_OK) {
        fprintf(stderr, "test_gl_open: %s\n", r.msg);
        return false;
    }
    if (strata_shaders_init(gl, shader_dir, &r) != STRATA_OK) {
        fprintf(stderr, "test_gl_open: %s\n", r.msg);
        return false;
    }
    strata_gpu_timers_init(gl);
    return true;
}

/* Write text to dir/rel atomically, like an editor's save, so the shader watcher never
 * reads half a file. */
static inline bool test_shader_write(const char *dir, const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return strata_file_write_atomic(path, text, strlen(text), NULL) == STRATA_OK;
}

/* Copy shaders/ into a fresh temporary folder (dir holds at least 32 bytes), so a test
 * can break and mend files there for hot reload. False on failure. */
static inline bool test_shader_dir_copy(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/strata-shaders-XXXXXX");
    if (!mkdtemp(dir))
        return false;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp -r '%s/shaders/.' '%s/'", getenv("STRATA_SOURCE_DIR"), dir);
    return system(cmd) == 0;
}

static inline void test_gl_close(strata_gl *gl)
{
    strata_gpu_timers_shutdown();
    strata_shaders_shutdown();
    strata_gl_close(gl);
    SDL_Quit();
}

#endif
