/* control: two Ableton Link peers on loopback (two strata_control instances, each with its
 * own Link session object) agree on tempo within a second; strata's own tempo change
 * reaches the other peer. Link discovery is UDP multicast on the host's interfaces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>

#include "control/control.h"

static void frame(strata_control *c, strata_params *p)
{
    strata_control_frame f = {.params = p, .time = strata_time_s(), .dt = 0.01f};
    strata_control_apply(c, &f);
}

static void two_peers_agree_on_tempo(void **state)
{
    (void)state;
    strata_result r = {0};
    strata_control_config ca = {.osc_disabled = true, .bpm = 100, .link = true};
    strata_control_config cb = {.osc_disabled = true, .bpm = 90};
    strata_control *a = strata_control_create(&ca, &r);
    strata_control *b = strata_control_create(&cb, &r);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(strata_control_set_link(b, true));
    strata_params pa, pb;
    strata_params_init(&pa);
    strata_params_init(&pb);
    double t0 = strata_time_s();
    while (strata_time_s() - t0 < 10.0) {
        frame(a, &pa);
        frame(b, &pb);
        if (strata_control_tempo(a)->link_peers > 0 && strata_control_tempo(b)->link_peers > 0)
            break;
        strata_sleep_s(0.01);
    }
    if (strata_control_tempo(b)->link_peers == 0)
        fail_msg("the Link peers did not find each other in 10 s (multicast on this host?)");
    assert_int_equal(strata_control_tempo(a)->source, STRATA_TEMPO_LINK);
    /* A changes its tempo (as /strata/tempo/bpm does); B follows within a second */
    strata_control_set_bpm(a, 133.0);
    double t1 = strata_time_s();
    while (strata_time_s() - t1 < 1.0 && fabs(strata_control_tempo(b)->bpm - 133.0) > 0.01) {
        frame(a, &pa);
        frame(b, &pb);
        strata_sleep_s(0.01);
    }
    frame(a, &pa);
    frame(b, &pb);
    assert_true(fabs(strata_control_tempo(a)->bpm - 133.0) < 0.01);
    assert_true(fabs(strata_control_tempo(b)->bpm - 133.0) < 0.01);
    /* and the beat: captured a moment apart, so within a few ms of beats */
    double da = strata_control_tempo(a)->beat, db = strata_control_tempo(b)->beat;
    double d = fabs(fmod(da - db + 0.5, 1.0) - 0.5);
    assert_true(d < 0.05);
    strata_control_destroy(a);
    strata_control_destroy(b);
}

int main(void)
{
    strata_log_set_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_peers_agree_on_tempo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
