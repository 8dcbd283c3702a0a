/* WebSocket on the HTTP port. libmicrohttpd answers the Upgrade and hands the socket
 * over; wslay does the framing (masking, fragments, ping/pong, close, size limit) on a
 * thread of ours that also streams the listened values every OSCQ_WS_TICK_MS. */
#include "oscquery_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nettle/base64.h>
#include <nettle/sha1.h>
#include <wslay/wslay.h>

#define WS_MAX 64         /* slots; cfg.max_ws of them are used */
#define WS_LISTEN_MAX 256 /* listened paths per client */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

typedef enum ws_state { WS_FREE, WS_NEW, WS_ACTIVE } ws_state;

typedef struct ws_listen {
    char path[OSCQ_PATH_MAX];
    oscq_target t; /* src NONE while the path names no value */
    double sent;   /* NAN: not sent yet */
} ws_listen;

typedef struct ws_client {
    ws_state state; /* --- protected by ws->lock (the handoff); the rest: ws thread */
    int fd;
    struct MHD_UpgradeResponseHandle *urh;
    unsigned char *extra; /* bytes MHD read past the request, served first */
    size_t extra_n, extra_pos;
    wslay_event_context_ptr ctx;
    ws_listen *listen;
    int nlisten;
    bool dead;
    oscq_ws *ws;
} ws_client;

struct oscq_ws {
    strata_oscquery *q;
    pthread_mutex_t lock;
    bool closing; /* --- protected by lock */
    ws_client c[WS_MAX];
    bool active[WS_MAX]; /* --- ws thread only: slot i is a running client (state ACTIVE) */
    int efd;             /* wakes the thread: a new client, or stop */
    pthread_t thread;
    bool started;
    _Atomic bool stop;
    /* --- ws thread only */
    uint32_t gen;
    strata_control_alias aliases[STRATA_CONTROL_MAX_ALIASES];
    int naliases;
};

/* ---- the upgrade (HTTP thread) ---------------------------------------------- */

static void on_upgraded(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
                        size_t extra_n, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)conn;
    (void)con_cls;
    oscq_ws *ws = cls;
    pthread_mutex_lock(&ws->lock);
    ws_client *slot = NULL;
    for (int i = 0; i < ws->q->cfg.max_ws && i < WS_MAX && !ws->closing; i++)
        if (ws->c[i].state == WS_FREE) {
            slot = &ws->c[i];
            break;
        }
    unsigned char *extra = extra_n ? malloc(extra_n) : NULL;
    if (!slot || (extra_n && !extra)) {
        pthread_mutex_unlock(&ws->lock);
        free(extra);
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    if (extra_n)
        memcpy(extra, extra_in, extra_n);
    *slot = (ws_client){
        .state = WS_NEW, .fd = sock, .urh = urh, .extra = extra, .extra_n = extra_n, .ws = ws};
    pthread_mutex_unlock(&ws->lock);
    uint64_t one = 1;
    if (write(ws->efd, &one, sizeof one) < 0) {
        /* the counter cannot overflow in practice; the thread polls anyway */
    }
}

static int busy(oscq_ws *ws)
{
    int n = 0;
    pthread_mutex_lock(&ws->lock);
    for (int i = 0; i < WS_MAX; i++)
        n += ws->c[i].state != WS_FREE;
    pthread_mutex_unlock(&ws->lock);
    return n;
}

static enum MHD_Result refuse(struct MHD_Connection *c, unsigned code, const char *msg)
{
    struct MHD_Response *res =
        MHD_create_response_from_buffer(strlen(msg), (void *)msg, MHD_RESPMEM_PERSISTENT);
    if (!res)
        return MHD_NO;
    MHD_add_response_header(res, "Connection", "close"); /* no keep-alive after a refusal */
    enum MHD_Result ret = MHD_queue_response(c, code, res);
    MHD_destroy_response(res);
    return ret;
}

