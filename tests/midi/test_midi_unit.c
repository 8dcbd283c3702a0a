/* midi: the byte parser, the clock fit, mappings, learn and map files. No MIDI system:
 * bytes go in through strata_midi_inject, the same parser and queue a port uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/midi.h"

/* ---- parser ------------------------------------------------------------------ */

typedef struct got {
    strata_midi_event ev[64];
    int n;
} got;

static void collect(const strata_midi_event *ev, void *user)
{
    got *g = user;
    if (g->n < 64)
        g->ev[g->n++] = *ev;
}

static got parse_all(strata_midi_parser *p, const uint8_t *b, size_t n, bool bytewise)
{
    got g = {.n = 0};
    if (bytewise)
        for (size_t i = 0; i < n; i++)
            strata_midi_parse(p, b + i, 1, collect, &g);
    else
        strata_midi_parse(p, b, n, collect, &g);
    return g;
}

static void expect(const got *g, int i, uint8_t st, uint8_t d1, uint8_t d2)
{
    assert_true(i < g->n);
    assert_int_equal(g->ev[i].status, st);
    assert_int_equal(g->ev[i].d1, d1);
    assert_int_equal(g->ev[i].d2, d2);
}

static void parser_running_status_realtime_sysex(void **state)
{
    (void)state;
    const uint8_t bytes[] = {
        0x90, 0x3C, 0x64, 0x3E, 0x50,       /* note on, then one by running status */
        0xB0, 0xF8, 0x15, 0xF8, 0x40,       /* CC 21 = 64 with two ticks inside it */
        0xF0, 0x7E, 0x01, 0xF8, 0x02, 0xF7, /* sysex (a tick inside still counts) */
        0x16, 0x20,                         /* data after a sysex: no running status */
        0xC2, 0x05, 0x06,                   /* program change runs with one byte */
        0xE0, 0x00, 0x40,                   /* bend centre */
        0xF2, 0x10, 0x00,                   /* song position 16 */
        0xFA, 0xFC,                         /* start, stop */
    };
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        strata_midi_parser p = {0};
        got g = parse_all(&p, bytes, sizeof bytes, bytewise);
        assert_int_equal(g.n, 12);
        expect(&g, 0, 0x90, 0x3C, 0x64);
        expect(&g, 1, 0x90, 0x3E, 0x50);
        expect(&g, 2, 0xF8, 0, 0);
        expect(&g, 3, 0xF8, 0, 0);
        expect(&g, 4, 0xB0, 0x15, 0x40);
        expect(&g, 5, 0xF8, 0, 0);
        expect(&g, 6, 0xC2, 0x05, 0);
        expect(&g, 7, 0xC2, 0x06, 0);
        expect(&g, 8, 0xE0, 0x00, 0x40);
        expect(&g, 9, 0xF2, 0x10, 0x00);
        expect(&g, 10, 0xFA, 0, 0);
        expect(&g, 11, 0xFC, 0, 0);
        assert_int_equal(p.junk, 2); /* 0x16 0x20 */
    }
}

static void parser_junk_and_cut_messages(void **state)
{
    (void)state;
    strata_midi_parser p = {0};
    const uint8_t junk[] = {0x01, 0x7F, 0xF4, 0x22, 0xF9, 0xFD, 0x90, 0x3C, /* cut */
                            0xB1, 0x07, 0x7F};
    got g = parse_all(&p, junk, sizeof junk, false);
    assert_int_equal(g.n, 1);
    expect(&g, 0, 0xB1, 0x07, 0x7F);
    /* 01 7F, F4 and its byte 22, F9, FD, and the cut note's one byte */
    assert_int_equal(p.junk, 7);
    /* Any bytes at all: never more events than bytes, never a crash (ASan watches). */
    uint32_t x = 12345;
    uint8_t noise[4096];
    for (size_t i = 0; i < sizeof noise; i++) {
        x = x * 1664525u + 1013904223u;
        noise[i] = (uint8_t)(x >> 24);
    }
    strata_midi_parser q = {0};
    got h = {.n = 0};
    strata_midi_parse(&q, noise, sizeof noise, collect, &h);
    assert_true(h.n > 0);
    for (int i = 0; i < h.n; i++)
        assert_true(h.ev[i].status >= 0x80 && h.ev[i].d1 < 0x80 && h.ev[i].d2 < 0x80);
}

