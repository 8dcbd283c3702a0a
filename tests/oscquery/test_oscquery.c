/* OSCQuery, the module on a free loopback port: the namespace JSON against the registry,
 * ?VALUE after an OSC set, HOST_INFO, a WebSocket LISTEN that receives the change, the
 * allowlist, bad paths, huge headers, a slow request, unknown paths. Real sockets; the
 * HTTP and WebSocket clients are written here by hand (nothing shared with the server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "control/control.h"
#include "control/osc_client.h"
#include "oscquery/oscquery.h"

typedef struct fx {
    strata_control *ctl;
    strata_oscquery *q;
    strata_params params;
    int port;
} fx;

static fx *fx_make(const char *allow)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strata_result r = {0};
    strata_control_config cc = {.osc_disabled = true, .osc_allow = allow};
    f->ctl = strata_control_create(&cc, &r);
    assert_non_null(f->ctl);
    strata_params_init(&f->params);
    strata_oscquery_config qc = {
        .port = -1, .osc_port = 9123, .control = f->ctl, .timeout_s = 1, .name = "strata-test"};
    f->q = strata_oscquery_create(&qc, &r);
    if (!f->q)
        fail_msg("%s", r.msg);
    f->port = strata_oscquery_port(f->q);
    assert_true(f->port > 0);
    return f;
}

static void fx_free(fx *f)
{
    strata_oscquery_destroy(f->q);
    strata_control_destroy(f->ctl);
    free(f);
}

/* The render thread's step: apply what OSC sent, then publish. */
static void frame(fx *f)
{
    strata_control_frame cf = {.params = &f->params, .time = 0.0, .dt = 1.0f / 60.0f};
    strata_control_apply(f->ctl, &cf);
    strata_oscquery_publish(f->q, &f->params, &cf.tempo);
}

static void osc_set(fx *f, const char *path, double v)
{
    oc_buf b = {.n = 0};
    oc_msg(&b, path, "f", v);
    strata_osc_handle_packet(f->ctl, b.d, b.n, NULL, 0);
    frame(f);
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k <= 0)
            return; /* the server may close on us: the answer says so */
        c += k;
        n -= (size_t)k;
    }
}

typedef struct reply {
    int status; /* 0: closed without an answer */
    char head[2048];
    char *body;
} reply;

/* One raw request (request line and headers as given), read to EOF. */
static reply raw(int port, const char *req)
{
    int fd = dial(port);
    send_all(fd, req, strlen(req));
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    ssize_t k;
    while (n < cap && (k = recv(fd, buf + n, cap - n, 0)) > 0)
        n += (size_t)k;
    close(fd);
    buf[n] = 0;
    reply r = {0};
    sscanf(buf, "HTTP/1.%*d %d", &r.status);
    char *sep = strstr(buf, "\r\n\r\n");
    size_t hl = sep ? (size_t)(sep - buf) : n;
    snprintf(r.head, sizeof r.head, "%.*s", (int)(hl < sizeof r.head - 1 ? hl : sizeof r.head - 1),
             buf);
    r.body = strdup(sep ? sep + 4 : "");
    free(buf);
    return r;
}

static reply get(int port, const char *target)
{
    char req[1024];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
             target);
    return raw(port, req);
}

static json_t *get_json(int port, const char *target)
{
    reply r = get(port, target);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "application/json"));
    json_error_t err;
    json_t *j = json_loads(r.body, 0, &err);
    if (!j)
        fail_msg("%s: not JSON (%s): %.200s", target, err.text, r.body);
    free(r.body);
    return j;
}

static json_t *node(json_t *root, const char *a, const char *b)
{
    json_t *n = json_object_get(json_object_get(root, "CONTENTS"), a);
    if (b)
        n = json_object_get(json_object_get(n, "CONTENTS"), b);
    return n;
}