bool strata_oscq_ws_upgrade(strata_oscquery *q, struct MHD_Connection *c, enum MHD_Result *ret)
{
    const char *up = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Upgrade");
    if (!up || strcasecmp(up, "websocket") != 0)
        return false;
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    const char *ver = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Version");
    if (!key || strlen(key) != 24) {
        *ret = refuse(c, MHD_HTTP_BAD_REQUEST, "WebSocket: Sec-WebSocket-Key missing or bad\n");
        return true;
    }
    if (!ver || strcmp(ver, "13") != 0) {
        *ret = refuse(c, MHD_HTTP_UPGRADE_REQUIRED, "WebSocket: version 13 only\n");
        return true;
    }
    if (busy(q->ws) >= q->cfg.max_ws) {
        *ret = refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, "WebSocket: too many clients\n");
        return true;
    }
    struct sha1_ctx sha;
    uint8_t digest[SHA1_DIGEST_SIZE];
    sha1_init(&sha);
    sha1_update(&sha, strlen(key), (const uint8_t *)key);
    sha1_update(&sha, strlen(WS_GUID), (const uint8_t *)WS_GUID);
    sha1_digest(&sha, sizeof digest, digest);
    char accept[BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE) + 1];
    base64_encode_raw(accept, sizeof digest, digest);
    accept[sizeof accept - 1] = 0;
    struct MHD_Response *res = MHD_create_response_for_upgrade(on_upgraded, q->ws);
    if (!res) {
        *ret = MHD_NO;
        return true;
    }
    MHD_add_response_header(res, "Upgrade", "websocket");
    MHD_add_response_header(res, "Connection", "Upgrade");
    MHD_add_response_header(res, "Sec-WebSocket-Accept", accept);
    *ret = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, res);
    MHD_destroy_response(res);
    return true;
}

/* ---- wslay callbacks (ws thread) ---------------------------------------------- */

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
    (void)flags;
    ws_client *cl = user;
    if (cl->extra_pos < cl->extra_n) {
        size_t n = cl->extra_n - cl->extra_pos;
        n = n < len ? n : len;
        memcpy(buf, cl->extra + cl->extra_pos, n);
        cl->extra_pos += n;
        return (ssize_t)n;
    }
    ssize_t n = recv(cl->fd, buf, len, 0);
    if (n > 0)
        return n;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    else
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE); /* closed or broken */
    return -1;
}

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    (void)flags;
    ws_client *cl = user;
    ssize_t n = send(cl->fd, data, len, MSG_NOSIGNAL);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    else
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

static void queue_text(ws_client *cl, const char *s)
{
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)s, strlen(s)};
    wslay_event_queue_msg(cl->ctx, &m);
}

static void listen_path(ws_client *cl, const char *path, bool on)
{
    for (int i = 0; i < cl->nlisten; i++)
        if (strcmp(cl->listen[i].path, path) == 0) {
            if (!on)
                cl->listen[i] = cl->listen[--cl->nlisten];
            return;
        }
    if (!on || cl->nlisten >= WS_LISTEN_MAX)
        return;
    ws_listen *l = &cl->listen[cl->nlisten++];
    snprintf(l->path, sizeof l->path, "%s", path);
    if (!strata_oscq_target(cl->ws->q, path, &l->t))
        l->t.src = OSCQ_SRC_NONE;
    l->sent = NAN; /* the current value goes out at the next tick */
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user)
{
    (void)ctx;
    ws_client *cl = user;
    if (arg->opcode != WSLAY_TEXT_FRAME)
        return; /* OSC in over the socket is not taken (use the OSC port) */
    json_t *j = json_loadb((const char *)arg->msg, arg->msg_length, JSON_REJECT_DUPLICATES, NULL);
    const char *cmd = json_string_value(json_object_get(j, "COMMAND"));
    const char *path = json_string_value(json_object_get(j, "DATA"));
    if (!cmd || !path || !strata_oscq_path_ok(path)) {
        queue_text(cl, "{\"COMMAND\":\"ERROR\",\"DATA\":\"expected "
                       "{\\\"COMMAND\\\":\\\"LISTEN\\\"|\\\"IGNORE\\\",\\\"DATA\\\":PATH}\"}");
    } else if (strcmp(cmd, "LISTEN") == 0 || strcmp(cmd, "IGNORE") == 0) {
        listen_path(cl, path, cmd[0] == 'L');
    }
    json_decref(j);
}

/* ---- the thread -------------------------------------------------------------- */

