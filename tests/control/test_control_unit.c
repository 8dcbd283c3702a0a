/* control: modulation routes, the tempo clock, --list-params and docs/OSC.md. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lo/lo.h>
#include <stdio.h>

#include "control/control.h"

static void route_parse_and_format(void **state)
{
    (void)state;
    strata_route rt;
    strata_result r = {0};
    assert_true(strata_route_parse("bass>glitch*0.6,curve=exp,release=0.2", &rt, &r));
    assert_int_equal(rt.src, STRATA_SRC_BASS);
    assert_int_equal(rt.param, STRATA_P_glitch);
    assert_true(fabsf(rt.amount - 0.6f) < 1e-6f);
    assert_int_equal(rt.curve, STRATA_CURVE_EXP);
    assert_true(fabsf(rt.release_s - 0.2f) < 1e-6f);
    char buf[128];
    strata_route_format(&rt, buf, sizeof buf);
    assert_string_equal(buf, "bass>glitch*0.6,curve=exp,release=0.2");
    assert_true(strata_route_parse("sine@4b>hue*-0.1,bipolar,phase=0.25", &rt, &r));
    assert_true(rt.rate_beats && fabsf(rt.rate - 0.25f) < 1e-6f && rt.bipolar);
    strata_route_format(&rt, buf, sizeof buf);
    assert_string_equal(buf, "sine@4b>hue*-0.1,phase=0.25,bipolar");
    assert_true(strata_route_parse("square@2hz>zoom*1", &rt, &r));
    assert_false(rt.rate_beats);
    const char *bad[] = {"bass>glitch",
                         "wub>glitch*1",
                         "bass>wobble*1",
                         "bass>glitch*x",
                         "sine>hue*1",
                         "sine@0hz>hue*1",
                         "bass@2hz>hue*1",
                         "bass>glitch*1,curve=wiggly",
                         "bass>glitch*1,attack=-1",
                         "",
                         "bass>glitch*1,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r.msg[0] = 0;
        if (strata_route_parse(bad[i], &rt, &r))
            fail_msg("'%s' parsed", bad[i]);
        assert_true(r.msg[0] != 0);
    }
}

static void routes_modulate_values(void **state)
{
    (void)state;
    strata_params p;
    strata_params_init(&p);
    strata_routes rs = {0};
    strata_result r;
    assert_true(strata_route_parse("bass>glitch*0.5", &rs.r[rs.n++], &r));
    assert_true(
        strata_route_parse("onset>zoom*1,curve=exp,attack=0,release=0.5", &rs.r[rs.n++], &r));
    assert_true(strata_route_parse("beat_phase>hue*1,bipolar", &rs.r[rs.n++], &r));
    strata_audio_frame a;
    strata_audio_frame_silence(&a);
    a.bass.fast = 0.8f;
    a.onset = 0.5f;
    strata_tempo_state t = {.beat = 2.25, .beat_phase = 0.25f};
    strata_routes_eval(&rs, &t, &a, 0.01f, &p);
    strata_params_update(&p, 0.01f);
    assert_true(fabsf(p.mod[STRATA_P_glitch] - 0.4f) < 1e-6f);
    assert_true(fabsf(p.value[STRATA_P_glitch] - 0.4f) < 1e-6f); /* base 0 + 0.4 of range */
    assert_true(fabsf(p.mod[STRATA_P_zoom] - 0.25f) < 1e-6f);    /* exp: 0.5^2 */
    assert_true(fabsf(p.mod[STRATA_P_hue] + 0.5f) < 1e-6f);      /* bipolar: 0.25 -> -0.5 */
    /* release: the onset falls to 0 but the envelope decays over ~0.5 s */
    a.onset = 0.0f;
    strata_routes_eval(&rs, &t, &a, 0.1f, &p);
    float m = p.mod[STRATA_P_zoom];
    assert_true(m > 0.15f && m < 0.25f);
    /* a NaN source and silence (NULL audio) give calm, finite values */
    a.bass.fast = NAN;
    strata_routes_eval(&rs, &t, &a, 0.1f, &p);
    strata_params_update(&p, 0.1f);
    for (int i = 0; i < STRATA_PARAM_COUNT; i++)
        assert_true(isfinite(p.value[i]));
    strata_routes_eval(&rs, NULL, NULL, 0.1f, &p);
    assert_true(p.mod[STRATA_P_glitch] == 0.0f);
}