/* ---- clock -------------------------------------------------------------------- */

static double jitter(uint32_t *x, double amp)
{
    *x = *x * 1664525u + 1013904223u;
    return ((double)(*x >> 8) / 16777216.0 * 2.0 - 1.0) * amp;
}

static void clock_fit_within_half_bpm(void **state)
{
    (void)state;
    const double tempos[] = {120.0, 174.0, 90.0};
    for (int k = 0; k < 3; k++) {
        strata_midi_clock c;
        strata_midi_clock_init(&c);
        strata_midi_event start = {.status = 0xFA}, tick = {.status = 0xF8};
        strata_midi_clock_event(&c, &start, 0.0);
        uint32_t x = 7;
        double spt = 60.0 / (tempos[k] * 24.0), t = 0;
        for (int i = 0; i < 24 * 8; i++) {
            t = 1.0 + i * spt;
            /* a 256-frame JACK period at 48 kHz: +-2.7 ms of stamp jitter */
            strata_midi_clock_event(&c, &tick, t + jitter(&x, 0.0027));
        }
        strata_midi_clock_state cs;
        strata_midi_clock_state_at(&c, t + 0.001, &cs);
        assert_true(cs.active && cs.running);
        assert_true(fabs(cs.bpm - tempos[k]) < 0.5);
        assert_true(fabs(cs.beat - 191.0 / 24.0) < 0.05);
        /* silent for a second: inactive */
        strata_midi_clock_state_at(&c, t + 1.0, &cs);
        assert_false(cs.active);
    }
}

/* A stalled machine: 0.2 s of ticks held back, then delivered in a burst. */
static void clock_fit_ignores_a_stall(void **state)
{
    (void)state;
    const double tempos[] = {120.0, 174.0};
    for (int k = 0; k < 2; k++) {
        strata_midi_clock c;
        strata_midi_clock_init(&c);
        strata_midi_event tick = {.status = 0xF8};
        double spt = 60.0 / (tempos[k] * 24.0);
        uint32_t x = 3;
        for (int i = 0; i < 24 * 6; i++) {
            double due = i * spt, t = due + fabs(jitter(&x, 0.0053)); /* a period late at most */
            double stall0 = 2.0 - 0.2, stall1 = 2.0; /* the last 0.2 s before 2 s */
            if (due >= stall0 && due < stall1)
                t = stall1 + 0.0001 * i;
            strata_midi_clock_event(&c, &tick, t);
            if (due >= stall1) {
                strata_midi_clock_state cs;
                strata_midi_clock_state_at(&c, t, &cs);
                if (fabs(cs.bpm - tempos[k]) >= 0.5)
                    fail_msg("%.0f BPM: %.3f after tick %d", tempos[k], cs.bpm, i);
            }
        }
    }
}

