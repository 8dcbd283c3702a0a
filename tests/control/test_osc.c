/* control: the OSC server over real UDP on loopback, from a hand-built client (not liblo)
 * and from liblo's oscsend: every command, replies, bundles, timetags, hostile packets,
 * the allowlist and TCP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "control/control.h"
#include "osc_fixture.h"

static double wall_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec * 1e-6;
}

/* Run frames until a datagram arrives at the client (or about 4 s). */
static int reply(fixture *fx, oc_reply *r)
{
    return reply_on(fx, fx->fd, r);
}

static int setup(void **state)
{
    *state = make(NULL);
    return 0;
}

static int teardown(void **state)
{
    destroy(*state);
    return 0;
}

static void send_msg(fixture *fx, const char *path, const char *types, ...)
{
    /* variadic forwarding by hand: the tests use at most two arguments */
    oc_buf *b = calloc(1, sizeof *b);
    va_list ap;
    va_start(ap, types);
    char tt[64] = ",";
    strcat(tt, types);
    oc_str(b, path);
    oc_str(b, tt);
    for (const char *t = types; *t; t++) {
        if (*t == 'i')
            oc_u32(b, (uint32_t)va_arg(ap, int));
        else if (*t == 'f') {
            float f = (float)va_arg(ap, double);
            uint32_t u;
            memcpy(&u, &f, 4);
            oc_u32(b, u);
        } else if (*t == 's')
            oc_str(b, va_arg(ap, const char *));
        else if (*t == 'd' || *t == 'h') {
            uint64_t u;
            if (*t == 'd') {
                double d = va_arg(ap, double);
                memcpy(&u, &d, 8);
            } else {
                u = (uint64_t)va_arg(ap, long long);
            }
            oc_u32(b, (uint32_t)(u >> 32));
            oc_u32(b, (uint32_t)u);
        }
    }
    va_end(ap);
    oc_send(fx->fd, fx->port, b->d, b->n);
    free(b);
}

/* Send, then expect an error reply whose text contains `want`. */
static void expect_error(fixture *fx, const void *d, size_t n, const char *want)
{
    oc_send(fx->fd, fx->port, d, n);
    oc_reply r;
    assert_true(reply(fx, &r));
    assert_string_equal(r.path, "/strata/error");
    if (!strstr(r.s, want))
        fail_msg("error '%s' does not contain '%s'", r.s, want);
}

static void params_by_every_number_type(void **state)
{
    fixture *fx = *state;
    send_msg(fx, "/strata/glitch", "f", 0.5);
    send_msg(fx, "/strata/drift", "i", 1);
    send_msg(fx, "/strata/zoom", "d", 2.0);
    send_msg(fx, "/strata/speed", "h", 3LL);
    send_msg(fx, "/strata/feedback", "T");
    send_msg(fx, "/strata/motion", "F");
    send_msg(fx, "/strata/brightness", "f", 9.0); /* clamps to 2 */
    send_msg(fx, "/strata/ping", "");
    oc_reply r;
    assert_true(reply(fx, &r));
    assert_string_equal(r.path, "/strata/pong");
    pump(fx, 20);
    strata_params *p = &fx->params;
    assert_true(p->base[STRATA_P_glitch] == 0.5f);
    assert_true(p->base[STRATA_P_drift] == 1.0f);
    assert_true(p->base[STRATA_P_zoom] == 2.0f);
    assert_true(p->base[STRATA_P_speed] == 3.0f);
    assert_true(p->base[STRATA_P_feedback] == 1.0f);
    assert_true(p->base[STRATA_P_motion] == 0.0f);
    assert_true(p->base[STRATA_P_brightness] == 2.0f);
}

static const strata_cmd *find_cmd(fixture *fx, int type)
{
    for (int i = 0; i < fx->nseen; i++)
        if (fx->seen[i].type == type)
            return &fx->seen[i];
    return NULL;
}