/* Every live parameter is a node with its registry's range, type, access and value. */
static void namespace_is_the_registry(void **state)
{
    (void)state;
    fx *f = fx_make(NULL);
    frame(f);
    json_t *root = get_json(f->port, "/");
    assert_string_equal(json_string_value(json_object_get(root, "FULL_PATH")), "/");
    json_t *strata = node(root, "strata", NULL);
    assert_non_null(strata);
    int live = 0;
    for (int i = 0; i < STRATA_PARAM_MAX; i++) {
        strata_param_info p;
        if (!strata_param_get(i, &p))
            continue;
        live++;
        if (strchr(p.name, '/'))
            continue; /* nested: looked up by path below */
        json_t *n = node(root, "strata", p.name);
        if (!n)
            fail_msg("no node for %s", p.name);
        char full[96];
        snprintf(full, sizeof full, "/strata/%s", p.name);
        assert_string_equal(json_string_value(json_object_get(n, "FULL_PATH")), full);
        assert_string_equal(json_string_value(json_object_get(n, "TYPE")), "f");
        assert_int_equal(json_integer_value(json_object_get(n, "ACCESS")), 3);
        json_t *rg = json_array_get(json_object_get(n, "RANGE"), 0);
        assert_float_equal(json_number_value(json_object_get(rg, "MIN")), p.min, 1e-6);
        assert_float_equal(json_number_value(json_object_get(rg, "MAX")), p.max, 1e-6);
        double v = json_number_value(json_array_get(json_object_get(n, "VALUE"), 0));
        assert_float_equal(v, p.def, 1e-6);
        assert_string_equal(json_string_value(json_object_get(n, "DESCRIPTION")), p.desc);
    }
    assert_true(live >= STRATA_PARAM_COUNT);
    /* The other addresses, from the same table as docs/OSC.md. */
    json_t *bpm = node(root, "strata", "tempo");
    bpm = json_object_get(json_object_get(bpm, "CONTENTS"), "bpm");
    assert_non_null(bpm);
    assert_float_equal(json_number_value(json_array_get(json_object_get(bpm, "VALUE"), 0)), 120.0,
                       1e-6);
    json_t *next =
        json_object_get(json_object_get(node(root, "strata", "scene"), "CONTENTS"), "next");
    assert_string_equal(json_string_value(json_object_get(next, "FULL_PATH")),
                        "/strata/scene/next");
    assert_int_equal(json_integer_value(json_object_get(next, "ACCESS")), 2);
    json_decref(root);
    /* One node by path: the same object. */
    json_t *g = get_json(f->port, "/strata/glitch");
    assert_string_equal(json_string_value(json_object_get(g, "FULL_PATH")), "/strata/glitch");
    json_decref(g);
    fx_free(f);
}

static void value_follows_an_osc_set(void **state)
{
    (void)state;
    fx *f = fx_make(NULL);
    frame(f);
    osc_set(f, "/strata/glitch", 0.625);
    json_t *j = get_json(f->port, "/strata/glitch?VALUE");
    assert_int_equal(json_object_size(j), 1);
    assert_float_equal(json_number_value(json_array_get(json_object_get(j, "VALUE"), 0)), 0.625,
                       1e-6);
    json_decref(j);
    osc_set(f, "/strata/glitch", 0.25);
    j = get_json(f->port, "/strata/glitch?VALUE");
    assert_float_equal(json_number_value(json_array_get(json_object_get(j, "VALUE"), 0)), 0.25,
                       1e-6);
    json_decref(j);
    /* A preset's alias: in the namespace, its value read back through its range. */
    strata_control_alias al = {
        .address = "/band/fader1", .param = STRATA_P_glitch, .lo = 0.0f, .hi = 0.5f};
    strata_control_set_aliases(f->ctl, &al, 1);
    j = get_json(f->port, "/band/fader1");
    assert_string_equal(json_string_value(json_object_get(j, "FULL_PATH")), "/band/fader1");
    assert_float_equal(json_number_value(json_array_get(json_object_get(j, "VALUE"), 0)), 0.5,
                       1e-6);
    json_decref(j);
    fx_free(f);
}