static void clock_transport(void **state)
{
    (void)state;
    strata_midi_clock c;
    strata_midi_clock_init(&c);
    strata_midi_event tick = {.status = 0xF8};
    for (int i = 0; i < 30; i++) /* ticks while stopped: tempo, no beats */
        strata_midi_clock_event(&c, &tick, i * 0.02);
    strata_midi_clock_state cs;
    strata_midi_clock_state_at(&c, 0.59, &cs);
    assert_false(cs.running);
    assert_true(cs.beat == 0.0);
    assert_true(fabs(cs.bpm - 125.0) < 0.01);
    strata_midi_event spp = {.status = 0xF2, .d1 = 32, .d2 = 0}; /* 32 sixteenths: beat 8 */
    strata_midi_clock_event(&c, &spp, 0.6);
    strata_midi_event cont = {.status = 0xFB};
    strata_midi_clock_event(&c, &cont, 0.6);
    for (int i = 0; i < 12; i++)
        strata_midi_clock_event(&c, &tick, 0.62 + i * 0.02);
    strata_midi_clock_state_at(&c, 0.84, &cs);
    assert_true(cs.running);
    assert_true(fabs(cs.beat - (8.0 + 11.0 / 24.0)) < 1e-6);
    strata_midi_event stop = {.status = 0xFC};
    strata_midi_clock_event(&c, &stop, 0.85);
    strata_midi_clock_state_at(&c, 0.86, &cs);
    assert_false(cs.running);
    strata_midi_event start = {.status = 0xFA};
    strata_midi_clock_event(&c, &start, 0.9);
    strata_midi_clock_state_at(&c, 0.9, &cs);
    assert_true(cs.beat == 0.0);
}

/* ---- mappings -------------------------------------------------------------------- */

static strata_midi *make(const char *map_json)
{
    strata_result r = {0};
    strata_midi_config mc = {0};
    strata_midi *m = strata_midi_create(&mc, &r);
    assert_non_null(m);
    if (map_json) {
        strata_midi_map map;
        assert_int_equal(strata_midi_map_parse(map_json, strlen(map_json), "t.json", &map, &r),
                         STRATA_OK);
        assert_true(strata_midi_add_map(m, &map, &r));
    }
    return m;
}

static void send(strata_midi *m, strata_params *p, strata_midi_frame *f, const uint8_t *b,
                 size_t n)
{
    strata_midi_inject(m, 0, b, n, strata_time_ns());
    *f = (strata_midi_frame){.params = p, .now = strata_time_s()};
    strata_midi_apply(m, f);
}
#define SEND(...)                                                                             \
    do {                                                                                      \
        const uint8_t b_[] = {__VA_ARGS__};                                                   \
        send(m, &p, &f, b_, sizeof b_);                                                       \
    } while (0)

static const char *map_text =
    "{\"name\": \"desk\", \"bindings\": [\n"
    "  {\"cc\": 21, \"param\": \"glitch\"},\n"
    "  {\"cc\": 22, \"channel\": 2, \"param\": \"drift\", \"min\": 0.2, \"max\": 0.6},\n"
    "  {\"cc\": 16, \"relative\": \"twos\", \"param\": \"hue\", \"step\": 0.01},\n"
    "  {\"cc\": 17, \"relative\": \"offset\", \"param\": \"zoom\", \"step\": 0.01},\n"
    "  {\"cc14\": 1, \"param\": \"speed\"},\n"
    "  {\"bend\": true, \"param\": \"rotate\"},\n"
    "  {\"note\": 36, \"trigger\": \"scene_next\"},\n"
    "  {\"note\": 37, \"trigger\": \"scene\", \"index\": 2},\n"
    "  {\"note\": 38, \"trigger\": \"burst\"},\n"
    "  {\"cc\": 64, \"trigger\": \"tap\"},\n"
    "  {\"note\": 40, \"param\": \"feedback\"}\n"
    "]}\n";