static void every_command(void **state)
{
    fixture *fx = *state;
    oc_reply r;
    send_msg(fx, "/strata/scene", "i", 3);
    send_msg(fx, "/strata/scene", "s", "intro");
    send_msg(fx, "/strata/scene/next", "f", 0.0); /* a button release: ignored */
    send_msg(fx, "/strata/scene/next", "f", 1.0);
    send_msg(fx, "/strata/scene/prev", "");
    send_msg(fx, "/strata/key", "if", 7, 2.5);
    send_msg(fx, "/strata/screenshot", "s", "a.png");
    send_msg(fx, "/strata/screenshot", "");
    send_msg(fx, "/strata/ping", "");
    assert_true(reply(fx, &r));
    assert_string_equal(r.path, "/strata/pong");
    pump(fx, 10);
    const strata_cmd *c = find_cmd(fx, STRATA_CMD_SCENE);
    assert_non_null(c);
    assert_int_equal(c->ival, 3);
    assert_int_equal(fx->seen[1].type, STRATA_CMD_SCENE);
    assert_int_equal(fx->seen[1].ival, -1);
    assert_string_equal(fx->seen[1].str, "intro");
    assert_int_equal(fx->seen[2].type, STRATA_CMD_SCENE_NEXT);
    assert_int_equal(fx->seen[3].type, STRATA_CMD_SCENE_PREV);
    assert_int_equal(fx->seen[4].type, STRATA_CMD_KEY);
    assert_int_equal(fx->seen[4].ival, 7);
    assert_true(fabsf(fx->seen[4].value - 2.5f) < 1e-6f);
    assert_int_equal(fx->seen[5].type, STRATA_CMD_SCREENSHOT);
    assert_string_equal(fx->seen[5].str, "a.png");
    assert_int_equal(fx->seen[6].type, STRATA_CMD_SCREENSHOT); /* unnamed: strata names it */
    assert_int_equal(strncmp(fx->seen[6].str, "strata-", 7), 0);
    assert_non_null(strstr(fx->seen[6].str, ".png"));
    assert_string_equal(strata_control_screenshot_dir(fx->ctl), fx->shots);
    char who[80];
    strata_control_cmd_sender(&fx->seen[0], who, sizeof who);
    char want[40];
    snprintf(want, sizeof want, "127.0.0.1:%d", oc_port_of(fx->fd));
    assert_string_equal(who, want);

    /* get: parameters, tempo, link, and names the app answers */
    send_msg(fx, "/strata/glitch", "f", 0.25);
    pump(fx, 10);
    send_msg(fx, "/strata/get", "s", "glitch");
    assert_true(reply(fx, &r));
    assert_string_equal(r.path, "/strata/value");
    assert_string_equal(r.s, "glitch");
    assert_true(fabsf(r.f - 0.25f) < 1e-6f);
    send_msg(fx, "/strata/get", "s", "scene");
    assert_true(reply(fx, &r));
    assert_true(r.f == 2.0f);
    send_msg(fx, "/strata/get", "s", "nothing");
    assert_true(reply(fx, &r));
    assert_string_equal(r.path, "/strata/error");
    assert_non_null(strstr(r.s, "nothing"));

    /* tempo */
    send_msg(fx, "/strata/tempo/bpm", "f", 140.0);
    send_msg(fx, "/strata/get", "s", "tempo/bpm");
    assert_true(reply(fx, &r));
    assert_true(fabsf(r.f - 140.0f) < 1e-3f);
    send_msg(fx, "/strata/get", "s", "tempo/source");
    assert_true(reply(fx, &r));
    assert_string_equal(r.types, "ss");
    assert_string_equal(r.s, "tempo/source");
    for (int i = 0; i < 4; i++) {
        send_msg(fx, "/strata/tempo/tap", "i", 1);
        pump(fx, 250);
    }
    assert_int_equal(strata_control_tempo(fx->ctl)->source, STRATA_TEMPO_TAP);
    assert_true(fabs(strata_control_tempo(fx->ctl)->bpm - 240.0) < 25.0);
    send_msg(fx, "/strata/tempo/resync", "");
    pump(fx, 10);
    assert_true(strata_control_tempo(fx->ctl)->bar_phase < 0.1f);
    send_msg(fx, "/strata/tempo/source", "s", "auto");
    send_msg(fx, "/strata/link", "i", 0);
    send_msg(fx, "/strata/get", "s", "link");
    assert_true(reply(fx, &r));
    assert_true(r.f == 0.0f);
}

