/* fx: a broken effect shader is skipped and the rest of the chain runs (the fused pass
 * that includes it fails, and its stages run one pass each); fixing the file brings the
 * effect back through hot reload. Shaders from a copy on disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fx/fx.h"
#include "support/gl_fixture.h"

static strata_gl gl;
static char dir[64];
static char *rgb_source;

static void write_rgb(const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/fx/rgb.glsl", dir);
    assert_int_equal(strata_file_write_atomic(path, text, strlen(text), NULL), STRATA_OK);
}

static int setup(void **state)
{
    (void)state;
    if (!test_shader_dir_copy(dir, sizeof dir))
        return -1;
    char path[256];
    size_t len;
    snprintf(path, sizeof path, "%s/fx/rgb.glsl", dir);
    if (strata_file_read(path, &rgb_source, &len, 1 << 20, NULL) != STRATA_OK)
        return -1;
    /* Broken before the chain is made: the chain must still come up. */
    write_rgb("#define FX_RGB_TAPS 3\n"
              "ivec2 fx_rgb_tap(ivec2 p, float a, int i) { return nope; }\n"
              "vec4 fx_rgb_mix(ivec2 p, float a, vec4 c, vec4 r, vec4 b) { return c; }\n");
    return test_gl_open(&gl, dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    test_gl_close(&gl);
    free(rgb_source);
    return test_dir_remove(dir) ? 0 : -1;
}

static void broken_effect_is_skipped_then_reloaded(void **state)
{
    (void)state;
    strata_result r = {0};
    strata_fx *fx = strata_fx_create(32, 32, &r);
    assert_non_null(fx);
    strata_target src;
    assert_true(strata_target_init(&src, 32, 32, GL_RGBA8));
    strata_audio_frame audio;
    strata_audio_frame_silence(&audio);
    strata_params prm;
    strata_params_init(&prm);
    prm.value[STRATA_P_glitch] = 1.0f;
    strata_frame_uniforms u = {.frame = 1,
                               .dt = 1.0f / 30,
                               .width = 32,
                               .height = 32,
                               .audio = &audio,
                               .params = prm.value};
    strata_fx_inputs in = {.u = &u};
    float a[STRATA_FX_COUNT];
    /* The defaults light rgb, tear, vhs, block and crush at glitch 1: all but rgb run. */
    assert_ptr_not_equal(strata_fx_run(fx, &src, &in), &src);
    strata_fx_amounts(fx, a);
    assert_true(a[STRATA_FX_RGB] == 0.0f);
    assert_true(a[STRATA_FX_VHS] > 0.0f && a[STRATA_FX_CRUSH] > 0.0f);
    /* Fix the file: the watcher reloads it and rgb runs again. */
    write_rgb(rgb_source);
    bool back = false;
    for (int i = 0; i < 250 && !back; i++) {
        strata_shaders_update();
        u.frame++;
        strata_fx_run(fx, &src, &in);
        strata_fx_amounts(fx, a);
        back = a[STRATA_FX_RGB] > 0.0f;
        usleep(20000);
    }
    assert_true(back);
    strata_target_free(&src);
    strata_fx_destroy(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(broken_effect_is_skipped_then_reloaded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