static void mappings_move_parameters(void **state)
{
    (void)state;
    strata_midi *m = make(map_text);
    strata_params p;
    strata_params_init(&p);
    strata_midi_frame f;
    SEND(0xB0, 21, 127);
    assert_true(fabsf(p.base[STRATA_P_glitch] - 1.0f) < 1e-6f);
    SEND(0xB0, 21, 0, 0xB0, 22, 127); /* 22 on channel 1: not bound */
    assert_true(p.base[STRATA_P_glitch] == 0.0f);
    assert_true(fabsf(p.base[STRATA_P_drift] - 0.3f) < 1e-6f);
    SEND(0xB1, 22, 127); /* channel 2 */
    assert_true(fabsf(p.base[STRATA_P_drift] - 0.6f) < 1e-6f);
    /* relative: +3 then -2 (two's complement), range 1 x 0.01 a tick */
    SEND(0xB0, 16, 3, 16, 126);
    assert_true(fabsf(p.base[STRATA_P_hue] - 0.01f) < 1e-5f);
    /* offset: 64 + 5, then 64 - 1; zoom's range is 3.75 */
    SEND(0xB0, 17, 69, 17, 63);
    assert_true(fabsf(p.base[STRATA_P_zoom] - (1.0f + 4 * 0.01f * 3.75f)) < 1e-5f);
    /* 14 bits: MSB 64 LSB 0 is 8192/16383 of 0..4; LSB moves it by 1/16383 steps */
    SEND(0xB0, 1, 64, 33, 0);
    assert_true(fabsf(p.base[STRATA_P_speed] - 4.0f * 8192.0f / 16383.0f) < 1e-5f);
    SEND(0xB0, 1, 127, 33, 127);
    assert_true(fabsf(p.base[STRATA_P_speed] - 4.0f) < 1e-6f);
    SEND(0xB0, 1, 0, 33, 100);
    assert_true(fabsf(p.base[STRATA_P_speed] - 4.0f * 100.0f / 16383.0f) < 1e-6f);
    /* bend: the top */
    SEND(0xE0, 0x7F, 0x7F);
    assert_true(fabsf(p.base[STRATA_P_rotate] - 0.5f) < 1e-6f);
    /* a note to a parameter: velocity as the amount, off goes back to the bottom */
    SEND(0x90, 40, 127);
    assert_true(fabsf(p.base[STRATA_P_feedback] - 1.0f) < 1e-6f);
    SEND(0x80, 40, 0);
    assert_true(p.base[STRATA_P_feedback] == 0.0f);
    /* triggers: presses only, velocity as the amount */
    SEND(0x90, 36, 100, 0x90, 36, 0, 0x90, 37, 127, 0x90, 38, 64, 0xB0, 64, 127, 64, 0);
    assert_int_equal(f.ntriggers, 4);
    assert_int_equal(f.triggers[0].action, STRATA_MIDI_ACT_SCENE_NEXT);
    assert_true(fabsf(f.triggers[0].amount - 100.0f / 127.0f) < 1e-6f);
    assert_int_equal(f.triggers[1].action, STRATA_MIDI_ACT_SCENE);
    assert_int_equal(f.triggers[1].index, 2);
    assert_int_equal(f.triggers[2].action, STRATA_MIDI_ACT_BURST);
    assert_int_equal(f.triggers[3].action, STRATA_MIDI_ACT_TAP);
    /* junk between: skipped and counted, the CC after it still lands */
    SEND(0xF4, 0x12, 0x34, 0xB0, 21, 64); /* F4 ends running status */
    assert_true(fabsf(p.base[STRATA_P_glitch] - 64.0f / 127.0f) < 1e-6f);
    strata_midi_stats s;
    strata_midi_stats_get(m, &s);
    assert_true(s.junk >= 3);
    char *json = strata_midi_bindings_json(m);
    assert_non_null(strstr(json, "{\"cc\": 21, \"param\": \"glitch\", \"from\": \"file\"}"));
    free(json);
    strata_midi_destroy(m);
}

static void learn_binds_next_control(void **state)
{
    (void)state;
    strata_midi *m = make(map_text);
    strata_params p;
    strata_params_init(&p);
    strata_midi_frame f;
    assert_false(strata_midi_learn(m, "no_such_param"));
    assert_true(strata_midi_learn(m, "brightness"));
    char st[160];
    strata_midi_status(m, st, sizeof st);
    assert_non_null(strstr(st, "learn: brightness armed"));
    SEND(0xB3, 21, 127); /* cc 21 on channel 4: learned ahead of the file's cc 21 (any) */
    assert_true(fabsf(p.base[STRATA_P_brightness] - 2.0f) < 1e-6f);
    strata_midi_status(m, st, sizeof st);
    assert_non_null(strstr(st, "learned: brightness <- cc 21 ch 4"));
    SEND(0xB3, 21, 0);
    assert_true(p.base[STRATA_P_brightness] == 0.0f);
    assert_true(p.base[STRATA_P_glitch] == 0.0f); /* the file's binding lost that channel */
    SEND(0xB0, 21, 127);
    assert_true(fabsf(p.base[STRATA_P_glitch] - 1.0f) < 1e-6f);
    strata_midi_destroy(m);
}