static void subscribe_echoes_changes(void **state)
{
    fixture *fx = *state;
    oc_reply r;
    send_msg(fx, "/strata/subscribe", "");
    int states = 0, meters = 0;
    for (int i = 0; i < 200 && (states < STRATA_PARAM_COUNT || meters < 7); i++) {
        if (reply(fx, &r)) {
            states += strncmp(r.path, "/strata/state/", 14) == 0;
            meters += strncmp(r.path, "/strata/audio/", 14) == 0;
        }
    }
    assert_int_equal(states, STRATA_PARAM_COUNT); /* everything once at subscribe */
    assert_int_equal(meters, 7);
    pump(fx, 100);
    while (oc_recv(fx->fd, &r, 10)) {
    }
    send_msg(fx, "/strata/drift", "f", 0.9);
    /* only what changed: drift, and meters (the beat pulse moves all the time) */
    int drift = 0, other_state = 0;
    for (int i = 0; i < 100; i++) {
        frame(fx);
        while (oc_recv(fx->fd, &r, 2)) {
            if (strcmp(r.path, "/strata/state/drift") == 0) {
                drift++;
                assert_true(fabsf(r.f - 0.9f) < 1e-6f);
            } else if (strncmp(r.path, "/strata/state/", 14) == 0) {
                other_state++;
            }
        }
    }
    assert_int_equal(drift, 1);
    assert_int_equal(other_state, 0);
    /* a separate reply port */
    int other = oc_socket();
    send_msg(fx, "/strata/subscribe", "i", oc_port_of(other));
    pump(fx, 100);
    assert_true(oc_recv(other, &r, 500));
    send_msg(fx, "/strata/unsubscribe", "");
    pump(fx, 50);
    while (oc_recv(fx->fd, &r, 10) || oc_recv(other, &r, 10)) {
    }
    send_msg(fx, "/strata/glitch", "f", 0.3);
    pump(fx, 150);
    assert_false(oc_recv(fx->fd, &r, 20));
    assert_false(oc_recv(other, &r, 20));
    close(other);
}

static void errors_name_address_and_reason(void **state)
{
    fixture *fx = *state;
    oc_buf *b = calloc(1, sizeof *b);
    oc_msg(b, "/strata/wobble", "f", 1.0);
    expect_error(fx, b->d, b->n, "/strata/wobble: unknown address");
    b->n = 0;
    oc_msg(b, "/other/thing", "");
    expect_error(fx, b->d, b->n, "unknown address");
    b->n = 0;
    oc_msg(b, "/strata/glitch", "s", "loud");
    expect_error(fx, b->d, b->n, "/strata/glitch: expects one number");
    b->n = 0;
    oc_msg(b, "/strata/glitch", "ff", 0.1, 0.2);
    expect_error(fx, b->d, b->n, "expects one number");
    b->n = 0;
    oc_msg(b, "/strata/glitch", "f", (double)NAN);
    expect_error(fx, b->d, b->n, "finite");
    b->n = 0;
    oc_msg(b, "/strata/scene", "");
    expect_error(fx, b->d, b->n, "/strata/scene");
    b->n = 0;
    oc_msg(b, "/strata/key", "s", "x");
    expect_error(fx, b->d, b->n, "expects i [f seconds]");
    b->n = 0;
    oc_msg(b, "/strata/subscribe", "i", 70000);
    expect_error(fx, b->d, b->n, "port out of range");
    b->n = 0;
    oc_msg(b, "/strata/tempo/source", "s", "sometimes");
    expect_error(fx, b->d, b->n, "auto or manual");
    free(b);
    strata_control_stats st;
    strata_control_stats_get(fx->ctl, &st);
    assert_true(st.errors >= 9);
    assert_true(fx->params.base[STRATA_P_glitch] == 0.0f);
}

