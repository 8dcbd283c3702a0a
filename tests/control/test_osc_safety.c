/* control: show-safety of the OSC server (issue 9) against a real server over UDP and
 * TCP on 127.0.0.0/8: screenshot names, folder, rate and disk budget, and the writer that
 * never replaces a file; nested future bundles and the bound on a sender's waiting work;
 * TCP slots, timeouts, eviction and the allowlist at accept; subscriptions: allowlist,
 * caps and expiry; number arguments at odd alignments (Debug runs this under UBSan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "control/control.h"
#include "osc_fixture.h"
#include "render/render.h"

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

/* Run frames until the next reply on fx->fd that is not feedback is a pong. */
static void ping_pong(fixture *fx)
{
    oc_buf b = {.n = 0};
    oc_msg(&b, "/strata/ping", "");
    oc_send(fx->fd, fx->port, b.d, b.n);
    oc_reply r;
    do {
        assert_true(reply_on(fx, fx->fd, &r));
    } while (strncmp(r.path, "/strata/state/", 14) == 0 ||
             strncmp(r.path, "/strata/audio/", 14) == 0);
    assert_string_equal(r.path, "/strata/pong");
}

static void expect_error(fixture *fx, int fd, const void *d, size_t n, const char *want)
{
    oc_send(fd, fx->port, d, n);
    oc_reply r;
    assert_true(reply_on(fx, fd, &r));
    if (strcmp(r.path, "/strata/error") != 0 || !strstr(r.s, want))
        fail_msg("got %s '%s', want an error with '%s'", r.path, r.s, want);
}

static void shot(oc_buf *b, const char *name)
{
    b->n = 0;
    if (name)
        oc_msg(b, "/strata/screenshot", "s", name);
    else
        oc_msg(b, "/strata/screenshot", "");
}

/* A UDP socket bound to ip (any address of 127.0.0.0/8 is local on Linux). */
static int udp_at(const char *ip)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &a.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* ---- screenshots ----------------------------------------------------------------- */

