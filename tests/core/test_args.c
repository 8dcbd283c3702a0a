/* The shared command-line parser (core/args.c), child processes started without a
 * shell and the stop signals (core/proc.c): real processes, real files, real signals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"

#define OPT(n, k, d) .name = (n), .kind = (k), .dst = (d)

typedef struct opts {
    bool flag;
    const char *str;
    int i;
    long l;
    uint64_t u;
    double d;
    int size[2];
    const char *items[3];
    strata_arg_list list;
    bool i_given;
} opts;

static strata_status run(opts *o, const char **pos, int *npos, strata_result *r, int argc,
                         char **argv)
{
    memset(o, 0, sizeof *o);
    o->list = (strata_arg_list){.items = o->items, .cap = 3};
    const strata_arg t[] = {
        {OPT("--flag", STRATA_ARG_FLAG, &o->flag), .alias = "-f"},
        {OPT("--str", STRATA_ARG_STR, &o->str)},
        {OPT("--int", STRATA_ARG_INT, &o->i), .lo = 8000, .hi = 384000, .given = &o->i_given},
        {OPT("--long", STRATA_ARG_LONG, &o->l), .lo = -5, .hi = 5},
        {OPT("--u64", STRATA_ARG_U64, &o->u)},
        {OPT("--num", STRATA_ARG_DOUBLE, &o->d), .lo = 0, .hi = 1},
        {OPT("--size", STRATA_ARG_SIZE, o->size)},
        {OPT("--set", STRATA_ARG_LIST, &o->list)},
    };
    strata_args_desc d = {.prog = "prog",
                          .table = t,
                          .count = 8,
                          .start = 1,
                          .positional = pos,
                          .max_positional = 1,
                          .npositional = npos};
    return strata_args_parse(&d, argc, argv, r);
}

#define ARGS(...)                                                                                  \
    (char *[])                                                                                     \
    {                                                                                              \
        "prog", __VA_ARGS__                                                                        \
    }
#define NARGS(...) (int)(sizeof((char *[]){"prog", __VA_ARGS__}) / sizeof(char *))
#define PARSE(...) run(&o, pos, &npos, &r, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__))

static void test_both_spellings(void **state)
{
    (void)state;
    opts o;
    const char *pos[1];
    int npos;
    strata_result r = {0};
    assert_int_equal(PARSE("--int=48000", "--str", "a b", "-f", "--size=64x36", "--num", "0.5",
                           "--u64=18446744073709551615", "preset.json"),
                     STRATA_OK);
    assert_int_equal(o.i, 48000);
    assert_true(o.i_given);
    assert_string_equal(o.str, "a b");
    assert_true(o.flag);
    assert_int_equal(o.size[0], 64);
    assert_int_equal(o.size[1], 36);
    assert_true(o.d == 0.5);
    assert_true(o.u == UINT64_MAX);
    assert_int_equal(npos, 1);
    assert_string_equal(pos[0], "preset.json");
    /* "--" ends the options: what follows is positional even with a dash. */
    assert_int_equal(PARSE("--", "--flag"), STRATA_OK);
    assert_false(o.flag);
    assert_string_equal(pos[0], "--flag");
    /* A value that starts with a dash is still the value. */
    assert_int_equal(PARSE("--long", "-5"), STRATA_OK);
    assert_int_equal(o.l, -5);
}

static void expect_error(opts *o, int argc, char **argv, const char *needle1, const char *needle2)
{
    const char *pos[1];
    int npos;
    strata_result r = {0};
    assert_int_equal(run(o, pos, &npos, &r, argc, argv), STRATA_ERR_ARG);
    assert_int_equal(r.status, STRATA_ERR_ARG);
    if (!strstr(r.msg, needle1) || (needle2 && !strstr(r.msg, needle2)))
        fail_msg("message \"%s\" lacks \"%s\" / \"%s\"", r.msg, needle1, needle2 ? needle2 : "");
    assert_non_null(strstr(r.msg, "prog: "));
}

#define ERR(n1, n2, ...) expect_error(&o, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__), n1, n2)