static void hostile_packets(void **state)
{
    fixture *fx = *state;
    oc_buf *b = calloc(1, sizeof *b);
    oc_buf *in = calloc(1, sizeof *in);
    /* truncated: the float is cut off */
    oc_msg(b, "/strata/glitch", "f", 0.5);
    expect_error(fx, b->d, b->n - 4, "malformed");
    /* not a multiple of 4 */
    expect_error(fx, b->d, b->n - 1, "multiple of 4");
    /* bad type tags: no comma, unknown tag */
    b->n = 0;
    oc_str(b, "/strata/glitch");
    oc_str(b, "ff");
    oc_u32(b, 0);
    expect_error(fx, b->d, b->n, "malformed");
    b->n = 0;
    oc_str(b, "/strata/glitch");
    oc_str(b, ",Q");
    oc_u32(b, 0);
    expect_error(fx, b->d, b->n, "");
    /* a string without its terminator, running to the end of the packet */
    b->n = 0;
    oc_str(b, "/strata/scene");
    oc_str(b, ",s");
    memset(b->d + b->n, 'A', 64);
    b->n += 64;
    expect_error(fx, b->d, b->n, "malformed");
    /* a huge string (60 KB) */
    char *huge = malloc(60000);
    memset(huge, 'x', 59999);
    huge[59999] = 0;
    b->n = 0;
    oc_msg(b, "/strata/scene", "s", huge);
    expect_error(fx, b->d, b->n, "longer than");
    /* a huge address */
    b->n = 0;
    huge[40000] = 0;
    huge[0] = '/';
    oc_msg(b, huge, "f", 1.0);
    expect_error(fx, b->d, b->n, "unknown address");
    free(huge);
    /* deep bundles: 20 levels */
    in->n = 0;
    oc_msg(in, "/strata/glitch", "f", 0.9);
    for (int i = 0; i < 20; i++) {
        b->n = 0;
        oc_bundle_begin(b, 1);
        oc_element(b, in);
        memcpy(in->d, b->d, b->n);
        in->n = b->n;
    }
    expect_error(fx, b->d, b->n, "nested too deep");
    /* a bundle element whose size runs past the packet */
    b->n = 0;
    oc_bundle_begin(b, 1);
    oc_u32(b, 4000);
    oc_msg(b, "/strata/glitch", "f", 0.9);
    expect_error(fx, b->d, b->n, "bad bundle element size");
    /* a truncated bundle header */
    expect_error(fx, "#bundle\0\0\0\0\0", 12, "truncated bundle");
    /* far future */
    b->n = 0;
    in->n = 0;
    oc_msg(in, "/strata/glitch", "f", 0.9);
    oc_bundle_begin(b, oc_timetag_in(3600));
    oc_element(b, in);
    expect_error(fx, b->d, b->n, "ahead");
    /* an empty datagram and random bytes: no crash, the server still answers */
    oc_send(fx->fd, fx->port, "", 0);
    srand(7);
    for (int k = 0; k < 200; k++) {
        size_t n = (size_t)(rand() % 256) & ~(size_t)3;
        for (size_t i = 0; i < n; i++)
            b->d[i] = (unsigned char)rand();
        if (k % 2)
            memcpy(b->d, "/strata/", n >= 8 ? 8 : n);
        oc_send(fx->fd, fx->port, b->d, n);
    }
    pump(fx, 100);
    oc_reply r;
    while (oc_recv(fx->fd, &r, 10))
        frame(fx);
    send_msg(fx, "/strata/ping", "");
    int got_pong = 0;
    for (int i = 0; i < 200 && !got_pong; i++)
        if (reply(fx, &r))
            got_pong = strcmp(r.path, "/strata/pong") == 0;
    assert_true(got_pong);
    assert_true(fx->params.base[STRATA_P_glitch] == 0.0f); /* nothing got through */
    free(b);
    free(in);
}

/* A bundle is applied whole within one frame, even with the render thread applying as
 * fast as it can while the bundle is being queued. */
