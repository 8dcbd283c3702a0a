/* preset: hot reload through the watcher thread. An edit is handed over, a broken edit is
 * logged once with its position and not handed over, the fix is handed over again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preset/preset.h"

static char dir[1024];

static void write_file(const char *path, const char *text)
{
    strata_result r = {0};
    assert_int_equal(strata_file_write_atomic(path, text, strlen(text), &r), STRATA_OK);
}

/* Poll like the render thread would, up to `seconds`. */
static bool wait_poll(strata_preset_watch *w, int *index, strata_preset *p, double seconds)
{
    double end = strata_time_s() + seconds;
    while (strata_time_s() < end) {
        if (strata_preset_watch_poll(w, index, p))
            return true;
        strata_sleep_s(0.01);
    }
    return false;
}

static bool wait_errors(strata_preset_watch *w, uint64_t n, double seconds)
{
    double end = strata_time_s() + seconds;
    while (strata_time_s() < end && strata_preset_watch_errors(w) < n)
        strata_sleep_s(0.01);
    return strata_preset_watch_errors(w) >= n;
}

static void edit_break_fix(void **state)
{
    (void)state;
    char a[1100], b[1100], logp[1100];
    snprintf(a, sizeof a, "%s/a.json", dir);
    snprintf(b, sizeof b, "%s/b.json", dir);
    snprintf(logp, sizeof logp, "%s/watch.log", dir);
    unlink(logp);
    strata_result r = {0};
    assert_int_equal(strata_log_open_file(logp, 0, &r), STRATA_OK);
    write_file(a, "{\"params\": {\"glitch\": 0.1}}");
    write_file(b, "{\"params\": {\"drift\": 0.1}}");

    const char *paths[2] = {a, b};
    strata_preset_watch *w = strata_preset_watch_start(paths, 2);
    assert_non_null(w);
    int index = -1;
    strata_preset p;
    assert_false(strata_preset_watch_poll(w, &index, &p)); /* nothing changed yet */

    /* Written right after start: the stamps were taken in start, so it is seen. */
    write_file(b, "{\"params\": {\"drift\": 0.8}}");
    assert_true(wait_poll(w, &index, &p, 3.0));
    assert_int_equal(index, 1);
    assert_true(p.has_param[STRATA_P_drift] && p.param[STRATA_P_drift] == 0.8f);
    assert_string_equal(p.name, "b");

    write_file(a, "{\"params\": {\"glitch\": 0.7}}");
    assert_true(wait_poll(w, &index, &p, 3.0));
    assert_int_equal(index, 0);
    assert_true(p.param[STRATA_P_glitch] == 0.7f);

    /* Broken: reported (once, with file:line:column), nothing handed over. */
    write_file(a, "{\n  \"params\": {\n    \"glich\": 0.9\n  }\n}");
    assert_true(wait_errors(w, 1, 3.0));
    strata_sleep_s(0.6); /* two more watch rounds: no second report, no hand-over */
    assert_int_equal(strata_preset_watch_errors(w), 1);
    assert_false(strata_preset_watch_poll(w, &index, &p));
    char *log = NULL;
    size_t len;
    assert_int_equal(strata_file_read(logp, &log, &len, 0, &r), STRATA_OK);
    char want[1400];
    snprintf(want, sizeof want, "%s:3:5: unknown key \"glich\" in \"params\"", a);
    assert_non_null(strstr(log, want));
    assert_null(strstr(strstr(log, want) + 1, want)); /* logged once */
    free(log);

    /* Fixed: handed over. */
    write_file(a, "{\n  \"params\": {\n    \"glitch\": 0.3\n  }\n}");
    assert_true(wait_poll(w, &index, &p, 3.0));
    assert_int_equal(index, 0);
    assert_true(p.param[STRATA_P_glitch] == 0.3f);
    assert_false(strata_preset_watch_poll(w, &index, &p));
    assert_int_equal(strata_preset_watch_errors(w), 1);

    double t0 = strata_time_s();
    strata_preset_watch_stop(w);
    assert_true(strata_time_s() - t0 < 0.5);
    strata_log_open_file(NULL, 0, &r);
}

/* Two edits before the render thread looks: only the newer one arrives. */
static void unclaimed_result_is_replaced(void **state)
{
    (void)state;
    char a[1100];
    snprintf(a, sizeof a, "%s/c.json", dir);
    write_file(a, "{\"seed\": 1}");
    const char *paths[1] = {a};
    strata_preset_watch *w = strata_preset_watch_start(paths, 1);
    assert_non_null(w);
    write_file(a, "{\"seed\": 2}");
    strata_sleep_s(0.8);
    write_file(a, "{\"seed\": 3}");
    strata_sleep_s(0.8);
    int index;
    strata_preset p;
    assert_true(strata_preset_watch_poll(w, &index, &p));
    assert_int_equal(p.seed, 3);
    assert_false(strata_preset_watch_poll(w, &index, &p));
    strata_preset_watch_stop(w);
    strata_preset_watch_stop(NULL);
}

/* A preset replaced by a FIFO while watched: the reload is refused at once and logged
 * (reading it used to block the watcher forever, and quit then hung in the join). */
static void fifo_in_place_of_a_preset(void **state)
{
    (void)state;
    char a[1100];
    snprintf(a, sizeof a, "%s/fifo.json", dir);
    unlink(a);
    write_file(a, "{\"seed\": 1}");
    const char *paths[1] = {a};
    strata_preset_watch *w = strata_preset_watch_start(paths, 1);
    assert_non_null(w);
    assert_int_equal(unlink(a), 0);
    assert_int_equal(mkfifo(a, 0600), 0);
    assert_true(wait_errors(w, 1, 5.0));
    int index;
    strata_preset p;
    assert_false(strata_preset_watch_poll(w, &index, &p));
    strata_preset_watch_stop(w); /* returns: the watcher is not stuck in open */
    strata_result r = {0};
    assert_int_not_equal(strata_preset_load(a, &p, &r), STRATA_OK);
    assert_non_null(strstr(r.msg, "fifo.json: not a regular file (a FIFO)"));
    unlink(a);
}

int main(void)
{
    const char *b = getenv("STRATA_BINARY_DIR");
    snprintf(dir, sizeof dir, "%s/test_preset_watch_tmp", b ? b : ".");
    strata_result r = {0};
    if (strata_file_mkdirs(dir, &r) != STRATA_OK)
        return 1;
    strata_log_set_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edit_break_fix),
        cmocka_unit_test(unclaimed_result_is_replaced),
        cmocka_unit_test(fifo_in_place_of_a_preset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
