/* preset: shipped presets and setlists load, save/load round trips, every error names
 * file:line:column, opening hours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preset/preset.h"

static char src_dir[1024], tmp_dir[1024];

static int setup(void **state)
{
    (void)state;
    const char *s = getenv("STRATA_SOURCE_DIR"), *b = getenv("STRATA_BINARY_DIR");
    snprintf(src_dir, sizeof src_dir, "%s", s ? s : ".");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/test_preset_tmp", b ? b : ".");
    strata_result r = {0};
    assert_int_equal(strata_file_mkdirs(tmp_dir, &r), STRATA_OK);
    strata_log_set_quiet(true);
    return 0;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmp_dir, name);
}

static void write_file(const char *path, const char *text)
{
    strata_result r = {0};
    assert_int_equal(strata_file_write_atomic(path, text, strlen(text), &r), STRATA_OK);
}

/* Struct equality, byte for byte, path aside (it names where each copy came from). */
static bool same_preset(const strata_preset *a, const strata_preset *b)
{
    strata_preset *x = malloc(sizeof *x), *y = malloc(sizeof *y);
    *x = *a;
    *y = *b;
    memset(x->path, 0, sizeof x->path);
    memset(y->path, 0, sizeof y->path);
    bool same = memcmp(x, y, sizeof *x) == 0;
    free(x);
    free(y);
    return same;
}

static int list_presets(char names[][256], int max)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/presets", src_dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t k = strlen(e->d_name);
        if (k > 5 && strcmp(e->d_name + k - 5, ".json") == 0)
            snprintf(names[n++], 256, "%s", e->d_name);
    }
    closedir(d);
    return n;
}

static void shipped_presets_load(void **state)
{
    (void)state;
    char names[64][256];
    int n = list_presets(names, 64);
    assert_true(n >= 6);
    const char *want[] = {"vhs-drift",     "stop-motion", "latent-rush",
                          "gallery-drift", "datamosh",    "crushed-neon"};
    int found = 0;
    for (int i = 0; i < n; i++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/presets/%s", src_dir, names[i]);
        strata_preset p;
        strata_result r = {0};
        if (strata_preset_load(path, &p, &r) != STRATA_OK)
            fail_msg("%s", r.msg);
        char stem[256];
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(names[i]) - 5), names[i]);
        assert_string_equal(p.name, stem); /* scenes are called by their file name */
        assert_true(p.has_morph && p.has_param[STRATA_P_glitch]);
        for (int k = 0; k < 6; k++)
            found += strcmp(p.name, want[k]) == 0;
    }
    assert_int_equal(found, 6);
}

static void shipped_setlists_load(void **state)
{
    (void)state;
    char path[1400];
    strata_setlist s;
    strata_result r = {0};
    snprintf(path, sizeof path, "%s/presets/setlists/concert.json", src_dir);
    if (strata_setlist_load(path, &s, &r) != STRATA_OK)
        fail_msg("%s", r.msg);
    assert_int_equal(s.count, 6);
    assert_string_equal(s.name, "concert");
    assert_false(s.has_hours);
    assert_int_equal(strata_setlist_find(&s, "vhs-drift"), 0);
    assert_int_equal(strata_setlist_find(&s, "gallery-drift"), 5);
    assert_int_equal(strata_setlist_find(&s, "nope"), -1);
    assert_true(s.entries[2].transition_s < 0.2f); /* stop-motion cuts in */
    strata_setlist_free(&s);

    snprintf(path, sizeof path, "%s/presets/setlists/gallery.json", src_dir);
    if (strata_setlist_load(path, &s, &r) != STRATA_OK)
        fail_msg("%s", r.msg);
    assert_true(s.count >= 2 && s.loop && s.has_hours);
    assert_int_equal(s.open_min, 600);
    assert_int_equal(s.close_min, 1080);
    assert_int_equal(s.outside, STRATA_SETLIST_OUTSIDE_DIM);
    assert_true(s.dim > 0.1f && s.dim < 0.2f);
    assert_int_equal(s.entries[0].dwell_s, 1200);
    assert_string_equal(s.entries[0].preset.name, "gallery-drift");
    strata_setlist_free(&s);

    /* A single preset file is a setlist of one with the preset's own times. */
    snprintf(path, sizeof path, "%s/presets/latent-rush.json", src_dir);
    if (strata_setlist_load(path, &s, &r) != STRATA_OK)
        fail_msg("%s", r.msg);
    assert_int_equal(s.count, 1);
    assert_string_equal(s.name, "latent-rush");
    assert_true(s.entries[0].dwell_s == s.entries[0].preset.dwell_s);
    strata_setlist_free(&s);
}

