/* isf on real GL (llvmpipe): ISF files written here following the spec (a generator, a
 * filter, a two-pass persistent float feedback, an audio-reactive one, a broken one),
 * rendered at 32x16 and compared with the pixels the spec says, within the tolerance
 * each check states (8-bit rounding and linear filtering). Also: INPUTS as registry
 * parameters, compile errors with the file's own line, hot reload keeping the last good
 * program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isf/isf.h"
#include "support/gl_fixture.h"

#define W 32
#define H 16

static strata_gl gl;
static char dir[64];
static uint8_t px[W * H * 4];

static const char *write_isf(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(strata_file_write_atomic(path, text, strlen(text), NULL), STRATA_OK);
    return path;
}

static strata_isf *load(const char *name, const char *text, bool params)
{
    strata_result r = {0};
    strata_isf *s =
        strata_isf_load(write_isf(name, text),
                        &(strata_isf_opts){.width = W, .height = H, .register_params = params}, &r);
    if (!s)
        fail_msg("%s: %s", name, r.msg);
    return s;
}

/* Pixel (x, y), y from the bottom (GL's and ISF's y up), channel c, 0..255. */
static int at(int x, int y, int c)
{
    return px[((H - 1 - y) * W + x) * 4 + c];
}

static void read_out(const strata_target *t)
{
    assert_non_null(t);
    assert_int_equal(t->w, W);
    assert_int_equal(t->h, H);
    strata_target_read(t, px);
}

static void near(int got, double want, double tol, const char *what, int x)
{
    if (fabs(got - want) > tol)
        fail_msg("%s at x=%d: %d, want %.1f +- %.1f", what, x, got, want, tol);
}

static const char gen_fs[] =
    "/*{\n"
    "  \"DESCRIPTION\": \"a generator: x ramp, level, tint, TIME\",\n"
    "  \"INPUTS\": [\n"
    "    {\"NAME\": \"level\", \"TYPE\": \"float\", \"DEFAULT\": 0.5, \"MIN\": 0, \"MAX\": 1},\n"
    "    {\"NAME\": \"tint\", \"TYPE\": \"color\", \"DEFAULT\": [0, 0, 1, 1]},\n"
    "    {\"NAME\": \"on\", \"TYPE\": \"bool\", \"DEFAULT\": true},\n"
    "    {\"NAME\": \"mode\", \"TYPE\": \"long\", \"VALUES\": [0, 1], \"DEFAULT\": 1},\n"
    "    {\"NAME\": \"spot\", \"TYPE\": \"point2D\", \"DEFAULT\": [4.5, 2.5]},\n"
    "    {\"NAME\": \"hit\", \"TYPE\": \"event\"}\n"
    "  ]\n"
    "}*/\n"
    "void main()\n"
    "{\n"
    "    vec2 uv = isf_FragNormCoord;\n"
    "    float b = tint.b * float(on) * float(mode);\n"
    "    if (distance(gl_FragCoord.xy, spot) < 0.7) b = 0.5;\n"
    "    gl_FragColor = vec4(uv.x, level, b, TIME / 10.0 + (hit ? 0.5 : 0.0));\n"
    "}\n";