static void client_start(ws_client *cl)
{
    struct wslay_event_callbacks cb = {
        .recv_callback = ws_recv, .send_callback = ws_send, .on_msg_recv_callback = on_msg};
    /* A fixed send buffer (no autotuning to megabytes): a client that stops reading is
     * seen by wslay's queue within seconds, and closed at OSCQ_WS_QUEUE_MAX frames. */
    int sndbuf = OSCQ_WS_SNDBUF;
    setsockopt(cl->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    int fl = fcntl(cl->fd, F_GETFL);
    cl->listen = calloc(WS_LISTEN_MAX, sizeof *cl->listen);
    if (fl < 0 || fcntl(cl->fd, F_SETFL, fl | O_NONBLOCK) < 0 || !cl->listen ||
        wslay_event_context_server_init(&cl->ctx, &cb, cl) != 0) {
        cl->dead = true;
        return;
    }
    wslay_event_config_set_max_recv_msg_length(cl->ctx, OSCQ_WS_MSG_MAX);
    /* Frames the client sent with its request (MHD read them): poll() will not see them. */
    if (cl->extra_n && wslay_event_recv(cl->ctx) != 0)
        cl->dead = true;
}

static void client_end(oscq_ws *ws, ws_client *cl)
{
    if (cl->ctx)
        wslay_event_context_free(cl->ctx);
    MHD_upgrade_action(cl->urh, MHD_UPGRADE_ACTION_CLOSE);
    free(cl->extra);
    free(cl->listen);
    pthread_mutex_lock(&ws->lock);
    ws->active[cl - ws->c] = false;
    *cl = (ws_client){.state = WS_FREE, .fd = -1};
    pthread_mutex_unlock(&ws->lock);
}

/* A binary OSC message: PATH ,f|,i|,T|,F value. */
static size_t osc_value(unsigned char *buf, size_t cap, const char *path, const oscq_target *t,
                        double v)
{
    size_t plen = strlen(path) + 1, ppad = (plen + 3) & ~(size_t)3;
    if (ppad + 8 > cap)
        return 0;
    memset(buf, 0, ppad + 8);
    memcpy(buf, path, plen);
    unsigned char *tt = buf + ppad;
    tt[0] = ',';
    strata_param_kind kind = t->src == OSCQ_SRC_PARAM ? t->kind : STRATA_PARAM_FLOAT;
    if (kind == STRATA_PARAM_BOOL || kind == STRATA_PARAM_EVENT) {
        tt[1] = v >= 0.5 ? 'T' : 'F';
        return ppad + 4;
    }
    uint32_t bits;
    if (kind == STRATA_PARAM_INT) {
        tt[1] = 'i';
        int32_t iv = (int32_t)lrint(v);
        memcpy(&bits, &iv, sizeof bits);
    } else {
        tt[1] = 'f';
        float fv = (float)v;
        memcpy(&bits, &fv, sizeof bits);
    }
    unsigned char *p = tt + 4;
    p[0] = (unsigned char)(bits >> 24);
    p[1] = (unsigned char)(bits >> 16);
    p[2] = (unsigned char)(bits >> 8);
    p[3] = (unsigned char)bits;
    return ppad + 8;
}

/* Parameters or aliases came or went: tell everyone, resolve the listened paths again. */
static void check_paths(oscq_ws *ws)
{
    strata_control_alias al[STRATA_CONTROL_MAX_ALIASES];
    int na = strata_oscq_aliases(ws->q, al, STRATA_CONTROL_MAX_ALIASES);
    uint32_t gen = strata_param_generation();
    if (gen == ws->gen && na == ws->naliases &&
        memcmp(al, ws->aliases, (size_t)na * sizeof al[0]) == 0)
        return;
    ws->gen = gen;
    ws->naliases = na;
    memcpy(ws->aliases, al, (size_t)na * sizeof al[0]);
    for (int i = 0; i < WS_MAX; i++) {
        ws_client *cl = &ws->c[i];
        if (!ws->active[i] || cl->dead)
            continue;
        queue_text(cl, "{\"COMMAND\":\"PATH_CHANGED\",\"DATA\":\"/\"}");
        for (int k = 0; k < cl->nlisten; k++) {
            ws_listen *l = &cl->listen[k];
            if (!strata_oscq_target(ws->q, l->path, &l->t))
                l->t.src = OSCQ_SRC_NONE;
            l->sent = NAN;
        }
    }
}

static void stream_values(oscq_ws *ws, ws_client *cl)
{
    for (int k = 0; k < cl->nlisten; k++) {
        ws_listen *l = &cl->listen[k];
        if (l->t.src == OSCQ_SRC_NONE)
            continue;
        double v = strata_oscq_target_value(ws->q, &l->t);
        if (v == l->sent)
            continue;
        unsigned char buf[OSCQ_PATH_MAX + 16];
        size_t n = osc_value(buf, sizeof buf, l->path, &l->t, v);
        struct wslay_event_msg m = {WSLAY_BINARY_FRAME, buf, n};
        if (n && wslay_event_queue_msg(cl->ctx, &m) == 0)
            l->sent = v;
    }
}

static void adopt(oscq_ws *ws)
{
    uint64_t n;
    if (read(ws->efd, &n, sizeof n) < 0) {
        /* nothing waiting: EAGAIN */
    }
    for (int i = 0; i < WS_MAX; i++) {
        pthread_mutex_lock(&ws->lock);
        bool fresh = ws->c[i].state == WS_NEW;
        if (fresh)
            ws->c[i].state = WS_ACTIVE;
        pthread_mutex_unlock(&ws->lock);
        if (fresh) {
            ws->active[i] = true;
            client_start(&ws->c[i]);
        }
    }
}

static void *ws_thread(void *arg)
{
    oscq_ws *ws = arg;
    struct pollfd pf[WS_MAX + 1];
    int idx[WS_MAX + 1];
    double next_tick = 0.0;
    while (!atomic_load(&ws->stop)) {
        int n = 0;
        pf[n++] = (struct pollfd){.fd = ws->efd, .events = POLLIN};
        for (int i = 0; i < WS_MAX; i++) {
            ws_client *cl = &ws->c[i];
            if (!ws->active[i] || cl->dead)
                continue;
            short ev = (short)((wslay_event_want_read(cl->ctx) ? POLLIN : 0) |
                               (wslay_event_want_write(cl->ctx) ? POLLOUT : 0));
            idx[n] = i;
            pf[n++] = (struct pollfd){.fd = cl->fd, .events = ev};
        }
        int wait = (int)((next_tick - strata_time_s()) * 1000.0);
        poll(pf, (nfds_t)n, wait < 0 ? 0 : wait > OSCQ_WS_TICK_MS ? OSCQ_WS_TICK_MS : wait);
        if (pf[0].revents & POLLIN)
            adopt(ws);
        for (int k = 1; k < n; k++) {
            ws_client *cl = &ws->c[idx[k]];
            if ((pf[k].revents & (POLLIN | POLLHUP | POLLERR)) && wslay_event_recv(cl->ctx))
                cl->dead = true;
            if ((pf[k].revents & POLLOUT) && wslay_event_send(cl->ctx))
                cl->dead = true;
        }
        double now = strata_time_s();
        bool tick = now >= next_tick;
        if (tick) {
            next_tick = now + OSCQ_WS_TICK_MS / 1000.0;
            check_paths(ws);
        }
        for (int i = 0; i < WS_MAX; i++) {
            ws_client *cl = &ws->c[i];
            if (!ws->active[i])
                continue;
            if (!cl->dead && tick)
                stream_values(ws, cl);
            /* A client that does not read its stream is let go, not buffered forever. */
            if (!cl->dead && wslay_event_get_queued_msg_count(cl->ctx) > OSCQ_WS_QUEUE_MAX) {
                LOG_WARN(OSCQ_TAG, "WebSocket client does not read: closed");
                cl->dead = true;
            }
            if (!cl->dead && wslay_event_want_write(cl->ctx) && wslay_event_send(cl->ctx))
                cl->dead = true;
            if (!cl->dead && !wslay_event_want_read(cl->ctx) && !wslay_event_want_write(cl->ctx))
                cl->dead = true; /* closed both ways */
            if (cl->dead)
                client_end(ws, cl);
        }
    }
    return NULL;
}

oscq_ws *strata_oscq_ws_create(strata_oscquery *q, strata_result *r)
{
    oscq_ws *ws = calloc(1, sizeof *ws);
    if (!ws) {
        strata_fail(r, STRATA_ERR_NOMEM, "oscquery: out of memory");
        return NULL;
    }
    ws->q = q;
    ws->gen = strata_param_generation();
    ws->naliases = strata_oscq_aliases(q, ws->aliases, STRATA_CONTROL_MAX_ALIASES);
    pthread_mutex_init(&ws->lock, NULL);
    for (int i = 0; i < WS_MAX; i++)
        ws->c[i].fd = -1;
    ws->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ws->efd < 0 || pthread_create(&ws->thread, NULL, ws_thread, ws) != 0) {
        strata_fail(r, STRATA_ERR_IO, "oscquery: cannot start the WebSocket thread");
        strata_oscq_ws_destroy(ws);
        return NULL;
    }
    ws->started = true;
    return ws;
}

void strata_oscq_ws_close(oscq_ws *ws)
{
    if (!ws)
        return;
    pthread_mutex_lock(&ws->lock);
    ws->closing = true; /* an upgrade from now on is closed at once */
    pthread_mutex_unlock(&ws->lock);
    if (ws->started) {
        atomic_store(&ws->stop, true);
        uint64_t one = 1;
        if (write(ws->efd, &one, sizeof one) < 0) {
            /* the thread wakes within a tick anyway */
        }
        pthread_join(ws->thread, NULL);
        ws->started = false;
    }
    for (int i = 0; i < WS_MAX; i++)
        if (ws->c[i].state != WS_FREE)
            client_end(ws, &ws->c[i]);
}

void strata_oscq_ws_destroy(oscq_ws *ws)
{
    if (!ws)
        return;
    strata_oscq_ws_close(ws);
    if (ws->efd >= 0)
        close(ws->efd);
    pthread_mutex_destroy(&ws->lock);
    free(ws);
}