static void round_trip_is_identical(void **state)
{
    (void)state;
    char names[64][256];
    int n = list_presets(names, 64);
    for (int i = 0; i < n; i++) {
        char path[1400], out[1400];
        snprintf(path, sizeof path, "%s/presets/%s", src_dir, names[i]);
        tmp_path(out, sizeof out, names[i]);
        strata_preset a, b;
        strata_result r = {0};
        assert_int_equal(strata_preset_load(path, &a, &r), STRATA_OK);
        if (strata_preset_save(out, &a, &r) != STRATA_OK)
            fail_msg("%s", r.msg);
        if (strata_preset_load(out, &b, &r) != STRATA_OK)
            fail_msg("%s", r.msg);
        if (!same_preset(&a, &b))
            fail_msg("%s: saved copy differs", names[i]);
    }
}

static void round_trip_of_every_field(void **state)
{
    (void)state;
    /* Values that no shipped preset uses: a bank below the folder, odd floats, step
     * curve with a knee, every section. */
    const char *text =
        "{\"name\": \"all\", \"bank\": \"banks/city.strata\", \"morph\": \"latent\",\n"
        " \"order\": \"pingpong\", \"fit\": \"fill\", \"seed\": 9007199254740993,\n"
        " \"transition\": 0.3333, \"transition_kind\": \"flow\", \"dwell\": 61.7,\n"
        " \"params\": {\"hue\": -0.123457, \"zoom\": 3.99, \"burst_decay\": 0.02},\n"
        " \"fx\": {\"crush\": {\"curve\": \"step\", \"k\": 0.37}, \"tear\": {\"burst\": 0.1}},\n"
        " \"fx_order\": [\"crush\", \"tear\"],\n"
        " \"routes\": [\"tri@3b>rotate*-0.2,curve=log,attack=0.05,release=1.5,phase=0.25\","
        "\"hat>fx_rgb*1\"],\n"
        " \"osc\": {\"/x/y\": {\"param\": \"zoom\", \"min\": 2, \"max\": 0.5}, \"/z\": \"hue\"}}";
    char path[1100], out[1100];
    tmp_path(path, sizeof path, "all.json");
    tmp_path(out, sizeof out, "all-saved.json");
    write_file(path, text);
    strata_preset a, b;
    strata_result r = {0};
    if (strata_preset_load(path, &a, &r) != STRATA_OK)
        fail_msg("%s", r.msg);
    /* The bank resolves against the preset's folder. */
    char want[1400];
    snprintf(want, sizeof want, "%s/banks/city.strata", tmp_dir);
    assert_string_equal(a.bank, want);
    assert_int_equal(a.seed, 9007199254740993ull);
    assert_true(a.fx[STRATA_FX_CRUSH].set);
    assert_int_equal(a.fx[STRATA_FX_CRUSH].shape.curve, STRATA_FX_CURVE_STEP);
    assert_true(a.fx[STRATA_FX_CRUSH].shape.burst_mix == 0.5f); /* the chain's default */
    assert_int_equal(a.fx[STRATA_FX_TEAR].shape.curve, STRATA_FX_CURVE_SMOOTH);
    assert_int_equal(a.n_routes, 2);
    assert_int_equal(a.routes[0].src, STRATA_SRC_TRI);
    assert_int_equal(a.n_aliases, 2);
    assert_string_equal(a.aliases[1].address, "/z");
    assert_true(a.aliases[1].lo == -0.5f && a.aliases[1].hi == 0.5f);
    assert_true(a.aliases[0].lo == 2.0f && a.aliases[0].hi == 0.5f);
    assert_int_equal(strata_preset_save(out, &a, &r), STRATA_OK);
    if (strata_preset_load(out, &b, &r) != STRATA_OK)
        fail_msg("%s", r.msg);
    assert_true(same_preset(&a, &b));
    /* Written relative: the folder can move. */
    char *saved = NULL;
    size_t len;
    assert_int_equal(strata_file_read(out, &saved, &len, 0, &r), STRATA_OK);
    assert_non_null(strstr(saved, "\"bank\": \"banks/city.strata\""));
    assert_non_null(strstr(saved, "\"dwell\": 61.7,"));
    free(saved);
}