static void test_errors_name_the_argument(void **state)
{
    (void)state;
    opts o;
    ERR("unknown option --bogus", NULL, "--bogus");
    ERR("unknown option --bogus", NULL, "--bogus=3");
    ERR("--int 1", "8000..384000", "--int", "1");    /* out of range, says the range */
    ERR("--int 7999", "8000..384000", "--int=7999"); /* one below */
    ERR("--int 48000.5", "whole number", "--int", "48000.5");
    ERR("--int 4e4", "whole number", "--int", "4e4");
    ERR("--int  48000", "whole number", "--int", " 48000"); /* leading space */
    ERR("--int 99999999999999999999", NULL, "--int", "99999999999999999999");
    ERR("--long x", "-5..5", "--long", "x");
    ERR("--u64 -1", "0 or more", "--u64", "-1"); /* strtoull would wrap it */
    ERR("--num nan", "0..1", "--num", "nan");
    ERR("--num inf", NULL, "--num", "inf");
    ERR("--num 1.5", NULL, "--num", "1.5");
    ERR("--num 0.5x", NULL, "--num", "0.5x");
    ERR("--str: the value is empty", NULL, "--str", "");
    ERR("--str needs a value", NULL, "--str");
    ERR("--flag takes no value", NULL, "--flag=yes");
    ERR("--size 12x", "WxH", "--size", "12x");
    ERR("--size -5x5", "WxH", "--size", "-5x5");
    ERR("--size 0x5", "WxH", "--size", "0x5");
    ERR("--size 16384x16384", "8192", "--size", "16384x16384");
    ERR("--size 8193x2", "8192", "--size=8193x2");
    ERR("unexpected argument two", NULL, "one", "two");
    /* A repeatable option past its capacity is an error, never a silent drop. */
    ERR("--set d", "more than 3", "--set", "a", "--set", "b", "--set", "c", "--set", "d");
}

static void test_limits_accepted(void **state)
{
    (void)state;
    opts o;
    const char *pos[1];
    int npos;
    strata_result r = {0};
    assert_int_equal(
        PARSE("--size", "8192x8192", "--int", "384000", "--set", "a", "--set", "b", "--set", "c"),
        STRATA_OK);
    assert_int_equal(o.size[0], 8192);
    assert_int_equal(o.list.count, 3);
    assert_string_equal(o.items[2], "c");
}

/* ---- proc --------------------------------------------------------------------- */

static char dir[256];

static int in_tmp_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/strata-args-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    return chdir(dir);
}

static int out_of_tmp_dir(void **state)
{
    (void)state;
    if (chdir("/tmp") != 0)
        return -1;
    return rmdir(dir); /* the tests left nothing behind */
}

static void test_argv_is_not_a_shell(void **state)
{
    (void)state;
    const char *name = "a;touch PWNED;'$(touch x)`touch y`";
    const char *argv[] = {"touch", name, NULL};
    strata_result r = {0};
    strata_proc *p = strata_proc_spawn(&(strata_proc_desc){.argv = argv}, &r);
    assert_non_null(p);
    int status = -1;
    assert_true(strata_proc_wait(p, 10.0, &status));
    assert_int_equal(status, 0);
    strata_proc_destroy(p);
    struct stat st;
    assert_int_equal(stat(name, &st), 0); /* the one file, named exactly so */
    assert_int_not_equal(stat("PWNED", &st), 0);
    assert_int_not_equal(stat("x", &st), 0);
    assert_int_not_equal(stat("y", &st), 0);
    unlink(name);
}