static void bundles_are_atomic(void **state)
{
    fixture *fx = *state;
    oc_buf *b = calloc(1, sizeof *b);
    oc_buf *m = calloc(1, sizeof *m);
    for (int round = 0; round < 20; round++) {
        float target = 0.01f * (float)(round + 1);
        b->n = 0;
        oc_bundle_begin(b, 1);
        for (int i = 0; i < 300; i++) { /* many sets, then the one that matters last */
            m->n = 0;
            oc_msg(m, "/strata/hue", "f", -0.45 + 0.001 * i + 0.002 * round);
            oc_element(b, m);
        }
        m->n = 0;
        oc_msg(m, "/strata/glitch", "f", (double)target);
        oc_element(b, m);
        m->n = 0;
        oc_msg(m, "/strata/drift", "f", (double)target);
        oc_element(b, m);
        float before = fx->params.base[STRATA_P_hue];
        oc_send(fx->fd, fx->port, b->d, b->n);
        for (int i = 0; i < 200000 && fx->params.base[STRATA_P_drift] != target; i++) {
            frame(fx);
            float hue = fx->params.base[STRATA_P_hue];
            bool hue_done = fabsf(hue - (-0.45f + 0.299f + 0.002f * round)) < 1e-5f;
            bool drift_done = fx->params.base[STRATA_P_drift] == target;
            /* either nothing of the bundle or all of it */
            if (hue_done != drift_done || (!drift_done && hue != before))
                fail_msg("round %d: half a bundle applied (hue %f drift %f)", round, hue,
                         fx->params.base[STRATA_P_drift]);
        }
        assert_true(fx->params.base[STRATA_P_glitch] == target);
    }
    free(b);
    free(m);
}

/* A bundle for 300 ms from now applies at the first frame whose time is within half a
 * frame of it: never a frame early, never a frame late. */
static void future_bundle_waits_for_its_frame(void **state)
{
    fixture *fx = *state;
    oc_buf *b = calloc(1, sizeof *b);
    oc_buf *m = calloc(1, sizeof *m);
    double half = 0.5 / 60.0;
    for (int round = 0; round < 3; round++) {
        float v = 0.2f + 0.2f * (float)round;
        double target = wall_s() + 0.3;
        uint64_t tt = oc_timetag_in(0.3);
        b->n = 0;
        oc_bundle_begin(b, tt);
        oc_msg(m, "/strata/glitch", "f", (double)v);
        oc_element(b, m);
        m->n = 0;
        oc_msg(m, "/strata/scene", "i", round);
        oc_element(b, m);
        m->n = 0;
        oc_send(fx->fd, fx->port, b->d, b->n);
        double prev = wall_s(), at = 0;
        while (wall_s() < target + 1.0) {
            double t = wall_s();
            strata_control_frame f = {
                .params = &fx->params, .time = strata_time_s(), .dt = 1 / 60.0f};
            strata_control_apply(fx->ctl, &f);
            if (fx->params.base[STRATA_P_glitch] == v) {
                at = t;
                break;
            }
            prev = t;
            strata_sleep_s(1 / 60.0);
        }
        assert_true(at > 0);
        /* the frame before was not its frame, this one is (clock read before apply) */
        assert_true(prev < target - half + 0.002);
        assert_true(at >= target - half - 0.002);
        /* the scene of the same bundle came in the same frame */
        assert_int_equal(fx->seen[fx->nseen - 1].type, STRATA_CMD_SCENE);
        assert_int_equal(fx->seen[fx->nseen - 1].ival, round);
    }
    free(b);
    free(m);
}

static void oscsend_from_liblo(void **state)
{
    fixture *fx = *state;
    if (system("command -v oscsend >/dev/null 2>&1") != 0)
        fail_msg("oscsend (liblo-tools) is not installed: tools/deps.sh --test");
    char cmd[256];
    snprintf(cmd, sizeof cmd, "oscsend 127.0.0.1 %d /strata/glitch f 0.625", fx->port);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "oscsend osc.udp://127.0.0.1:%d /strata/scene s outro", fx->port);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "oscsend 127.0.0.1 %d /strata/link T", fx->port);
    for (int i = 0; i < 200 && !find_cmd(fx, STRATA_CMD_SCENE); i++)
        pump(fx, 5);
    assert_true(fx->params.base[STRATA_P_glitch] == 0.625f);
    const strata_cmd *c = find_cmd(fx, STRATA_CMD_SCENE);
    assert_non_null(c);
    assert_string_equal(c->str, "outro");
}