static void lfos_follow_hz_and_beats(void **state)
{
    (void)state;
    strata_params p;
    strata_params_init(&p);
    strata_routes rs = {.n = 2};
    strata_result r;
    assert_true(strata_route_parse("saw@1hz>glitch*1", &rs.r[0], &r));
    assert_true(strata_route_parse("square@2b>drift*1", &rs.r[1], &r));
    strata_tempo_state t = {0};
    for (int i = 0; i < 25; i++) /* 0.25 s at 100 Hz */
        strata_routes_eval(&rs, &t, NULL, 0.01f, &p);
    assert_true(fabsf(p.mod[STRATA_P_glitch] - 0.25f) < 1e-3f);
    t.beat = 0.5; /* one cycle per 2 beats: first half high */
    strata_routes_eval(&rs, &t, NULL, 0.01f, &p);
    assert_true(p.mod[STRATA_P_drift] == 1.0f);
    t.beat = 1.5;
    strata_routes_eval(&rs, &t, NULL, 0.01f, &p);
    assert_true(p.mod[STRATA_P_drift] == 0.0f);
}

static void tempo_internal_and_frame_clock(void **state)
{
    (void)state;
    strata_tempo a, b;
    strata_tempo_init(&a, 0);
    assert_true(a.st.bpm == 120.0);
    strata_tempo_init(&b, 150);
    /* render mode: time = frame / fps gives the same beats every run */
    for (int f = 0; f <= 60; f++)
        strata_tempo_advance(&b, f / 30.0, NULL);
    assert_true(fabs(b.st.beat - 5.0) < 1e-9); /* 2 s at 150 bpm */
    assert_true(b.st.beat_phase < 1e-6f && b.st.beat_pulse > 0.99f);
    assert_true(fabsf(b.st.bar_phase - 0.25f) < 1e-6f);
    assert_string_equal(strata_tempo_source_name(b.st.source), "internal");
    strata_tempo_resync(&b);
    assert_true(b.st.bar_phase == 0.0f);
    strata_tempo_set_bpm(&a, 5000);
    assert_true(a.st.bpm == 999.0);
}

static void tempo_tap_averages_and_resets(void **state)
{
    (void)state;
    strata_tempo t;
    strata_tempo_init(&t, 120);
    double now = 10.0;
    strata_tempo_advance(&t, now, NULL);
    for (int i = 0; i < 5; i++) { /* taps about 0.5 s apart, slightly uneven */
        now += i % 2 ? 0.49 : 0.51;
        strata_tempo_advance(&t, now, NULL);
        strata_tempo_tap(&t, now);
    }
    assert_int_equal(t.st.source, STRATA_TEMPO_TAP);
    assert_true(fabs(t.st.bpm - 120.0) < 1.0);
    assert_true(t.st.beat_phase < 1e-6f || t.st.beat_phase > 1.0f - 1e-6f);
    /* after a gap over 2 s the old taps are forgotten: two taps 0.25 s apart = 240 bpm */
    now += 3.0;
    strata_tempo_advance(&t, now, NULL);
    strata_tempo_tap(&t, now);
    now += 0.25;
    strata_tempo_advance(&t, now, NULL);
    strata_tempo_tap(&t, now);
    assert_true(fabs(t.st.bpm - 240.0) < 1e-6);
}

static void tempo_follows_confident_audio(void **state)
{
    (void)state;
    strata_tempo t;
    strata_tempo_init(&t, 120);
    strata_audio_frame a;
    strata_audio_frame_silence(&a);
    a.live = true;
    a.bpm = 128.0f;
    a.beat_phase = 0.4f;
    a.confidence = 0.9f;
    strata_tempo_advance(&t, 1.0, &a);
    assert_int_equal(t.st.source, STRATA_TEMPO_AUDIO);
    assert_true(fabs(t.st.bpm - 128.0) < 1e-6);
    assert_true(fabsf(t.st.beat_phase - 0.4f) < 1e-5f);
    a.confidence = 0.1f; /* not sure: hold the last good tempo, never back to 120 */
    a.bpm = 97.0f;
    strata_tempo_advance(&t, 1.1, &a);
    assert_int_equal(t.st.source, STRATA_TEMPO_AUDIO_HOLD);
    assert_true(fabs(t.st.bpm - 128.0) < 1e-6);
    a.confidence = 0.9f;
    strata_tempo_set_bpm(&t, 100); /* manual until "auto" */
    strata_tempo_advance(&t, 1.2, &a);
    assert_int_equal(t.st.source, STRATA_TEMPO_INTERNAL);
    t.mode = STRATA_TEMPO_AUTO;
    strata_tempo_advance(&t, 1.3, &a);
    assert_int_equal(t.st.source, STRATA_TEMPO_AUDIO);
}

