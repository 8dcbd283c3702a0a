/* control: the parameter registry, --set parsing and smoothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "control/control.h"

static void registry_finds_and_clamps(void **state)
{
    (void)state;
    strata_params p;
    strata_params_init(&p);
    int g = strata_param_find("glitch");
    assert_int_equal(g, STRATA_P_glitch);
    assert_int_equal(strata_param_find("nope"), -1);
    strata_params_set(&p, g, 5.0f, true);
    assert_true(p.base[g] == 1.0f);
    strata_params_set(&p, g, NAN, true);
    assert_true(p.base[g] == 1.0f);
    strata_params_set(&p, g, -1.0f, true);
    strata_params_update(&p, 0.016f);
    assert_true(p.value[g] == 0.0f);
}

static void set_arg_parses_and_reports(void **state)
{
    (void)state;
    strata_params p;
    strata_params_init(&p);
    strata_result r = {0};
    assert_true(strata_params_set_arg(&p, "drift=0.75", &r));
    assert_true(fabsf(p.base[STRATA_P_drift] - 0.75f) < 1e-6f);
    assert_false(strata_params_set_arg(&p, "drift", &r));
    assert_false(strata_params_set_arg(&p, "wobble=1", &r));
    assert_non_null(strstr(r.msg, "wobble"));
    assert_false(strata_params_set_arg(&p, "drift=abc", &r));
    assert_non_null(strstr(r.msg, "abc"));
}

static void smoothing_converges(void **state)
{
    (void)state;
    strata_params p;
    strata_params_init(&p);
    int id = STRATA_P_brightness; /* smooth 0.1 s */
    strata_params_set(&p, id, 2.0f, false);
    strata_params_update(&p, 1.0f / 60.0f);
    assert_true(p.value[id] > 1.0f && p.value[id] < 2.0f);
    for (int i = 0; i < 120; i++)
        strata_params_update(&p, 1.0f / 60.0f);
    assert_true(fabsf(p.value[id] - 2.0f) < 1e-4f);
    p.mod[id] = -0.25f; /* a quarter of the 0..2 range */
    strata_params_update(&p, 1.0f / 60.0f);
    assert_true(fabsf(p.value[id] - 1.5f) < 1e-4f);
}

static strata_param_info info_of(const char *name, strata_param_kind kind, float lo, float hi,
                                 float def)
{
    strata_param_info in = {.min = lo, .max = hi, .def = def, .kind = kind};
    snprintf(in.name, sizeof in.name, "%s", name);
    snprintf(in.owner, sizeof in.owner, "test");
    return in;
}

/* A registered parameter is found, set, smoothed and clamped like a fixed one, and every
 * strata_params starts it at its default; unregistered, it is gone everywhere. */
static void dynamic_parameter_lives_and_goes(void **state)
{
    (void)state;
    strata_params p;
    strata_params_init(&p);
    strata_result r = {0};
    uint32_t gen = strata_param_generation();
    strata_param_info in = info_of("isf/kaleido/sides", STRATA_PARAM_FLOAT, 1.0f, 12.0f, 6.0f);
    in.smooth_s = 0.1f;
    int id = strata_param_register(&in, &r);
    assert_true(id >= STRATA_PARAM_COUNT && id < STRATA_PARAM_MAX);
    assert_int_not_equal(strata_param_generation(), gen);
    assert_int_equal(strata_param_find("isf/kaleido/sides"), id);
    assert_true(strata_param_live(id));
    strata_param_info got;
    assert_true(strata_param_get(id, &got));
    assert_string_equal(got.name, "isf/kaleido/sides");
    assert_string_equal(got.owner, "test");
    assert_true(got.max == 12.0f);
    strata_params_update(&p, 0.016f);
    assert_true(p.value[id] == 6.0f); /* the default, in a params made before it came */
    assert_true(strata_params_set_arg(&p, "isf/kaleido/sides=40", &r));
    strata_params_update(&p, 0.016f);
    assert_true(p.value[id] == 12.0f); /* clamped, snapped */
    strata_params_set(&p, id, 1.0f, false);
    strata_params_update(&p, 0.016f);
    assert_true(p.value[id] > 1.0f && p.value[id] < 12.0f); /* smoothed */

    strata_param_unregister(id);
    assert_false(strata_param_live(id));
    assert_false(strata_param_get(id, &got));
    assert_int_equal(strata_param_find("isf/kaleido/sides"), -1);
    assert_null(strata_param_def_of(id));
    assert_false(strata_params_set_arg(&p, "isf/kaleido/sides=3", &r));

    /* The same name again gets a fresh slot: the old value does not come back. */
    int id2 = strata_param_register(&in, &r);
    assert_true(id2 >= STRATA_PARAM_COUNT);
    assert_int_not_equal(id2, id); /* the id freed last is reused last */
    strata_params_update(&p, 0.016f);
    assert_true(p.value[id2] == 6.0f);
    strata_param_unregister(id2);
}