/* ---- map files: strict, with positions ----------------------------------------------- */

static void map_files_are_strict(void **state)
{
    (void)state;
    const struct {
        const char *text, *want;
    } bad[] = {
        {"{\"bindings\": [{\"cc\": 21, \"param\": \"glich\"}]}",
         "t.json:1:35: unknown parameter \"glich\" (did you mean \"glitch\"?)"},
        {"{\"bindings\": [\n {\"cc\": 128, \"param\": \"glitch\"}]}",
         "t.json:2:9: \"cc\" 128 is outside 0..127"},
        {"{\"bindings\": [{\"cc\": 1, \"param\": \"glitch\", \"colour\": 1}]}",
         "t.json:1:44: unknown key \"colour\" in \"a binding\""},
        {"{\"bindings\": [{\"note\": 1, \"trigger\": \"scene\"}]}",
         "trigger \"scene\" needs an \"index\""},
        {"{\"bindings\": [{\"note\": 1, \"trigger\": \"jump\"}]}", "unknown trigger \"jump\""},
        {"{\"bindings\": [{\"cc\": 1, \"note\": 2, \"param\": \"glitch\"}]}", "not two"},
        {"{\"bindings\": [{\"cc\": 1, \"param\": \"glitch\", \"channel\": 0}]}",
         "\"channel\" 0 is outside 1..16"},
        {"{\"bindings\": [{\"cc14\": 40, \"param\": \"glitch\"}]}", "outside 0..31"},
        {"{\"bindings\": [{\"cc\": 1, \"param\": \"glitch\", \"relative\": \"signed\"}]}",
         "unknown \"relative\""},
        {"{\"bindings\": [{\"cc\": 1.5, \"param\": \"glitch\"}]}", "a whole number"},
        {"{\"bindings\": {}}", "\"bindings\" must be an array"},
        {"[1]", "a MIDI map is a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strata_midi_map map;
        strata_result r = {0};
        assert_int_equal(strata_midi_map_parse(bad[i].text, strlen(bad[i].text), "t.json", &map,
                                               &r),
                         STRATA_ERR_FORMAT);
        if (!strstr(r.msg, bad[i].want))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, r.msg, bad[i].want);
    }
    /* A dynamic name (with a '/') is taken: it exists once its ISF scene runs. */
    strata_midi_map map;
    strata_result r = {0};
    const char *dyn = "{\"bindings\": [{\"cc\": 1, \"param\": \"isf/kaleido/sides\"}]}";
    assert_int_equal(strata_midi_map_parse(dyn, strlen(dyn), "t.json", &map, &r), STRATA_OK);
    assert_int_equal(map.n, 1);
}

static void preset_midi_round_trip(void **state)
{
    (void)state;
    const char *text = "{\"name\": \"a\", \"midi\": {\"bindings\": [\n"
                       "  {\"cc\": 21, \"channel\": 3, \"param\": \"glitch\", \"min\": 0.8, "
                       "\"max\": 0.1},\n"
                       "  {\"cc\": 16, \"relative\": \"offset\", \"param\": \"hue\", \"step\": "
                       "0.05},\n"
                       "  {\"note\": 60, \"trigger\": \"key\", \"index\": 3}]}}\n";
    strata_preset a, b;
    strata_result r = {0};
    assert_int_equal(strata_preset_parse(text, strlen(text), NULL, &a, &r), STRATA_OK);
    assert_int_equal(a.midi.n, 3);
    assert_int_equal(a.midi.b[0].channel, 2);
    assert_true(a.midi.b[0].has_lo && a.midi.b[0].lo == 0.8f);
    char *out;
    assert_int_equal(strata_preset_format(&a, "/tmp/x.json", &out, &r), STRATA_OK);
    assert_int_equal(strata_preset_parse(out, strlen(out), NULL, &b, &r), STRATA_OK);
    free(out);
    assert_int_equal(b.midi.n, 3);
    assert_memory_equal(&a.midi.b, &b.midi.b, sizeof a.midi.b);
    const char *bad = "{\"midi\": {\"bindings\": [{\"cc\": 1}]}}";
    assert_int_equal(strata_preset_parse(bad, strlen(bad), "p.json", &a, &r), STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "p.json:1:24: a binding needs one of \"param\" and \"trigger\""));
}