static void allowlist_drops_others(void **state)
{
    (void)state;
    strata_control_config cfg = {.osc_allow = "10.0.0.0/8,::1"};
    fixture *fx = make(&cfg);
    for (int i = 0; i < 5; i++)
        send_msg(fx, "/strata/ping", "");
    send_msg(fx, "/strata/glitch", "f", 1.0);
    pump(fx, 200);
    oc_reply r;
    assert_false(oc_recv(fx->fd, &r, 50));
    strata_control_stats st;
    strata_control_stats_get(fx->ctl, &st);
    assert_int_equal(st.denied, 6);
    assert_true(fx->params.base[STRATA_P_glitch] == 0.0f);
    void *s = fx;
    teardown(&s);

    cfg.osc_allow = "192.168.1.0/24,127.0.0.0/8";
    fx = make(&cfg);
    send_msg(fx, "/strata/ping", "");
    assert_true(reply(fx, &r));
    assert_string_equal(r.path, "/strata/pong");
    s = fx;
    teardown(&s);

    strata_result res = {0};
    cfg.osc_allow = "300.1.1.1/8";
    cfg.osc_port = -1;
    assert_null(strata_control_create(&cfg, &res));
    assert_non_null(strstr(res.msg, "300.1.1.1"));
    /* the command line's check is the same parser */
    assert_false(strata_control_check_allow("300.1.1.1/8", &res));
    assert_non_null(strstr(res.msg, "300.1.1.1"));
    assert_false(strata_control_check_allow("127.0.0.1,", &res));
    assert_true(strata_control_check_allow("10.0.0.0/8,::1", &res));
    assert_true(strata_control_check_allow("", &res));
}

static void tcp_size_prefixed(void **state)
{
    (void)state;
    strata_control_config cfg = {.osc_tcp = true};
    fixture *fx = make(&cfg);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fx->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(t, (struct sockaddr *)&a, sizeof a), 0);
    oc_buf *b = calloc(1, sizeof *b);
    oc_buf *m = calloc(1, sizeof *m);
    oc_msg(m, "/strata/glitch", "f", 0.75);
    oc_element(b, m); /* an element is exactly a size-prefixed packet */
    m->n = 0;
    oc_msg(m, "/strata/drift", "f", 0.125);
    oc_element(b, m);
    /* in two writes, split inside a packet */
    assert_int_equal(send(t, b->d, 10, 0), 10);
    strata_sleep_s(0.05);
    assert_int_equal(send(t, b->d + 10, b->n - 10, 0), (ssize_t)(b->n - 10));
    for (int i = 0; i < 400 && fx->params.base[STRATA_P_drift] != 0.125f; i++)
        pump(fx, 5);
    assert_true(fx->params.base[STRATA_P_glitch] == 0.75f);
    assert_true(fx->params.base[STRATA_P_drift] == 0.125f);
    /* Replies come back on the same connection, size-prefixed: a ping, then an error. */
    const char *sent[2] = {"/strata/ping", "/strata/nope"};
    const char *want[2] = {"/strata/pong", "/strata/error"};
    for (int k = 0; k < 2; k++) {
        b->n = 0;
        m->n = 0;
        oc_msg(m, sent[k], "");
        oc_element(b, m);
        assert_int_equal(send(t, b->d, b->n, 0), (ssize_t)b->n);
        struct timeval tv = {0, 20000};
        setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        unsigned char in[512];
        ssize_t got = -1;
        for (int i = 0; i < 200 && got <= 0; i++) {
            pump(fx, 5);
            got = recv(t, in, sizeof in, 0);
        }
        assert_true(got > 4);
        uint32_t len = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
        assert_true(len > 0 && len + 4 <= (uint32_t)got);
        assert_memory_equal(in + 4, want[k], strlen(want[k]));
    }
    close(t);
    free(b);
    free(m);
    void *s = fx;
    teardown(&s);
}

int main(void)
{
    strata_log_set_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(params_by_every_number_type, setup, teardown),
        cmocka_unit_test_setup_teardown(every_command, setup, teardown),
        cmocka_unit_test_setup_teardown(subscribe_echoes_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_name_address_and_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_packets, setup, teardown),
        cmocka_unit_test_setup_teardown(bundles_are_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(future_bundle_waits_for_its_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(oscsend_from_liblo, setup, teardown),
        cmocka_unit_test(allowlist_drops_others),
        cmocka_unit_test(tcp_size_prefixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
