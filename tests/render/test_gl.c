/* render: context, shaders with file:line errors, hot reload, targets, letterbox,
 * uniforms and timers, on a real GL context (llvmpipe under SDL's offscreen driver). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/gl_fixture.h"
#include "support/image.h"

static strata_gl gl;
static char dir[64];

static void write_file(const char *rel, const char *text)
{
    assert_true(test_shader_write(dir, rel, text));
}

static int setup(void **state)
{
    (void)state;
    if (!test_shader_dir_copy(dir, sizeof dir))
        return -1;
    write_file("scenes/solid.frag", "#include \"common.glsl\"\nout vec4 o;\n"
                                    "void main() { o = vec4(1.0, 0.0, 0.0, 1.0); }\n");
    return test_gl_open(&gl, dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    test_gl_close(&gl);
    return test_dir_remove(dir) ? 0 : -1;
}

/* Render program p into a w x h target and read it back. */
static void render(strata_program p, int w, int h, uint8_t *out, const strata_frame_uniforms *u)
{
    strata_target t;
    assert_true(strata_target_init(&t, w, h, GL_RGBA8));
    strata_target_bind(&t);
    glClearColor(0, 0, 0, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    if (strata_program_use(p)) {
        if (u)
            strata_uniforms_apply(p, u);
        strata_draw_fullscreen();
    }
    strata_target_read(&t, out);
    strata_target_free(&t);
}

static void context_is_core_33_or_better(void **state)
{
    (void)state;
    assert_true(gl.major > 3 || (gl.major == 3 && gl.minor >= 3));
    assert_true(strlen(gl.renderer) > 0);
}

static strata_frame_uniforms calm_uniforms(strata_audio_frame *a, strata_params *p)
{
    strata_audio_frame_silence(a);
    strata_params_init(p);
    strata_frame_uniforms u = {.time = 3.25,
                               .frame = 97,
                               .dt = 1.0f / 30,
                               .width = 64,
                               .height = 36,
                               .audio = a,
                               .bpm = 120,
                               .params = p->value};
    return u;
}

static void default_scene_renders_deterministically(void **state)
{
    (void)state;
    strata_program p = strata_program_make("scenes/pattern.frag", NULL);
    assert_string_equal(strata_program_error(p), "");
    strata_audio_frame a;
    strata_params prm;
    strata_frame_uniforms u = calm_uniforms(&a, &prm);
    strata_uniforms_upload_audio(&a);
    uint8_t x[64 * 36 * 4], y[64 * 36 * 4];
    render(p, 64, 36, x, &u);
    render(p, 64, 36, y, &u);
    assert_memory_equal(x, y, sizeof x);
    image_diff d;
    uint8_t black[64 * 36 * 4] = {0};
    test_image_diff_rgba(x, black, 64 * 36, &d);
    assert_true(d.mean_abs > 20.0); /* a picture, not a black frame */
    u.time = 4.0;                   /* and it moves */
    render(p, 64, 36, y, &u);
    test_image_diff_rgba(x, y, 64 * 36, &d);
    assert_true(d.mean_abs > 1.0);
}

static void compile_error_names_file_and_line(void **state)
{
    (void)state;
    write_file("scenes/bad.frag", "#include \"common.glsl\"\nout vec4 o;\nvoid main()\n{\n"
                                  "    o = vec4(undefined_thing, 1.0);\n}\n");
    strata_program p = strata_program_make("scenes/bad.frag", NULL);
    const char *err = strata_program_error(p);
    fprintf(stderr, "error was: %s\n", err);
    assert_non_null(strstr(err, "scenes/bad.frag:5:"));
    assert_int_equal(strata_program_use(p), 0); /* FAILED: draws are dropped */
    /* An error inside an included file names that file. */
    write_file("inc_bad.glsl", "float broken() {\n  return 1.0 +;\n}\n");
    write_file("scenes/inc.frag", "#include \"inc_bad.glsl\"\nout vec4 o;\n"
                                  "void main() { o = vec4(broken()); }\n");
    p = strata_program_make("scenes/inc.frag", NULL);
    fprintf(stderr, "error was: %s\n", strata_program_error(p));
    assert_non_null(strstr(strata_program_error(p), "inc_bad.glsl:2:"));
    /* A missing include is an error naming the line of the #include. */
    write_file("scenes/noinc.frag",
               "out vec4 o;\n#include \"nope.glsl\"\nvoid main(){o=vec4(1);}\n");
    p = strata_program_make("scenes/noinc.frag", NULL);
    assert_non_null(strstr(strata_program_error(p), "scenes/noinc.frag:2:"));
}

/* Pump strata_shaders_update until the reload counters move or 5 s pass. */
static void wait_reload(int ok0, int fail0)
{
    for (int i = 0; i < 250; i++) {
        strata_shaders_update();
        int ok, failed;
        strata_shaders_reload_counts(&ok, &failed);
        if (ok != ok0 || failed != fail0)
            return;
        usleep(20000);
    }
    fail_msg("no reload seen within 5 s");
}

static void hot_reload_keeps_old_program_on_error(void **state)
{
    (void)state;
    strata_program p = strata_program_make("scenes/solid.frag", NULL);
    uint8_t px[8 * 8 * 4];
    render(p, 8, 8, px, NULL);
    assert_int_equal(px[0], 255);
    assert_int_equal(px[1], 0);
    int ok, failed;
    strata_shaders_reload_counts(&ok, &failed);
    usleep(30000); /* let the watcher take its first snapshot of the folder */
    write_file("scenes/solid.frag", "#include \"common.glsl\"\nout vec4 o;\n"
                                    "void main() { o = vec4(0.0, 1.0, 0.0, 1.0) }\n");
    wait_reload(ok, failed);
    int ok2, failed2;
    strata_shaders_reload_counts(&ok2, &failed2);
    assert_true(failed2 > failed);
    assert_non_null(strstr(strata_program_error(p), "scenes/solid.frag:3:"));
    render(p, 8, 8, px, NULL);
    assert_int_equal(px[0], 255); /* the old program still renders */
    write_file("scenes/solid.frag", "#include \"common.glsl\"\nout vec4 o;\n"
                                    "void main() { o = vec4(0.0, 1.0, 0.0, 1.0); }\n");
    wait_reload(ok2, failed2);
    render(p, 8, 8, px, NULL);
    assert_int_equal(px[0], 0);
    assert_int_equal(px[1], 255);
    assert_string_equal(strata_program_error(p), "");
}

static void output_letterboxes(void **state)
{
    (void)state;
    strata_target src, dst;
    assert_true(strata_target_init(&src, 200, 100, GL_RGBA8));
    assert_true(strata_target_init(&dst, 100, 100, GL_RGBA8));
    strata_target_bind(&src);
    glClearColor(1, 1, 1, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    strata_output_draw(&src, &dst, 0, 0);
    test_image img = {100, 100, malloc(100 * 100 * 4)};
    strata_target_read(&dst, img.rgba);
    /* 2:1 into 1:1: a 100x50 band in the middle, black bars of 25 above and below. */
    assert_true(test_image_mean_luma(&img, 0, 0, 100, 24) < 1.0);
    assert_true(test_image_mean_luma(&img, 0, 76, 100, 100) < 1.0);
    assert_true(test_image_mean_luma(&img, 0, 26, 100, 74) > 254.0);
    free(img.rgba);
    strata_target_free(&src);
    strata_target_free(&dst);
}

static void uniforms_reach_shaders(void **state)
{
    (void)state;
    write_file("scenes/uni.frag",
               "#include \"common.glsl\"\nout vec4 o;\n"
               "void main() { o = vec4(u_bass.w * 0.5, u_glitch, u_resolution.x / 255.0,"
               " strata_spectrum(0.5) + 1.0); }\n");
    strata_program p = strata_program_make("scenes/uni.frag", NULL);
    assert_string_equal(strata_program_error(p), "");
    strata_audio_frame a;
    strata_params prm;
    strata_frame_uniforms u = calm_uniforms(&a, &prm);
    strata_params_set(&prm, STRATA_P_glitch, 1.0f, true);
    strata_params_update(&prm, 0.0f);
    u.width = 51;
    strata_uniforms_upload_audio(&a);
    uint8_t px[4 * 4 * 4];
    render(p, 4, 4, px, &u);
    assert_true(abs(px[0] - 128) <= 1); /* silence: ratio 1, never NaN */
    assert_int_equal(px[1], 255);       /* a registry parameter as u_<name> */
    assert_int_equal(px[2], 51);
}

static void timers_report_passes(void **state)
{
    (void)state;
    strata_program p = strata_program_make("scenes/pattern.frag", NULL);
    strata_audio_frame a;
    strata_params prm;
    strata_frame_uniforms u = calm_uniforms(&a, &prm);
    strata_target t;
    assert_true(strata_target_init(&t, 64, 64, GL_RGBA8));
    for (int i = 0; i < 10; i++) {
        strata_gpu_begin("scene");
        strata_target_bind(&t);
        strata_program_use(p);
        strata_uniforms_apply(p, &u);
        strata_draw_fullscreen();
        strata_gpu_end();
        glFinish();
    }
    strata_pass_time pt[STRATA_MAX_PASSES];
    int n = strata_gpu_report(pt, STRATA_MAX_PASSES);
    int k = 0;
    while (k < n && strcmp(pt[k].name, "scene") != 0)
        k++;
    assert_true(k < n);
    if (gl.timer_query)
        assert_true(pt[k].gpu_ms >= 0.0);
    strata_target_free(&t);
}

static const strata_pass_time *find_timer(const char *name, strata_pass_time *pt, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(pt[i].name, name))
            return &pt[i];
    return NULL;
}

/* A solid colour through strata_pass_run: the pass's own uniform and the frame block. */
static void pass_helper_draws_with_inputs_uniforms_and_frame_block(void **state)
{
    (void)state;
    write_file("scenes/pass_t.frag",
               "#include \"common.glsl\"\nuniform sampler2D u_src;\nuniform float u_k;\n"
               "out vec4 o;\nvoid main() {\n"
               "  vec4 s = texelFetch(u_src, ivec2(gl_FragCoord.xy), 0);\n"
               "  o = vec4(s.r * u_k, u_resolution.x / 255.0, u_brightness * 0.5, 1.0);\n}\n");
    strata_program p = strata_program_make("scenes/pass_t.frag", NULL);
    write_file("scenes/red.frag", "out vec4 o;\nvoid main() { o = vec4(1.0, 0.0, 0.0, 1.0); }\n");
    strata_program solid = strata_program_make("scenes/red.frag", NULL);
    assert_true(strata_program_valid(p));
    strata_audio_frame a;
    strata_params prm;
    strata_frame_uniforms u = calm_uniforms(&a, &prm);
    u.width = 40;
    strata_frame_uniforms own = u;
    own.width = 200;
    strata_target src, dst;
    assert_true(strata_target_init(&src, 8, 8, GL_RGBA8));
    assert_true(strata_target_init(&dst, 8, 8, GL_RGBA8));
    strata_render_begin_frame(&u);
    assert_true(strata_pass_run(&(strata_pass){.timer = "t_src", .program = solid, .target = &src}));
    assert_true(strata_pass_run(&(strata_pass){
        .timer = "t_dst",
        .program = p,
        .target = &dst,
        .u = &own,
        .in = {{"u_src", src.tex}},
        .uni = {STRATA_UF("u_k", 0.5f)},
    }));
    uint8_t px[8 * 8 * 4];
    strata_target_read(&dst, px);
    assert_true(abs(px[0] - 128) <= 1); /* red 1 from the input times u_k */
    assert_int_equal(px[1], 200);       /* the pass's own frame block */
    assert_true(abs(px[2] - (int)(prm.value[STRATA_P_brightness] * 0.5f * 255.0f + 0.5f)) <= 1);
    /* The next pass without its own values reads the frame's block again. */
    assert_true(strata_pass_run(&(strata_pass){
        .timer = "t_dst", .program = p, .target = &dst, .in = {{"u_src", src.tex}},
        .uni = {STRATA_UF("u_k", 1.0f)}}));
    strata_target_read(&dst, px);
    assert_int_equal(px[0], 255);
    assert_int_equal(px[1], 40);
    /* A FAILED program draws nothing and says so; a clear still happens. */
    write_file("scenes/pass_bad.frag", "out vec4 o; void main() { o = nope; }\n");
    strata_program bad = strata_program_make("scenes/pass_bad.frag", NULL);
    assert_true(strata_program_valid(bad));
    assert_false(strata_pass_run(&(strata_pass){
        .program = bad, .target = &dst, .clear = true, .clear_color = {0, 0, 1, 1}}));
    strata_target_read(&dst, px);
    assert_int_equal(px[0], 0);
    assert_int_equal(px[2], 255);
    strata_program_free(bad);
    strata_program_free(p);
    strata_target_free(&src);
    strata_target_free(&dst);
}

/* Handles cannot go stale: a freed program's handle and every handle of an earlier render
 * state read as invalid and draw nothing, even when the slot holds another program. */
static void stale_handles_are_refused(void **state)
{
    (void)state;
    write_file("scenes/red.frag", "out vec4 o;\nvoid main() { o = vec4(1.0, 0.0, 0.0, 1.0); }\n");
    strata_program a = strata_program_make("scenes/red.frag", NULL);
    assert_true(strata_program_valid(a));
    strata_program_free(a);
    assert_false(strata_program_valid(a));
    strata_program b = strata_program_make("scenes/red.frag", NULL); /* may reuse a's slot */
    assert_true(strata_program_valid(b));
    assert_false(strata_program_valid(a));
    assert_int_equal(strata_program_use(a), 0);
    assert_string_equal(strata_program_error(a), "stale or invalid program handle");
    /* A whole new render state: b is stale too, a fresh make works. */
    strata_render_shutdown();
    strata_result r = {0};
    assert_int_equal(strata_render_init(&gl, dir, &r), STRATA_OK);
    assert_false(strata_program_valid(b));
    strata_program c = strata_program_make("scenes/red.frag", NULL);
    assert_true(strata_program_valid(c));
    assert_false(strata_program_valid(b));
    uint8_t px[4 * 4 * 4];
    render(c, 4, 4, px, NULL);
    assert_int_equal(px[0], 255);
}

/* One file, two programs: defines after the version line select the code. */
static void defines_make_variants(void **state)
{
    (void)state;
    write_file("scenes/defs.frag", "out vec4 o;\nvoid main() {\n#ifdef GREEN\n"
                                   "  o = vec4(0, 1, 0, 1);\n#else\n  o = vec4(1, 0, 0, 1);\n"
                                   "#endif\n}\n");
    strata_program r = strata_program_make_defs("scenes/defs.frag", NULL, NULL);
    strata_program g = strata_program_make_defs("scenes/defs.frag", NULL, "#define GREEN 1");
    uint8_t px[4 * 4 * 4];
    render(r, 4, 4, px, NULL);
    assert_int_equal(px[0], 255);
    assert_int_equal(px[1], 0);
    render(g, 4, 4, px, NULL);
    assert_int_equal(px[0], 0);
    assert_int_equal(px[1], 255);
    strata_program_free(r);
    strata_program_free(g);
}

/* A name drawn three times a frame reports the frame's sum: more than once alone. */
static void timers_sum_a_frame(void **state)
{
    (void)state;
    if (!gl.timer_query)
        skip();
    strata_program p = strata_program_make("scenes/pattern.frag", NULL);
    strata_audio_frame a;
    strata_params prm;
    strata_frame_uniforms u = calm_uniforms(&a, &prm);
    strata_target t;
    assert_true(strata_target_init(&t, 512, 512, GL_RGBA8));
    /* The ratio of each frame's sums, and its median: one frame that the machine's load
     * stretched (a shared CI host preempts llvmpipe's threads) cannot decide it. */
    double ratio[16];
    int nr = 0;
    for (int f = 0; f < 18; f++) {
        strata_render_begin_frame(&u);
        if (f >= 2) { /* the frame before's sums (the first frames compile and warm up) */
            strata_pass_time pt[STRATA_MAX_PASSES];
            int n = strata_gpu_report(pt, STRATA_MAX_PASSES);
            const strata_pass_time *once = find_timer("once", pt, n);
            const strata_pass_time *thrice = find_timer("thrice", pt, n);
            assert_non_null(once);
            assert_non_null(thrice);
            if (once->gpu_ms > 0.0 && nr < 16)
                ratio[nr++] = thrice->gpu_ms / once->gpu_ms;
        }
        strata_pass_run(&(strata_pass){.timer = "once", .program = p, .target = &t});
        for (int i = 0; i < 3; i++) {
            strata_pass_run(&(strata_pass){.timer = "thrice", .program = p, .target = &t});
            strata_pass_run(&(strata_pass){.timer = "between", .program = p, .target = &t});
        }
        strata_gl_finish();
    }
    assert_true(nr >= 8);
    for (int i = 1; i < nr; i++) /* insertion sort */
        for (int j = i; j > 0 && ratio[j] < ratio[j - 1]; j--) {
            double x = ratio[j];
            ratio[j] = ratio[j - 1];
            ratio[j - 1] = x;
        }
    double median = ratio[nr / 2];
    print_message("thrice / once per frame: median %.2f of %d (min %.2f, max %.2f)\n", median, nr,
                  ratio[0], ratio[nr - 1]);
    /* The same work three times: the sum is well above one (1.5x leaves room for noise). */
    assert_true(median > 1.5);
    strata_target_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(context_is_core_33_or_better),
        cmocka_unit_test(default_scene_renders_deterministically),
        cmocka_unit_test(compile_error_names_file_and_line),
        cmocka_unit_test(hot_reload_keeps_old_program_on_error),
        cmocka_unit_test(output_letterboxes),
        cmocka_unit_test(uniforms_reach_shaders),
        cmocka_unit_test(timers_report_passes),
        cmocka_unit_test(pass_helper_draws_with_inputs_uniforms_and_frame_block),
        cmocka_unit_test(defines_make_variants),
        cmocka_unit_test(timers_sum_a_frame),
        cmocka_unit_test(stale_handles_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