static void generator_draws_what_the_spec_says(void **state)
{
    (void)state;
    strata_isf *s = load("gen.fs", gen_fs, true);
    assert_false(strata_isf_describe(s)->filter);
    read_out(strata_isf_run(s, &(strata_isf_frame){.time = 2.5, .frame = 3}));
    for (int x = 0; x < W; x++) {
        near(at(x, 8, 0), (x + 0.5) / W * 255, 1, "red = isf_FragNormCoord.x", x);
        near(at(x, 8, 1), 127.5, 1, "green = level DEFAULT", x);
        near(at(x, 8, 2), 255, 0, "blue = tint.b * on * mode", x);
        near(at(x, 8, 3), 63.75, 1, "alpha = TIME / 10", x);
    }
    near(at(4, 2, 2), 127.5, 1, "the point2D spot", 4);
    /* Into a target of the caller's (a generator scene's own): drawn there, the same
     * pixels; one of another size is not used. */
    strata_target mine, small;
    assert_true(strata_target_init(&mine, W, H, GL_RGBA8));
    assert_true(strata_target_init(&small, W / 2, H, GL_RGBA8));
    uint8_t want[W * H * 4];
    memcpy(want, px, sizeof want);
    assert_ptr_equal(strata_isf_run(s, &(strata_isf_frame){.time = 2.5, .frame = 3, .dst = &mine}),
                     &mine);
    read_out(&mine);
    assert_memory_equal(px, want, sizeof want);
    const strata_target *o =
        strata_isf_run(s, &(strata_isf_frame){.time = 2.5, .frame = 3, .dst = &small});
    assert_ptr_not_equal(o, &small);
    read_out(o);
    assert_memory_equal(px, want, sizeof want);
    strata_target_free(&mine);
    strata_target_free(&small);

    /* INPUTS as registry parameters: values come from the frame's parameter array. */
    int level = strata_param_find("isf/gen/level");
    int tint_b = strata_param_find("isf/gen/tint/b");
    int mode = strata_param_find("isf/gen/mode");
    int hit = strata_param_find("isf/gen/hit");
    int spot_x = strata_param_find("isf/gen/spot/x");
    assert_true(level >= STRATA_PARAM_COUNT && tint_b >= 0 && mode >= 0 && hit >= 0);
    assert_true(spot_x >= 0);
    assert_int_equal(strata_isf_param(s, 0, 0), level);
    strata_param_info pi;
    assert_true(strata_param_get(mode, &pi));
    assert_int_equal(pi.kind, STRATA_PARAM_INT);
    assert_true(pi.min == 0.0f && pi.max == 1.0f && pi.def == 1.0f);
    assert_true(strata_param_get(spot_x, &pi));
    assert_true(pi.max == (float)W); /* a point2D without MIN/MAX: pixels */
    assert_true(strata_param_get(hit, &pi));
    assert_int_equal(pi.kind, STRATA_PARAM_EVENT);
    float *vals = calloc(STRATA_PARAM_MAX, sizeof *vals);
    vals[level] = 0.25f;
    vals[tint_b] = 0.5f;
    vals[mode] = 1.2f; /* snaps to the nearest of VALUES: 1 */
    vals[hit] = 1.0f;
    vals[strata_isf_param(s, 2, 0)] = 1.0f; /* on */
    vals[spot_x] = 10.5f;
    vals[strata_isf_param(s, 4, 1)] = 10.5f;
    read_out(strata_isf_run(s, &(strata_isf_frame){.time = 1.0, .values = vals}));
    near(at(3, 8, 1), 63.75, 1, "green = level from the registry", 3);
    near(at(3, 8, 2), 127.5, 1, "blue = tint.b from the registry", 3);
    near(at(3, 8, 3), 153, 1, "alpha = TIME / 10 + event", 3);
    near(at(10, 10, 2), 127.5, 1, "the spot moved", 10);
    vals[mode] = 0.3f; /* nearest: 0 */
    read_out(strata_isf_run(s, &(strata_isf_frame){.time = 1.0, .values = vals}));
    near(at(3, 8, 2), 0, 0, "blue with mode 0", 3);
    free(vals);
    strata_isf_destroy(s);
    assert_int_equal(strata_param_find("isf/gen/level"), -1); /* unregistered */
}