/* A neural scene: "model" resolves against the preset's folder like "bank" (and is written
 * back relative), "neural_size" and "morph": "neural" round-trip. */
static void neural_keys(void **state)
{
    (void)state;
    const char *text =
        "{\"bank\": \"stills.strata\", \"model\": \"models/taef2_decoder.safetensors\",\n"
        " \"neural_size\": \"16x9\", \"morph\": \"neural\",\n"
        " \"params\": {\"glitch\": 0.4, \"lat_shift\": 0.9, \"lat_quant\": 0}}";
    char path[1100], out[1100], want[1400];
    tmp_path(path, sizeof path, "neural.json");
    tmp_path(out, sizeof out, "neural-saved.json");
    write_file(path, text);
    strata_preset a, b;
    strata_result r = {0};
    if (strata_preset_load(path, &a, &r) != STRATA_OK)
        fail_msg("%s", r.msg);
    snprintf(want, sizeof want, "%s/models/taef2_decoder.safetensors", tmp_dir);
    assert_string_equal(a.model, want);
    assert_int_equal(a.neural_w, 16);
    assert_int_equal(a.neural_h, 9);
    assert_true(a.has_morph && a.morph == STRATA_MORPH_NEURAL);
    assert_true(a.has_param[STRATA_P_lat_shift] && a.param[STRATA_P_lat_shift] == 0.9f);
    assert_true(a.has_param[STRATA_P_lat_quant] && a.param[STRATA_P_lat_quant] == 0.0f);
    assert_false(a.has_param[STRATA_P_lat_noise]);
    assert_int_equal(strata_preset_save(out, &a, &r), STRATA_OK);
    if (strata_preset_load(out, &b, &r) != STRATA_OK)
        fail_msg("%s", r.msg);
    assert_true(same_preset(&a, &b));
    char *saved = NULL;
    size_t len;
    assert_int_equal(strata_file_read(out, &saved, &len, 0, &r), STRATA_OK);
    assert_non_null(strstr(saved, "\"model\": \"models/taef2_decoder.safetensors\""));
    assert_non_null(strstr(saved, "\"neural_size\": \"16x9\""));
    assert_non_null(strstr(saved, "\"morph\": \"neural\""));
    free(saved);
    /* An absolute model stays as it is; "" is none; without the keys: none and auto. */
    const char *abs_text = "{\"model\": \"/models/d.safetensors\"}";
    assert_int_equal(strata_preset_parse(abs_text, strlen(abs_text), path, &a, &r), STRATA_OK);
    assert_string_equal(a.model, "/models/d.safetensors");
    assert_int_equal(strata_preset_parse("{\"model\": \"\"}", 13, path, &a, &r), STRATA_OK);
    assert_string_equal(a.model, "");
    assert_int_equal(strata_preset_parse("{}", 2, path, &a, &r), STRATA_OK);
    assert_true(a.model[0] == 0 && a.neural_w == 0 && a.neural_h == 0);
    assert_int_equal(strata_preset_format(&a, path, &saved, &r), STRATA_OK);
    assert_null(strstr(saved, "\"model\""));
    assert_null(strstr(saved, "\"neural_size\""));
    free(saved);
    /* The largest latent side the decoder takes, and a 1x1. */
    assert_int_equal(strata_preset_parse("{\"neural_size\": \"128x1\"}", 24, path, &a, &r),
                     STRATA_OK);
    assert_true(a.neural_w == 128 && a.neural_h == 1);
}