static void list_params_json_and_table(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    strata_control_list_params(f, true);
    fclose(f);
    json_error_t err;
    json_t *j = json_loads(buf, 0, &err);
    if (!j)
        fail_msg("--list-params --json is not JSON: %s", err.text);
    assert_int_equal(json_array_size(j), STRATA_PARAM_COUNT);
    json_t *g = json_array_get(j, STRATA_P_glitch);
    assert_string_equal(json_string_value(json_object_get(g, "name")), "glitch");
    assert_string_equal(json_string_value(json_object_get(g, "osc")), "/strata/glitch");
    assert_string_equal(json_string_value(json_object_get(g, "uniform")), "u_glitch");
    assert_true(json_number_value(json_object_get(g, "max")) == 1.0);
    json_decref(j);
    free(buf);
    f = open_memstream(&buf, &n);
    strata_control_list_params(f, false);
    fclose(f);
    for (int i = 0; i < STRATA_PARAM_COUNT; i++)
        assert_non_null(strstr(buf, strata_param_defs[i].name));
    free(buf);
}

/* A dynamic parameter is a full citizen of the OSC space: its address sets it (the fast
 * path and the full one), a route reaches it, --list-params lists it with its owner; and
 * once it is gone its address is unknown again. */
static void dynamic_parameter_over_osc(void **state)
{
    (void)state;
    strata_result r = {0};
    strata_param_info in = {.min = 0.0f, .max = 10.0f, .def = 1.0f, .kind = STRATA_PARAM_FLOAT};
    snprintf(in.name, sizeof in.name, "isf/wave/depth");
    snprintf(in.owner, sizeof in.owner, "isf:wave");
    snprintf(in.desc, sizeof in.desc, "how deep the wave cuts");
    int id = strata_param_register(&in, &r);
    assert_true(id >= STRATA_PARAM_COUNT);

    strata_control_config cfg = {.osc_disabled = true, .screenshot_dir = "/tmp"};
    strata_control *ctl = strata_control_create(&cfg, &r);
    assert_non_null(ctl);
    strata_params p;
    strata_params_init(&p);
    unsigned char pkt[128];
    /* /strata/isf/wave/depth ,f 7.5 (the fast path) */
    lo_message m = lo_message_new();
    lo_message_add_float(m, 7.5f);
    size_t len = sizeof pkt;
    assert_non_null(lo_message_serialise(m, "/strata/isf/wave/depth", pkt, &len));
    lo_message_free(m);
    strata_osc_handle_packet(ctl, pkt, len, NULL, 0);
    strata_control_frame f = {.params = &p, .time = 1.0, .dt = 1 / 60.0f};
    strata_control_apply(ctl, &f);
    assert_true(p.base[id] == 7.5f);
    /* ,i 3 takes the full path */
    m = lo_message_new();
    lo_message_add_int32(m, 3);
    len = sizeof pkt;
    assert_non_null(lo_message_serialise(m, "/strata/isf/wave/depth", pkt, &len));
    lo_message_free(m);
    strata_osc_handle_packet(ctl, pkt, len, NULL, 0);
    f.time = 2.0;
    strata_control_apply(ctl, &f);
    assert_true(p.base[id] == 3.0f);
    /* a route to it */
    assert_true(strata_control_route_parse(ctl, "sine@1hz>isf/wave/depth*0.5", &r));
    char buf[128];
    strata_route_format(&strata_control_routes(ctl)->r[0], buf, sizeof buf);
    assert_non_null(strstr(buf, ">isf/wave/depth*0.5"));

    char *out = NULL;
    size_t n = 0;
    FILE *fo = open_memstream(&out, &n);
    strata_control_list_params(fo, true);
    fclose(fo);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), STRATA_PARAM_COUNT + 1);
    json_t *last = json_array_get(j, STRATA_PARAM_COUNT);
    assert_string_equal(json_string_value(json_object_get(last, "osc")), "/strata/isf/wave/depth");
    assert_string_equal(json_string_value(json_object_get(last, "owner")), "isf:wave");
    assert_string_equal(json_string_value(json_object_get(last, "kind")), "float");
    assert_null(json_object_get(last, "uniform")); /* no shader of strata's declares it */
    json_decref(j);
    free(out);

    strata_param_unregister(id);
    strata_control_destroy(ctl);
    assert_int_equal(strata_param_find("isf/wave/depth"), -1);
}