static void dynamic_kinds_round_and_fire_once(void **state)
{
    (void)state;
    strata_params p;
    strata_params_init(&p);
    strata_result r = {0};
    strata_param_info in = info_of("t/count", STRATA_PARAM_INT, 0.0f, 5.0f, 2.0f);
    int n = strata_param_register(&in, &r);
    in = info_of("t/on", STRATA_PARAM_BOOL, 0.0f, 1.0f, 0.0f);
    int b = strata_param_register(&in, &r);
    in = info_of("t/fire", STRATA_PARAM_EVENT, 0.0f, 1.0f, 0.0f);
    int ev = strata_param_register(&in, &r);
    assert_true(n >= 0 && b >= 0 && ev >= 0);
    strata_params_set(&p, n, 3.4f, true);
    strata_params_set(&p, b, 0.7f, true);
    strata_params_set(&p, ev, 1.0f, true);
    strata_params_update(&p, 0.016f);
    assert_true(p.value[n] == 3.0f);
    assert_true(p.value[b] == 1.0f);
    assert_true(p.value[ev] == 1.0f);
    strata_params_update(&p, 0.016f);
    assert_true(p.value[ev] == 0.0f); /* one frame, then off */
    assert_true(p.value[n] == 3.0f && p.value[b] == 1.0f);
    strata_param_unregister(n);
    strata_param_unregister(b);
    strata_param_unregister(ev);
}

static void dynamic_names_are_checked(void **state)
{
    (void)state;
    strata_result r = {0};
    const char *bad[] = {"", "glitch", "Caps", "a//b", "/lead", "trail/", "scene/x", "tempo",
                         "midi/learn", "sp ace", "a.b", "state"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strata_param_info in = info_of(bad[i], STRATA_PARAM_FLOAT, 0.0f, 1.0f, 0.5f);
        r.msg[0] = 0;
        assert_int_equal(strata_param_register(&in, &r), -1);
        assert_true(r.msg[0] != 0);
    }
    strata_param_info in = info_of("ok/range", STRATA_PARAM_FLOAT, 1.0f, 1.0f, 1.0f);
    assert_int_equal(strata_param_register(&in, &r), -1); /* min == max */
    in = info_of("ok/range", STRATA_PARAM_FLOAT, 0.0f, 1.0f, 2.0f);
    assert_int_equal(strata_param_register(&in, &r), -1); /* default outside */
    in = info_of("ok/range", STRATA_PARAM_FLOAT, 0.0f, 1.0f, 0.5f);
    int id = strata_param_register(&in, &r);
    assert_true(id >= 0);
    assert_int_equal(strata_param_register(&in, &r), -1); /* taken */
    assert_non_null(strstr(r.msg, "exists"));
    strata_param_unregister(id);

    /* The table is finite and says so. */
    int ids[STRATA_PARAM_DYN_MAX];
    for (int i = 0; i < STRATA_PARAM_DYN_MAX; i++) {
        char name[32];
        snprintf(name, sizeof name, "fill/p%d", i);
        in = info_of(name, STRATA_PARAM_FLOAT, 0.0f, 1.0f, 0.5f);
        ids[i] = strata_param_register(&in, &r);
        assert_true(ids[i] >= STRATA_PARAM_COUNT);
    }
    in = info_of("fill/one_more", STRATA_PARAM_FLOAT, 0.0f, 1.0f, 0.5f);
    assert_int_equal(strata_param_register(&in, &r), -1);
    assert_non_null(strstr(r.msg, "in use"));
    for (int i = 0; i < STRATA_PARAM_DYN_MAX; i++)
        strata_param_unregister(ids[i]);
}

/* Readers on another thread (OSC, OSCQuery) never see a torn entry while the render thread
 * registers and unregisters: every name found reads back whole. */
static atomic_bool stop_reader;
static void *reader(void *arg)
{
    long *bad = arg;
    while (!atomic_load(&stop_reader)) {
        int id = strata_param_find("race/a");
        strata_param_info in;
        if (id >= 0 && strata_param_get(id, &in) && strcmp(in.name, "race/a") != 0 &&
            strcmp(in.name, "race/b") != 0)
            (*bad)++;
        for (int i = STRATA_PARAM_COUNT; i < STRATA_PARAM_COUNT + 4; i++)
            if (strata_param_get(i, &in) && in.name[0] != 'r')
                (*bad)++;
    }
    return NULL;
}

static void dynamic_reads_are_whole_across_threads(void **state)
{
    (void)state;
    long bad = 0;
    pthread_t t;
    atomic_store(&stop_reader, false);
    assert_int_equal(pthread_create(&t, NULL, reader, &bad), 0);
    strata_result r = {0};
    for (int k = 0; k < 20000; k++) {
        strata_param_info in = info_of(k & 1 ? "race/a" : "race/b", STRATA_PARAM_FLOAT, 0.0f,
                                       1.0f, 0.5f);
        int id = strata_param_register(&in, &r);
        assert_true(id >= 0);
        strata_param_unregister(id);
    }
    atomic_store(&stop_reader, true);
    pthread_join(t, NULL);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_finds_and_clamps),
        cmocka_unit_test(set_arg_parses_and_reports),
        cmocka_unit_test(smoothing_converges),
        cmocka_unit_test(dynamic_parameter_lives_and_goes),
        cmocka_unit_test(dynamic_kinds_round_and_fire_once),
        cmocka_unit_test(dynamic_names_are_checked),
        cmocka_unit_test(dynamic_reads_are_whole_across_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