static void host_info(void **state)
{
    (void)state;
    fx *f = fx_make(NULL);
    json_t *j = get_json(f->port, "/?HOST_INFO");
    assert_string_equal(json_string_value(json_object_get(j, "NAME")), "strata-test");
    assert_int_equal(json_integer_value(json_object_get(j, "OSC_PORT")), 9123);
    assert_string_equal(json_string_value(json_object_get(j, "OSC_TRANSPORT")), "UDP");
    assert_true(json_is_true(json_object_get(json_object_get(j, "EXTENSIONS"), "LISTEN")));
    json_decref(j);
    fx_free(f);
    /* --osc-tcp: the transport says so; no control at all is allowed (no aliases, no list). */
    strata_result r = {0};
    strata_oscquery_config qc = {.port = -1, .osc_port = 9124, .osc_tcp = true};
    strata_oscquery *q = strata_oscquery_create(&qc, &r);
    assert_non_null(q);
    j = get_json(strata_oscquery_port(q), "/?HOST_INFO");
    assert_string_equal(json_string_value(json_object_get(j, "OSC_TRANSPORT")), "TCP");
    assert_string_equal(json_string_value(json_object_get(j, "NAME")), "strata");
    json_decref(j);
    strata_oscquery_destroy(q);
}

static void bad_requests_are_refused(void **state)
{
    (void)state;
    fx *f = fx_make(NULL);
    reply r = get(f->port, "/strata/nothing_here");
    assert_int_equal(r.status, 404);
    free(r.body);
    const char *bad[] = {"/strata/../etc/passwd",     "/..",
                         "/strata/%2e%2e/x",          "/strata//glitch",
                         "/strata/glitch?VALUE&TYPE", "/strata/glitch?NOPE",
                         "/strata/glitch?VALUE=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = get(f->port, bad[i]);
        if (r.status != 400)
            fail_msg("%s: %d, expected 400", bad[i], r.status);
        free(r.body);
    }
    r = raw(f->port,
            "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(r.status, 405);
    free(r.body);
    /* A 64 KB header: refused by the request memory limit, not read into memory. */
    size_t big = 64 * 1024;
    char *req = malloc(big + 256);
    assert_non_null(req);
    int n = snprintf(req, 256, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'a', big);
    strcpy(req + n + big, "\r\nConnection: close\r\n\r\n");
    r = raw(f->port, req);
    assert_true(r.status == 431 || r.status == 413 || r.status == 400 || r.status == 0);
    free(r.body);
    free(req);
    /* A 32 KB path: refused too. */
    req = malloc(40 * 1024);
    strcpy(req, "GET /");
    memset(req + 5, 'a', 32 * 1024);
    strcpy(req + 5 + 32 * 1024, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    r = raw(f->port, req);
    assert_true(r.status == 414 || r.status == 431 || r.status == 400 || r.status == 0);
    free(r.body);
    free(req);
    /* A WebSocket upgrade without a proper key, or of another version. */
    r = raw(f->port, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n");
    assert_int_equal(r.status, 400);
    free(r.body);
    r = raw(f->port, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n"
                     "\r\n");
    assert_int_equal(r.status, 426);
    free(r.body);
    /* The server still answers afterwards. */
    r = get(f->port, "/strata/glitch?TYPE");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"TYPE\":\"f\"}");
    free(r.body);
    fx_free(f);
}

/* A request that never finishes is closed after the per-connection timeout (1 s). */
static void slow_request_times_out(void **state)
{
    (void)state;
    fx *f = fx_make(NULL);
    int fd = dial(f->port);
    send_all(fd, "GET / HTTP/1.1\r\nHo", 18);
    struct timeval tv = {.tv_sec = 30}; /* far past the server's 1 s */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    ssize_t k = recv(fd, &c, 1, 0);
    close(fd);
    assert_int_equal(k, 0); /* an orderly close by the server, not our receive limit (-1) */
    fx_free(f);
}

/* One address holds at most half the connections (16 of 32): a scan or a stuck client
 * on one host leaves room for the controller on another. */
static void one_address_takes_half_the_connections(void **state)
{
    (void)state;
    fx *f = fx_make(NULL);
    int fds[17];
    for (int i = 0; i < 17; i++)
        fds[i] = dial(f->port); /* connected at TCP level; MHD accepts or closes */
    char c;
    /* The 17th is closed by the server at once, no answer. */
    send_all(fds[16], "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    ssize_t k = recv(fds[16], &c, 1, 0); /* EOF, or a reset: it had unread bytes */
    assert_true(k == 0 || (k < 0 && errno == ECONNRESET));
    /* The 16th is served. */
    send_all(fds[15], "GET /?HOST_INFO HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 56);
    char head[16] = {0};
    assert_int_equal(recv(fds[15], head, 12, MSG_WAITALL), 12);
    assert_memory_equal(head, "HTTP/1.1 200", 12);
    for (int i = 0; i < 17; i++)
        close(fds[i]);
    fx_free(f);
}

static void allowlist_refuses(void **state)
{
    (void)state;
    fx *f = fx_make("10.0.0.0/8");
    reply r = get(f->port, "/");
    assert_int_equal(r.status, 0); /* closed at accept, not a byte answered */
    free(r.body);
    fx_free(f);
    f = fx_make("127.0.0.1/32");
    r = get(f->port, "/?HOST_INFO");
    assert_int_equal(r.status, 200);
    free(r.body);
    fx_free(f);
}

/* ---- a small WebSocket client ---- */

static int ws_open(int port)
{
    int fd = dial(port);
    const char *req = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    send_all(fd, req, strlen(req));
    char head[1024];
    size_t n = 0;
    while (n < sizeof head - 1) { /* byte by byte up to the blank line: no frame eaten */
        ssize_t k = recv(fd, head + n, 1, 0);
        assert_true(k == 1);
        n++;
        if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    head[n] = 0;
    assert_int_equal(strncmp(head, "HTTP/1.1 101", 12), 0);
    /* RFC 6455's own example key and answer. */
    assert_non_null(strstr(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    return fd;
}

static void ws_send_text(int fd, const char *s)
{
    size_t n = strlen(s);
    assert_true(n < 126);
    unsigned char fr[140] = {0x81, (unsigned char)(0x80 | n), 1, 2, 3, 4};
    for (size_t i = 0; i < n; i++)
        fr[6 + i] = (unsigned char)s[i] ^ fr[2 + i % 4];
    send_all(fd, fr, 6 + n);
}

/* The next frame: its opcode, payload into buf (NUL-terminated); -1 on close/timeout. */
static int ws_recv(int fd, unsigned char *buf, size_t cap, size_t *len)
{
    unsigned char h[2];
    if (recv(fd, h, 2, MSG_WAITALL) != 2)
        return -1;
    size_t n = h[1] & 0x7f;
    if (n == 126) {
        unsigned char e[2];
        if (recv(fd, e, 2, MSG_WAITALL) != 2)
            return -1;
        n = (size_t)e[0] << 8 | e[1];
    }
    if (n >= cap || (n && recv(fd, buf, n, MSG_WAITALL) != (ssize_t)n))
        return -1;
    buf[n] = 0;
    *len = n;
    return h[0] & 0x0f;
}

/* The next binary frame's /strata/glitch float. */
static float ws_next_glitch(int fd)
{
    unsigned char buf[512];
    size_t n;
    for (int i = 0; i < 20; i++) {
        int op = ws_recv(fd, buf, sizeof buf, &n);
        assert_true(op >= 0);
        if (op != 2)
            continue;
        assert_string_equal((char *)buf, "/strata/glitch");
        assert_int_equal(n, 24);
        assert_memory_equal(buf + 16, ",f\0\0", 4);
        uint32_t bits =
            (uint32_t)buf[20] << 24 | (uint32_t)buf[21] << 16 | (uint32_t)buf[22] << 8 | buf[23];
        float v;
        memcpy(&v, &bits, 4);
        return v;
    }
    fail_msg("no binary frame");
    return 0.0f;
}

static void websocket_listen_receives_changes(void **state)
{
    (void)state;
    fx *f = fx_make(NULL);
    frame(f);
    int fd = ws_open(f->port);
    ws_send_text(fd, "{\"COMMAND\":\"LISTEN\",\"DATA\":\"/strata/glitch\"}");
    float def = strata_param_defs[STRATA_P_glitch].def;
    assert_float_equal(ws_next_glitch(fd), def, 1e-6); /* the value now, at LISTEN */
    osc_set(f, "/strata/glitch", 0.75);
    assert_float_equal(ws_next_glitch(fd), 0.75, 1e-6);
    osc_set(f, "/strata/glitch", 0.125);
    assert_float_equal(ws_next_glitch(fd), 0.125, 1e-6);
    /* IGNORE: no more frames for it (a ping answered proves the socket still reads). */
    ws_send_text(fd, "{\"COMMAND\":\"IGNORE\",\"DATA\":\"/strata/glitch\"}");
    usleep(100 * 1000);
    osc_set(f, "/strata/glitch", 0.5);
    usleep(100 * 1000);
    unsigned char ping[6] = {0x89, 0x80, 9, 9, 9, 9};
    send_all(fd, ping, sizeof ping);
    unsigned char buf[512];
    size_t n;
    assert_int_equal(ws_recv(fd, buf, sizeof buf, &n), 0xA); /* pong, no value frame first */
    /* Junk JSON is answered, not fatal. */
    ws_send_text(fd, "{not json");
    assert_int_equal(ws_recv(fd, buf, sizeof buf, &n), 1);
    assert_non_null(strstr((char *)buf, "ERROR"));
    close(fd);
    fx_free(f);
}

/* A client that sends its LISTEN in the same packet as the upgrade request: libmicrohttpd
 * has read those bytes already and hands them over; they are not lost. */
static void websocket_listen_sent_with_the_request(void **state)
{
    (void)state;
    fx *f = fx_make(NULL);
    frame(f);
    osc_set(f, "/strata/glitch", 0.375);
    int fd = dial(f->port);
    char req[512];
    int n = snprintf(req, sizeof req, "%s",
                     "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n");
    const char *msg = "{\"COMMAND\":\"LISTEN\",\"DATA\":\"/strata/glitch\"}";
    size_t m = strlen(msg);
    unsigned char *fr = (unsigned char *)req + n;
    fr[0] = 0x81;
    fr[1] = (unsigned char)(0x80 | m);
    memset(fr + 2, 0, 4); /* a zero mask: the payload as it is */
    memcpy(fr + 6, msg, m);
    send_all(fd, req, (size_t)n + 6 + m);
    char c[4] = {0};
    size_t got = 0; /* skip the 101 answer's head */
    while (recv(fd, c + (got % 4), 1, 0) == 1) {
        got++;
        if (got >= 4 && c[(got - 4) % 4] == '\r' && c[(got - 3) % 4] == '\n' &&
            c[(got - 2) % 4] == '\r' && c[(got - 1) % 4] == '\n')
            break;
    }
    assert_float_equal(ws_next_glitch(fd), 0.375, 1e-6);
    close(fd);
    fx_free(f);
}

/* A client that listens to everything and never reads is closed once 2048 frames wait for
 * it (past the 128 KB the kernel holds), instead of being buffered without end. Its receive buffer
 * is made tiny first. */
static void websocket_client_that_does_not_read_is_closed(void **state)
{
    (void)state;
    fx *f = fx_make(NULL);
    frame(f);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 2048;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    send_all(fd, req, strlen(req));
    /* 100 dynamic parameters besides the fixed ones: ~130 changed values a tick. */
    int ids[100], n = 0;
    for (int i = 0; i < 100; i++) {
        strata_param_info in = {.min = 0, .max = 1, .kind = STRATA_PARAM_FLOAT};
        snprintf(in.name, sizeof in.name, "spam/p%d", i);
        strata_result r = {0};
        ids[i] = strata_param_register(&in, &r);
        assert_true(ids[i] >= 0);
    }
    frame(f);
    for (int i = 0; i < STRATA_PARAM_MAX; i++) {
        strata_param_info p;
        if (!strata_param_get(i, &p))
            continue;
        char cmd[128];
        snprintf(cmd, sizeof cmd, "{\"COMMAND\":\"LISTEN\",\"DATA\":\"/strata/%s\"}", p.name);
        ws_send_text(fd, cmd);
        n++;
    }
    /* Every listened value changes every 2 ms for 4 s (0.7 s was enough here); the client
     * reads nothing. */
    double end = strata_time_s() + 4.0;
    for (int k = 0; strata_time_s() < end; k++) {
        float x = (float)(k % 100) / 100.0f;
        for (int i = 0; i < STRATA_PARAM_MAX; i++) {
            strata_param_info p;
            if (strata_param_get(i, &p))
                strata_params_set(&f->params, i, p.min + x * (p.max - p.min), true);
        }
        frame(f);
        usleep(2000);
    }
    /* Now read: what was in flight, then EOF (0) if the server let go, or our 5 s receive
     * limit (-1) if it still holds the connection open. */
    static char sink[1 << 16];
    ssize_t k;
    while ((k = recv(fd, sink, sizeof sink, 0)) > 0) {
    }
    bool closed = k == 0;
    close(fd);
    for (int i = 0; i < 100; i++)
        strata_param_unregister(ids[i]);
    assert_true(n > 100);
    assert_true(closed);
    /* And the server goes on for everyone else. */
    reply r = get(f->port, "/?HOST_INFO");
    assert_int_equal(r.status, 200);
    free(r.body);
    fx_free(f);
}

/* Random bytes as HTTP requests and as WebSocket frames (fixed seed): every connection
 * ends, nothing crashes, and the server answers a good request afterwards. */
static void junk_is_survived(void **state)
{
    (void)state;
    fx *f = fx_make(NULL);
    uint32_t seed = 12345;
    unsigned char junk[3000];
    for (int round = 0; round < 60; round++) {
        size_t n = 1 + (seed = seed * 1664525u + 1013904223u) % sizeof junk;
        for (size_t i = 0; i < n; i++)
            junk[i] = (unsigned char)((seed = seed * 1664525u + 1013904223u) >> 24);
        if (round % 3 == 1) /* a request line first, then junk headers */
            memcpy(junk, "GET / HTTP/1.1\r\n", n < 16 ? n : 16);
        int fd = round % 3 == 2 ? ws_open(f->port) : dial(f->port);
        struct timeval tv = {.tv_sec = 3};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        send_all(fd, junk, n);
        shutdown(fd, SHUT_WR); /* the server sees the end of its input, whatever it was */
        char sink[4096];
        while (recv(fd, sink, sizeof sink, 0) > 0) {
        }
        close(fd);
    }
    reply r = get(f->port, "/strata/glitch?ACCESS");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"ACCESS\":3}");
    free(r.body);
    fx_free(f);
}

/* A dynamic parameter shows in the namespace and listeners hear PATH_CHANGED. */
static void dynamic_parameter_changes_the_path(void **state)
{
    (void)state;
    fx *f = fx_make(NULL);
    frame(f);
    int fd = ws_open(f->port);
    strata_param_info in = {.name = "isf/test/sides",
                            .min = 1,
                            .max = 12,
                            .def = 6,
                            .kind = STRATA_PARAM_INT,
                            .desc = "sides",
                            .owner = "test"};
    strata_result r = {0};
    int id = strata_param_register(&in, &r);
    assert_true(id >= STRATA_PARAM_COUNT);
    unsigned char buf[512];
    size_t n;
    int op = ws_recv(fd, buf, sizeof buf, &n);
    assert_int_equal(op, 1);
    assert_non_null(strstr((char *)buf, "PATH_CHANGED"));
    frame(f);
    json_t *j = get_json(f->port, "/strata/isf/test/sides");
    assert_string_equal(json_string_value(json_object_get(j, "TYPE")), "i");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "VALUE"), 0)), 6);
    json_t *rg = json_array_get(json_object_get(j, "RANGE"), 0);
    assert_true(json_is_integer(json_object_get(rg, "MIN")));
    assert_int_equal(json_integer_value(json_object_get(rg, "MAX")), 12);
    json_decref(j);
    strata_param_unregister(id);
    reply rp = get(f->port, "/strata/isf/test/sides");
    assert_int_equal(rp.status, 404);
    free(rp.body);
    close(fd);
    fx_free(f);
}

int main(void)
{
    strata_log_set_level(STRATA_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(namespace_is_the_registry),
        cmocka_unit_test(value_follows_an_osc_set),
        cmocka_unit_test(host_info),
        cmocka_unit_test(bad_requests_are_refused),
        cmocka_unit_test(slow_request_times_out),
        cmocka_unit_test(one_address_takes_half_the_connections),
        cmocka_unit_test(allowlist_refuses),
        cmocka_unit_test(websocket_listen_receives_changes),
        cmocka_unit_test(websocket_client_that_does_not_read_is_closed),
        cmocka_unit_test(websocket_listen_sent_with_the_request),
        cmocka_unit_test(junk_is_survived),
        cmocka_unit_test(dynamic_parameter_changes_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