static const char filter_fs[] =
    "/*{\"CATEGORIES\": [\"Color\"], \"INPUTS\": [\n"
    "  {\"NAME\": \"inputImage\", \"TYPE\": \"image\"},\n"
    "  {\"NAME\": \"amount\", \"TYPE\": \"float\", \"DEFAULT\": 1.0}]}*/\n"
    "void main()\n"
    "{\n"
    "    vec4 c = IMG_THIS_PIXEL(inputImage);\n"
    "    vec4 d = IMG_PIXEL(inputImage, gl_FragCoord.xy);\n"
    "    vec4 e = IMG_NORM_PIXEL(inputImage, isf_FragNormCoord);\n"
    "    vec4 f = IMG_THIS_NORM_PIXEL(inputImage);\n"
    "    vec2 size = IMG_SIZE(inputImage);\n"
    "    vec3 inv = 1.0 - (d.rgb + e.rgb + f.rgb) / 3.0;\n"
    "    gl_FragColor = vec4(mix(c.rgb, inv, amount), size.x / 64.0);\n"
    "}\n";

static void filter_reads_its_input_image(void **state)
{
    (void)state;
    strata_isf *s = load("filter.fs", filter_fs, false);
    assert_true(strata_isf_describe(s)->filter);
    /* The input: red = 8 x, green = 16 y, blue 100. */
    uint8_t in[W * H * 4];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = &in[(y * W + x) * 4];
            p[0] = (uint8_t)(8 * x), p[1] = (uint8_t)(16 * y), p[2] = 100, p[3] = 255;
        }
    strata_target src;
    assert_true(strata_target_init(&src, W, H, GL_RGBA8));
    glBindTexture(GL_TEXTURE_2D, src.tex);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, W, H, GL_RGBA, GL_UNSIGNED_BYTE, in);
    read_out(strata_isf_run(s, &(strata_isf_frame){.image = src.tex}));
    for (int y = 0; y < H; y += 5)
        for (int x = 0; x < W; x++) {
            near(at(x, y, 0), 255 - 8 * x, 1, "inverted red", x);
            near(at(x, y, 1), 255 - 16 * y, 1, "inverted green", x);
            near(at(x, y, 2), 155, 1, "inverted blue", x);
            near(at(x, y, 3), 127.5, 1, "IMG_SIZE.x / 64", x);
        }
    assert_true(strata_isf_set(s, "amount", (float[]){0.0f}, 1));
    assert_false(strata_isf_set(s, "nope", (float[]){0.0f}, 1));
    read_out(strata_isf_run(s, &(strata_isf_frame){.image = src.tex}));
    for (int x = 0; x < W; x++)
        near(at(x, 7, 0), 8 * x, 1, "amount 0: the input", x);
    strata_target_free(&src);
    strata_isf_destroy(s);
}

/* acc: a persistent FLOAT buffer growing 0.001 a frame (an 8-bit one would stay at 0);
 * small: a half-size buffer from an expression; the last pass to the output. */
static const char feedback_fs[] =
    "/*{\"PASSES\": [\n"
    "  {\"TARGET\": \"acc\", \"PERSISTENT\": true, \"FLOAT\": true},\n"
    "  {\"TARGET\": \"small\", \"WIDTH\": \"$WIDTH/2\", \"HEIGHT\": \"floor($HEIGHT/2)\"},\n"
    "  {}\n"
    "]}*/\n"
    "void main()\n"
    "{\n"
    "    if (PASSINDEX == 0)\n"
    "        gl_FragColor = IMG_THIS_PIXEL(acc) + vec4(0.001, 0.0, 0.0, 0.0);\n"
    "    else if (PASSINDEX == 1)\n"
    "        gl_FragColor = vec4(IMG_THIS_PIXEL(acc).r, RENDERSIZE.x / 64.0, 0.0, 1.0);\n"
    "    else\n"
    "        gl_FragColor = vec4(IMG_THIS_PIXEL(small).rg, IMG_SIZE(small).y / 64.0, 1.0);\n"
    "}\n";