static void empty_object_is_the_default_scene(void **state)
{
    (void)state;
    strata_preset p, d;
    strata_result r = {0};
    assert_int_equal(strata_preset_parse("{}", 2, NULL, &p, &r), STRATA_OK);
    strata_preset_default(&d);
    assert_true(same_preset(&p, &d));
    assert_string_equal(d.name, "default");
    assert_true(d.transition_s == 4.0f && d.dwell_s == 120.0f && !d.has_morph);
}

typedef struct bad_case {
    const char *text;
    const char *where; /* "L:C" */
    const char *msg;   /* the message after "FILE:L:C: " */
} bad_case;

static const bad_case bad_cases[] = {
    {"{\n  \"params\": {\n    \"glich\": 0.5\n  }\n}", "3:5",
     "unknown key \"glich\" in \"params\" (did you mean \"glitch\"?)"},
    {"{\n  \"morf\": \"flow\"\n}", "2:3", "unknown key \"morf\" (did you mean \"morph\"?)"},
    {"{\n  \"dwell\": \"long\"\n}", "2:12", "\"dwell\" must be a number, not a string"},
    {"{\"params\": {\"drift\": 0.2, \"glitch\": 1.5}}", "1:37", "\"glitch\" 1.5 is outside 0..1"},
    {"{\"transition\": -1}", "1:16", "\"transition\" -1 is outside 0..600"},
    {"{\n  \"routes\": [\n    \"bass>glitch*0.5\",\n    \"bass>glitc*0.5\"\n  ]\n}", "4:5",
     "route 'bass>glitc*0.5': unknown parameter 'glitc'"},
    {"{\"routes\": [12]}", "1:13",
     "routes must be strings like \"bass>glitch*0.5\", not "
     "a number"},
    {"{\n\t\"fx\": {\n\t\t\"vhz\": {\"curve\": \"smooth\"}\n\t}\n}", "3:3",
     "unknown effect \"vhz\" (did you mean \"vhs\"?)"},
    {"{\"fx\": {\"vhs\": {\"curve\": \"smoth\"}}}", "1:26",
     "unknown curve \"smoth\" (did you mean \"smooth\"?)"},
    {"{\"fx\": {\"vhs\": {\"curve\": \"linear\", \"k\": 2}}}", "1:36",
     "\"k\" does nothing with curve \"linear\""},
    {"{\"fx\": {\"crush\": {\"burst\": 2}}}", "1:28", "\"burst\" 2 is outside 0..1"},
    {"{\"fx_order\": [\"block\", \"sorts\"]}", "1:24",
     "unknown effect \"sorts\" (did you mean \"sort\"?)"},
    {"{\"fx_order\": [\"block\", \"block\"]}", "1:24",
     "effect \"block\" is already in \"fx_order\""},
    {"{\"morph\": \"latnet\"}", "1:11", "unknown morph \"latnet\" (did you mean \"latent\"?)"},
    {"{\"order\": \"random\"}", "1:11",
     "unknown order \"random\" (one of sequence|shuffle|neighbours|pingpong)"},
    {"{\"seed\": -3}", "1:10", "\"seed\" must be a whole number >= 0"},
    {"{\n  \"neural_size\": \"129x4\"\n}", "2:18",
     "\"neural_size\" \"129x4\" must be WxH, each side 1..128 (a latent size: the picture is "
     "8W x 8H)"},
    {"{\"neural_size\": \"0x4\"}", "1:17",
     "\"neural_size\" \"0x4\" must be WxH, each side 1..128 (a latent size: the picture is "
     "8W x 8H)"},
    {"{\"neural_size\": [16, 9]}", "1:17", "\"neural_size\" must be a string, not an array"},
    {"{\"model\": 3}", "1:11", "\"model\" must be a string, not a number"},
    {"{\"modell\": \"m.safetensors\"}", "1:2", "unknown key \"modell\" (did you mean \"model\"?)"},
    {"{\"morph\": \"nerual\"}", "1:11", "unknown morph \"nerual\" (did you mean \"neural\"?)"},
    {"{\"bank\": \"latent:64:999:1\"}", "1:10", "\"bank\": latent dim 999 is outside 1..256"},
    {"{\"osc\": {\"band/fader\": \"glitch\"}}", "1:10",
     "OSC address \"band/fader\" must start with '/', have no spaces or # * , ? [ ] { } and "
     "be under 64 characters"},
    {"{\"osc\": {\"/f\": {\"param\": \"glitch\", \"max\": 7}}}", "1:43",
     "\"max\" 7 is outside 0..1"},
    {"{\"osc\": {\"/f\": \"glotch\"}}", "1:16",
     "unknown parameter \"glotch\" (did you mean \"glitch\"?)"},
    {"{\"params\": [1]}", "1:12", "\"params\" must be an object, not an array"},
    {"[1, 2]", "1:1", "a preset is a JSON object {...}, not an array"},
    /* Key positions count characters, as jansson's columns do: "é" is one column. */
    {"{\"name\": \"café\", \"zoom\": 2}", "1:18", "unknown key \"zoom\""},
};