static void screenshot_names_refused(void **state)
{
    (void)state;
    fixture *fx = make(NULL);
    oc_buf *b = calloc(1, sizeof *b);
    const char *bad[][2] = {
        {"../x.png", "'/'"},          {"/etc/x.png", "'/'"},
        {"a/b.png", "'/'"},           {".hidden.png", "start with '.'"},
        {"x.txt", "end in .png"},     {"x.png.sh", "end in .png"},
        {"a b.png", "only letters"},  {"", "empty"},
        {"..", "start with '.'"},     {".png", "start with '.'"},
        {"x\\y.png", "only letters"}, {"%s%n.png", "only letters"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        shot(b, bad[i][0]);
        expect_error(fx, fx->fd, b->d, b->n, bad[i][1]);
    }
    pump(fx, 20);
    assert_int_equal(fx->nseen, 0);
    assert_int_equal(count_files(fx->shots), 0);
    assert_int_equal(access("/etc/x.png", F_OK), -1);
    /* a good name still goes through (refusals cost no rate) */
    shot(b, "Stage_1-take.2.png");
    oc_send(fx->fd, fx->port, b->d, b->n);
    ping_pong(fx);
    assert_int_equal(fx->nseen, 1);
    assert_string_equal(fx->seen[0].str, "Stage_1-take.2.png");
    free(b);
    destroy(fx);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void assert_file_is(const char *path, const char *text)
{
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    assert_int_equal(n, strlen(text));
    assert_string_equal(buf, text);
}

static void screenshot_never_replaces(void **state)
{
    (void)state;
    fixture *fx = make(NULL);
    oc_buf *b = calloc(1, sizeof *b);
    char keep[128], link[128];
    snprintf(keep, sizeof keep, "%s/keep.png", fx->shots);
    write_file(keep, "a file strata did not write");
    shot(b, "keep.png");
    expect_error(fx, fx->fd, b->d, b->n, "exists");
    /* a link under a free-looking name is a name that exists too */
    snprintf(link, sizeof link, "%s/link.png", fx->shots);
    assert_int_equal(symlink("/etc/hostname", link), 0);
    shot(b, "link.png");
    expect_error(fx, fx->fd, b->d, b->n, "exists");
    pump(fx, 20);
    assert_int_equal(fx->nseen, 0);
    assert_file_is(keep, "a file strata did not write");

    /* The writer the app uses, exclusive: a file that appeared after the check is not
     * replaced either; a new name is written. */
    uint8_t px[4 * 4 * 4];
    memset(px, 200, sizeof px);
    strata_writer *wr = strata_writer_create(4, 4, 2);
    assert_non_null(wr);
    strata_writer_set_exclusive(wr, true);
    char fresh[128];
    snprintf(fresh, sizeof fresh, "%s/fresh.png", fx->shots);
    assert_true(strata_writer_submit(wr, keep, px, true));
    assert_int_equal(strata_writer_flush(wr), 1);
    assert_true(strata_writer_submit(wr, fresh, px, true));
    assert_true(strata_writer_submit(wr, link, px, true));
    assert_int_equal(strata_writer_flush(wr), 2);
    strata_writer_destroy(wr);
    assert_file_is(keep, "a file strata did not write");
    char lt[64] = {0};
    assert_true(readlink(link, lt, sizeof lt - 1) > 0); /* still the link */
    unsigned char magic[8];
    FILE *f = fopen(fresh, "rb");
    assert_non_null(f);
    assert_int_equal(fread(magic, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(magic, "\x89PNG\r\n\x1a\n", 8);
    assert_int_equal(count_files(fx->shots), 3); /* no temporary file left behind */

    /* Render mode's writer (not exclusive) still replaces its own frames. */
    wr = strata_writer_create(4, 4, 2);
    assert_true(strata_writer_submit(wr, keep, px, true));
    assert_int_equal(strata_writer_flush(wr), 0);
    strata_writer_destroy(wr);
    f = fopen(keep, "rb");
    assert_int_equal(fread(magic, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(magic, "\x89PNG", 4);
    free(b);
    destroy(fx);
}

static void screenshot_rate_and_budget(void **state)
{
    (void)state;
    fixture *fx = make(NULL);
    oc_buf *b = calloc(1, sizeof *b);
    for (int i = 0; i < 12; i++) {
        shot(b, NULL);
        oc_send(fx->fd, fx->port, b->d, b->n);
    }
    b->n = 0;
    oc_msg(b, "/strata/ping", "");
    oc_send(fx->fd, fx->port, b->d, b->n);
    int rate = 0;
    oc_reply r;
    while (reply_on(fx, fx->fd, &r) && strcmp(r.path, "/strata/pong") != 0)
        rate += strstr(r.s, "rate limit") != NULL;
    /* 5 at once, perhaps one more refilled while the burst was read: the rest refused */
    if (fx->nseen < 5 || fx->nseen > 6 || rate != 12 - fx->nseen)
        fail_msg("%d screenshots taken, %d refused for rate", fx->nseen, rate);
    destroy(fx);

    /* The folder's budget: 3 files in a folder of 3 at most. */
    strata_control_config cfg = {.screenshot_max_files = 3};
    fx = make(&cfg);
    char p[128];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/old-%d.png", fx->shots, i);
        write_file(p, "x");
    }
    shot(b, "more.png");
    expect_error(fx, fx->fd, b->d, b->n, "screenshot folder is full (3 files");
    destroy(fx);

    /* The default folder: under the state dir, made on first use; never ".". */
    char sdir[64] = "/tmp/strata-state-XXXXXX";
    assert_non_null(mkdtemp(sdir));
    char *old_xdg = getenv("XDG_STATE_HOME") ? strdup(getenv("XDG_STATE_HOME")) : NULL;
    setenv("XDG_STATE_HOME", sdir, 1);
    cfg = (strata_control_config){.screenshot_dir = NULL};
    fixture *fd = calloc(1, sizeof *fd);
    cfg.osc_port = -1;
    cfg.on_command = fixture_on_command;
    cfg.user = fd;
    strata_result res = {0};
    fd->ctl = strata_control_create(&cfg, &res);
    assert_non_null(fd->ctl);
    fd->port = strata_control_port(fd->ctl);
    fd->fd = oc_socket();
    char want[128];
    snprintf(want, sizeof want, "%s/strata/screenshots", sdir);
    assert_string_equal(strata_control_screenshot_dir(fd->ctl), want);
    assert_int_equal(access(want, F_OK), -1);
    shot(b, "first.png");
    oc_send(fd->fd, fd->port, b->d, b->n);
    ping_pong(fd);
    assert_int_equal(fd->nseen, 1);
    struct stat st;
    assert_int_equal(stat(want, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    strata_control_destroy(fd->ctl);
    close(fd->fd);
    free(fd);
    rmdir(want);
    snprintf(want, sizeof want, "%s/strata", sdir);
    rmdir(want);
    rmdir(sdir);
    if (old_xdg)
        setenv("XDG_STATE_HOME", old_xdg, 1);
    else
        unsetenv("XDG_STATE_HOME");
    free(old_xdg);
    free(b);
}

/* ---- bundles ---------------------------------------------------------------------- */

static void bundle_of(oc_buf *b, uint64_t tt, int n, const char *addr)
{
    oc_buf m;
    b->n = 0;
    oc_bundle_begin(b, tt);
    for (int i = 0; i < n; i++) {
        m.n = 0;
        oc_msg(&m, addr, "f", 0.001 * (i % 100));
        oc_element(b, &m);
    }
}

static void nested_future_bundles_refused(void **state)
{
    (void)state;
    fixture *fx = make(NULL);
    oc_buf *in = calloc(1, sizeof *in), *b = calloc(1, sizeof *b), *m = calloc(1, sizeof *m);
    /* An "immediately" bundle around a bundle for a year from now, full of messages:
     * before, five of these filled the pending list for the life of the process. */
    for (int k = 0; k < 8; k++) {
        bundle_of(in, oc_timetag_in(365 * 86400.0), 2500, "/strata/hue");
        b->n = 0;
        oc_bundle_begin(b, 1);
        oc_element(b, in);
        expect_error(fx, fx->fd, b->d, b->n, "nested bundle timetag too far ahead");
    }
    /* A sender's waiting work is bounded: 600 commands for 3 s from now are fine, 600
     * more are refused whole. */
    bundle_of(b, oc_timetag_in(3.0), 600, "/strata/hue");
    oc_send(fx->fd, fx->port, b->d, b->n);
    ping_pong(fx); /* no error came before the pong */
    bundle_of(b, oc_timetag_in(3.0), 600, "/strata/hue");
    expect_error(fx, fx->fd, b->d, b->n, "too many commands of this sender waiting");
    /* and an ordinary multi-message bundle is still applied at once */
    b->n = 0;
    oc_bundle_begin(b, 1);
    m->n = 0;
    oc_msg(m, "/strata/glitch", "f", 0.5);
    oc_element(b, m);
    m->n = 0;
    oc_msg(m, "/strata/drift", "f", 0.25);
    oc_element(b, m);
    oc_send(fx->fd, fx->port, b->d, b->n);
    for (int i = 0; i < 2000 && fx->params.base[STRATA_P_drift] != 0.25f; i++)
        pump(fx, 2);
    assert_true(fx->params.base[STRATA_P_drift] == 0.25f);
    assert_true(fx->params.base[STRATA_P_glitch] == 0.5f);
    strata_control_stats st;
    strata_control_stats_get(fx->ctl, &st);
    assert_int_equal(st.dropped, 0);
    free(in);
    free(b);
    free(m);
    destroy(fx);
}

/* Nothing stays pending past its limit, even when its time is inside the horizon: the
 * limit is the safety net for a wall clock stepped back (here made shorter than the wait). */
static void pending_work_expires(void **state)
{
    (void)state;
    strata_control_config cfg = {.pending_limit_s = 0.5};
    fixture *fx = make(&cfg);
    oc_buf *b = calloc(1, sizeof *b), *m = calloc(1, sizeof *m);
    oc_bundle_begin(b, oc_timetag_in(5.0));
    oc_msg(m, "/strata/glitch", "f", 0.9);
    oc_element(b, m);
    oc_send(fx->fd, fx->port, b->d, b->n);
    strata_control_stats st = {0};
    for (int i = 0; i < 1000 && st.expired == 0; i++) {
        pump(fx, 5);
        strata_control_stats_get(fx->ctl, &st);
    }
    assert_int_equal(st.expired, 1);
    assert_true(fx->params.base[STRATA_P_glitch] == 0.0f); /* dropped, never applied */
    assert_int_equal(st.dropped, 0);
    free(b);
    free(m);
    destroy(fx);
}

/* ---- TCP ---------------------------------------------------------------------------- */

static int tcp_from(const char *ip, int port)
{
    int t = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &a.sin_addr);
    assert_int_equal(bind(t, (struct sockaddr *)&a, sizeof a), 0);
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(t, (struct sockaddr *)&a, sizeof a), 0);
    return t;
}

/* Run frames until the server closes t (EOF or reset), or about 6 s. */
static bool closed_by_server(fixture *fx, int t)
{
    for (int i = 0; i < 600; i++) {
        struct pollfd p = {.fd = t, .events = POLLIN};
        frame(fx);
        if (poll(&p, 1, 10) == 1) {
            char c;
            ssize_t n = recv(t, &c, 1, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN))
                return true;
        }
    }
    return false;
}

/* A ping on t, then its pong back on t. */
static void tcp_ping(fixture *fx, int t)
{
    oc_buf m = {.n = 0}, b = {.n = 0};
    oc_msg(&m, "/strata/ping", "");
    oc_element(&b, &m);
    assert_int_equal(send(t, b.d, b.n, 0), (ssize_t)b.n);
    unsigned char in[256];
    ssize_t got = -1;
    for (int i = 0; i < 1000 && got <= 0; i++) {
        struct pollfd p = {.fd = t, .events = POLLIN};
        frame(fx);
        if (poll(&p, 1, 2) == 1)
            got = recv(t, in, sizeof in, 0);
    }
    assert_true(got > 16);
    assert_memory_equal(in + 4, "/strata/pong", 12);
}

static void tcp_cannot_be_locked_out(void **state)
{
    (void)state;
    strata_control_config cfg = {.osc_tcp = true, .osc_tcp_frame_s = 1.0};
    fixture *fx = make(&cfg);
    int conn[40];
    for (int i = 0; i < 40; i++) {
        conn[i] = tcp_from("127.0.0.1", fx->port);
        if (i % 2) { /* half a packet: the size says 100, 8 bytes come */
            unsigned char part[12] = {0, 0, 0, 100, '/', 's', 't', 'r', 'a', 't', 'a', '/'};
            assert_int_equal(send(conn[i], part, sizeof part, 0), (ssize_t)sizeof part);
        }
    }
    int ctrl = tcp_from("127.0.0.1", fx->port);
    tcp_ping(fx, ctrl);
    /* the last half-sent packet is closed after its 1 s; the controller stays */
    assert_true(closed_by_server(fx, conn[39]));
    tcp_ping(fx, ctrl);
    for (int i = 0; i < 40; i++)
        close(conn[i]);
    close(ctrl);
    destroy(fx);

    /* A silent connection is closed after the idle time. */
    cfg = (strata_control_config){.osc_tcp = true, .osc_tcp_idle_s = 1.0};
    fx = make(&cfg);
    int t = tcp_from("127.0.0.1", fx->port);
    assert_true(closed_by_server(fx, t));
    close(t);
    destroy(fx);
}

static void tcp_allowlist_at_accept(void **state)
{
    (void)state;
    strata_control_config cfg = {.osc_tcp = true, .osc_allow = "127.0.0.1/32"};
    fixture *fx = make(&cfg);
    int out[40];
    for (int i = 0; i < 40; i++)
        out[i] = tcp_from("127.0.0.2", fx->port);
    assert_true(closed_by_server(fx, out[0]));
    assert_true(closed_by_server(fx, out[39]));
    strata_control_stats st;
    strata_control_stats_get(fx->ctl, &st);
    assert_int_equal(st.denied, 40);
    int ctrl = tcp_from("127.0.0.1", fx->port);
    tcp_ping(fx, ctrl);
    close(ctrl);
    for (int i = 0; i < 40; i++)
        close(out[i]);
    destroy(fx);
}

/* ---- subscriptions ------------------------------------------------------------------ */

static int subscribers(fixture *fx)
{
    strata_control_stats st;
    strata_control_stats_get(fx->ctl, &st);
    return st.subscribers;
}

static void subscribe_allowlist_cap_expiry(void **state)
{
    (void)state;
    oc_buf b = {.n = 0};
    oc_msg(&b, "/strata/subscribe", "");
    /* from outside --osc-allow: ignored */
    strata_control_config cfg = {.osc_allow = "127.0.0.1/32"};
    fixture *fx = make(&cfg);
    int other = udp_at("127.0.0.2");
    oc_send(other, fx->port, b.d, b.n);
    ping_pong(fx);
    assert_int_equal(subscribers(fx), 0);
    strata_control_stats st;
    strata_control_stats_get(fx->ctl, &st);
    assert_int_equal(st.denied, 1);
    close(other);
    destroy(fx);

    /* caps: 4 per host (a fifth replaces that host's oldest), 16 in all */
    fx = make(NULL);
    int s[5][6];
    char ip[32];
    for (int h = 0; h < 5; h++) {
        snprintf(ip, sizeof ip, "127.0.0.%d", h + 1);
        for (int k = 0; k < (h == 0 ? 6 : 4); k++) {
            s[h][k] = udp_at(ip);
            oc_send(s[h][k], fx->port, b.d, b.n);
        }
    }
    ping_pong(fx);
    assert_int_equal(subscribers(fx), 16);
    oc_reply r;
    int refused = 0;
    for (int k = 0; k < 4; k++) /* the fifth host came last: it is the one refused */
        for (int i = 0; i < 50 && reply_on(fx, s[4][k], &r); i++)
            if (strcmp(r.path, "/strata/error") == 0) {
                assert_non_null(strstr(r.s, "16 subscribers already"));
                refused++;
                break;
            }
    assert_int_equal(refused, 4);
    for (int h = 0; h < 5; h++)
        for (int k = 0; k < (h == 0 ? 6 : 4); k++)
            close(s[h][k]);
    destroy(fx);

    /* expiry: a 1 s lifetime, kept by renewals, ended without them */
    cfg = (strata_control_config){.subscribe_lifetime_s = 1.0};
    fx = make(&cfg);
    oc_send(fx->fd, fx->port, b.d, b.n);
    ping_pong(fx);
    assert_int_equal(subscribers(fx), 1);
    for (int i = 0; i < 8; i++) { /* 2 s of renewals every 0.25 s */
        oc_send(fx->fd, fx->port, b.d, b.n);
        pump(fx, 250);
        assert_int_equal(subscribers(fx), 1);
    }
    for (int i = 0; i < 500 && subscribers(fx) > 0; i++)
        pump(fx, 10);
    assert_int_equal(subscribers(fx), 0);
    destroy(fx);
}

/* ---- arguments at odd alignments ------------------------------------------------------ */

static void numbers_at_any_alignment(void **state)
{
    (void)state;
    fixture *fx = make(NULL);
    oc_buf b = {.n = 0};
    oc_msg(&b, "/strata/key", "id", 7, 2.5); /* the d sits at 4 mod 8 */
    oc_send(fx->fd, fx->port, b.d, b.n);
    b.n = 0;
    oc_msg(&b, "/strata/key", "hd", 9LL, 1.25);
    oc_send(fx->fd, fx->port, b.d, b.n);
    b.n = 0;
    oc_msg(&b, "/strata/zoom", "d", 1.5);
    oc_send(fx->fd, fx->port, b.d, b.n);
    ping_pong(fx);
    pump(fx, 10);
    assert_int_equal(fx->nseen, 2); /* the keys; zoom is a parameter, ping is answered */
    assert_int_equal(fx->seen[0].type, STRATA_CMD_KEY);
    assert_int_equal(fx->seen[0].ival, 7);
    assert_true(fx->seen[0].value == 2.5f);
    assert_int_equal(fx->seen[1].ival, 9);
    assert_true(fx->seen[1].value == 1.25f);
    assert_true(fx->params.base[STRATA_P_zoom] == 1.5f);
    destroy(fx);
}

int main(void)
{
    strata_log_set_quiet(!getenv("STRATA_TEST_LOG"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(screenshot_names_refused),
        cmocka_unit_test(screenshot_never_replaces),
        cmocka_unit_test(screenshot_rate_and_budget),
        cmocka_unit_test(nested_future_bundles_refused),
        cmocka_unit_test(pending_work_expires),
        cmocka_unit_test(tcp_cannot_be_locked_out),
        cmocka_unit_test(tcp_allowlist_at_accept),
        cmocka_unit_test(subscribe_allowlist_cap_expiry),
        cmocka_unit_test(numbers_at_any_alignment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