static void two_pass_persistent_float_feedback(void **state)
{
    (void)state;
    strata_isf *s = load("feedback.fs", feedback_fs, false);
    const strata_target *out = NULL;
    for (int f = 0; f < 100; f++)
        out = strata_isf_run(s, &(strata_isf_frame){.frame = f, .dt = 1.0f / 60});
    read_out(out);
    for (int x = 0; x < W; x += 3) {
        near(at(x, 5, 0), 25.5, 1, "100 frames of +0.001 in a float buffer", x);
        near(at(x, 5, 1), 64, 1, "RENDERSIZE.x of the small pass / 64", x);
        near(at(x, 5, 2), 32, 1, "IMG_SIZE(small).y / 64", x);
    }
    /* A reload starts the buffers again. */
    assert_int_equal(strata_isf_reload(s), 1);
    read_out(strata_isf_run(s, &(strata_isf_frame){0}));
    near(at(0, 0, 0), 0.255, 1, "one frame after the reload", 0);
    strata_isf_destroy(s);
}

static const char audio_fs[] =
    "/*{\"INPUTS\": [{\"NAME\": \"wave\", \"TYPE\": \"audio\"},\n"
    "               {\"NAME\": \"fft\", \"TYPE\": \"audioFFT\"}]}*/\n"
    "void main()\n"
    "{\n"
    "    float x = isf_FragNormCoord.x;\n"
    "    gl_FragColor = vec4(IMG_NORM_PIXEL(wave, vec2(x, 0.5)).r,\n"
    "                        IMG_NORM_PIXEL(fft, vec2(x, 0.5)).r,\n"
    "                        IMG_SIZE(wave).x / 1024.0 + IMG_SIZE(fft).x / 1024.0, 1.0);\n"
    "}\n";

static void audio_inputs_follow_the_audio_frame(void **state)
{
    (void)state;
    strata_isf *s = load("audio.fs", audio_fs, false);
    strata_audio_frame *a = calloc(1, sizeof *a);
    strata_audio_frame_silence(a);
    read_out(strata_isf_run(s, &(strata_isf_frame){.audio = NULL}));
    near(at(5, 5, 0), 127.5, 1, "silence: waveform 0.5", 5);
    near(at(5, 5, 1), 0, 0, "silence: spectrum 0", 5);
    near(at(5, 5, 2), 191.25, 1, "IMG_SIZE 512 + 256", 5);
    for (int k = 0; k < STRATA_WAVEFORM_SAMPLES; k++)
        a->waveform[k] = -1.0f + 2.0f * (float)k / (STRATA_WAVEFORM_SAMPLES - 1);
    for (int k = 0; k < STRATA_SPECTRUM_BINS; k++)
        a->spectrum[k] = k < STRATA_SPECTRUM_BINS / 2 ? 0.75f : 0.25f;
    read_out(strata_isf_run(s, &(strata_isf_frame){.audio = a}));
    for (int x = 0; x < W; x++) {
        /* A ramp -1..1 reads as 0..1 across the picture (0.5 + 0.5 * sample). */
        near(at(x, 8, 0), (x + 0.5) / W * 255, 1.5, "waveform ramp", x);
        near(at(x, 8, 1), x < W / 2 ? 191.25 : 63.75, 1, "spectrum halves", x);
    }
    free(a);
    strata_isf_destroy(s);
}

/* IMPORTED: a 2x2 PNG beside the file, its top row red then green, its bottom row blue
 * then white: the picture shows it the right way up. A missing image is an error. */