static void errors_name_line_and_column(void **state)
{
    (void)state;
    char path[1100];
    int failed = 0;
    tmp_path(path, sizeof path, "bad.json");
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        write_file(path, c->text);
        strata_preset p;
        strata_result r = {0};
        char want[1400];
        snprintf(want, sizeof want, "%s:%s: %s", path, c->where, c->msg);
        if (strata_preset_load(path, &p, &r) != STRATA_ERR_FORMAT)
            fail_msg("case %zu loaded: %s", i, c->text);
        if (strcmp(r.msg, want) != 0) {
            print_error("case %zu\n got: %s\nwant: %s\n", i, r.msg, want);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/* Syntax errors and duplicate keys come from jansson, with its position. */
static void jansson_errors_keep_their_position(void **state)
{
    (void)state;
    char path[1100];
    tmp_path(path, sizeof path, "syntax.json");
    const char *cases[][2] = {
        {"{\n  \"dwell\": 4,\n}", ":3:1: "},
        {"{\n  \"seed\": 1,\n  \"seed\": 2\n}", ":3:8: "},
        {"{\"glitch\": 0.5", ":1:14: "},
    };
    for (int i = 0; i < 3; i++) {
        write_file(path, cases[i][0]);
        strata_preset p;
        strata_result r = {0};
        assert_int_equal(strata_preset_load(path, &p, &r), STRATA_ERR_FORMAT);
        char want[1200];
        snprintf(want, sizeof want, "%s%s", path, cases[i][1]);
        if (strncmp(r.msg, want, strlen(want)) != 0)
            fail_msg("case %d\n got: %s\nwant: %s...", i, r.msg, want);
    }
    strata_preset p;
    strata_result r = {0};
    write_file(path, "{\n  \"seed\": 1,\n  \"seed\": 2\n}");
    assert_int_equal(strata_preset_load(path, &p, &r), STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "duplicate"));
}

static void missing_files(void **state)
{
    (void)state;
    char path[1100], list[1100];
    strata_preset p;
    strata_result r = {0};
    tmp_path(path, sizeof path, "does-not-exist.json");
    assert_int_equal(strata_preset_load(path, &p, &r), STRATA_ERR_IO);
    assert_non_null(strstr(r.msg, "does-not-exist.json: No such file"));

    /* A setlist names the position of the scene that points nowhere. */
    tmp_path(list, sizeof list, "list.json");
    write_file(list, "{\n  \"scenes\": [\n    \"all.json\",\n    {\"preset\": \"gone.json\"}\n"
                     "  ]\n}");
    tmp_path(path, sizeof path, "all.json");
    write_file(path, "{}");
    strata_setlist s;
    assert_int_equal(strata_setlist_load(list, &s, &r), STRATA_ERR_IO);
    char want[1400];
    snprintf(want, sizeof want, "%s:4:16: cannot load preset: %s/gone.json: No such file", list,
             tmp_dir);
    if (strncmp(r.msg, want, strlen(want)) != 0)
        fail_msg("\n got: %s\nwant: %s...", r.msg, want);
    assert_null(s.entries);
}

/* Files that are not presets: a FIFO (opening it used to hang forever), a folder (it said
 * "read error"), a setlist used as a scene (it said unknown key "scenes"). Each message
 * names the file and what is wrong with it. */
static void hostile_preset_files(void **state)
{
    (void)state;
    char fifo[1100], folder[1100], inner[1100], outer[1100], want[1400];
    strata_preset p;
    strata_setlist s;
    strata_result r = {0};
    tmp_path(fifo, sizeof fifo, "pipe.json");
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(strata_preset_load(fifo, &p, &r), STRATA_ERR_IO);
    snprintf(want, sizeof want, "%s: not a regular file (a FIFO)", fifo);
    assert_string_equal(r.msg, want);
    assert_int_equal(strata_setlist_load(fifo, &s, &r), STRATA_ERR_IO);
    assert_string_equal(r.msg, want);
    /* The same FIFO as a scene of a setlist: the setlist's position, then the reason. */
    tmp_path(outer, sizeof outer, "outer.json");
    write_file(outer, "{\"scenes\": [\"pipe.json\"]}");
    assert_int_equal(strata_setlist_load(outer, &s, &r), STRATA_ERR_IO);
    if (!strstr(r.msg, "outer.json:1:13: cannot load preset: ") || !strstr(r.msg, want))
        fail_msg("message: %s", r.msg);
    unlink(fifo);

    tmp_path(folder, sizeof folder, "folder.json");
    assert_int_equal(strata_file_mkdirs(folder, &r), STRATA_OK);
    assert_int_equal(strata_preset_load(folder, &p, &r), STRATA_ERR_IO);
    snprintf(want, sizeof want, "%s: is a directory", folder);
    assert_string_equal(r.msg, want);
    assert_int_equal(strata_setlist_load(folder, &s, &r), STRATA_ERR_IO);
    assert_string_equal(r.msg, want);

    tmp_path(inner, sizeof inner, "inner-list.json");
    write_file(inner, "{\"name\": \"inner\",\n \"scenes\": [\"all.json\"]}");
    write_file(outer, "{\"scenes\": [\"all.json\", \"inner-list.json\"]}");
    tmp_path(want, sizeof want, "all.json");
    write_file(want, "{}");
    assert_int_equal(strata_setlist_load(outer, &s, &r), STRATA_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s:2:2: this file is a setlist (it has \"scenes\"): a setlist "
             "cannot be a scene of a setlist",
             inner);
    assert_string_equal(r.msg, want);
    assert_null(strstr(r.msg, "unknown key"));
}

static void setlist_errors(void **state)
{
    (void)state;
    char list[1100], bad[1100];
    tmp_path(list, sizeof list, "list2.json");
    tmp_path(bad, sizeof bad, "broken-scene.json");
    write_file(bad, "{\n  \"params\": {\"zoom\": 9}\n}");
    write_file(list, "{\"scenes\": [\"broken-scene.json\"]}");
    strata_setlist s;
    strata_result r = {0};
    char want[1400];
    /* A broken scene reports its own file and position: that is where the fix goes. */
    assert_int_equal(strata_setlist_load(list, &s, &r), STRATA_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:2:22: \"zoom\" 9 is outside 0.25..4", bad);
    assert_string_equal(r.msg, want);

    const char *cases[][2] = {
        {"{\"scenes\": [], \"loop\": true}", "1:12: \"scenes\" must be an array of 1..4096"},
        {"{\"scenes\": [\"all.json\"], \"loop\": 1}", "1:34: \"loop\" must be true or false"},
        {"{\"scenes\": [{\"preset\": \"all.json\", \"dwel\": 3}]}",
         "1:36: unknown key \"dwel\" in \"scenes\" (did you mean \"dwell\"?)"},
        {"{\"scenes\": [{\"preset\": \"all.json\", \"dwell\": 0}]}",
         "1:45: \"dwell\" 0 is outside 0.1..86400"},
        {"{\"scenes\": [\"all.json\"], \"hours\": {\"open\": \"25:00\", \"close\": \"18:00\"}}",
         "1:44: \"open\" \"25:00\" must be a time HH:MM, 00:00..24:00"},
        {"{\"scenes\": [\"all.json\"], \"hours\": {\"open\": \"10:00\"}}",
         "1:35: \"hours\" needs \"open\" and \"close\""},
        {"{\"scenes\": [\"all.json\"], \"hours\": {\"open\": \"10:00\", \"close\": \"18:00\", "
         "\"outside\": \"grey\"}}",
         "1:82: unknown outside \"grey\" (one of black|dim)"},
        {"{\"scenes\": [\"all.json\"], \"sceens\": 1}",
         "1:26: unknown key \"sceens\" (did you mean \"scenes\"?)"},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(list, cases[i][0]);
        memset(&r, 0, sizeof r);
        assert_int_not_equal(strata_setlist_load(list, &s, &r), STRATA_OK);
        snprintf(want, sizeof want, "%s:%s", list, cases[i][1]);
        if (strncmp(r.msg, want, strlen(want)) != 0) {
            print_error("case %zu\n got: %s\nwant: %s...\n", i, r.msg, want);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

static void opening_hours(void **state)
{
    (void)state;
    strata_setlist s = {0};
    assert_true(strata_setlist_is_open(&s, 3 * 60)); /* no hours: always */
    s.has_hours = true;
    s.open_min = 10 * 60;
    s.close_min = 18 * 60;
    assert_false(strata_setlist_is_open(&s, 9 * 60 + 59));
    assert_true(strata_setlist_is_open(&s, 10 * 60));
    assert_true(strata_setlist_is_open(&s, 17 * 60 + 59));
    assert_false(strata_setlist_is_open(&s, 18 * 60));
    assert_false(strata_setlist_is_open(&s, 0));
    assert_true(strata_setlist_is_open(&s, 12 * 60 + 1440)); /* modulo a day */
    assert_false(strata_setlist_is_open(&s, -1));            /* 23:59 */
    /* Overnight: a club from 22:00 to 04:00. */
    s.open_min = 22 * 60;
    s.close_min = 4 * 60;
    assert_true(strata_setlist_is_open(&s, 23 * 60));
    assert_true(strata_setlist_is_open(&s, 0));
    assert_true(strata_setlist_is_open(&s, 3 * 60 + 59));
    assert_false(strata_setlist_is_open(&s, 4 * 60));
    assert_false(strata_setlist_is_open(&s, 12 * 60));
    assert_false(strata_setlist_is_open(&s, 21 * 60 + 59));
    assert_true(strata_setlist_is_open(&s, 22 * 60));
    /* Same open and close: around the clock. */
    s.close_min = s.open_min;
    assert_true(strata_setlist_is_open(&s, 12 * 60));

    /* "24:00" closes at midnight; loaded hours land in minutes. */
    char list[1100], p[1100];
    tmp_path(list, sizeof list, "hours.json");
    tmp_path(p, sizeof p, "all.json");
    write_file(p, "{}");
    write_file(list, "{\"scenes\": [\"all.json\"], \"hours\": {\"open\": \"20:30\", "
                     "\"close\": \"24:00\", \"outside\": \"black\"}}");
    strata_result r = {0};
    strata_setlist l;
    if (strata_setlist_load(list, &l, &r) != STRATA_OK)
        fail_msg("%s", r.msg);
    assert_int_equal(l.open_min, 20 * 60 + 30);
    assert_int_equal(l.close_min, 0);
    assert_int_equal(l.outside, STRATA_SETLIST_OUTSIDE_BLACK);
    assert_true(strata_setlist_is_open(&l, 23 * 60 + 59));
    assert_false(strata_setlist_is_open(&l, 0));
    assert_false(strata_setlist_is_open(&l, 20 * 60 + 29));
    strata_setlist_free(&l);
}

/* The preset's names agree with the other modules' parsers. */
static void names_agree_with_modules(void **state)
{
    (void)state;
    const char *modes[] = {"blend", "flow", "latent", "neural"};
    for (int i = 0; i < 4; i++) {
        char text[64];
        snprintf(text, sizeof text, "{\"morph\": \"%s\"}", modes[i]);
        strata_preset p;
        strata_result r = {0};
        strata_morph_mode m;
        assert_int_equal(strata_preset_parse(text, strlen(text), NULL, &p, &r), STRATA_OK);
        assert_true(strata_morph_mode_parse(modes[i], &m));
        assert_int_equal(p.morph, m);
    }
    const char *orders[] = {"sequence", "shuffle", "neighbours", "pingpong"};
    for (int i = 0; i < 4; i++) {
        char text[64];
        snprintf(text, sizeof text, "{\"order\": \"%s\"}", orders[i]);
        strata_preset p;
        strata_result r = {0};
        strata_order o;
        assert_int_equal(strata_preset_parse(text, strlen(text), NULL, &p, &r), STRATA_OK);
        assert_true(strata_order_parse(orders[i], &o));
        assert_int_equal(p.order, o);
    }
}

/* Mutated shipped presets (bytes flipped, deleted, truncated): the parser never crashes,
 * and whatever it rejects is reported as FILE:LINE:COLUMN: with a position in the text. */
static void mutations_fail_cleanly(void **state)
{
    (void)state;
    char names[64][256];
    int n = list_presets(names, 64);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    const char alphabet[] = "{}[]\",:0123456789.-e aZ\\/\n";
    int rejected = 0, accepted = 0;
    for (int i = 0; i < n; i++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/presets/%s", src_dir, names[i]);
        char *text = NULL, *buf;
        size_t len;
        strata_result r = {0};
        assert_int_equal(strata_file_read(path, &text, &len, 0, &r), STRATA_OK);
        buf = malloc(len + 1);
        for (int m = 0; m < 1500; m++) {
            memcpy(buf, text, len + 1);
            size_t blen = len;
            for (int k = 0; k < 1 + m % 3; k++) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                size_t at = (size_t)(rng >> 20) % blen;
                if (rng % 4 == 0) { /* delete a byte */
                    memmove(buf + at, buf + at + 1, blen - at);
                    blen--;
                } else if (rng % 4 == 1 && m % 50 == 0) { /* truncate */
                    blen = at;
                    buf[blen] = 0;
                } else {
                    buf[at] = alphabet[(rng >> 8) % (sizeof alphabet - 1)];
                }
            }
            strata_preset p;
            memset(&r, 0, sizeof r);
            strata_status st = strata_preset_parse(buf, blen, "m.json", &p, &r);
            if (st == STRATA_OK) {
                accepted++;
                continue;
            }
            assert_int_equal(st, STRATA_ERR_FORMAT);
            int line = 0, col = 0;
            if (sscanf(r.msg, "m.json:%d:%d: ", &line, &col) != 2 || line < 1 || col < 1)
                fail_msg("no position: %s", r.msg);
            rejected++;
        }
        free(buf);
        free(text);
    }
    assert_true(rejected > 1000 && accepted > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_presets_load),
        cmocka_unit_test(shipped_setlists_load),
        cmocka_unit_test(round_trip_is_identical),
        cmocka_unit_test(round_trip_of_every_field),
        cmocka_unit_test(neural_keys),
        cmocka_unit_test(empty_object_is_the_default_scene),
        cmocka_unit_test(errors_name_line_and_column),
        cmocka_unit_test(jansson_errors_keep_their_position),
        cmocka_unit_test(missing_files),
        cmocka_unit_test(hostile_preset_files),
        cmocka_unit_test(setlist_errors),
        cmocka_unit_test(opening_hours),
        cmocka_unit_test(names_agree_with_modules),
        cmocka_unit_test(mutations_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