/* The tempo clock follows MIDI clock: tempo, the beat while running (never back at a
 * Start, the master's bar), the tempo only while stopped, its tempo held after. */
static void tempo_follows_midi_clock(void **state)
{
    (void)state;
    strata_tempo t;
    strata_tempo_init(&t, 120.0);
    strata_tempo_advance(&t, 0.0, NULL);
    strata_tempo_advance(&t, 10.0, NULL); /* 20 beats at 120 */
    assert_true(fabs(t.st.beat - 20.0) < 1e-9);
    strata_tempo_set_midi(&t, true, true, 174.0, 1.25);
    strata_tempo_advance(&t, 10.1, NULL);
    assert_int_equal(t.st.source, STRATA_TEMPO_MIDI);
    assert_true(t.st.bpm == 174.0);
    assert_true(t.st.beat >= 20.0 && fabs(t.st.bar_phase - 1.25 / 4) < 1e-6);
    double before = t.st.beat;
    strata_tempo_set_midi(&t, true, true, 174.0, 0.0); /* Start: the master goes to 0 */
    strata_tempo_advance(&t, 10.2, NULL);
    assert_true(t.st.beat >= before && t.st.bar_phase == 0.0f);
    char why[96];
    strata_tempo_reason(&t.st, why, sizeof why);
    assert_string_equal(why, "midi: clock 174.0, running");
    strata_tempo_set_midi(&t, true, false, 90.0, 0.0); /* stopped: tempo only, free-running */
    before = t.st.beat;
    strata_tempo_advance(&t, 11.2, NULL);
    assert_true(fabs(t.st.beat - before - 1.5) < 1e-9);
    strata_tempo_reason(&t.st, why, sizeof why);
    assert_string_equal(why, "midi: clock 90.0, stopped (tempo only)");
    strata_tempo_set_midi(&t, false, false, 0, 0); /* the clock went away: 90 holds */
    strata_tempo_advance(&t, 12.2, NULL);
    assert_int_equal(t.st.source, STRATA_TEMPO_INTERNAL);
    assert_true(t.st.bpm == 90.0);
    assert_string_equal(strata_tempo_source_name(STRATA_TEMPO_MIDI), "midi");
}

/* The map shipped as an example loads. */
static void shipped_example_map_loads(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/presets/controllers/midi-example.json",
             getenv("STRATA_SOURCE_DIR"));
    strata_midi_map map;
    strata_result r = {0};
    if (strata_midi_map_load(path, &map, &r) != STRATA_OK)
        fail_msg("%s", r.msg);
    assert_int_equal(map.n, 17);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parser_running_status_realtime_sysex),
        cmocka_unit_test(parser_junk_and_cut_messages),
        cmocka_unit_test(clock_fit_within_half_bpm),
        cmocka_unit_test(clock_fit_ignores_a_stall),
        cmocka_unit_test(clock_transport),
        cmocka_unit_test(mappings_move_parameters),
        cmocka_unit_test(learn_binds_next_control),
        cmocka_unit_test(map_files_are_strict),
        cmocka_unit_test(preset_midi_round_trip),
        cmocka_unit_test(shipped_example_map_loads),
        cmocka_unit_test(tempo_follows_midi_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
