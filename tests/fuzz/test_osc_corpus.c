/* Replays the fuzz corpus (tests/fuzz/corpus) and every truncation of each file through
 * the OSC entry point the server thread uses. good_* files are accepted without error,
 * bad_* files are refused with an error; nothing crashes, values stay in range. Run under
 * the sanitizers in Debug builds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/control.h"

static void replay_corpus(void **state)
{
    (void)state;
    const char *src = getenv("STRATA_SOURCE_DIR");
    assert_non_null(src);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus", src);
    DIR *d = opendir(dir);
    assert_non_null(d);
    char shots[64] = "/tmp/strata-corpus-XXXXXX"; /* empty: no name in it is taken */
    assert_non_null(mkdtemp(shots));
    strata_control_config cfg = {.osc_disabled = true, .screenshot_dir = shots};
    strata_result r = {0};
    strata_control *ctl = strata_control_create(&cfg, &r);
    assert_non_null(ctl);
    strata_params p;
    strata_params_init(&p);
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(9)};
    from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int files = 0, good = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *data;
        size_t len;
        assert_int_equal(strata_file_read(path, &data, &len, 1 << 20, &r), STRATA_OK);
        strata_control_stats before, after;
        strata_control_stats_get(ctl, &before);
        strata_osc_handle_packet(ctl, data, len, &from, sizeof from);
        strata_control_stats_get(ctl, &after);
        if (strncmp(e->d_name, "good_", 5) == 0) {
            if (after.errors != before.errors)
                fail_msg("%s: refused", e->d_name);
            good++;
        } else if (strncmp(e->d_name, "bad_", 4) == 0) {
            if (after.errors == before.errors)
                fail_msg("%s: accepted", e->d_name);
            bad++;
        }
        /* every truncation and a flipped byte at every position: no crash */
        for (size_t n = 0; n < len; n++)
            strata_osc_handle_packet(ctl, data, n, &from, sizeof from);
        for (size_t i = 0; i < len && i < 512; i++) {
            data[i] ^= 0x5a;
            strata_osc_handle_packet(ctl, data, len, &from, sizeof from);
            data[i] ^= 0x5a;
        }
        strata_control_frame f = {.params = &p, .time = strata_time_s(), .dt = 1 / 60.0f};
        strata_control_apply(ctl, &f);
        free(data);
        files++;
    }
    closedir(d);
    for (int i = 0; i < STRATA_PARAM_COUNT; i++) {
        assert_true(isfinite(p.value[i]));
        assert_true(p.base[i] >= strata_param_defs[i].min);
        assert_true(p.base[i] <= strata_param_defs[i].max);
    }
    assert_true(files >= 20 && good >= 5 && bad >= 10);
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