/* docs/OSC.md is generated; a registry change without regenerating it fails here. */
static void osc_docs_up_to_date(void **state)
{
    (void)state;
    const char *src = getenv("STRATA_SOURCE_DIR");
    assert_non_null(src);
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/OSC.md", src);
    char *committed = NULL;
    size_t clen = 0;
    strata_result r = {0};
    assert_int_equal(strata_file_read(path, &committed, &clen, 0, &r), STRATA_OK);
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    strata_control_write_docs(f);
    fclose(f);
    if (n != clen || memcmp(buf, committed, n) != 0)
        fail_msg("docs/OSC.md is stale: run build/engine/control/strata_control_docs "
                 "docs/OSC.md");
    for (int i = 0; i < STRATA_PARAM_COUNT; i++) {
        char addr[96];
        snprintf(addr, sizeof addr, "`/strata/%s`", strata_param_defs[i].name);
        assert_non_null(strstr(buf, addr));
    }
    free(buf);
    free(committed);
}

/* The shipped Open Stage Control session: valid JSON, and every address it sends is one
 * strata answers (faders, scenes, tap, subscribe), every address it listens on one strata
 * sends. */
static void controller_session_matches_address_space(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/presets/controllers/strata.json", getenv("STRATA_SOURCE_DIR"));
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!j)
        fail_msg("%s: %s (line %d)", path, err.text, err.line);
    json_t *ws = json_object_get(json_object_get(j, "content"), "widgets");
    assert_true(json_array_size(ws) > 10);
    const char *need[] = {"/strata/glitch",    "/strata/drift",     "/strata/scene",
                          "/strata/tempo/tap", "/strata/subscribe", "/strata/audio/level"};
    int found[6] = {0};
    size_t i;
    json_t *w;
    json_array_foreach(ws, i, w)
    {
        const char *a = json_string_value(json_object_get(w, "address"));
        assert_non_null(a);
        assert_true(strncmp(a, "/strata/", 8) == 0);
        const char *rest = a + 8;
        bool known = strata_param_find(rest) >= 0 || strncmp(rest, "audio/", 6) == 0 ||
                     (strncmp(rest, "state/", 6) == 0 && strata_param_find(rest + 6) >= 0) ||
                     !strcmp(rest, "scene") || !strcmp(rest, "scene/next") ||
                     !strcmp(rest, "scene/prev") || !strcmp(rest, "tempo/tap") ||
                     !strcmp(rest, "tempo/resync") || !strcmp(rest, "subscribe") ||
                     !strcmp(rest, "link");
        if (!known)
            fail_msg("widget address %s is not in strata's address space", a);
        for (int k = 0; k < 6; k++)
            found[k] |= strcmp(a, need[k]) == 0;
    }
    for (int k = 0; k < 6; k++)
        if (!found[k])
            fail_msg("the session has no %s", need[k]);
    json_decref(j);
}

int main(void)
{
    strata_log_set_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(route_parse_and_format),
        cmocka_unit_test(routes_modulate_values),
        cmocka_unit_test(lfos_follow_hz_and_beats),
        cmocka_unit_test(tempo_internal_and_frame_clock),
        cmocka_unit_test(tempo_tap_averages_and_resets),
        cmocka_unit_test(tempo_follows_confident_audio),
        cmocka_unit_test(list_params_json_and_table),
        cmocka_unit_test(dynamic_parameter_over_osc),
        cmocka_unit_test(osc_docs_up_to_date),
        cmocka_unit_test(controller_session_matches_address_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