static void imported_image_is_read_the_right_way_up(void **state)
{
    (void)state;
    static const uint8_t png[16] = {255, 0, 0,   255, 0,   255, 0,   255,
                                    0,   0, 255, 255, 255, 255, 255, 255};
    char path[300];
    snprintf(path, sizeof path, "%s/tiles.png", dir);
    assert_int_equal(strata_png_write(path, 2, 2, png, NULL), STRATA_OK);
    strata_isf *s = load("imp.fs",
                         "/*{\"IMPORTED\": {\"tiles\": {\"PATH\": \"tiles.png\"}}}*/\n"
                         "void main() { gl_FragColor = IMG_NORM_PIXEL(tiles, "
                         "isf_FragNormCoord); }\n",
                         false);
    strata_texture_bind(0, 0);
    read_out(strata_isf_run(s, &(strata_isf_frame){0}));
    near(at(2, H - 2, 0), 255, 0, "top left red", 2);
    near(at(W - 3, H - 2, 1), 255, 0, "top right green", W - 3);
    near(at(2, 1, 2), 255, 0, "bottom left blue", 2);
    near(at(2, 1, 0), 0, 0, "bottom left blue", 2);
    near(at(W - 3, 1, 0), 255, 0, "bottom right white", W - 3);
    strata_isf_destroy(s);
    strata_result r = {0};
    const char *bad = write_isf("imp2.fs", "/*{\"IMPORTED\": {\"gone\": {\"PATH\": "
                                           "\"gone.png\"}}}*/ void main() {}\n");
    assert_null(strata_isf_load(bad, &(strata_isf_opts){.width = W, .height = H}, &r));
    assert_non_null(strstr(r.msg, "IMPORTED \"gone\""));
}

static const char broken_fs[] = "/*{\n"
                                "  \"INPUTS\": []\n"
                                "}*/\n"
                                "void main() {\n"
                                "    gl_FragColor = vec4(nope, 0.0, 0.0, 1.0);\n"
                                "}\n";

static void broken_file_names_its_line_and_reload_keeps_the_last_good(void **state)
{
    (void)state;
    strata_result r = {0};
    const char *path = write_isf("broken.fs", broken_fs);
    assert_null(strata_isf_load(path, &(strata_isf_opts){.width = W, .height = H}, &r));
    char want[300];
    snprintf(want, sizeof want, "%s:5: ", path);
    if (!strstr(r.msg, want) || !strstr(r.msg, "nope"))
        fail_msg("got \"%s\", want \"%s...nope\"", r.msg, want);

    /* A header that lies fails the same way, with its position. */
    path = write_isf("lies.fs", "/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"float\",\n"
                                "  \"MIN\": 1, \"MAX\": 0}]}*/ void main() {}\n");
    assert_null(strata_isf_load(path, &(strata_isf_opts){.width = W, .height = H}, &r));
    assert_non_null(strstr(r.msg, "lies.fs:2:"));

    /* Hot reload: a good generator, broken on disk, still draws; mended, it changes. */
    strata_isf *s = load("live.fs", gen_fs, true);
    int id = strata_param_find("isf/live/level");
    assert_true(id >= 0);
    read_out(strata_isf_run(s, &(strata_isf_frame){.time = 2.5}));
    int before = at(3, 3, 1);
    write_isf("live.fs", broken_fs);
    assert_int_equal(strata_isf_reload(s), -1);
    assert_non_null(strstr(strata_isf_error(s), "live.fs:5: "));
    assert_int_equal(strata_param_find("isf/live/level"), id); /* still there */
    read_out(strata_isf_run(s, &(strata_isf_frame){.time = 2.5}));
    assert_int_equal(at(3, 3, 1), before);
    write_isf("live.fs", "/*{\"INPUTS\": [{\"NAME\": \"gain\", \"TYPE\": \"float\", "
                         "\"DEFAULT\": 1}]}*/\n"
                         "void main() { gl_FragColor = vec4(0.0, gain, 0.0, 1.0); }\n");
    assert_int_equal(strata_isf_reload(s), 1);
    assert_string_equal(strata_isf_error(s), "");
    assert_int_equal(strata_param_find("isf/live/level"), -1); /* the inputs changed */
    assert_true(strata_param_find("isf/live/gain") >= 0);
    read_out(strata_isf_run(s, &(strata_isf_frame){0}));
    near(at(3, 3, 1), 255, 0, "the mended shader", 3);
    strata_isf_destroy(s);
}

