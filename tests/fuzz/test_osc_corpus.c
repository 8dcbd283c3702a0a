/* Replays the fuzz corpus (tests/fuzz/corpus) and every truncation of each file through
 * the OSC entry point the server thread uses. good_* files are accepted without error,
 * bad_* files are refused with an error; nothing crashes, values stay in range. Run under
 * the sanitizers in Debug builds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/control.h"
#include "support/corpus.h"

typedef struct replay {
    strata_control *ctl;
    strata_params p;
    struct sockaddr_in from;
    int good, bad;
} replay;

static void replay_file(const char *name, char *data, size_t len, void *user)
{
    replay *rp = user;
    strata_control *ctl = rp->ctl;
    const struct sockaddr_in *from = &rp->from;
    strata_control_stats before, after;
    strata_control_stats_get(ctl, &before);
    strata_osc_handle_packet(ctl, data, len, from, sizeof *from);
    strata_control_stats_get(ctl, &after);
    if (strncmp(name, "good_", 5) == 0) {
        if (after.errors != before.errors)
            fail_msg("%s: refused", name);
        rp->good++;
    } else if (strncmp(name, "bad_", 4) == 0) {
        if (after.errors == before.errors)
            fail_msg("%s: accepted", name);
        rp->bad++;
    }
    /* every truncation and a flipped byte at every position: no crash */
    for (size_t n = 0; n < len; n++)
        strata_osc_handle_packet(ctl, data, n, from, sizeof *from);
    for (size_t i = 0; i < len && i < 512; i++) {
        data[i] ^= 0x5a;
        strata_osc_handle_packet(ctl, data, len, from, sizeof *from);
        data[i] ^= 0x5a;
    }
    strata_control_frame f = {.params = &rp->p, .time = strata_time_s(), .dt = 1 / 60.0f};
    strata_control_apply(ctl, &f);
}

static void replay_corpus(void **state)
{
    (void)state;
    char shots[64] = "/tmp/strata-corpus-XXXXXX"; /* empty: no name in it is taken */
    assert_non_null(mkdtemp(shots));
    strata_control_config cfg = {.osc_disabled = true, .screenshot_dir = shots};
    strata_result r = {0};
    replay rp = {.ctl = strata_control_create(&cfg, &r)};
    strata_control *ctl = rp.ctl;
    assert_non_null(ctl);
    strata_params_init(&rp.p);
    rp.from = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(9)};
    rp.from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int files = test_corpus_each("tests/fuzz/corpus", replay_file, &rp);
    for (int i = 0; i < STRATA_PARAM_COUNT; i++) {
        assert_true(isfinite(rp.p.value[i]));
        assert_true(rp.p.base[i] >= strata_param_defs[i].min);
        assert_true(rp.p.base[i] <= strata_param_defs[i].max);
    }
    assert_true(files >= 20 && rp.good >= 5 && rp.bad >= 10);
    strata_control_destroy(ctl);
    rmdir(shots);
}

int main(void)
{
    strata_log_set_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
