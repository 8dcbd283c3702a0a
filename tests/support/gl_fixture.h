/* Test support: an offscreen GL context (SDL offscreen driver over EGL). */
#ifndef STRATA_TEST_GL_FIXTURE_H
#define STRATA_TEST_GL_FIXTURE_H

#include "render/render.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    if (strata_render_init(gl, shader_dir, &r) != STRATA_OK) {
        fprintf(stderr, "test_gl_open: %s\n", r.msg);
        return false;
    }
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

/* Folder copies and removal for the shader folders of the hot-reload tests: in C with
 * nftw, no shell (strata never hands a path to one, and its tests do not either). */
static const char *test_copy_src, *test_copy_dst; /* the copy in progress (one thread) */

static inline int test_copy_entry(const char *path, const struct stat *st, int flag,
                                  struct FTW *ftw)
{
    (void)st, (void)ftw;
    char dst[1024];
    snprintf(dst, sizeof dst, "%s%s", test_copy_dst, path + strlen(test_copy_src));
    if (flag == FTW_D)
        return mkdir(dst, 0700) == 0 || errno == EEXIST ? 0 : -1;
    if (flag != FTW_F)
        return -1;
    char *data = NULL;
    size_t len = 0;
    if (strata_file_read(path, &data, &len, 64u << 20, NULL) != STRATA_OK)
        return -1;
    strata_status s = strata_file_write_atomic(dst, data, len, NULL);
    free(data);
    return s == STRATA_OK ? 0 : -1;
}

/* Remove a folder and everything below it (links are removed, not followed). */
static inline int test_remove_entry(const char *path, const struct stat *st, int flag,
                                    struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline bool test_dir_remove(const char *dir)
{
    return nftw(dir, test_remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0;
}

/* Copy shaders/ into a fresh temporary folder (dir holds at least 32 bytes), so a test
 * can break and mend files there for hot reload. False on failure. */
static inline bool test_shader_dir_copy(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/strata-shaders-XXXXXX");
    if (!mkdtemp(dir))
        return false;
    char src[1024];
    snprintf(src, sizeof src, "%s/shaders", getenv("STRATA_SOURCE_DIR"));
    test_copy_src = src;
    test_copy_dst = dir;
    return nftw(src, test_copy_entry, 16, FTW_PHYS) == 0;
}

static inline void test_gl_close(strata_gl *gl)
{
    strata_render_shutdown();
    strata_gl_close(gl);
    SDL_Quit();
}

#endif