static void test_early_exit_is_reported_not_sigpipe(void **state)
{
    (void)state;
    strata_signals_install(); /* ignores SIGPIPE: without it this test dies with 141 */
    /* A child that reads a little, complains and exits 3, like ffmpeg refusing a path. */
    const char *argv[] = {"sh", "-c",
                          "head -c 100 >/dev/null; echo 'cannot open out: No such "
                          "file' >&2; exit 3",
                          NULL};
    strata_result r = {0};
    strata_proc *p = strata_proc_spawn(&(strata_proc_desc){.argv = argv, .pipe_stdin = true}, &r);
    assert_non_null(p);
    static uint8_t frame[1 << 20];
    strata_status st = STRATA_OK;
    for (int i = 0; i < 64 && st == STRATA_OK; i++)
        st = strata_proc_write(p, frame, sizeof frame, 30.0, &r);
    assert_int_equal(st, STRATA_ERR_IO);
    assert_non_null(strstr(r.msg, "stopped reading"));
    int status = 0;
    strata_proc_close_stdin(p);
    assert_true(strata_proc_wait(p, 10.0, &status));
    char ex[64], tail[512] = "";
    strata_proc_describe_exit(status, ex, sizeof ex);
    assert_string_equal(ex, "exit code 3");
    /* The tail is read by a thread: it is complete once the pipe reached EOF, which the
     * exit implies for a child that started nothing else; wait for it boundedly. */
    for (int i = 0; i < 500 && !strstr(tail, "No such file"); i++) {
        strata_proc_stderr_tail(p, tail, sizeof tail);
        if (!strstr(tail, "No such file"))
            usleep(10000);
    }
    assert_string_equal(tail, "cannot open out: No such file");
    strata_proc_destroy(p);
}

static void test_stdout_and_path(void **state)
{
    (void)state;
    char path[4096];
    assert_true(strata_find_program("sh", path, sizeof path));
    assert_true(path[0] == '/');
    assert_false(strata_find_program("strata-no-such-program", path, sizeof path));
    assert_false(strata_find_program("", path, sizeof path));
    const char *argv[] = {"echo", "12345", NULL};
    strata_result r = {0};
    strata_proc *p = strata_proc_spawn(&(strata_proc_desc){.argv = argv, .pipe_stdout = true}, &r);
    assert_non_null(p);
    char buf[32] = {0};
    ssize_t n = 0, k;
    while ((k = read(strata_proc_stdout_fd(p), buf + n, sizeof buf - 1 - (size_t)n)) > 0)
        n += k;
    assert_string_equal(buf, "12345\n");
    strata_proc_destroy(p);
    const char *none[] = {"strata-no-such-program", NULL};
    assert_null(strata_proc_spawn(&(strata_proc_desc){.argv = none}, &r));
    assert_non_null(strstr(r.msg, "strata-no-such-program: not found"));
}

static void test_destroy_kills_and_reaps(void **state)
{
    (void)state;
    const char *argv[] = {"sleep", "60", NULL};
    strata_result r = {0};
    strata_proc *p = strata_proc_spawn(&(strata_proc_desc){.argv = argv}, &r);
    assert_non_null(p);
    int pid = strata_proc_pid(p);
    assert_true(strata_proc_running(p));
    assert_false(strata_proc_wait(p, 0.05, NULL)); /* bounded: it still runs */
    strata_proc_destroy(p);
    /* Reaped: no zombie is left for this pid. */
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
}

static void test_stop_signals_set_the_flag(void **state)
{
    (void)state;
    strata_signals_install();
    strata_signal_set_hard_exit(false);
    strata_signal_reset();
    assert_int_equal(strata_signal_stop_requested(), 0);
    raise(SIGTERM);
    assert_int_equal(strata_signal_stop_requested(), SIGTERM);
    raise(SIGINT);
    raise(SIGHUP);
    assert_int_equal(strata_signal_stop_requested(), SIGTERM); /* the first one */
    assert_int_equal(strata_signal_count(), 3);
    raise(SIGPIPE); /* ignored */
    strata_signal_reset();
    strata_signal_set_hard_exit(true);
}

/* A second stop signal ends the process at once, whatever the first is waiting for. */
static void test_second_signal_ends_promptly(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        strata_signals_install();
        raise(SIGTERM);
        raise(SIGTERM);
        _exit(0); /* not reached */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 128 + SIGTERM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_spellings),
        cmocka_unit_test(test_errors_name_the_argument),
        cmocka_unit_test(test_limits_accepted),
        cmocka_unit_test(test_argv_is_not_a_shell),
        cmocka_unit_test(test_early_exit_is_reported_not_sigpipe),
        cmocka_unit_test(test_stdout_and_path),
        cmocka_unit_test(test_destroy_kills_and_reaps),
        cmocka_unit_test(test_stop_signals_set_the_flag),
        cmocka_unit_test(test_second_signal_ends_promptly),
    };
    return cmocka_run_group_tests(tests, in_tmp_dir, out_of_tmp_dir);
}