/* A vertex shader beside the file (x.vs for x.fs) runs, passing its own varying. */
static void vertex_shader_beside_the_file(void **state)
{
    (void)state;
    write_isf("withvs.vs",
              "varying vec2 twice;\n"
              "void main() { isf_vertShaderInit(); twice = isf_FragNormCoord * 2.0; }\n");
    strata_isf *s = load("withvs.fs",
                         "/*{\"INPUTS\": [{\"NAME\": \"inputImage\", \"TYPE\": \"image\"}]}*/\n"
                         "varying vec2 twice;\n"
                         "void main() { gl_FragColor = vec4(twice.x / 4.0, "
                         "_inputImage_imgRect.x, 0.0, 1.0); }\n",
                         false);
    read_out(strata_isf_run(s, &(strata_isf_frame){0}));
    for (int x = 0; x < W; x += 5)
        near(at(x, 3, 0), (x + 0.5) / W * 0.5 * 255, 1, "red from the .vs varying", x);
    strata_isf_destroy(s);
}

/* The app's chain: the first enabled generator, then the enabled filters; the overlay's
 * status line names them and the last error. */
static void chain_runs_generator_then_filters(void **state)
{
    (void)state;
    char gen[300], inv[300];
    snprintf(gen, sizeof gen, "%s", write_isf("cgen.fs", gen_fs));
    snprintf(inv, sizeof inv, "%s", write_isf("cinv.fs", filter_fs));
    const char *files[] = {inv, gen}; /* the filter first: the generator still goes first */
    strata_result r = {0};
    strata_isf_chain *c = strata_isf_chain_create(
        &(strata_isf_chain_desc){.files = files, .nfiles = 2, .width = W, .height = H}, &r);
    assert_non_null(c);
    strata_target src;
    assert_true(strata_target_init(&src, W, H, GL_RGBA8));
    strata_target_clear(&src, 0, 0, 0, 1);
    read_out(strata_isf_chain_run(c, &src, &(strata_isf_frame){.time = 2.5}));
    /* gen: red = x ramp, green = 0.5, blue 1; then inverted by the filter. */
    near(at(8, 8, 0), 255 - (8.5 / W * 255), 1, "generator then filter: red", 8);
    near(at(8, 8, 1), 127.5, 1, "generator then filter: green", 8);
    near(at(8, 8, 2), 0, 1, "generator then filter: blue", 8);
    char st[300];
    strata_isf_chain_status(c, NULL, st, sizeof st);
    assert_string_equal(st, "ISF: cinv on, cgen (gen) on");
    /* Switched off through the registry: the picture passes through. */
    float *vals = calloc(STRATA_PARAM_MAX, sizeof *vals);
    int en = strata_param_find("isf/cgen/enabled");
    assert_true(en >= 0);
    vals[strata_param_find("isf/cinv/enabled")] = 0.0f;
    vals[en] = 0.0f;
    assert_ptr_equal(strata_isf_chain_run(c, &src, &(strata_isf_frame){.values = vals}), &src);
    strata_isf_chain_status(c, vals, st, sizeof st);
    assert_string_equal(st, "ISF: cinv off, cgen (gen) off");
    write_isf("cinv.fs", broken_fs);
    assert_int_equal(strata_isf_reload(strata_isf_chain_get(c, 0)), -1);
    strata_isf_chain_status(c, vals, st, sizeof st);
    assert_non_null(strstr(st, "\n"));
    assert_non_null(strstr(st, "cinv.fs:5: "));
    free(vals);
    strata_target_free(&src);
    strata_isf_chain_destroy(c);
    assert_int_equal(strata_param_find("isf/cgen/enabled"), -1);
}

/* A hot reload through the chain keeps an input's value, from the very frame it lands in
 * (the registry's value for the new id is still the DEFAULT then). */
static void chain_reload_keeps_values_from_the_first_frame(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s", write_isf("keep.fs", gen_fs));
    const char *files[] = {path};
    strata_result r = {0};
    strata_isf_chain *c = strata_isf_chain_create(
        &(strata_isf_chain_desc){
            .files = files, .nfiles = 1, .width = W, .height = H, .watch = true},
        &r);
    assert_non_null(c);
    strata_params *pa = malloc(sizeof *pa);
    strata_params_init(pa);
    int id = strata_param_find("isf/keep/level");
    assert_true(id >= 0);
    strata_params_set(pa, id, 0.25f, true);
    strata_params_update(pa, 1.0f / 60);
    strata_target src;
    assert_true(strata_target_init(&src, W, H, GL_RGBA8));
    strata_isf_frame f = {.time = 2.5, .values = pa->value, .params = pa};
    read_out(strata_isf_chain_run(c, &src, &f));
    near(at(3, 3, 1), 63.75, 1, "level 0.25 from the registry", 3);
    usleep(300 * 1000);
    /* The same INPUTS, another body: blue off. */
    char *edited = strdup(gen_fs);
    char *b = strstr(edited, "tint.b * ");
    assert_non_null(b);
    memcpy(b, "0.0   ", 6); /* "float b = 0.0    * float(on) ...": same length, valid */
    write_isf("keep.fs", edited);
    free(edited);
    int now = id;
    for (int i = 0; i < 100 && now == id; i++) {
        usleep(50 * 1000);
        read_out(strata_isf_chain_run(c, &src, &f));
        now = strata_param_find("isf/keep/level");
    }
    assert_true(now >= 0 && now != id); /* reloaded: a new registration */
    near(at(3, 3, 1), 63.75, 1, "the reloaded frame keeps level 0.25", 3);
    near(at(3, 3, 2), 0, 0, "and is the new program", 3);
    strata_params_update(pa, 1.0f / 60);
    assert_true(pa->value[now] == 0.25f);
    read_out(strata_isf_chain_run(c, &src, &f));
    near(at(3, 3, 1), 63.75, 1, "and the frames after", 3);
    strata_target_free(&src);
    strata_isf_chain_destroy(c);
    free(pa);
}

static void watcher_picks_up_an_edit(void **state)
{
    (void)state;
    strata_result r = {0};
    const char *path = write_isf("watch.fs", "/*{}*/ void main() { gl_FragColor = vec4(1.0); }\n");
    strata_isf *s =
        strata_isf_load(path, &(strata_isf_opts){.width = W, .height = H, .watch = true}, &r);
    assert_non_null(s);
    usleep(300 * 1000); /* a later mtime than the first write's, on any file system */
    write_isf("watch.fs", "/*{}*/ void main() { gl_FragColor = vec4(0.0, 0.0, 0.0, 1.0); }\n");
    int got = 0;
    for (int i = 0; i < 100 && got == 0; i++) {
        usleep(50 * 1000);
        got = strata_isf_poll(s);
    }
    assert_int_equal(got, 1);
    read_out(strata_isf_run(s, &(strata_isf_frame){0}));
    near(at(1, 1, 0), 0, 0, "the edited shader", 1);
    strata_isf_destroy(s);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/strata-isf-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    return test_gl_open(&gl, NULL) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    test_gl_close(&gl);
    return test_dir_remove(dir) ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generator_draws_what_the_spec_says),
        cmocka_unit_test(filter_reads_its_input_image),
        cmocka_unit_test(two_pass_persistent_float_feedback),
        cmocka_unit_test(audio_inputs_follow_the_audio_frame),
        cmocka_unit_test(imported_image_is_read_the_right_way_up),
        cmocka_unit_test(broken_file_names_its_line_and_reload_keeps_the_last_good),
        cmocka_unit_test(vertex_shader_beside_the_file),
        cmocka_unit_test(chain_runs_generator_then_filters),
        cmocka_unit_test(chain_reload_keeps_values_from_the_first_frame),
        cmocka_unit_test(watcher_picks_up_an_edit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
